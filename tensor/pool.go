package tensor

import (
	"fmt"
	"slices"

	"github.com/convnet/convnet/internal/kernels"
)

// AvgPool2d averages x (N×C×H×W) over kernel-sized windows moved by
// stride, with zero padding counted in the average (PyTorch's default
// count_include_pad=True) and floor rounding of the output size.
func AvgPool2d(x *Tensor, kernel, stride, padding [2]int) *Tensor {
	p := poolShape("AvgPool2d", x.shape, kernel, stride, padding)
	out := x.mode().empty(p.N, p.C, p.OutH(), p.OutW())
	kernels.AvgPool2d(p, x.data, out.data)
	recordPool(out, x, false, p, nil)
	return out
}

// Pooling describes the pooling of Conv2dActPool: the maximum (as
// MaxPool2d) if Max, else the average (as AvgPool2d), over Kernel-sized
// windows moved by Stride, with Padding.
type Pooling struct {
	Max                     bool
	Kernel, Stride, Padding [2]int
}

func (p Pooling) name() string {
	if p.Max {
		return "MaxPool2d"
	}
	return "AvgPool2d"
}

// recordPool records out as the pooling p of x: the maximum, with argmax
// its argmax, if max, else the average.
func recordPool(out, x *Tensor, max bool, p kernels.Pool, argmax []int32) {
	if max {
		if n := recordNode(out, 0, maxPool2dBackward, x); n != nil {
			n.pool, n.int32s = p, argmax
		}
		return
	}
	if n := recordNode(out, 0, avgPool2dBackward, x); n != nil {
		n.pool = p
	}
}

func avgPool2dBackward(n *node, g []float32) {
	x := n.ins[0]
	if t := x.creator; t != nil && t.kind == opTanh && x.uses == 1 && x.grad == nil &&
		requiresGrad(t.ins[0]) && n.pool.FusesTanh() {
		// The input is a tanh's output that only this pooling reads (as
		// in LeNet-5): do the tanh's backward too, in the same pass, and
		// unlink x from the graph, so that Backward skips it.
		dz, fresh := gradOut(t.ins[0])
		kernels.AvgPool2dTanhBackward(n.pool, g, x.data, dz, !fresh)
		x.creator = nil
		return
	}
	dx, fresh := gradOut(x)
	kernels.AvgPool2dBackward(n.pool, g, dx, !fresh)
}

// MaxPool2d takes the maximum of x (N×C×H×W) over kernel-sized windows
// moved by stride; padding counts as -Inf. The gradient flows to the first
// maximum of each window.
func MaxPool2d(x *Tensor, kernel, stride, padding [2]int) *Tensor {
	p := poolShape("MaxPool2d", x.shape, kernel, stride, padding)
	s := x.mode()
	out := s.empty(p.N, p.C, p.OutH(), p.OutW())
	argmax := s.scratchInt32(out.Numel())
	kernels.MaxPool2d(p, x.data, out.data, argmax)
	recordPool(out, x, true, p, argmax)
	return out
}

func maxPool2dBackward(n *node, g []float32) {
	kernels.MaxPool2dBackward(n.pool, g, n.int32s, gradData(n.ins[0]))
}

func poolShape(op string, shape []int, kernel, stride, padding [2]int) kernels.Pool {
	if len(shape) != 4 {
		// (A copy, so that shape does not escape.)
		panic(fmt.Sprintf("tensor.%s: input %v must be 4-D (N, C, H, W)", op, slices.Clone(shape)))
	}
	if kernel[0] < 1 || kernel[1] < 1 || stride[0] < 1 || stride[1] < 1 {
		panic(fmt.Sprintf("tensor.%s: kernel %v and stride %v must be positive", op, kernel, stride))
	}
	if padding[0] < 0 || padding[1] < 0 || 2*padding[0] > kernel[0] || 2*padding[1] > kernel[1] {
		panic(fmt.Sprintf("tensor.%s: padding %v must be between 0 and half the kernel %v", op, padding, kernel))
	}
	p := kernels.Pool{
		N: shape[0], C: shape[1], H: shape[2], W: shape[3],
		KH: kernel[0], KW: kernel[1], StrideH: stride[0], StrideW: stride[1], PadH: padding[0], PadW: padding[1],
	}
	if p.H+2*p.PadH < p.KH || p.W+2*p.PadW < p.KW {
		panic(fmt.Sprintf("tensor.%s: kernel %v is larger than the padded input %v", op, kernel, slices.Clone(shape)))
	}
	return p
}
