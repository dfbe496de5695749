package data_test

import (
	"slices"
	"testing"

	"github.com/convnet/convnet/data"
)

// counting is a dataset whose example i is the single value i, label i%10.
type counting int

func (c counting) Len() int     { return int(c) }
func (c counting) Shape() []int { return []int{1} }
func (c counting) Example(i int, dst []float32) int {
	dst[0] = float32(i)
	return i % 10
}

func TestLoaderBatches(t *testing.T) {
	cases := []struct {
		n, batch      int
		dropLast      bool
		batches, last int
	}{
		{60000, 64, false, 938, 32},
		{60000, 64, true, 937, 64},
		{10, 3, false, 4, 1},
		{9, 3, false, 3, 3},
		{2, 5, true, 0, 0},
		{7, 1 << 40, false, 1, 7}, // a batch size no memory holds: one batch of the whole set
	}
	for _, c := range cases {
		l := data.NewLoader(counting(c.n), data.LoaderOptions{BatchSize: c.batch, DropLast: c.dropLast})
		if l.Len() != c.batches {
			t.Errorf("%+v: Len %d, want %d", c, l.Len(), c.batches)
		}
		count, last, next := 0, 0, 0
		for b := range l.Batches() {
			count++
			last = len(b.Y)
			for i, v := range b.X.Data() {
				if int(v) != next || b.Y[i] != next%10 {
					t.Fatalf("%+v: batch %d has example %v, want %d", c, b.Index, v, next)
				}
				next++
			}
		}
		if count != c.batches || last != c.last {
			t.Errorf("%+v: %d batches, last of %d; want %d, last of %d", c, count, last, c.batches, c.last)
		}
	}
}

func TestShuffleIsSeededPermutation(t *testing.T) {
	epoch := func(l *data.Loader) []int {
		var seen []int
		for b := range l.Batches() {
			for _, v := range b.X.Data() {
				seen = append(seen, int(v))
			}
		}
		return seen
	}
	a := data.NewLoader(counting(100), data.LoaderOptions{BatchSize: 7, Shuffle: true, Seed: 1})
	b := data.NewLoader(counting(100), data.LoaderOptions{BatchSize: 7, Shuffle: true, Seed: 1})
	a1, b1, a2 := epoch(a), epoch(b), epoch(a)
	if !slices.Equal(a1, b1) {
		t.Error("the same seed gave different orders")
	}
	if slices.Equal(a1, a2) {
		t.Error("two epochs gave the same order")
	}
	sorted := slices.Sorted(slices.Values(a1))
	for i, v := range sorted {
		if v != i {
			t.Fatalf("shuffled epoch is not a permutation: %v", sorted)
		}
	}
}
