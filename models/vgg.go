package models

import (
	"fmt"

	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// VGG configurations (Simonyan and Zisserman, table 1): output channels
// of each 3x3 convolution, 0 for a 2x2 max pooling.
var vggConfigs = map[string][]int{
	"vgg11": {64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0},
	"vgg13": {64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0},
	"vgg16": {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0},
	"vgg19": {64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0},
}

// VGG is the lesson's VGG network: Feature (3x3 convolutions with ReLU and
// max poolings) and Classifier (three fully connected layers), with the
// lesson's layer names (conv3-64, conv3-64-act, maxpool1, ..., fc-4096-1,
// fc-4096-1-act, ..., fc-1000). It prints as PyTorch's VGGNet class.
type VGG struct {
	nn.Base
	Feature    *nn.Sequential
	Classifier *nn.Sequential
}

// NewVGG builds the named configuration ("vgg11", "vgg13", "vgg16",
// "vgg19") for inChannels×224×224 input and the given number of classes.
func NewVGG(config string, inChannels, classes int) (*VGG, error) {
	cfg, ok := vggConfigs[config]
	if !ok {
		return nil, fmt.Errorf("unknown VGG configuration %q", config)
	}
	m := &VGG{}
	m.Init(m, "VGGNet")
	// A width used once is named conv3-W; one used n times conv3-W-1..n.
	uses := map[int]int{}
	for _, w := range cfg {
		uses[w]++
	}
	seen := map[int]int{}
	var layers []nn.Child
	in, pools := inChannels, 0
	for _, w := range cfg {
		if w == 0 {
			pools++
			layers = append(layers, nn.Child{Name: fmt.Sprintf("maxpool%d", pools), Module: nn.NewMaxPool2d(2, 2, 0)})
			continue
		}
		seen[w]++
		name := fmt.Sprintf("conv3-%d", w)
		if uses[w] > 1 {
			name = fmt.Sprintf("%s-%d", name, seen[w])
		}
		layers = append(layers,
			nn.Child{Name: name, Module: nn.NewConv2d(in, w, 3, nn.Padding(1))},
			nn.Child{Name: name + "-act", Module: nn.NewReLU()})
		in = w
	}
	m.Feature = nn.Add(&m.Base, "feature", nn.NewSequential(layers...))
	m.Classifier = nn.Add(&m.Base, "classifier", nn.NewSequential(
		nn.Child{Name: "fc-4096-1", Module: nn.NewLinear(512*7*7, 4096)},
		nn.Child{Name: "fc-4096-1-act", Module: nn.NewReLU()},
		nn.Child{Name: "fc-4096-2", Module: nn.NewLinear(4096, 4096)},
		nn.Child{Name: "fc-4096-2-act", Module: nn.NewReLU()},
		nn.Child{Name: fmt.Sprintf("fc-%d", classes), Module: nn.NewLinear(4096, classes)},
	))
	return m, nil
}

// Forward runs the features, flattens N×512×7×7 to N×25088, and classifies.
func (m *VGG) Forward(x *tensor.Tensor) *tensor.Tensor {
	return m.Classifier.Call(tensor.Flatten(m.Feature.Call(x)))
}
