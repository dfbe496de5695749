//go:build !amd64 || noasm

package kernels

func dwVectors() bool { return false }

func dwConv3x3Vector(x []float32, ldx, xstep int, y []float32, rows, cols int, w *[10]float32) bool {
	return false
}

func dwGrad3x3Vector(x []float32, ldx, xstep int, dy []float32, rows, cols int, dw []float32) bool {
	return false
}
