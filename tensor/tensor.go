// Package tensor provides float32 N-dimensional tensors with reverse-mode
// automatic differentiation, in the manner of PyTorch.
//
// A Tensor owns one contiguous row-major []float32; images are NCHW.
// Operations (Conv2d, Linear, Tanh, CrossEntropy, ...) return new tensors
// and, when an input requires gradients and their Scope records, record
// how to send gradients back. Calling Backward on a scalar result then fills
// Grad of every tensor that requires gradients (the leaves: parameters).
//
// The numeric loops live in internal/kernels; this package handles shapes,
// the graph and gradient bookkeeping.
package tensor

import (
	"fmt"
	"slices"

	"github.com/convnet/convnet/internal/kernels"
)

// Tensor is a float32 N-dimensional array, possibly part of an autograd graph.
type Tensor struct {
	data         []float32
	shape        []int
	grad         *Tensor
	requiresGrad bool
	creator      *node // the operation that made this tensor; nil for leaves
	// scope is the Scope the tensor belongs to, whose mode the operations
	// on it run in; nil for none (see Scope).
	scope *Scope
	// gradZeroed says that grad's storage holds old values that stand for
	// zeros (ZeroGrad): it is cleared when next read or added to, or
	// overwritten whole by a backward function that can (gradOut).
	gradZeroed bool
	// arena is the Arena the storage came from (nil: the heap), and keep
	// says the storage must last the whole step: a recorded backward reads
	// it, or another tensor shares it. Release goes by both.
	arena *Arena
	keep  bool
	// dims holds a shape of up to four dimensions, so that making a
	// tensor of one allocates nothing for it.
	dims [4]int
	// visited marks the tensor as reached by the Backward pass whose
	// number it holds, and uses counts the operations of that pass's
	// graph that read it.
	visited uint64
	uses    int32
	// nonNegative says that the operation that made the tensor ended
	// with a ReLU, so that ReLU may return it as it is when nothing is
	// recorded. Code that writes a result's Data in place must not then
	// pass it to ReLU expecting a change.
	nonNegative bool
}

// setShape makes t's shape a copy of shape.
func (t *Tensor) setShape(shape []int) {
	if len(shape) <= len(t.dims) {
		t.shape = t.dims[:len(shape)]
		copy(t.shape, shape)
		return
	}
	t.shape = slices.Clone(shape)
}

// New returns a tensor of the given shape that uses data as its storage
// (not a copy). It panics if len(data) is not the product of shape.
func New(data []float32, shape ...int) *Tensor {
	if n := numel(shape); n != len(data) {
		panic(fmt.Sprintf("tensor.New: %d values for shape %v (needs %d)", len(data), shape, n))
	}
	return &Tensor{data: data, shape: slices.Clone(shape)}
}

// Zeros returns a new tensor of the given shape filled with zeros.
func Zeros(shape ...int) *Tensor {
	return &Tensor{data: make([]float32, numel(shape)), shape: slices.Clone(shape)}
}

// Full returns a new tensor of the given shape filled with v.
func Full(v float32, shape ...int) *Tensor {
	t := Zeros(shape...)
	for i := range t.data {
		t.data[i] = v
	}
	return t
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			// A copy, so that shape does not escape: callers' shapes stay
			// on the stack.
			panic(fmt.Sprintf("tensor: negative dimension in shape %v", slices.Clone(shape)))
		}
		n *= d
	}
	return n
}

// Shape returns the tensor's dimensions. The caller must not modify it.
func (t *Tensor) Shape() []int { return t.shape }

// Dim returns the number of dimensions.
func (t *Tensor) Dim() int { return len(t.shape) }

// Size returns dimension i; negative i counts from the end, as in PyTorch.
func (t *Tensor) Size(i int) int {
	if i < 0 {
		i += len(t.shape)
	}
	return t.shape[i]
}

// Numel returns the number of elements.
func (t *Tensor) Numel() int { return numel(t.shape) }

// Data returns the tensor's storage, row-major. Writing to it changes the
// tensor in place, outside autograd's knowledge.
func (t *Tensor) Data() []float32 { return t.data }

// Item returns the value of a one-element tensor.
func (t *Tensor) Item() float32 {
	if len(t.data) != 1 {
		panic(fmt.Sprintf("tensor.Item: tensor of shape %v has %d elements, not 1", t.shape, len(t.data)))
	}
	return t.data[0]
}

// Grad returns the accumulated gradient, or nil if none has been computed.
// It may clear storage that ZeroGrad left (see there), so it is not safe to
// call from two goroutines at once.
func (t *Tensor) Grad() *Tensor {
	t.settleGrad()
	return t.grad
}

// settleGrad clears a gradient that ZeroGrad left to be cleared.
func (t *Tensor) settleGrad() {
	if t.gradZeroed {
		kernels.Zero(t.grad.data)
		t.gradZeroed = false
	}
}

// RequiresGrad reports whether gradients flow to this tensor.
func (t *Tensor) RequiresGrad() bool { return t.requiresGrad }

// SetRequiresGrad marks a leaf tensor as one whose gradient Backward
// computes, and returns t.
func (t *Tensor) SetRequiresGrad(on bool) *Tensor {
	if t.creator != nil && !on {
		panic("tensor.SetRequiresGrad: cannot turn off gradients of a non-leaf tensor; use Detach")
	}
	t.requiresGrad = on
	return t
}

// ZeroGrad sets the gradient to zero, keeping its storage for reuse.
// The storage is cleared lazily: a backward pass that overwrites the whole
// gradient (a linear layer's weight) then never pays for clearing it. So,
// as after PyTorch's zero_grad(set_to_none=True), a gradient tensor taken
// from Grad before keeps its old values until Grad is called again.
func (t *Tensor) ZeroGrad() {
	if t.grad != nil {
		t.gradZeroed = true
	}
}

// Detach returns a tensor that shares t's storage but is not part of any
// graph; it stays in t's scope.
func (t *Tensor) Detach() *Tensor {
	t.markKept()
	return &Tensor{data: t.data, shape: t.shape, keep: true, scope: t.scope}
}

// Clone returns a deep copy of t's values, not part of any graph nor of any
// scope: it outlives an arena's step.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{data: slices.Clone(t.data), shape: slices.Clone(t.shape)}
}

// CopyFrom copies src's values into t; their shapes must be equal.
func (t *Tensor) CopyFrom(src *Tensor) {
	if !slices.Equal(t.shape, src.shape) {
		panic(fmt.Sprintf("tensor.CopyFrom: shape %v into %v", src.shape, t.shape))
	}
	copy(t.data, src.data)
}

// ArgmaxRows returns, for a 2-D tensor, the column of the largest value in
// each row (the first on ties), as PyTorch's argmax(dim=1).
func (t *Tensor) ArgmaxRows() []int {
	if len(t.shape) != 2 {
		panic(fmt.Sprintf("tensor.ArgmaxRows: shape %v is not 2-D", t.shape))
	}
	rows, cols := t.shape[0], t.shape[1]
	out := make([]int, rows)
	for i := range out {
		row := t.data[i*cols : (i+1)*cols]
		for j, v := range row {
			if v > row[out[i]] {
				out[i] = j
			}
		}
	}
	return out
}

// String formats small tensors in full and large ones by shape.
func (t *Tensor) String() string {
	if len(t.data) > 64 {
		return fmt.Sprintf("tensor(shape=%v)", t.shape)
	}
	return fmt.Sprintf("tensor(%v, shape=%v)", t.data, t.shape)
}
