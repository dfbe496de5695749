package tensor

import (
	"fmt"
	"slices"

	"github.com/convnet/convnet/internal/kernels"
)

// A Function is a differentiable operation defined in Go, for an
// operation the package lacks, as PyTorch's torch.autograd.Function:
// Forward computes the result from the inputs, and Backward the gradients
// of the inputs from the result's. Apply runs it and records it for
// Backward like any operation of the package (see ExampleFunction):
//
//   - in a Scope with NoGrad, or when no input requires gradients, nothing
//     is recorded and Backward is never called;
//   - Forward and Backward see the inputs detached (no graph) but in their
//     scope, so the tensor operations they use record nothing, and take
//     their results from the scope's arena when it has one (FunctionContext
//     .Empty too);
//   - the inputs and the result are kept for Backward (an arena does not
//     hand their storage back early; see Release).
//
// A Function holds no state of a call: what Backward needs besides the
// inputs goes through the FunctionContext, so one Function may serve any
// number of calls, from several goroutines at once if Forward and
// Backward allow it. Gradients of gradients are not supported (Backward
// is not itself recorded).
type Function struct {
	// Name names the operation in panics, and to a Tracer, which is told
	// of Apply as one operation (Op.Name, with the Function as Op.Attrs)
	// and not of the operations Forward and Backward run.
	Name string
	// Forward returns the result of the operation on in (in Apply's
	// order). It may use any tensor operation and ctx.Save what Backward
	// needs.
	Forward func(ctx *FunctionContext, in ...*Tensor) *Tensor
	// Backward returns, for each input in order, the gradient of the loss
	// with respect to it (the input's shape), given grad, the gradient
	// with respect to Forward's result (its shape). A nil entry, or a
	// slice shorter than the inputs, means no gradient for that input;
	// ctx.NeedsInputGrad tells which are needed. Backward must not change
	// grad, the inputs or the saved tensors.
	Backward func(ctx *FunctionContext, grad *Tensor) []*Tensor
}

// FunctionContext is what one call of a Function's Forward hands to its
// Backward.
type FunctionContext struct {
	scope  *Scope
	inputs []*Tensor // as the caller gave them
	// detached are the inputs as Forward sees them.
	detached []*Tensor
	needs    []bool
	saved    []*Tensor
	// Value holds anything else Backward needs (sizes, settings).
	Value any
}

// Save keeps tensors for Backward (Saved returns them), as PyTorch's
// ctx.save_for_backward. Their storage is kept for the whole step.
func (c *FunctionContext) Save(ts ...*Tensor) {
	for _, t := range ts {
		if t != nil {
			t.markKept()
		}
	}
	c.saved = append(c.saved, ts...)
}

// Saved returns the tensors given to Save, in order.
func (c *FunctionContext) Saved() []*Tensor { return c.saved }

// NeedsInputGrad reports whether input i requires a gradient from
// Backward.
func (c *FunctionContext) NeedsInputGrad(i int) bool {
	return i >= 0 && i < len(c.needs) && c.needs[i]
}

// Inputs returns the inputs as Forward saw them (detached: no graph),
// for Backward. They are kept for the step, so Backward may read them
// without Save.
func (c *FunctionContext) Inputs() []*Tensor { return c.detached }

// Scope returns the scope the call runs in (nil for tensors of none).
func (c *FunctionContext) Scope() *Scope { return c.scope }

// Empty returns a tensor of the call's scope (from its arena if it has
// one) of the given shape, for Forward or Backward to fill: its contents
// start undefined.
func (c *FunctionContext) Empty(shape ...int) *Tensor { return c.scope.empty(shape...) }

// Zeros is Empty filled with zeros.
func (c *FunctionContext) Zeros(shape ...int) *Tensor {
	t := c.scope.empty(shape...)
	clear(t.data)
	return t
}

// Apply runs f on the inputs and returns its result, recorded for
// Backward when an input requires gradients and their scope records.
func (f *Function) Apply(inputs ...*Tensor) *Tensor {
	if f.Forward == nil {
		panic(fmt.Sprintf("tensor.Function %q: no Forward", f.Name))
	}
	s := scopeOfAll(inputs)
	ctx := &FunctionContext{scope: s, inputs: slices.Clone(inputs), needs: make([]bool, len(inputs))}
	recording := s.recording(inputs...)
	detached := make([]*Tensor, len(inputs))
	for i, x := range inputs {
		if x == nil {
			continue
		}
		ctx.needs[i] = recording && x.requiresGrad
		d := s.tensor()
		x.markKept()
		d.data, d.keep = x.data, true
		d.setShape(x.shape)
		detached[i] = d
	}
	ctx.detached = detached
	y := f.forward(ctx, detached)
	if y == nil {
		panic(fmt.Sprintf("tensor.Function %q: Forward returned nil", f.Name))
	}
	if !recording {
		if s.tracing() {
			s.traceOp(f.Name, f, y, slices.Clone(inputs)...)
		}
		return y
	}
	if f.Backward == nil {
		panic(fmt.Sprintf("tensor.Function %q: an input requires gradients but there is no Backward", f.Name))
	}
	// The result must be a tensor of the scope outside any graph; a view
	// of y where it is not (an input itself, a tensor of another scope, one
	// Forward built from tensors that require gradients).
	out := y
	want := s
	if y.creator != nil || y.requiresGrad || y.scope != want || slices.Contains(detached, y) || slices.Contains(inputs, y) {
		out = s.view(y, y.shape)
	}
	out.markKept()
	recordReading(out, readsInputs|readsOutput, func(g []float32) {
		grad := s.tensor()
		grad.data = g
		grad.setShape(out.shape)
		grads := f.backward(ctx, grad)
		for i, x := range ctx.inputs {
			if !ctx.needs[i] || i >= len(grads) || grads[i] == nil {
				continue
			}
			gi := grads[i]
			if !slices.Equal(gi.shape, x.shape) {
				panic(fmt.Sprintf("tensor.Function %q: Backward's gradient %d has shape %v, the input %v", f.Name, i, gi.shape, x.shape))
			}
			switch d, fresh := gradOut(x); {
			case d == nil:
			case fresh:
				copy(d, gi.data)
			default:
				kernels.Add(gi.data, d)
			}
		}
	}, inputs...)
	if s.tracing() {
		s.traceOp(f.Name, f, out, slices.Clone(inputs)...)
	}
	return out
}

// forward runs f.Forward, whose operations the scope's Tracer is not told
// of: it is told of Apply as one operation.
func (f *Function) forward(ctx *FunctionContext, in []*Tensor) *Tensor {
	defer ctx.scope.silence()()
	return f.Forward(ctx, in...)
}

// backward runs f.Backward, whose operations the scope's Tracer is not
// told of either.
func (f *Function) backward(ctx *FunctionContext, grad *Tensor) []*Tensor {
	defer ctx.scope.silence()()
	return f.Backward(ctx, grad)
}
