package main

import (
	"fmt"
	"image"
	"strconv"
	"strings"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/datasets/cifar10"
	"github.com/convnet/convnet/datasets/mnist"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
)

// datasetNames lists the data sets the commands read.
var datasetNames = []string{"mnist", "cifar10"}

// pipeline says how a model meets its data: which data set, the input the
// model is built for, and the zero padding that brings the data set's
// images to that size (MNIST's 28 to VGG's 32).
type pipeline struct {
	dataset string
	input   models.Input
	pad     int
}

// newPipeline fits model spec to a data set: LeNet-5 takes MNIST as it is,
// VGG takes 32x32 images (MNIST padded by 2).
func newPipeline(spec models.Spec, dataset string) (pipeline, error) {
	var native models.Input
	switch dataset {
	case "mnist":
		native = models.Input{Channels: 1, Size: mnist.Side, Classes: 10}
	case "cifar10":
		native = models.Input{Channels: cifar10.Channels, Size: cifar10.Rows, Classes: 10}
	default:
		return pipeline{}, usagef("--dataset: unknown data set %q (known: %s)", dataset, strings.Join(datasetNames, ", "))
	}
	p := pipeline{dataset: dataset, input: native}
	err := spec.Check(native)
	if err == nil {
		return p, nil
	}
	padded := native
	padded.Size = (native.Size + 31) / 32 * 32
	if padded.Size != native.Size && spec.Check(padded) == nil {
		p.input, p.pad = padded, (padded.Size-native.Size)/2
		return p, nil
	}
	return pipeline{}, usagef("--model %s cannot train on %s: %v", spec.Name, dataset, err)
}

// pipelineFromMetadata rebuilds the pipeline a checkpoint was trained with;
// checkpoints without it are the lesson's MNIST ones.
func pipelineFromMetadata(spec models.Spec, meta map[string]string) (pipeline, error) {
	dataset := meta["dataset"]
	if dataset == "" {
		dataset = "mnist"
	}
	p, err := newPipeline(spec, dataset)
	if err != nil {
		return pipeline{}, err
	}
	if s := meta["input"]; s != "" {
		var c, h, w int
		if _, err := fmt.Sscanf(s, "%dx%dx%d", &c, &h, &w); err != nil || h != w {
			return pipeline{}, fmt.Errorf("checkpoint metadata input=%q is not CxHxW", s)
		}
		p.input.Channels, p.input.Size = c, h
		p.pad = 0
		if meta["pad"] != "" {
			if p.pad, err = strconv.Atoi(meta["pad"]); err != nil {
				return pipeline{}, fmt.Errorf("checkpoint metadata pad=%q is not a number", meta["pad"])
			}
		}
	}
	if s := meta["classes"]; s != "" {
		if p.input.Classes, err = strconv.Atoi(s); err != nil {
			return pipeline{}, fmt.Errorf("checkpoint metadata classes=%q is not a number", s)
		}
	}
	native, _ := newPipeline(spec, dataset)
	if p.pad < 0 || native.input.Size-2*native.pad+2*p.pad != p.input.Size || p.input.Channels != native.input.Channels {
		return pipeline{}, fmt.Errorf("checkpoint metadata input=%s pad=%d does not fit %s's images", meta["input"], p.pad, dataset)
	}
	if err := spec.Check(p.input); err != nil {
		return pipeline{}, fmt.Errorf("checkpoint metadata: %v", err)
	}
	return p, nil
}

// metadata records the pipeline in a checkpoint.
func (p pipeline) metadata(model string) map[string]string {
	return map[string]string{
		checkpoint.ModelKey: model,
		"dataset":           p.dataset,
		"input":             fmt.Sprintf("%dx%dx%d", p.input.Channels, p.input.Size, p.input.Size),
		"classes":           strconv.Itoa(p.input.Classes),
		"pad":               strconv.Itoa(p.pad),
	}
}

