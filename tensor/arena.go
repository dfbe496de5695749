package tensor

import "sync"

// An Arena recycles the tensors that operations make, for loops that
// repeat the same computation (a training step, a batch of inference).
// The operations of a Scope with an arena (ScopeOptions.Arena) take their
// results, their storage, intermediate gradients, saved buffers and the
// graph's nodes from it; Reset makes all of them available again, so a
// loop that calls Reset at the top of each iteration allocates nothing
// once warm.
//
// After Reset, tensors made from the arena before it must not be used
// (the loss included: read its value first): they and their storage are
// handed out again. Parameters, their gradients and
// tensors made with New, Zeros or Full never come from an arena. Within a
// step, Release hands back a result early, once nothing can read it (see
// nn.Sequential).
//
// An arena serves one computation at a time: goroutines that compute at
// once each need their own (and their own Scope).
type Arena struct {
	mu     sync.Mutex
	floats [][]float32
	ints   [][]int32
	nf, ni int
	// free holds buffers given back during the current step (gradients
	// of intermediate results once Backward has used them), handed out
	// again before new slots.
	free [][]float32
	// The tensors and graph nodes of a step, and Backward's work lists,
	// recycled like the storage.
	tensors [][]Tensor
	nodes   [][]node
	nt, nn  int
	order   []*Tensor
	stack   []frame
}

// slabBlock is how many tensors or nodes an arena allocates at a time.
const slabBlock = 64

// slabNext hands out element *used of the blocks, zeroed, adding a block
// when they are all in use. Elements never move, so pointers stay valid.
func slabNext[T any](blocks *[][]T, used *int) *T {
	b, i := *used/slabBlock, *used%slabBlock
	if b == len(*blocks) {
		*blocks = append(*blocks, make([]T, slabBlock))
	}
	*used++
	p := &(*blocks)[b][i]
	var zero T
	*p = zero
	return p
}

// tensor returns a zeroed Tensor of the step.
func (a *Arena) tensor() *Tensor {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slabNext(&a.tensors, &a.nt)
}

// node returns a zeroed graph node of the step.
func (a *Arena) node() *node {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slabNext(&a.nodes, &a.nn)
}

// NewArena returns an empty arena.
func NewArena() *Arena { return &Arena{} }

// Reset makes every buffer handed out so far available again.
func (a *Arena) Reset() {
	a.mu.Lock()
	a.nf, a.ni, a.nt, a.nn = 0, 0, 0, 0
	a.free = a.free[:0]
	a.mu.Unlock()
}

// float32s returns a buffer of length n with undefined contents. Buffers
// are handed out in request order, so a repeated sequence of requests gets
// the same buffers.
func (a *Arena) float32s(n int) []float32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	// The smallest free buffer that fits, unless it is more than twice
	// the size: a large buffer spent on a small request would be missing
	// for the large one that follows (the gradient of a released
	// activation has its size).
	best := -1
	for i, b := range a.free {
		if cap(b) >= n && cap(b) <= 2*n+64 && (best < 0 || cap(b) < cap(a.free[best])) {
			best = i
		}
	}
	if best >= 0 {
		b := a.free[best]
		a.free = append(a.free[:best], a.free[best+1:]...)
		return b[:n]
	}
	return next(&a.floats, &a.nf, n)
}

// release gives back a buffer that nothing uses any more, for the rest of
// the step. The sequence of requests and releases repeats each step, so
// the same buffers are handed out each time.
func (a *Arena) release(b []float32) {
	a.mu.Lock()
	a.free = append(a.free, b)
	a.mu.Unlock()
}

func (a *Arena) int32s(n int) []int32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return next(&a.ints, &a.ni, n)
}

// next hands out slot *used of slots, growing it to n elements if needed.
func next[T any](slots *[][]T, used *int, n int) []T {
	if *used == len(*slots) {
		*slots = append(*slots, nil)
	}
	if cap((*slots)[*used]) < n {
		(*slots)[*used] = make([]T, n)
	}
	*used++
	return (*slots)[*used-1][:n]
}

// Release gives the storage of x, an operation's result, back to the arena
// it came from for the rest of the step, if it came from one and nothing
// can read it again: no recorded backward reads it and no other tensor
// shares it. The caller promises not to read x's values again; x keeps its
// shape and its place in the graph, so gradients still flow through it,
// but its Data is nil from then on. It reports whether x was released.
//
// nn.Sequential releases each layer's output once the next layer has used
// it, unless a forward hook sees it: so PyTorch frees a convolution's
// output once its activation has been computed.
func Release(x *Tensor) bool {
	if x == nil || x.keep || x.arena == nil || x.data == nil {
		return false
	}
	x.arena.release(x.data)
	x.data = nil
	return true
}
