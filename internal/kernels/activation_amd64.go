//go:build amd64 && !noasm

package kernels

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
