package tensor

import (
	"fmt"
	"slices"

	"github.com/convnet/convnet/internal/kernels"
)

// AvgPool2d averages x (N×C×H×W) over kernel-sized windows moved by
// stride, with zero padding counted in the average (PyTorch's default
// count_include_pad=True) and floor rounding of the output size. Pool2d
// takes ceil_mode and count_include_pad too.
func AvgPool2d(x *Tensor, kernel, stride, padding [2]int) *Tensor {
	return Pool2d(x, Pooling{Kernel: kernel, Stride: stride, Padding: padding})
}

// Pooling describes a pooling, as Pool2d and Conv2dActPool take it: the
// maximum (as MaxPool2d) if Max, else the average (as AvgPool2d), over
// Kernel-sized windows moved by Stride, with Padding, as torch.nn's
// MaxPool2d and AvgPool2d; the zero values of the other fields are
// PyTorch's defaults.
type Pooling struct {
	Max                     bool
	Kernel, Stride, Padding [2]int
	// Dilation spaces a max pooling's taps (zero: 1, adjacent).
	Dilation [2]int
	// CeilMode rounds the output size up (ceil_mode=True): windows that
	// hang over the bottom or right edge count too, as long as they start
	// inside the input or its leading padding.
	CeilMode bool
	// ExcludePad makes an average divide by the number of its inputs
	// inside the image, leaving out the padding (count_include_pad=False).
	ExcludePad bool
}

// OutputSize returns the height and width of p's output for an input of
// h×w, as PyTorch's pooling_output_shape gives them. It panics where
// Pool2d would.
func (p Pooling) OutputSize(h, w int) (oh, ow int) {
	pp := poolShape(p.name(), []int{1, 1, h, w}, p)
	return pp.OutH(), pp.OutW()
}

func (p Pooling) name() string {
	if p.Max {
		return "MaxPool2d"
	}
	return "AvgPool2d"
}

// Pool2d pools x (N×C×H×W) as p says: the maximum or the average of each
// window. Its gradient flows as MaxPool2d's or AvgPool2d's does.
func Pool2d(x *Tensor, p Pooling) *Tensor {
	pp := poolShape(p.name(), x.shape, p)
	out := poolWith(x, pp, p.Max)
	if s := out.mode(); s.tracing() {
		s.traceOp("Pool2d", normPooling(p), out, x)
	}
	return out
}

// poolWith runs the pooling p (the maximum if max) on x and records it.
func poolWith(x *Tensor, p kernels.Pool, max bool) *Tensor {
	s := x.mode()
	out := s.empty(p.N, p.C, p.OutH(), p.OutW())
	if !max {
		kernels.AvgPool2d(p, x.data, out.data)
		recordPool(out, x, false, p, nil)
		return out
	}
	// Without a backward pass to read them, the maxima's places are not
	// kept where the kernel can do without them.
	var argmax []int32
	if s.recording(x) || !kernels.MaxPoolWithoutIndex(p) {
		argmax = s.scratchInt32(out.Numel())
	}
	kernels.MaxPool2d(p, x.data, out.data, argmax)
	recordPool(out, x, true, p, argmax)
	return out
}

// AdaptiveAvgPool2d averages x (N×C×H×W) into N×C×size[0]×size[1], as
// torch.nn.AdaptiveAvgPool2d: output row i averages input rows
// [floor(i*H/size[0]), ceil((i+1)*H/size[0])), columns likewise. Size
// (1, 1) is GlobalAvgPool2d.
func AdaptiveAvgPool2d(x *Tensor, size [2]int) *Tensor {
	out := poolWith(x, adaptiveShape("AdaptiveAvgPool2d", x.shape, size), false)
	if s := out.mode(); s.tracing() {
		s.traceOp("AdaptiveAvgPool2d", size, out, x)
	}
	return out
}

// AdaptiveMaxPool2d takes the maximum of x (N×C×H×W) over the windows of
// AdaptiveAvgPool2d, as torch.nn.AdaptiveMaxPool2d. The gradient flows to
// the first maximum of each window.
func AdaptiveMaxPool2d(x *Tensor, size [2]int) *Tensor {
	out := poolWith(x, adaptiveShape("AdaptiveMaxPool2d", x.shape, size), true)
	if s := out.mode(); s.tracing() {
		s.traceOp("AdaptiveMaxPool2d", size, out, x)
	}
	return out
}

// GlobalAvgPool2d averages each plane of x (N×C×H×W) into one value,
// giving N×C×1×1: AdaptiveAvgPool2d(x, [2]int{1, 1}), as the torchvision
// classifiers end.
func GlobalAvgPool2d(x *Tensor) *Tensor { return AdaptiveAvgPool2d(x, [2]int{1, 1}) }

