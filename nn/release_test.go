package nn_test

import (
	"slices"
	"testing"

	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// TestSequentialReleasesUnderArena checks that a Sequential under an arena
// hands back the outputs no backward reads (a convolution's, once its
// activation is computed), keeps those a hook saw, and that gradients are
// the same as without an arena.
func TestSequentialReleasesUnderArena(t *testing.T) {
	build := func() (*nn.Sequential, *nn.Conv2d) {
		nn.ManualSeed(3)
		conv := nn.NewConv2d(2, 4, 3, nn.Padding(1))
		return nn.FuseConvBlocks(nn.NewSequential(
			nn.Child{Name: "conv", Module: conv},
			nn.Child{Name: "act", Module: nn.NewReLU()},
			nn.Child{Name: "pool", Module: nn.NewMaxPool2d(2, 2, 0)},
			nn.Child{Name: "flat", Module: nn.NewFlatten()},
			nn.Child{Name: "fc", Module: nn.NewLinear(4*3*3, 5)},
		)), conv
	}
	x := tensor.Full(0.3, 2, 2, 6, 6)
	for i := range x.Data() {
		x.Data()[i] = float32(i%7) * 0.1
	}
	step := func(m *nn.Sequential, s *tensor.Scope) []float32 {
		loss := tensor.CrossEntropy(m.Call(s.Input(x)), []int{1, 3})
		loss.Backward()
		var grads []float32
		for _, p := range m.Parameters() {
			grads = append(grads, p.Grad().Data()...)
		}
		return grads
	}
	plain, _ := build()
	want := step(plain, nil)

	m, conv := build()
	var convOut, actOut *tensor.Tensor
	m.Child("act").ModuleBase().RegisterForwardHook(func(_ nn.Module, out *tensor.Tensor) { actOut = out })
	remove := conv.RegisterForwardHook(func(_ nn.Module, out *tensor.Tensor) { convOut = out })
	arena := tensor.NewArena()
	s := tensor.NewScope(tensor.ScopeOptions{Arena: arena})
	if got := step(m, s); !slices.Equal(got, want) {
		t.Fatalf("gradients under an arena differ:\n got %v\nwant %v", got, want)
	}
	if convOut.Data() == nil || actOut.Data() == nil {
		t.Fatal("an output a hook saw was released")
	}
	remove()
	arena.Reset()
	m.ZeroGrad()
	if got := step(m, s); !slices.Equal(got, want) {
		t.Fatalf("gradients after a release differ:\n got %v\nwant %v", got, want)
	}
	// The hook on conv is gone: its output is released, and the
	// activation, which ReLU's backward reads, is kept.
	if actOut.Data() == nil {
		t.Fatal("the activation was released though its backward reads it")
	}
}

// TestSequentialNeverReleasesItsInput checks that a Sequential whose first
// child passes its input through (Dropout in eval mode) does not release
// the caller's tensor, and that an output a hook saw survives a
// pass-through child after it.
func TestSequentialNeverReleasesItsInput(t *testing.T) {
	nn.ManualSeed(1)
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Arena: tensor.NewArena()})
	act := nn.NewReLU()
	m := nn.NewSequential(
		nn.Child{Name: "drop", Module: nn.NewDropout(0.5)},
		nn.Child{Name: "fc1", Module: nn.NewLinear(4, 4)},
		nn.Child{Name: "act", Module: act},
		nn.Child{Name: "drop2", Module: nn.NewDropout(0.5)},
		nn.Child{Name: "fc2", Module: nn.NewLinear(4, 2)},
	)
	m.Eval()
	var seen *tensor.Tensor
	act.RegisterForwardHook(func(_ nn.Module, out *tensor.Tensor) { seen = out })
	h := tensor.ReLU(s.Input(tensor.Full(0.5, 3, 4)))
	m.Call(h)
	if h.Data() == nil {
		t.Error("the Sequential released its caller's input")
	}
	if seen.Data() == nil {
		t.Error("an output a hook saw was released after a pass-through child")
	}
}

// keeper is a layer that applies ReLU and keeps its output, for a test to
// look at without a hook (a hook keeps what it sees).
type keeper struct {
	nn.Base
	out *tensor.Tensor
}

func (k *keeper) Forward(x *tensor.Tensor) *tensor.Tensor {
	k.out = tensor.ReLU(x)
	return k.out
}

// TestSequentialReleasesFusedBlockInput checks that the input of a
// convolution block that runs as one operation is released, as a single
// child's is.
func TestSequentialReleasesFusedBlockInput(t *testing.T) {
	nn.ManualSeed(4)
	pre := &keeper{}
	pre.Init(pre, "Keeper")
	m := nn.FuseConvBlocks(nn.NewSequential(
		nn.Child{Name: "pre", Module: pre},
		nn.Child{Name: "conv", Module: nn.NewConv2d(2, 3, 3, nn.Padding(1))},
		nn.Child{Name: "act", Module: nn.NewReLU()},
		nn.Child{Name: "pool", Module: nn.NewMaxPool2d(2, 2, 0)},
	))
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Arena: tensor.NewArena()})
	out := m.Call(s.Input(tensor.Full(0.5, 2, 2, 4, 4)))
	if got := out.Shape(); !slices.Equal(got, []int{2, 3, 2, 2}) {
		t.Fatalf("output shape %v", got)
	}
	if pre.out.Data() != nil {
		t.Error("the fused block's input was not released")
	}
}
