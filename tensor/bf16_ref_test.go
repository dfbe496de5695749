package tensor_test

import (
	"math"
	"testing"

	"github.com/convnet/convnet/internal/testref"
	"github.com/convnet/convnet/tensor"
)

// maxDiff is the largest difference of got from want, over want's scale.
func maxDiff(got, want []float32) float64 {
	d := 0.0
	for i := range want {
		d = max(d, math.Abs(float64(got[i]-want[i])))
	}
	return d / testref.Scale(want)
}

// TestBF16MatchesAutocast runs the network of
// testdata/make_bf16_reference.py in a BFloat16 scope and compares its
// logits, loss and gradients with torch.autocast's (CPU, bfloat16):
// within bf16's tolerance. (Autocast also rounds every activation to
// bf16, where convnet keeps them float32, so the two differ by a few
// roundings.) Float32 scopes are checked against the float32 figures on
// the way.
func TestBF16MatchesAutocast(t *testing.T) {
	ref := testref.Open(t, "bf16_autocast.safetensors")
	xv, xs := ref.F32("x")
	labels := ref.Ints("labels")
	names := []string{"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc.weight", "fc.bias"}
	for _, prec := range []tensor.Precision{tensor.Float32, tensor.BFloat16} {
		t.Run(prec.String(), func(t *testing.T) {
			ps := map[string]*tensor.Tensor{}
			for _, n := range names {
				ps[n] = param(ref, n)
			}
			s := tensor.NewScope(tensor.ScopeOptions{Precision: prec})
			x := s.Input(tensor.New(xv, xs...))
			h := tensor.AvgPool2d(tensor.ReLU(tensor.Conv2d(x, ps["conv1.weight"], ps["conv1.bias"], [2]int{1, 1}, [2]int{1, 1})),
				[2]int{2, 2}, [2]int{2, 2}, [2]int{})
			h = tensor.ReLU(tensor.Conv2d(h, ps["conv2.weight"], ps["conv2.bias"], [2]int{2, 2}, [2]int{}))
			logits := tensor.Linear(tensor.Flatten(h), ps["fc.weight"], ps["fc.bias"])
			loss := tensor.CrossEntropy(logits, labels)
			loss.Backward()

			own, other := "_bf16", "_fp32"
			gradKey, otherGrad := "grad.", "fp32grad."
			tol := 1e-2 // bf16 keeps 8 bits: 2^-9 relative, a few roundings deep
			if prec == tensor.Float32 {
				own, other, gradKey, otherGrad, tol = other, own, otherGrad, gradKey, 1e-5
			}
			check := func(what string, got []float32, key, otherKey string) {
				want, _ := ref.F32(key)
				far, _ := ref.F32(otherKey)
				d := maxDiff(got, want)
				if d > tol {
					t.Errorf("%s: differs from PyTorch's %s by %.3g of scale, want <= %g", what, key, d, tol)
				}
				t.Logf("%s: %.2g of scale from %s (%.2g from %s)", what, d, key, maxDiff(got, far), otherKey)
			}
			check("logits", logits.Data(), "logits"+own, "logits"+other)
			check("loss", loss.Data(), "loss"+own, "loss"+other)
			for _, n := range names {
				check(n+" gradient", ps[n].Grad().Data(), gradKey+n, otherGrad+n)
			}
		})
	}
}

// wideFormula gives the wide network's inputs and parameters as
// testdata/make_bf16_reference.py's WIDE does: shape, hashu's k, scale.
var wideFormula = map[string]struct {
	shape []int
	k     int
	scale float32
}{
	"x":             {[]int{2, 3, 28, 28}, 0, 1},
	"conv_a.weight": {[]int{32, 3, 3, 3}, 1, 0.2},
	"conv_a.bias":   {[]int{32}, 2, 0.05},
	"conv_b.weight": {[]int{128, 32, 3, 3}, 3, 0.06},
	"conv_b.bias":   {[]int{128}, 4, 0.05},
	"fc.weight":     {[]int{10, 128}, 5, 0.09},
	"fc.bias":       {[]int{10}, 6, 0.05},
}

// wideTensor is the tensor name stands for: testref.Hashu times its
// scale, in float32, as the script computes it.
func wideTensor(name string) *tensor.Tensor {
	f := wideFormula[name]
	n := 1
	for _, d := range f.shape {
		n *= d
	}
	v := testref.Hashu(f.k, n)
	for i := range v {
		v[i] *= f.scale
	}
	return tensor.New(v, f.shape...)
}

// TestBF16WideMatchesAutocast: the wide network of
// testdata/make_bf16_reference.py, whose 32→128 layer on 28×28 planes
// takes convnet's Winograd paths (without AMX, on operands rounded to
// bf16: forward, input and weight gradients), in a BFloat16 scope
// against torch.autocast's logits, loss and weight gradients; and in
// float32 against PyTorch's float32 logits, which shows that both sides
// built the same inputs.
func TestBF16WideMatchesAutocast(t *testing.T) {
	ref := testref.Open(t, "bf16_autocast.safetensors")
	for _, prec := range []tensor.Precision{tensor.Float32, tensor.BFloat16} {
		t.Run(prec.String(), func(t *testing.T) {
			ps := map[string]*tensor.Tensor{}
			for name := range wideFormula {
				if name != "x" {
					ps[name] = wideTensor(name).SetRequiresGrad(true)
				}
			}
			s := tensor.NewScope(tensor.ScopeOptions{Precision: prec})
			pad := [2]int{1, 1}
			h := tensor.ReLU(tensor.Conv2d(s.Input(wideTensor("x")), ps["conv_a.weight"], ps["conv_a.bias"], [2]int{1, 1}, pad))
			h = tensor.ReLU(tensor.Conv2d(h, ps["conv_b.weight"], ps["conv_b.bias"], [2]int{1, 1}, pad))
			logits := tensor.Linear(tensor.Flatten(tensor.AdaptiveAvgPool2d(h, [2]int{1, 1})), ps["fc.weight"], ps["fc.bias"])
			loss := tensor.CrossEntropy(logits, []int{3, 7})
			loss.Backward()

			check := func(what string, got []float32, key string, tol float64) {
				want, _ := ref.F32(key)
				if d := maxDiff(got, want); d > tol {
					t.Errorf("%s: differs from PyTorch's %s by %.3g of scale, want <= %g", what, key, d, tol)
				} else {
					t.Logf("%s: %.2g of scale from %s", what, d, key)
				}
			}
			if prec == tensor.Float32 {
				check("logits", logits.Data(), "wide.logits_fp32", 1e-5)
				return
			}
			// Autocast's activations and their gradients are bf16 as well,
			// here through a mean over 784 values: the weight gradients
			// differ by 0.7-1.0% of their scale, as much by bf16 GEMMs as
			// by Winograd's method.
			check("logits", logits.Data(), "wide.logits_bf16", 1e-2)
			check("loss", loss.Data(), "wide.loss_bf16", 1e-2)
			for _, name := range []string{"conv_a.weight", "conv_b.weight", "fc.weight"} {
				check(name+" gradient", ps[name].Grad().Data(), "wide.grad."+name, 2e-2)
			}
		})
	}
}
