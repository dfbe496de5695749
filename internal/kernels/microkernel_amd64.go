//go:build amd64 && !noasm

package kernels

import "golang.org/x/sys/cpu"

// The assembly micro-kernels in microkernel_amd64.s. c points at C[0,0];
// ldc is in elements.
//
//go:noescape
func kernel6x48AVX512(kc int, a, b, c *float32, ldc int)

//go:noescape
func kernel6x16AVX2(kc int, a, b, c *float32, ldc int)

var (
	avx512Kernel = microKernel{name: "avx512", nr: 48, fn: func(kc int, a, b, c []float32, ldc int) {
		_, _, _ = a[kc*gemmMR-1], b[kc*48-1], c[(gemmMR-1)*ldc+47]
		kernel6x48AVX512(kc, &a[0], &b[0], &c[0], ldc)
	}}
	avx2Kernel = microKernel{name: "avx2", nr: 16, fn: func(kc int, a, b, c []float32, ldc int) {
		_, _, _ = a[kc*gemmMR-1], b[kc*16-1], c[(gemmMR-1)*ldc+15]
		kernel6x16AVX2(kc, &a[0], &b[0], &c[0], ldc)
	}}
)

func bestKernel() microKernel { return kernelsAvailable()[0] }

// kernelsAvailable lists every micro-kernel this build and CPU can run,
// fastest first.
func kernelsAvailable() []microKernel {
	var ks []microKernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, avx512Kernel)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, avx2Kernel)
	}
	return append(ks, genericKernel)
}
