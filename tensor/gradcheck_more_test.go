package tensor_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/convnet/convnet/tensor"
)

// gradCase is an operation on inputs whose gradients gradCheck checks.
type gradCase struct {
	name   string
	inputs []*tensor.Tensor
	op     func(in []*tensor.Tensor) *tensor.Tensor
}

// gradCheck checks, for every finite-difference test of the package, that
// the gradient Backward gives for L = sum(op(inputs) * w), w random,
// matches central differences of L in each input element that requires
// gradients.
func gradCheck(t *testing.T, r *rand.Rand, c gradCase) {
	t.Helper()
	var w *tensor.Tensor
	loss := func(s *tensor.Scope) *tensor.Tensor {
		in := c.inputs
		if s != nil {
			in = make([]*tensor.Tensor, len(c.inputs))
			for k, x := range c.inputs {
				in[k] = s.Input(x)
			}
		}
		y := c.op(in)
		if w == nil {
			w = randTensor(r, y.Shape()...).SetRequiresGrad(false)
		}
		return tensor.Sum(tensor.Mul(y, w))
	}
	loss(nil).Backward()
	noGrad := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
	const h = 1e-3
	for k, in := range c.inputs {
		if !in.RequiresGrad() {
			continue
		}
		if in.Grad() == nil {
			t.Errorf("input %d has no gradient", k)
			continue
		}
		for i := range in.Data() {
			v := in.Data()[i]
			in.Data()[i] = v + h
			plus := loss(noGrad).Item()
			in.Data()[i] = v - h
			minus := loss(noGrad).Item()
			in.Data()[i] = v
			numeric := float64(plus-minus) / (2 * h)
			analytic := float64(in.Grad().Data()[i])
			if math.Abs(numeric-analytic) > 2e-2*(1+math.Abs(numeric)) {
				t.Errorf("input %d element %d: backward gives %.5f, finite differences %.5f", k, i, analytic, numeric)
			}
		}
	}
}

// awayFrom returns a random tensor whose elements are at least 0.05 from
// each of the points (kinks of a piecewise activation), so that finite
// differences do not straddle one.
func awayFrom(r *rand.Rand, scale float32, points []float32, shape ...int) *tensor.Tensor {
	t := randTensor(r, shape...)
	for i := range t.Data() {
	again:
		v := (r.Float32()*2 - 1) * scale
		for _, p := range points {
			if math.Abs(float64(v-p)) < 0.05 {
				goto again
			}
		}
		t.Data()[i] = v
	}
	return t
}

func one(f func(*tensor.Tensor) *tensor.Tensor) func([]*tensor.Tensor) *tensor.Tensor {
	return func(in []*tensor.Tensor) *tensor.Tensor { return f(in[0]) }
}

func two(f func(a, b *tensor.Tensor) *tensor.Tensor) func([]*tensor.Tensor) *tensor.Tensor {
	return func(in []*tensor.Tensor) *tensor.Tensor { return f(in[0], in[1]) }
}

// positive returns a random tensor with elements in [0.5, 1.5], for
// divisors.
func positive(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := randTensor(r, shape...)
	for i, v := range t.Data() {
		t.Data()[i] = 1 + v/2
	}
	return t
}

func TestMoreGradientsMatchFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	rt := func(shape ...int) *tensor.Tensor { return randTensor(r, shape...) }
	labels := []int{0, 4, 2, 2}
	cases := []gradCase{
		// Broadcasting arithmetic, both ways round and with a leading
		// dimension missing.
		{"add bias", []*tensor.Tensor{rt(2, 3, 2, 2), rt(3, 1, 1)}, two(tensor.Add)},
		{"add row col", []*tensor.Tensor{rt(3, 1), rt(1, 4)}, two(tensor.Add)},
		{"sub", []*tensor.Tensor{rt(2, 3), rt(2, 3)}, two(tensor.Sub)},
		{"sub broadcast", []*tensor.Tensor{rt(4), rt(3, 4)}, two(tensor.Sub)},
		{"mul broadcast", []*tensor.Tensor{rt(2, 3, 4), rt(2, 1, 4)}, two(tensor.Mul)},
		{"mul scalar tensor", []*tensor.Tensor{rt(2, 3), rt(1)}, two(tensor.Mul)},
		{"mul itself", []*tensor.Tensor{rt(2, 3)}, func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Mul(in[0], in[0]) }},
		{"div", []*tensor.Tensor{rt(2, 3), positive(r, 2, 3)}, two(tensor.Div)},
		{"div broadcast", []*tensor.Tensor{rt(2, 3, 2), positive(r, 3, 1)}, two(tensor.Div)},
		// Intermediate inputs, whose gradients are written fresh.
		{"same-shape ops of intermediates", []*tensor.Tensor{rt(2, 3), positive(r, 2, 3)}, two(func(a, b *tensor.Tensor) *tensor.Tensor {
			a2, b2 := tensor.MulScalar(a, 1.5), tensor.AddScalar(b, 0.25)
			return tensor.Add(tensor.Div(a2, b2), tensor.Mul(tensor.Sub(b2, a2), tensor.Neg(a2)))
		})},
		{"broadcast ops of intermediates", []*tensor.Tensor{rt(2, 3), positive(r, 3)}, two(func(a, b *tensor.Tensor) *tensor.Tensor {
			a2, b2 := tensor.MulScalar(a, 1.5), tensor.AddScalar(b, 0.25)
			return tensor.Add(tensor.Div(a2, b2), tensor.Mul(tensor.Sub(b2, a2), b2))
		})},
		{"add scalar", []*tensor.Tensor{rt(2, 3)}, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.AddScalar(x, 1.5) })},
		{"mul scalar", []*tensor.Tensor{rt(2, 3)}, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.MulScalar(x, -2.5) })},
		{"neg", []*tensor.Tensor{rt(5)}, one(tensor.Neg)},
		// Reductions.
		{"mean", []*tensor.Tensor{rt(3, 4)}, one(tensor.Mean)},
		{"sum dims 0 2", []*tensor.Tensor{rt(2, 3, 4)}, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.SumDims(x, []int{0, 2}, false) })},
		{"sum dim -1 keep", []*tensor.Tensor{rt(2, 3, 4)}, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.SumDims(x, []int{-1}, true) })},
		{"mean dims 2 3 keep", []*tensor.Tensor{rt(2, 3, 2, 3)}, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.MeanDims(x, []int{2, 3}, true) })},
		{"mean dim 1", []*tensor.Tensor{rt(2, 3, 4)}, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.MeanDims(x, []int{1}, false) })},
		{"mean all dims", []*tensor.Tensor{rt(2, 3)}, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.MeanDims(x, nil, false) })},
		{"amax dim 1 keep", []*tensor.Tensor{rt(2, 3, 4)}, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.AmaxDims(x, []int{1}, true) })},
		{"amin dims 0 2", []*tensor.Tensor{rt(2, 3, 4)}, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.AminDims(x, []int{0, -1}, false) })},
		{"amax of intermediate", []*tensor.Tensor{rt(3, 4)}, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.AmaxDims(tensor.MulScalar(x, 2), nil, false) })},
		{"expand", []*tensor.Tensor{rt(3, 1)}, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Expand(x, 2, -1, 4) })},
		{"clamp", []*tensor.Tensor{awayFrom(r, 2, []float32{-0.5, 0.8}, 3, 5)},
			one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Clamp(x, -0.5, 0.8) })},
		// Joining and cutting.
		{"cat dim 1", []*tensor.Tensor{rt(2, 1, 3), rt(2, 2, 3), rt(2, 3, 3)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Cat(in, 1) }},
		{"cat dim 0", []*tensor.Tensor{rt(1, 3), rt(2, 3)}, func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Cat(in, 0) }},
		{"cat dim -1 repeated input", []*tensor.Tensor{rt(2, 2)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Cat([]*tensor.Tensor{in[0], in[0]}, -1) }},
		{"stack dim 1", []*tensor.Tensor{rt(2, 3), rt(2, 3)}, func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Stack(in, 1) }},
		{"stack dim -1", []*tensor.Tensor{rt(2, 3), rt(2, 3)}, func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Stack(in, -1) }},
		{"narrow", []*tensor.Tensor{rt(2, 5, 3)}, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Narrow(x, 1, 1, 3) })},
		{"split and join", []*tensor.Tensor{rt(2, 5)}, one(func(x *tensor.Tensor) *tensor.Tensor {
			p := tensor.Split(x, 2, 1) // 2, 2, 1
			return tensor.Cat([]*tensor.Tensor{tensor.Mul(p[0], p[1]), p[2]}, 1)
		})},
		{"chunk", []*tensor.Tensor{rt(4, 3)}, one(func(x *tensor.Tensor) *tensor.Tensor {
			p := tensor.Chunk(x, 2, 0)
			return tensor.Sub(p[0], p[1])
		})},
		{"split sizes", []*tensor.Tensor{rt(3, 6)}, one(func(x *tensor.Tensor) *tensor.Tensor {
			p := tensor.SplitSizes(x, []int{1, 3, 2}, -1)
			return tensor.Add(p[1], p[0]) // 3×3 + 3×1
		})},
		// Moving dimensions.
		{"permute", []*tensor.Tensor{rt(2, 3, 4)}, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Permute(x, 2, 0, 1) })},
		{"permute nchw nhwc", []*tensor.Tensor{rt(2, 3, 2, 2)}, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Permute(x, 0, 2, 3, -3) })},
		{"transpose", []*tensor.Tensor{rt(3, 4)}, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Transpose(x, 0, 1) })},
		{"view -1", []*tensor.Tensor{rt(2, 3, 4)}, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.View(x, -1, 4) })},
		{"unsqueeze squeeze", []*tensor.Tensor{rt(2, 3)}, one(func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.Mul(tensor.Unsqueeze(x, 1), tensor.Squeeze(tensor.Unsqueeze(x, 0), 0))
		})},
		// Activations, away from their kinks.
		{"sigmoid", []*tensor.Tensor{randTensor(r, 3, 5)}, one(tensor.Sigmoid)},
		{"relu6", []*tensor.Tensor{awayFrom(r, 8, []float32{0, 6}, 3, 5)}, one(tensor.ReLU6)},
		{"hardtanh", []*tensor.Tensor{awayFrom(r, 2, []float32{-0.5, 1}, 3, 5)},
			one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Hardtanh(x, -0.5, 1) })},
		{"leaky_relu", []*tensor.Tensor{awayFrom(r, 1, []float32{0}, 3, 5)},
			one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.LeakyReLU(x, 0.1) })},
		{"hardsigmoid", []*tensor.Tensor{awayFrom(r, 5, []float32{-3, 3}, 3, 5)}, one(tensor.Hardsigmoid)},
		{"hardswish", []*tensor.Tensor{awayFrom(r, 5, []float32{-3, 3}, 3, 5)}, one(tensor.Hardswish)},
		{"silu", []*tensor.Tensor{randTensor(r, 3, 5)}, one(tensor.SiLU)},
		{"gelu", []*tensor.Tensor{awayFrom(r, 3, nil, 3, 5)}, one(tensor.GELU)},
		{"gelu tanh", []*tensor.Tensor{awayFrom(r, 3, nil, 3, 5)}, one(tensor.GELUTanh)},
		{"exp", []*tensor.Tensor{rt(3, 4)}, one(tensor.Exp)},
		{"log", []*tensor.Tensor{positive(r, 3, 4)}, one(tensor.Log)},
		{"sqrt", []*tensor.Tensor{positive(r, 3, 4)}, one(tensor.Sqrt)},
		{"abs", []*tensor.Tensor{awayFrom(r, 1, []float32{0}, 3, 4)}, one(tensor.Abs)},
		{"pow", []*tensor.Tensor{positive(r, 3, 4)}, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Pow(x, 2.5) })},
		{"softmax dim 1 of 3", []*tensor.Tensor{rt(2, 4, 3)}, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Softmax(x, 1) })},
		{"log_softmax dim 0", []*tensor.Tensor{rt(4, 3)}, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.LogSoftmax(x, 0) })},
		// Losses.
		{"nll_loss", []*tensor.Tensor{rt(4, 5)}, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.NLLLoss(tensor.LogSoftmax(x, 1), labels) })},
		{"nll_loss weighted sum", []*tensor.Tensor{rt(4, 5)}, one(func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.NLLLossWith(x, labels, tensor.LossOptions{Weight: []float32{1, 2, 0.5, 3, 1}, Reduction: tensor.ReduceSum})
		})},
		{"cross_entropy smoothing weights", []*tensor.Tensor{rt(4, 5)}, one(func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.CrossEntropyWith(x, labels, tensor.LossOptions{Weight: []float32{1, 2, 0.5, 3, 1}, LabelSmoothing: 0.2})
		})},
		{"cross_entropy ignore", []*tensor.Tensor{rt(4, 5)}, one(func(x *tensor.Tensor) *tensor.Tensor {
			ignore := -100
			return tensor.CrossEntropyWith(x, []int{0, -100, 2, 3}, tensor.LossOptions{Weight: []float32{1, 2, 0.5, 3, 1}, LabelSmoothing: 0.2, IgnoreIndex: &ignore})
		})},
		{"cross_entropy none", []*tensor.Tensor{rt(4, 5)}, one(func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.CrossEntropyWith(x, labels, tensor.LossOptions{LabelSmoothing: 0.1, Reduction: tensor.ReduceNone})
		})},
		{"mse", []*tensor.Tensor{rt(3, 4), rt(3, 4)}, two(func(a, b *tensor.Tensor) *tensor.Tensor { return tensor.MSELoss(a, b, tensor.ReduceMean) })},
		{"mse none", []*tensor.Tensor{rt(3, 4), rt(3, 4)}, two(func(a, b *tensor.Tensor) *tensor.Tensor { return tensor.MSELoss(a, b, tensor.ReduceNone) })},
		{"smooth_l1", []*tensor.Tensor{awayFrom(r, 3, []float32{-0.5, 0.5}, 3, 4), tensor.Zeros(3, 4).SetRequiresGrad(true)},
			two(func(a, b *tensor.Tensor) *tensor.Tensor { return tensor.SmoothL1Loss(a, b, 0.5, tensor.ReduceSum) })},
		{"bce_with_logits", []*tensor.Tensor{rt(3, 4), positive(r, 3, 4)},
			two(func(a, b *tensor.Tensor) *tensor.Tensor {
				return tensor.BCEWithLogits(a, tensor.MulScalar(b, 0.5), tensor.ReduceMean)
			})},
		{"bce_with_logits weights", []*tensor.Tensor{rt(3, 4), positive(r, 3, 4)},
			two(func(a, b *tensor.Tensor) *tensor.Tensor {
				return tensor.BCEWithLogitsWith(a, tensor.MulScalar(b, 0.5), tensor.BCEOptions{
					Weight: tensor.New([]float32{0.5, 2, 1}, 3, 1), PosWeight: tensor.New([]float32{1, 3, 0.5, 2}, 4), Reduction: tensor.ReduceSum})
			})},
		// The custom-op API: a Function of two inputs.
		{"function", []*tensor.Tensor{rt(2, 3), rt(2, 3)}, two(func(a, b *tensor.Tensor) *tensor.Tensor { return mulAdd.Apply(a, b) })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { gradCheck(t, r, c) })
	}
}

