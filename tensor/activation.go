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
	opExp
	opLog
	opSqrt
	opAbs
	opPow
	opClamp
)

// unaryNames are the names a Tracer sees.
var unaryNames = [...]string{
	opSigmoid: "Sigmoid", opHardtanh: "Hardtanh", opLeakyReLU: "LeakyReLU", opHardsigmoid: "Hardsigmoid",
	opHardswish: "Hardswish", opSiLU: "SiLU", opGELU: "GELU", opGELUTanh: "GELUTanh", opExp: "Exp",
	opLog: "Log", opSqrt: "Sqrt", opAbs: "Abs", opPow: "Pow", opClamp: "Clamp",
}

// readsOutput reports whether the op's backward needs only its output
// (else it reads its input).
func (op unaryOp) readsOutput() bool {
	return op == opSigmoid || op == opHardtanh || op == opExp || op == opSqrt
}

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

// Exp returns e^x element-wise.
func Exp(x *Tensor) *Tensor { return unary(opExp, x, 0, 0) }

// Log returns the natural logarithm of x element-wise.
func Log(x *Tensor) *Tensor { return unary(opLog, x, 0, 0) }

// Sqrt returns the square root of x element-wise.
func Sqrt(x *Tensor) *Tensor { return unary(opSqrt, x, 0, 0) }

// Abs returns |x| element-wise; its gradient at 0 is 0, as PyTorch's.
func Abs(x *Tensor) *Tensor { return unary(opAbs, x, 0, 0) }

// Pow returns x^p element-wise, as x.pow(p) for a number p.
func Pow(x *Tensor, p float32) *Tensor { return unary(opPow, x, p, 0) }

// Clamp returns x clamped to [lo, hi] element-wise, as torch.clamp: unlike
// Hardtanh's, its gradient passes at lo and hi themselves.
func Clamp(x *Tensor, lo, hi float32) *Tensor { return unary(opClamp, x, lo, hi) }

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
	if s := out.mode(); s.tracing() {
		var attrs any
		switch op {
		case opHardtanh, opLeakyReLU, opPow, opClamp:
			attrs = UnaryAttrs{A: p0, B: p1}
		}
		s.traceOp(unaryNames[op], attrs, out, x)
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
	case opHardtanh, opClamp:
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
	case opExp:
		for i, v := range x {
			y[i] = float32(math.Exp(float64(v)))
		}
	case opLog:
		for i, v := range x {
			y[i] = float32(math.Log(float64(v)))
		}
	case opSqrt:
		for i, v := range x {
			y[i] = float32(math.Sqrt(float64(v)))
		}
	case opAbs:
		for i, v := range x {
			y[i] = float32(math.Abs(float64(v)))
		}
	case opPow:
		for i, v := range x {
			y[i] = float32(math.Pow(float64(v), float64(t.p0)))
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
	add := t.add
	// put stores the gradient of element i; the branch on add goes the
	// same way for the whole pass.
	put := func(i int, d float32) {
		if add {
			dx[i] += d
		} else {
			dx[i] = d
		}
	}
	switch t.op {
	case opSigmoid:
		for i, gv := range g {
			put(i, gv*y[i]*(1-y[i]))
		}
	case opHardtanh:
		lo, hi := t.p0, t.p1
		for i, gv := range g {
			if v := y[i]; v > lo && v < hi {
				put(i, gv)
			} else {
				put(i, 0)
			}
		}
	case opLeakyReLU:
		for i, gv := range g {
			if x[i] > 0 {
				put(i, gv)
			} else {
				put(i, gv*t.p0)
			}
		}
	case opHardsigmoid:
		for i, gv := range g {
			if v := x[i]; v > -3 && v < 3 {
				put(i, gv/6)
			} else {
				put(i, 0)
			}
		}
	case opHardswish:
		for i, gv := range g {
			switch v := x[i]; {
			case v < -3:
				put(i, 0)
			case v <= 3:
				put(i, gv*(v/3+0.5))
			default:
				put(i, gv)
			}
		}
	case opSiLU:
		for i, gv := range g {
			s := sigmoid32(x[i])
			put(i, gv*s*(1+x[i]*(1-s)))
		}
	case opGELU:
		for i, gv := range g {
			v := float64(x[i])
			cdf := 0.5 * (1 + math.Erf(v*sqrtHalf))
			pdf := math.Exp(-0.5*v*v) / math.Sqrt(2*math.Pi)
			put(i, gv*float32(cdf+v*pdf))
		}
	case opGELUTanh:
		for i, gv := range g {
			v := float64(x[i])
			th := math.Tanh(geluBeta * (v + geluKappa*v*v*v))
			put(i, gv*float32(0.5*(1+th)+0.5*v*(1-th*th)*geluBeta*(1+3*geluKappa*v*v)))
		}
	case opExp:
		for i, gv := range g {
			put(i, gv*y[i])
		}
	case opLog:
		for i, gv := range g {
			put(i, gv/x[i])
		}
	case opSqrt:
		for i, gv := range g {
			put(i, gv/(2*y[i]))
		}
	case opAbs:
		for i, gv := range g {
			switch v := x[i]; {
			case v > 0:
				put(i, gv)
			case v < 0:
				put(i, -gv)
			default:
				put(i, 0)
			}
		}
	case opClamp:
		lo, hi := t.p0, t.p1
		for i, gv := range g {
			if v := x[i]; v >= lo && v <= hi {
				put(i, gv)
			} else {
				put(i, 0)
			}
		}
	case opPow:
		p := float64(t.p0)
		for i, gv := range g {
			put(i, gv*float32(p*math.Pow(float64(x[i]), p-1)))
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