// build makes the model for the pipeline's input.
func (p pipeline) build(spec models.Spec) (nn.Module, error) { return spec.Build(p.input) }

// sets loads the training set (augmented for training if augment is set;
// the returned Augment then needs SetEpoch each epoch) and the test set,
// each cut to its first limit images when limit > 0.
func (p pipeline) sets(dir string, trainLimit, testLimit int, augment bool, seed uint64) (trainSet, testSet data.Dataset, aug *data.Augment, err error) {
	if trainSet, err = p.load(dir, true, trainLimit); err != nil {
		return nil, nil, nil, err
	}
	if testSet, err = p.testSet(dir, testLimit); err != nil {
		return nil, nil, nil, err
	}
	if augment {
		aug = data.NewAugment(trainSet, 4, true, seed)
		trainSet = aug
	}
	return p.normalize(trainSet), testSet, aug, nil
}

// testSet loads only the test set, prepared as for training.
func (p pipeline) testSet(dir string, limit int) (data.Dataset, error) {
	te, err := p.load(dir, false, limit)
	if err != nil {
		return nil, err
	}
	return p.normalize(te), nil
}

// load reads the training or test images, the first limit of them when
// limit > 0, padded to the model's size.
func (p pipeline) load(dir string, train bool, limit int) (data.Dataset, error) {
	if p.dataset == "mnist" {
		s, err := loadMNIST(dir, train)
		if err != nil {
			return nil, err
		}
		if limit > 0 {
			s = mnist.Subset(s, limit)
		}
		return data.Pad(s, p.pad), nil
	}
	read := cifar10.Test
	if train {
		read = cifar10.Train
	}
	s, err := read(dir)
	if err != nil {
		return nil, err
	}
	if limit > 0 {
		s = cifar10.Subset(s, limit)
	}
	return data.Pad(s, p.pad), nil
}

// normalize applies the data set's per-channel normalisation, if it has one.
func (p pipeline) normalize(ds data.Dataset) data.Dataset {
	if p.dataset == "cifar10" {
		return data.Normalize(ds, cifar10.Mean, cifar10.Std)
	}
	return ds
}

// imageInput turns a picture into the model's input as the data set's
// images are: an MNIST-style digit (grey, centred, white on black) padded
// as in training, or a CIFAR-10 colour image resized to 32x32 and
// normalised.
func (p pipeline) imageInput(img image.Image) []float32 {
	if p.dataset == "mnist" {
		out := make([]float32, product(p.input.Shape()))
		data.Pad(single{mnist.FromImage(img), []int{1, mnist.Side, mnist.Side}}, p.pad).Example(0, out)
		return out
	}
	side := p.input.Size
	out := make([]float32, 3*side*side)
	b := img.Bounds()
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			// Average the source pixels that fall in this output pixel.
			x0, x1 := b.Min.X+x*b.Dx()/side, b.Min.X+max((x+1)*b.Dx()/side, x*b.Dx()/side+1)
			y0, y1 := b.Min.Y+y*b.Dy()/side, b.Min.Y+max((y+1)*b.Dy()/side, y*b.Dy()/side+1)
			var sum [3]float64
			for sy := y0; sy < y1; sy++ {
				for sx := x0; sx < x1; sx++ {
					r, g, bl, _ := img.At(sx, sy).RGBA()
					sum[0], sum[1], sum[2] = sum[0]+float64(r), sum[1]+float64(g), sum[2]+float64(bl)
				}
			}
			n := float64((y1-y0)*(x1-x0)) * 0xffff
			for c := range 3 {
				v := float32(sum[c] / n)
				out[(c*side+y)*side+x] = (v - cifar10.Mean[c]) / cifar10.Std[c]
			}
		}
	}
	return out
}

// single is a one-example dataset.
type single struct {
	x     []float32
	shape []int
}

func (s single) Len() int                         { return 1 }
func (s single) Shape() []int                     { return s.shape }
func (s single) Example(_ int, dst []float32) int { copy(dst, s.x); return 0 }
