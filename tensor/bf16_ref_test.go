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
