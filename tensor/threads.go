package tensor

import "github.com/convnet/convnet/internal/kernels"

// SetThreads sets how many goroutines the package's operations split their
// work over: n below 1 counts as 1. The workers are started once and live
// as long as the process; the default is runtime.NumCPU().
//
// The split of an operation's work depends only on its sizes and the
// thread count, so the same inputs under the same thread count give
// bit-identical results (a different count may round differently).
//
// Call it while no operation is running, typically once at start-up
// before any tensor work: changing the count while another goroutine is
// inside an operation is not supported.
func SetThreads(n int) { kernels.SetThreads(n) }

// Threads reports how many goroutines the package's operations split their
// work over (see SetThreads).
func Threads() int { return kernels.Threads() }

// KernelName reports which micro-kernels the package's matrix products and
// element-wise loops use on this machine, such as "avx512", "avx2" or
// "generic" (chosen once, from what the CPU supports and the build tags),
// for reports and benchmarks.
func KernelName() string { return kernels.KernelName() }
