// Package transforms turns decoded pictures into a model's input as
// torchvision.transforms (0.14) does with PIL images: resizing with PIL's
// antialiased bilinear filter, cropping, flipping, rotating, colour
// jitter and grey conversion on 8-bit pictures (Image), then ToTensor and
// Normalize on the float32 result.
//
// Deterministic transforms (Resize, CenterCrop, Grayscale, Rotate, the
// Adjust functions, ...) give PIL's bytes: they redo PIL's fixed-point and
// mixed float32/float64 arithmetic, and the tests compare them byte for
// byte with what testdata/make_transforms_reference.py has torchvision
// write. Random transforms (RandomResizedCrop,
// RandomHorizontalFlip, RandomRotation, ColorJitter, RandomGrayscale)
// follow torchvision's sampling procedures but draw from a math/rand/v2
// generator that the caller passes in, so that a pipeline run for example
// i of epoch e gives the same picture every time (see NewRand). They do not
// reproduce torch's random numbers.
package transforms

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// A Transform makes a new picture from a picture. Apply must not modify
// img; it may return img itself when nothing changes. Random transforms
// draw their choices from rng, and the same rng state gives the same
// choices; deterministic ones ignore rng, which may then be nil. Apply is
// safe to call from several goroutines at once, each with its own rng.
type Transform interface {
	Apply(img *Image, rng *rand.Rand) *Image
}

// Func adapts a function to a Transform.
type Func func(img *Image, rng *rand.Rand) *Image

// Apply returns f(img, rng).
func (f Func) Apply(img *Image, rng *rand.Rand) *Image { return f(img, rng) }

// Compose applies its transforms in order, as transforms.Compose does.
type Compose []Transform

// Apply returns img passed through every transform in turn, all drawing
// from rng in that order.
func (c Compose) Apply(img *Image, rng *rand.Rand) *Image {
	for _, t := range c {
		img = t.Apply(img, rng)
	}
	return img
}

// String lists the transforms as torchvision prints a Compose.
func (c Compose) String() string {
	var b strings.Builder
	b.WriteString("Compose(\n")
	for _, t := range c {
		fmt.Fprintf(&b, "    %v\n", t)
	}
	b.WriteString(")")
	return b.String()
}

// NewRand returns the generator of the random choices for example index
// of epoch epoch in a run seeded with seed: a PCG generator seeded with
// (seed, epoch<<32 | index), the scheme data.Augment uses. The choices
// thus depend on nothing but these three numbers, whatever goroutine and
// order the examples are made in.
func NewRand(seed uint64, epoch, index int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(epoch)<<32|uint64(uint32(index))))
}

// ToTensor writes img into dst as float32 values in [0, 1] (each byte
// divided by 255), channels first: the value of channel c at column x of
// row y goes to dst[(c*Height+y)*Width+x], as torchvision's ToTensor lays
// out a C×H×W tensor. It returns dst[:Channels*Height*Width], allocating a
// new slice when dst is too short.
func ToTensor(img *Image, dst []float32) []float32 {
	ch, n := img.Channels, img.Width*img.Height
	if cap(dst) < ch*n {
		dst = make([]float32, ch*n)
	}
	dst = dst[:ch*n]
	for c := range ch {
		plane := dst[c*n : (c+1)*n]
		for i := range plane {
			plane[i] = float32(img.Pix[i*ch+c]) / 255
		}
	}
	return dst
}

// Normalize standardises a C×H×W tensor channel by channel, as
// torchvision's transforms.Normalize: each value v of channel c becomes
// (v - Mean[c]) / Std[c].
type Normalize struct {
	Mean, Std []float32
}

// Apply normalises t in place, its channels being len(Mean) equal planes.
// It panics unless Mean and Std have the same length, every Std is
// positive and len(t) is a multiple of the number of channels.
func (n Normalize) Apply(t []float32) {
	c := len(n.Mean)
	if len(n.Std) != c || c == 0 || len(t)%c != 0 {
		panic(fmt.Sprintf("transforms: Normalize: %d means and %d standard deviations for %d values", c, len(n.Std), len(t)))
	}
	plane := len(t) / c
	for i, m := range n.Mean {
		s := n.Std[i]
		if !(s > 0) {
			panic(fmt.Sprintf("transforms: Normalize: standard deviation %v of channel %d is not positive", s, i))
		}
		p := t[i*plane : (i+1)*plane]
		for j, v := range p {
			p[j] = (v - m) / s
		}
	}
}

// ImageNetMean and ImageNetStd are the per-channel statistics of ImageNet
// that torchvision's pretrained models are normalised with.
var (
	ImageNetMean = []float32{0.485, 0.456, 0.406}
	ImageNetStd  = []float32{0.229, 0.224, 0.225}
)

// Pipeline turns a decoded picture into a model's input: the picture
// stages of Transform, then ToTensor, then Normalize when Mean is set. Its
// zero value gives ToTensor of the picture as it is.
type Pipeline struct {
	Transform Transform // the picture stages; nil for none
	Mean, Std []float32 // when Mean is not nil, Normalize{Mean, Std} ends the pipeline
}

// Picture runs the picture stages on img with the choices of rng.
func (p Pipeline) Picture(img *Image, rng *rand.Rand) *Image {
	if p.Transform == nil {
		return img
	}
	return p.Transform.Apply(img, rng)
}

// Tensor converts a finished picture as the pipeline's last stages do
// (ToTensor, then Normalize when Mean is set), writing into dst as
// ToTensor does, and returns the tensor.
func (p Pipeline) Tensor(img *Image, dst []float32) []float32 {
	t := ToTensor(img, dst)
	if p.Mean != nil {
		if len(p.Mean) != img.Channels {
			panic(fmt.Sprintf("transforms: Pipeline: %d means for a picture of %d channels", len(p.Mean), img.Channels))
		}
		Normalize{p.Mean, p.Std}.Apply(t)
	}
	return t
}

// Apply runs the whole pipeline on img, Picture and then Tensor, and
// returns the tensor and the finished picture, whose Channels, Height and
// Width are the tensor's shape.
func (p Pipeline) Apply(img *Image, rng *rand.Rand, dst []float32) ([]float32, *Image) {
	out := p.Picture(img, rng)
	return p.Tensor(out, dst), out
}

// Train returns torchvision's usual training transforms for a model
// whose input is size×size: RandomResizedCrop(size) and then
// RandomHorizontalFlip() (flip with probability 1/2).
func Train(size int) Compose {
	return Compose{RandomResizedCrop{Size: size}, RandomHorizontalFlip{P: 0.5}}
}

// Eval returns torchvision's usual evaluation transforms for a model
// whose input is size×size: Resize to size·256/224 (256 for 224), then
// CenterCrop(size).
func Eval(size int) Compose {
	return Compose{Resize{Size: size * 256 / 224}, CenterCrop{Width: size, Height: size}}
}
