//go:build amd64 && !noasm

package kernels

import "golang.org/x/sys/cpu"

// The assembly kernels in asm_amd64.s, written by gen_asm.go. Pointers
// point at the first element; strides are in elements.

//go:noescape
func gemmKernel6x48AVX512(kc int, a, b, c *float32, ldb, ldc int)

//go:noescape
func gemmKernel6x16AVX2(kc int, a, b, c *float32, ldb, ldc int)

//go:noescape
func gemmKernel6x48ARowsAVX512(kc int, a, b, c *float32, ldb, ldc, lda int)

//go:noescape
func gemmKernel6x48ATransAVX512(kc int, a, b, c *float32, ldb, ldc, lda int)

//go:noescape
func dotKernel6x4AVX512(k int, a *float32, lda int, b *float32, ldb int, out *float32, tail int)

//go:noescape
func dotKernel2x4AVX2(k int, a *float32, lda int, b *float32, ldb int, out *float32)

//go:noescape
func gemmKernel6x48IndAVX512(kc int, a, b *float32, offs *int, c *float32, ldc int)

//go:noescape
func gemmKernel6x16IndAVX2(kc int, a, b *float32, offs *int, c *float32, ldc int)

//go:noescape
func gemmKernel6x48IndSetAVX512(kc int, a, b *float32, offs *int, c *float32, ldc int)

//go:noescape
func gemmKernel6x16IndSetAVX2(kc int, a, b *float32, offs *int, c *float32, ldc int)

//go:noescape
func dotKernel6x4IndAVX512(k int, a *float32, lda int, b *float32, offs *int, out *float32)

//go:noescape
func dotKernel2x4IndAVX2(k int, a *float32, lda int, b *float32, offs *int, out *float32)

//go:noescape
func bytesToUnitAVX512(src *uint8, dst *float32, n int)

//go:noescape
func maxPool2AVX512(x, y *float32, pairs, w int, masks *[4]uint16, argmax *int32)

//go:noescape
func reluBackwardAVX512(y, dy, dx *float32, n int)

//go:noescape
func reluBackwardSetAVX512(y, dy, dx *float32, n int)

//go:noescape
func tanhBackwardAVX512(y, dy, dx *float32, n int)

//go:noescape
func tanhBackwardAVX2(y, dy, dx *float32, n int)

//go:noescape
func tanhBackwardSetAVX512(y, dy, dx *float32, n int)

//go:noescape
func tanhBackwardSetAVX2(y, dy, dx *float32, n int)

//go:noescape
func adamAVX512(param, grad, m, v *float32, n int, k *[8]float32)

//go:noescape
func adamAVX2(param, grad, m, v *float32, n int, k *[8]float32)

//go:noescape
func sgdAVX512(param, grad, buf *float32, n int, k *[4]float32)

//go:noescape
func sgdAVX2(param, grad, buf *float32, n int, k *[4]float32)

//go:noescape
func dotKernel6x4IndAccAVX512(k int, a *float32, lda int, b *float32, offs *int, out *float32)

//go:noescape
func dotKernel2x4IndAccAVX2(k int, a *float32, lda int, b *float32, offs *int, out *float32)

//go:noescape
func tanhAVX512(x, y *float32, n int)

//go:noescape
func tanhAVX2(x, y *float32, n int)

//go:noescape
func gemv8AVX512(k, tail int, a *float32, lda int, x, out *float32)

//go:noescape
func copyRowsAVX512(dst *float32, ldd int, src *float32, lds, rows, chunks, tail int, add, floor float32) float32

//go:noescape
func avgPool2AVX512(x, y *float32, pairs, w int, masks *[4]uint16, scale float32)

//go:noescape
func avgPool2BackwardAVX512(dy, dx *float32, pairs, w int, masks *[4]uint16, scale float32)

//go:noescape
func avgPool2BackwardSetAVX512(dy, dx *float32, pairs, w int, masks *[4]uint16, scale float32)

//go:noescape
func avgPool2TanhBackwardAVX512(dy, dx *float32, pairs, w int, masks *[4]uint16, scale float32, y *float32)

//go:noescape
func avgPool2TanhBackwardSetAVX512(dy, dx *float32, pairs, w int, masks *[4]uint16, scale float32, y *float32)

