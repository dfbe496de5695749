package tensor

import (
	"fmt"
	"slices"

	"github.com/convnet/convnet/internal/kernels"
)

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
		recordNode(out, readsOutput, reluBackward, x)
	case ActTanh:
		if n := recordNode(out, readsOutput, tanhBackward, x); n != nil {
			n.kind = opTanh
		}
	}
}

// Tanh returns the element-wise hyperbolic tangent of x.
func Tanh(x *Tensor) *Tensor {
	out := x.mode().empty(x.shape...)
	kernels.Tanh(x.data, out.data)
	recordActivation(out, ActTanh, x)
	return out
}

func tanhBackward(n *node, g []float32) {
	dx, fresh := gradOut(n.ins[0])
	kernels.TanhBackward(n.out.data, g, dx, !fresh)
}

// ReLU returns max(x, 0) element-wise.
func ReLU(x *Tensor) *Tensor {
	out := x.mode().empty(x.shape...)
	kernels.Relu(x.data, out.data)
	recordActivation(out, ActReLU, x)
	return out
}

func reluBackward(n *node, g []float32) {
	dx, fresh := gradOut(n.ins[0])
	kernels.ReluBackward(n.out.data, g, dx, !fresh)
}

// Mul returns the element-wise product of two tensors of the same shape.
func Mul(a, b *Tensor) *Tensor {
	sameShape("Mul", a, b)
	out := scopeOf(a, b, nil).empty(a.shape...)
	for i := range out.data {
		out.data[i] = a.data[i] * b.data[i]
	}
	record(out, func(g []float32) {
		if da := gradData(a); da != nil {
			for i, v := range g {
				da[i] += v * b.data[i]
			}
		}
		if db := gradData(b); db != nil {
			for i, v := range g {
				db[i] += v * a.data[i]
			}
		}
	}, a, b)
	return out
}

// Add returns the element-wise sum of two tensors of the same shape.
func Add(a, b *Tensor) *Tensor {
	sameShape("Add", a, b)
	out := scopeOf(a, b, nil).empty(a.shape...)
	copy(out.data, a.data)
	kernels.Add(b.data, out.data)
	record(out, func(g []float32) {
		if da := gradData(a); da != nil {
			kernels.Add(g, da)
		}
		if db := gradData(b); db != nil {
			kernels.Add(g, db)
		}
	}, a, b)
	return out
}

// Sum returns the sum of all elements as a one-element tensor.
func Sum(x *Tensor) *Tensor {
	var s float64
	for _, v := range x.data {
		s += float64(v)
	}
	out := x.mode().empty()
	out.data[0] = float32(s)
	record(out, func(g []float32) {
		if dx := gradData(x); dx != nil {
			for i := range dx {
				dx[i] += g[0]
			}
		}
	}, x)
	return out
}

func sameShape(op string, a, b *Tensor) {
	if !slices.Equal(a.shape, b.shape) {
		panic(fmt.Sprintf("tensor.%s: shapes %v and %v differ", op, a.shape, b.shape))
	}
}
