package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

func closeTo(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > tol*(1+math.Abs(float64(want[i]))) || got[i] != got[i] {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// gemmNaive is the definition of Gemm, for comparison.
func gemmNaive(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				av, bv := a[i*lda+p], b[p*ldb+j]
				if transA {
					av = a[p*lda+i]
				}
				if transB {
					bv = b[j*ldb+p]
				}
				s += float64(av) * float64(bv)
			}
			old := c[i*ldc+j]
			if beta == 0 {
				old = 0
			}
			c[i*ldc+j] = alpha*float32(s) + beta*old
		}
	}
}

// TestGemmShapes compares Gemm with every micro-kernel this CPU runs
// against the definition, on awkward shapes, transposes, strides and
// thread counts, including sizes past each cache block.
func TestGemmShapes(t *testing.T) {
	defer func(k microKernel) { activeKernel = k; SetThreads(2) }(activeKernel)
	r := rand.New(rand.NewPCG(1, 2))
	shapes := [][3]int{{1, 1, 1}, {1, 7, 3}, {1, 130, 70}, {70, 1, 100}, {1, 1, 100}, {1, 1503, 100}, {5, 1, 80}, {7, 1, 5}, {33, 17, 9}, {6, 784, 25}, {64, 10, 84}, {5, 3, 0},
		{40, 70, 130}, {130, 50, 70}, {13, 97, 200}, {64, 84, 120}, {100, 50, 7}, {7, 3100, 20}, {10, 600, 300}}
	for _, kern := range kernelsAvailable() {
		activeKernel = kern
		t.Logf("kernel %s", kern.name)
		testGemmShapes(t, r, shapes)
	}
}

func testGemmShapes(t *testing.T, r *rand.Rand, shapes [][3]int) {
	for _, threads := range []int{1, 2, 3} {
		SetThreads(threads)
		for _, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			for _, ta := range []bool{false, true} {
				for _, tb := range []bool{false, true} {
					for _, ab := range [][2]float32{{1, 0}, {1, 1}, {0.5, -2}} {
						lda, ldb, ldc := k+2, n+1, n+3
						if ta {
							lda = m + 2
						}
						if tb {
							ldb = k + 1
						}
						a := randSlice(r, max(m, k)*max(lda, 1)+1)
						b := randSlice(r, max(n, k)*max(ldb, 1)+1)
						c := randSlice(r, m*ldc)
						want := append([]float32(nil), c...)
						if ab[1] == 0 {
							for i := range c {
								c[i] = float32(math.NaN())
							}
						}
						Gemm(ta, tb, m, n, k, ab[0], a, lda, b, ldb, ab[1], c, ldc)
						gemmNaive(ta, tb, m, n, k, ab[0], a, lda, b, ldb, ab[1], want, ldc)
						// float32 sums of k products: the rounding grows with k.
						tol := 1e-5 * max(1, float64(k)/64)
						for i := 0; i < m; i++ {
							closeTo(t, fmt.Sprintf("%s gemm %v ta=%v tb=%v", activeKernel.name, s, ta, tb), c[i*ldc:i*ldc+n], want[i*ldc:i*ldc+n], tol)
						}
					}
				}
			}
		}
	}
}

