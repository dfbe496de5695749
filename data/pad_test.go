package data_test

import (
	"testing"

	"github.com/convnet/convnet/data"
)

// grid is a dataset of one 1×2×3 example holding 1..6.
type grid struct{}

func (grid) Len() int     { return 1 }
func (grid) Shape() []int { return []int{1, 2, 3} }
func (grid) Example(_ int, dst []float32) int {
	copy(dst, []float32{1, 2, 3, 4, 5, 6})
	return 4
}

func TestPad(t *testing.T) {
	p := data.Pad(grid{}, 1)
	if s := p.Shape(); s[0] != 1 || s[1] != 4 || s[2] != 5 {
		t.Fatalf("shape %v, want [1 4 5]", s)
	}
	dst := make([]float32, 20)
	for i := range dst {
		dst[i] = -1
	}
	if label := p.Example(0, dst); label != 4 {
		t.Errorf("label %d, want 4", label)
	}
	want := []float32{0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0}
	for i := range want {
		if dst[i] != want[i] {
			t.Fatalf("padded example %v, want %v", dst, want)
		}
	}
}

func TestSetEpochRepeatsAnOrder(t *testing.T) {
	first := func(l *data.Loader) float32 {
		for b := range l.Batches() {
			return b.X.Data()[0]
		}
		return -1
	}
	a := data.NewLoader(counting(50), data.LoaderOptions{BatchSize: 5, Shuffle: true, Seed: 3})
	first(a)
	second := first(a)
	b := data.NewLoader(counting(50), data.LoaderOptions{BatchSize: 5, Shuffle: true, Seed: 3})
	b.SetEpoch(1)
	if got := first(b); got != second {
		t.Errorf("epoch 1 after SetEpoch starts with %v, want %v", got, second)
	}
}
