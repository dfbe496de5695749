package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/convnet/convnet/internal/testref"
)

// winoBatchedByImage is the batched schedule with winoImageMajor.
const winoBatchedByImage = winoBatched + 100

// TestWinogradMatchesDefinition compares the Winograd path with the
// definition of the convolution on awkward shapes (odd sizes, widths
// around the 16-tile vectors, no padding, two of it) with and without
// bias and ReLU, within 1e-4 of the output's scale, images grouped by
// thread and the batch at once (its transforms channel by channel and
// image by image), tile rows one at a time and two to a vector; and
// the vector transforms with their Go reference on the same
// rows.
func TestWinogradMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cases := []Conv{
		{N: 1, C: 16, H: 5, W: 5, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 2, C: 17, H: 33, W: 31, K: 19, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 1, C: 16, H: 64, W: 66, K: 32, R: 3, S: 3, StrideH: 1, StrideW: 1},
		{N: 3, C: 20, H: 9, W: 70, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2},
		{N: 1, C: 32, H: 14, W: 14, K: 24, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, Act: ActReLU},
		{N: 2, C: 16, H: 7, W: 40, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 0, Act: ActTanh},
		{N: 1, C: 16, H: 3, W: 3, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1},
		{N: 1, C: 18, H: 70, W: 131, K: 17, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, Act: ActReLU},
		// More channels than a k block of the packed weights (gemmKC).
		{N: 1, C: 520, H: 6, W: 9, K: 7, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
	}
	for _, p := range cases {
		for _, bias := range []bool{false, true} {
			t.Run(fmt.Sprintf("%dx%dx%dx%d_k%d_pad%d,%d_act%d_bias%v", p.N, p.C, p.H, p.W, p.K, p.PadH, p.PadW, p.Act, bias), func(t *testing.T) {
				x := randSlice(rng, p.N*p.C*p.H*p.W)
				w := randSlice(rng, p.K*p.C*9)
				var b []float32
				if bias {
					b = randSlice(rng, p.K)
				}
				plain := p
				plain.Act = Identity
				nb := b
				if nb == nil {
					nb = make([]float32, p.K)
				}
				want, _, _, _ := convNaive(plain, x, w, nb, make([]float32, p.N*p.K*p.OutH()*p.OutW()))
				p.Act.apply(want)
				for _, v := range []winoVariant{winoF23, winoF43} {
					for _, vectors := range []bool{true, false} {
						if vectors && !winogradVectors() {
							continue
						}
						for _, schedule := range []int{winoGrouped, winoBatched, winoBatchedByImage} {
							for _, pairs := range []bool{true, false} {
								got := make([]float32, len(want))
								winoSchedule, winoPairsOff = schedule, !pairs
								if schedule == winoBatchedByImage {
									winoSchedule, winoImageMajor = winoBatched, true
								}
								withVectors(vectors, func() { p.winogradWith(v, x, w, b, got) })
								winoSchedule, winoPairsOff, winoImageMajor = winoAuto, false, false
								if err := testref.WithinScale(got, want, 1e-4); err != nil {
									t.Errorf("F(%dx%d, 3x3), vectors %v, schedule %d, tile rows in pairs %v: %v", v.m, v.m, vectors, schedule, pairs, err)
								}
							}
						}
					}
				}
			})
		}
	}
}