// mulAdd is a*b + a, from Go, with its backward.
var mulAdd = &tensor.Function{
	Name: "MulAdd",
	Forward: func(ctx *tensor.FunctionContext, in ...*tensor.Tensor) *tensor.Tensor {
		return tensor.Add(tensor.Mul(in[0], in[1]), in[0])
	},
	Backward: func(ctx *tensor.FunctionContext, g *tensor.Tensor) []*tensor.Tensor {
		a, b := ctx.Inputs()[0], ctx.Inputs()[1]
		return []*tensor.Tensor{tensor.Mul(g, tensor.AddScalar(b, 1)), tensor.Mul(g, a)}
	},
}

// TestShapeErrors checks that bad shapes panic with a message naming the
// operation.
func TestShapeErrors(t *testing.T) {
	x := tensor.Zeros(2, 3)
	for name, f := range map[string]func(){
		"Reshape two -1":       func() { tensor.Reshape(x, -1, -1) },
		"Reshape wrong size":   func() { tensor.Reshape(x, 4, -1) },
		"Reshape 0 and -1":     func() { tensor.Reshape(tensor.Zeros(0, 3), 0, -1) },
		"Add not broadcasting": func() { tensor.Add(x, tensor.Zeros(2)) },
		"Cat other dims":       func() { tensor.Cat([]*tensor.Tensor{x, tensor.Zeros(3, 3)}, 1) },
		"Cat ranks":            func() { tensor.Cat([]*tensor.Tensor{x, tensor.Zeros(3)}, 0) },
		"Stack shapes":         func() { tensor.Stack([]*tensor.Tensor{x, tensor.Zeros(3, 2)}, 0) },
		"Narrow past the end":  func() { tensor.Narrow(x, 1, 2, 2) },
		"SplitSizes sum":       func() { tensor.SplitSizes(x, []int{1, 1}, 1) },
		"Permute repeated":     func() { tensor.Permute(x, 0, 0) },
		"SumDims out of range": func() { tensor.SumDims(x, []int{2}, false) },
		"Softmax dim":          func() { tensor.Softmax(x, 2) },
		"NLLLoss target":       func() { tensor.NLLLoss(x, []int{0, 3}) },
		"CrossEntropy weights": func() { tensor.CrossEntropyWith(x, []int{0, 1}, tensor.LossOptions{Weight: []float32{1}}) },
		"MSELoss shapes":       func() { tensor.MSELoss(x, tensor.Zeros(3, 2), tensor.ReduceMean) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil {
					t.Error("no panic")
				} else if s, ok := r.(string); !ok || !strings.HasPrefix(s, "tensor.") {
					t.Errorf("panic %v does not name the operation", r)
				}
			}()
			f()
		})
	}
	// Shapes that are fine.
	if got := tensor.Reshape(tensor.Zeros(0, 3), -1, 3).Shape(); fmt.Sprint(got) != "[0 3]" {
		t.Errorf("Reshape of an empty tensor: %v", got)
	}
	if got := tensor.Add(tensor.Zeros(2, 1, 3), tensor.Zeros(4, 1)).Shape(); fmt.Sprint(got) != "[2 4 3]" {
		t.Errorf("broadcast shape %v, want [2 4 3]", got)
	}
	if got := tensor.MeanDims(tensor.Zeros(2, 3, 4, 5), []int{1, 3}, false).Shape(); fmt.Sprint(got) != "[2 4]" {
		t.Errorf("MeanDims shape %v, want [2 4]", got)
	}
	if parts := tensor.Chunk(tensor.Zeros(5, 2), 3, 0); len(parts) != 3 || parts[2].Size(0) != 1 {
		t.Errorf("Chunk(5 rows, 3) gives %d parts", len(parts))
	}
}
