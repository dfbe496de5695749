package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestBF16Bits(t *testing.T) {
	for _, c := range []struct {
		in   uint32
		want uint32
	}{
		{0x3f800000, 0x3f80}, // 1
		{0x3f808000, 0x3f80}, // a tie: to the even 1
		{0x3f818000, 0x3f82}, // a tie: to the even above
		{0x3f808001, 0x3f81}, // above the tie
		{0xbf80ffff, 0xbf81}, // rounds away in magnitude
		{0x00000001, 0x0000}, // subnormal: flushed
		{0x807fffff, 0x8000}, // negative subnormal: -0
		{0x00800000, 0x0080}, // the least normal stays
		{0x7f7fffff, 0x7f80}, // past the largest bf16: +Inf
		{0x7f800000, 0x7f80}, // +Inf
		{0xff800000, 0xff80}, // -Inf
		{0x7f800001, 0x7fc0}, // a signalling NaN is made quiet
		{0xffc00000, 0xffc0}, // a quiet NaN
	} {
		if got := bf16Bits(math.Float32frombits(c.in)); got != c.want {
			t.Errorf("bf16Bits(%#08x) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
}

// bf16Specials are values whose rounding is easy to get wrong.
var bf16Specials = []uint32{0x3f808000, 0x3f818000, 0x00000001, 0x807fffff, 0x7f7fffff,
	0x7f800000, 0xff800000, 0x7f800001, 0xffc00000, 0x00800000, 0x80000000, 0x3f80ffff}

func TestBF16PairsMatchGo(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, k := range bf16KernelsAvailable() {
		if k.pairs == nil {
			continue
		}
		const n = 3
		r0, r1 := randSlice(r, 16*n), randSlice(r, 16*n)
		for i, s := range bf16Specials {
			r0[i] = math.Float32frombits(s)
			r1[len(r1)-1-i] = math.Float32frombits(s)
		}
		r1[5] *= 1e-38 // subnormal
		got := make([]uint32, 16*n)
		k.pairs(n, r0, r1, got)
		for j := range got {
			if want := bf16Pair(r0[j], r1[j]); got[j] != want {
				t.Errorf("%s: pair %d of (%#08x, %#08x) = %#08x, want %#08x", k.name, j,
					math.Float32bits(r0[j]), math.Float32bits(r1[j]), got[j], want)
			}
		}
		if k.round != nil {
			rounded := make([]float32, len(r0))
			k.round(n, r0, rounded)
			for i, v := range rounded {
				if want := bf16Float(bf16Bits(r0[i])); math.Float32bits(v) != math.Float32bits(want) {
					t.Errorf("%s: rounding %#08x gave %#08x, want %#08x", k.name, math.Float32bits(r0[i]), math.Float32bits(v), math.Float32bits(want))
				}
			}
		}
		if k.row == nil {
			continue
		}
		// A run: r0 then r1, 32*n values, and one odd value more through
		// bf16Row's tail.
		run := append(append([]float32(nil), r0...), r1...)
		run = append(run, r0[:15]...)
		words := make([]uint32, (len(run)+1)/2)
		k.bf16Row(run, words)
		for q, w := range words {
			hi := float32(0)
			if 2*q+1 < len(run) {
				hi = run[2*q+1]
			}
			if want := bf16Pair(run[2*q], hi); w != want {
				t.Errorf("%s: run word %d = %#08x, want %#08x", k.name, q, w, want)
			}
		}
	}
}

// testBF16Kernels are the bf16 kernels this CPU runs and, for the
// packing and blocking that AMX's tiles need, an emulation with their
// shape and layout (32×32 tiles, A in blocks of 16 pairs).
func testBF16Kernels() []bf16Kernel {
	amx := emulatedBF16Kernel("amx-layout-emulated", 32, 32, 16, true)
	amx.matrixUnit = true // as AMX, the GEMM paths where the others take Winograd's
	return append(bf16KernelsAvailable(), amx)
}

func TestBF16KernelsMatchEmulation(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, k := range bf16KernelsAvailable() {
		ref := emulatedBF16Kernel("emulated", k.mr, k.nr, k.kb, k.aBlocked)
		for _, blocks := range []int{0, 1, 2, 7, 64, 257} {
			kp := blocks * k.kb
			ldb := k.nr + 3
			a, b := make([]uint32, kp*k.mr), make([]uint32, kp*ldb)
			for i := range a {
				a[i] = bf16Pair(r.Float32()*2-1, r.Float32()*2-1)
			}
			for i := range b {
				b[i] = bf16Pair(r.Float32()*2-1, r.Float32()*2-1)
			}
			ldc := k.nr + 5
			c0 := randSlice(r, k.mr*ldc)
			got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
			k.fn(kp, a, b, ldb, got, ldc)
			ref.fn(kp, a, b, ldb, want, ldc)
			closeTo(t, fmt.Sprintf("%s kp=%d", k.name, kp), got, want, 1e-5*float64(1+kp))
			set := randSlice(r, k.mr*ldc)
			k.set(kp, a, b, ldb, set, ldc)
			for i := range k.mr {
				for j := range k.nr {
					// set stores what fn adds: got - c0 within rounding.
					setWant := got[i*ldc+j] - c0[i*ldc+j]
					if d := math.Abs(float64(set[i*ldc+j] - setWant)); d > 1e-4*float64(1+kp) {
						t.Fatalf("%s kp=%d: set[%d,%d] = %v, want %v", k.name, kp, i, j, set[i*ldc+j], setWant)
					}
				}
			}
		}
	}
}

// gemmBF16Naive is GemmBF16's definition in float64.
func gemmBF16Naive(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	round := func(v float32) float64 { return float64(bf16Float(bf16Bits(v))) }
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
				s += round(alpha*av) * round(bv)
			}
			old := c[i*ldc+j]
			if beta == 0 {
				old = 0
			}
			c[i*ldc+j] = float32(s) + beta*old
		}
	}
}

