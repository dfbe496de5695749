package bench

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/tensor"
	"github.com/convnet/convnet/train"
)

// forwardFLOPs returns the floating-point operations of one example's
// forward pass through m (see nn.Summary).
func forwardFLOPs(m nn.Module, example ...int) (float64, error) {
	s, err := nn.Summary(m, example...)
	if err != nil {
		return 0, err
	}
	return s.FLOPs, nil
}

// lenetTrain measures an epoch of the lesson's training: LeNet-5 over the
// 60,000 training images in memory, batch 64, Adam.
func lenetTrain(ctx context.Context, b *bencher) error {
	set, err := b.mnist(true)
	if err != nil {
		return err
	}
	nn.ManualSeed(0)
	m := models.NewLeNetSeq()
	flops, err := forwardFLOPs(m, 1, 28, 28)
	if err != nil {
		return err
	}
	flops *= 3 * float64(set.Len()) // forward, and backward's two products
	opt := optim.NewAdam(m.Parameters(), optim.DefaultAdam(1e-3))
	loader := data.NewLoader(set, data.LoaderOptions{BatchSize: 64})
	epoch := 0
	runs, err := b.measure(ctx, func() error {
		_, err := train.Epoch(ctx, m, opt, loader, epoch, train.Quiet{})
		epoch++
		return err
	})
	if err != nil {
		return err
	}
	b.add("lenet-train-epoch", "LeNet-5 training epoch (60k, batch 64, Adam)", "s", runs, func(s float64) float64 { return s }, flops)
	return nil
}

// lenetInfer measures LeNet-5's inference over the 10,000 test images at
// batch 1000 (train.Evaluate), and the median latency of one image at a
// time.
func lenetInfer(ctx context.Context, b *bencher) error {
	set, err := b.mnist(false)
	if err != nil {
		return err
	}
	nn.ManualSeed(0)
	m := models.NewLeNetSeq()
	flops, err := forwardFLOPs(m, 1, 28, 28)
	if err != nil {
		return err
	}
	runs, err := b.measure(ctx, func() error {
		_, err := train.Evaluate(ctx, m, set, 1000, train.Quiet{})
		return err
	})
	if err != nil {
		return err
	}
	n := float64(set.Len())
	b.add("lenet-infer-b1000", "LeNet-5 inference, batch 1000", "img/s", runs, func(s float64) float64 { return n / s }, flops*n)

	// Batch 1: the latency of each of the first images, one at a time,
	// after 200 to warm up.
	const images, warm = 2000, 200
	m.Eval()
	x := tensor.Zeros(1, 1, 28, 28)
	arena := tensor.NewArena()
	infer := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Arena: arena, Context: ctx})
	var lat []float64
	for i := 0; i < images+warm; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		set.Example(i%set.Len(), x.Data())
		start := time.Now()
		arena.Reset()
		m.Call(infer.Input(x)).ArgmaxRows()
		if i >= warm {
			lat = append(lat, time.Since(start).Seconds())
		}
	}
	b.add("lenet-infer-b1", "LeNet-5 inference, batch 1, median latency", "us", lat, func(s float64) float64 { return s * 1e6 }, flops)
	return nil
}

// vgg measures VGG-11's forward pass and SGD training step at batch 10 on
// random 3×224×224 images.
func vgg(ctx context.Context, b *bencher) error {
	const batch = 10
	nn.ManualSeed(0)
	m, err := models.NewVGG("vgg11", 3, 1000)
	if err != nil {
		return err
	}
	flops, err := forwardFLOPs(m, 3, 224, 224)
	if err != nil {
		return err
	}
	flops *= batch
	x := tensor.Zeros(batch, 3, 224, 224)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range x.Data() {
		x.Data()[i] = float32(r.NormFloat64())
	}
	arena := tensor.NewArena()

	m.Eval()
	infer := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Arena: arena, Context: ctx})
	runs, err := b.measure(ctx, func() error {
		arena.Reset()
		m.Call(infer.Input(x))
		return nil
	})
	if err != nil {
		return err
	}
	b.add("vgg11-forward", "VGG-11 forward, batch 10", "s", runs, func(s float64) float64 { return s }, flops)

	m.Train()
	labels := make([]int, batch)
	for i := range labels {
		labels[i] = r.IntN(1000)
	}
	opt := optim.NewSGD(m.Parameters(), optim.SGDOptions{LR: 0.01})
	step := tensor.NewScope(tensor.ScopeOptions{Arena: arena, Context: ctx})
	runs, err = b.measure(ctx, func() error {
		arena.Reset()
		opt.ZeroGrad()
		tensor.CrossEntropy(m.Call(step.Input(x)), labels).Backward()
		opt.Step()
		return nil
	})
	if err != nil {
		return err
	}
	b.add("vgg11-train-step", "VGG-11 training step, batch 10 (SGD)", "s", runs, func(s float64) float64 { return s }, 3*flops)
	return nil
}

// gemm measures the fp32 product of two 4096×4096 matrices of uniform
// random values, as tensor.Linear computes it (A·Bᵀ: the same packed
// kernel as A·B, which packs B either way).
func gemm(ctx context.Context, b *bencher) error {
	const n = 4096
	r := rand.New(rand.NewPCG(3, 4))
	a, bm := tensor.Zeros(n, n), tensor.Zeros(n, n)
	for i := range a.Data() {
		a.Data()[i], bm.Data()[i] = r.Float32(), r.Float32()
	}
	// The arena keeps the product's storage from one run to the next, as
	// a caller's buffer would.
	arena := tensor.NewArena()
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Arena: arena, Context: ctx})
	runs, err := b.measure(ctx, func() error {
		arena.Reset()
		tensor.Linear(s.Input(a), bm, nil)
		return nil
	})
	if err != nil {
		return err
	}
	flops := 2 * float64(n) * n * n
	b.add("gemm-4096", "fp32 GEMM 4096x4096", "GFLOP/s", runs, func(s float64) float64 { return flops / s / 1e9 }, 0)
	return nil
}
