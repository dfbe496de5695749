//go:build amd64 && !noasm

package kernels

import "golang.org/x/sys/cpu"

// The choice of kernels by what the CPU can run. The vector functions of
// each family (activation_amd64.go, convert_amd64.go, optim_amd64.go,
// pool_amd64.go) follow the active micro-kernel: AVX-512 where it is
// avx512Kernel, AVX2 where it is avx2Kernel.

// bestKernel is the fastest micro-kernel this build and CPU can run.
func bestKernel() microKernel { return kernelsAvailable()[0] }

// kernelsAvailable lists every micro-kernel this build and CPU can run,
// fastest first.
func kernelsAvailable() []microKernel {
	var ks []microKernel
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ {
		ks = append(ks, avx512Kernel)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, avx2Kernel)
	}
	return append(ks, genericKernel)
}

// vectorLen returns the length of the prefix of n elements that the active
// kernel's vectors handle, and whether it is AVX-512.
func vectorLen(n int) (int, bool) {
	switch activeKernel.name {
	case "avx512":
		return n &^ 15, true
	case "avx2":
		return n &^ 7, false
	}
	return 0, false
}
