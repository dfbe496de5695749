package tensor

import (
	"math"
	"sync"

	"github.com/convnet/convnet/internal/kernels"
)

// unaryOp names an element-wise activation of this file.
type unaryOp uint8

const (
	opSigmoid unaryOp = iota
	opHardtanh
	opLeakyReLU
	opHardsigmoid
	opHardswish
	opSiLU
	opGELU
	opGELUTanh
)

// readsOutput reports whether the op's backward needs only its output
// (else it reads its input).
func (op unaryOp) readsOutput() bool { return op == opSigmoid || op == opHardtanh }

// Sigmoid returns 1/(1+exp(-x)) element-wise.
func Sigmoid(x *Tensor) *Tensor { return unary(opSigmoid, x, 0, 0) }

// Hardtanh returns x clamped to [lo, hi] element-wise, as
// F.hardtanh(x, lo, hi); its gradient is 0 outside (lo, hi).
func Hardtanh(x *Tensor, lo, hi float32) *Tensor { return unary(opHardtanh, x, lo, hi) }

// ReLU6 returns min(max(x, 0), 6) element-wise (MobileNetV2's activation).
func ReLU6(x *Tensor) *Tensor { return unary(opHardtanh, x, 0, 6) }

// LeakyReLU returns x where x > 0 and slope*x elsewhere, as
// F.leaky_relu(x, slope) (PyTorch's default slope is 0.01).
func LeakyReLU(x *Tensor, slope float32) *Tensor { return unary(opLeakyReLU, x, slope, 0) }

// Hardsigmoid returns ReLU6(x+3)/6 element-wise, as F.hardsigmoid.
func Hardsigmoid(x *Tensor) *Tensor { return unary(opHardsigmoid, x, 0, 0) }

// Hardswish returns x*ReLU6(x+3)/6 element-wise, as F.hardswish
// (MobileNetV3's activation).
func Hardswish(x *Tensor) *Tensor { return unary(opHardswish, x, 0, 0) }

// SiLU returns x*sigmoid(x) element-wise (swish), as F.silu.
func SiLU(x *Tensor) *Tensor { return unary(opSiLU, x, 0, 0) }

// GELU returns x*Φ(x) element-wise, Φ the standard normal distribution
// function, as F.gelu(x) (approximate='none').
func GELU(x *Tensor) *Tensor { return unary(opGELU, x, 0, 0) }

// GELUTanh returns GELU's tanh approximation
// 0.5*x*(1+tanh(sqrt(2/π)*(x+0.044715*x³))), as F.gelu(x, approximate='tanh').
func GELUTanh(x *Tensor) *Tensor { return unary(opGELUTanh, x, 0, 0) }

func unary(op unaryOp, x *Tensor, p0, p1 float32) *Tensor {
	out := x.mode().empty(x.shape...)
	runUnary(&unaryTask{op: op, x: x.data, y: out.data, p0: p0, p1: p1})
	reads := readsInputs
	if op.readsOutput() {
		reads = readsOutput
	}
	if nd := recordNode(out, reads, unaryBackward, x); nd != nil {
		nd.sizes = [3]int{int(op), int(math.Float32bits(p0)), int(math.Float32bits(p1))}
	}
	return out
}

func unaryBackward(nd *node, g []float32) {
	dx, fresh := gradOut(nd.ins[0])
	if dx == nil {
		return
	}
	op := unaryOp(nd.sizes[0])
	t := &unaryTask{op: op, backward: true, add: !fresh, g: g, dx: dx,
		p0: math.Float32frombits(uint32(nd.sizes[1])), p1: math.Float32frombits(uint32(nd.sizes[2]))}
	if op.readsOutput() {
		t.y = nd.out.data
	} else {
		t.x = nd.ins[0].data
	}
	runUnary(t)
}

// unaryTask is one pass of an activation or of its backward over [0, n).
type unaryTask struct {
	op            unaryOp
	backward, add bool
	x, y, g, dx   []float32
	p0, p1        float32
	// run is the bound method do, made once per pooled task so that a
	// parallel pass allocates nothing.
	run func(lo, hi int)
}

var unaryTasks = sync.Pool{New: func() any { t := new(unaryTask); t.run = t.do; return t }}

