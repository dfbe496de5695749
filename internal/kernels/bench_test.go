package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkGemm reports GFLOP/s of square products for every micro-kernel
// this CPU runs, on all threads.
func BenchmarkGemm(b *testing.B) {
	defer func(k microKernel) { activeKernel = k }(activeKernel)
	r := rand.New(rand.NewPCG(1, 1))
	for _, size := range []int{256, 1024, 4096} {
		x, y, z := randSlice(r, size*size), randSlice(r, size*size), make([]float32, size*size)
		for _, kern := range kernelsAvailable() {
			if kern.name == "generic" && size > 1024 {
				continue
			}
			b.Run(fmt.Sprintf("%s/%d", kern.name, size), func(b *testing.B) {
				activeKernel = kern
				for b.Loop() {
					Gemm(false, false, size, size, size, 1, x, size, y, size, 0, z, size)
				}
				b.ReportMetric(2*float64(size*size*size)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
