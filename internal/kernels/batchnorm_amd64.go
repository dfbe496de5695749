//go:build amd64 && !noasm

package kernels

// avx512Len returns how many of n elements the AVX-512 loops take (the
// whole vectors of 16), or 0 if that kernel is not active.
func avx512Len(n int) int {
	if n, wide := vectorLen(n); wide {
		return n
	}
	return 0
}

// sumDeviationsVector adds into sums the lane sums of sumDeviationsAVX512
// over the whole vectors of x, and returns how many elements it took.
func sumDeviationsVector(x []float32, mu float64, sums *[16]float64) int {
	n := avx512Len(len(x))
	if n > 0 {
		sumDeviationsAVX512(&x[0], n, mu, sums)
	}
	return n
}

// batchNormBackwardSumsVector adds into sums the lane sums of
// batchNormBackwardSumsAVX512 over the whole vectors of x and dy, and
// returns how many elements it took.
func batchNormBackwardSumsVector(x, dy []float32, mu float32, sums *[16]float64) int {
	n := avx512Len(len(x))
	if n > 0 {
		_ = dy[n-1]
		batchNormBackwardSumsAVX512(&x[0], &dy[0], n, mu, sums)
	}
	return n
}

// batchNormApplyVector does batchNormApplyAVX512 on the whole vectors of
// x into y, and returns how many elements it took.
func batchNormApplyVector(x, y []float32, k *[3]float32) int {
	n := avx512Len(len(x))
	if n > 0 {
		_ = y[n-1]
		batchNormApplyAVX512(&x[0], &y[0], n, k)
	}
	return n
}

// batchNormBackwardDxVector does batchNormBackwardDxAVX512 (add) or
// batchNormBackwardDxSetAVX512 on the whole vectors of x, and returns how
// many elements it took.
func batchNormBackwardDxVector(x, dy, dx []float32, k *[4]float32, add bool) int {
	n := avx512Len(len(x))
	if n == 0 {
		return 0
	}
	_, _ = dy[n-1], dx[n-1]
	if add {
		batchNormBackwardDxAVX512(&x[0], &dy[0], &dx[0], n, k)
	} else {
		batchNormBackwardDxSetAVX512(&x[0], &dy[0], &dx[0], n, k)
	}
	return n
}
