package kernels

// microKernel computes C[0:gemmMR, 0:nr] += A·B for a packed A micro-panel
// (kc steps of gemmMR values) and a packed B micro-panel (kc steps of nr
// values); C has row stride ldc.
type microKernel struct {
	name string
	nr   int
	fn   func(kc int, a, b, c []float32, ldc int)
}

// genericKernel is the pure-Go micro-kernel, used where no assembly one
// applies and as the reference the assembly ones are tested against.
var genericKernel = microKernel{name: "generic", nr: 8, fn: kernelGeneric}

// activeKernel is the micro-kernel Gemm uses: the best one this CPU runs.
var activeKernel = bestKernel()

// KernelName reports which micro-kernel Gemm uses ("avx512", "avx2",
// "generic").
func KernelName() string { return activeKernel.name }

func kernelGeneric(kc int, a, b, c []float32, ldc int) {
	var acc [gemmMR * 8]float32
	a, b = a[:kc*gemmMR], b[:kc*8]
	for p := 0; p < kc; p++ {
		bp := b[p*8 : p*8+8 : p*8+8]
		ap := a[p*gemmMR : p*gemmMR+gemmMR : p*gemmMR+gemmMR]
		for r, av := range ap {
			row := acc[r*8 : r*8+8 : r*8+8]
			row[0] += av * bp[0]
			row[1] += av * bp[1]
			row[2] += av * bp[2]
			row[3] += av * bp[3]
			row[4] += av * bp[4]
			row[5] += av * bp[5]
			row[6] += av * bp[6]
			row[7] += av * bp[7]
		}
	}
	for r := 0; r < gemmMR; r++ {
		add(acc[r*8:r*8+8], c[r*ldc:r*ldc+8])
	}
}
