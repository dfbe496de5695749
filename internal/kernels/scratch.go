package kernels

import "sync"

// scratchPool recycles temporary buffers (im2col columns, partial sums) so
// that repeated calls of the same size stop allocating once warm.
var scratchPool sync.Pool

// getScratch returns a zeroed buffer of length n; give it back with putScratch.
func getScratch(n int) *[]float32 {
	if p, ok := scratchPool.Get().(*[]float32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		clear(*p)
		return p
	}
	s := make([]float32, n)
	return &s
}

func putScratch(p *[]float32) { scratchPool.Put(p) }
