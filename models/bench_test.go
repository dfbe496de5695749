package models_test

import (
	"testing"

	"github.com/convnet/convnet/internal/race"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/tensor"
)

// trainStep returns one training step of m on the batch x with labels
// classes 0, 1, ... in turn (forward, cross-entropy, backward, opt), in a
// scope with an arena.
func trainStep(m nn.Module, opt optim.Optimizer, x *tensor.Tensor) (step func()) {
	y := make([]int, x.Size(0))
	for i := range y {
		y[i] = i % 10
	}
	arena := tensor.NewArena()
	s := tensor.NewScope(tensor.ScopeOptions{Arena: arena})
	return func() {
		arena.Reset()
		opt.ZeroGrad()
		tensor.CrossEntropy(m.ModuleBase().Call(s.Input(x)), y).Backward()
		opt.Step()
	}
}

// lenetTrainStep is trainStep for the lesson: LeNet-5, Adam, batch 64.
func lenetTrainStep() (step func()) {
	nn.ManualSeed(0)
	m := models.NewLeNetSeq()
	opt := optim.NewAdam(m.Parameters(), optim.DefaultAdam(1e-3))
	return trainStep(m, opt, tensor.Full(0.5, 64, 1, 28, 28))
}

// BenchmarkLeNetTrainStep is one training step of the lesson at batch 64:
// forward, cross-entropy, backward, Adam.
func BenchmarkLeNetTrainStep(b *testing.B) {
	step := lenetTrainStep()
	// Warm: the arena's storage is made in the first steps.
	for range 3 {
		step()
	}
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
	b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N)*938, "s/epoch")
}

func benchmarkInference(b *testing.B, batch int) {
	nn.ManualSeed(0)
	m := models.NewLeNetSeq()
	m.Eval()
	x := tensor.Full(0.5, batch, 1, 28, 28)
	arena := tensor.NewArena()
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Arena: arena})
	b.ReportAllocs()
	// Warm: the arena's storage is made in the first passes.
	for range 2 {
		arena.Reset()
		m.Call(s.Input(x))
	}
	for b.Loop() {
		arena.Reset()
		m.Call(s.Input(x))
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "img/s")
}

// BenchmarkLeNetInferBatch1000 is inference at batch 1000.
func BenchmarkLeNetInferBatch1000(b *testing.B) { benchmarkInference(b, 1000) }

// BenchmarkLeNetInferBatch1 is single-image latency.
func BenchmarkLeNetInferBatch1(b *testing.B) { benchmarkInference(b, 1) }

// BenchmarkVGG11Forward is the lesson's VGG-11 forward at batch 10, 224×224.
func BenchmarkVGG11Forward(b *testing.B) {
	m, err := models.NewVGG("vgg11", 3, 1000)
	if err != nil {
		b.Fatal(err)
	}
	m.Eval()
	x := tensor.Full(0.1, 10, 3, 224, 224)
	arena := tensor.NewArena()
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Arena: arena})
	for b.Loop() {
		arena.Reset()
		m.Call(s.Input(x))
	}
}

// BenchmarkVGG11TrainStep is one SGD training step of VGG-11 at batch 10.
func BenchmarkVGG11TrainStep(b *testing.B) {
	m, err := models.NewVGG("vgg11", 3, 1000)
	if err != nil {
		b.Fatal(err)
	}
	opt := optim.NewSGD(m.Parameters(), optim.SGDOptions{LR: 0.01, Momentum: 0.9})
	step := trainStep(m, opt, tensor.Full(0.1, 10, 3, 224, 224))
	for b.Loop() {
		step()
	}
}

// BenchmarkVGG11SmallTrainStep is one Adam step of VGG-11 for 32x32 MNIST
// (1 channel, 10 classes) at batch 64, as `convnet train --model vgg11
// --dataset mnist` runs it.
func BenchmarkVGG11SmallTrainStep(b *testing.B) {
	m, err := models.NewVGGFor("vgg11", false, models.Input{Channels: 1, Size: 32, Classes: 10})
	if err != nil {
		b.Fatal(err)
	}
	opt := optim.NewAdam(m.Parameters(), optim.DefaultAdam(1e-4))
	step := trainStep(m, opt, tensor.Full(0.1, 64, 1, 32, 32))
	for b.Loop() {
		step()
	}
}

// TestLeNetTrainStepAllocatesNothing checks what BenchmarkLeNetTrainStep
// reports as 0 allocs/op: once warm, a training step in a scope with an
// arena (forward, cross-entropy, backward, Adam) allocates nothing. Under
// the race detector, which makes sync.Pool drop buffers, the steps run
// without the check.
func TestLeNetTrainStepAllocatesNothing(t *testing.T) {
	step := lenetTrainStep()
	for range 3 {
		step()
	}
	if race.Enabled {
		step()
		t.Log("race detector on: allocations not checked")
		return
	}
	// A collection during a measurement empties the sync.Pools that the
	// kernels' scratch comes from, and refilling one costs an allocation
	// that is no step's: the least of three measurements counts. A step
	// that allocates shows in all three.
	n := testing.AllocsPerRun(20, step)
	for range 2 {
		n = min(n, testing.AllocsPerRun(20, step))
	}
	if n != 0 {
		t.Errorf("a warm training step makes %v allocations, want 0", n)
	}
}
