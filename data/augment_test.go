package data_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/convnet/convnet/data"
)

// augImages is a dataset of n images of shape c×h×w whose value at (ch, y, x)
// of image i is 1 + i*1e4 + ch*1e3 + y*1e2 + x: never zero, all distinct.
type augImages struct{ n, c, h, w int }

func (m augImages) Len() int     { return m.n }
func (m augImages) Shape() []int { return []int{m.c, m.h, m.w} }
func (m augImages) Example(i int, dst []float32) int {
	for ch := range m.c {
		for y := range m.h {
			for x := range m.w {
				dst[(ch*m.h+y)*m.w+x] = m.at(i, ch, y, x)
			}
		}
	}
	return i % 10
}
func (m augImages) at(i, ch, y, x int) float32 { return float32(1 + i*1e4 + ch*1e3 + y*1e2 + x) }

// augExample returns example i of ds and checks its label.
func augExample(t *testing.T, ds data.Dataset, i int) []float32 {
	t.Helper()
	x := make([]float32, augSize(ds.Shape()))
	if l := ds.Example(i, x); l != i%10 {
		t.Fatalf("example %d: label %d, want %d", i, l, i%10)
	}
	return x
}

func augSize(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// augTransform computes, as a reference, example i of m shifted by (dy, dx)
// (out(y, x) = in(y+dy, x+dx), zero outside) and then flipped if flip.
func augTransform(m augImages, i, dy, dx int, flip bool) []float32 {
	out := make([]float32, m.c*m.h*m.w)
	for ch := range m.c {
		for y := range m.h {
			for x := range m.w {
				sx := x
				if flip {
					sx = m.w - 1 - x
				}
				sy, sx := y+dy, sx+dx
				if sy >= 0 && sy < m.h && sx >= 0 && sx < m.w {
					out[(ch*m.h+y)*m.w+x] = m.at(i, ch, sy, sx)
				}
			}
		}
	}
	return out
}

// augChoice is a crop offset and flip.
type augChoice struct {
	dy, dx int
	flip   bool
}

// augDecode finds the choice that turns example i of m into got, failing the
// test unless exactly one choice within pad does.
func augDecode(t *testing.T, m augImages, i, pad int, got []float32) augChoice {
	t.Helper()
	var found []augChoice
	for dy := -pad; dy <= pad; dy++ {
		for dx := -pad; dx <= pad; dx++ {
			for _, f := range []bool{false, true} {
				if slices.Equal(got, augTransform(m, i, dy, dx, f)) {
					found = append(found, augChoice{dy, dx, f})
				}
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("example %d: %d crops and flips within padding %d give %v", i, len(found), pad, got)
	}
	return found[0]
}

func TestAugmentIdentity(t *testing.T) {
	m := augImages{n: 20, c: 3, h: 4, w: 6}
	a := data.NewAugment(m, 0, false, 42)
	for e := range 3 {
		a.SetEpoch(e)
		for i := range m.n {
			if got, want := augExample(t, a, i), augExample(t, m, i); !slices.Equal(got, want) {
				t.Fatalf("epoch %d example %d: %v, want %v", e, i, got, want)
			}
		}
	}
	if a.Len() != m.n || !slices.Equal(a.Shape(), m.Shape()) {
		t.Errorf("Len %d, Shape %v; want %d, %v", a.Len(), a.Shape(), m.n, m.Shape())
	}
	s := a.Shape()
	s[0] = 99
	if a.Shape()[0] != 3 {
		t.Error("Shape returned the Augment's own slice")
	}
}

func TestAugmentFlip(t *testing.T) {
	m := augImages{n: 400, c: 2, h: 3, w: 5}
	a := data.NewAugment(m, 0, true, 7)
	flips := 0
	for i := range m.n {
		got, in := augExample(t, a, i), augExample(t, m, i)
		if slices.Equal(got, in) {
			continue
		}
		flips++
		for ch := range m.c {
			for y := range m.h {
				for x := range m.w {
					if g, w := got[(ch*m.h+y)*m.w+x], in[(ch*m.h+y)*m.w+m.w-1-x]; g != w {
						t.Fatalf("example %d (%d,%d,%d) = %v, want %v: not a horizontal flip", i, ch, y, x, g, w)
					}
				}
			}
		}
	}
	if flips < 160 || flips > 240 {
		t.Errorf("%d of %d examples flipped, want about half", flips, m.n)
	}
}

func TestAugmentCrop(t *testing.T) {
	const pad = 2
	m := augImages{n: 600, c: 3, h: 5, w: 7}
	a := data.NewAugment(m, pad, false, 1)
	seen := map[augChoice]int{}
	for i := range m.n {
		got := augExample(t, a, i)
		c := augDecode(t, m, i, pad, got)
		if c.flip {
			t.Fatalf("example %d flipped with flip false", i)
		}
		seen[c]++
		zeros := 0
		for _, v := range got {
			if v == 0 {
				zeros++
			}
		}
		// The rows and columns shifted in from the padding are zero.
		want := m.c * (m.h*m.w - (m.h-augAbs(c.dy))*(m.w-augAbs(c.dx)))
		if zeros != want {
			t.Errorf("example %d shifted by (%d, %d): %d zeros, want %d", i, c.dy, c.dx, zeros, want)
		}
	}
	if len(seen) != (2*pad+1)*(2*pad+1) {
		t.Errorf("%d distinct crops, want %d: %v", len(seen), (2*pad+1)*(2*pad+1), seen)
	}
	for c, n := range seen {
		if n < 8 {
			t.Errorf("crop %+v chosen %d times of %d", c, n, m.n)
		}
	}
}

// A padding as large as the image can shift it out entirely.
func TestAugmentLargePad(t *testing.T) {
	m := augImages{n: 300, c: 1, h: 2, w: 3}
	a := data.NewAugment(m, 3, true, 5)
	empty := 0
	for i := range m.n {
		got := augExample(t, a, i)
		if slices.Max(got) == 0 {
			empty++
			continue
		}
		augDecode(t, m, i, 3, got)
	}
	if empty == 0 {
		t.Error("no image was shifted out entirely")
	}
}

func TestAugmentDeterministic(t *testing.T) {
	m := augImages{n: 50, c: 3, h: 8, w: 8}
	a := data.NewAugment(m, 4, true, 1234)
	epoch := func(a *data.Augment, e int, order []int) [][]float32 {
		a.SetEpoch(e)
		out := make([][]float32, m.n)
		for _, i := range order {
			out[i] = augExample(t, a, i)
		}
		return out
	}
	forward := make([]int, m.n)
	for i := range forward {
		forward[i] = i
	}
	backward := slices.Clone(forward)
	slices.Reverse(backward)

	e0 := epoch(a, 0, forward)
	e1 := epoch(a, 1, forward)
	if a.Epoch() != 1 {
		t.Errorf("Epoch() = %d, want 1", a.Epoch())
	}
	// A resumed run: a new Augment with the same seed, at epoch 1, reading
	// in another order.
	resumed := epoch(data.NewAugment(m, 4, true, 1234), 1, backward)
	again := epoch(a, 0, backward)
	otherSeed := epoch(data.NewAugment(m, 4, true, 1235), 0, forward)
	same := func(x, y [][]float32) int {
		n := 0
		for i := range x {
			if slices.Equal(x[i], y[i]) {
				n++
			}
		}
		return n
	}
	if n := same(e1, resumed); n != m.n {
		t.Errorf("resumed run: %d of %d examples as in the original epoch 1", n, m.n)
	}
	if n := same(e0, again); n != m.n {
		t.Errorf("epoch 0 again: %d of %d examples the same", n, m.n)
	}
	// 162 equally likely choices: a few coincidences at most.
	if n := same(e0, e1); n > 5 {
		t.Errorf("epochs 0 and 1: %d of %d examples the same", n, m.n)
	}
	if n := same(e0, otherSeed); n > 5 {
		t.Errorf("seeds 1234 and 1235: %d of %d examples the same", n, m.n)
	}
}

func TestAugmentDistribution(t *testing.T) {
	const pad = 1
	m := augImages{n: 1800, c: 1, h: 3, w: 3}
	a := data.NewAugment(m, pad, true, 99)
	a.SetEpoch(3)
	seen := map[augChoice]int{}
	for i := range m.n {
		seen[augDecode(t, m, i, pad, augExample(t, a, i))]++
	}
	// 18 choices, 100 each on average.
	if len(seen) != 18 {
		t.Errorf("%d distinct choices, want 18", len(seen))
	}
	for c, n := range seen {
		if n < 60 || n > 140 {
			t.Errorf("choice %+v made %d times of %d, want about 100", c, n, m.n)
		}
	}
}

func TestAugmentConcurrent(t *testing.T) {
	m := augImages{n: 64, c: 3, h: 6, w: 6}
	a := data.NewAugment(m, 2, true, 3)
	want := make([][]float32, m.n)
	for i := range want {
		want[i] = augExample(t, a, i)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			x := make([]float32, augSize(m.Shape()))
			for k := range m.n {
				i := (k + g*16) % m.n
				a.Example(i, x)
				if !slices.Equal(x, want[i]) {
					t.Errorf("example %d differs when read concurrently", i)
				}
			}
		})
	}
	a.SetEpoch(0) // concurrent with the readers: no race
	wg.Wait()
}

func TestAugmentWithLoader(t *testing.T) {
	m := augImages{n: 10, c: 1, h: 4, w: 4}
	a := data.NewAugment(m, 1, true, 8)
	l := data.NewLoader(a, data.LoaderOptions{BatchSize: 4})
	for b := range l.Batches() {
		for k, y := range b.Y {
			i := b.Index*4 + k
			if y != i%10 {
				t.Fatalf("label %d for example %d", y, i)
			}
			augDecode(t, m, i, 1, b.X.Data()[k*16:(k+1)*16])
		}
	}
}

func TestNormalize(t *testing.T) {
	m := augImages{n: 3, c: 3, h: 2, w: 2}
	mean := []float32{1000, 2, -3}
	std := []float32{0.5, 4, 1e3}
	n := data.Normalize(m, mean, std)
	mean[0], std[0] = 0, 1 // Normalize keeps its own copies
	if n.Len() != 3 || !slices.Equal(n.Shape(), []int{3, 2, 2}) {
		t.Errorf("Len %d, Shape %v", n.Len(), n.Shape())
	}
	for i := range m.n {
		got, in := augExample(t, n, i), augExample(t, m, i)
		for j, v := range got {
			c := j / 4
			want := (in[j] - []float32{1000, 2, -3}[c]) / []float32{0.5, 4, 1e3}[c]
			if v != want {
				t.Errorf("example %d value %d (channel %d): %v, want %v", i, j, c, v, want)
			}
		}
	}
	// The CIFAR-10 statistics map 0 and 1 as torchvision does.
	one := augConst{v: 1}
	x := augExample(t, data.Normalize(one, []float32{0.4914, 0.4822, 0.4465}, []float32{0.2470, 0.2435, 0.2616}), 0)
	for c, want := range []float64{(1 - 0.4914) / 0.2470, (1 - 0.4822) / 0.2435, (1 - 0.4465) / 0.2616} {
		if math.Abs(float64(x[c*4])-want) > 1e-5 {
			t.Errorf("channel %d: %v, want %v", c, x[c*4], want)
		}
	}
}

// augConst is one 3×2×2 example of value v.
type augConst struct{ v float32 }

func (c augConst) Len() int     { return 1 }
func (c augConst) Shape() []int { return []int{3, 2, 2} }
func (c augConst) Example(i int, dst []float32) int {
	for j := range 12 {
		dst[j] = c.v
	}
	return 0
}

func TestAugmentPanics(t *testing.T) {
	m := augImages{n: 1, c: 3, h: 2, w: 2}
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"mean length", func() { data.Normalize(m, []float32{0, 0}, []float32{1, 1, 1}) }, "2 means and 3 standard deviations for 3 channels"},
		{"std length", func() { data.Normalize(m, []float32{0, 0, 0}, []float32{1}) }, "3 means and 1 standard deviations"},
		{"zero std", func() { data.Normalize(m, []float32{0, 0, 0}, []float32{1, 0, 1}) }, "standard deviation 0 of channel 1 is not positive"},
		{"NaN std", func() { data.Normalize(m, []float32{0, 0, 0}, []float32{1, 1, float32(math.NaN())}) }, "channel 2 is not positive"},
		{"no channels", func() { data.Normalize(augScalar{}, nil, nil) }, "no channel dimension"},
		{"negative pad", func() { data.NewAugment(m, -1, false, 0) }, "negative padding -1"},
		{"not an image", func() { data.NewAugment(augVector{}, 1, false, 0) }, "examples of shape [5] are not images"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, tc.want) {
					t.Errorf("panic %v, want %q", r, tc.want)
				}
			}()
			tc.f()
		})
	}
}

