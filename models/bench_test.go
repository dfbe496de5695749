package models_test

import (
	"testing"

	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/tensor"
)

// BenchmarkLeNetTrainStep is one training step of the lesson at batch 64:
// forward, cross-entropy, backward, Adam.
func BenchmarkLeNetTrainStep(b *testing.B) {
	nn.ManualSeed(0)
	m := models.NewLeNetSeq()
	opt := optim.NewAdam(m.Parameters(), optim.DefaultAdam(1e-3))
	x := tensor.Full(0.5, 64, 1, 28, 28)
	y := make([]int, 64)
	for i := range y {
		y[i] = i % 10
	}
	arena := tensor.NewArena()
	defer tensor.UseArena(tensor.UseArena(arena))
	b.ReportAllocs()
	for b.Loop() {
		arena.Reset()
		opt.ZeroGrad()
		loss := tensor.CrossEntropy(m.Call(x), y)
		loss.Backward()
		opt.Step()
	}
	b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N)*938, "s/epoch")
}

func benchmarkInference(b *testing.B, batch int) {
	nn.ManualSeed(0)
	m := models.NewLeNetSeq()
	m.Eval()
	x := tensor.Full(0.5, batch, 1, 28, 28)
	arena := tensor.NewArena()
	defer tensor.UseArena(tensor.UseArena(arena))
	b.ReportAllocs()
	tensor.NoGrad(func() {
		for b.Loop() {
			arena.Reset()
			m.Call(x)
		}
	})
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "img/s")
}

// BenchmarkLeNetInferBatch1000 is inference at batch 1000.
func BenchmarkLeNetInferBatch1000(b *testing.B) { benchmarkInference(b, 1000) }

// BenchmarkLeNetInferBatch1 is single-image latency.
func BenchmarkLeNetInferBatch1(b *testing.B) { benchmarkInference(b, 1) }
