package tensor

import (
	"slices"
	"testing"
)

// double is 2x from Go, counting its backward calls.
func double(calls *int) *Function {
	return &Function{
		Name: "Double",
		Forward: func(ctx *FunctionContext, in ...*Tensor) *Tensor {
			y := ctx.Empty(in[0].Shape()...)
			for i, v := range in[0].Data() {
				y.Data()[i] = 2 * v
			}
			return y
		},
		Backward: func(ctx *FunctionContext, g *Tensor) []*Tensor {
			*calls++
			return []*Tensor{MulScalar(g, 2)}
		},
	}
}

// TestFunctionRespectsScope checks that a Function is recorded as the
// package's operations are: not under NoGrad, its result and storage from
// the scope's arena, and its gradient flowing to a parameter.
func TestFunctionRespectsScope(t *testing.T) {
	var calls int
	f := double(&calls)
	w := Full(1.5, 2, 3).SetRequiresGrad(true)
	x := Full(2, 2, 3)

	infer := NewScope(ScopeOptions{NoGrad: true})
	if y := f.Apply(Mul(infer.Input(x), w)); y.RequiresGrad() || y.creator != nil || y.Scope() != infer {
		t.Errorf("under NoGrad: requires grad %v, recorded %v, scope %p (want %p)", y.RequiresGrad(), y.creator != nil, y.Scope(), infer)
	}

	arena := NewArena()
	s := NewScope(ScopeOptions{Arena: arena})
	for step := range 3 {
		arena.Reset()
		w.ZeroGrad()
		h := Mul(s.Input(x), w)
		y := f.Apply(h)
		if y.arena != arena || y.Scope() != s || !y.RequiresGrad() {
			t.Fatalf("step %d: result from arena %v, in the scope %v, requires grad %v", step, y.arena == arena, y.Scope() == s, y.RequiresGrad())
		}
		if Release(y) {
			t.Fatal("a Function's result was released although its backward may read it")
		}
		Sum(y).Backward()
		// d sum(2*x*w)/dw = 2x = 4.
		if g := w.Grad().Data(); !slices.Equal(g, []float32{4, 4, 4, 4, 4, 4}) {
			t.Fatalf("step %d: gradient %v, want 4s", step, g)
		}
	}
	if calls != 3 {
		t.Errorf("Backward called %d times, want 3", calls)
	}
	// No input requires gradients: nothing recorded, Backward not needed.
	noBackward := &Function{Name: "Fwd", Forward: func(_ *FunctionContext, in ...*Tensor) *Tensor { return in[0] }}
	if y := noBackward.Apply(x); y.RequiresGrad() {
		t.Error("a Function of a tensor that requires no gradient is recorded")
	}
}

// TestFunctionReturningItsInput checks an identity Function: its result
// is a view, and the gradient passes through.
func TestFunctionReturningItsInput(t *testing.T) {
	id := &Function{
		Name:     "Identity",
		Forward:  func(_ *FunctionContext, in ...*Tensor) *Tensor { return in[0] },
		Backward: func(_ *FunctionContext, g *Tensor) []*Tensor { return []*Tensor{g} },
	}
	w := Full(3, 4).SetRequiresGrad(true)
	y := id.Apply(w)
	if y == w {
		t.Fatal("the result is the input itself")
	}
	Sum(MulScalar(y, 5)).Backward()
	if g := w.Grad().Data(); !slices.Equal(g, []float32{5, 5, 5, 5}) {
		t.Errorf("gradient %v, want 5s", g)
	}
}

// TestSameShapeStepAllocatesNothing checks that the same-shape fast
// paths of Add, Sub and Mul, and ReLU6 and Hardswish, record without
// allocating once an arena is warm.
func TestSameShapeStepAllocatesNothing(t *testing.T) {
	a := Full(0.5, 4, 8).SetRequiresGrad(true)
	b := Full(0.25, 4, 8).SetRequiresGrad(true)
	arena := NewArena()
	s := NewScope(ScopeOptions{Arena: arena})
	step := func() {
		arena.Reset()
		x, y := s.Input(a), s.Input(b)
		h := Hardswish(ReLU6(Mul(Sub(Add(x, y), y), x)))
		Sum(MeanDims(Cat([]*Tensor{h, Sigmoid(h)}, 1), []int{1}, false)).Backward()
	}
	step()
	if n := testing.AllocsPerRun(10, step); n != 0 {
		t.Errorf("a step allocates %v times, want 0", n)
	}
}