// TestMicroKernelVariants compares each micro-kernel's four forms (fn,
// set, ind, indSet), its narrow kernel's and the narrow kernel's tall
// kernel's, with the definition on one tile: odd and even kc, B rows
// spaced or gathered by offsets, and C's surroundings untouched. A tall
// kernel must give exactly what its narrow kernel gives panel by panel.
func TestMicroKernelVariants(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	type forms struct {
		name        string
		nr, panels  int
		fn, set     func(kc int, a, b []float32, ldb int, c []float32, ldc int)
		ind, indSet func(kc int, a, b []float32, offs []int, c []float32, ldc int)
		narrow      *microKernel // a tall kernel's, run panel by panel
	}
	var all []forms
	add := func(k *microKernel) {
		all = append(all, forms{k.name, k.nr, 1, k.fn, k.set, k.ind, k.indSet, nil})
		if tk := k.tall; tk != nil {
			all = append(all, forms{k.name + " tall", k.nr, tk.panels, tk.fn, tk.set, tk.ind, tk.indSet, k})
		}
	}
	for _, k := range kernelsAvailable() {
		add(&k)
		if k.narrow != nil {
			add(k.narrow)
		}
	}
	for _, k := range all {
		nr, rows := k.nr, k.panels*gemmMR
		// 9 and more: the indirect AVX-512 kernels prefetch rows 8 steps ahead.
		for _, kc := range []int{1, 2, 3, 8, 9, 10, 17, 64} {
			ldb, ldc := nr+5, nr+3
			a, b := randSlice(r, kc*rows), randSlice(r, kc*ldb+nr)
			offs := make([]int, kc)
			for p := range offs {
				offs[p] = r.IntN(kc*ldb - nr)
			}
			c0 := randSlice(r, rows*ldc)
			for _, form := range []string{"fn", "set", "ind", "indSet"} {
				want := slices.Clone(c0)
				for i := 0; i < rows; i++ {
					ai := a[i/gemmMR*gemmMR*kc+i%gemmMR:] // row i's panel, at its row
					for j := 0; j < nr; j++ {
						var sum float64
						for p := 0; p < kc; p++ {
							row := p * ldb
							if form == "ind" || form == "indSet" {
								row = offs[p]
							}
							sum += float64(ai[p*gemmMR]) * float64(b[row+j])
						}
						if form == "set" || form == "indSet" {
							want[i*ldc+j] = float32(sum)
						} else {
							want[i*ldc+j] += float32(sum)
						}
					}
				}
				run := func(fn, set func(kc int, a, b []float32, ldb int, c []float32, ldc int),
					ind, indSet func(kc int, a, b []float32, offs []int, c []float32, ldc int),
					a, c []float32) {
					switch form {
					case "fn":
						fn(kc, a, b, ldb, c, ldc)
					case "set":
						set(kc, a, b, ldb, c, ldc)
					case "ind":
						ind(kc, a, b, offs, c, ldc)
					case "indSet":
						indSet(kc, a, b, offs, c, ldc)
					}
				}
				c := slices.Clone(c0)
				run(k.fn, k.set, k.ind, k.indSet, a, c)
				what := fmt.Sprintf("%s %d-wide %s kc=%d", k.name, nr, form, kc)
				closeTo(t, what, c, want, 1e-5)
				if n := k.narrow; n != nil {
					byPanel := slices.Clone(c0)
					for q := 0; q < k.panels; q++ {
						run(n.fn, n.set, n.ind, n.indSet, a[q*gemmMR*kc:], byPanel[q*gemmMR*ldc:])
					}
					if !slices.Equal(c, byPanel) {
						t.Errorf("%s: not what the narrow kernel gives panel by panel", what)
					}
				}
			}
		}
	}
}

