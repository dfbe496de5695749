package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/internal/kernels"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/tensor"
	"github.com/convnet/convnet/train"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return finish(stderr, "bench", guard(func() error { return benchCmd(ctx, args, stdout, stderr) }))
}

// benchFigure is one measured figure: the median of its runs.
type benchFigure struct {
	Key     string    `json:"key"`
	Name    string    `json:"name"`
	Value   float64   `json:"value"`
	Unit    string    `json:"unit"`
	GFLOPS  float64   `json:"gflops,omitempty"`
	Runs    []float64 `json:"runs"`
	Threads int       `json:"threads"`
}

// benchCase measures one group of figures.
type benchCase struct {
	key, about string
	run        func(ctx context.Context, b *bencher) error
}

var benchCases = []benchCase{
	{"lenet-train", "LeNet-5 training epoch: 60,000 MNIST images in memory, batch 64, Adam", benchLeNetTrain},
	{"lenet-infer", "LeNet-5 inference over the 10,000 test images at batch 1000, and latency at batch 1", benchLeNetInfer},
	{"vgg11", "VGG-11 forward and SGD training step at batch 10, 3x224x224", benchVGG},
	{"gemm", "fp32 GEMM 4096x4096", benchGemm},
}

// bencher runs measurements and collects figures.
type bencher struct {
	reps    int
	threads int
	data    string
	log     io.Writer
	figures []benchFigure
}

// measure runs fn once to warm up, then reps times, and returns the
// durations in seconds.
func (b *bencher) measure(ctx context.Context, fn func() error) ([]float64, error) {
	var runs []float64
	for i := 0; i <= b.reps; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		start := time.Now()
		if err := fn(); err != nil {
			return nil, err
		}
		if i > 0 {
			runs = append(runs, time.Since(start).Seconds())
		}
	}
	return runs, nil
}

