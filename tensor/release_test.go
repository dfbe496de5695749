package tensor

import "testing"

// TestRelease checks which results Release hands back: only arena storage
// that no recorded backward reads and no view shares.
func TestRelease(t *testing.T) {
	x := Full(0.5, 1, 1, 4, 4)
	w := Full(0.1, 2, 1, 3, 3).SetRequiresGrad(true)
	arena := NewArena()
	s := NewScope(ScopeOptions{Arena: arena})

	conv := Conv2d(s.Input(x), w, nil, [2]int{1, 1}, [2]int{1, 1})
	act := ReLU(conv)
	flat := Flatten(act)
	pooled := AvgPool2d(conv, [2]int{2, 2}, [2]int{2, 2}, [2]int{})
	for _, c := range []struct {
		name string
		t    *Tensor
		want bool
	}{
		{"the input (not from the arena)", x, false},
		{"a parameter", w, false},
		{"ReLU's output (its backward reads it)", act, false},
		{"a view", flat, false},
		{"average pooling's output", pooled, true},
		{"a convolution's output", conv, true},
		{"a released tensor", conv, false},
	} {
		if got := Release(c.t); got != c.want {
			t.Errorf("Release(%s) = %v, want %v", c.name, got, c.want)
		}
	}
	if conv.Data() != nil {
		t.Error("a released tensor still has data")
	}
	// The conv's output gradient still flows through the released tensor.
	Sum(act).Backward()
	if g := w.Grad().Data(); g[0] == 0 {
		t.Errorf("weight gradient %v after releasing the conv output", g)
	}
	// Without recording, nothing is kept for backward.
	infer := NewScope(ScopeOptions{NoGrad: true, Arena: arena})
	if a := ReLU(AvgPool2d(infer.Input(x), [2]int{2, 2}, [2]int{2, 2}, [2]int{})); !Release(a) {
		t.Error("an inference result was not released")
	}
	// Without an arena, nothing is released.
	if a := ReLU(AvgPool2d(NewScope(ScopeOptions{NoGrad: true}).Input(x), [2]int{2, 2}, [2]int{2, 2}, [2]int{})); Release(a) {
		t.Error("a result on the heap was released")
	}
}

// TestConvPoolReleasesConvOutput checks that a pooled convolution without
// an activation gives its output's storage back under an arena, and that
// its gradients are those it gives without one.
func TestConvPoolReleasesConvOutput(t *testing.T) {
	grads := func(s *Scope) []float32 {
		x := Full(0.5, 2, 1, 4, 4)
		for i := range x.data {
			x.data[i] = float32(i%5) - 2
		}
		w := Full(0.1, 2, 1, 3, 3).SetRequiresGrad(true)
		w.data[4] = -0.3
		out := Conv2dActPool(s.Input(x), w, nil, [2]int{1, 1}, [2]int{1, 1}, ActNone,
			Pooling{Max: true, Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}})
		if y := out.creator.ins[0]; s.Arena() != nil && y.data != nil {
			t.Error("the convolution's output was kept")
		}
		Sum(out).Backward()
		return w.Grad().Data()
	}
	want := grads(nil)
	got := grads(NewScope(ScopeOptions{Arena: NewArena()}))
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("weight gradient %v under an arena, %v without", got, want)
		}
	}
}