var (
	avx512Kernel = microKernel{name: "avx512", nr: 48, kvec: &kvecAVX512, xvec: &xvecAVX512,
		fn: func(kc int, a, b []float32, ldb int, c []float32, ldc int) {
			_, _, _ = a[kc*gemmMR-1], b[(kc-1)*ldb+47], c[(gemmMR-1)*ldc+47]
			gemmKernel6x48AVX512(kc, &a[0], &b[0], &c[0], ldb, ldc)
		},
		ind: func(kc int, a, b []float32, offs []int, c []float32, ldc int) {
			_, _, _ = a[kc*gemmMR-1], offs[kc-1], c[(gemmMR-1)*ldc+47]
			gemmKernel6x48IndAVX512(kc, &a[0], &b[0], &offs[0], &c[0], ldc)
		},
		aRows: func(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
			_, _, _ = a[(gemmMR-1)*lda+kc-1], b[(kc-1)*ldb+47], c[(gemmMR-1)*ldc+47]
			gemmKernel6x48ARowsAVX512(kc, &a[0], &b[0], &c[0], ldb, ldc, lda)
		},
		aTrans: func(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
			_, _, _ = a[(kc-1)*lda+gemmMR-1], b[(kc-1)*ldb+47], c[(gemmMR-1)*ldc+47]
			gemmKernel6x48ATransAVX512(kc, &a[0], &b[0], &c[0], ldb, ldc, lda)
		},
		indSet: func(kc int, a, b []float32, offs []int, c []float32, ldc int) {
			_, _, _ = a[kc*gemmMR-1], offs[kc-1], c[(gemmMR-1)*ldc+47]
			gemmKernel6x48IndSetAVX512(kc, &a[0], &b[0], &offs[0], &c[0], ldc)
		},
		dot: dotTile{mr: 6, nr: 4, lanes: 16, anyK: true,
			fn: func(k int, a []float32, lda int, b []float32, ldb int, out []float32) {
				_, _, _ = a[5*lda+k-1], b[3*ldb+k-1], out[23]
				dotKernel6x4AVX512(k/16, &a[0], lda, &b[0], ldb, &out[0], 1<<(k%16)-1)
			},
			ind: func(k int, a []float32, lda int, b []float32, offs []int, out []float32) {
				_, _, _ = a[5*lda+k-1], offs[3], out[23]
				dotKernel6x4IndAVX512(k/16, &a[0], lda, &b[0], &offs[0], &out[0])
			},
			indAcc: func(k int, a []float32, lda int, b []float32, offs []int, out []float32) {
				_, _, _ = a[5*lda+k-1], offs[3], out[24*16-1]
				dotKernel6x4IndAccAVX512(k/16, &a[0], lda, &b[0], &offs[0], &out[0])
			}},
		gemv: func(k int, a []float32, lda int, x, out []float32) {
			_, _, _ = a[7*lda+k-1], x[k-1], out[7]
			gemv8AVX512(k/16, 1<<(k%16)-1, &a[0], lda, &x[0], &out[0])
		},
	}
	avx2Kernel = microKernel{name: "avx2", nr: 16,
		fn: func(kc int, a, b []float32, ldb int, c []float32, ldc int) {
			_, _, _ = a[kc*gemmMR-1], b[(kc-1)*ldb+15], c[(gemmMR-1)*ldc+15]
			gemmKernel6x16AVX2(kc, &a[0], &b[0], &c[0], ldb, ldc)
		},
		ind: func(kc int, a, b []float32, offs []int, c []float32, ldc int) {
			_, _, _ = a[kc*gemmMR-1], offs[kc-1], c[(gemmMR-1)*ldc+15]
			gemmKernel6x16IndAVX2(kc, &a[0], &b[0], &offs[0], &c[0], ldc)
		},
		indSet: func(kc int, a, b []float32, offs []int, c []float32, ldc int) {
			_, _, _ = a[kc*gemmMR-1], offs[kc-1], c[(gemmMR-1)*ldc+15]
			gemmKernel6x16IndSetAVX2(kc, &a[0], &b[0], &offs[0], &c[0], ldc)
		},
		dot: dotTile{mr: 2, nr: 4, lanes: 8,
			fn: func(k int, a []float32, lda int, b []float32, ldb int, out []float32) {
				_, _, _ = a[lda+k-1], b[3*ldb+k-1], out[7]
				dotKernel2x4AVX2(k/8, &a[0], lda, &b[0], ldb, &out[0])
			},
			ind: func(k int, a []float32, lda int, b []float32, offs []int, out []float32) {
				_, _, _ = a[lda+k-1], offs[3], out[7]
				dotKernel2x4IndAVX2(k/8, &a[0], lda, &b[0], &offs[0], &out[0])
			},
			indAcc: func(k int, a []float32, lda int, b []float32, offs []int, out []float32) {
				_, _, _ = a[lda+k-1], offs[3], out[8*8-1]
				dotKernel2x4IndAccAVX2(k/8, &a[0], lda, &b[0], &offs[0], &out[0])
			}},
	}
)

