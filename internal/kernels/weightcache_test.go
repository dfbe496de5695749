package kernels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// TestConvSize: a Conv of more than 128 bytes is captured by reference in
// the kernels' closures, and moved to the heap: each call allocates.
func TestConvSize(t *testing.T) {
	if n := unsafe.Sizeof(Conv{}); n > 128 {
		t.Errorf("a Conv takes %d bytes, more than 128", n)
	}
}

// TestWeightCacheSameOutputs runs convolutions of each algorithm with a
// WeightCache, twice (the second from the cached forms), and checks that
// they give what they give without one, and that the cache holds one form
// per algorithm.
func TestWeightCacheSameOutputs(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, c := range []struct {
		p     Conv
		forms int
	}{
		{Conv{N: 2, C: 32, H: 50, W: 50, K: 32, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}, 1},         // Winograd F(4×4)
		{Conv{N: 2, C: 32, H: 26, W: 26, K: 32, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}, 1},         // F(2×2)
		{Conv{N: 2, C: 3, H: 9, W: 20, K: 32, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}, 0},           // channel-vectorised: nothing packed
		{Conv{N: 3, C: 16, H: 16, W: 16, K: 24, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}, 1},         // im2col
		{Conv{N: 2, C: 6, H: 16, W: 16, K: 36, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}, 1},          // implicit
		{Conv{N: 2, C: 8, H: 9, W: 9, K: 12, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, Groups: 4}, 1}, // groups
		{Conv{N: 2, C: 16, H: 16, W: 16, K: 24, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, BF16: true}, 1},
		{Conv{N: 2, C: 32, H: 50, W: 50, K: 32, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, BF16: true}, 1}, // Winograd without AMX, else bf16 pairs
		{Conv{N: 2, C: 16, H: 8, W: 8, K: 24, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, BF16: true}, 1},
	} {
		p := c.p
		t.Run(fmt.Sprintf("%+v", p), func(t *testing.T) {
			x, w, b := randSlice(r, p.N*p.C*p.H*p.W), randSlice(r, p.K*p.C/p.groups()*p.R*p.S), randSlice(r, p.K)
			want := make([]float32, p.N*p.K*p.OutH()*p.OutW())
			Conv2d(p, x, w, b, want, nil)
			p.Cache = NewWeightCache()
			defer DropWeightCache(p.Cache)
			for run := range 2 {
				got := make([]float32, len(want))
				Conv2d(p, x, w, b, got, nil)
				if !slices.Equal(got, want) {
					t.Fatalf("run %d with the cache differs from the convolution without", run)
				}
			}
			forms := c.forms
			if !p.kvec() && !p.xvec() {
				forms = 1 // without the direct kernels (noasm) a GEMM packs
			}
			if n := len(p.Cache.cache().forms); n != forms {
				t.Errorf("the cache holds %d forms, want %d", n, forms)
			}
		})
	}
}

// TestWeightCachePrecisionsApart: a layer run in float32 and then in bf16
// with one cache keeps a form for each, so that neither reads the other's
// weights (Winograd's transforms are float32 in both, of the weights as
// they are or rounded to bf16).
func TestWeightCachePrecisionsApart(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	p := Conv{N: 2, C: 32, H: 50, W: 50, K: 32, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}
	x, w, b := randSlice(r, p.N*p.C*p.H*p.W), randSlice(r, p.K*p.C*9), randSlice(r, p.K)
	n := p.N * p.K * p.OutH() * p.OutW()
	want := map[bool][]float32{}
	for _, bf16 := range []bool{false, true} {
		q := p
		q.BF16 = bf16
		want[bf16] = make([]float32, n)
		Conv2d(q, x, w, b, want[bf16], nil)
	}
	if slices.Equal(want[false], want[true]) {
		t.Fatal("bf16 gives what float32 gives: the operands were not rounded")
	}
	p.Cache = NewWeightCache()
	defer DropWeightCache(p.Cache)
	for _, bf16 := range []bool{false, true, false} {
		q := p
		q.BF16 = bf16
		got := make([]float32, n)
		Conv2d(q, x, w, b, got, nil)
		if !slices.Equal(got, want[bf16]) {
			t.Errorf("bf16=%v with the cache differs from the convolution without", bf16)
		}
	}
	if n := len(p.Cache.cache().forms); n != 2 {
		t.Errorf("the cache holds %d forms, want 2", n)
	}
}
