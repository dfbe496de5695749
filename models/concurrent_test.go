package models_test

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/tensor"
)

// TestConcurrentInference runs one LeNet-5 in evaluation mode from eight
// goroutines at once, with no lock, and checks every answer against the
// one a single goroutine gets. The goroutines compute in scopes of every
// kind: without gradients, each with its own arena or all sharing one
// scope without an arena, and recording (no scope), while another
// goroutine trains a second model in its own scope. Run it with -race.
func TestConcurrentInference(t *testing.T) {
	nn.ManualSeed(0)
	m := models.NewLeNetSeq()
	m.Eval()
	r := rand.New(rand.NewPCG(1, 2))
	// Inputs of one and of three images; all goroutines read the same
	// tensors.
	inputs := make([]*tensor.Tensor, 6)
	for i := range inputs {
		x := tensor.Zeros(1+2*(i%2), 1, 28, 28)
		for j := range x.Data() {
			x.Data()[j] = r.Float32()
		}
		inputs[i] = x
	}
	want := make([][]float32, len(inputs))
	single := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
	for i, x := range inputs {
		want[i] = m.Call(single.Input(x)).Data()
	}

	const goroutines, predictions = 8, 24
	shared := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			var arena *tensor.Arena
			var s *tensor.Scope
			switch g % 4 {
			case 0, 1: // the server's way: a scope and an arena each
				arena = tensor.NewArena()
				s = tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Arena: arena})
			case 2: // one scope without an arena for several goroutines
				s = shared
			case 3: // no scope: the forward pass is recorded
			}
			for p := range predictions {
				i := (g*5 + p) % len(inputs)
				if arena != nil {
					arena.Reset()
				}
				x := inputs[i]
				if s != nil {
					x = s.Input(x)
				}
				out := m.Call(x)
				if got := out.Data(); !slices.Equal(got, want[i]) {
					t.Errorf("goroutine %d, prediction %d (input %d): %v, want %v", g, p, i, got, want[i])
					return
				}
				if out.RequiresGrad() != (s == nil) {
					t.Errorf("goroutine %d: the output requires gradients: %v", g, out.RequiresGrad())
					return
				}
			}
		})
	}
	// Meanwhile, training steps of another model, recorded, in a scope
	// with an arena: they change nothing of the goroutines above.
	wg.Go(func() {
		nn.ManualSeed(1)
		other := models.NewLeNetSeq()
		step := trainStep(other, optim.NewSGD(other.Parameters(), optim.SGDOptions{LR: 0.01}), inputs[1])
		for range 10 {
			step()
		}
	})
	wg.Wait()
}