// TestAddEvenRowsVector compares addEvenRowsAVX512 with its definition
// on rows of every length up to past three vectors, and that it touches
// no other element of dst.
func TestAddEvenRowsVector(t *testing.T) {
	if !winogradVectors() {
		t.Skip("no vector kernels")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for n := 1; n <= 50; n++ {
		for _, rows := range []int{1, 3} {
			lds, ldd := n+3, 2*n+5
			src := randSlice(r, rows*lds)
			got := randSlice(r, rows*ldd)
			want := append([]float32(nil), got...)
			if !addEvenRowsVector(src, lds, got, ldd, rows, n) {
				t.Fatal("addEvenRowsVector did not run")
			}
			for i := range rows {
				for j := range n {
					want[i*ldd+2*j] += src[i*lds+j]
				}
			}
			closeTo(t, fmt.Sprintf("n %d rows %d", n, rows), got, want, 0)
		}
	}
}

// TestCol2imIsAdjoint checks <Im2col(x), c> == <x, Col2im(c)> for several
// shapes, which pins Col2im to Im2col.
func TestCol2imIsAdjoint(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, p := range []Conv{
		{N: 1, C: 1, H: 28, W: 28, K: 6, R: 5, S: 5, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2},
		{N: 1, C: 3, H: 9, W: 9, K: 4, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		{N: 1, C: 2, H: 7, W: 11, K: 3, R: 3, S: 2, StrideH: 1, StrideW: 3, PadH: 1, PadW: 2},
		{N: 1, C: 2, H: 4, W: 4, K: 1, R: 1, S: 1, StrideH: 1, StrideW: 1},
		{N: 1, C: 2, H: 9, W: 8, K: 3, R: 3, S: 3, StrideH: 2, StrideW: 1, PadH: 1, PadW: 1},
		{N: 1, C: 3, H: 8, W: 8, K: 2, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		// Stride-2 rows of more than a vector, odd widths, a stride-1
		// height, dilation (addEvenRowsAVX512).
		{N: 1, C: 2, H: 30, W: 37, K: 2, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		{N: 1, C: 2, H: 21, W: 70, K: 1, R: 3, S: 5, StrideH: 1, StrideW: 2, PadH: 2},
		{N: 1, C: 1, H: 56, W: 57, K: 1, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 2, DilW: 2},
	} {
		n := p.C * p.H * p.W
		m := p.colRows() * p.OutH() * p.OutW()
		x, c := randSlice(r, n), randSlice(r, m)
		cols, back := make([]float32, m), make([]float32, n)
		Im2col(p, x, cols)
		Col2im(p, c, back)
		var lhs, rhs float64
		for i := range cols {
			lhs += float64(cols[i]) * float64(c[i])
		}
		for i := range x {
			rhs += float64(x[i]) * float64(back[i])
		}
		if math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
			t.Errorf("%+v: <im2col x, c> = %v, <x, col2im c> = %v", p, lhs, rhs)
		}
	}
}

func TestTanh32(t *testing.T) {
	worst := 0.0
	for x := -20.0; x <= 20; x += 1e-4 {
		got := float64(Tanh32(float32(x)))
		want := math.Tanh(float64(float32(x)))
		worst = max(worst, math.Abs(got-want))
	}
	if worst > 2e-7 {
		t.Errorf("Tanh32 worst absolute error on [-20,20] = %g, want <= 2e-7", worst)
	}
	for _, x := range []float32{float32(math.Inf(1)), float32(math.Inf(-1))} {
		if got := Tanh32(x); got != float32(math.Copysign(1, float64(x))) {
			t.Errorf("Tanh32(%v) = %v", x, got)
		}
	}
	if got := Tanh32(float32(math.NaN())); got == got {
		t.Errorf("Tanh32(NaN) = %v", got)
	}
}

// TestTanhKernels checks Tanh with every kernel this CPU runs, including
// the lengths that leave a tail for the scalar code.
func TestTanhKernels(t *testing.T) {
	defer func(k microKernel) { activeKernel = k }(activeKernel)
	var x []float32
	for v := -20.0; v <= 20; v += 1e-4 {
		x = append(x, float32(v))
	}
	x = append(x, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 0, -0.625, 0.625, 9.1, -9.1)
	for _, kern := range kernelsAvailable() {
		activeKernel = kern
		for _, n := range []int{len(x), len(x) - 5, 3} {
			y := make([]float32, n)
			Tanh(x[:n], y)
			for i, v := range x[:n] {
				want := math.Tanh(float64(v))
				if math.IsNaN(want) {
					if y[i] == y[i] {
						t.Fatalf("%s: tanh(NaN) = %v", kern.name, y[i])
					}
					continue
				}
				if d := math.Abs(float64(y[i]) - want); d > 2e-7 {
					t.Fatalf("%s: tanh(%v) = %v, want %v (error %g)", kern.name, v, y[i], want, d)
				}
			}
		}
	}
}

func TestExp32(t *testing.T) {
	for x := -87.0; x <= 88; x += 1e-3 {
		got := float64(Exp32(float32(x)))
		want := math.Exp(float64(float32(x)))
		if math.Abs(got-want) > 3e-7*want {
			t.Fatalf("Exp32(%v) = %v, want %v", x, got, want)
		}
	}
}

func TestChunkRangeCovers(t *testing.T) {
	for n := 0; n < 20; n++ {
		for chunks := 1; chunks < 6; chunks++ {
			next := 0
			for c := 0; c < chunks; c++ {
				lo, hi := ChunkRange(n, chunks, c)
				if lo != next || hi < lo {
					t.Fatalf("n=%d chunks=%d c=%d: [%d,%d), want start %d", n, chunks, c, lo, hi, next)
				}
				next = hi
			}
			if next != n {
				t.Fatalf("n=%d chunks=%d: covered %d", n, chunks, next)
			}
		}
	}
}

// poolNaive is the definition of average and max pooling, for comparison.
func poolNaive(p Pool, x []float32) (avg, mx []float32) {
	oh, ow := p.OutH(), p.OutW()
	avg, mx = make([]float32, p.N*p.C*oh*ow), make([]float32, p.N*p.C*oh*ow)
	for pl := 0; pl < p.N*p.C; pl++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				var s float32
				m := float32(math.Inf(-1))
				for i := 0; i < p.KH; i++ {
					for j := 0; j < p.KW; j++ {
						iy, ix := oy*p.StrideH-p.PadH+i, ox*p.StrideW-p.PadW+j
						if iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
							continue
						}
						v := x[pl*p.H*p.W+iy*p.W+ix]
						s += v
						m = max(m, v)
					}
				}
				avg[pl*oh*ow+oy*ow+ox] = s / float32(p.KH*p.KW)
				mx[pl*oh*ow+oy*ow+ox] = m
			}
		}
	}
	return avg, mx
}

func TestPoolingMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, p := range []Pool{
		{N: 3, C: 4, H: 28, W: 28, KH: 2, KW: 2, StrideH: 2, StrideW: 2},
		{N: 2, C: 3, H: 7, W: 9, KH: 2, KW: 2, StrideH: 2, StrideW: 2},
		{N: 2, C: 2, H: 7, W: 7, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		{N: 1, C: 2, H: 6, W: 5, KH: 3, KW: 2, StrideH: 1, StrideW: 2},
	} {
		x := randSlice(r, p.N*p.C*p.H*p.W)
		wantAvg, wantMax := poolNaive(p, x)
		avg, mx := make([]float32, len(wantAvg)), make([]float32, len(wantMax))
		argmax := make([]int32, len(mx))
		AvgPool2d(p, x, avg)
		MaxPool2d(p, x, mx, argmax)
		closeTo(t, fmt.Sprintf("avg %+v", p), avg, wantAvg, 1e-6)
		closeTo(t, fmt.Sprintf("max %+v", p), mx, wantMax, 0)
		// Backward of the sum of outputs: each input gets 1/(KH*KW) per
		// window covering it, and 1 per window it is the maximum of.
		ones := make([]float32, len(avg))
		for i := range ones {
			ones[i] = 1
		}
		dx, want := make([]float32, len(x)), make([]float32, len(x))
		AvgPool2dBackward(p, ones, dx, true)
		stored := make([]float32, len(x))
		for i := range stored {
			stored[i] = float32(math.NaN())
		}
		AvgPool2dBackward(p, ones, stored, false)
		closeTo(t, fmt.Sprintf("avg backward stored %+v", p), stored, dx, 0)
		for pl := 0; pl < p.N*p.C; pl++ {
			for oy := 0; oy < p.OutH(); oy++ {
				for ox := 0; ox < p.OutW(); ox++ {
					y0, y1, x0, x1 := p.window(oy, ox)
					for iy := y0; iy < y1; iy++ {
						for ix := x0; ix < x1; ix++ {
							want[pl*p.H*p.W+iy*p.W+ix] += 1 / float32(p.KH*p.KW)
						}
					}
				}
			}
		}
		closeTo(t, fmt.Sprintf("avg backward %+v", p), dx, want, 1e-6)
	}
}

// TestVectorKernelsMatchGo compares the vector versions of TanhBackward
// and AdamStep with the pure-Go ones on lengths with and without tails.
func TestVectorKernelsMatchGo(t *testing.T) {
	defer func(k microKernel) { activeKernel = k }(activeKernel)
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{1, 15, 16, 100, 4099} {
		y, dy, dx0 := randSlice(r, n), randSlice(r, n), randSlice(r, n)
		p0, g := randSlice(r, n), randSlice(r, n)
		m0, v0 := randSlice(r, n), randSlice(r, n)
		for i := range v0 {
			v0[i] *= v0[i]
		}
		run := func(kern microKernel) (dx, p, m, v []float32) {
			activeKernel = kern
			dx = append([]float32(nil), dx0...)
			TanhBackward(y, dy, dx, true)
			// Storing, then adding dx0, gives the same.
			set := make([]float32, n)
			TanhBackward(y, dy, set, false)
			for i := range set {
				set[i] += dx0[i]
			}
			closeTo(t, kern.name+" tanh backward stored", set, dx, 1e-6)
			p, m, v = append([]float32(nil), p0...), append([]float32(nil), m0...), append([]float32(nil), v0...)
			AdamStep(p, g, m, v, 3, 1e-3, 0.9, 0.999, 1e-8, 0.01)
			// SGD with momentum, after its first step, into m as buffer.
			SGDStep(p, g, m, false, 0.05, 0.9, 0.1, 0.01, false)
			return dx, p, m, v
		}
		wdx, wp, wm, wv := run(genericKernel)
		for _, kern := range kernelsAvailable() {
			dx, p, m, v := run(kern)
			name := fmt.Sprintf("%s n=%d", kern.name, n)
			closeTo(t, name+" tanh backward", dx, wdx, 1e-6)
			closeTo(t, name+" adam p", p, wp, 1e-6)
			closeTo(t, name+" adam m", m, wm, 1e-6)
			closeTo(t, name+" adam v", v, wv, 1e-6)
		}
	}
}

