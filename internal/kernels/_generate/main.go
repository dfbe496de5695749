// Command _generate writes the amd64 assembly of package kernels and the
// Go declarations of its functions:
//
//   - asm_amd64.s and asm_amd64.go: the GEMM micro-kernels (gemm.go), the
//     dot-product and matrix-vector kernels (dot.go), tanh and the
//     activations' gradients (activation.go), the optimizers (optim.go),
//     pooling (pool.go), the copies and conversions (convert.go), the
//     3×3 depthwise convolution (depthwise.go) and batch normalisation
//     (batchnorm.go), for AVX-512 and, some, for AVX2+FMA; and CPUID
//     (cpu.go);
//   - direct_amd64.s and direct_amd64.go: the AVX-512 kernels of the
//     direct convolutions (direct.go, kvec.go, xvec.go, shuffle.go);
//   - bf16_amd64.s and bf16_amd64.go: the bf16 GEMM kernels (bf16.go),
//     their AVX512-BF16 and AMX instructions encoded as bytes.
//
// Each function's declaration comes from the signature its generator
// gives (see start in asm.go), which also lays out its argument frame:
// the frame's size and every argument's offset in the assembly follow
// from the parameter list. The program needs only the standard library.
// Run it from this folder with
//
//	go run . -out ..
//
// or with `go generate` in internal/kernels.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	dir := flag.String("out", "..", "the folder to write the files into")
	flag.Parse()
	asm := &output{base: "asm_amd64", about: `The functions of
asm_amd64.s: GEMM micro-kernels, dot products, element-wise functions,
optimizers, pooling, conversions, the depthwise convolution and
batch normalisation.`}
	cur = asm
	constants()
	for _, indirect := range []bool{false, true} {
		gemmKernel("AVX512", "Z", 16, 3, indirect, false)
		gemmKernel("AVX2", "Y", 8, 2, indirect, false)
		dotKernel("AVX512", "Z", 16, 6, 4, indirect)
		dotKernel("AVX2", "Y", 8, 2, 4, indirect)
	}
	gemmKernelInPlaceA(true, false)
	gemmKernelInPlaceA(false, false)
	gemmKernelInPlaceA(true, true)
	gemmKernelInPlaceA(false, true)
	gemmKernel("AVX512", "Z", 16, 3, true, true)
	gemmKernel("AVX2", "Y", 8, 2, true, true)
	gemmKernel("AVX512", "Z", 16, 3, false, true)
	gemmKernel("AVX2", "Y", 8, 2, false, true)
	// The 6×48 kernel's narrow twin, for a product's last panel of 16
	// columns or fewer (microKernel.narrow); its sums are taken in the same
	// order, so a column's result does not depend on which one computed it.
	for _, indirect := range []bool{false, true} {
		for _, store := range []bool{false, true} {
			gemmKernel("AVX512", "Z", 16, 1, indirect, store)
			gemmKernelTall(indirect, store)
		}
	}
	prefetchKernel()
	cpuidKernel()
	dotKernel("AVX512", "Z", 16, 6, 4, true, true)
	dotKernel("AVX2", "Y", 8, 2, 4, true, true)
	tanhKernelAVX512()
	tanhKernel("AVX2", "Y", 8)
	for _, add := range []bool{true, false} {
		tanhBackwardKernel("AVX512", "Z", 16, add)
		tanhBackwardKernel("AVX2", "Y", 8, add)
		reluBackwardKernel(add)
	}
	adamKernel("AVX512", "Z", 16)
	adamKernel("AVX2", "Y", 8)
	sgdKernel("AVX512", "Z", 16)
	sgdKernel("AVX2", "Y", 8)
	poolConstants()
	avgPool2Kernel()
	maxPool2Kernel()
	maxPoolRowKernel(true)
	maxPoolRowKernel(false)
	maxPool3x3Kernel()
	avgPool2BackwardKernel(true)
	avgPool2BackwardKernel(false)
	avgPool2TanhBackwardKernel(true)
	avgPool2TanhBackwardKernel(false)
	gemvConstants()
	gemvKernel()
	copyRowsKernel()
	moveRowsKernel()
	addKernel()
	copyEvensKernel()
	copyEvenRowsKernel()
	addEvenRowsKernel()
	winogradConstants()
	winogradInputKernel(false)
	winogradInputKernel(true)
	winogradOutputKernel(false)
	winogradOutputKernel(true)
	winogradGradKernel()
	winograd43Constants()
	winograd43GradKernel()
	winograd43InputKernel(false)
	winograd43InputKernel(true)
	winograd43OutputKernel(false)
	winograd43OutputKernel(true)
	winogradFilterKernel(1)
	winogradFilterKernel(3)
	winogradGradFiltersKernel()
	winograd43GradFiltersKernel()
	bytesToUnitKernel()
	depthwiseKernels()
	batchNormKernels()

	direct := &output{base: "direct_amd64", about: `The functions of
direct_amd64.s: the AVX-512 kernels of the direct convolutions, and
tables of them by size.`}
	cur = direct
	directKernels()

	bf16 := &output{base: "bf16_amd64", about: `The functions of
bf16_amd64.s: the AVX512-BF16 GEMM micro-kernel and the conversion of
floats to bf16 pairs that packing uses.`}
	cur = bf16
	bf16Kernels()

	for _, o := range []*output{asm, direct, bf16} {
		if err := o.write(*dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
