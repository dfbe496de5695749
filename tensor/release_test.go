package tensor

import "testing"

// TestRelease checks which results Release hands back: only arena storage
// that no recorded backward reads and no view shares.
func TestRelease(t *testing.T) {
	x := Full(0.5, 1, 1, 4, 4)
	w := Full(0.1, 2, 1, 3, 3).SetRequiresGrad(true)
	arena := NewArena()
	defer UseArena(UseArena(arena))

	conv := Conv2d(x, w, nil, [2]int{1, 1}, [2]int{1, 1})
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
	NoGrad(func() {
		if a := ReLU(AvgPool2d(x, [2]int{2, 2}, [2]int{2, 2}, [2]int{})); !Release(a) {
			t.Error("an inference result was not released")
		}
	})
}
