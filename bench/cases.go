package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/onnx"
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
		_, err := train.Epoch(ctx, m, opt, loader, epoch, train.Quiet{}, train.Precision(b.precision))
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
		_, err := train.Evaluate(ctx, m, set, 1000, train.Quiet{}, train.Precision(b.precision))
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
	infer := b.scope(tensor.ScopeOptions{NoGrad: true, Arena: arena, Context: ctx})
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

// imagenet is the input of the ImageNet networks' figures: 10 random
// 3×224×224 images, as PyTorch's programs in ../shared/bench/pytorch.
var imagenet = batchOf{channels: 3, size: 224, batch: 10}

// vgg measures VGG-11's forward pass and SGD training step at batch 10 on
// random 3×224×224 images.
func vgg(ctx context.Context, b *bencher) error {
	nn.ManualSeed(0)
	m, err := models.NewVGG("vgg11", 3, 1000)
	if err != nil {
		return err
	}
	return b.network(ctx, m, imagenet, imagenet.figures("vgg11", "VGG-11"))
}

// resnet18 measures ResNet-18's forward pass and SGD training step at
// batch 10 on random 3×224×224 images, as zoo.py times torchvision's
// resnet18().
func resnet18(ctx context.Context, b *bencher) error { return resnet18At(ctx, b, imagenet) }

func resnet18At(ctx context.Context, b *bencher, in batchOf) error {
	nn.ManualSeed(0)
	m, err := models.NewResNet("resnet18", models.Input{Channels: in.channels, Size: in.size, Classes: 1000})
	if err != nil {
		return err
	}
	return b.network(ctx, m, in, in.figures("resnet18", "ResNet-18"))
}

// onnxResNet18 measures the ResNet-18 of resnet18 after a round trip
// through ONNX: the graph the importer builds, run and trained as a
// module. It should run as fast as the native network.
func onnxResNet18(ctx context.Context, b *bencher) error {
	in := imagenet
	nn.ManualSeed(0)
	native, err := models.NewResNet("resnet18", models.Input{Channels: in.channels, Size: in.size, Classes: 1000})
	if err != nil {
		return err
	}
	file, err := onnx.Export(native, tensor.Zeros(in.batch, in.channels, in.size, in.size), onnx.ExportOptions{})
	if err != nil {
		return err
	}
	imported, err := onnx.Decode(file, "")
	if err != nil {
		return err
	}
	return b.network(ctx, imported.Graph, in, in.figures("onnx-resnet18", "ResNet-18 imported from ONNX"))
}

// googlenet measures GoogLeNet's forward pass and SGD training step at
// batch 10 on random 3×224×224 images without the auxiliary classifiers,
// as zoo.py times torchvision's googlenet(aux_logits=False,
// init_weights=True); and the training step of the model with them and
// the paper's loss (main + 0.3 × each auxiliary cross-entropy,
// GoogLeNet.Loss), as torchvision's reference recipe trains it.
func googlenet(ctx context.Context, b *bencher) error { return googlenetAt(ctx, b, imagenet) }

func googlenetAt(ctx context.Context, b *bencher, in batchOf) error {
	shape := models.Input{Channels: in.channels, Size: in.size, Classes: 1000}
	nn.ManualSeed(0)
	m, err := models.NewGoogLeNet(shape, models.WithoutAux())
	if err != nil {
		return err
	}
	if err := b.network(ctx, m, in, in.figures("googlenet", "GoogLeNet")); err != nil {
		return err
	}

	nn.ManualSeed(0)
	withAux, err := models.NewGoogLeNet(shape)
	if err != nil {
		return err
	}
	// The auxiliary classifiers run on inception4a's 512 channels and
	// inception4d's 528, which nn.Summary's evaluation-mode forward skips;
	// they pool to 4×4 first, so their products are the same for any
	// image size (14×14 maps at 224×224).
	var aux float64
	for _, a := range []struct {
		m        nn.Module
		channels int
	}{{withAux.Aux1, 512}, {withAux.Aux2, 528}} {
		f, err := forwardFLOPs(a.m, a.channels, 14, 14)
		if err != nil {
			return err
		}
		aux += f
	}
	f := in.figures("googlenet", "GoogLeNet")
	return b.network(ctx, withAux, in, netFigures{
		stepKey:    "googlenet-train-step-aux",
		stepName:   strings.Replace(f.stepName, "(SGD)", "(SGD, main + 0.3 x each auxiliary loss)", 1),
		trainExtra: aux,
	})
}

// batchOf is the input of a network's figures: batch random normal images
// of channels×size×size.
type batchOf struct{ channels, size, batch int }

// figures returns the keys "<key>-forward" and "<key>-train-step" and
// their names for a network called name ("ResNet-18 forward, batch 10").
func (in batchOf) figures(key, name string) netFigures {
	batch := fmt.Sprintf("batch %d", in.batch)
	if in.size != 224 {
		batch += fmt.Sprintf(", %dx%d", in.size, in.size)
	}
	return netFigures{
		forwardKey: key + "-forward", forwardName: name + " forward, " + batch,
		stepKey: key + "-train-step", stepName: name + " training step, " + batch + " (SGD)",
	}
}

