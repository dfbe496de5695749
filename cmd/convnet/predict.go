package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/convnet/convnet/datasets"
	"github.com/convnet/convnet/datasets/mnist"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// topK is how many classes predict prints per image.
const topK = 3

func predictCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmd("predict", "IMAGE...",
		"Classify pictures (PNG, JPEG, ...) with a checkpoint: each is made into the model's input as\n"+
			"its training data were (for MNIST, a 28x28 digit centred by mass, dark on light or light on\n"+
			"dark; for a folder of pictures, resized and centre-cropped). Prints per file the three\n"+
			"likeliest classes, by name, with their probabilities; a picture with nothing to see (blank or\n"+
			"uniform) is answered all the same, with a warning on stderr.")
	fs := c.flags
	ckpt := checkpointFlag(fs)
	model := modelFlag(fs, "", " (default: the checkpoint's)")
	threads := threadsFlag(fs)
	precision := precisionFlag(fs)
	files, err := c.parse(args, stdout)
	if err != nil {
		return err
	}
	if err := setThreads(*threads); err != nil {
		return err
	}
	prec, err := setPrecision(*precision, stderr)
	if err != nil {
		return err
	}
	if *ckpt != "" && len(files) == 0 {
		return usagef("no IMAGE given (usage: convnet predict --checkpoint FILE IMAGE...)")
	}
	l, err := loadCheckpoint(*ckpt, *model)
	if err != nil {
		return err
	}
	if err := l.forInference(); err != nil {
		return err
	}
	m := l.model
	names := l.pipe.ClassNames("")
	failed := 0
	for _, file := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		img, err := decodePicture(file, l.pipe.Source.Decode)
		if err != nil {
			fmt.Fprintf(stderr, "convnet predict: %s\n", oneLine(imageError(file, err)))
			failed++
			continue
		}
		native := l.pipe.Source.FromImage(img)
		if datasets.Blank(native) {
			// The model answers even an empty picture: say the answer is
			// noise, and print it all the same.
			fmt.Fprintf(stderr, "convnet predict: warning: %s: no ink found (a blank or uniform picture); the answer below means nothing\n", file)
		}
		probs := classify(m, l.pipe.Prepare(native), l.pipe.Input.Shape(), prec)
		fmt.Fprintf(stdout, "%s: %s\n", file, formatTop(probs, names, topK))
	}
	if failed > 0 {
		// Each failure has its line already.
		return errReported
	}
	return nil
}

// imageError makes sure the message names the file.
func imageError(file string, err error) string {
	msg := err.Error()
	if !strings.Contains(msg, file) {
		msg = file + ": " + msg
	}
	return msg
}

// classify runs one image of the given shape through m in evaluation mode
// and returns the class probabilities, in precision prec.
func classify(m nn.Module, pixels []float32, shape []int, prec tensor.Precision) []float32 {
	infer := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Precision: prec})
	x := infer.New(pixels, append([]int{1}, shape...)...)
	return tensor.Softmax(m.ModuleBase().Call(x), 1).Data()
}

// formatTop prints the k likeliest classes by name: "7 (0.9812), 1
// (0.0101), 2 (0.0040)", or "seven (0.9812), ...".
func formatTop(probs []float32, names []string, k int) string {
	idx := make([]int, len(probs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(probs[b], probs[a]) })
	parts := make([]string, 0, k)
	for _, c := range idx[:min(k, len(idx))] {
		parts = append(parts, fmt.Sprintf("%s (%.4f)", names[c], probs[c]))
	}
	return strings.Join(parts, ", ")
}

// decodePicture reads a picture file as the model's data set decodes its
// pictures (decode), or else as predict reads digits: refused beyond 2048
// pixels a side, from its header.
func decodePicture(file string, decode func(io.ReadSeeker) (image.Image, error)) (image.Image, error) {
	if decode == nil {
		return mnist.DecodeImageFile(file)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, errors.New(pathError(err))
	}
	defer f.Close()
	return decode(f)
}
