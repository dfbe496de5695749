package tensor

import (
	"math"
	"slices"

	"github.com/convnet/convnet/internal/kernels"
)

// binaryOp names an element-wise operation of two tensors.
type binaryOp uint8

const (
	opAdd binaryOp = iota
	opSub
	opMul
	opDiv
)

var binaryNames = [...]string{opAdd: "Add", opSub: "Sub", opMul: "Mul", opDiv: "Div"}

// Add returns a + b element-wise. The shapes broadcast as in PyTorch
// (aligned at the right, a dimension of size 1 or a missing one stretched
// to the other's): a bias of shape C×1×1 adds to N×C×H×W.
func Add(a, b *Tensor) *Tensor { return binary(opAdd, a, b) }

// Sub returns a - b element-wise, the shapes broadcast (see Add).
func Sub(a, b *Tensor) *Tensor { return binary(opSub, a, b) }

// Mul returns the element-wise product a * b, the shapes broadcast (see
// Add).
func Mul(a, b *Tensor) *Tensor { return binary(opMul, a, b) }

// Div returns a / b element-wise, the shapes broadcast (see Add).
func Div(a, b *Tensor) *Tensor { return binary(opDiv, a, b) }

func binary(op binaryOp, a, b *Tensor) *Tensor {
	s := scopeOf(a, b, nil)
	out := broadcastBinary(s, op, a, b)
	if s.tracing() {
		s.traceOp(binaryNames[op], nil, out, a, b)
	}
	return out
}

// broadcastBinary is binary, untraced.
func broadcastBinary(s *Scope, op binaryOp, a, b *Tensor) *Tensor {
	if slices.Equal(a.shape, b.shape) {
		return sameShapeBinary(s, op, a, b)
	}
	var buf [8]int
	shape := broadcastShape(binaryNames[op], a.shape, b.shape, buf[:])
	out := s.empty(shape...)
	l := broadcastLoop(binaryNames[op], a, b, shape)
	n, sa, sb := l.n(), l.inner(1), l.inner(2)
	o, x, y := out.data, a.data, b.data
	for r := l.rows(); r > 0; r-- {
		oo, xo, yo := o[l.off[0]:l.off[0]+n], x[l.off[1]:], y[l.off[2]:]
		switch op {
		case opAdd:
			for i := range oo {
				oo[i] = xo[i*sa] + yo[i*sb]
			}
		case opSub:
			for i := range oo {
				oo[i] = xo[i*sa] - yo[i*sb]
			}
		case opMul:
			for i := range oo {
				oo[i] = xo[i*sa] * yo[i*sb]
			}
		case opDiv:
			for i := range oo {
				oo[i] = xo[i*sa] / yo[i*sb]
			}
		}
		l.next()
	}
	reads := dataUse(readsInputs)
	if op == opAdd || op == opSub {
		reads = 0
	}
	if nd := recordNode(out, reads, broadcastBackward, a, b); nd != nil {
		nd.sizes[0] = int(op)
	}
	return out
}

// broadcastLoop returns the loop over shape with the operands out
// (contiguous), a and b (broadcast).
func broadcastLoop(op string, a, b *Tensor, shape []int) stridedLoop {
	var so, sa, sb [maxLoopDims]int
	if len(shape) > maxLoopDims {
		return newStridedLoop(op, shape, contiguousStrides(shape, make([]int, len(shape))),
			broadcastStrides(a.shape, shape, make([]int, len(shape))), broadcastStrides(b.shape, shape, make([]int, len(shape))))
	}
	r := len(shape)
	return newStridedLoop(op, shape, contiguousStrides(shape, so[:r]), broadcastStrides(a.shape, shape, sa[:r]), broadcastStrides(b.shape, shape, sb[:r]))
}

// broadcastBackward adds the gradients of a broadcasting binary operation
// into its inputs: each input's gradient sums the output gradient over
// the dimensions that input was stretched along.
func broadcastBackward(nd *node, g []float32) {
	op := binaryOp(nd.sizes[0])
	a, b, out := nd.ins[0], nd.ins[1], nd.out
	for k, t := range [2]*Tensor{a, b} {
		d, fresh := gradOut(t)
		if d == nil {
			continue
		}
		if fresh {
			clear(d)
		}
		l := broadcastLoop(binaryNames[op], a, b, out.shape)
		n, sa, sb := l.n(), l.inner(1), l.inner(2)
		sd := sa
		if k == 1 {
			sd = sb
		}
		for r := l.rows(); r > 0; r-- {
			gg := g[l.off[0] : l.off[0]+n]
			dd := d[l.off[1+k]:]
			switch {
			case op == opAdd || op == opSub && k == 0:
				if sd == 0 {
					var s float32
					for _, v := range gg {
						s += v
					}
					dd[0] += s
				} else {
					for i, v := range gg {
						dd[i*sd] += v
					}
				}
			case op == opSub:
				for i, v := range gg {
					dd[i*sd] -= v
				}
			case op == opMul:
				other, so := b.data[l.off[2]:], sb
				if k == 1 {
					other, so = a.data[l.off[1]:], sa
				}
				for i, v := range gg {
					dd[i*sd] += v * other[i*so]
				}
			case op == opDiv && k == 0:
				y := b.data[l.off[2]:]
				for i, v := range gg {
					dd[i*sd] += v / y[i*sb]
				}
			case op == opDiv:
				x, y := a.data[l.off[1]:], b.data[l.off[2]:]
				for i, v := range gg {
					q := y[i*sb]
					dd[i*sd] -= v * x[i*sa] / (q * q)
				}
			}
			l.next()
		}
	}
}

