//go:build amd64 && !noasm

package kernels

// dwVectors reports whether the 3×3 depthwise rows run with vectors.
func dwVectors() bool { return activeKernel.name == "avx512" }

// dwConv3x3Vector does dwConv3x3Go's work with vectors, if the active
// kernel has them, and reports whether it did.
func dwConv3x3Vector(x []float32, ldx, xstep int, y []float32, rows, cols int, w *[10]float32) bool {
	if activeKernel.name != "avx512" || rows <= 0 || cols <= 0 || ldx < cols+2 {
		return false
	}
	_, _ = x[(rows-1)*xstep+2*ldx+cols+1], y[rows*cols-1]
	dwConv3x3AVX512(&x[0], ldx, xstep, &y[0], rows, cols, w, dwMask(cols))
	return true
}

// dwGrad3x3Vector does dwGrad3x3Go's work with vectors, if the active
// kernel has them, and reports whether it did.
func dwGrad3x3Vector(x []float32, ldx, xstep int, dy []float32, rows, cols int, dw []float32) bool {
	if activeKernel.name != "avx512" || rows <= 0 || cols <= 0 || ldx < cols+2 {
		return false
	}
	_, _, _ = x[(rows-1)*xstep+2*ldx+cols+1], dy[rows*cols-1], dw[8]
	var acc [144]float32
	dwGrad3x3AVX512(&x[0], ldx, xstep, &dy[0], rows, cols, &acc, dwMask(cols))
	for k := range 9 {
		dw[k] += sum(acc[16*k : 16*k+16])
	}
	return true
}

// dwMask is the lane mask of the last chunk (1 to 16 outputs) of a row
// of cols outputs.
func dwMask(cols int) uint16 {
	rest := cols - (cols-1)/16*16
	return uint16(1<<rest - 1)
}
