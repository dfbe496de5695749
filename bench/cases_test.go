package bench

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// TestNetworksSmall runs the ResNet-18 and GoogLeNet cases as `convnet
// bench` does, on two 3×32×32 images in place of ten of 224×224, so that
// they take a moment: the figures, their names and their FLOPs.
func TestNetworksSmall(t *testing.T) {
	in := batchOf{channels: 3, size: 32, batch: 2}
	for _, c := range []struct {
		run  func(context.Context, *bencher, batchOf) error
		keys []string
		name string
	}{
		{resnet18At, []string{"resnet18-forward", "resnet18-train-step"}, "ResNet-18"},
		{googlenetAt, []string{"googlenet-forward", "googlenet-train-step", "googlenet-train-step-aux"}, "GoogLeNet"},
	} {
		b := &bencher{reps: 1, threads: 1}
		if err := c.run(context.Background(), b, in); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, f := range b.figures {
			keys = append(keys, f.Key)
			if f.Unit != "s" || len(f.Runs) != 1 || f.Value != f.Runs[0] || f.GFLOPS <= 0 ||
				!strings.HasPrefix(f.Name, c.name) || !strings.Contains(f.Name, "batch 2, 32x32") {
				t.Errorf("%s: %+v", f.Key, f)
			}
		}
		if !slices.Equal(keys, c.keys) {
			t.Errorf("figures %v, want %v", keys, c.keys)
			continue
		}
		flops := func(i int) float64 { return b.figures[i].GFLOPS * b.figures[i].Runs[0] * 1e9 }
		if fwd, step := flops(0), flops(1); math.Abs(step-3*fwd) > 1e-6*step {
			t.Errorf("%s: step %g FLOPs, forward %g", c.name, step, fwd)
		}
		if len(keys) == 3 {
			// Each auxiliary classifier: a 1×1 convolution to 128 channels
			// on 4×4, and fully connected layers 2048→1024→1000, per image.
			aux := 2 * float64(512*128*16+528*128*16+2*(2048*1024+1024*1000))
			if got, want := flops(2)-flops(1), 3*aux*2; math.Abs(got-want) > 1e-3*want {
				t.Errorf("auxiliary classifiers' FLOPs in a step: %g, want %g", got, want)
			}
		}
	}
}

// benchmarkNetwork runs a network's forward pass, the forward pass of its
// training step alone (train mode, graph recorded, no backward) and its SGD
// training step, at batch 10 on 3×224×224 images as `convnet bench` times
// them, for go test -bench and its -cpuprofile:
//
//	go test ./bench -run '^$' -bench ResNet18/forward -benchtime 5x -cpuprofile cpu.pprof
func benchmarkNetwork(b *testing.B, build func() (nn.Module, error)) {
	nn.ManualSeed(0)
	m, err := build()
	if err != nil {
		b.Fatal(err)
	}
	w, err := newWorkload(context.Background(), m, imagenet, tensor.Float32)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		mode   func()
		run    func()
		passes float64
	}{
		{"forward", func() {
			// As bench.Run measures it: batch norms folded.
			if _, err := nn.FoldBatchNorm(m, tensor.Zeros(1, 3, 224, 224)); err != nil {
				b.Fatal(err)
			}
		}, w.forward, 1},
		{"train-forward", m.ModuleBase().Train, w.trainForward, 1},
		{"train-step", m.ModuleBase().Train, w.step, 3},
	} {
		b.Run(c.name, func(b *testing.B) {
			c.mode()
			c.run() // warm up the arena
			n := 0
			for b.Loop() {
				c.run()
				n++
			}
			b.ReportMetric(c.passes*w.flops*float64(n)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func BenchmarkResNet18(b *testing.B) {
	benchmarkNetwork(b, func() (nn.Module, error) {
		return models.NewResNet("resnet18", models.Input{Channels: 3, Size: 224, Classes: 1000})
	})
}

func BenchmarkGoogLeNet(b *testing.B) {
	benchmarkNetwork(b, func() (nn.Module, error) {
		return models.NewGoogLeNet(models.Input{Channels: 3, Size: 224, Classes: 1000}, models.WithoutAux())
	})
}