// TestAvgPool2VectorMatchesGo compares 2×2 average pooling, forward and
// backward (stored and added), under every kernel with the pure-Go loops,
// on widths below, at and past the vector kernels' 32-input chunks.
func TestAvgPool2VectorMatchesGo(t *testing.T) {
	defer func(k microKernel) { activeKernel = k }(activeKernel)
	r := rand.New(rand.NewPCG(21, 22))
	for _, hw := range [][2]int{{2, 2}, {10, 10}, {28, 28}, {7, 32}, {6, 34}, {4, 64}, {5, 70}, {3, 18}} {
		p := Pool{N: 2, C: 3, H: hw[0], W: hw[1], KH: 2, KW: 2, StrideH: 2, StrideW: 2}
		x := randSlice(r, p.N*p.C*p.H*p.W)
		dy := randSlice(r, p.N*p.C*p.OutH()*p.OutW())
		dx0 := randSlice(r, len(x))
		type result struct{ y, added, stored []float32 }
		run := func() result {
			res := result{make([]float32, len(dy)), slices.Clone(dx0), make([]float32, len(x))}
			AvgPool2d(p, x, res.y)
			AvgPool2dBackward(p, dy, res.added, true)
			AvgPool2dBackward(p, dy, res.stored, false)
			return res
		}
		activeKernel = genericKernel
		want := run()
		for _, k := range kernelsAvailable() {
			activeKernel = k
			got := run()
			name := fmt.Sprintf("%s %dx%d", k.name, p.H, p.W)
			closeTo(t, name+" forward", got.y, want.y, 0)
			closeTo(t, name+" backward added", got.added, want.added, 0)
			closeTo(t, name+" backward stored", got.stored, want.stored, 0)
		}
	}
}

// TestCopyRowsMatchesGo compares copyRows under every kernel with the
// pure-Go loop, on widths around the vector length.
func TestCopyRowsMatchesGo(t *testing.T) {
	defer func(k microKernel) { activeKernel = k }(activeKernel)
	r := rand.New(rand.NewPCG(31, 32))
	for _, c := range []struct {
		w     int
		floor float32
	}{{1, noFloor}, {10, noFloor}, {16, 0}, {28, noFloor}, {33, 0}} {
		w := c.w
		rows, lds, ldd := 5, w+3, w+7
		src := randSlice(r, rows*lds)
		run := func() ([]float32, float32) {
			dst := make([]float32, rows*ldd)
			s := copyRows(dst, ldd, src, lds, rows, w, 0.5, c.floor)
			return dst, s
		}
		activeKernel = genericKernel
		want, wantSum := run()
		for _, k := range kernelsAvailable() {
			activeKernel = k
			got, gotSum := run()
			closeTo(t, fmt.Sprintf("%s w=%d", k.name, w), got, want, 0)
			if math.Abs(float64(gotSum-wantSum)) > 1e-5 {
				t.Errorf("%s w=%d: sum %v, want %v", k.name, w, gotSum, wantSum)
			}
			// NaN stays NaN, under a floor too.
			nan := slices.Clone(src)
			nan[0] = float32(math.NaN())
			dst := make([]float32, rows*ldd)
			if copyRows(dst, ldd, nan, lds, rows, w, 0.5, c.floor); !math.IsNaN(float64(dst[0])) {
				t.Errorf("%s w=%d: NaN copied as %v", k.name, w, dst[0])
			}
		}
	}
}

// TestAdamStepsMatchesAdamStep checks that updating tensors together,
// split across threads at any element, equals updating each alone.
func TestAdamStepsMatchesAdamStep(t *testing.T) {
	defer SetThreads(2)
	r := rand.New(rand.NewPCG(41, 42))
	sizes := []int{150, 6, 2400, 16, 48000, 120, 7}
	for _, threads := range []int{1, 2, 3} {
		SetThreads(threads)
		var together []AdamParam
		var alone [][4][]float32
		for i, n := range sizes {
			p, g, m, v := randSlice(r, n), randSlice(r, n), randSlice(r, n), randSlice(r, n)
			for j := range v {
				v[j] *= v[j]
			}
			together = append(together, AdamParam{P: p, G: g, M: m, V: v, T: i + 1})
			c := func(x []float32) []float32 { return append([]float32(nil), x...) }
			alone = append(alone, [4][]float32{c(p), g, c(m), c(v)})
		}
		AdamSteps(together, 1e-3, 0.9, 0.999, 1e-8, 0.01)
		for i, a := range alone {
			AdamStep(a[0], a[1], a[2], a[3], i+1, 1e-3, 0.9, 0.999, 1e-8, 0.01)
			name := fmt.Sprintf("threads %d tensor %d", threads, i)
			closeTo(t, name+" p", together[i].P, a[0], 0)
			closeTo(t, name+" m", together[i].M, a[2], 0)
			closeTo(t, name+" v", together[i].V, a[3], 0)
		}
	}
}

