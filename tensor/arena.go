package tensor

import "sync"

// An Arena recycles the tensors that operations make, for loops that
// repeat the same computation (a training step, a batch of inference).
// While an arena is in use (UseArena), operation results, their storage,
// intermediate gradients, saved buffers and the graph's nodes come from
// it; Reset makes all of them available again, so a loop that calls Reset
// at the top of each iteration allocates nothing once warm.
//
// After Reset, tensors made from the arena before it must not be used
// (the loss included: read its value first): they and their storage are
// handed out again. Parameters, their gradients and
// tensors made with New, Zeros or Full never come from an arena. Within a
// step, Release hands back a result early, once nothing can read it (see
// nn.Sequential).
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

var (
	arenaMu sync.Mutex
	arena   *Arena
)

// UseArena makes a the arena that operations allocate from (nil: none,
// plain allocation) and returns the one in use before. Like SetGradEnabled
// it is process-wide.
func UseArena(a *Arena) (prev *Arena) {
	arenaMu.Lock()
	defer arenaMu.Unlock()
	prev, arena = arena, a
	return prev
}

func currentArena() *Arena {
	arenaMu.Lock()
	defer arenaMu.Unlock()
	return arena
}

// empty returns a tensor for an operation's result whose every element the
// operation will write: its contents start undefined.
func empty(shape ...int) *Tensor {
	n := numel(shape)
	a := currentArena()
	t := newTensor(a)
	if a != nil {
		t.data, t.arena = a.float32s(n), a
	} else {
		t.data = make([]float32, n)
	}
	t.setShape(shape)
	return t
}

// newTensor returns a zeroed Tensor: the step's from a, or, with a nil,
// one of its own.
func newTensor(a *Arena) *Tensor {
	if a != nil {
		return a.tensor()
	}
	return new(Tensor)
}

// shell returns a tensor of the given shape with no storage: the result of
// an operation fused into the next one, which stands in the graph for its
// gradient only.
func shell(shape []int) *Tensor {
	t := newTensor(currentArena())
	t.setShape(shape)
	return t
}

// view returns a tensor that shares x's storage, in the given shape; both
// are kept for the whole step (see Release). A view of arena storage is an
// arena tensor; a view of a tensor that outlives the step (a parameter, an
// input) outlives it too.
func view(x *Tensor, shape []int) *Tensor {
	a := currentArena()
	if x.arena != a {
		a = nil
	}
	t := newTensor(a)
	x.keep = true
	t.data, t.keep = x.data, true
	t.setShape(shape)
	return t
}

// Release gives the storage of x, an operation's result, back to the arena
// in use for the rest of the step, if x's storage came from it and nothing
// can read it again: no recorded backward reads it and no other tensor
// shares it. The caller promises not to read x's values again; x keeps its
// shape and its place in the graph, so gradients still flow through it,
// but its Data is nil from then on. It reports whether x was released.
//
// nn.Sequential releases each layer's output once the next layer has used
// it, unless a forward hook sees it: so PyTorch frees a convolution's
// output once its activation has been computed.
func Release(x *Tensor) bool {
	if x == nil || x.keep || x.arena == nil || x.data == nil || x.arena != currentArena() {
		return false
	}
	x.arena.release(x.data)
	x.data = nil
	return true
}

// scratch returns a buffer an operation keeps for its backward pass.
func scratch(n int) []float32 {
	if a := currentArena(); a != nil {
		return a.float32s(n)
	}
	return make([]float32, n)
}

func scratchInt32(n int) []int32 {
	if a := currentArena(); a != nil {
		return a.int32s(n)
	}
	return make([]int32, n)
}
