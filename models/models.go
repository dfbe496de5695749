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
	check func(Input) error
	build func(Input) nn.Module
}

// New builds the model for its lesson's input, with fresh weights (see
// nn.ManualSeed).
func (s Spec) New() nn.Module { return s.build(s.Input) }

// Check says whether the model can be built for in, without building it.
func (s Spec) Check(in Input) error { return s.check(in) }

// Build builds the model for other images, or says why it cannot.
func (s Spec) Build(in Input) (nn.Module, error) {
	if err := s.check(in); err != nil {
		return nil, err
	}
	return s.build(in), nil
}

var specs = []Spec{
	{Name: "lenet5", Input: lenetInput, check: checkLeNet, build: func(Input) nn.Module { return NewLeNetSeq() }},
	{Name: "lenet5-fields", Input: lenetInput, check: checkLeNet, build: func(Input) nn.Module { return NewLeNet() }},
}

func init() {
	for _, name := range []string{"vgg11", "vgg13", "vgg16", "vgg19"} {
		for _, bn := range []bool{false, true} {
			full := name
			if bn {
				full += "_bn"
			}
			specs = append(specs, Spec{Name: full, Input: Input{3, 224, 1000}, check: checkVGG,
				build: func(in Input) nn.Module {
					m, err := NewVGGFor(name, bn, in)
					if err != nil {
						panic(err) // check passed
					}
					return m
				}})
		}
	}
}

// lenetInput is the only input LeNet-5 takes: the lesson's MNIST digits.
var lenetInput = Input{1, 28, 10}

func checkLeNet(in Input) error {
	if in != lenetInput {
		return fmt.Errorf("LeNet-5 takes 1x28x28 images and 10 classes (MNIST), not %v", in)
	}
	return nil
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
