package models

import (
	"strconv"
	"strings"

	"github.com/convnet/convnet/nn"
)

// TorchvisionNames maps the state_dict keys of a VGG built here, which
// carry the lesson's names ("feature.conv3-64.weight",
// "classifier.fc-1000.bias"), onto torchvision's for the same network
// ("features.0.weight", "classifier.6.bias"), for all eight VGG variants:
// torchvision numbers the layers of its features Sequential as the
// lesson lists them (convolution, batch norm, ReLU, max pooling), and its
// classifier has a dropout after each ReLU, so its linear layers are 0, 3
// and 6. It returns nil for any other model, whose keys are torchvision's
// already.
func TorchvisionNames(m nn.Module) map[string]string {
	v, ok := m.(*VGG)
	if !ok {
		return nil
	}
	names := map[string]string{}
	rename := func(from, to string, layer nn.Module) {
		for _, p := range layer.ModuleBase().StateDict() {
			names[from+"."+p.Name] = to + "." + p.Name
		}
	}
	for i, c := range v.Feature.Children() {
		rename("feature."+c.Name, "features."+strconv.Itoa(i), c.Module)
	}
	linear := 0
	for _, c := range v.Classifier.Children() {
		if _, ok := c.Module.(*nn.Linear); ok {
			rename("classifier."+c.Name, "classifier."+strconv.Itoa(3*linear), c.Module)
			linear++
		}
	}
	return names
}

// HasTorchvisionNames reports whether state_dict keys are torchvision's
// numbered VGG names ("features.0.weight") rather than the lesson's.
func HasTorchvisionNames(keys []string) bool {
	for _, k := range keys {
		if strings.HasPrefix(k, "features.") {
			return true
		}
	}
	return false
}
