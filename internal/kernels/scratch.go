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
	if c >= keptMinClass {
		if p := kept.take(c, n); p != nil {
			return p
		}
	}
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
	prefault(s[:size])
	return &s
}

// prefault writes a zero to every page of s, which a fresh allocation
// holds zeroed but not yet mapped: a buffer made for a smaller request
// is later handed to a larger one of its class, and each page the larger
// touches for the first time then costs a fault (a few microseconds in a
// virtual machine). Unfaulted, GoogLeNet's second forward pass took 8 ms
// more than the third, on 1,100 faults in two Winograd layers; now they
// fall in the first.
func prefault(s []float32) {
	const pageFloats = 4096 / 4
	for i := 0; i < len(s); i += pageFloats {
		s[i] = 0
	}
}

func putScratch(p *[]float32) {
	c := scratchClass(cap(*p))
	if c >= keptMinClass && kept.keep(c, p) {
		return
	}
	scratchPools[c].Put(p)
}

// Large buffers are kept across garbage collections, which empty the
// sync.Pools: a network's forward pass takes tens of MB of scratch, and
// making it anew after each collection costs page faults that doubled
// VGG-11's forward time under convnet's GC setting. Up to keptMaxBytes of
// them are held, and the rest go to the pools.
const (
	keptMinClass = 18 // buffers of 256Ki floats (1 MiB) and more
	keptMaxBytes = 512 << 20
)

// keptBuffers holds large scratch buffers by class.
type keptBuffers struct {
	mu    sync.Mutex
	bytes int
	bufs  [64][]*[]float32
}

var kept keptBuffers

// take returns a kept buffer of class c that holds n floats, or nil.
func (k *keptBuffers) take(c, n int) *[]float32 {
	k.mu.Lock()
	defer k.mu.Unlock()
	list := k.bufs[c]
	for i := len(list) - 1; i >= 0; i-- {
		if p := list[i]; cap(*p) >= n {
			k.bufs[c] = append(list[:i], list[i+1:]...)
			k.bytes -= 4 * cap(*p)
			*p = (*p)[:n]
			return p
		}
	}
	return nil
}

// keep holds p, if there is room, and reports whether it did.
func (k *keptBuffers) keep(c int, p *[]float32) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.bytes+4*cap(*p) > keptMaxBytes {
		return false
	}
	k.bytes += 4 * cap(*p)
	k.bufs[c] = append(k.bufs[c], p)
	return true
}

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
