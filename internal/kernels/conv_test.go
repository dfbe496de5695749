package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/convnet/convnet/internal/testref"
)

// convNaive is the definition of Conv2d and its backward, for comparison.
func convNaive(p Conv, x, w, b, dy []float32) (y, dx, dw, db []float32) {
	oh, ow := p.OutH(), p.OutW()
	cg, kg := p.C/p.groups(), p.K/p.groups()
	y = make([]float32, p.N*p.K*oh*ow)
	dx, dw, db = make([]float32, len(x)), make([]float32, len(w)), make([]float32, p.K)
	for n := 0; n < p.N; n++ {
		for k := 0; k < p.K; k++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					o := ((n*p.K+k)*oh+i)*ow + j
					s := b[k]
					for cc := 0; cc < cg; cc++ {
						c := k/kg*cg + cc
						for r := 0; r < p.R; r++ {
							for q := 0; q < p.S; q++ {
								iy, ix := i*p.StrideH-p.PadH+r*p.dilH(), j*p.StrideW-p.PadW+q*p.dilW()
								if iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
									continue
								}
								xi := ((n*p.C+c)*p.H+iy)*p.W + ix
								wi := ((k*cg+cc)*p.R+r)*p.S + q
								s += x[xi] * w[wi]
								dx[xi] += dy[o] * w[wi]
								dw[wi] += dy[o] * x[xi]
							}
						}
					}
					y[o] = s
					db[k] += dy[o]
				}
			}
		}
	}
	return y, dx, dw, db
}

// testConv2dPool checks that Conv2dPool gives what Conv2d followed by the
// pooling gives, for 2×2 and 3×3 windows, averages and maxima, with y
// kept and not.
func testConv2dPool(t *testing.T, name string, p Conv, x, w, b, cols []float32) {
	t.Helper()
	oh, ow := p.OutH(), p.OutW()
	for _, max := range []bool{false, true} {
		for _, window := range []int{2, 3} {
			pool := Pool{N: p.N, C: p.K, H: oh, W: ow, KH: window, KW: window, StrideH: 2, StrideW: 2, PadH: window / 3, PadW: window / 3}
			if oh+2*pool.PadH < window || ow+2*pool.PadW < window {
				continue
			}
			n := p.N * p.K * pool.OutH() * pool.OutW()
			wantY, want, wantArg := make([]float32, p.N*p.K*oh*ow), make([]float32, n), make([]int32, n)
			Conv2d(p, x, w, b, wantY, cols)
			if max {
				MaxPool2d(pool, wantY, want, wantArg)
			} else {
				AvgPool2d(pool, wantY, want)
			}
			for _, keepY := range []bool{false, true} {
				what := fmt.Sprintf("%s pool %+v max=%v keepY=%v", name, pool, max, keepY)
				var y []float32
				if keepY {
					y = make([]float32, len(wantY))
				}
				got, gotArg := make([]float32, n), make([]int32, n)
				Conv2dPool(p, pool, max, x, w, b, y, cols, got, gotArg)
				closeTo(t, what+" pooled", got, want, 0)
				if keepY {
					closeTo(t, what+" y", y, wantY, 0)
				}
				if max && !slices.Equal(gotArg, wantArg) {
					t.Fatalf("%s: argmax %v, want %v", what, gotArg, wantArg)
				}
			}
		}
	}
}

// TestConv2dMatchesDefinition covers the grouped and per-image paths, the
// 1×1 shortcut, strides and padding, on several thread counts.
func TestConv2dMatchesDefinition(t *testing.T) {
	defer func(k microKernel) { activeKernel = k; SetThreads(2) }(activeKernel)
	// The pure-Go channel- and column-vectorised kernels, which no CPU
	// chooses, run under the generic micro-kernel.
	withKvec := genericKernel
	withKvec.name, withKvec.kvec, withKvec.xvec = "generic+vec-go", &kvecGo, &xvecGo
	for _, kern := range append(kernelsAvailable(), withKvec) {
		activeKernel = kern
		t.Run(kern.name, func(t *testing.T) { testConv2d(t, false) })
	}
}

