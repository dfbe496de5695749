package data_test

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"

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

// slowSet is a dataset whose examples take a while and count how many are
// being made at once.
type slowSet struct {
	n         int
	busy, max atomic.Int32
}

func (s *slowSet) Len() int     { return s.n }
func (s *slowSet) Shape() []int { return []int{2} }
func (s *slowSet) Example(i int, dst []float32) int {
	if b := s.busy.Add(1); b > s.max.Load() {
		s.max.Store(b)
	}
	time.Sleep(200 * time.Microsecond)
	dst[0], dst[1] = float32(i), float32(-i)
	s.busy.Add(-1)
	return i % 3
}

// TestLoaderWorkers checks that workers and prefetching give the batches
// one goroutine gives, in order, while making examples at once.
func TestLoaderWorkers(t *testing.T) {
	collect := func(opts data.LoaderOptions) (xs [][]float32, ys [][]int, most int32) {
		ds := &slowSet{n: 103}
		l := data.NewLoader(ds, opts)
		for epoch := 0; epoch < 2; epoch++ {
			for b := range l.Batches() {
				xs = append(xs, slices.Clone(b.X.Data()))
				ys = append(ys, slices.Clone(b.Y))
			}
		}
		return xs, ys, ds.max.Load()
	}
	wantX, wantY, _ := collect(data.LoaderOptions{BatchSize: 10, Shuffle: true, Seed: 4})
	gotX, gotY, most := collect(data.LoaderOptions{BatchSize: 10, Shuffle: true, Seed: 4, Workers: 4, Prefetch: 3})
	if !slices.EqualFunc(gotX, wantX, slices.Equal) || !slices.EqualFunc(gotY, wantY, slices.Equal) {
		t.Error("workers changed the batches")
	}
	if most < 2 {
		t.Errorf("at most %d examples made at once with 4 workers", most)
	}
}
