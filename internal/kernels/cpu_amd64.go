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

// halfWidthVectors reports whether the CPU runs each 512-bit instruction
// as two halves on 256-bit units: AMD's Zen 4 (family 19h with AVX-512),
// whose FMA peak is half a full-width core's (Zen 5, Intel's Xeons) while
// its memory is as fast. Some choices between fewer products and more
// memory traffic go the other way there (weightGradWinograd). No feature
// bit says so; the vendor and family do.
var halfWidthVectors = func() bool {
	if !cpu.X86.HasAVX512F {
		return false
	}
	var r [4]uint32
	cpuid(0, 0, &r[0])
	// "AuthenticAMD" in EBX, EDX, ECX.
	if r[1] != 0x68747541 || r[3] != 0x69746e65 || r[2] != 0x444d4163 {
		return false
	}
	cpuid(1, 0, &r[0])
	family := r[0] >> 8 & 0xf
	if family == 0xf {
		family += r[0] >> 20 & 0xff
	}
	return family == 0x19
}()

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
