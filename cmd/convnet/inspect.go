package main

import (
	"context"
	"fmt"
	"github.com/convnet/convnet/viz"
	"io"
	"strconv"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/safetensors"
	"github.com/convnet/convnet/tensor"
)

func inspectCmd(_ context.Context, args []string, stdout, _ io.Writer) error {
	c := newCmd("inspect", "",
		"Run one test image through a checkpoint's model in evaluation mode and show its label, the\n"+
			"predicted class and every layer's output (the lesson's intermediate values): shape, min,\n"+
			"max, mean and standard deviation, in order of execution. --out saves the input and every\n"+
			"output in a safetensors file, keyed \"input\" and by the layers' PyTorch names.\n\n"+
			"With --input X.safetensors the model runs instead on the tensor stored there as \"input\"\n"+
			"(N x C x H x W), and --out holds every named module's output (containers too, keyed as\n"+
			"state_dict keys are: layer1.0.conv1) and the model's own as \"output\". A checkpoint that\n"+
			"records no input (one saved from PyTorch) is built for torchvision's 3 channels and 1000\n"+
			"classes, or for the channels and classes its weights show.")
	fs := c.flags
	ckpt := checkpointFlag(fs)
	model := modelFlag(fs, "", " (default: the checkpoint's)")
	index := fs.Int("index", 0, "test image `N` to run, from 0")
	dataDir := dataFlag(fs)
	out := fs.String("out", "", "write the input and every layer's output to `FILE` (.safetensors)")
	inputFile := fs.String("input", "", "run the model on the tensor \"input\" of safetensors `FILE` rather than on a test image")
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
	if *inputFile != "" {
		if *pngDir != "" {
			return usagef("--png draws a test image: it does not go with --input")
		}
		return inspectTensor(*ckpt, *model, *inputFile, *out, stdout)
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
	pixels := make([]float32, tensor.Numel(testSet.Shape()))
	label := testSet.Example(*index, pixels)
	input := tensor.New(pixels, append([]int{1}, testSet.Shape()...)...)

	acts, logits := nn.Trace(m, input, false)
	acts = append([]nn.Activation{{Name: "input", Output: input}}, acts...)
	probs := tensor.Softmax(logits, 1).Data()
	pred := logits.ArgmaxRows()[0]
	names := l.pipe.ClassNames(*dataDir)
	fmt.Fprintf(stdout, "test image %d: label %s, predicted %s (probability %.4f)\n\n", *index, names[label], names[pred], probs[pred])
	fmt.Fprint(stdout, nn.FormatActivations(acts))

	if *out != "" {
		meta := map[string]string{checkpoint.ModelKey: spec.Name, "checkpoint": *ckpt, "dataset": l.pipe.Dataset(), "split": "test",
			"index": strconv.Itoa(*index), "label": strconv.Itoa(label), "predicted": strconv.Itoa(pred)}
		if err := saveActivations(*out, acts, meta, stdout); err != nil {
			return err
		}
	}
	if *pngDir != "" {
		in := viz.Inspection{Model: spec.Name, Index: *index, Label: label, Predicted: pred, Probability: float64(probs[pred]),
			Classes: names, Unnormalize: l.pipe.Unnormalize}
		names, err := saveInspectPictures(*pngDir, in, acts)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nsaved %d pictures in %s: %s ... %s\n", len(names), *pngDir, names[0], names[len(names)-1])
	}
	return nil
}

// inspectTensor runs the model of checkpoint ckpt on the tensor "input"
// of the file input, prints every named module's output and, if out is
// set, saves them with the model's output.
func inspectTensor(ckpt, model, input, out string, stdout io.Writer) error {
	ck, err := loadModel(ckpt, model)
	if err != nil {
		return err
	}
	f, err := safetensors.ReadFile(input)
	if err != nil {
		return fmt.Errorf("--input: %v", err)
	}
	t, ok := f.Tensors["input"]
	if !ok {
		return fmt.Errorf("--input %s: no tensor named \"input\" (it holds %d others)", input, len(f.Names))
	}
	v, err := t.Float32s()
	if err != nil {
		return fmt.Errorf("--input %s: input: %v", input, err)
	}
	if len(t.Shape) != 4 || t.Shape[1] != ck.Input.Channels || t.Shape[0] < 1 {
		return fmt.Errorf("--input %s: input has shape %v; %s takes N x %d x H x W", input, t.Shape, ck.Spec.Name, ck.Input.Channels)
	}
	x := tensor.New(v, t.Shape...)
	acts, y := nn.Trace(ck.Model, x, true)
	acts = append(append([]nn.Activation{{Name: "input", Output: x}}, acts...), nn.Activation{Name: "output", Output: y})
	fmt.Fprint(stdout, nn.FormatActivations(acts))
	if out == "" {
		return nil
	}
	return saveActivations(out, acts, map[string]string{checkpoint.ModelKey: ck.Spec.Name, "checkpoint": ckpt, "input": input}, stdout)
}

// saveActivations writes acts to the safetensors file path, keyed by their
// names, with meta, and says so.
func saveActivations(path string, acts []nn.Activation, meta map[string]string, stdout io.Writer) error {
	f := &safetensors.File{Metadata: meta, Tensors: map[string]safetensors.Tensor{}}
	for _, a := range acts {
		f.Names = append(f.Names, a.Name)
		f.Tensors[a.Name] = safetensors.FromFloat32s(a.Output.Shape(), a.Output.Data())
	}
	if err := safetensors.WriteFile(path, f); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nsaved %s (%d tensors)\n", path, len(f.Names))
	return nil
}
