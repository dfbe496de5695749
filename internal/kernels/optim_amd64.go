//go:build amd64 && !noasm

package kernels

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
// _generate/optim.go) over the prefix vectorLen gives and returns its length.
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
