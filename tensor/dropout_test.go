package tensor_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/convnet/convnet/tensor"
)

func dropoutInput(n int) *tensor.Tensor {
	r := rand.New(rand.NewPCG(21, 22))
	x := tensor.Zeros(n)
	for i := range x.Data() {
		x.Data()[i] = r.Float32() + 0.5 // never zero
	}
	return x.SetRequiresGrad(true)
}

func TestDropoutEvalAndZeroAreIdentity(t *testing.T) {
	x := dropoutInput(100)
	rng := rand.New(rand.NewPCG(1, 1))
	if y := tensor.Dropout(x, 0.5, false, rng); y != x {
		t.Error("evaluation did not return x itself")
	}
	if y := tensor.Dropout(x, 0, true, rng); y != x {
		t.Error("p = 0 did not return x itself")
	}
}

// TestDropoutTraining checks on a large tensor that about p of the
// elements are zeroed, the rest scaled by 1/(1-p), and that backward uses
// the same mask.
func TestDropoutTraining(t *testing.T) {
	const n = 200000
	for _, p := range []float64{0.1, 0.5, 0.8} {
		x := dropoutInput(n)
		y := tensor.Dropout(x, p, true, rand.New(rand.NewPCG(2, 3)))
		scale := float32(1 / (1 - p))
		zeros := 0
		for i, v := range y.Data() {
			switch v {
			case 0:
				zeros++
			case x.Data()[i] * scale:
			default:
				t.Fatalf("p=%v: y[%d] = %v, neither 0 nor x/(1-p) = %v", p, i, v, x.Data()[i]*scale)
			}
		}
		// Binomial: 6 standard deviations.
		if frac, sd := float64(zeros)/n, math.Sqrt(p*(1-p)/n); math.Abs(frac-p) > 6*sd {
			t.Errorf("p=%v: %.4f of elements zeroed", p, frac)
		}
		dy := tensor.Zeros(n)
		for i := range dy.Data() {
			dy.Data()[i] = float32(i%7) - 3
		}
		tensor.Sum(tensor.Mul(y, dy)).Backward()
		for i, g := range x.Grad().Data() {
			want := dy.Data()[i] * scale
			if y.Data()[i] == 0 {
				want = 0
			}
			if g != want {
				t.Fatalf("p=%v: dx[%d] = %v, want %v", p, i, g, want)
			}
		}
	}
}

// TestDropoutChained checks the gradient of an intermediate result (stored
// fresh, not added): d/dx sum(dropout(tanh(x))) = mask*(1-tanh²).
func TestDropoutChained(t *testing.T) {
	x := dropoutInput(1000)
	h := tensor.Tanh(x)
	y := tensor.Dropout(h, 0.3, true, rand.New(rand.NewPCG(4, 5)))
	hv := slices.Clone(h.Data())
	tensor.Sum(y).Backward()
	for i, g := range x.Grad().Data() {
		var want float32
		if y.Data()[i] != 0 {
			want = y.Data()[i] / hv[i] * (1 - hv[i]*hv[i])
		}
		if math.Abs(float64(g-want)) > 1e-6 {
			t.Fatalf("dx[%d] = %v, want %v", i, g, want)
		}
	}
}

func TestDropoutSeedAndOne(t *testing.T) {
	x := dropoutInput(1000)
	a := tensor.Dropout(x, 0.5, true, rand.New(rand.NewPCG(7, 7)))
	b := tensor.Dropout(x, 0.5, true, rand.New(rand.NewPCG(7, 7)))
	if !slices.Equal(a.Data(), b.Data()) {
		t.Error("the same seed gave different masks")
	}
	c := tensor.Dropout(tensor.NewScope(tensor.ScopeOptions{NoGrad: true}).Input(x), 0.5, true, rand.New(rand.NewPCG(7, 7)))
	if !slices.Equal(a.Data(), c.Data()) || c.RequiresGrad() {
		t.Error("under NoGrad: a different mask, or a graph node")
	}
	one := tensor.Dropout(x, 1, true, nil) // nil: the global generator
	for i, v := range one.Data() {
		if v != 0 {
			t.Fatalf("p = 1: y[%d] = %v, want 0", i, v)
		}
	}
	tensor.Sum(one).Backward()
	for i, g := range x.Grad().Data() {
		if g != 0 {
			t.Fatalf("p = 1: dx[%d] = %v, want 0", i, g)
		}
	}
}

func TestDropoutBadProbabilityPanics(t *testing.T) {
	x := dropoutInput(4)
	for _, p := range []float64{-0.1, 1.5, math.NaN()} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, "between 0 and 1") {
					t.Errorf("p=%v: panic %q", p, msg)
				}
			}()
			tensor.Dropout(x, p, false, nil)
		}()
	}
}