// TestGemmBF16Shapes compares GemmBF16 and the prepacked bf16 GEMM, with
// every bf16 kernel this CPU runs, against their definition on awkward
// shapes, odd k, transposes and sizes past each cache block.
func TestGemmBF16Shapes(t *testing.T) {
	defer func(k bf16Kernel) { activeBF16 = k; SetThreads(2) }(activeBF16)
	r := rand.New(rand.NewPCG(7, 8))
	shapes := [][3]int{{1, 1, 1}, {6, 48, 2}, {7, 50, 3}, {13, 100, 515}, {2, 300, 77}, {65, 97, 1030}, {200, 3100, 9}}
	for _, k := range testBF16Kernels() {
		activeBF16 = k
		for _, threads := range []int{1, 2} {
			SetThreads(threads)
			for _, s := range shapes {
				m, n, kk := s[0], s[1], s[2]
				for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
					lda, ldb, ldc := kk+1, n+2, n+3
					if tr[0] {
						lda = m + 1
					}
					if tr[1] {
						ldb = kk + 2
					}
					a, b := randSlice(r, max(m, kk)*lda), randSlice(r, max(n, kk)*ldb)
					c0 := randSlice(r, m*ldc)
					got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
					// alpha 1 takes the vector packing, others the scalar one.
					alpha := float32(1)
					if tr[0] && tr[1] {
						alpha = 0.5
					}
					GemmBF16(tr[0], tr[1], m, n, kk, alpha, a, lda, b, ldb, 1, got, ldc)
					gemmBF16Naive(tr[0], tr[1], m, n, kk, alpha, a, lda, b, ldb, 1, want, ldc)
					closeTo(t, fmt.Sprintf("%s threads=%d %v trans=%v", k.name, threads, s, tr), got, want, 1e-5*math.Sqrt(float64(kk)))
				}
				// Prepacked A (a convolution's weights), beta 0 over NaNs.
				lda, ldb := kk, n
				a, b := randSlice(r, m*lda), randSlice(r, kk*ldb)
				pa := make([]uint32, packedSizeBF16(m, kk))
				packWeightsBF16(pa, a, lda, m, kk, false)
				got, want := make([]float32, m*n), make([]float32, m*n)
				for i := range got {
					got[i] = float32(math.NaN())
				}
				gemmPrepackedBF16(m, n, kk, pa, b, ldb, 0, got, n)
				gemmBF16Naive(false, false, m, n, kk, 1, a, lda, b, ldb, 0, want, n)
				closeTo(t, fmt.Sprintf("%s prepacked threads=%d %v", k.name, threads, s), got, want, 1e-5*math.Sqrt(float64(kk)))
			}
		}
	}
}

// TestCheckBF16Kernel: the self-check that AMX must pass before use
// passes for every kernel that runs here, and catches a wrong one.
func TestCheckBF16Kernel(t *testing.T) {
	for _, k := range testBF16Kernels() {
		if err := checkBF16Kernel(k); err != nil {
			t.Errorf("%s: %v", k.name, err)
		}
	}
	bad := genericBF16Kernel
	bad.name = "broken"
	bad.set = func(kp int, a, b []uint32, ldb int, c []float32, ldc int) {
		genericBF16Kernel.set(kp, a, b, ldb, c, ldc)
		c[ldc+3] += 0.5
	}
	if err := checkBF16Kernel(bad); err == nil {
		t.Error("a kernel that is wrong in one value passes the self-check")
	}
}

// TestCheckGuardedCatchesPanics: a kernel that panics in its self-check
// (as a fault does, under SetPanicOnFault) is refused, not fatal.
func TestCheckGuardedCatchesPanics(t *testing.T) {
	bad := genericBF16Kernel
	bad.name = "panicking"
	bad.set = func(kp int, a, b []uint32, ldb int, c []float32, ldc int) { panic("a fault") }
	if err := checkGuarded(bad); err == nil {
		t.Error("a kernel that panics passes the guarded self-check")
	}
}
