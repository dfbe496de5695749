package bench_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/convnet/convnet/bench"
	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/tensor"
)

// recorder is a Progress that writes down what it sees.
type recorder struct{ events []string }

func (r *recorder) Start(c bench.Case)      { r.events = append(r.events, "start "+c.Key) }
func (r *recorder) Measured(f bench.Figure) { r.events = append(r.events, "figure "+f.Key) }

// fakeMNIST returns n random 28×28 digits, so that the LeNet-5 figures run
// in a moment.
func fakeMNIST(n int) func(train bool) (*data.Images, error) {
	r := rand.New(rand.NewPCG(5, 6))
	set := &data.Images{Images: make([]uint8, n*28*28), Labels: make([]uint8, n), Channels: 1, Rows: 28, Cols: 28}
	for i := range set.Images {
		set.Images[i] = uint8(r.IntN(256))
	}
	for i := range set.Labels {
		set.Labels[i] = uint8(i % 10)
	}
	return func(bool) (*data.Images, error) { return set, nil }
}

// lenetFLOPs is LeNet-5's forward pass for one image (see nn.Summary).
const lenetFLOPs = 833040

func TestCases(t *testing.T) {
	var keys []string
	for _, c := range bench.Cases() {
		keys = append(keys, c.Key)
		if c.About == "" {
			t.Errorf("%s: no About", c.Key)
		}
		if got, ok := bench.Lookup(c.Key); !ok || got.Key != c.Key {
			t.Errorf("Lookup(%q) = %v, %v", c.Key, got.Key, ok)
		}
	}
	if want := []string{"lenet-train", "lenet-infer", "vgg11", "resnet18", "googlenet", "onnx-resnet18", "gemm", "folder"}; !slices.Equal(keys, want) {
		t.Errorf("Cases: %v, want %v", keys, want)
	}
	if _, ok := bench.Lookup("nope"); ok {
		t.Error("Lookup(nope) found a case")
	}
}

func TestRunUnknownCase(t *testing.T) {
	p := &recorder{}
	figs, err := bench.Run(context.Background(), bench.Options{Only: []string{"gemm", "nope"}}, p)
	var unknown *bench.UnknownCaseError
	if !errors.As(err, &unknown) || unknown.Key != "nope" || len(figs) != 0 || len(p.events) != 0 {
		t.Fatalf("Run with an unknown key: %v, %v, %v", figs, err, p.events)
	}
	if want := `bench: unknown figure "nope" (known: lenet-train, lenet-infer, vgg11, resnet18, googlenet, onnx-resnet18, gemm, folder)`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestFigure(t *testing.T) {
	for _, c := range []struct {
		f    bench.Figure
		want string
	}{
		{bench.Figure{Value: 2.5194, Unit: "s", GFLOPS: 59.53}, "2.519 s (59.5 GFLOP/s)"},
		{bench.Figure{Value: 14.782, Unit: "us"}, "14.78 us"},
		{bench.Figure{Value: 132.94, Unit: "GFLOP/s"}, "132.9 GFLOP/s"},
		{bench.Figure{Value: 51972.7, Unit: "img/s", GFLOPS: 43.29}, "51973 img/s (43.3 GFLOP/s)"},
	} {
		if got := c.f.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.f, got, c.want)
		}
	}
	// The JSON lines that bench/compare_table.py reads.
	b, err := json.Marshal(bench.Figure{Key: "gemm-4096", Name: "fp32 GEMM 4096x4096", Value: 92.5, Unit: "GFLOP/s", Runs: []float64{1.5}, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"key":"gemm-4096","name":"fp32 GEMM 4096x4096","value":92.5,"unit":"GFLOP/s","runs":[1.5],"threads":2}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
}

