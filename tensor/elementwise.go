package tensor

import "github.com/convnet/convnet/internal/kernels"

// Activation names an element-wise activation that an operation can
// apply to its own output in the same pass (Conv2dAct).
type Activation uint8

const (
	ActNone Activation = iota
	ActReLU            // ReLU
	ActTanh            // Tanh
)

func (a Activation) kernel() kernels.Activation {
	switch a {
	case ActReLU:
		return kernels.ActReLU
	case ActTanh:
		return kernels.ActTanh
	}
	return kernels.Identity
}

// recordActivation records out as act applied to x, for an operation that
// computed both: the backward of either activation reads only out.
func recordActivation(out *Tensor, act Activation, x *Tensor) {
	switch act {
	case ActReLU:
		if n := recordNode(out, readsOutput, reluBackward, x); n != nil {
			n.kind = opReLU
		}
	case ActTanh:
		if n := recordNode(out, readsOutput, tanhBackward, x); n != nil {
			n.kind = opTanh
		}
	}
}

// Apply returns a(x): ReLU(x), Tanh(x), or x itself for ActNone.
func (a Activation) Apply(x *Tensor) *Tensor {
	switch a {
	case ActReLU:
		return ReLU(x)
	case ActTanh:
		return Tanh(x)
	}
	return x
}

// Tanh returns the element-wise hyperbolic tangent of x.
func Tanh(x *Tensor) *Tensor {
	out := x.mode().empty(x.shape...)
	kernels.Tanh(x.data, out.data)
	recordActivation(out, ActTanh, x)
	if s := out.mode(); s.tracing() {
		s.traceOp("Tanh", nil, out, x)
	}
	return out
}

func tanhBackward(n *node, g []float32) {
	dx, fresh := gradOut(n.ins[0])
	kernels.TanhBackward(n.out.data, g, dx, !fresh)
}

// ReLU returns max(x, 0) element-wise.
func ReLU(x *Tensor) *Tensor {
	s := x.mode()
	if x.nonNegative && !s.recording(x) && !s.tracing() {
		// The output of a ReLU (or of an operation that ends with one):
		// nothing to do, and nothing to record.
		return x
	}
	out := s.empty(x.shape...)
	out.nonNegative = true
	kernels.Relu(x.data, out.data)
	recordActivation(out, ActReLU, x)
	if s.tracing() {
		s.traceOp("ReLU", nil, out, x)
	}
	return out
}

func reluBackward(n *node, g []float32) {
	dx, fresh := gradOut(n.ins[0])
	kernels.ReluBackward(n.out.data, g, dx, !fresh)
}
