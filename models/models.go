// Package models holds ready networks built from package nn, by name: the
// lesson's LeNet-5 in both of its forms, the VGG family, and GoogLeNet,
// ResNet-18/34/50 and MobileNetV2 as torchvision builds them. Its registry
// maps a name to a constructor; a program registers its own models with
// Register so that their checkpoints load by name (see LoadCheckpoint).
package models

import (
	"errors"
	"fmt"
	"strings"

	"github.com/convnet/convnet/internal/registry"
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
	// Input is the model's own input (the lesson's), which New builds for.
	Input Input
	// Accepts says whether the model can be built for an input, and if
	// not, why. Nil accepts only Input.
	Accepts func(Input) error
	// Construct builds the model for an input that Accepts allowed, with
	// fresh weights (see nn.ManualSeed).
	Construct func(Input) nn.Module
}

// New builds the model for its own input, with fresh weights (see
// nn.ManualSeed).
func (s Spec) New() nn.Module { return s.Construct(s.Input) }

// Check says whether the model can be built for in, without building it.
func (s Spec) Check(in Input) error {
	if s.Accepts == nil {
		if in != s.Input {
			return fmt.Errorf("%s takes %v, not %v", s.Name, s.Input, in)
		}
		return nil
	}
	return s.Accepts(in)
}

// Build builds the model for other images, or says why it cannot.
func (s Spec) Build(in Input) (nn.Module, error) {
	if err := s.Check(in); err != nil {
		return nil, err
	}
	return s.Construct(in), nil
}

// Fit returns the input the model takes for images of native's channels,
// size and classes: native itself if the model accepts it, or else native
// zero-padded on every side to the next multiple of 32 (MNIST's 28 to
// VGG's 32), with that padding. The error is the model's reason for
// refusing native.
func (s Spec) Fit(native Input) (in Input, pad int, err error) {
	err = s.Check(native)
	if err == nil {
		return native, 0, nil
	}
	padded := native
	padded.Size = (native.Size + 31) / 32 * 32
	if padded.Size != native.Size && s.Check(padded) == nil {
		return padded, (padded.Size - native.Size) / 2, nil
	}
	return Input{}, 0, err
}

// specs holds the models by name, in registration order.
var specs = registry.New(func(s Spec) string { return s.Name })

// Register adds a model to the registry, so that Lookup, New, Names and
// LoadCheckpoint know it. The name must be new and Construct set.
func Register(s Spec) error {
	switch {
	case s.Name == "":
		return errors.New("models: Register: empty name")
	case s.Construct == nil:
		return fmt.Errorf("models: Register %q: no Construct function", s.Name)
	}
	if !specs.Add(s) {
		return fmt.Errorf("models: Register: %q is already registered", s.Name)
	}
	return nil
}

func mustRegister(s Spec) {
	if err := Register(s); err != nil {
		panic(err)
	}
}

func init() {
	mustRegister(Spec{Name: "lenet5", Input: lenetInput, Accepts: checkLeNet, Construct: func(Input) nn.Module { return NewLeNetSeq() }})
	mustRegister(Spec{Name: "lenet5-fields", Input: lenetInput, Accepts: checkLeNet, Construct: func(Input) nn.Module { return NewLeNet() }})
	for _, name := range []string{"vgg11", "vgg13", "vgg16", "vgg19"} {
		for _, bn := range []bool{false, true} {
			full := name
			if bn {
				full += "_bn"
			}
			mustRegister(Spec{Name: full, Input: Input{3, 224, 1000}, Accepts: checkVGG,
				Construct: func(in Input) nn.Module {
					m, err := NewVGGFor(name, bn, in)
					if err != nil {
						panic(err) // Accepts passed
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

// Names lists the models Lookup knows, in registration order.
func Names() []string { return specs.Names() }

// Lookup returns the spec of the named model, or an error listing the
// known names. A name that is the path of an ONNX file (.onnx) is the
// model that file holds (see ONNXSpec): an imported model trains and
// loads from checkpoints as the registered ones do.
func Lookup(name string) (Spec, error) {
	if IsONNX(name) {
		return ONNXSpec(name)
	}
	s, ok := specs.Lookup(name)
	if !ok {
		return Spec{}, fmt.Errorf("unknown model %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	return s, nil
}

// New builds the named model for its own input (see Spec.New).
func New(name string) (nn.Module, error) {
	s, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return s.New(), nil
}