// TestConv2dBF16MatchesDefinition checks bf16 convolutions, with each
// bf16 kernel this CPU runs, against the definition on operands rounded
// to bf16 (the bias gradient sums the unrounded output gradient;
// depthwise convolutions stay float32).
func TestConv2dBF16MatchesDefinition(t *testing.T) {
	defer func(k bf16Kernel) { activeBF16 = k; SetThreads(2) }(activeBF16)
	for _, kern := range testBF16Kernels() {
		activeBF16 = kern
		t.Run(kern.name, func(t *testing.T) { testConv2d(t, true) })
	}
}

func testConv2d(t *testing.T, bf16 bool) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, p := range []Conv{
		{N: 5, C: 1, H: 28, W: 28, K: 6, R: 5, S: 5, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2},
		{N: 7, C: 6, H: 14, W: 14, K: 16, R: 5, S: 5, StrideH: 1, StrideW: 1},
		{N: 9, C: 16, H: 5, W: 5, K: 120, R: 5, S: 5, StrideH: 1, StrideW: 1},
		{N: 4, C: 3, H: 9, W: 9, K: 4, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		{N: 3, C: 3, H: 9, W: 8, K: 5, R: 3, S: 3, StrideH: 2, StrideW: 1, PadH: 1, PadW: 1},
		{N: 3, C: 5, H: 4, W: 6, K: 7, R: 1, S: 1, StrideH: 1, StrideW: 1},
		{N: 2, C: 2, H: 7, W: 11, K: 3, R: 3, S: 2, StrideH: 1, StrideW: 3, PadH: 1, PadW: 2},
		// As many images as threads, and one: each chunk one image.
		{N: 2, C: 3, H: 6, W: 5, K: 4, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 1, C: 3, H: 6, W: 5, K: 4, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		// Long rows: weight gradients reduced image by image.
		{N: 3, C: 2, H: 40, W: 60, K: 3, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		// Small output, large weights: patches of several images per GEMM.
		{N: 5, C: 64, H: 4, W: 4, K: 120, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		// 14×14 with large weights: a Winograd forward, which keeps no
		// patches, an explicit GEMM for the weight gradient that builds
		// them again, and a Winograd input gradient.
		{N: 2, C: 64, H: 14, W: 14, K: 128, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		// 28×28 with few input channels: an F(2×2) forward, F(4×4)
		// weight and input gradients.
		{N: 1, C: 32, H: 28, W: 28, K: 128, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		// Stride 2 across rows of 35 outputs: their patches are copied
		// with vectors (copyEvensVector), with and without padding.
		{N: 2, C: 2, H: 9, W: 70, K: 3, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		{N: 2, C: 2, H: 8, W: 71, K: 3, R: 1, S: 1, StrideH: 2, StrideW: 2},
		// Stride 2 with 196 outputs and more: an implicit GEMM forward on
		// the image's phases (a 7×7 stem, odd sizes and padding, 1×1
		// shortcuts, unequal padding).
		{N: 2, C: 3, H: 31, W: 29, K: 7, R: 7, S: 7, StrideH: 2, StrideW: 2, PadH: 3, PadW: 3},
		{N: 2, C: 5, H: 28, W: 30, K: 9, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		{N: 2, C: 4, H: 30, W: 31, K: 5, R: 1, S: 1, StrideH: 2, StrideW: 2},
		{N: 1, C: 3, H: 29, W: 30, K: 4, R: 3, S: 3, StrideH: 2, StrideW: 2, PadW: 2},
		// Phases of 33 and 34 columns (whole vectors and a tail), five
		// images: a thread's later images reuse the first's padding.
		{N: 5, C: 3, H: 37, W: 66, K: 5, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		// 12×12 outputs of a strided convolution: two groups of four
		// images (groupSize).
		{N: 8, C: 8, H: 23, W: 23, K: 8, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		// Channel-vectorised: two channel blocks, an odd number of output
		// rows, rows split into segments, padding.
		{N: 3, C: 3, H: 9, W: 20, K: 32, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 3, C: 1, H: 11, W: 7, K: 16, R: 5, S: 5, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2},
		{N: 2, C: 2, H: 6, W: 17, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadW: 1},
		// Column-vectorised: an odd number of output rows, a partial
		// channel group, no padding.
		{N: 2, C: 2, H: 9, W: 20, K: 4, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 3, C: 1, H: 6, W: 30, K: 3, R: 3, S: 3, StrideH: 1, StrideW: 1},
		// Both vectorised ways with a batch of one, as inference runs.
		{N: 1, C: 6, H: 14, W: 14, K: 16, R: 5, S: 5, StrideH: 1, StrideW: 1},
		{N: 1, C: 1, H: 28, W: 28, K: 6, R: 5, S: 5, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2},
		// Dilation: the explicit GEMM path with spaced taps.
		{N: 3, C: 3, H: 9, W: 10, K: 4, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilH: 2, DilW: 2},
		{N: 2, C: 2, H: 11, W: 9, K: 3, R: 3, S: 2, StrideH: 2, StrideW: 1, PadH: 1, DilH: 3, DilW: 2},
		// Groups: a GEMM per channel group, 1×1 direct and with patches.
		{N: 3, C: 6, H: 7, W: 7, K: 4, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, Groups: 2},
		{N: 2, C: 8, H: 6, W: 5, K: 12, R: 1, S: 1, StrideH: 1, StrideW: 1, Groups: 4},
		{N: 1, C: 6, H: 8, W: 9, K: 9, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Groups: 3, DilH: 2},
		{N: 5, C: 4, H: 4, W: 4, K: 8, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, Groups: 2},
		// Depthwise: 3×3 with strides 1 and 2 (MobileNetV2), padded or not,
		// a channel multiplier, other kernels, dilation, rows of one.
		{N: 3, C: 5, H: 9, W: 10, K: 5, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, Groups: 5},
		{N: 2, C: 4, H: 9, W: 8, K: 4, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Groups: 4},
		{N: 2, C: 3, H: 7, W: 6, K: 6, R: 3, S: 3, StrideH: 1, StrideW: 1, Groups: 3},
		{N: 2, C: 3, H: 8, W: 7, K: 6, R: 3, S: 3, StrideH: 2, StrideW: 1, PadW: 1, Groups: 3},
		{N: 2, C: 2, H: 3, W: 3, K: 2, R: 3, S: 3, StrideH: 1, StrideW: 1, Groups: 2},
		{N: 1, C: 2, H: 1, W: 1, K: 2, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, Groups: 2},
		{N: 2, C: 3, H: 9, W: 11, K: 3, R: 5, S: 3, StrideH: 1, StrideW: 2, PadH: 2, PadW: 1, Groups: 3},
		{N: 2, C: 2, H: 10, W: 10, K: 4, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilH: 2, DilW: 2, Groups: 2},
		{N: 4, C: 16, H: 20, W: 20, K: 16, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Groups: 16},
		{N: 2, C: 3, H: 9, W: 37, K: 3, R: 3, S: 3, StrideH: 1, StrideW: 2, PadH: 2, PadW: 1, Groups: 3},
		{N: 2, C: 2, H: 11, W: 35, K: 4, R: 3, S: 3, StrideH: 3, StrideW: 3, PadH: 2, PadW: 2, Groups: 2},
		{N: 2, C: 2, H: 10, W: 18, K: 2, R: 3, S: 3, StrideH: 2, StrideW: 2, Groups: 2},
		{N: 1, C: 2, H: 6, W: 6, K: 2, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 3, PadW: 3, Groups: 2},
	} {
		x, w, b := randSlice(r, p.N*p.C*p.H*p.W), randSlice(r, p.K*p.C/p.groups()*p.R*p.S), randSlice(r, p.K)
		dy := randSlice(r, p.N*p.K*p.OutH()*p.OutW())
		wantY, wantDx, wantDw, wantDb := convNaive(p, x, w, b, dy)
		if bf16 && !p.depthwise() {
			p.BF16 = true
			rx, rw, rdy := make([]float32, len(x)), make([]float32, len(w)), make([]float32, len(dy))
			RoundBF16(rx, x)
			RoundBF16(rw, w)
			RoundBF16(rdy, dy)
			wantY, wantDx, wantDw, _ = convNaive(p, rx, rw, b, rdy)
		}
		// Winograd's method (3×3 layers of 32 channels and more) is
		// within 1e-4 of the output's scale (TestWinogradMatchesDefinition),
		// not of every value.
		_, winoY := p.winogradVariant()
		_, _, winoDx := p.dataGradWinograd()
		near := func(wino bool) func(t *testing.T, what string, got, want []float32, tol float64) {
			if !wino {
				return closeTo
			}
			return func(t *testing.T, what string, got, want []float32, tol float64) {
				t.Helper()
				if err := testref.WithinScale(got, want, tol); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
			}
		}
		nearY, nearDx, nearDw := near(winoY), near(winoDx), near(p.weightGradWinograd())
		for threads := 1; threads <= 3; threads++ {
			SetThreads(threads)
			name := fmt.Sprintf("%s %+v threads=%d", activeKernel.name, p, threads)
			if bf16 {
				name = fmt.Sprintf("%s %+v threads=%d", activeBF16.name, p, threads)
			}
			for _, keep := range []bool{false, true} {
				var cols []float32
				if keep {
					cols = make([]float32, p.ColsSize())
				}
				name := fmt.Sprintf("%s keep=%v", name, keep)
				y := make([]float32, len(wantY))
				Conv2d(p, x, w, b, y, cols)
				nearY(t, name+" y", y, wantY, 1e-4)
				dx, dw, db := make([]float32, len(x)), make([]float32, len(w)), make([]float32, p.K)
				Conv2dBackward(p, x, w, dy, dx, true, dw, db, cols)
				nearDx(t, name+" dx", dx, wantDx, 1e-4)
				// Storing rather than adding ignores what dx held.
				for i := range dx {
					dx[i] = float32(math.NaN())
				}
				Conv2dBackward(p, x, w, dy, dx, false, nil, nil, cols)
				nearDx(t, name+" dx stored", dx, wantDx, 1e-4)
				nearDw(t, name+" dw", dw, wantDw, 1e-4)
				closeTo(t, name+" db", db, wantDb, 1e-4)
				// The weights alone, as for a first layer (after a forward
				// pass again: a backward pass may use up the patches kept).
				Conv2d(p, x, w, b, y, cols)
				dw, db = make([]float32, len(w)), make([]float32, p.K)
				Conv2dBackward(p, x, w, dy, nil, false, dw, db, cols)
				nearDw(t, name+" dw alone", dw, wantDw, 1e-4)
				closeTo(t, name+" db alone", db, wantDb, 1e-4)
				// An activation applied in the same pass.
				for _, act := range []Activation{ActReLU, ActTanh} {
					pa := p
					pa.Act = act
					Conv2d(pa, x, w, b, y, cols)
					want := make([]float32, len(wantY))
					for i, v := range wantY {
						want[i] = max(v, 0)
						if act == ActTanh {
							want[i] = float32(math.Tanh(float64(v)))
						}
					}
					// Within 1e-4 of the scale of the convolution's output:
					// ReLU and tanh move no value further than its input moved.
					tol := 1e-4
					if winoY {
						tol *= testref.Scale(wantY) / testref.Scale(want)
					}
					nearY(t, fmt.Sprintf("%s act=%d y", name, act), y, want, tol)
					testConv2dPool(t, fmt.Sprintf("%s act=%d", name, act), pa, x, w, b, cols)
				}
			}
		}
	}
}

// TestConv2dResidual: the residual added in the epilogue, on each path
// (Winograd, implicit, im2col, direct, depthwise, full kernel, bf16),
// gives what Conv2d, an addition and the activation give.
func TestConv2dResidual(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, p := range []Conv{
		{N: 2, C: 32, H: 50, W: 50, K: 32, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 2, C: 32, H: 26, W: 26, K: 32, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 2, C: 3, H: 9, W: 20, K: 32, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 3, C: 16, H: 16, W: 16, K: 24, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		{N: 2, C: 6, H: 16, W: 16, K: 36, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 2, C: 8, H: 9, W: 9, K: 8, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, Groups: 8},
		{N: 4, C: 16, H: 5, W: 5, K: 10, R: 5, S: 5, StrideH: 1, StrideW: 1},
		{N: 2, C: 16, H: 16, W: 16, K: 24, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, BF16: true},
	} {
		for _, act := range []Activation{Identity, ActReLU, ActTanh} {
			p.Act = act
			t.Run(fmt.Sprintf("%+v", p), func(t *testing.T) {
				x, w, b := randSlice(r, p.N*p.C*p.H*p.W), randSlice(r, p.K*p.C/p.groups()*p.R*p.S), randSlice(r, p.K)
				n := p.N * p.K * p.OutH() * p.OutW()
				res := randSlice(r, n)
				want := make([]float32, n)
				plain := p
				plain.Act = Identity
				Conv2d(plain, x, w, b, want, nil)
				add(res, want)
				act.Apply(want)
				got := make([]float32, n)
				Conv2dResidual(p, x, w, b, res, got)
				closeTo(t, "y", got, want, 1e-5)
			})
		}
	}
}

// TestConv2dPoolWithoutIndex checks Conv2dPool's max pooling in
// inference (no argmax, no output kept: 3×3 windows go to
// maxPool3x3AVX512 plane by plane, straight from the products where the
// path allows, as a stem's pooling does) against Conv2d then MaxPool2d
// with argmax, on convolutions of each path a stem takes.
func TestConv2dPoolWithoutIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, p := range []Conv{
		{N: 2, C: 3, H: 33, W: 30, K: 8, R: 7, S: 7, StrideH: 2, StrideW: 2, PadH: 3, PadW: 3, Act: ActReLU},
		{N: 2, C: 32, H: 28, W: 28, K: 40, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, Act: ActReLU},
		{N: 3, C: 4, H: 9, W: 11, K: 6, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
	} {
		oh, ow := p.OutH(), p.OutW()
		x, w, b := randSlice(rng, p.N*p.C*p.H*p.W), randSlice(rng, p.K*p.C*p.R*p.S), randSlice(rng, p.K)
		y := make([]float32, p.N*p.K*oh*ow)
		Conv2d(p, x, w, b, y, nil)
		for _, pool := range []Pool{
			{N: p.N, C: p.K, H: oh, W: ow, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
			{N: p.N, C: p.K, H: oh, W: ow, KH: 3, KW: 3, StrideH: 2, StrideW: 2, CeilMode: true},
			{N: p.N, C: p.K, H: oh, W: ow, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		} {
			if !MaxPoolWithoutIndex(pool) {
				continue // no vector kernel here: the index is always kept
			}
			n := p.N * p.K * pool.OutH() * pool.OutW()
			want, got := make([]float32, n), make([]float32, n)
			MaxPool2d(pool, y, want, make([]int32, n))
			Conv2dPool(p, pool, true, x, w, b, nil, nil, got, nil)
			closeTo(t, fmt.Sprintf("%+v pool %+v", p, pool), got, want, 1e-5)
		}
	}
}

// TestCopyEvenRows compares copyEvenRows (with vectors where this CPU has
// them) with its definition on lengths around whole vectors, and checks
// that it writes nothing else: the source ends at the last element read.
func TestCopyEvenRows(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 7, 8, 15, 16, 17, 31, 32, 33, 50} {
		const rows, pad = 3, 5
		lds, ldd := 2*n+3, n+pad
		src := randSlice(r, (rows-1)*lds+2*(n-1)+1)
		dst := randSlice(r, rows*ldd)
		want := slices.Clone(dst)
		for i := 0; i < rows; i++ {
			for j := 0; j < n; j++ {
				want[i*ldd+j] = src[i*lds+2*j]
			}
		}
		copyEvenRows(src, lds, dst, ldd, rows, n)
		closeTo(t, fmt.Sprintf("copyEvenRows n=%d", n), dst, want, 0)
	}
}

// TestConv2dStrided checks that Conv2dStrided writes each
// image's output, exactly as without, into its place in a wider tensor
// and nothing around it, on every path: those that write in place
// (implicit and explicit GEMMs, both Winograd algorithms, stride 2) and
// those that go through a copy (depthwise, a full kernel, bf16, LeNet's).
func TestConv2dStrided(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, p := range []Conv{
		{N: 3, C: 40, H: 14, W: 14, K: 24, R: 1, S: 1, StrideH: 1, StrideW: 1, Act: ActReLU},
		{N: 4, C: 96, H: 7, W: 7, K: 40, R: 1, S: 1, StrideH: 1, StrideW: 1, Act: ActReLU},
		{N: 3, C: 520, H: 7, W: 7, K: 136, R: 1, S: 1, StrideH: 1, StrideW: 1, Act: ActReLU}, // explicit
		{N: 1, C: 520, H: 7, W: 7, K: 136, R: 1, S: 1, StrideH: 1, StrideW: 1},
		{N: 2, C: 48, H: 28, W: 28, K: 40, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, Act: ActReLU},
		{N: 3, C: 64, H: 14, W: 14, K: 64, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 2, C: 16, H: 15, W: 13, K: 8, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, Act: ActTanh},
		{N: 2, C: 8, H: 30, W: 30, K: 12, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Act: ActReLU},
		{N: 2, C: 8, H: 9, W: 9, K: 8, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, Groups: 8},
		{N: 2, C: 6, H: 5, W: 5, K: 7, R: 5, S: 5, StrideH: 1, StrideW: 1},
		{N: 2, C: 32, H: 14, W: 14, K: 24, R: 1, S: 1, StrideH: 1, StrideW: 1, BF16: true},
		{N: 2, C: 1, H: 28, W: 28, K: 6, R: 5, S: 5, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, Act: ActTanh},
	} {
		oh, ow := p.OutH(), p.OutW()
		n := p.K * oh * ow
		x, w, b := randSlice(rng, p.N*p.C*p.H*p.W), randSlice(rng, p.K*p.C/p.groups()*p.R*p.S), randSlice(rng, p.K)
		want := make([]float32, p.N*n)
		Conv2d(p, x, w, b, want, nil)
		const before, after = 35, 21 // floats around each image's output
		stride := before + n + after
		got := make([]float32, p.N*stride)
		for i := range got {
			got[i] = float32(math.NaN())
		}
		Conv2dStrided(p, x, w, b, got[before:], stride)
		for i := 0; i < p.N; i++ {
			img := got[i*stride : (i+1)*stride]
			closeTo(t, fmt.Sprintf("%+v image %d", p, i), img[before:before+n], want[i*n:(i+1)*n], 0)
			for j, v := range append(img[:before:before], img[before+n:]...) {
				if v == v {
					t.Fatalf("%+v image %d: %d-th float outside the output written (%v)", p, i, j, v)
				}
			}
		}
	}
}