// TestWinogradDataGrad compares the input gradient computed by Winograd's
// method (winogradDataGrad) with the GEMM paths' on awkward shapes, each
// padding a 3×3 layer may have, stored and added, within 1e-4 of scale;
// the weight and bias gradients, computed as before, must not change.
func TestWinogradDataGrad(t *testing.T) {
	if !winogradVectors() {
		t.Skip("no vector transforms: the path is not taken")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	cases := []Conv{
		{N: 3, C: 37, H: 13, W: 17, K: 133, PadH: 1, PadW: 1},
		{N: 2, C: 132, H: 12, W: 12, K: 40, PadH: 0, PadW: 0},
		{N: 2, C: 34, H: 10, W: 14, K: 132, PadH: 2, PadW: 2},
		{N: 1, C: 64, H: 30, W: 29, K: 35, PadH: 1, PadW: 0},
		{N: 4, C: 190, H: 7, W: 7, K: 200, PadH: 1, PadW: 1},
		{N: 1, C: 530, H: 14, W: 14, K: 40, PadH: 1, PadW: 1},
	}
	for _, p := range cases {
		p.R, p.S, p.StrideH, p.StrideW = 3, 3, 1, 1
		for _, dxAdd := range []bool{false, true} {
			t.Run(fmt.Sprintf("%dx%dx%dx%d_k%d_pad%d,%d_add%v", p.N, p.C, p.H, p.W, p.K, p.PadH, p.PadW, dxAdd), func(t *testing.T) {
				if _, _, ok := p.dataGradWinograd(); !ok {
					t.Fatal("the input gradient does not take Winograd's method")
				}
				x, w := randSlice(rng, p.N*p.C*p.H*p.W), randSlice(rng, p.K*p.C*9)
				dy := randSlice(rng, p.N*p.K*p.OutH()*p.OutW())
				dx0 := randSlice(rng, len(x))
				run := func(off bool) (dx, dw, db []float32) {
					defer func(saved bool) { winoDataGradOff = saved }(winoDataGradOff)
					winoDataGradOff = off
					defer func(saved bool) { winoWeightGradOff = saved }(winoWeightGradOff)
					winoWeightGradOff = true
					dx, dw, db = append([]float32(nil), dx0...), make([]float32, len(w)), make([]float32, p.K)
					Conv2dBackward(p, x, w, dy, dx, dxAdd, dw, db, make([]float32, p.ColsSize()))
					return dx, dw, db
				}
				wantDx, wantDw, wantDb := run(true)
				gotDx, gotDw, gotDb := run(false)
				if err := testref.WithinScale(gotDx, wantDx, 1e-4); err != nil {
					t.Errorf("dx: %v", err)
				}
				if err := testref.WithinScale(gotDw, wantDw, 0); err != nil {
					t.Errorf("dw: %v", err)
				}
				if err := testref.WithinScale(gotDb, wantDb, 0); err != nil {
					t.Errorf("db: %v", err)
				}
			})
		}
	}
}

// withVectors runs fn with the vector kernels on, or with the Go
// reference of the Winograd transforms.
func withVectors(on bool, fn func()) {
	if on {
		fn()
		return
	}
	saved := activeKernel
	activeKernel = genericKernel
	defer func() { activeKernel = saved }()
	fn()
}

// TestWinogradConvPool checks that the Winograd path (F(4×4, 3×3) here)
// pools as Conv2dPool asks, as the other paths do.
func TestWinogradConvPool(t *testing.T) {
	if !winogradVectors() {
		t.Skip("no vector transforms: the path is not taken")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, act := range []Activation{ActReLU, ActTanh} {
		p := Conv{N: 2, C: 64, H: 32, W: 32, K: 64, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, Act: act}
		pool := Pool{N: 2, C: 64, H: 32, W: 32, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
		x, w, b := randSlice(rng, p.N*p.C*p.H*p.W), randSlice(rng, p.K*p.C*9), randSlice(rng, p.K)
		if _, ok := p.winogradVariant(); !ok {
			t.Fatal("the layer does not take the Winograd path")
		}
		got := make([]float32, 2*64*16*16)
		Conv2dPool(p, pool, true, x, w, b, nil, nil, got, make([]int32, len(got)))
		winogradOff = true
		want := make([]float32, len(got))
		Conv2dPool(p, pool, true, x, w, b, nil, nil, want, make([]int32, len(want)))
		// Within 1e-4 of the scale of the convolution's output: ReLU, tanh
		// and the maximum move no value further than its input moved.
		plain := p
		plain.Act = Identity
		pre := make([]float32, p.N*p.K*p.OutH()*p.OutW())
		Conv2d(plain, x, w, b, pre, nil)
		winogradOff = false
		if err := testref.WithinScale(got, want, 1e-4*testref.Scale(pre)/testref.Scale(want)); err != nil {
			t.Errorf("act %d: %v", act, err)
		}
	}
}

// TestWinogradChosen checks which layers take which Winograd algorithm.
func TestWinogradChosen(t *testing.T) {
	if !winogradVectors() {
		t.Skip("no vector transforms: the path is not taken")
	}
	base := Conv{N: 10, C: 64, H: 56, W: 56, K: 96, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}
	for _, c := range []struct {
		change func(*Conv)
		want   int // m of F(m×m, 3×3), 0 for none
	}{
		{func(*Conv) {}, 4},
		{func(p *Conv) { p.H, p.W = 28, 28 }, 4},
		{func(p *Conv) { p.H, p.W = 20, 20 }, 4},
		{func(p *Conv) { p.H, p.W = 14, 14 }, 4},
		{func(p *Conv) { p.H, p.W = 12, 12 }, 4},
		{func(p *Conv) { p.H, p.W = 11, 11 }, 0},
		// Few channels: none on planes under 28 wide, F(2×2) on planes
		// 28 to 55 wide.
		{func(p *Conv) { p.H, p.W, p.K = 14, 14, 64 }, 0},
		{func(p *Conv) { p.H, p.W, p.C = 28, 28, 32 }, 2},
		{func(p *Conv) { p.C = 32 }, 4},
		{func(p *Conv) { p.H, p.W = 7, 7 }, 0},
		// 7×7 planes: F(4×4) with the weights kept transformed
		// (inference), F(2×2) where they are transformed every call.
		{func(p *Conv) { p.H, p.W, p.C, p.K = 7, 7, 512, 512 }, 2},
		{func(p *Conv) { p.H, p.W, p.C, p.K, p.Cache = 7, 7, 512, 512, 1 }, 4},
		{func(p *Conv) { p.H, p.W, p.C, p.K = 7, 7, 160, 320 }, 2},
		{func(p *Conv) { p.H, p.W, p.C, p.K = 11, 11, 160, 320 }, 2},
		{func(p *Conv) { p.StrideH, p.StrideW = 2, 2 }, 0},
		{func(p *Conv) { p.R, p.S = 5, 5 }, 0},
		{func(p *Conv) { p.Groups = 2 }, 0},
		{func(p *Conv) { p.C = 16 }, 0},
	} {
		p := base
		c.change(&p)
		v, ok := p.winogradVariant()
		if got := map[bool]int{true: v.m}[ok]; got != c.want {
			t.Errorf("%+v: F(%d), want F(%d)", p, got, c.want)
		}
	}
}

// TestWinogradWeightsVector compares the vector transform of the weights
// (winoPackPanelVector) with the Go one, element by element, for both
// algorithms, the weights as they are and turned (an input gradient's),
// rows that end mid-panel and channels across two k blocks.
func TestWinogradWeightsVector(t *testing.T) {
	if !winogradVectors() {
		t.Skip("no vector transforms")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for _, v := range []winoVariant{winoF23, winoF43} {
		for _, s := range []struct{ k, c int }{{6, 3}, {17, 33}, {40, 520}} {
			for _, rot := range []bool{false, true} {
				w := randSlice(rng, s.k*s.c*9)
				gp := packedSize(s.k, s.c)
				got, want := make([]float32, v.a*v.a*gp), make([]float32, v.a*v.a*gp)
				winoPackWeights(v, w, s.k, s.c, rot, got, gp)
				withVectors(false, func() { winoPackWeights(v, w, s.k, s.c, rot, want, gp) })
				closeTo(t, fmt.Sprintf("F(%d) %dx%d rot %v", v.m, s.k, s.c, rot), got, want, 1e-6)
			}
		}
	}
}

// TestWinogradGradVector compares the vector transforms of the output
// gradient's tiles (winoGradF23AVX512, winoGradF43AVX512) with their Go
// reference (each variant's gradRow with vectors off), on rows of every
// width up to past two vectors, odd ones ending in part of a tile, and
// last tile rows of every height.
func TestWinogradGradVector(t *testing.T) {
	if !winogradVectors() {
		t.Skip("no vector transforms")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	for _, v := range []struct {
		winoVariant
		vec func(src []float32, stride int, dst []float32, plane, n, rows, cols int) bool
		// F(4×4)'s sums reach 60 times their terms, the kernel's fused
		// multiply-adds rounding them otherwise than Go.
		tol float64
	}{{winoF23, winoGradVector, 0}, {winoF43, wino43GradVector, 1e-5}} {
		a := v.a
		for cols := 1; cols <= 70; cols++ {
			for rows := 1; rows <= v.m; rows++ {
				n, stride := (cols+v.m-1)/v.m, cols+3
				plane := n + 5
				src := randSlice(rng, stride*v.m)
				got, want := randSlice(rng, a*a*plane), make([]float32, a*a*plane)
				copy(want, got)
				if !v.vec(src, stride, got, plane, n, rows, cols) {
					t.Fatal("the vector transform did not run")
				}
				withVectors(false, func() { v.gradRow(src, stride, want, plane, n, rows, cols) })
				closeTo(t, fmt.Sprintf("F(%d) cols %d rows %d", v.m, cols, rows), got, want, v.tol)
			}
		}
	}
}

// TestWinogradGradFiltersVector compares the final transforms of the
// weight gradient, F(2×2)'s and F(4×4)'s, with vectors
// (winoGradFilters23AVX512, winoGradFilters43AVX512: 16 filters at a
// time, the rest in Go) and without, on filter counts around multiples
// of 16 and of the threads' shares: the results must be identical.
func TestWinogradGradFiltersVector(t *testing.T) {
	if !winogradVectors() {
		t.Skip("no vector transforms")
	}
	rng := rand.New(rand.NewPCG(15, 16))
	for _, v := range []struct {
		positions int
		filters   func(u []float32, ldu, n int, dw []float32)
	}{{16, winoGradFilters23}, {36, winoGradFilters43}} {
		for _, n := range []int{1, 15, 16, 17, 33, 64, 127, 128, 129, 1000, 4099} {
			ldu := n + 7
			u := randSlice(rng, v.positions*ldu)
			got, want := randSlice(rng, 9*n), make([]float32, 9*n)
			copy(want, got)
			if n >= 16 && winoGradFiltersVector(v.positions, u, ldu, 16, make([]float32, 9*16)) != 16 {
				t.Fatal("the vector transform did not run")
			}
			v.filters(u, ldu, n, got)
			withVectors(false, func() { v.filters(u, ldu, n, want) })
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%d positions, %d filters: dw[%d] = %v, want %v", v.positions, n, i, got[i], want[i])
				}
			}
		}
	}
}

// TestWinogradWeightGrad compares the weight gradient computed by
// Winograd's method (winogradWeightGrad, F(2×2) and F(4×4)) with the GEMM
// paths' on awkward shapes, within 1e-4 of scale, added to what dw held;
// the bias and input gradients must not change.
func TestWinogradWeightGrad(t *testing.T) {
	if !winogradVectors() {
		t.Skip("no vector transforms: the path is not taken")
	}
	// Planes 7 wide take the path only where the vectors are half-width:
	// claim they are, whatever this CPU is.
	defer func(saved bool) { halfWidthVectors = saved }(halfWidthVectors)
	halfWidthVectors = true
	rng := rand.New(rand.NewPCG(11, 12))
	cases := []Conv{
		{N: 3, C: 256, H: 13, W: 15, K: 260, PadH: 1, PadW: 1},
		{N: 3, C: 192, H: 7, W: 7, K: 384, PadH: 1, PadW: 1},
		{N: 2, C: 130, H: 9, W: 8, K: 260, PadH: 1, PadW: 1},
		{N: 2, C: 130, H: 14, W: 14, K: 520, PadH: 1, PadW: 1},
		{N: 2, C: 128, H: 10, W: 14, K: 520, PadH: 0, PadW: 1},
		{N: 1, C: 530, H: 12, W: 12, K: 130, PadH: 2, PadW: 1},
		// Planes the implicit GEMM would take: F(4×4), the batch in one
		// group.
		{N: 3, C: 256, H: 27, W: 28, K: 256, PadH: 1, PadW: 1},
		{N: 2, C: 64, H: 30, W: 31, K: 64, PadH: 1, PadW: 1},
		// Groups of images, the last one smaller: F(4×4) in groups of 11
		// and 2 (3.6 MB an image), F(2×2) in groups of 3 and 1 (12.8 MB).
		{N: 13, C: 256, H: 28, W: 28, K: 256, PadH: 1, PadW: 1},
		{N: 4, C: 512, H: 27, W: 27, K: 512, PadH: 1, PadW: 1},
	}
	for _, p := range cases {
		p.R, p.S, p.StrideH, p.StrideW = 3, 3, 1, 1
		t.Run(fmt.Sprintf("%dx%dx%dx%d_k%d_pad%d,%d", p.N, p.C, p.H, p.W, p.K, p.PadH, p.PadW), func(t *testing.T) {
			if !p.weightGradWinograd() {
				t.Fatal("the weight gradient does not take Winograd's method")
			}
			x, w := randSlice(rng, p.N*p.C*p.H*p.W), randSlice(rng, p.K*p.C*9)
			dy := randSlice(rng, p.N*p.K*p.OutH()*p.OutW())
			dw0 := randSlice(rng, len(w))
			run := func(off bool) (dx, dw, db []float32) {
				defer func(saved bool) { winoWeightGradOff = saved }(winoWeightGradOff)
				winoWeightGradOff = off
				dx, dw, db = make([]float32, len(x)), append([]float32(nil), dw0...), make([]float32, p.K)
				Conv2dBackward(p, x, w, dy, dx, false, dw, db, nil)
				return dx, dw, db
			}
			wantDx, wantDw, wantDb := run(true)
			gotDx, gotDw, gotDb := run(false)
			if err := testref.WithinScale(gotDw, wantDw, 1e-4); err != nil {
				t.Errorf("dw: %v", err)
			}
			if err := testref.WithinScale(gotDx, wantDx, 0); err != nil {
				t.Errorf("dx: %v", err)
			}
			if err := testref.WithinScale(gotDb, wantDb, 1e-6); err != nil {
				t.Errorf("db: %v", err)
			}
		})
	}
}