func adaptiveShape(op string, shape []int, size [2]int) kernels.Pool {
	if len(shape) != 4 {
		panic(fmt.Sprintf("tensor.%s: input %v must be 4-D (N, C, H, W)", op, slices.Clone(shape)))
	}
	if size[0] < 1 || size[1] < 1 {
		panic(fmt.Sprintf("tensor.%s: output size %v must be positive", op, size))
	}
	if shape[2] < 1 || shape[3] < 1 {
		panic(fmt.Sprintf("tensor.%s: input %v is empty", op, slices.Clone(shape)))
	}
	return kernels.Pool{N: shape[0], C: shape[1], H: shape[2], W: shape[3], OutputH: size[0], OutputW: size[1]}
}

// recordPool records out as the pooling p of x: the maximum, with argmax
// its argmax, if max, else the average.
func recordPool(out, x *Tensor, max bool, p kernels.Pool, argmax []int32) {
	if max {
		// The backward reads the maxima where it may do a ReLU's too.
		reads := dataUse(0)
		if x.creator != nil && x.creator.kind == opReLU {
			reads = readsOutput
		}
		if n := recordNode(out, reads, maxPool2dBackward, x); n != nil {
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
		if z := t.ins[0]; z.creator != nil && z.creator.kind == opConv2d && z.uses == 1 && z.grad == nil {
			// And the tanh's input is a convolution's output that only
			// the tanh reads: do the convolution's backward too, its
			// output gradient computed image by image where it is read
			// rather than written out whole.
			c := z.creator
			dx, dxAdd, dw, db := convGrads(c)
			kernels.Conv2dBackwardTanhPool(c.conv, kernels.TanhPoolGrad{Pool: n.pool, Y: x.data, DY: g},
				c.ins[0].data, c.ins[1].data, dx, dxAdd, dw, db, c.buf)
			z.creator, x.creator = nil, nil
			return
		}
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
// maximum of each window. Pool2d takes dilation and ceil_mode too.
func MaxPool2d(x *Tensor, kernel, stride, padding [2]int) *Tensor {
	return Pool2d(x, Pooling{Max: true, Kernel: kernel, Stride: stride, Padding: padding})
}

func maxPool2dBackward(n *node, g []float32) {
	x := n.ins[0]
	if t := x.creator; t != nil && t.kind == opReLU && x.uses == 1 && x.grad == nil && requiresGrad(t.ins[0]) {
		// The input is a ReLU's output that only this pooling reads (as
		// in ResNet's stem): do the ReLU's backward too, in the same
		// pass, and unlink x from the graph, so that Backward skips it.
		dz, fresh := gradOut(t.ins[0])
		kernels.MaxPool2dReLUBackward(n.pool, g, n.int32s, n.out.data, dz, !fresh)
		x.creator = nil
		return
	}
	dx, fresh := gradOut(x)
	kernels.MaxPool2dBackward(n.pool, g, n.int32s, dx, !fresh)
}

func poolShape(op string, shape []int, pool Pooling) kernels.Pool {
	kernel, stride, padding := pool.Kernel, pool.Stride, pool.Padding
	dil := [2]int{orOne(pool.Dilation[0]), orOne(pool.Dilation[1])}
	if len(shape) != 4 {
		// (A copy, so that shape does not escape.)
		panic(fmt.Sprintf("tensor.%s: input %v must be 4-D (N, C, H, W)", op, slices.Clone(shape)))
	}
	if kernel[0] < 1 || kernel[1] < 1 || stride[0] < 1 || stride[1] < 1 || dil[0] < 1 || dil[1] < 1 {
		panic(fmt.Sprintf("tensor.%s: kernel %v, stride %v and dilation %v must be positive", op, kernel, stride, dil))
	}
	if !pool.Max && dil != [2]int{1, 1} {
		panic(fmt.Sprintf("tensor.%s: an average pooling takes no dilation (%v)", op, dil))
	}
	if padding[0] < 0 || padding[1] < 0 || 2*padding[0] > kernel[0] || 2*padding[1] > kernel[1] {
		panic(fmt.Sprintf("tensor.%s: padding %v must be between 0 and half the kernel %v", op, padding, kernel))
	}
	p := kernels.Pool{
		N: shape[0], C: shape[1], H: shape[2], W: shape[3],
		KH: kernel[0], KW: kernel[1], StrideH: stride[0], StrideW: stride[1], PadH: padding[0], PadW: padding[1],
		CeilMode: pool.CeilMode, ExcludePad: pool.ExcludePad && !pool.Max,
	}
	if dil != [2]int{1, 1} {
		p.DilH, p.DilW = dil[0], dil[1]
	}
	// In ceil mode, as in PyTorch, a window may reach past the padded
	// input, even the first (GoogLeNet's last pooling of a 1×1 map).
	tooSmall := p.H+2*p.PadH < dil[0]*(p.KH-1)+1 || p.W+2*p.PadW < dil[1]*(p.KW-1)+1
	if tooSmall && !p.CeilMode || p.OutH() < 1 || p.OutW() < 1 {
		panic(fmt.Sprintf("tensor.%s: kernel %v is larger than the padded input %v", op, kernel, slices.Clone(shape)))
	}
	return p
}
