// Package bench measures convnet on the machine it runs on: the figures
// that `convnet bench` prints and bench/compare.sh puts beside PyTorch's.
//
// Each figure is the median of a number of runs after one warm-up run, on
// the thread count of package tensor (tensor.SetThreads):
//
//	figs, err := bench.Run(ctx, bench.Options{Reps: 3, Only: []string{"gemm"}}, nil)
//	for _, f := range figs {
//		fmt.Println(f.Name, f) // fp32 GEMM 4096x4096 82.89 GFLOP/s
//	}
//
// The groups of figures (Cases) are LeNet-5's training epoch on MNIST,
// its inference at batch 1000 and its latency at batch 1, the forward pass
// and SGD training step at batch 10 on 3×224×224 images of VGG-11,
// ResNet-18 and GoogLeNet (also its step with the auxiliary classifiers'
// losses), and a 4096×4096 matrix product. The library prints nothing: a
// Progress sees each group start and each figure as it is measured.
package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/datasets"
	"github.com/convnet/convnet/tensor"
)

// Figure is one measured figure: the median of its runs in its unit.
// Its JSON form is the line that `convnet bench --json` prints.
type Figure struct {
	// Key names the figure for programs ("gemm-4096"), Name for people
	// ("fp32 GEMM 4096x4096").
	Key  string `json:"key"`
	Name string `json:"name"`
	// Value is the figure, in Unit ("s", "img/s", "us", "GFLOP/s"),
	// computed from the median run.
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// GFLOPS is the arithmetic rate of the median run, 10⁹ floating-point
	// operations per second (2 per multiply-add of convolutions and fully
	// connected layers, see nn.Summary), or 0 where the figure is one.
	GFLOPS float64 `json:"gflops,omitempty"`
	// Runs are the measured durations in seconds, in the order they ran.
	Runs []float64 `json:"runs"`
	// Threads is the thread count of package tensor it ran on.
	Threads int `json:"threads"`
	// Precision is the arithmetic it ran in ("fp32" or "bf16", see
	// tensor.Precision), and Kernel the precision's kernels on this CPU
	// (as "avx512" or "avx512-bf16").
	Precision string `json:"precision,omitempty"`
	Kernel    string `json:"kernel,omitempty"`
}

