// Package models holds ready networks built from package nn, by name: the
// lesson's LeNet-5 in both of its forms and the VGG family.
package models

import (
	"fmt"
	"slices"
	"strings"

	"github.com/convnet/convnet/nn"
)

// Input describes the images a model is built for and its outputs.
type Input struct {
	Channels, Size, Classes int
}

// Shape returns the shape of one example: Channels×Size×Size.
func (in Input) Shape() []int { return []int{in.Channels, in.Size, in.Size} }

// String prints the input as 1x28x28 -> 10.
func (in Input) String() string {
	return fmt.Sprintf("%dx%dx%d -> %d", in.Channels, in.Size, in.Size, in.Classes)
}

// Spec describes a model that can be built by name.
type Spec struct {
	Name string
	// Input is the lesson's input, which New builds for.
	Input Input
	build func(Input) (nn.Module, error)
}

// New builds the model for its lesson's input, with fresh weights (see
// nn.ManualSeed).
func (s Spec) New() nn.Module {
	m, err := s.build(s.Input)
	if err != nil {
		panic(err) // every spec builds for its own input
	}
	return m
}

// Build builds the model for other images, or says why it cannot.
func (s Spec) Build(in Input) (nn.Module, error) { return s.build(in) }

var specs = []Spec{
	{Name: "lenet5", Input: Input{1, 28, 10}, build: lenetFor(func() nn.Module { return NewLeNetSeq() })},
	{Name: "lenet5-fields", Input: Input{1, 28, 10}, build: lenetFor(func() nn.Module { return NewLeNet() })},
}

func init() {
	for _, name := range []string{"vgg11", "vgg13", "vgg16", "vgg19"} {
		for _, bn := range []bool{false, true} {
			full := name
			if bn {
				full += "_bn"
			}
			specs = append(specs, Spec{Name: full, Input: Input{3, 224, 1000},
				build: func(in Input) (nn.Module, error) { return NewVGGFor(name, bn, in) }})
		}
	}
}

// lenetFor builds LeNet-5, which takes only the lesson's MNIST images.
func lenetFor(build func() nn.Module) func(Input) (nn.Module, error) {
	return func(in Input) (nn.Module, error) {
		if in != (Input{1, 28, 10}) {
			return nil, fmt.Errorf("LeNet-5 takes 1x28x28 images and 10 classes (MNIST), not %v", in)
		}
		return build(), nil
	}
}

// Names lists the models Lookup knows, in a stable order.
func Names() []string {
	var names []string
	for _, s := range specs {
		names = append(names, s.Name)
	}
	return names
}

// Lookup returns the spec of the named model, or an error listing the
// known names.
func Lookup(name string) (Spec, error) {
	i := slices.IndexFunc(specs, func(s Spec) bool { return s.Name == name })
	if i < 0 {
		return Spec{}, fmt.Errorf("unknown model %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return specs[i], nil
}

// New builds the named model for its lesson's input (see Spec.New).
func New(name string) (nn.Module, error) {
	s, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return s.New(), nil
}
