package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/safetensors"
	"github.com/convnet/convnet/tensor"
)

// activation is one layer's output for the inspected image.
type activation struct {
	name string
	out  *tensor.Tensor
}

func inspectCmd(_ context.Context, args []string, stdout, _ io.Writer) error {
	c := newCmd("inspect", "",
		"Run one MNIST test image through a checkpoint's model in evaluation mode and show its label,\n"+
			"the predicted class and every layer's output (the lesson's intermediate values): shape,\n"+
			"min, max, mean and standard deviation, in order of execution. --out saves the input and\n"+
			"every output in a safetensors file, keyed \"input\" and by the layers' PyTorch names.")
	fs := c.flags
	ckpt := checkpointFlag(fs)
	model := modelFlag(fs, "", " (default: the checkpoint's)")
	index := fs.Int("index", 0, "test image `N` to run, from 0")
	dataDir := dataFlag(fs)
	out := fs.String("out", "", "write the input and every layer's output to `FILE` (.safetensors)")
	pngDir := fs.String("png", "", "draw the input and every layer's output (feature maps in a grid, fully connected layers as bars) as PNG files in folder `DIR`, created if missing")
	threads := threadsFlag(fs)
	pos, err := c.parse(args, stdout)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	if *index < 0 {
		return usagef("--index must be 0 or more, got %d", *index)
	}
	if *out != "" {
		if err := checkOutPath("--out", *out); err != nil {
			return err
		}
	}
	if *pngDir != "" {
		if err := checkPictureDir("--png", *pngDir); err != nil {
			return err
		}
	}
	if err := setThreads(*threads); err != nil {
		return err
	}
	l, err := loadCheckpoint(*ckpt, *model)
	if err != nil {
		return err
	}
	m, spec := l.model, l.spec
	if err := checkData(*dataDir); err != nil {
		return err
	}
	testSet, err := l.pipe.TestSet(*dataDir, 0)
	if err != nil {
		return err
	}
	if *index >= testSet.Len() {
		return usagef("--index %d is out of range: the test set has %d images (0 to %d)", *index, testSet.Len(), testSet.Len()-1)
	}
	pixels := make([]float32, product(testSet.Shape()))
	label := testSet.Example(*index, pixels)
	input := tensor.New(pixels, append([]int{1}, testSet.Shape()...)...)

	acts, logits := runWithHooks(m, input)
	probs := tensor.Softmax(logits, 1).Data()
	pred := logits.ArgmaxRows()[0]
	fmt.Fprintf(stdout, "test image %d: label %d, predicted %d (probability %.4f)\n\n", *index, label, pred, probs[pred])
	fmt.Fprint(stdout, formatActivations(append([]activation{{"input", input}}, acts...)))

	if *out != "" {
		f := &safetensors.File{
			Metadata: map[string]string{
				checkpoint.ModelKey: spec.Name,
				"checkpoint":        *ckpt,
				"dataset":           l.pipe.Dataset(),
				"split":             "test",
				"index":             strconv.Itoa(*index),
				"label":             strconv.Itoa(label),
				"predicted":         strconv.Itoa(pred),
			},
			Tensors: map[string]safetensors.Tensor{},
		}
		for _, a := range append([]activation{{"input", input}}, acts...) {
			f.Names = append(f.Names, a.name)
			f.Tensors[a.name] = safetensors.FromFloat32s(a.out.Shape(), a.out.Data())
		}
		if err := safetensors.WriteFile(*out, f); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nsaved %s (%d tensors)\n", *out, len(f.Names))
	}
	if *pngDir != "" {
		in := inspected{model: spec.Name, index: *index, label: label, pred: pred, prob: float64(probs[pred]), classNames: l.pipe.ClassNames(*dataDir)}
		names, err := saveInspectPictures(*pngDir, l.pipe, in, append([]activation{{"input", input}}, acts...))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nsaved %d pictures in %s: %s ... %s\n", len(names), *pngDir, names[0], names[len(names)-1])
	}
	return nil
}

// runWithHooks runs x through m in evaluation mode without gradients and
// returns every leaf layer's output in order of execution (a layer that
// runs again gets "#2", "#3"... after its name), and the model's output.
func runWithHooks(m nn.Module, x *tensor.Tensor) ([]activation, *tensor.Tensor) {
	var acts []activation
	calls := map[string]int{}
	var removes []func()
	for _, c := range leaves(m) {
		name := c.Name
		removes = append(removes, c.Module.ModuleBase().RegisterForwardHook(func(_ nn.Module, out *tensor.Tensor) {
			calls[name]++
			key := name
			if n := calls[name]; n > 1 {
				key += "#" + strconv.Itoa(n)
			}
			acts = append(acts, activation{key, out.Clone()})
		}))
	}
	defer func() {
		for _, remove := range removes {
			remove()
		}
	}()
	base := m.ModuleBase()
	base.Eval()
	infer := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
	return acts, base.Call(infer.Input(x))
}

// stats returns the minimum, maximum, mean and standard deviation (with
// n-1, as PyTorch's std) of v.
func stats(v []float32) (lo, hi, mean, std float64) {
	if len(v) == 0 {
		return 0, 0, 0, 0
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	sum := 0.0
	for _, x := range v {
		f := float64(x)
		lo, hi = min(lo, f), max(hi, f)
		sum += f
	}
	mean = sum / float64(len(v))
	if len(v) > 1 {
		ss := 0.0
		for _, x := range v {
			d := float64(x) - mean
			ss += d * d
		}
		std = math.Sqrt(ss / float64(len(v)-1))
	}
	return lo, hi, mean, std
}

// formatActivations prints one aligned line per activation: name, shape,
// min, max, mean, std.
func formatActivations(acts []activation) string {
	header := []string{"layer", "shape", "min", "max", "mean", "std"}
	rows := [][]string{header}
	for _, a := range acts {
		lo, hi, mean, std := stats(a.out.Data())
		rows = append(rows, []string{a.name, formatShape(a.out.Shape()),
			fmt.Sprintf("%.4f", lo), fmt.Sprintf("%.4f", hi), fmt.Sprintf("%.4f", mean), fmt.Sprintf("%.4f", std)})
	}
	return alignTable(rows, []bool{false, false, true, true, true, true})
}

// alignTable pads cells into columns two spaces apart; right[i] aligns
// column i to the right.
func alignTable(rows [][]string, right []bool) string {
	widths := make([]int, len(right))
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], len(cell))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		var line strings.Builder
		for i, cell := range r {
			if i > 0 {
				line.WriteString("  ")
			}
			if right[i] {
				fmt.Fprintf(&line, "%*s", widths[i], cell)
			} else {
				fmt.Fprintf(&line, "%-*s", widths[i], cell)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteString("\n")
	}
	return b.String()
}

// product returns the product of a shape's dimensions.
func product(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
