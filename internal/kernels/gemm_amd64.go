//go:build amd64 && !noasm

package kernels

// avx512Kernel and avx2Kernel are the micro-kernels of asm_amd64.s, for
// AVX-512 and for AVX2+FMA. Each function first touches the last element
// it reads or writes, so a bad size panics in Go, not in assembly.
var (
	avx512Kernel = microKernel{name: "avx512", nr: 48, kvec: &kvecAVX512, xvec: &xvecAVX512, narrow: &avx512Narrow,
		fn: func(kc int, a, b []float32, ldb int, c []float32, ldc int) {
			_, _, _ = a[kc*gemmMR-1], b[(kc-1)*ldb+47], c[(gemmMR-1)*ldc+47]
			gemmKernel6x48AVX512(kc, &a[0], &b[0], &c[0], ldb, ldc)
		},
		set: func(kc int, a, b []float32, ldb int, c []float32, ldc int) {
			_, _, _ = a[kc*gemmMR-1], b[(kc-1)*ldb+47], c[(gemmMR-1)*ldc+47]
			gemmKernel6x48SetAVX512(kc, &a[0], &b[0], &c[0], ldb, ldc)
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
		aRowsSet: func(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
			_, _, _ = a[(gemmMR-1)*lda+kc-1], b[(kc-1)*ldb+47], c[(gemmMR-1)*ldc+47]
			gemmKernel6x48ARowsSetAVX512(kc, &a[0], &b[0], &c[0], ldb, ldc, lda)
		},
		aTransSet: func(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
			_, _, _ = a[(kc-1)*lda+gemmMR-1], b[(kc-1)*ldb+47], c[(gemmMR-1)*ldc+47]
			gemmKernel6x48ATransSetAVX512(kc, &a[0], &b[0], &c[0], ldb, ldc, lda)
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
	// avx512Narrow is avx512Kernel's kernel for last panels of 16
	// columns or fewer.
	avx512Narrow = microKernel{name: "avx512", nr: 16, tall: &avx512Tall,
		fn: func(kc int, a, b []float32, ldb int, c []float32, ldc int) {
			_, _, _ = a[kc*gemmMR-1], b[(kc-1)*ldb+15], c[(gemmMR-1)*ldc+15]
			gemmKernel6x16AVX512(kc, &a[0], &b[0], &c[0], ldb, ldc)
		},
		set: func(kc int, a, b []float32, ldb int, c []float32, ldc int) {
			_, _, _ = a[kc*gemmMR-1], b[(kc-1)*ldb+15], c[(gemmMR-1)*ldc+15]
			gemmKernel6x16SetAVX512(kc, &a[0], &b[0], &c[0], ldb, ldc)
		},
		ind: func(kc int, a, b []float32, offs []int, c []float32, ldc int) {
			_, _, _ = a[kc*gemmMR-1], offs[kc-1], c[(gemmMR-1)*ldc+15]
			gemmKernel6x16IndAVX512(kc, &a[0], &b[0], &offs[0], &c[0], ldc)
		},
		indSet: func(kc int, a, b []float32, offs []int, c []float32, ldc int) {
			_, _, _ = a[kc*gemmMR-1], offs[kc-1], c[(gemmMR-1)*ldc+15]
			gemmKernel6x16IndSetAVX512(kc, &a[0], &b[0], &offs[0], &c[0], ldc)
		},
	}
	// avx512Tall is avx512Narrow's kernel for 24 rows at once.
	avx512Tall = tallKernel{panels: 4,
		fn: func(kc int, a, b []float32, ldb int, c []float32, ldc int) {
			_, _, _ = a[4*gemmMR*kc-1], b[(kc-1)*ldb+15], c[(4*gemmMR-1)*ldc+15]
			gemmKernel24x16AVX512(kc, &a[0], &b[0], &c[0], ldb, ldc)
		},
		set: func(kc int, a, b []float32, ldb int, c []float32, ldc int) {
			_, _, _ = a[4*gemmMR*kc-1], b[(kc-1)*ldb+15], c[(4*gemmMR-1)*ldc+15]
			gemmKernel24x16SetAVX512(kc, &a[0], &b[0], &c[0], ldb, ldc)
		},
		ind: func(kc int, a, b []float32, offs []int, c []float32, ldc int) {
			_, _, _ = a[4*gemmMR*kc-1], offs[kc-1], c[(4*gemmMR-1)*ldc+15]
			gemmKernel24x16IndAVX512(kc, &a[0], &b[0], &offs[0], &c[0], ldc)
		},
		indSet: func(kc int, a, b []float32, offs []int, c []float32, ldc int) {
			_, _, _ = a[4*gemmMR*kc-1], offs[kc-1], c[(4*gemmMR-1)*ldc+15]
			gemmKernel24x16IndSetAVX512(kc, &a[0], &b[0], &offs[0], &c[0], ldc)
		},
	}
	avx2Kernel = microKernel{name: "avx2", nr: 16,
		fn: func(kc int, a, b []float32, ldb int, c []float32, ldc int) {
			_, _, _ = a[kc*gemmMR-1], b[(kc-1)*ldb+15], c[(gemmMR-1)*ldc+15]
			gemmKernel6x16AVX2(kc, &a[0], &b[0], &c[0], ldb, ldc)
		},
		set: func(kc int, a, b []float32, ldb int, c []float32, ldc int) {
			_, _, _ = a[kc*gemmMR-1], b[(kc-1)*ldb+15], c[(gemmMR-1)*ldc+15]
			gemmKernel6x16SetAVX2(kc, &a[0], &b[0], &c[0], ldb, ldc)
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

// prefetch fetches s's cache lines into L1, ahead of a loop's reads.
func prefetch(s []float32) {
	if len(s) > 0 {
		prefetchLines(&s[0], (len(s)+15)/16)
	}
}

// prefetchPlanes fetches into L1 the cache line of each of s[0],
// s[stride], ... s[(n-1)*stride], ahead of a loop's reads.
func prefetchPlanes(s []float32, n, stride int) {
	if n > 0 && len(s) > (n-1)*stride {
		prefetchStrided(&s[0], n, stride)
	}
}