// TestAvgPool2TanhBackwardMatchesTwoPasses checks the fused backward of
// tanh then 2×2 average pooling against the two backward kernels run one
// after the other, stored and added, under every kernel.
func TestAvgPool2TanhBackwardMatchesTwoPasses(t *testing.T) {
	defer func(k microKernel) { activeKernel = k }(activeKernel)
	r := rand.New(rand.NewPCG(23, 24))
	for _, hw := range [][2]int{{2, 2}, {10, 10}, {28, 28}, {6, 34}, {4, 64}, {2, 70}} {
		p := Pool{N: 2, C: 3, H: hw[0], W: hw[1], KH: 2, KW: 2, StrideH: 2, StrideW: 2}
		y, dy := randSlice(r, p.N*p.C*p.H*p.W), randSlice(r, p.N*p.C*p.OutH()*p.OutW())
		dx0 := randSlice(r, len(y))
		for _, k := range append(kernelsAvailable(), genericKernel) {
			activeKernel = k
			for _, add := range []bool{false, true} {
				want, got := slices.Clone(dx0), slices.Clone(dx0)
				pooled := make([]float32, len(y))
				AvgPool2dBackward(p, dy, pooled, false)
				TanhBackward(y, pooled, want, add)
				AvgPool2dTanhBackward(p, dy, y, got, add)
				// Equal but for the last rounding: TanhBackward's scalar
				// tail forms 1 - y² unfused, the vector kernels fused.
				closeTo(t, fmt.Sprintf("%s %dx%d add=%v", k.name, p.H, p.W, add), got, want, 1e-6)
			}
		}
	}
	odd := Pool{N: 1, C: 1, H: 5, W: 4, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
	if odd.FusesTanh() {
		t.Error("fuses a pooling that leaves a row out")
	}
}

// TestConv2dBackwardTanhPool checks a convolution's backward from the
// gradient of a tanh and a 2×2 average pooling after it, taken image by
// image, against the two passes: AvgPool2dTanhBackward, then
// Conv2dBackward. LeNet-5's two convolutions (column- and channel-
// vectorised, five images a thread's chunk) and one that takes neither
// way; input gradients stored and added.
func TestConv2dBackwardTanhPool(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, p := range []Conv{
		{N: 10, C: 1, H: 28, W: 28, K: 6, R: 5, S: 5, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2},
		{N: 10, C: 6, H: 14, W: 14, K: 16, R: 5, S: 5, StrideH: 1, StrideW: 1},
		{N: 3, C: 4, H: 9, W: 9, K: 5, R: 2, S: 2, StrideH: 1, StrideW: 1},
	} {
		pool := Pool{N: p.N, C: p.K, H: p.OutH(), W: p.OutW(), KH: 2, KW: 2, StrideH: 2, StrideW: 2}
		x, w := randSlice(r, p.N*p.C*p.H*p.W), randSlice(r, p.K*p.C*p.R*p.S)
		y, dy := randSlice(r, p.N*p.K*p.OutH()*p.OutW()), randSlice(r, p.N*p.K*pool.OutH()*pool.OutW())
		dx0 := randSlice(r, len(x))
		for _, withDx := range []bool{false, true} {
			for _, add := range []bool{false, true} {
				var wantDx, gotDx []float32
				if withDx {
					wantDx, gotDx = slices.Clone(dx0), slices.Clone(dx0)
				}
				wantDw, gotDw := make([]float32, len(w)), make([]float32, len(w))
				wantDb, gotDb := make([]float32, p.K), make([]float32, p.K)
				dz := make([]float32, len(y))
				AvgPool2dTanhBackward(pool, dy, y, dz, false)
				Conv2dBackward(p, x, w, dz, wantDx, add, wantDw, wantDb, nil)
				Conv2dBackwardTanhPool(p, TanhPoolGrad{Pool: pool, Y: y, DY: dy}, x, w, gotDx, add, gotDw, gotDb, nil)
				what := fmt.Sprintf("%dx%d C%d K%d dx=%v add=%v", p.H, p.W, p.C, p.K, withDx, add)
				closeTo(t, what+" dw", gotDw, wantDw, 0)
				closeTo(t, what+" db", gotDb, wantDb, 0)
				closeTo(t, what+" dx", gotDx, wantDx, 0)
			}
		}
	}
}

// TestBytesToUnit checks BytesToUnit with every kernel this CPU runs
// against float32(b)/255, exactly, over every byte value and lengths that
// leave tails.
func TestBytesToUnit(t *testing.T) {
	defer func(k microKernel) { activeKernel = k }(activeKernel)
	src := make([]uint8, 3*256+7)
	for i := range src {
		src[i] = uint8(i * 7)
	}
	for _, kern := range kernelsAvailable() {
		activeKernel = kern
		for _, n := range []int{len(src), 256, 17, 5, 0} {
			dst := make([]float32, n)
			BytesToUnit(src[:n], dst)
			for i, b := range src[:n] {
				if want := float32(b) / 255; dst[i] != want {
					t.Fatalf("%s n=%d: byte %d gives %v, want %v", kern.name, n, b, dst[i], want)
				}
			}
		}
	}
}

// TestReluBackward checks ReluBackward with every kernel this CPU runs
// against its definition, storing and adding, with zeros, NaNs and
// lengths that leave tails.
func TestReluBackward(t *testing.T) {
	defer func(k microKernel) { activeKernel = k }(activeKernel)
	r := rand.New(rand.NewPCG(51, 52))
	const n = 100
	y, dy, old := randSlice(r, n), randSlice(r, n), randSlice(r, n)
	y[3], y[20], y[40] = 0, float32(math.NaN()), float32(math.Copysign(0, -1))
	for _, kern := range kernelsAvailable() {
		activeKernel = kern
		for _, add := range []bool{false, true} {
			for _, m := range []int{n, 37, 16, 5} {
				dx := slices.Clone(old[:m])
				ReluBackward(y[:m], dy[:m], dx, add)
				for i := range dx {
					want := old[i]
					if !add {
						want = 0
					}
					if y[i] > 0 {
						want = dy[i]
						if add {
							want += old[i]
						}
					}
					if dx[i] != want {
						t.Fatalf("%s add=%v n=%d: dx[%d] = %v, want %v (y %v)", kern.name, add, m, i, dx[i], want, y[i])
					}
				}
			}
		}
	}
}

// TestMaxPool2MatchesGo compares 2×2 max pooling, values and argmax, on
// every kernel this CPU runs with the Go loops, on widths around the
// vector chunks, odd heights, ties and NaNs.
func TestMaxPool2MatchesGo(t *testing.T) {
	defer func(k microKernel) { activeKernel = k }(activeKernel)
	r := rand.New(rand.NewPCG(61, 62))
	for _, w := range []int{2, 6, 14, 30, 32, 34, 64, 70, 224} {
		for _, h := range []int{2, 5, 8} {
			p := Pool{N: 2, C: 3, H: h, W: w, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
			x := randSlice(r, p.N*p.C*h*w)
			for i := range x {
				switch r.IntN(10) {
				case 0:
					x[i] = float32(math.NaN())
				case 1:
					x[i] = 0.5 // ties
				}
			}
			n := p.N * p.C * p.OutH() * p.OutW()
			run := func() ([]float32, []int32) {
				y, arg := make([]float32, n), make([]int32, n)
				MaxPool2d(p, x, y, arg)
				return y, arg
			}
			activeKernel = genericKernel
			want, wantArg := run()
			for _, k := range kernelsAvailable() {
				activeKernel = k
				got, gotArg := run()
				for i := range want {
					same := got[i] == want[i] || math.IsNaN(float64(got[i])) && math.IsNaN(float64(want[i]))
					if !same || gotArg[i] != wantArg[i] {
						t.Fatalf("%s %dx%d: output %d = %v at %d, want %v at %d", k.name, h, w, i, got[i], gotArg[i], want[i], wantArg[i])
					}
				}
			}
		}
	}
}

// TestAddAndReluVectorsMatchGo checks AddInto and Relu, whose vector
// loops take the whole vectors, against their Go definitions, exactly,
// on lengths around the vectors and across threads; ReLU keeps NaN and
// makes -0 a 0 as Go's max does.
func TestAddAndReluVectorsMatchGo(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, n := range []int{1, 15, 16, 17, 63, 64, 65, 70000} {
		x, y := randSlice(r, n), randSlice(r, n)
		x[0], y[n-1] = float32(math.NaN()), float32(math.Copysign(0, -1))
		z, rect := make([]float32, n), make([]float32, n)
		AddInto(x, y, z)
		Relu(y, rect)
		for i := range z {
			sum, want := x[i]+y[i], max(y[i], 0)
			if math.Float32bits(z[i]) != math.Float32bits(sum) && !(z[i] != z[i] && sum != sum) {
				t.Fatalf("n=%d: AddInto[%d] = %v, want %v", n, i, z[i], sum)
			}
			if math.Float32bits(rect[i]) != math.Float32bits(want) {
				t.Fatalf("n=%d: Relu[%d] = %v, want %v", n, i, rect[i], want)
			}
		}
	}
}

// TestPrefetch: prefetch reads nothing it should not and changes nothing,
// whatever the length and alignment.
func TestPrefetch(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	buf := randSlice(r, 1000)
	want := slices.Clone(buf)
	for _, n := range []int{0, 1, 15, 16, 17, 999} {
		for _, off := range []int{0, 1, 7} {
			if off+n <= len(buf) {
				prefetch(buf[off : off+n])
			}
		}
	}
	if !slices.Equal(buf, want) {
		t.Error("prefetch changed memory")
	}
}

// TestMoveRows: moveRowsVector copies every bit (-0, NaN payloads) of
// rows of any width, and nothing past them.
func TestMoveRows(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, w := range []int{1, 15, 16, 17, 28, 48} {
		rows, lds, ldd := 5, w+3, w+7
		src := randSlice(r, rows*lds)
		src[lds] = float32(math.Copysign(0, -1)) // row 1's first
		src[w-1] = math.Float32frombits(0x7fc00123)
		dst := randSlice(r, rows*ldd)
		want := slices.Clone(dst)
		for y := 0; y < rows; y++ {
			copy(want[y*ldd:y*ldd+w], src[y*lds:])
		}
		if !moveRowsVector(dst, ldd, src, lds, rows, w) {
			t.Skip("no vector kernel")
		}
		for i := range dst {
			if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
				t.Fatalf("w %d: element %d is %x, want %x", w, i, math.Float32bits(dst[i]), math.Float32bits(want[i]))
			}
		}
	}
}

// TestInPlaceAKernels compares the micro-kernels that read A where it
// lies (aRows, aTrans) and their storing twins (aRowsSet, aTransSet) with
// the definition on one tile, for odd and even kc: the adding ones onto
// what C held, the storing ones over NaN, which they must not read.
func TestInPlaceAKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, k := range kernelsAvailable() {
		if k.aRows == nil {
			continue
		}
		for _, kc := range []int{1, 2, 7, 64} {
			for _, trans := range []bool{false, true} {
				lda := kc + 3
				if trans {
					lda = gemmMR + 5
				}
				a := randSlice(r, max(gemmMR, kc)*lda)
				ldb, ldc := k.nr+4, k.nr+2
				b, c0 := randSlice(r, kc*ldb), randSlice(r, gemmMR*ldc)
				at := func(i, p int) float32 {
					if trans {
						return a[p*lda+i]
					}
					return a[i*lda+p]
				}
				add, set := k.aRows, k.aRowsSet
				if trans {
					add, set = k.aTrans, k.aTransSet
				}
				if set == nil {
					t.Fatalf("%s has an in-place kernel without its storing twin", k.name)
				}
				got := append([]float32(nil), c0...)
				add(kc, a, lda, b, ldb, got, ldc)
				stored := make([]float32, len(c0))
				for i := range stored {
					stored[i] = float32(math.NaN())
				}
				set(kc, a, lda, b, ldb, stored, ldc)
				for i := 0; i < gemmMR; i++ {
					// The columns past the tile are not written.
					for j := k.nr; j < ldc; j++ {
						if got[i*ldc+j] != c0[i*ldc+j] || stored[i*ldc+j] == stored[i*ldc+j] {
							t.Fatalf("%s trans=%v kc %d: C[%d,%d] past the tile was written", k.name, trans, kc, i, j)
						}
					}
					for j := 0; j < k.nr; j++ {
						var sum float64
						for p := 0; p < kc; p++ {
							sum += float64(at(i, p)) * float64(b[p*ldb+j])
						}
						tol := 1e-5 * (1 + math.Abs(sum))
						if d := math.Abs(float64(got[i*ldc+j]) - (sum + float64(c0[i*ldc+j]))); !(d <= tol) {
							t.Fatalf("%s trans=%v kc %d: C[%d,%d] = %v, want %v", k.name, trans, kc, i, j, got[i*ldc+j], sum+float64(c0[i*ldc+j]))
						}
						if d := math.Abs(float64(stored[i*ldc+j]) - sum); !(d <= tol) {
							t.Fatalf("%s trans=%v kc %d set: C[%d,%d] = %v, want %v", k.name, trans, kc, i, j, stored[i*ldc+j], sum)
						}
					}
				}
			}
		}
	}
}
