package tensor

import (
	"context"
	"fmt"
)

// A Scope is how one computation runs: whether its operations are
// recorded for backward, where their results are allocated, and a context
// that its caller passes down to the code it calls (forward hooks, say).
//
// The scope travels with the data, not with the goroutine or the process:
// the tensors a scope makes (Input, New) and every result of an operation
// on them carry it, and an operation runs in the scope of its inputs. So
// two goroutines that run one model on inputs of two scopes share no mode
// and no storage, and need no lock:
//
//	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
//	logits := model.Call(s.Input(x)) // records nothing
//
// Tensors of no scope (New, Zeros, Full, parameters) and the results of
// operations on them alone run as PyTorch does by default: recorded when
// an input requires gradients, allocated on the heap. An operation on
// tensors of two different scopes panics; Input brings a tensor of one
// scope into another.
//
// A Scope's settings never change, so one without an arena or a Tracer
// may serve any number of goroutines at once; one with an arena serves one
// computation at a time, as its arena does, and so does one with a Tracer,
// which is told of its operations in order.
type Scope struct {
	noGrad bool
	arena  *Arena
	ctx    context.Context
	// trace, if not nil, is told of the scope's operations (see Tracer).
	trace     *traceState
	precision Precision
}

// ScopeOptions are the settings of a Scope.
type ScopeOptions struct {
	// NoGrad turns recording off, as torch.no_grad(): operations build no
	// graph and keep nothing for backward (evaluation, inference).
	NoGrad bool
	// Arena, if not nil, is where results, their storage, intermediate
	// gradients and graph nodes come from (see Arena).
	Arena *Arena
	// Context is passed down with the data, for Scope.Context (nil:
	// context.Background()).
	Context context.Context
	// Tracer, if not nil, is told of each operation run on the scope's
	// tensors (see Tracer), as an exporter that traces a forward pass
	// needs. Such a scope serves one computation at a time. Without one,
	// operations report nothing and cost nothing more.
	Tracer Tracer
	// Precision is the arithmetic of convolutions, linear layers and
	// matrix products (see Precision): Float32, the default, or BFloat16
	// for bf16 products with float32 sums, as torch.autocast.
	Precision Precision
}

// NewScope returns a scope with the given settings.
func NewScope(o ScopeOptions) *Scope {
	s := &Scope{noGrad: o.NoGrad, arena: o.Arena, ctx: o.Context, precision: o.Precision}
	if o.Tracer != nil {
		s.trace = &traceState{tracer: o.Tracer}
	}
	return s
}

// GradEnabled reports whether the scope's operations are recorded for
// backward (when an input requires gradients). A nil Scope, the scope of
// tensors that have none, records.
func (s *Scope) GradEnabled() bool { return s == nil || !s.noGrad }

// Arena returns the arena the scope allocates from, or nil.
func (s *Scope) Arena() *Arena {
	if s == nil {
		return nil
	}
	return s.arena
}

// Context returns the scope's context: context.Background() if it was
// given none, or for a nil Scope.
func (s *Scope) Context() context.Context {
	if s == nil || s.ctx == nil {
		return context.Background()
	}
	return s.ctx
}

// Input returns x as an input of the scope's computation: a tensor of the
// scope that shares x's storage and shape. Gradients flow back to x when
// the scope records and x requires them. x itself is not changed, so one
// tensor may be the input of several scopes at once.
func (s *Scope) Input(x *Tensor) *Tensor {
	out := s.view(x, x.shape)
	recordNode(out, 0, reshapeBackward, x)
	return out
}

// New returns a tensor of the scope that uses data as its storage (not a
// copy), as New does. It panics if len(data) is not the product of shape.
func (s *Scope) New(data []float32, shape ...int) *Tensor {
	if n := numel(shape); n != len(data) {
		panic(fmt.Sprintf("tensor.Scope.New: %d values for shape %v (needs %d)", len(data), shape, n))
	}
	t := s.tensor()
	t.data = data
	t.setShape(shape)
	return t
}

// Scope returns the scope t belongs to, nil if none (see Scope).
func (t *Tensor) Scope() *Scope { return t.scope }

// scopeOf returns the scope of an operation on a, b and c (any may be
// nil): the one scope among them, or nil if they have none.
func scopeOf(a, b, c *Tensor) *Scope {
	var s *Scope
	for _, t := range [...]*Tensor{a, b, c} {
		if t == nil || t.scope == nil || t.scope == s {
			continue
		}
		if s != nil {
			panic("tensor: an operation on tensors of two scopes (bring one into the other's with Scope.Input)")
		}
		s = t.scope
	}
	return s
}

// mode returns the scope that t's operations run in (see scopeOf).
func (t *Tensor) mode() *Scope { return t.scope }

// recording reports whether an operation in s on inputs is recorded:
// whether s records and an input requires gradients.
func (s *Scope) recording(inputs ...*Tensor) bool {
	if !s.GradEnabled() {
		return false
	}
	for _, in := range inputs {
		if requiresGrad(in) {
			return true
		}
	}
	return false
}

// tensor returns a zeroed Tensor of the scope, from its arena if it has
// one.
func (s *Scope) tensor() *Tensor {
	var t *Tensor
	if a := s.Arena(); a != nil {
		t = a.tensor()
	} else {
		t = new(Tensor)
	}
	t.scope = s
	return t
}

// empty returns a tensor of the scope for an operation's result whose
// every element the operation will write: its contents start undefined.
func (s *Scope) empty(shape ...int) *Tensor {
	n := numel(shape)
	t := s.tensor()
	if a := s.Arena(); a != nil {
		t.data, t.arena = a.float32s(n), a
	} else {
		t.data = make([]float32, n)
	}
	t.setShape(shape)
	return t
}

// shell returns a tensor of the scope of the given shape with no storage:
// the result of an operation fused into the next one, which stands in the
// graph for its gradient only.
func (s *Scope) shell(shape []int) *Tensor {
	t := s.tensor()
	t.setShape(shape)
	return t
}

// view returns a tensor of the scope that shares x's storage, in the given
// shape; both are kept for the whole step (see Release).
func (s *Scope) view(x *Tensor, shape []int) *Tensor {
	t := s.tensor()
	x.markKept()
	t.data, t.keep = x.data, true
	t.setShape(shape)
	return t
}

// scratch returns a buffer an operation keeps for its backward pass.
func (s *Scope) scratch(n int) []float32 {
	if a := s.Arena(); a != nil {
		return a.float32s(n)
	}
	return make([]float32, n)
}

func (s *Scope) scratchInt32(n int) []int32 {
	if a := s.Arena(); a != nil {
		return a.int32s(n)
	}
	return make([]int32, n)
}

// markKept says that t's storage must last the whole step (see Release).
// Only arena storage is ever released, so other tensors (parameters,
// inputs, which several goroutines may share) are not written.
func (t *Tensor) markKept() {
	if t.arena != nil && !t.keep {
		t.keep = true
	}
}
