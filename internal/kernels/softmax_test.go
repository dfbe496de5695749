package kernels

import (
	"math"
	"testing"
)

// TestSoftmaxLargeLogits: ten equal logits of 1e30 are ten probabilities
// of 0.1; computing log-sum-exp as m + log s lost log s and gave 1 each.
func TestSoftmaxLargeLogits(t *testing.T) {
	for _, big := range []float32{1e30, -1e30, 3e38} {
		x := make([]float32, 10)
		for i := range x {
			x[i] = big
		}
		y := make([]float32, 10)
		SoftmaxRows(x, y, 1, 10)
		for i, p := range y {
			if math.Abs(float64(p)-0.1) > 1e-6 {
				t.Fatalf("logits %g: probability[%d] = %v, want 0.1", big, i, p)
			}
		}
	}
}
