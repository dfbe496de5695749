package tensor_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/convnet/convnet/tensor"
)

// TestScopeInput checks that Scope.Input leaves its argument alone, that
// the results of operations carry the scope of their inputs, and that
// gradients flow through Input to a tensor that requires them.
func TestScopeInput(t *testing.T) {
	x := tensor.New([]float32{-1, 0.5, 2}, 3).SetRequiresGrad(true)
	arena := tensor.NewArena()
	s := tensor.NewScope(tensor.ScopeOptions{Arena: arena})
	in := s.Input(x)
	if x.Scope() != nil || in.Scope() != s || !slices.Equal(in.Shape(), x.Shape()) {
		t.Fatalf("Input: the argument's scope %v, the result's %v (want nil, %v)", x.Scope(), in.Scope(), s)
	}
	y := tensor.Sum(tensor.Mul(tensor.Tanh(in), in))
	if y.Scope() != s || !y.RequiresGrad() {
		t.Fatalf("a result's scope %v, requires gradients %v", y.Scope(), y.RequiresGrad())
	}
	y.Backward()
	want := tensor.New([]float32{-1, 0.5, 2}, 3).SetRequiresGrad(true)
	tensor.Sum(tensor.Mul(tensor.Tanh(want), want)).Backward()
	if got := x.Grad().Data(); !slices.Equal(got, want.Grad().Data()) {
		t.Errorf("gradient through Input %v, without a scope %v", got, want.Grad().Data())
	}

	made := s.New([]float32{1, 2, 3, 4}, 2, 2)
	if made.Scope() != s || !slices.Equal(made.Shape(), []int{2, 2}) {
		t.Errorf("Scope.New: scope %v, shape %v", made.Scope(), made.Shape())
	}
}

// TestScopeDefaults checks what a nil scope and a scope without options
// mean: recording, no arena, the background context.
func TestScopeDefaults(t *testing.T) {
	var none *tensor.Scope
	plain := tensor.NewScope(tensor.ScopeOptions{})
	for _, s := range []*tensor.Scope{none, plain} {
		if !s.GradEnabled() || s.Arena() != nil || s.Context() != context.Background() {
			t.Errorf("scope %v: GradEnabled %v, Arena %v, Context %v", s, s.GradEnabled(), s.Arena(), s.Context())
		}
	}
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "request 7")
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Context: ctx})
	if y := tensor.ReLU(s.Input(tensor.Full(1, 2))); y.Scope().Context().Value(key{}) != "request 7" {
		t.Error("the context does not go with the data")
	}
}

// TestScopeMixPanics checks that an operation on tensors of two scopes
// panics rather than choosing one.
func TestScopeMixPanics(t *testing.T) {
	a := tensor.NewScope(tensor.ScopeOptions{}).Input(tensor.Full(1, 2))
	b := tensor.NewScope(tensor.ScopeOptions{}).Input(tensor.Full(1, 2))
	defer func() {
		if recover() == nil {
			t.Error("Add of tensors of two scopes did not panic")
		}
	}()
	tensor.Add(a, b)
}

// TestScopesAreIndependent runs, at once, a goroutine that records and one
// that does not, on the same weight: each gets its own mode (run with
// -race).
func TestScopesAreIndependent(t *testing.T) {
	w := tensor.Full(0.5, 4, 4).SetRequiresGrad(true)
	x := tensor.Full(1, 2, 4)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			s := tensor.NewScope(tensor.ScopeOptions{NoGrad: g%2 == 0, Arena: tensor.NewArena()})
			for range 50 {
				s.Arena().Reset()
				y := tensor.Linear(s.Input(x), w, nil)
				if y.RequiresGrad() != s.GradEnabled() {
					t.Errorf("goroutine %d: recorded %v in a scope with GradEnabled %v", g, y.RequiresGrad(), s.GradEnabled())
					return
				}
			}
		})
	}
	wg.Wait()
}
