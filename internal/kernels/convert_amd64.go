//go:build amd64 && !noasm

package kernels

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

// copyRowsVector does copyRows with vectors, if the active kernel has them
// for it, and reports whether it did.
func copyRowsVector(dst []float32, ldd int, src []float32, lds, rows, w int, add, floor float32) (float32, bool) {
	if activeKernel.name != "avx512" || rows == 0 || w == 0 {
		return 0, false
	}
	_, _ = dst[(rows-1)*ldd+w-1], src[(rows-1)*lds+w-1]
	return copyRowsAVX512(&dst[0], ldd, &src[0], lds, rows, w/16, 1<<(w%16)-1, add, floor), true
}

// moveRowsVector copies rows rows of w elements, src's lds apart, to dst's,
// ldd apart, with vectors, if the active kernel has them, and reports
// whether it did.
func moveRowsVector(dst []float32, ldd int, src []float32, lds, rows, w int) bool {
	if activeKernel.name != "avx512" || rows == 0 || w == 0 {
		return false
	}
	_, _ = dst[(rows-1)*ldd+w-1], src[(rows-1)*lds+w-1]
	moveRowsAVX512(&dst[0], ldd, &src[0], lds, rows, w/16, 1<<(w%16)-1)
	return true
}

// addVector sets z = x + y for the whole vectors of x, if the active
// kernel has them, and returns how many elements it took.
func addVector(x, y, z []float32) int {
	n := avx512Len(len(x))
	if n > 0 {
		_, _ = y[n-1], z[n-1]
		addAVX512(&x[0], &y[0], &z[0], n)
	}
	return n
}

// copyEvensVector sets dst[i] = src[2*i] for the whole vectors of dst
// whose inputs lie in src, if the active kernel has them, and returns how
// many elements it set.
func copyEvensVector(src, dst []float32) int {
	n := avx512Len(min(len(dst), len(src)/2))
	if n > 0 {
		copyEvensAVX512(&src[0], &dst[0], n)
	}
	return n
}

// winogradVectors reports whether the Winograd transforms have vector
// kernels here.
func winogradVectors() bool { return activeKernel.name == "avx512" }

// winoInputVector runs winoInputF23AVX512 if the active kernel has it, and
// reports whether it did.
func winoInputVector(src []float32, stride int, dst []float32, plane, n int) bool {
	if activeKernel.name != "avx512" || n <= 0 {
		return false
	}
	_, _ = src[3*stride+32*((n+15)/16)+2], dst[15*plane+n-1]
	winoInputF23AVX512(&src[0], stride, &dst[0], plane, n)
	return true
}

// winoOutputVector runs winoOutputF23AVX512 if the active kernel has it,
// and reports whether it did.
func winoOutputVector(src []float32, plane int, dst []float32, stride, n, rows, cols int, bias float32, relu bool) bool {
	if activeKernel.name != "avx512" || n <= 0 || cols <= 0 {
		return false
	}
	_, _ = src[15*plane+16*((n+15)/16)-1], dst[(rows-1)*stride+min(cols, 2*n)-1]
	winoOutputF23AVX512(&src[0], plane, &dst[0], stride, n, rows, cols, bias, boolInt(relu))
	return true
}

// winoGradVector runs winoGradF23AVX512 if the active kernel has it, and
// reports whether it did.
func winoGradVector(src []float32, stride int, dst []float32, plane, n, rows, cols int) bool {
	if activeKernel.name != "avx512" || n <= 0 || cols <= 0 {
		return false
	}
	_, _ = src[(rows-1)*stride+cols-1], dst[15*plane+n-1]
	winoGradF23AVX512(&src[0], stride, &dst[0], plane, n, rows, cols)
	return true
}

// winoGradFiltersVector does the final transform of the weight gradient
// (winoGradFilters23, 16 positions, or winoGradFilters43, 36) for the
// first filters of n, 16 at a time, with winoGradFilters23AVX512 or
// winoGradFilters43AVX512 if the active kernel has them, and returns how
// many it took.
func winoGradFiltersVector(positions int, u []float32, ldu, n int, dw []float32) int {
	blocks := n / 16
	if activeKernel.name != "avx512" || blocks == 0 {
		return 0
	}
	_, _ = u[(positions-1)*ldu+16*blocks-1], dw[9*16*blocks-1]
	if positions == 16 {
		winoGradFilters23AVX512(&u[0], ldu, blocks, &dw[0])
	} else {
		winoGradFilters43AVX512(&u[0], ldu, blocks, &dw[0])
	}
	return 16 * blocks
}

// wino43GradVector runs winoGradF43AVX512 if the active kernel has it,
// and reports whether it did.
func wino43GradVector(src []float32, stride int, dst []float32, plane, n, rows, cols int) bool {
	if activeKernel.name != "avx512" || n <= 0 || cols <= 0 {
		return false
	}
	_, _ = src[(rows-1)*stride+cols-1], dst[35*plane+n-1]
	winoGradF43AVX512(&src[0], stride, &dst[0], plane, n, rows, cols)
	return true
}

// wino43InputVector runs winoInputF43AVX512 if the active kernel has it,
// and reports whether it did.
func wino43InputVector(src []float32, stride int, dst []float32, plane, n int, tmp []float32) bool {
	if activeKernel.name != "avx512" || n <= 0 {
		return false
	}
	_, _, _ = src[5*stride+64*((n+15)/16)+4], dst[35*plane+n-1], tmp[575]
	winoInputF43AVX512(&src[0], stride, &dst[0], plane, n, &tmp[0])
	return true
}

