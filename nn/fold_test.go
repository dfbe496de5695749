package nn_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/convnet/convnet/internal/testref"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// TestFoldBatchNorm folds the batch norms of the zoo's networks and
// compares their evaluation-mode outputs with the unfolded ones', then
// trains a step's worth (Train) and checks the fold is undone.
func TestFoldBatchNorm(t *testing.T) {
	for _, c := range []struct {
		name string
		want int
	}{{"resnet18", 20}, {"mobilenet_v2", 52}, {"googlenet", 57}, {"vgg11_bn", 8}, {"lenet5", 0}} {
		t.Run(c.name, func(t *testing.T) {
			spec, err := models.Lookup(c.name)
			if err != nil {
				t.Fatal(err)
			}
			nn.ManualSeed(2)
			in := models.Input{Channels: 3, Size: 32, Classes: 10}
			if spec.Check(in) != nil {
				in = spec.Input
			}
			m, err := spec.Build(in)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(7, 8))
			for _, p := range m.ModuleBase().StateDict() {
				for i := range p.Tensor.Data() {
					switch {
					case strings.HasSuffix(p.Name, "running_mean"), strings.HasSuffix(p.Name, "bn.bias"):
						p.Tensor.Data()[i] = 0.2 * float32(rng.NormFloat64())
					case strings.HasSuffix(p.Name, "running_var"):
						p.Tensor.Data()[i] = 0.5 + rng.Float32()
					}
				}
			}
			x := tensor.Zeros(2, in.Channels, in.Size, in.Size)
			for i := range x.Data() {
				x.Data()[i] = float32(rng.NormFloat64())
			}
			forward := func() []float32 {
				s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
				return m.ModuleBase().Call(s.Input(x)).Clone().Data()
			}
			m.ModuleBase().Eval()
			want := forward()
			n, err := nn.FoldBatchNorm(m, x)
			if err != nil {
				t.Fatal(err)
			}
			if n != c.want {
				t.Errorf("folded %d batch norms, want %d", n, c.want)
			}
			if err := testref.WithinScale(forward(), want, 1e-4); err != nil {
				t.Errorf("folded: %v", err)
			}
			// Training undoes the fold: changed statistics count again.
			m.ModuleBase().Train()
			m.ModuleBase().Eval()
			for _, p := range m.ModuleBase().StateDict() {
				if strings.HasSuffix(p.Name, "running_var") {
					for i := range p.Tensor.Data() {
						p.Tensor.Data()[i] *= 2
					}
				}
			}
			changed := forward()
			nn.FoldBatchNorm(m, x)
			if err := testref.WithinScale(forward(), changed, 1e-4); err != nil {
				t.Errorf("refolded after a change: %v", err)
			}
		})
	}
}

// TestCacheWeights: a model whose convolutions cache their weights gives
// the outputs it gives without, call after call, and Train drops the
// caches, so that new weights count.
func TestCacheWeights(t *testing.T) {
	nn.ManualSeed(1)
	m := nn.NewSequential(
		nn.Child{Name: "conv1", Module: nn.NewConv2d(3, 32, 3, nn.Padding(1))},
		nn.Child{Name: "relu", Module: nn.NewReLU()},
		nn.Child{Name: "conv2", Module: nn.NewConv2d(32, 32, 3, nn.Padding(1))},
	)
	x := tensor.Zeros(2, 3, 30, 30)
	for i := range x.Data() {
		x.Data()[i] = float32(i%13) / 13
	}
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
	m.Eval()
	want := m.Call(s.Input(x)).Clone()
	nn.CacheWeights(m)
	for run := range 2 {
		if got := m.Call(s.Input(x)); !slices.Equal(got.Data(), want.Data()) {
			t.Fatalf("call %d with cached weights differs", run)
		}
	}
	conv2 := m.Children()[2].Module.(*nn.Conv2d)
	m.Train()
	conv2.Weight.Data()[0] += 1
	m.Eval()
	fresh := m.Call(s.Input(x))
	if slices.Equal(fresh.Data(), want.Data()) {
		t.Error("after Train and a change of weights, the old packed weights are still used")
	}
}