func bestKernel() microKernel { return kernelsAvailable()[0] }

// kernelsAvailable lists every micro-kernel this build and CPU can run,
// fastest first.
func kernelsAvailable() []microKernel {
	var ks []microKernel
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ {
		ks = append(ks, avx512Kernel)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, avx2Kernel)
	}
	return append(ks, genericKernel)
}

// bytesToUnitVector converts the longest prefix of src the active kernel's
// vectors handle (see BytesToUnit) and returns how many elements it did.
func bytesToUnitVector(src []uint8, dst []float32) int {
	n, wide := vectorLen(len(src))
	if !wide {
		return 0
	}
	if n > 0 {
		_ = dst[n-1]
		bytesToUnitAVX512(&src[0], &dst[0], n)
	}
	return n
}

// tanhVector computes tanh over the longest prefix of x it can handle with
// the active kernel's vectors and returns how many elements it did.
func tanhVector(x, y []float32) int {
	switch activeKernel.name {
	case "avx512":
		n := len(x) &^ 15
		if n > 0 {
			tanhAVX512(&x[0], &y[0], n)
		}
		return n
	case "avx2":
		n := len(x) &^ 7
		if n > 0 {
			tanhAVX2(&x[0], &y[0], n)
		}
		return n
	}
	return 0
}

// vectorLen returns the length of the prefix of n elements that the active
// kernel's vectors handle, and whether it is AVX-512.
func vectorLen(n int) (int, bool) {
	switch activeKernel.name {
	case "avx512":
		return n &^ 15, true
	case "avx2":
		return n &^ 7, false
	}
	return 0, false
}

// tanhBackwardVector does TanhBackward over the prefix vectorLen gives and
// returns its length.
func tanhBackwardVector(y, dy, dx []float32, add bool) int {
	n, wide := vectorLen(len(y))
	if n == 0 {
		return 0
	}
	_, _ = dy[n-1], dx[n-1]
	switch {
	case wide && add:
		tanhBackwardAVX512(&y[0], &dy[0], &dx[0], n)
	case wide:
		tanhBackwardSetAVX512(&y[0], &dy[0], &dx[0], n)
	case add:
		tanhBackwardAVX2(&y[0], &dy[0], &dx[0], n)
	default:
		tanhBackwardSetAVX2(&y[0], &dy[0], &dx[0], n)
	}
	return n
}

// reluBackwardVector does ReluBackward over the longest prefix the active
// kernel's vectors handle and returns its length.
func reluBackwardVector(y, dy, dx []float32, add bool) int {
	n, wide := vectorLen(len(y))
	if !wide || n == 0 {
		return 0
	}
	_, _ = dy[n-1], dx[n-1]
	if add {
		reluBackwardAVX512(&y[0], &dy[0], &dx[0], n)
	} else {
		reluBackwardSetAVX512(&y[0], &dy[0], &dx[0], n)
	}
	return n
}

// adamVector does AdamStep over the prefix vectorLen gives and returns
// its length.
func adamVector(p, g, m, v []float32, k *[8]float32) int {
	n, wide := vectorLen(len(p))
	if n == 0 {
		return 0
	}
	_, _, _ = g[n-1], m[n-1], v[n-1]
	if wide {
		adamAVX512(&p[0], &g[0], &m[0], &v[0], n, k)
	} else {
		adamAVX2(&p[0], &g[0], &m[0], &v[0], n, k)
	}
	return n
}

