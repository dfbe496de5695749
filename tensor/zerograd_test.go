package tensor

import (
	"slices"
	"testing"
)

// TestZeroGradIsLazyButExact checks that gradients after ZeroGrad read as
// zeros, that a linear layer's overwritten gradient equals a fresh one,
// and that gradients still accumulate across backward passes without
// ZeroGrad.
func TestZeroGradIsLazyButExact(t *testing.T) {
	x := New([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	w := New([]float32{0.5, -1, 2, 0.25, 1, -0.5}, 2, 3).SetRequiresGrad(true)
	b := New([]float32{0.1, -0.2}, 2).SetRequiresGrad(true)
	unused := New([]float32{7, 8}, 2).SetRequiresGrad(true)
	step := func() { Sum(Tanh(Linear(x, w, b))).Backward() }
	// unused gets a gradient only by being in a graph once.
	Sum(Mul(unused, unused)).Backward()

	step()
	wantW, wantB := slices.Clone(w.Grad().Data()), slices.Clone(b.Grad().Data())
	step() // accumulates
	for i, v := range w.Grad().Data() {
		if v != 2*wantW[i] {
			t.Fatalf("accumulated weight gradient %v, want twice %v", w.Grad().Data(), wantW)
		}
	}
	for _, p := range []*Tensor{w, b, unused} {
		p.ZeroGrad()
	}
	if g := unused.Grad().Data(); g[0] != 0 || g[1] != 0 {
		t.Fatalf("gradient after ZeroGrad = %v, want zeros", g)
	}
	step()
	if !slices.Equal(w.Grad().Data(), wantW) || !slices.Equal(b.Grad().Data(), wantB) {
		t.Fatalf("after ZeroGrad: weight gradient %v, bias %v; want %v, %v", w.Grad().Data(), b.Grad().Data(), wantW, wantB)
	}
}
