//go:build !amd64 || noasm

package kernels

// Without assembly (another architecture, or -tags noasm) the pure-Go
// micro-kernel is the only one, and the vector functions that
// cpu_amd64.go and the other *_amd64.go files give handle nothing.

// bestKernel is the fastest micro-kernel this build can run: the generic one.
func bestKernel() microKernel { return genericKernel }

// kernelsAvailable lists every micro-kernel this build and CPU can run.
func kernelsAvailable() []microKernel { return []microKernel{genericKernel} }

// winoGradFiltersVector handles no filters: there are no vector kernels
// here.
func winoGradFiltersVector(positions int, u []float32, ldu, n int, dw []float32) int { return 0 }

// halfWidthVectors is false: the choices it changes (see cpu_amd64.go)
// weigh vector kernels that are not here. (A variable, as there, for the
// tests.)
var halfWidthVectors = false

// bytesToUnitVector handles no elements: there are no vector kernels here.
func bytesToUnitVector(src []uint8, dst []float32) int { return 0 }

// maxPool2Vector does nothing: there are no vector kernels here.
func maxPool2Vector(x, y []float32, argmax []int32, pairs, w int) bool { return false }

// reluBackwardVector handles no elements: there are no vector kernels here.
func reluBackwardVector(y, dy, dx []float32, add bool) int { return 0 }

// tanhVector handles no elements: there are no vector kernels here.
func tanhVector(x, y []float32) int { return 0 }

// tanhBackwardVector handles no elements: there are no vector kernels here.
func tanhBackwardVector(y, dy, dx []float32, add bool) int { return 0 }

// adamVector handles no elements: there are no vector kernels here.
func adamVector(p, g, m, v []float32, k *[8]float32) int { return 0 }

// sgdVector handles no elements: there are no vector kernels here.
func sgdVector(p, g, buf []float32, k *[4]float32) int { return 0 }

// avgPool2Vector does nothing: there are no vector kernels here.
func avgPool2Vector(x, y []float32, pairs, w int) bool { return false }

// avgPool2BackwardVector does nothing: there are no vector kernels here.
func avgPool2BackwardVector(dy, dx []float32, pairs, w int, add bool) bool { return false }

// copyRowsVector does nothing: there are no vector kernels here.
func copyRowsVector(dst []float32, ldd int, src []float32, lds, rows, w int, add, floor float32) (float32, bool) {
	return 0, false
}

// avgPool2TanhBackwardVector does nothing: there are no vector kernels here.
func avgPool2TanhBackwardVector(dy, y, dx []float32, pairs, w int, add bool) bool { return false }

// maxRowVectors reports false: there are no vector kernels here.
func maxRowVectors(p Pool) bool { return false }

// maxPool3x3Vector does nothing: there are no vector kernels here.
func maxPool3x3Vector(x, y []float32, n, h, w, ldx, oh, ow, stride, pad int) bool { return false }

// maxPoolRowVector is never called: maxRowVectors is false.
func maxPoolRowVector(x, y []float32, argmax []int32, w, wi, kh, kw, stride, base int) {
	panic("kernels: no vector max pooling in this build")
}

// sumDeviationsVector handles no elements: there are no vector kernels here.
func sumDeviationsVector(x []float32, mu float64, sums *[16]float64) int { return 0 }

// batchNormBackwardSumsVector handles no elements: there are no vector kernels here.
func batchNormBackwardSumsVector(x, dy []float32, mu float32, sums *[16]float64) int { return 0 }

// batchNormApplyVector handles no elements: there are no vector kernels here.
func batchNormApplyVector(x, y []float32, k *[3]float32) int { return 0 }

// batchNormBackwardDxVector handles no elements: there are no vector kernels here.
func batchNormBackwardDxVector(x, dy, dx []float32, k *[4]float32, add bool) int { return 0 }

// addVector handles no elements: there are no vector kernels here.
func addVector(x, y, z []float32) int { return 0 }

// copyEvensVector handles no elements: there are no vector kernels here.
func copyEvensVector(src, dst []float32) int { return 0 }

// winogradVectors is false: there are no vector kernels here (the
// Winograd path, slower than the others in Go alone, is not taken).
func winogradVectors() bool { return false }

// winoGradVector does nothing: there are no vector kernels here.
func winoGradVector(src []float32, stride int, dst []float32, plane, n, rows, cols int) bool {
	return false
}

// wino43GradVector does nothing: there are no vector kernels here.
func wino43GradVector(src []float32, stride int, dst []float32, plane, n, rows, cols int) bool {
	return false
}

// winoInputVector does nothing: there are no vector kernels here.
func winoInputVector(src []float32, stride int, dst []float32, plane, n int) bool { return false }

// winoOutputVector does nothing: there are no vector kernels here.
func winoOutputVector(src []float32, plane int, dst []float32, stride, n, rows, cols int, bias float32, relu bool) bool {
	return false
}

// wino43InputVector does nothing: there are no vector kernels here.
func wino43InputVector(src []float32, stride int, dst []float32, plane, n int, tmp []float32) bool {
	return false
}

// wino43OutputVector does nothing: there are no vector kernels here.
func wino43OutputVector(src []float32, plane int, dst []float32, stride, n, rows, cols int, bias float32, relu bool, tmp []float32) bool {
	return false
}

// bf16KernelsAvailable lists the bf16 GEMM kernels this build can run:
// the emulation.
func bf16KernelsAvailable() []bf16Kernel { return []bf16Kernel{genericBF16Kernel} }

// AMXStatus says why the bf16 GEMMs do not use AMX in this build.
func AMXStatus() string { return "AMX not used: this build has no assembly (noasm, or not amd64)" }

// copyEvenRowsVector does nothing: there are no vector kernels here.
func copyEvenRowsVector(src []float32, lds int, dst []float32, ldd, rows, n int) bool { return false }

// addEvenRowsVector does nothing: there are no vector kernels here.
func addEvenRowsVector(src []float32, lds int, dst []float32, ldd, rows, n int) bool { return false }

// winoFiltersVector does nothing: there are no vector kernels here.
func winoFiltersVector(w []float32, offs []int, m []float32, lanes int, out []float32) bool {
	return false
}

// winoInputPairVector does nothing: there are no vector kernels here.
func winoInputPairVector(src []float32, stride int, dst []float32, plane, n1, n2, off2 int) bool {
	return false
}

// wino43InputPairVector does nothing: there are no vector kernels here.
func wino43InputPairVector(src []float32, stride int, dst []float32, plane, n1, n2, off2 int, tmp []float32) bool {
	return false
}

// winoOutputPairVector does nothing: there are no vector kernels here.
func winoOutputPairVector(src []float32, plane int, dst []float32, stride, n1, n2, off2, rows2, cols int, bias float32, relu bool) bool {
	return false
}

// wino43OutputPairVector does nothing: there are no vector kernels here.
func wino43OutputPairVector(src []float32, plane int, dst []float32, stride, n1, n2, off2, rows2, cols int, bias float32, relu bool, tmp []float32) bool {
	return false
}

// prefetch does nothing: there is no assembly here.
func prefetch(s []float32) {}

// prefetchPlanes does nothing: there are no vector kernels here.
func prefetchPlanes(s []float32, n, stride int) {}

// moveRowsVector does nothing: there are no vector kernels here.
func moveRowsVector(dst []float32, ldd int, src []float32, lds, rows, w int) bool { return false }
