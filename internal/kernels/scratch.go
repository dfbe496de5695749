package kernels

import (
	"math/bits"
	"sync"
)

// scratchPools recycle temporary buffers (im2col columns, partial sums)
// so that repeated calls stop allocating once warm. Pool c holds buffers
// of capacity at most 1<<c and more than half that, so that a request
// mostly finds one that fits: small ones are made with a power-of-two
// capacity.
var scratchPools [64]sync.Pool

// scratchClass is the pool of buffers for n elements: the least c with
// 1<<c >= n.
func scratchClass(n int) int { return bits.Len(uint(max(n, 1) - 1)) }

// getScratch returns a zeroed buffer of length n; give it back with putScratch.
func getScratch(n int) *[]float32 {
	p := getScratchDirty(n)
	clear(*p)
	return p
}

// getScratchDirty is getScratch without the zeroing, for buffers the
// caller overwrites whole.
func getScratchDirty(n int) *[]float32 {
	c := scratchClass(n)
	if p, ok := scratchPools[c].Get().(*[]float32); ok {
		if cap(*p) >= n {
			*p = (*p)[:n]
			return p
		}
		scratchPools[c].Put(p)
	}
	size := n
	if n <= 1<<22 {
		size = 1 << c
	}
	s := make([]float32, n, size)
	return &s
}

func putScratch(p *[]float32) { scratchPools[scratchClass(cap(*p))].Put(p) }

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
