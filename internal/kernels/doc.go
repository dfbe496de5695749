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
// Work is split over a persistent pool of goroutines (see SetThreads). The
// split depends only on the problem size and the thread count, so the same
// inputs and thread count give bit-identical results.
package kernels

//go:generate go run gen_asm.go
//go:generate go run gen_kvec.go