// minParallel is the least number of elements worth splitting over threads.
const minParallel = 1 << 15

// runUnary runs the pass that t describes (on its own or split over
// threads); t itself is not kept.
func runUnary(t *unaryTask) {
	n := len(t.y)
	if t.backward {
		n = len(t.g)
	}
	if n < minParallel || kernels.Threads() == 1 {
		t.do(0, n)
		return
	}
	p := unaryTasks.Get().(*unaryTask)
	run := p.run
	*p = *t
	p.run = run
	kernels.Parallel(n, p.run)
	*p = unaryTask{run: run}
	unaryTasks.Put(p)
}

func (t *unaryTask) do(lo, hi int) {
	if t.backward {
		t.backwardRange(lo, hi)
		return
	}
	x, y := t.x[lo:hi], t.y[lo:hi]
	switch t.op {
	case opSigmoid:
		for i, v := range x {
			y[i] = sigmoid32(v)
		}
	case opHardtanh:
		for i, v := range x {
			y[i] = min(max(v, t.p0), t.p1)
		}
	case opLeakyReLU:
		for i, v := range x {
			if v > 0 {
				y[i] = v
			} else {
				y[i] = v * t.p0
			}
		}
	case opHardsigmoid:
		for i, v := range x {
			y[i] = min(max(v+3, 0), 6) / 6
		}
	case opHardswish:
		for i, v := range x {
			y[i] = v * min(max(v+3, 0), 6) / 6
		}
	case opSiLU:
		for i, v := range x {
			y[i] = v * sigmoid32(v)
		}
	case opGELU:
		for i, v := range x {
			y[i] = float32(float64(v) * 0.5 * (1 + math.Erf(float64(v)*sqrtHalf)))
		}
	case opGELUTanh:
		for i, v := range x {
			x64 := float64(v)
			y[i] = float32(0.5 * x64 * (1 + math.Tanh(geluBeta*(x64+geluKappa*x64*x64*x64))))
		}
	}
}

const (
	geluBeta  = 0.7978845608028654 // sqrt(2/π)
	geluKappa = 0.044715
	sqrtHalf  = 0.7071067811865476 // 1/sqrt(2)
)

func (t *unaryTask) backwardRange(lo, hi int) {
	g, dx := t.g[lo:hi], t.dx[lo:hi]
	var x, y []float32
	if t.op.readsOutput() {
		y = t.y[lo:hi]
	} else {
		x = t.x[lo:hi]
	}
	for i, gv := range g {
		var d float32
		switch t.op {
		case opSigmoid:
			d = gv * y[i] * (1 - y[i])
		case opHardtanh:
			if y[i] > t.p0 && y[i] < t.p1 {
				d = gv
			}
		case opLeakyReLU:
			if x[i] > 0 {
				d = gv
			} else {
				d = gv * t.p0
			}
		case opHardsigmoid:
			if x[i] > -3 && x[i] < 3 {
				d = gv / 6
			}
		case opHardswish:
			switch v := x[i]; {
			case v < -3:
			case v <= 3:
				d = gv * (v/3 + 0.5)
			default:
				d = gv
			}
		case opSiLU:
			s := sigmoid32(x[i])
			d = gv * s * (1 + x[i]*(1-s))
		case opGELU:
			v := float64(x[i])
			cdf := 0.5 * (1 + math.Erf(v*sqrtHalf))
			pdf := math.Exp(-0.5*v*v) / math.Sqrt(2*math.Pi)
			d = gv * float32(cdf+v*pdf)
		case opGELUTanh:
			v := float64(x[i])
			th := math.Tanh(geluBeta * (v + geluKappa*v*v*v))
			left, right := 0.5*v, 1+th
			d = gv * float32(0.5*right+left*(1-th*th)*geluBeta*(1+3*geluKappa*v*v))
		}
		if t.add {
			dx[i] += d
		} else {
			dx[i] = d
		}
	}
}

// sigmoid32 returns 1/(1+exp(-x)), without overflow for large |x|.
func sigmoid32(x float32) float32 {
	if x >= 0 {
		return 1 / (1 + kernels.Exp32(-x))
	}
	e := kernels.Exp32(x)
	return e / (1 + e)
}
