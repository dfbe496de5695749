package kernels

import (
	"sync"
	"sync/atomic"
)

// WeightCache keeps a convolution's weights in the forms its kernels
// use (packed panels, bf16 pairs, Winograd transforms), each made on the
// first call that needs it, for a caller that guarantees the weights do
// not change while it holds the cache: a model prepared for inference
// (nn.FoldBatchNorm). It is safe for concurrent use.
//
// A Conv names its cache by number (Conv.Cache, from NewWeightCache), not
// by pointer: a Conv is copied into the work items the kernels keep, and
// a pointer there would make every caller's options escape to the heap.
type WeightCache struct {
	mu    sync.Mutex
	forms map[weightForm][]float32
}

// WeightCacheID names a WeightCache registered by NewWeightCache; 0 is
// none. It is 32 bits so that a Conv stays 128 bytes: the closures of the
// kernels capture a larger one by reference, which moves it to the heap.
type WeightCacheID uint32

var (
	weightCaches  sync.Map // WeightCacheID → *WeightCache
	lastWeightIDs atomic.Uint32
)

// NewWeightCache registers an empty cache and returns its number; give
// it back with DropWeightCache.
func NewWeightCache() WeightCacheID {
	id := WeightCacheID(lastWeightIDs.Add(1))
	weightCaches.Store(id, &WeightCache{})
	return id
}

// DropWeightCache forgets cache id and the weights it holds.
func DropWeightCache(id WeightCacheID) { weightCaches.Delete(id) }

// cache returns the cache id names, or nil for none (0, or dropped).
func (id WeightCacheID) cache() *WeightCache {
	if id == 0 {
		return nil
	}
	c, _ := weightCaches.Load(id)
	wc, _ := c.(*WeightCache)
	return wc
}

// weightForm names one form of a convolution's weights.
type weightForm struct {
	kind    weightKind
	rows, k int
	kernel  string // the micro-kernel the layout is for
}

type weightKind uint8

const (
	packedFP32  weightKind = iota // packWeightPanels, one matrix per group
	packedBF16                    // packWeightsBF16, one matrix per group
	winogradF23                   // transformed, then packed per position
	winogradF43
	winogradF23BF16 // as winogradF23, of the weights rounded to bf16
	winogradF43BF16
)

// form returns the form f of the weights, size floats that build writes:
// c's copy, made and kept on the first call, or, for a nil c, a scratch
// buffer made now, returned as scratch too for the caller to give back
// (putScratch).
func (c *WeightCache) form(f weightForm, size int, build func(dst []float32)) (w []float32, scratch *[]float32) {
	if c == nil {
		buf := getScratchDirty(size)
		build(*buf)
		return *buf, buf
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if w, ok := c.forms[f]; ok && len(w) == size {
		return w, nil
	}
	w = newFloats(size)
	build(w)
	if c.forms == nil {
		c.forms = map[weightForm][]float32{}
	}
	c.forms[f] = w
	return w, nil
}

// newFloats allocates n floats that live as long as a cache holds them.
func newFloats(n int) []float32 { return make([]float32, n) }
