// Package kernels holds the numeric loops of convnet: GEMM, convolution,
// pooling and element-wise functions on plain []float32 slices.
//
// Kernels know nothing of tensors, autograd or layers; they see slices and
// sizes, so faster implementations can replace them without touching the
// code that calls them. Every layout is row-major, images are NCHW.
//
// Backward kernels accumulate: they add into the gradient slices they are
// given, so callers zero a gradient once and let every use add to it.
//
// A convolution goes the way that suits its shape (Conv2d and
// Conv2dBackward choose): a fully connected layer when the kernel covers
// the input; direct kernels with a vector per position's 16 output
// channels for small images with 16 or 32 of them (conv_kvec.go, LeNet-5's
// conv2); direct kernels with a vector per 16 output columns for a few
// output channels over rows of 17 to 32 (conv_xvec.go, LeNet-5's conv1);
// an implicit GEMM for other stride-1 convolutions (conv_implicit.go); and
// im2col with GEMM for the rest, one GEMM per channel group where there
// are groups. Depthwise convolutions (as many groups as input channels)
// run plane by plane instead (depthwise.go).
//
// Work is split over a persistent pool of goroutines (see SetThreads). The
// split depends only on the problem size and the thread count, so the same
// inputs and thread count give bit-identical results.
//
// # Assembly
//
// The amd64 assembly (asm_amd64.s, direct_amd64.s) and the Go declarations
// of its functions (asm_amd64.go, direct_amd64.go), each with the Go loop
// it replaces as its comment, are written by the program in _generate, a
// module of its own that needs only the standard library (the underscore
// keeps it out of ./... and out of users' builds). To regenerate them, run
// `go generate` in this folder, or in _generate:
//
//	go run . -out ..
//
// CI (.ci/run) regenerates them into a temporary folder and fails if they
// differ from the committed files. Around them, by hand: cpu_amd64.go
// chooses the kernels the CPU runs, and gemm_amd64.go, activation_amd64.go,
// optim_amd64.go, pool_amd64.go, convert_amd64.go, conv_kvec_amd64.go,
// conv_xvec_amd64.go and depthwise_amd64.go wrap them for the Go code,
// checking sizes before they go into assembly; cpu_other.go and
// depthwise_other.go stand in for all of these without assembly (other
// architectures, or -tags noasm). The pure-Go kernels stay
// the reference the tests compare the assembly with.
package kernels

//go:generate go run -C _generate . -out ..
