// Package models holds ready networks built from package nn, by name: the
// lesson's LeNet-5 in both of its forms and the VGG family.
package models

import (
	"fmt"
	"slices"
	"strings"

	"github.com/convnet/convnet/nn"
)

// Spec describes a model the command line can build by name.
type Spec struct {
	Name string
	// InputShape is the shape of one example (C, H, W).
	InputShape []int
	// Classes is the number of outputs.
	Classes int
	// Dataset is the data set the model trains on by default.
	Dataset string
	New     func() nn.Module
}

var specs = []Spec{
	{Name: "lenet5", InputShape: []int{1, 28, 28}, Classes: 10, Dataset: "mnist",
		New: func() nn.Module { return NewLeNetSeq() }},
	{Name: "lenet5-fields", InputShape: []int{1, 28, 28}, Classes: 10, Dataset: "mnist",
		New: func() nn.Module { return NewLeNet() }},
	vggSpec("vgg11"), vggSpec("vgg13"), vggSpec("vgg16"), vggSpec("vgg19"),
}

// vggSpec describes the lesson's VGG for 224×224×3 input and 1000 classes.
func vggSpec(name string) Spec {
	return Spec{Name: name, InputShape: []int{3, 224, 224}, Classes: 1000, Dataset: "imagenet",
		New: func() nn.Module {
			m, err := NewVGG(name, 3, 1000)
			if err != nil {
				panic(err) // the names above are all known
			}
			return m
		}}
}

// Names lists the models New knows, in a stable order.
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

// New builds the named model with fresh weights (see nn.ManualSeed).
func New(name string) (nn.Module, error) {
	s, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return s.New(), nil
}