// wino43OutputVector runs winoOutputF43AVX512 if the active kernel has
// it, and reports whether it did.
func wino43OutputVector(src []float32, plane int, dst []float32, stride, n, rows, cols int, bias float32, relu bool, tmp []float32) bool {
	if activeKernel.name != "avx512" || n <= 0 || cols <= 0 {
		return false
	}
	_, _, _ = src[35*plane+16*((n+15)/16)-1], dst[(rows-1)*stride+min(cols, 4*n)-1], tmp[383]
	winoOutputF43AVX512(&src[0], plane, &dst[0], stride, n, rows, cols, bias, boolInt(relu), &tmp[0])
	return true
}

// copyEvenRowsVector runs copyEvenRowsAVX512 if the active kernel has it,
// and reports whether it did.
func copyEvenRowsVector(src []float32, lds int, dst []float32, ldd, rows, n int) bool {
	if activeKernel.name != "avx512" || rows <= 0 || n <= 0 {
		return false
	}
	_, _ = src[(rows-1)*lds+2*(n-1)], dst[(rows-1)*ldd+n-1]
	copyEvenRowsAVX512(&src[0], lds, &dst[0], ldd, rows, n)
	return true
}

// addEvenRowsVector runs addEvenRowsAVX512 if the active kernel has it,
// and reports whether it did.
func addEvenRowsVector(src []float32, lds int, dst []float32, ldd, rows, n int) bool {
	if activeKernel.name != "avx512" || rows <= 0 || n <= 0 {
		return false
	}
	_, _ = src[(rows-1)*lds+n-1], dst[(rows-1)*ldd+2*(n-1)]
	addEvenRowsAVX512(&src[0], lds, &dst[0], ldd, rows, n)
	return true
}

// winoFiltersVector runs winoFilters16AVX512 or winoFilters48AVX512
// (lanes 16 or 48) if the active kernel has them, and reports whether it
// did: out[e*lanes:] is the product of m by the taps at w[offs[e]:].
func winoFiltersVector(w []float32, offs []int, m []float32, lanes int, out []float32) bool {
	n := len(offs)
	if activeKernel.name != "avx512" || n == 0 || len(m) < 9*lanes || len(out) < n*lanes {
		return false
	}
	for _, o := range offs {
		_ = w[o+8]
	}
	switch lanes {
	case 16:
		winoFilters16AVX512(&w[0], &offs[0], n, &m[0], &out[0])
	case 48:
		winoFilters48AVX512(&w[0], &offs[0], n, &m[0], &out[0])
	default:
		return false
	}
	return true
}

// winoInputPairVector runs winoInputF23PairAVX512 if the active kernel
// has it and the rows fit, and reports whether it did.
func winoInputPairVector(src []float32, stride int, dst []float32, plane, n1, n2, off2 int) bool {
	if activeKernel.name != "avx512" || n1 <= 0 || n2 <= 0 || n1 > 8 || n2 > 8 || off2 < 0 {
		return false
	}
	_, _ = src[off2+3*stride+18], dst[15*plane+n1+n2-1]
	winoInputF23PairAVX512(&src[0], stride, &dst[0], plane, n1, n2, off2)
	return true
}

// wino43InputPairVector runs winoInputF43PairAVX512 if the active kernel
// has it and the rows fit, and reports whether it did.
func wino43InputPairVector(src []float32, stride int, dst []float32, plane, n1, n2, off2 int, tmp []float32) bool {
	if activeKernel.name != "avx512" || n1 <= 0 || n2 <= 0 || n1 > 8 || n2 > 8 || off2 < 0 {
		return false
	}
	_, _, _ = src[off2+5*stride+36], dst[35*plane+n1+n2-1], tmp[575]
	winoInputF43PairAVX512(&src[0], stride, &dst[0], plane, n1, n2, off2, &tmp[0])
	return true
}

// winoOutputPairVector runs winoOutputF23PairAVX512 if the active kernel
// has it and the rows fit, and reports whether it did.
func winoOutputPairVector(src []float32, plane int, dst []float32, stride, n1, n2, off2, rows2, cols int, bias float32, relu bool) bool {
	if activeKernel.name != "avx512" || n1 <= 0 || n2 <= 0 || n1 > 8 || n2 > 8 || off2 < 0 || cols <= 0 || cols > 16 || rows2 <= 0 {
		return false
	}
	_, _, _ = src[15*plane+15], dst[stride+cols-1], dst[off2+(rows2-1)*stride+cols-1]
	winoOutputF23PairAVX512(&src[0], plane, &dst[0], stride, n1, n2, off2, rows2, cols, bias, boolInt(relu))
	return true
}

// wino43OutputPairVector runs winoOutputF43PairAVX512 if the active
// kernel has it and the rows fit, and reports whether it did.
func wino43OutputPairVector(src []float32, plane int, dst []float32, stride, n1, n2, off2, rows2, cols int, bias float32, relu bool, tmp []float32) bool {
	if activeKernel.name != "avx512" || n1 <= 0 || n2 <= 0 || n1 > 8 || n2 > 8 || off2 < 0 || cols <= 0 || cols > 32 || rows2 <= 0 {
		return false
	}
	_, _, _, _ = src[35*plane+15], dst[3*stride+cols-1], dst[off2+(rows2-1)*stride+cols-1], tmp[383]
	winoOutputF43PairAVX512(&src[0], plane, &dst[0], stride, n1, n2, off2, rows2, cols, bias, boolInt(relu), &tmp[0])
	return true
}

// boolInt is 1 for true, 0 for false: an assembly kernel's flag argument.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