// netFigures names the figures of network: its forward pass (none where
// forwardKey is "") and its training step.
type netFigures struct {
	forwardKey, forwardName string
	stepKey, stepName       string
	// trainExtra is the FLOPs per image that the training forward runs
	// and nn.Summary's evaluation-mode forward does not.
	trainExtra float64
}

// network measures m's forward pass in evaluation mode without gradients,
// and its SGD training step in training mode (see newWorkload), as zoo.py
// does. FLOPs are nn.Summary's for one image times the batch; 3 times that
// for a step (forward, and backward's two products per layer).
func (b *bencher) network(ctx context.Context, m nn.Module, in batchOf, f netFigures) error {
	w, err := newWorkload(ctx, m, in, b.precision)
	if err != nil {
		return err
	}
	net := m.ModuleBase()
	seconds := func(s float64) float64 { return s }
	if f.forwardKey != "" {
		net.Eval()
		// Inference as eval and predict run it: batch norms folded
		// (undone by Train below).
		if _, err := nn.FoldBatchNorm(m, tensor.Zeros(1, in.channels, in.size, in.size)); err != nil {
			return err
		}
		runs, err := b.measure(ctx, func() error { w.forward(); return nil })
		if err != nil {
			return err
		}
		b.add(f.forwardKey, f.forwardName, "s", runs, seconds, w.flops)
	}
	net.Train()
	runs, err := b.measure(ctx, func() error { w.step(); return nil })
	if err != nil {
		return err
	}
	b.add(f.stepKey, f.stepName, "s", runs, seconds, 3*(w.flops+f.trainExtra*float64(in.batch)))
	return nil
}

// workload is a network's forward pass and training step on one batch.
type workload struct {
	// forward runs the network without gradients; step zeroes the
	// gradients, runs forward and backward and updates the parameters by
	// SGD (learning rate 0.01, no momentum). Both reuse one arena, Reset
	// at the start, and leave the mode (Eval, Train) as the caller set it.
	forward, step func()
	// trainForward is step's forward pass and loss alone, with the graph
	// recorded for a backward pass that does not run: what step spends
	// beyond it is backward and the update (BenchmarkResNet18).
	trainForward func()
	// flops is nn.Summary's forward FLOPs for the batch.
	flops float64
}

// newWorkload prepares m's workload on a batch of random normal images
// with random labels of 1000 classes (zoo.py's torch.randn and
// torch.randint). The step's loss is m's own where m is an nn.Losser
// (GoogLeNet's auxiliary losses), else the cross-entropy of its output.
func newWorkload(ctx context.Context, m nn.Module, in batchOf, prec tensor.Precision) (*workload, error) {
	flops, err := forwardFLOPs(m, in.channels, in.size, in.size)
	if err != nil {
		return nil, err
	}
	x := tensor.Zeros(in.batch, in.channels, in.size, in.size)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range x.Data() {
		x.Data()[i] = float32(r.NormFloat64())
	}
	labels := make([]int, in.batch)
	for i := range labels {
		labels[i] = r.IntN(1000)
	}
	net := m.ModuleBase()
	loss := func(out *tensor.Tensor) *tensor.Tensor { return tensor.CrossEntropy(out, labels) }
	if l, ok := m.(nn.Losser); ok {
		loss = func(out *tensor.Tensor) *tensor.Tensor { return l.Loss(out, labels) }
	}
	opt := optim.NewSGD(net.Parameters(), optim.SGDOptions{LR: 0.01})
	arena := tensor.NewArena()
	infer := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Arena: arena, Context: ctx, Precision: prec})
	train := tensor.NewScope(tensor.ScopeOptions{Arena: arena, Context: ctx, Precision: prec})
	return &workload{
		forward: func() {
			arena.Reset()
			net.Call(infer.Input(x))
		},
		step: func() {
			arena.Reset()
			opt.ZeroGrad()
			loss(net.Call(train.Input(x))).Backward()
			opt.Step()
		},
		trainForward: func() {
			arena.Reset()
			loss(net.Call(train.Input(x)))
		},
		flops: flops * float64(in.batch),
	}, nil
}

// gemm measures the product (fp32, or bf16 with float32 sums) of two 4096×4096 matrices of uniform
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
	s := b.scope(tensor.ScopeOptions{NoGrad: true, Arena: arena, Context: ctx})
	runs, err := b.measure(ctx, func() error {
		arena.Reset()
		tensor.Linear(s.Input(a), bm, nil)
		return nil
	})
	if err != nil {
		return err
	}
	flops := 2 * float64(n) * n * n
	b.add("gemm-4096", b.precision.String()+" GEMM 4096x4096", "GFLOP/s", runs, func(s float64) float64 { return flops / s / 1e9 }, 0)
	return nil
}