// sameShapeBinary is the operation on two tensors of one shape: one pass
// over contiguous storage.
func sameShapeBinary(s *Scope, op binaryOp, a, b *Tensor) *Tensor {
	out := s.empty(a.shape...)
	o := out.data
	x, y := a.data[:len(o)], b.data[:len(o)]
	switch op {
	case opAdd:
		kernels.AddInto(x, y, o)
		recordNode(out, 0, addBackward, a, b)
		return out
	case opSub:
		for i := range o {
			o[i] = x[i] - y[i]
		}
	case opMul:
		for i := range o {
			o[i] = x[i] * y[i]
		}
	case opDiv:
		for i := range o {
			o[i] = x[i] / y[i]
		}
	}
	reads := dataUse(readsInputs)
	if op == opSub {
		reads = 0
	}
	if nd := recordNode(out, reads, sameShapeBackward, a, b); nd != nil {
		nd.sizes[0] = int(op)
	}
	return out
}

func addBackward(nd *node, g []float32) {
	for _, t := range nd.ins[:2] {
		switch d, fresh := gradOut(t); {
		case d == nil:
		case fresh:
			copy(d, g)
		default:
			kernels.Add(g, d)
		}
	}
}

func sameShapeBackward(nd *node, g []float32) {
	op := binaryOp(nd.sizes[0])
	a, b := nd.ins[0], nd.ins[1]
	// The data of the inputs, which Sub's backward does not read (it may
	// have been released).
	var x, y []float32
	if op != opSub {
		x, y = a.data[:len(g)], b.data[:len(g)]
	}
	if d, fresh := gradOut(a); d != nil {
		d = d[:len(g)]
		switch {
		case op == opSub && fresh:
			copy(d, g)
		case op == opSub:
			kernels.Add(g, d)
		case op == opMul && fresh:
			for i, v := range g {
				d[i] = v * y[i]
			}
		case op == opMul:
			for i, v := range g {
				d[i] += v * y[i]
			}
		case op == opDiv && fresh:
			for i, v := range g {
				d[i] = v / y[i]
			}
		case op == opDiv:
			for i, v := range g {
				d[i] += v / y[i]
			}
		}
	}
	if d, fresh := gradOut(b); d != nil {
		d = d[:len(g)]
		switch {
		case op == opSub && fresh:
			for i, v := range g {
				d[i] = -v
			}
		case op == opSub:
			for i, v := range g {
				d[i] -= v
			}
		case op == opMul && fresh:
			for i, v := range g {
				d[i] = v * x[i]
			}
		case op == opMul:
			for i, v := range g {
				d[i] += v * x[i]
			}
		case op == opDiv:
			if fresh {
				clear(d)
			}
			for i, v := range g {
				q := y[i]
				d[i] -= v * x[i] / (q * q)
			}
		}
	}
}

// AddScalar returns x + c element-wise.
func AddScalar(x *Tensor, c float32) *Tensor { return scalarOp(x, c, false) }

// MulScalar returns x * c element-wise.
func MulScalar(x *Tensor, c float32) *Tensor { return scalarOp(x, c, true) }

// Neg returns -x element-wise.
func Neg(x *Tensor) *Tensor { return scalarOp(x, -1, true) }

func scalarOp(x *Tensor, c float32, mul bool) *Tensor {
	out := x.mode().empty(x.shape...)
	if mul {
		for i, v := range x.data {
			out.data[i] = v * c
		}
	} else {
		for i, v := range x.data {
			out.data[i] = v + c
		}
	}
	if nd := recordNode(out, 0, scalarBackward, x); nd != nil {
		nd.sizes[0] = int(math.Float32bits(c))
		if mul {
			nd.sizes[1] = 1
		}
	}
	if s := out.mode(); s.tracing() {
		name := "AddScalar"
		if mul {
			name = "MulScalar"
		}
		s.traceOp(name, c, out, x)
	}
	return out
}

func scalarBackward(nd *node, g []float32) {
	d, fresh := gradOut(nd.ins[0])
	if d == nil {
		return
	}
	c, mul := math.Float32frombits(uint32(nd.sizes[0])), nd.sizes[1] == 1
	switch {
	case !mul && fresh:
		copy(d, g)
	case !mul:
		kernels.Add(g, d)
	case fresh:
		for i, v := range g {
			d[i] = v * c
		}
	default:
		for i, v := range g {
			d[i] += v * c
		}
	}
}
