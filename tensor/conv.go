package tensor

import (
	"fmt"

	"github.com/convnet/convnet/internal/kernels"
)

// Conv2d returns the 2-D convolution (cross-correlation, as in PyTorch) of
// x (N×C×H×W) with weight (K×C×R×S), plus bias (K, or nil), with the given
// stride and zero padding as (height, width) pairs. The result is
// N×K×OH×OW with OH = (H+2*padding[0]-R)/stride[0]+1, and OW likewise.
func Conv2d(x, weight, bias *Tensor, stride, padding [2]int) *Tensor {
	return conv2d(x, weight, bias, stride, padding, ActNone, nil)
}

// Conv2dAct returns act(Conv2d(x, weight, bias, stride, padding)),
// applying act to each image's output while it is in cache rather than in
// a second pass over memory. The graph it records is the two operations',
// so that gradients are those of Conv2d followed by ReLU or Tanh; the
// convolution's own output, which neither backward reads, is never
// stored.
func Conv2dAct(x, weight, bias *Tensor, stride, padding [2]int, act Activation) *Tensor {
	return conv2d(x, weight, bias, stride, padding, act, nil)
}

// Conv2dActPool returns pool(Conv2dAct(x, weight, bias, stride, padding,
// act)), pooling each image's activated output while it is in cache. The
// graph it records is the operations', as Conv2dAct's followed by
// AvgPool2d's or MaxPool2d's; when nothing is recorded (NoGrad), the
// activated output is never kept.
func Conv2dActPool(x, weight, bias *Tensor, stride, padding [2]int, act Activation, pool Pooling) *Tensor {
	return conv2d(x, weight, bias, stride, padding, act, &pool)
}

// conv2d is Conv2d, followed by act and, if pool is not nil, the pooling.
func conv2d(x, weight, bias *Tensor, stride, padding [2]int, act Activation, pool *Pooling) *Tensor {
	p := convShape(x, weight, bias, stride, padding)
	p.Act = act.kernel()
	shape := []int{p.N, p.K, p.OutH(), p.OutW()}
	var b []float32
	if bias != nil {
		b = bias.data
	}
	s := scopeOf(x, weight, bias)
	rec := s.recording(x, weight, bias)
	// When backward will run, keep the patch matrix it needs, unless that
	// would take too much memory (then backward recomputes it).
	var cols []float32
	if rec && p.ColsSize() <= maxKeptCols {
		cols = s.scratch(p.ColsSize())
	}
	var out, y *Tensor // the result; the activation's output
	var pp kernels.Pool
	var argmax []int32
	if pool == nil {
		out = s.empty(shape...)
		y = out
		kernels.Conv2d(p, x.data, weight.data, b, out.data, cols)
	} else {
		pp = poolShape(pool.name(), shape, pool.Kernel, pool.Stride, pool.Padding)
		out = s.empty(pp.N, pp.C, pp.OutH(), pp.OutW())
		var yData []float32 // nil: not kept, unless backward reads it
		if rec {
			y = s.empty(shape...)
			yData = y.data
		}
		if pool.Max {
			argmax = s.scratchInt32(out.Numel())
		}
		kernels.Conv2dPool(p, pp, pool.Max, x.data, weight.data, b, yData, cols, out.data, argmax)
	}
	if !rec {
		return out
	}
	conv := y
	if act != ActNone {
		conv = s.shell(shape)
	}
	if n := recordNode(conv, readsInputs, conv2dBackward, x, weight, bias); n != nil {
		n.conv, n.buf = p, cols
	}
	if act != ActNone {
		recordActivation(y, act, conv)
	}
	if pool != nil {
		recordPool(out, y, pool.Max, pp, argmax)
		if act == ActNone {
			// No backward reads a pooled convolution's output: give its
			// storage back, as Sequential would have.
			Release(y)
		}
	}
	return out
}

func conv2dBackward(n *node, g []float32) {
	x, weight, bias := n.ins[0], n.ins[1], n.ins[2]
	var db []float32
	if bias != nil {
		db = gradData(bias)
	}
	dx, fresh := gradOut(x)
	kernels.Conv2dBackward(n.conv, x.data, weight.data, g, dx, !fresh, gradData(weight), db, n.buf)
}

// maxKeptCols bounds the patch matrix Conv2d keeps for backward (64 MiB).
const maxKeptCols = 16 << 20

func convShape(x, w, b *Tensor, stride, padding [2]int) kernels.Conv {
	if x.Dim() != 4 || w.Dim() != 4 {
		panic(fmt.Sprintf("tensor.Conv2d: input %v and weight %v must both be 4-D", x.shape, w.shape))
	}
	if x.shape[1] != w.shape[1] {
		panic(fmt.Sprintf("tensor.Conv2d: input %v has %d channels, weight %v expects %d", x.shape, x.shape[1], w.shape, w.shape[1]))
	}
	if b != nil && (b.Dim() != 1 || b.shape[0] != w.shape[0]) {
		panic(fmt.Sprintf("tensor.Conv2d: bias %v does not match weight %v", b.shape, w.shape))
	}
	if stride[0] < 1 || stride[1] < 1 || padding[0] < 0 || padding[1] < 0 {
		panic(fmt.Sprintf("tensor.Conv2d: stride %v must be positive and padding %v not negative", stride, padding))
	}
	p := kernels.Conv{
		N: x.shape[0], C: x.shape[1], H: x.shape[2], W: x.shape[3],
		K: w.shape[0], R: w.shape[2], S: w.shape[3],
		StrideH: stride[0], StrideW: stride[1], PadH: padding[0], PadW: padding[1],
	}
	if p.H+2*p.PadH < p.R || p.W+2*p.PadW < p.S {
		panic(fmt.Sprintf("tensor.Conv2d: kernel %dx%d is larger than the padded input %dx%d", p.R, p.S, p.H+2*p.PadH, p.W+2*p.PadW))
	}
	return p
}