// add records a figure whose runs are durations; value converts the median
// duration into the figure's unit, and flops (if any) gives GFLOP/s.
func (b *bencher) add(key, name, unit string, runs []float64, value func(sec float64) float64, flops float64) {
	med := median(runs)
	f := benchFigure{Key: key, Name: name, Value: value(med), Unit: unit, Runs: runs, Threads: b.threads}
	if flops > 0 {
		f.GFLOPS = flops / med / 1e9
	}
	b.figures = append(b.figures, f)
	fmt.Fprintf(b.log, "  %s: %s\n", name, formatFigure(f))
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func formatFigure(f benchFigure) string {
	s := formatValue(f.Value) + " " + f.Unit
	if f.GFLOPS > 0 {
		s += fmt.Sprintf(" (%.1f GFLOP/s)", f.GFLOPS)
	}
	return s
}

// formatValue prints v with about four significant digits, without
// exponents.
func formatValue(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.0f", v)
	case v >= 100:
		return fmt.Sprintf("%.1f", v)
	case v >= 10:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var keys []string
	for _, c := range benchCases {
		keys = append(keys, c.key)
	}
	c := newCmd("bench", "",
		"Measure convnet on this machine: each figure is the median of --reps runs after a warm-up.\n"+
			"Figures: "+strings.Join(keys, ", ")+". bench/compare.sh puts them beside PyTorch's.")
	fs := c.flags
	threads := threadsFlag(fs)
	reps := fs.Int("reps", 3, "measured runs per figure, after one warm-up")
	only := fs.String("only", "", "comma-separated `figures` to measure (default: all)")
	dataDir := dataFlag(fs)
	asJSON := fs.Bool("json", false, "print the figures as JSON lines instead of a table")
	pos, err := c.parse(args, stdout)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	if *reps < 1 {
		return usagef("--reps must be at least 1, got %d", *reps)
	}
	if err := setThreads(*threads); err != nil {
		return err
	}
	selected := benchCases
	if *only != "" {
		selected = nil
		for _, k := range strings.Split(*only, ",") {
			i := slices.IndexFunc(benchCases, func(c benchCase) bool { return c.key == strings.TrimSpace(k) })
			if i < 0 {
				return usagef("--only: unknown figure %q (known: %s)", k, strings.Join(keys, ", "))
			}
			selected = append(selected, benchCases[i])
		}
	}
	b := &bencher{reps: *reps, threads: *threads, data: *dataDir, log: stderr}
	fmt.Fprintf(stderr, "convnet bench: %d threads, kernels %s, %s/%s, %d runs per figure\n",
		*threads, kernels.KernelName(), runtime.GOOS, runtime.GOARCH, *reps)
	for _, bc := range selected {
		fmt.Fprintf(stderr, "%s: %s\n", bc.key, bc.about)
		if err := bc.run(ctx, b); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, f := range b.figures {
			if err := enc.Encode(f); err != nil {
				return err
			}
		}
		return nil
	}
	fmt.Fprintf(stdout, "%-48s %s\n", "figure", "convnet (median)")
	for _, f := range b.figures {
		fmt.Fprintf(stdout, "%-48s %s\n", f.Name, formatFigure(f))
	}
	return nil
}

func benchLeNetTrain(ctx context.Context, b *bencher) error {
	if err := checkData(b.data); err != nil {
		return err
	}
	set, err := loadMNIST(b.data, true)
	if err != nil {
		return err
	}
	nn.ManualSeed(0)
	m := models.NewLeNetSeq()
	flops := 3 * forwardFLOPs(m, 1, 1, 28, 28) * float64(set.Len())
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

func benchLeNetInfer(ctx context.Context, b *bencher) error {
	if err := checkData(b.data); err != nil {
		return err
	}
	set, err := loadMNIST(b.data, false)
	if err != nil {
		return err
	}
	nn.ManualSeed(0)
	m := models.NewLeNetSeq()
	flops := forwardFLOPs(m, 1, 1, 28, 28)
	runs, err := b.measure(ctx, func() error {
		_, err := train.Evaluate(ctx, m, set, 1000, train.Quiet{})
		return err
	})
	if err != nil {
		return err
	}
	n := float64(set.Len())
	b.add("lenet-infer-b1000", "LeNet-5 inference, batch 1000", "img/s", runs, func(s float64) float64 { return n / s }, flops*n)

	// Batch 1: the latency of each of the first images, one at a time.
	const images = 2000
	m.Eval()
	x := tensor.Zeros(1, 1, 28, 28)
	arena := tensor.NewArena()
	defer tensor.UseArena(tensor.UseArena(arena))
	was := tensor.SetGradEnabled(false)
	defer tensor.SetGradEnabled(was)
	var lat []float64
	for i := 0; i < images+200; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		set.Example(i%set.Len(), x.Data())
		start := time.Now()
		arena.Reset()
		m.Call(x).ArgmaxRows()
		if i >= 200 {
			lat = append(lat, time.Since(start).Seconds())
		}
	}
	b.add("lenet-infer-b1", "LeNet-5 inference, batch 1, median latency", "us", lat, func(s float64) float64 { return s * 1e6 }, flops)
	return nil
}

func benchVGG(ctx context.Context, b *bencher) error {
	const batch = 10
	nn.ManualSeed(0)
	m, err := models.NewVGG("vgg11", 3, 1000)
	if err != nil {
		return err
	}
	flops := forwardFLOPs(m, 1, 3, 224, 224) * batch
	x := tensor.Zeros(batch, 3, 224, 224)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range x.Data() {
		x.Data()[i] = float32(r.NormFloat64())
	}
	arena := tensor.NewArena()
	defer tensor.UseArena(tensor.UseArena(arena))

	m.Eval()
	runs, err := b.measure(ctx, func() error {
		arena.Reset()
		tensor.NoGrad(func() { m.Call(x) })
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
	runs, err = b.measure(ctx, func() error {
		arena.Reset()
		opt.ZeroGrad()
		tensor.CrossEntropy(m.Call(x), labels).Backward()
		opt.Step()
		return nil
	})
	if err != nil {
		return err
	}
	b.add("vgg11-train-step", "VGG-11 training step, batch 10 (SGD)", "s", runs, func(s float64) float64 { return s }, 3*flops)
	return nil
}

func benchGemm(ctx context.Context, b *bencher) error {
	const n = 4096
	r := rand.New(rand.NewPCG(3, 4))
	a, bm, c := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
	for i := range a {
		a[i], bm[i] = r.Float32(), r.Float32()
	}
	runs, err := b.measure(ctx, func() error {
		kernels.Gemm(false, false, n, n, n, 1, a, n, bm, n, 0, c, n)
		return nil
	})
	if err != nil {
		return err
	}
	flops := 2 * float64(n) * n * n
	b.add("gemm-4096", "fp32 GEMM 4096x4096", "GFLOP/s", runs, func(s float64) float64 { return flops / s / 1e9 }, 0)
	return nil
}
