package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"unsafe"
)

// bfloat16 mixed precision: products of operands rounded to bf16 (8 bits
// of mantissa), summed in float32, as torch.autocast does on CPUs. The
// product of two bf16 values is exact in float32, so every path — AMX,
// AVX512-BF16 or the pure-Go emulation — computes the same sums up to
// their order.
//
// A bf16 GEMM's operands are packed as pairs: one 32-bit word holds two
// bf16 values adjacent in k, the even step in its low half (the layout
// VDPBF16PS and AMX's TDPBF16PS read, "VNNI").

// bf16Bits rounds f to bfloat16, to nearest even, as VCVTNEPS2BF16 does:
// subnormal inputs and results become zeros of their sign, NaNs stay NaN
// (made quiet), and values past the largest bf16 become infinities.
func bf16Bits(f float32) uint32 {
	u := math.Float32bits(f)
	switch {
	case u&0x7f800000 == 0: // zero or subnormal
		return u >> 16 & 0x8000
	case u&0x7fffffff > 0x7f800000: // NaN
		return u>>16 | 0x40
	}
	return (u + 0x7fff + u>>16&1) >> 16
}

// bf16Float is the float32 of the bf16 value in the low half of h.
func bf16Float(h uint32) float32 { return math.Float32frombits(h << 16) }

// bf16Pair packs a and b, rounded to bf16, into one word, a in the low
// half.
func bf16Pair(a, b float32) uint32 { return bf16Bits(a) | bf16Bits(b)<<16 }

// RoundBF16 sets dst[i] to src[i] rounded to bfloat16 (as bf16Bits) and
// back: the value a bf16 product sees. dst may be src.
func RoundBF16(dst, src []float32) {
	done := 0
	if r := activeBF16.round; r != nil && len(src) >= 16 {
		done = len(src) &^ 15
		r(done/16, src, dst)
	}
	for i := done; i < len(src); i++ {
		dst[i] = bf16Float(bf16Bits(src[i]))
	}
}

// bf16Kernel is a bf16 GEMM micro-kernel: fn adds A·B into an mr×nr tile
// of C, for kp pairs of steps of k (a multiple of kb): A packed in a panel
// of mr rows (see aIndex), B rows of nr pairs, ldb apart.
type bf16Kernel struct {
	name   string
	mr, nr int
	kb     int
	// aBlocked says A's panels hold blocks of kb pairs, each mr rows of
	// kb words, rather than mr words a pair (see aIndex).
	aBlocked bool
	// matrixUnit says the kernel runs on a matrix unit (AMX's tiles),
	// many times the FMA's rate, so that its GEMMs outrun float32
	// Winograd's fewer products (see bf16Winograd).
	matrixUnit bool
	fn         func(kp int, a, b []uint32, ldb int, c []float32, ldc int)
	// set is fn storing C = A·B: C is not read.
	set func(kp int, a, b []uint32, ldb int, c []float32, ldc int)
	// pairs, where not nil, sets dst[j] = bf16Pair(r0[j], r1[j]) for the
	// first 16*n columns.
	pairs func(n int, r0, r1 []float32, dst []uint32)
	// row, where not nil, sets dst[j] = bf16Pair(src[2j], src[2j+1]) for
	// the first 16*n words.
	row func(n int, src []float32, dst []uint32)
	// round, where not nil, sets dst[i] = bf16Float(bf16Bits(src[i])) for
	// the first 16*n values.
	round func(n int, src, dst []float32)
	// transpose, where not nil, is kvecKernels.transpose: 16×16 blocks of
	// words, moved as they are.
	transpose func(src []float32, lds, rows, cols int, dst []float32, ldd int)
}

// genericBF16Kernel is the pure-Go emulation, the reference for the
// others: 6×16 tiles, A pair-major.
var genericBF16Kernel = emulatedBF16Kernel("bf16-emulated", gemmMR, 16, 1, false)