// String prints the figure's value to about four significant digits with
// its unit, and its rate if it has one: "0.612 s (3.4 GFLOP/s)".
func (f Figure) String() string {
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

// Case is a group of figures that Run measures together.
type Case struct {
	// Key selects the group in Options.Only ("lenet-train"); About says
	// what it measures.
	Key, About string

	run func(ctx context.Context, b *bencher) error
	// needsFolder leaves the group out of a run of all groups when no
	// folder of pictures is given.
	needsFolder bool
}

// cases are the groups, in the order Run measures them.
var cases = []Case{
	{Key: "lenet-train", About: "LeNet-5 training epoch: 60,000 MNIST images in memory, batch 64, Adam", run: lenetTrain},
	{Key: "lenet-infer", About: "LeNet-5 inference over the 10,000 test images at batch 1000, and latency at batch 1", run: lenetInfer},
	{Key: "vgg11", About: "VGG-11 forward and SGD training step at batch 10, 3x224x224", run: vgg},
	{Key: "resnet18", About: "ResNet-18 forward and SGD training step at batch 10, 3x224x224", run: resnet18},
	{Key: "googlenet", About: "GoogLeNet forward and SGD training step at batch 10, 3x224x224, without the auxiliary classifiers " +
		"(torchvision's aux_logits=False), and the step with them (main + 0.3 x each auxiliary loss)", run: googlenet},
	{Key: "onnx-resnet18", About: "ResNet-18 exported to ONNX and imported back (onnx.Export, onnx.Decode): forward and SGD training step " +
		"at batch 10, 3x224x224, to set beside resnet18's", run: onnxResNet18},
	{Key: "gemm", About: "GEMM 4096x4096 (fp32, or bf16 with --precision bf16)", run: gemm},
	{Key: "folder", About: "a folder of pictures decoded and transformed to 224x224 tensors (RandomResizedCrop, flip, normalise) " +
		"by a loader with a worker per core, batch 64; only with a folder (Options.Folder)", run: folderDecode, needsFolder: true},
}

// Cases returns the groups of figures, in the order Run measures them.
func Cases() []Case { return slices.Clone(cases) }

// Lookup returns the group of figures with the given key.
func Lookup(key string) (Case, bool) {
	i := slices.IndexFunc(cases, func(c Case) bool { return c.Key == key })
	if i < 0 {
		return Case{}, false
	}
	return cases[i], true
}

// Options are the settings of Run.
type Options struct {
	// Reps is the number of measured runs per figure, after one warm-up
	// run; below 1 counts as 1.
	Reps int
	// Only lists the keys of the groups to measure (see Cases), in the
	// order given; empty measures them all.
	Only []string
	// Data is the MNIST folder holding the idx files, plain or .gz; ""
	// is the copy in the GoMNIST module (see datasets.MNIST).
	Data string
	// MNIST, if not nil, replaces datasets.MNIST(Data, train) as the
	// source of MNIST's training (train true) or test set.
	MNIST func(train bool) (*data.Images, error)
	// Folder is a folder of pictures (DIR/train, or DIR itself, of
	// DIR/<class>/*) for the folder figure, which needs one.
	Folder string
	// Precision is the arithmetic of every figure (see tensor.Precision).
	Precision tensor.Precision
}

// Progress sees a run of Run as it goes; its methods are called on Run's
// goroutine.
type Progress interface {
	// Start is called before a group's measurements.
	Start(c Case)
	// Measured is called with each figure once it is measured.
	Measured(f Figure)
}

// Run measures the groups of figures that o selects, one after another,
// and returns their figures in order; p (nil for none) sees each group
// start and each figure. It stops with ctx's error between runs when ctx
// is cancelled, and returns the figures measured before an error along
// with it.
//
// Run reseeds nn's generator (nn.ManualSeed(0)) before it builds each
// model, so that every run measures the same weights; it uses the thread
// count that tensor.SetThreads set.
func Run(ctx context.Context, o Options, p Progress) ([]Figure, error) {
	var selected []Case
	for _, c := range cases {
		if !c.needsFolder || o.Folder != "" {
			selected = append(selected, c)
		}
	}
	if len(o.Only) > 0 {
		selected = nil
		for _, k := range o.Only {
			c, ok := Lookup(strings.TrimSpace(k))
			if !ok {
				return nil, &UnknownCaseError{Key: k}
			}
			selected = append(selected, c)
		}
	}
	b := &bencher{reps: max(o.Reps, 1), threads: tensor.Threads(), mnist: o.MNIST, folder: o.Folder, progress: p, precision: o.Precision}
	if b.mnist == nil {
		dir := o.Data
		b.mnist = func(train bool) (*data.Images, error) { return datasets.MNIST(dir, train) }
	}
	for _, c := range selected {
		if p != nil {
			p.Start(c)
		}
		if err := c.run(ctx, b); err != nil {
			return b.figures, err
		}
	}
	return b.figures, nil
}

// UnknownCaseError is Run's error for a key of Options.Only that names no
// group.
type UnknownCaseError struct{ Key string }

func (e *UnknownCaseError) Error() string {
	keys := make([]string, len(cases))
	for i, c := range cases {
		keys[i] = c.Key
	}
	return fmt.Sprintf("bench: unknown figure %q (known: %s)", e.Key, strings.Join(keys, ", "))
}

// bencher runs measurements and collects figures.
type bencher struct {
	reps      int
	threads   int
	mnist     func(train bool) (*data.Images, error)
	folder    string
	progress  Progress
	figures   []Figure
	precision tensor.Precision
}

// scope returns a scope of b's precision with the given settings.
func (b *bencher) scope(o tensor.ScopeOptions) *tensor.Scope {
	o.Precision = b.precision
	return tensor.NewScope(o)
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
	f := Figure{Key: key, Name: name, Value: value(med), Unit: unit, Runs: runs, Threads: b.threads,
		Precision: b.precision.String(), Kernel: b.precision.Kernel()}
	if flops > 0 {
		f.GFLOPS = flops / med / 1e9
	}
	b.figures = append(b.figures, f)
	if b.progress != nil {
		b.progress.Measured(f)
	}
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