// sgdVector does the momentum form of SGDStep (see sgdKernel in
// gen_asm.go) over the prefix vectorLen gives and returns its length.
func sgdVector(p, g, buf []float32, k *[4]float32) int {
	n, wide := vectorLen(len(p))
	if n == 0 {
		return 0
	}
	_, _ = g[n-1], buf[n-1]
	if wide {
		sgdAVX512(&p[0], &g[0], &buf[0], n, k)
	} else {
		sgdAVX2(&p[0], &g[0], &buf[0], n, k)
	}
	return n
}

// avgPool2Vector sets y row i (w/2 values) to the 2×2 window averages of x
// rows 2i and 2i+1 (w values each, w even), for pairs rows of y, if the
// active kernel has vectors for it; it reports whether it did.
func avgPool2Vector(x, y []float32, pairs, w int) bool {
	if activeKernel.name != "avx512" || pairs == 0 || w%2 != 0 {
		return false
	}
	_, _ = x[2*pairs*w-1], y[pairs*w/2-1]
	masks := pool2Masks(w)
	avgPool2AVX512(&x[0], &y[0], pairs, w, &masks, 0.25)
	return true
}

// maxPool2Vector does maxPlaneHalving's work on a plane with vectors, if
// the active kernel has them for it, and reports whether it did.
func maxPool2Vector(x, y []float32, argmax []int32, pairs, w int) bool {
	if activeKernel.name != "avx512" || pairs == 0 || w%2 != 0 {
		return false
	}
	_, _, _ = x[2*pairs*w-1], y[pairs*w/2-1], argmax[pairs*w/2-1]
	masks := pool2Masks(w)
	maxPool2AVX512(&x[0], &y[0], pairs, w, &masks, &argmax[0])
	return true
}

// avgPool2BackwardVector is the adjoint of avgPool2Vector: dy rows of w/2
// values, a quarter of each added into (add) or stored in its window of dx.
func avgPool2BackwardVector(dy, dx []float32, pairs, w int, add bool) bool {
	if activeKernel.name != "avx512" || pairs == 0 || w%2 != 0 {
		return false
	}
	_, _ = dx[2*pairs*w-1], dy[pairs*w/2-1]
	masks := pool2Masks(w)
	if add {
		avgPool2BackwardAVX512(&dy[0], &dx[0], pairs, w, &masks, 0.25)
	} else {
		avgPool2BackwardSetAVX512(&dy[0], &dx[0], pairs, w, &masks, 0.25)
	}
	return true
}

// avgPool2TanhBackwardVector does avgTanhBackPlane's work on a plane with
// vectors, if the active kernel has them for it, and reports whether it did.
func avgPool2TanhBackwardVector(dy, y, dx []float32, pairs, w int, add bool) bool {
	if activeKernel.name != "avx512" || pairs == 0 || w%2 != 0 {
		return false
	}
	_, _, _ = dx[2*pairs*w-1], y[2*pairs*w-1], dy[pairs*w/2-1]
	masks := pool2Masks(w)
	if add {
		avgPool2TanhBackwardAVX512(&dy[0], &dx[0], pairs, w, &masks, 0.25, &y[0])
	} else {
		avgPool2TanhBackwardSetAVX512(&dy[0], &dx[0], pairs, w, &masks, 0.25, &y[0])
	}
	return true
}

// pool2Masks returns the lane masks of the last chunk (1 to 32 inputs) of
// a w-wide row: its two 16-input halves and its outputs.
func pool2Masks(w int) [4]uint16 {
	rest := w - (w-1)/32*32
	lanes := func(n int) uint16 { return uint16(1<<min(max(n, 0), 16) - 1) }
	return [4]uint16{lanes(rest), lanes(rest - 16), lanes(rest / 2)}
}

// copyRowsVector does copyRows with vectors, if the active kernel has them
// for it, and reports whether it did.
func copyRowsVector(dst []float32, ldd int, src []float32, lds, rows, w int, add, floor float32) (float32, bool) {
	if activeKernel.name != "avx512" || rows == 0 || w == 0 {
		return 0, false
	}
	_, _ = dst[(rows-1)*ldd+w-1], src[(rows-1)*lds+w-1]
	return copyRowsAVX512(&dst[0], ldd, &src[0], lds, rows, w/16, 1<<(w%16)-1, add, floor), true
}
