package kernels

import "sync"

// scratchPool recycles temporary buffers (im2col columns, partial sums) so
// that repeated calls of the same size stop allocating once warm.
var scratchPool sync.Pool

// getScratch returns a zeroed buffer of length n; give it back with putScratch.
func getScratch(n int) *[]float32 {
	p := getScratchDirty(n)
	clear(*p)
	return p
}

// getScratchDirty is getScratch without the zeroing, for buffers the
// caller overwrites whole.
func getScratchDirty(n int) *[]float32 {
	if p, ok := scratchPool.Get().(*[]float32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	s := make([]float32, n)
	return &s
}

func putScratch(p *[]float32) { scratchPool.Put(p) }

// intPool recycles offset tables.
var intPool sync.Pool

// getInts returns an int buffer of length n with undefined contents; give
// it back with putInts.
func getInts(n int) *[]int {
	if p, ok := intPool.Get().(*[]int); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	s := make([]int, n)
	return &s
}

func putInts(p *[]int) { intPool.Put(p) }