func TestRunLeNet(t *testing.T) {
	const n = 128
	p := &recorder{}
	figs, err := bench.Run(context.Background(), bench.Options{Reps: 1, Only: []string{"lenet-infer", " lenet-train"}, MNIST: fakeMNIST(n)}, p)
	if err != nil {
		t.Fatal(err)
	}
	wantEvents := []string{"start lenet-infer", "figure lenet-infer-b1000", "figure lenet-infer-b1", "start lenet-train", "figure lenet-train-epoch"}
	if !slices.Equal(p.events, wantEvents) {
		t.Errorf("progress %v, want %v", p.events, wantEvents)
	}
	if len(figs) != 3 {
		t.Fatalf("%d figures: %+v", len(figs), figs)
	}
	for _, c := range []struct {
		key, unit string
		runs      int
		flops     float64 // of the median run
	}{
		{"lenet-infer-b1000", "img/s", 1, lenetFLOPs * n},
		{"lenet-infer-b1", "us", 2000, lenetFLOPs},
		{"lenet-train-epoch", "s", 1, 3 * lenetFLOPs * n},
	} {
		i := slices.IndexFunc(figs, func(f bench.Figure) bool { return f.Key == c.key })
		if i < 0 {
			t.Errorf("no figure %s", c.key)
			continue
		}
		f := figs[i]
		if f.Unit != c.unit || len(f.Runs) != c.runs || f.Threads != tensor.Threads() || f.Name == "" {
			t.Errorf("%s: %+v", c.key, f)
		}
		med := slices.Sorted(slices.Values(f.Runs))[len(f.Runs)/2]
		if len(f.Runs)%2 == 0 {
			s := slices.Sorted(slices.Values(f.Runs))
			med = (s[len(s)/2-1] + s[len(s)/2]) / 2
		}
		if got := f.GFLOPS * med * 1e9; math.Abs(got-c.flops) > 1e-6*c.flops {
			t.Errorf("%s: %g FLOPs in the median run, want %g", c.key, got, c.flops)
		}
		var value float64
		switch f.Unit {
		case "img/s":
			value = n / med
		case "us":
			value = med * 1e6
		default:
			value = med
		}
		if math.Abs(f.Value-value) > 1e-9*value {
			t.Errorf("%s: value %g, want %g", c.key, f.Value, value)
		}
	}
}

func TestRunStops(t *testing.T) {
	// An error of the data source ends the run with the figures before.
	fail := errors.New("no MNIST here")
	figs, err := bench.Run(context.Background(), bench.Options{Reps: 1, Only: []string{"lenet-infer", "lenet-train"},
		MNIST: func(train bool) (*data.Images, error) {
			if train {
				return nil, fail
			}
			return fakeMNIST(16)(train)
		}}, nil)
	if !errors.Is(err, fail) || len(figs) != 2 {
		t.Errorf("Run with a failing data source: %d figures, %v", len(figs), err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	figs, err = bench.Run(ctx, bench.Options{Only: []string{"gemm"}}, nil)
	if !errors.Is(err, context.Canceled) || len(figs) != 0 {
		t.Errorf("Run cancelled: %d figures, %v", len(figs), err)
	}
}

func TestRunGEMM(t *testing.T) {
	if testing.Short() {
		t.Skip("two 4096×4096 products take seconds")
	}
	figs, err := bench.Run(context.Background(), bench.Options{Reps: 1, Only: []string{"gemm"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 1 || figs[0].Key != "gemm-4096" || figs[0].Unit != "GFLOP/s" || len(figs[0].Runs) != 1 || figs[0].GFLOPS != 0 {
		t.Fatalf("figures %+v", figs)
	}
	if f := figs[0]; math.Abs(f.Value-2*4096*4096*4096/f.Runs[0]/1e9) > 1e-9*f.Value {
		t.Errorf("%g GFLOP/s from a run of %g s", f.Value, f.Runs[0])
	}
}

func TestRunVGG11(t *testing.T) {
	if testing.Short() {
		t.Skip("VGG-11 at batch 10 takes many seconds")
	}
	p := &recorder{}
	figs, err := bench.Run(context.Background(), bench.Options{Reps: 1, Only: []string{"vgg11"}}, p)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"start vgg11", "figure vgg11-forward", "figure vgg11-train-step"}; !slices.Equal(p.events, want) {
		t.Errorf("progress %v, want %v", p.events, want)
	}
	// VGG-11's 7.61 G multiply-adds per image, 10 images, 3 products per
	// image in a step.
	for i, passes := range []float64{1, 3} {
		f := figs[i]
		flops := f.GFLOPS * f.Runs[0] * 1e9
		if want := passes * 10 * 15.2e9; math.Abs(flops-want) > 0.01*want || !strings.HasPrefix(f.Name, "VGG-11") {
			t.Errorf("%s: %.4g FLOPs, want about %.4g", f.Key, flops, want)
		}
	}
}

func ExampleRun() {
	tensor.SetThreads(2)
	figs, err := bench.Run(context.Background(), bench.Options{Reps: 3, Only: []string{"gemm"}}, nil)
	if err != nil {
		panic(err)
	}
	for _, f := range figs {
		fmt.Printf("%-24s %s\n", f.Name, f) // fp32 GEMM 4096x4096      92.21 GFLOP/s
	}
}

// TestFolderNeedsAFolder: the folder figure is left out of a run of all
// figures without a folder, and asked for alone it says what it needs.
func TestFolderNeedsAFolder(t *testing.T) {
	_, err := bench.Run(context.Background(), bench.Options{Only: []string{"folder"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "needs a folder of pictures") {
		t.Errorf("error %v", err)
	}
}