// emulatedBF16Kernel returns a pure-Go bf16 kernel of the given tile and
// A layout: the emulation, and, in the tests, the layout of AMX's tiles
// (32×32, blocks of 16 pairs) without AMX.
func emulatedBF16Kernel(name string, mr, nr, kb int, blocked bool) bf16Kernel {
	bk := bf16Kernel{name: name, mr: mr, nr: nr, kb: kb, aBlocked: blocked}
	bk.fn = func(kp int, a, b []uint32, ldb int, c []float32, ldc int) {
		var buf [64]float32 // nr is at most 64
		acc := buf[:nr]
		for r := 0; r < mr; r++ {
			clear(acc)
			for p := 0; p < kp; p++ {
				x := a[bk.aIndex(p, r)]
				x0, x1 := bf16Float(x), bf16Float(x>>16)
				for j, y := range b[p*ldb : p*ldb+nr] {
					// The odd step first, as VDPBF16PS: the products
					// are exact, the two sums rounded.
					acc[j] += x1 * bf16Float(y>>16)
					acc[j] += x0 * bf16Float(y)
				}
			}
			add(acc, c[r*ldc:r*ldc+nr])
		}
	}
	bk.set = func(kp int, a, b []uint32, ldb int, c []float32, ldc int) {
		for r := 0; r < mr; r++ {
			clear(c[r*ldc : r*ldc+nr])
		}
		bk.fn(kp, a, b, ldb, c, ldc)
	}
	return bk
}

// activeBF16 is the bf16 micro-kernel GemmBF16 uses: the best this CPU
// runs.
var activeBF16 = bf16KernelsAvailable()[0]

// BF16KernelName reports which kernel the bf16 GEMMs use: "amx",
// "avx512-bf16" or "bf16-emulated".
func BF16KernelName() string { return activeBF16.name }

// bf16Pairs sets dst[j] = bf16Pair(r0[j], r1[j]) for j < len(r0).
func (bk *bf16Kernel) bf16Pairs(r0, r1 []float32, dst []uint32) {
	done := 0
	if bk.pairs != nil && len(r0) >= 16 {
		done = len(r0) &^ 15
		bk.pairs(done/16, r0, r1, dst)
	}
	for c := done; c < len(r0); c++ {
		dst[c] = bf16Pair(r0[c], r1[c])
	}
}

// asWords is the memory of f seen as 32-bit words: the bf16 pairs' buffers
// come from the float32 scratch pools.
func asWords(f []float32) []uint32 {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&f[0])), len(f))
}

// asFloats is the memory of w seen as float32s, for kernels that move
// words without reading them as numbers (transpose).
func asFloats(w []uint32) []float32 {
	if len(w) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&w[0])), len(w))
}

// bf16Row sets dst[q] = bf16Pair(src[2q], src[2q+1]) for q < (len(src)+1)/2,
// a zero high half after an odd last value: a run of k converted to pairs.
func (bk *bf16Kernel) bf16Row(src []float32, dst []uint32) {
	done := 0
	if bk.row != nil && len(src) >= 32 {
		n := len(src) / 32
		bk.row(n, src, dst)
		done = 32 * n
	}
	for i := done; i < len(src); i += 2 {
		hi := float32(0)
		if i+1 < len(src) {
			hi = src[i+1]
		}
		dst[i/2] = bf16Pair(src[i], hi)
	}
}

// checkBF16Kernel compares bk with the emulation of its shape on one
// tile of random pairs, stored and added.
func checkBF16Kernel(bk bf16Kernel) error {
	ref := emulatedBF16Kernel("emulated", bk.mr, bk.nr, bk.kb, bk.aBlocked)
	r := rand.New(rand.NewPCG(1, 2))
	kp := 4 * bk.kb
	a, b := make([]uint32, kp*bk.mr), make([]uint32, kp*bk.nr)
	for i := range a {
		a[i] = bf16Pair(r.Float32()*2-1, r.Float32()*2-1)
	}
	for i := range b {
		b[i] = bf16Pair(r.Float32()*2-1, r.Float32()*2-1)
	}
	got, want := make([]float32, bk.mr*bk.nr), make([]float32, bk.mr*bk.nr)
	for i := range got {
		got[i] = float32(i % 7)
		want[i] = got[i]
	}
	bk.set(kp, a, b, bk.nr, got, bk.nr)
	bk.fn(kp, a, b, bk.nr, got, bk.nr)
	ref.set(kp, a, b, bk.nr, want, bk.nr)
	ref.fn(kp, a, b, bk.nr, want, bk.nr)
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); !(d <= 1e-3) {
			return fmt.Errorf("the %s kernel gave %g for %g in a self-check", bk.name, got[i], want[i])
		}
	}
	return nil
}

// checkGuarded is checkBF16Kernel with a fault in the kernel (a tile
// configuration the CPU refuses, say) turned into an error rather than
// the end of the process: the check runs when the package starts, on
// every program, fp32 or not.
func checkGuarded(bk bf16Kernel) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the %s kernel failed its self-check: %v", bk.name, r)
		}
	}()
	return checkBF16Kernel(bk)
}
