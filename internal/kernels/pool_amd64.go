//go:build amd64 && !noasm

package kernels

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

// maxRowVectors reports whether maxPoolRowVector takes p's rows: an
// undilated, non-adaptive max pooling of stride 1 or 2 across, with the
// AVX-512 kernel active.
func maxRowVectors(p Pool) bool {
	return activeKernel.name == "avx512" && !p.adaptive() && p.dilH() == 1 && p.dilW() == 1 &&
		(p.StrideW == 1 || p.StrideW == 2)
}

// maxPoolRowVector sets y and argmax (nil: y alone) to the maxima of len(y) windows of
// kh rows of kw inputs, stride apart across, whose top-left inputs are x's
// first; rows are w apart in x and wi apart in the plane the argmax
// indexes, in which x[0] is at base. x ends at the last window's last
// input.
func maxPoolRowVector(x, y []float32, argmax []int32, w, wi, kh, kw, stride, base int) {
	n := len(y)
	_ = x[(kh-1)*w+(n-1)*stride+kw-1]
	if argmax == nil {
		// Inference: the maxima alone.
		maxPoolValuesAVX512(&x[0], &y[0], n, w, kh, kw, stride)
		return
	}
	_ = argmax[n-1]
	maxPoolRowAVX512(&x[0], &y[0], &argmax[0], n, w, wi, kh, kw, stride, base)
}

// maxPool3x3Vector runs maxPool3x3AVX512 on n planes of h×w, rows ldx
// apart (oh×ow out), if the active kernel has it, and reports whether it
// did.
func maxPool3x3Vector(x, y []float32, n, h, w, ldx, oh, ow, stride, pad int) bool {
	if activeKernel.name != "avx512" || n <= 0 || h <= 0 || w <= 0 || ldx < w || oh <= 0 || ow <= 0 {
		return false
	}
	_, _ = x[(n*h-1)*ldx+w-1], y[n*oh*ow-1]
	ldt := 16 + max(16*((w+15)/16), 32*((ow+15)/16)) + 48
	tmp := getScratchDirty(oh * ldt)
	defer putScratch(tmp)
	maxPool3x3AVX512(&x[0], &y[0], &(*tmp)[0], n, h, w, ldx, oh, ow, stride, pad, ldt)
	return true
}
