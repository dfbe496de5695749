package tensor

import (
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/convnet/convnet/internal/kernels"
)

// node records how a tensor was made: its inputs and how to turn the
// gradient of the output into gradients of the inputs.
type node struct {
	inputs []*Tensor
	ins    [3]*Tensor // where inputs lives for up to three
	out    *Tensor
	// backward adds the input gradients, given the output gradient. The
	// operations of a training step make it a plain function and keep
	// what it needs in the fields below, so that recording allocates
	// nothing; others keep a closure in fn.
	backward func(n *node, grad []float32)
	fn       func(grad []float32)
	// kind names the operations whose backward another may do in its
	// place (see avgPool2dBackward).
	kind   opKind
	conv   kernels.Conv
	pool   kernels.Pool
	buf    []float32
	int32s []int32
	labels []int
	sizes  [3]int
}

// opKind names an operation for backward fusion.
type opKind uint8

const (
	opOther opKind = iota
	opTanh
	opReLU
	opConv2d
)

// callFn is the backward of a node that keeps a closure.
func callFn(n *node, grad []float32) { n.fn(grad) }

// record makes out the result of an operation on inputs, if any input
// requires gradients and out's scope records. backward receives out's gradient
// and may read the data of the inputs and of out.
func record(out *Tensor, backward func(grad []float32), inputs ...*Tensor) {
	recordReading(out, readsInputs|readsOutput, backward, inputs...)
}

// dataUse says whose data a backward function reads.
type dataUse uint8

const (
	readsInputs dataUse = 1 << iota
	readsOutput
)

// recordReading is record for a backward function that reads only the
// data that reads names: the rest may be released (see Release) once the
// forward pass is done with it.
func recordReading(out *Tensor, reads dataUse, backward func(grad []float32), inputs ...*Tensor) {
	if n := recordNode(out, reads, callFn, inputs...); n != nil {
		n.fn = backward
	}
}

// recordNode records out as made from inputs by an operation whose
// backward reads the data that reads names, and returns the node for the
// operation to fill in what backward needs; nil if nothing is recorded.
func recordNode(out *Tensor, reads dataUse, backward func(n *node, grad []float32), inputs ...*Tensor) *node {
	s := out.mode()
	if !s.recording(inputs...) {
		return nil
	}
	var n *node
	if a := s.Arena(); a != nil {
		n = a.node()
	} else {
		n = new(node)
	}
	if len(inputs) <= len(n.ins) {
		n.inputs = n.ins[:len(inputs)]
		copy(n.inputs, inputs)
	} else {
		n.inputs = slices.Clone(inputs)
	}
	n.out, n.backward = out, backward
	out.requiresGrad = true
	out.creator = n
	if reads&readsOutput != 0 {
		out.markKept()
	}
	if reads&readsInputs != 0 {
		for _, in := range inputs {
			if in != nil {
				in.markKept()
			}
		}
	}
	return n
}

// requiresGrad reports whether t is a tensor that gradients flow to.
func requiresGrad(t *Tensor) bool { return t != nil && t.requiresGrad }

// gradData returns the storage of t's gradient, allocating a zero one the
// first time, or nil if t does not require gradients.
func gradData(t *Tensor) []float32 {
	if t == nil || !t.requiresGrad {
		return nil
	}
	t.settleGrad()
	if t.grad == nil {
		if t.creator != nil {
			// An intermediate result's gradient lives only during Backward.
			t.grad = t.mode().empty(t.shape...)
			clear(t.grad.data)
		} else {
			t.grad = Zeros(t.shape...)
		}
	}
	return t.grad.data
}

// gradOut returns the storage of t's gradient for a backward function
// that can either overwrite it or add to it, and says which it must do:
// fresh storage (the first gradient of an intermediate result, or one that
// ZeroGrad left to be cleared) has undefined contents and must be
// overwritten whole, which saves zeroing it.
// It returns nil if t does not require gradients.
func gradOut(t *Tensor) (g []float32, fresh bool) {
	if t == nil || !t.requiresGrad {
		return nil, false
	}
	if t.grad == nil && t.creator != nil {
		t.grad = t.mode().empty(t.shape...)
		return t.grad.data, true
	}
	if t.gradZeroed {
		t.gradZeroed = false
		return t.grad.data, true
	}
	return gradData(t), false
}

// Backward computes the gradient of the scalar t with respect to every
// tensor in its graph that requires gradients, adding it to their Grad.
// The graph is freed as it goes, so Backward can run once per forward pass.
func (t *Tensor) Backward() {
	if len(t.data) != 1 {
		panic(fmt.Sprintf("tensor.Backward: needs a one-element tensor, got shape %v", t.shape))
	}
	if !t.requiresGrad {
		panic("tensor.Backward: the tensor does not require gradients (no parameter in its graph, or it was computed in a scope with NoGrad)")
	}
	order := topoOrder(t, t.mode().Arena())
	gradData(t)[0] += 1
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		if n.creator == nil || n.grad == nil {
			continue
		}
		n.creator.backward(n.creator, n.grad.data)
		// Intermediate results keep neither their gradient nor their link
		// to the graph, as in PyTorch without retain_graph; the gradient's
		// storage serves the rest of the backward pass.
		if a := n.grad.arena; a != nil {
			a.release(n.grad.data)
		}
		n.creator, n.grad = nil, nil
	}
}

// topoOrder lists the non-leaf tensors reachable from t and the leaves,
// every tensor after all tensors it was computed from, and sets each
// one's uses: how many operations of the graph take it as an input. With
// an arena (t's) its lists are the arena's, reused from step to step.
func topoOrder(t *Tensor, a *Arena) []*Tensor {
	var order []*Tensor
	var stack []frame
	if a != nil {
		order, stack = a.order[:0], a.stack[:0]
	}
	pass := backwardPasses.Add(1)
	t.visited, t.uses = pass, 0
	stack = append(stack, frame{t: t})
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.t.creator != nil && top.next < len(top.t.creator.inputs) {
			in := top.t.creator.inputs[top.next]
			top.next++
			if in == nil || !in.requiresGrad {
				continue
			}
			if in.visited == pass {
				in.uses++
				continue
			}
			in.visited, in.uses = pass, 1
			stack = append(stack, frame{t: in})
			continue
		}
		order = append(order, top.t)
		stack = stack[:len(stack)-1]
	}
	if a != nil {
		a.order, a.stack = order, stack
	}
	return order
}

// frame is a tensor on topoOrder's stack and the next of its inputs to visit.
type frame struct {
	t    *Tensor
	next int
}

// backwardPasses numbers the Backward passes, for Tensor.visited.
var backwardPasses atomic.Uint64