type augScalar struct{}

func (augScalar) Len() int                   { return 1 }
func (augScalar) Shape() []int               { return nil }
func (augScalar) Example(int, []float32) int { return 0 }

type augVector struct{}

func (augVector) Len() int                   { return 1 }
func (augVector) Shape() []int               { return []int{5} }
func (augVector) Example(int, []float32) int { return 0 }

func augAbs(x int) int { return max(x, -x) }

// Training-time augmentation of 3×32×32 images as for CIFAR-10: random crop
// with padding 4, random flip, then normalization. A resumed run creates the
// Augment with the same seed and sets the epoch it resumes at.
func ExampleNewAugment() {
	var train data.Dataset = augImages{n: 100, c: 3, h: 32, w: 32} // e.g. cifar10.Train(dir)
	aug := data.NewAugment(train, 4, true, 1)
	ds := data.Normalize(aug, []float32{0.4914, 0.4822, 0.4465}, []float32{0.2470, 0.2435, 0.2616})
	loader := data.NewLoader(ds, data.LoaderOptions{BatchSize: 32, Shuffle: true, Seed: 1})
	for epoch := range 2 {
		aug.SetEpoch(epoch)
		for b := range loader.Batches() {
			_ = b // train on b.X, b.Y
		}
	}
	fmt.Println(ds.Len(), ds.Shape())
	// Output: 100 [3 32 32]
}
