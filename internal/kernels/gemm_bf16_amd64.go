//go:build amd64 && !noasm

package kernels

import (
	"errors"
	"slices"
	"sync"

	"golang.org/x/sys/cpu"
)

// avx512BF16Kernel is the bf16 micro-kernel of bf16_amd64.s, for CPUs
// with AVX512-BF16 (VDPBF16PS): 6×48 tiles, two steps of k an
// instruction. Each function first touches the last element it reads or
// writes, so a bad size panics in Go, not in assembly.
var avx512BF16Kernel = bf16Kernel{name: "avx512-bf16", mr: gemmMR, nr: 48, kb: 1,
	fn: func(kp int, a, b []uint32, ldb int, c []float32, ldc int) {
		if kp == 0 {
			return
		}
		_, _, _ = a[kp*gemmMR-1], b[(kp-1)*ldb+47], c[(gemmMR-1)*ldc+47]
		gemmKernelBF16x6x48AVX512(kp, &a[0], &b[0], &c[0], ldb, ldc)
	},
	set: func(kp int, a, b []uint32, ldb int, c []float32, ldc int) {
		if kp == 0 {
			for r := 0; r < gemmMR; r++ {
				clear(c[r*ldc : r*ldc+48])
			}
			return
		}
		_, _, _ = a[kp*gemmMR-1], b[(kp-1)*ldb+47], c[(gemmMR-1)*ldc+47]
		gemmKernelBF16x6x48SetAVX512(kp, &a[0], &b[0], &c[0], ldb, ldc)
	},
	round: func(n int, src, dst []float32) {
		if n == 0 {
			return
		}
		_, _ = src[16*n-1], dst[16*n-1]
		roundBF16AVX512(n, &src[0], &dst[0])
	},
	row: func(n int, src []float32, dst []uint32) {
		if n == 0 {
			return
		}
		_, _ = src[32*n-1], dst[16*n-1]
		bf16RowAVX512(n, &src[0], &dst[0])
	},
	transpose: func(src []float32, lds, rows, cols int, dst []float32, ldd int) {
		_, _ = src[(rows-1)*lds+cols-1], dst[(cols-1)*ldd+rows-1]
		kvecTransposeAVX512(&src[0], lds, rows, cols, &dst[0], ldd)
	},
	pairs: func(n int, r0, r1 []float32, dst []uint32) {
		if n == 0 {
			return
		}
		_, _, _ = r0[16*n-1], r1[16*n-1], dst[16*n-1]
		bf16PairsAVX512(n, &r0[0], &r1[0], &dst[0])
	},
}

// amxKernel is the AMX micro-kernel of bf16_amd64.s: 32×32 tiles of C,
// A in blocks of 32 rows of 16 pairs, k 16 pairs a step. Its conversions
// are AVX512-BF16's, which every AMX CPU has.
var amxKernel = bf16Kernel{name: "amx", mr: 32, nr: 32, kb: 16, aBlocked: true, matrixUnit: true,
	fn: func(kp int, a, b []uint32, ldb int, c []float32, ldc int) {
		if kp == 0 {
			return
		}
		_, _, _ = a[kp*32-1], b[(kp-1)*ldb+31], c[31*ldc+31]
		gemmKernelBF16x32x32AMX(kp/16, &a[0], &b[0], &c[0], ldb, ldc, 0)
	},
	set: func(kp int, a, b []uint32, ldb int, c []float32, ldc int) {
		if kp == 0 {
			for r := 0; r < 32; r++ {
				clear(c[r*ldc : r*ldc+32])
			}
			return
		}
		_, _, _ = a[kp*32-1], b[(kp-1)*ldb+31], c[31*ldc+31]
		gemmKernelBF16x32x32AMX(kp/16, &a[0], &b[0], &c[0], ldb, ldc, 1)
	},
	pairs: avx512BF16Kernel.pairs, row: avx512BF16Kernel.row, round: avx512BF16Kernel.round,
	transpose: avx512BF16Kernel.transpose,
}

// AMXStatus says whether the bf16 GEMMs use AMX, and if not, why not.
func AMXStatus() string {
	if err := amxReady(); err != nil {
		return "AMX not used: " + err.Error()
	}
	return "AMX in use"
}

// amxReady says whether AMX can run here: the CPU has AMX-TILE, AMX-BF16
// and AVX512-BF16, Linux grants the tile state, and the kernel computes
// a product as the emulation does (a check against a wrong encoding or a
// tile state lost, on hardware the tests may never have run on). It
// finds out once.
var amxReady = sync.OnceValue(func() error {
	if !cpu.X86.HasAMXTile || !cpu.X86.HasAMXBF16 || !cpu.X86.HasAVX512BF16 || !cpu.X86.HasAVX512BW {
		return errNoAMX
	}
	if err := requestAMX(); err != nil {
		return err
	}
	return checkGuarded(amxKernel)
})

// errNoAMX is why a CPU without AMX does not use it.
var errNoAMX = errors.New("this CPU has no AMX-BF16")

// bf16KernelsAvailable lists the bf16 GEMM kernels this build and CPU can
// run, fastest first; the emulation is always last.
func bf16KernelsAvailable() []bf16Kernel { return slices.Clip(bf16Kernels()) }

// bf16Kernels finds the kernels of bf16KernelsAvailable, once.
var bf16Kernels = sync.OnceValue(func() []bf16Kernel {
	var ks []bf16Kernel
	if amxReady() == nil {
		ks = append(ks, amxKernel)
	}
	if cpu.X86.HasAVX512BF16 && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512F {
		ks = append(ks, avx512BF16Kernel)
	}
	return append(ks, genericBF16Kernel)
})
