package kernels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestConv2dPooledInput compares Conv2dPooledInput, each image pooled as
// the implicit GEMM reads it, with MaxPool2d then Conv2dStrided: 1×1
// convolutions on planes that run as implicit GEMMs and others, a batch
// of one, and outputs into a wider tensor's channels.
func TestConv2dPooledInput(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		n, c, k, size, stride int
		pad                   int
	}{
		{2, 16, 8, 14, 0, 1}, {3, 24, 13, 28, 0, 1}, {1, 16, 8, 14, 0, 1},
		{2, 16, 8, 14, 20 * 14 * 14, 1}, {2, 40, 6, 7, 0, 1}, {2, 16, 8, 13, 0, 0},
		{2, 8, 4, 30, 0, 1}, // 3×3 convolution: pooled first
	} {
		p := Conv{N: tc.n, C: tc.c, H: tc.size - 2 + 2*tc.pad, W: tc.size - 2 + 2*tc.pad, K: tc.k, R: 1, S: 1, StrideH: 1, StrideW: 1, Act: ActReLU}
		if tc.size == 30 {
			p.R, p.S, p.PadH, p.PadW = 3, 3, 1, 1
		}
		pool := Pool{N: tc.n, C: tc.c, H: tc.size, W: tc.size, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: tc.pad, PadW: tc.pad, CeilMode: true}
		x, w, b := randSlice(r, tc.n*tc.c*tc.size*tc.size), randSlice(r, p.K*p.C*p.R*p.S), randSlice(r, p.K)
		stride := tc.stride
		if stride == 0 {
			stride = p.K * p.OutH() * p.OutW()
		}
		y0 := randSlice(r, (p.N-1)*stride+p.K*p.OutH()*p.OutW())
		got, want := slices.Clone(y0), slices.Clone(y0)
		Conv2dPooledInput(p, pool, x, w, b, got, tc.stride)
		pooled := make([]float32, p.N*p.C*p.H*p.W)
		MaxPool2d(pool, x, pooled, make([]int32, len(pooled)))
		Conv2dStrided(p, pooled, w, b, want, stride)
		name := fmt.Sprintf("n%d c%d k%d %dx%d stride %d fused %v", tc.n, tc.c, tc.k, tc.size, tc.size, tc.stride, p.poolsInput(pool))
		if !slices.Equal(got, want) {
			t.Errorf("%s: differs from MaxPool2d then Conv2dStrided", name)
		}
	}
}

// TestConv2dPoolStrided compares Conv2dPoolStrided and
// Conv2dPooledInputPool, each channel pooled as it is computed into a
// slice of a wider tensor, with the operations one after another:
// GoogLeNet's 3×3 stride-2 pooling after an Inception block, on 1×1
// (implicit GEMM), 3×3 (Winograd) and strided convolutions.
func TestConv2dPoolStrided(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, tc := range []struct {
		n, c, k, size, r, stride int
		halving                  bool // a 2×2 pooling after, not 3×3
	}{
		{2, 16, 8, 28, 1, 1, false}, {3, 40, 48, 28, 3, 1, false}, {1, 16, 8, 14, 1, 1, false}, {2, 24, 12, 15, 1, 2, false},
		{2, 8, 4, 9, 5, 1, false}, {2, 16, 8, 14, 1, 1, true}, {2, 40, 48, 14, 3, 1, true},
	} {
		p := Conv{N: tc.n, C: tc.c, H: tc.size, W: tc.size, K: tc.k, R: tc.r, S: tc.r, StrideH: tc.stride, StrideW: tc.stride,
			PadH: tc.r / 2, PadW: tc.r / 2, Act: ActReLU}
		out := Pool{N: tc.n, C: tc.k, H: p.OutH(), W: p.OutW(), KH: 3, KW: 3, StrideH: 2, StrideW: 2, CeilMode: true}
		if tc.halving {
			out.KH, out.KW = 2, 2
		}
		in := Pool{N: tc.n, C: tc.c, H: tc.size, W: tc.size, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, CeilMode: true}
		x, w, b := randSlice(r, tc.n*tc.c*tc.size*tc.size), randSlice(r, p.K*p.C*p.R*p.S), randSlice(r, p.K)
		ohw := out.OutH() * out.OutW()
		stride := (p.K + 5) * ohw // 5 channels of another branch after these
		for _, pooledIn := range []bool{false, true} {
			got := randSlice(r, (p.N-1)*stride+p.K*ohw)
			want := slices.Clone(got)
			src := x
			if pooledIn {
				Conv2dPooledInputPool(p, in, out, x, w, b, got, stride)
				src = make([]float32, len(x))
				MaxPool2d(in, x, src, make([]int32, len(x)))
			} else {
				Conv2dPoolStrided(p, out, x, w, b, got, stride)
			}
			y := make([]float32, p.N*p.K*p.OutH()*p.OutW())
			Conv2d(p, src, w, b, y, nil)
			pooled := make([]float32, p.N*p.K*ohw)
			MaxPool2d(out, y, pooled, make([]int32, len(pooled)))
			for i := 0; i < p.N; i++ {
				copy(want[i*stride:i*stride+p.K*ohw], pooled[i*p.K*ohw:])
			}
			if !slices.Equal(got, want) {
				t.Errorf("n%d c%d k%d %dx%d r%d stride %d, 2×2 pooling %v, input pooled %v: differs from the operations one after another",
					tc.n, tc.c, tc.k, tc.size, tc.size, tc.r, tc.stride, tc.halving, pooledIn)
			}
		}
	}
}
