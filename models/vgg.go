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
// "vgg19") for inChannels×224×224 input and the given number of classes,
// as the lesson does.
func NewVGG(config string, inChannels, classes int) (*VGG, error) {
	return NewVGGFor(config, false, Input{inChannels, 224, classes})
}

// NewVGGFor builds a VGG configuration, with batch normalisation after
// every convolution if batchNorm, for the given input. Size must be a
// multiple of 32 (five poolings halve it); for 32×32 images (CIFAR-10,
// MNIST padded to 32) the classifier is sized for the 1×1×512 features:
// 512, 512, classes. Otherwise it is the lesson's 4096, 4096, classes.
// Each convolution runs with its activation, and the pooling after that,
// as one operation (nn.FuseConvBlocks).
func NewVGGFor(config string, batchNorm bool, in Input) (*VGG, error) {
	cfg, ok := vggConfigs[config]
	if !ok {
		return nil, fmt.Errorf("unknown VGG configuration %q", config)
	}
	if err := checkVGG(in); err != nil {
		return nil, err
	}
	m := &VGG{}
	m.Init(m, "VGGNet")
	m.Feature = nn.Add(&m.Base, "feature", nn.NewSequential(vggFeatures(cfg, in.Channels, batchNorm)...))
	width, features := 4096, 512*(in.Size/32)*(in.Size/32)
	if in.Size == 32 {
		width = 512
	}
	m.Classifier = nn.Add(&m.Base, "classifier", nn.NewSequential(
		nn.Child{Name: fmt.Sprintf("fc-%d-1", width), Module: nn.NewLinear(features, width)},
		nn.Child{Name: fmt.Sprintf("fc-%d-1-act", width), Module: nn.NewReLU()},
		nn.Child{Name: fmt.Sprintf("fc-%d-2", width), Module: nn.NewLinear(width, width)},
		nn.Child{Name: fmt.Sprintf("fc-%d-2-act", width), Module: nn.NewReLU()},
		nn.Child{Name: fmt.Sprintf("fc-%d", in.Classes), Module: nn.NewLinear(width, in.Classes)},
	))
	initVGG(m)
	return nn.FuseConvBlocks(m), nil
}

// initVGG initialises the weights as torchvision's VGG does, which lets
// the deep stack without batch normalisation train from scratch (PyTorch's
// default initialisation shrinks the signal layer by layer): convolutions
// kaiming_normal_(fan_out, relu) with zero bias, fully connected layers
// N(0, 0.01) with zero bias, batch norm weight 1 and bias 0.
func initVGG(m *VGG) {
	for _, c := range m.NamedModules() {
		switch l := c.Module.(type) {
		case *nn.Conv2d:
			nn.KaimingNormal(l.Weight)
			nn.Constant(l.Bias, 0)
		case *nn.Linear:
			nn.Normal(l.Weight, 0, 0.01)
			nn.Constant(l.Bias, 0)
		}
	}
}

// checkVGG says whether VGG can be built for in.
func checkVGG(in Input) error {
	switch {
	case in.Size < 32 || in.Size%32 != 0:
		return fmt.Errorf("VGG takes images whose size is a multiple of 32, not %d", in.Size)
	case in.Channels < 1 || in.Classes < 1:
		return fmt.Errorf("VGG needs at least one input channel and one class, not %v", in)
	}
	return nil
}

// vggFeatures lays out the feature stack with the lesson's names: a width
// used once is conv3-W, one used n times conv3-W-1 ... conv3-W-n; with batch
// normalisation, conv3-W-bn sits between a convolution and its activation.
func vggFeatures(cfg []int, in int, batchNorm bool) []nn.Child {
	uses := map[int]int{}
	for _, w := range cfg {
		uses[w]++
	}
	seen := map[int]int{}
	var layers []nn.Child
	pools := 0
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
		layers = append(layers, nn.Child{Name: name, Module: nn.NewConv2d(in, w, 3, nn.Padding(1))})
		if batchNorm {
			layers = append(layers, nn.Child{Name: name + "-bn", Module: nn.NewBatchNorm2d(w)})
		}
		layers = append(layers, nn.Child{Name: name + "-act", Module: nn.NewReLU()})
		in = w
	}
	return layers
}

// Forward runs the features, flattens N×512×7×7 to N×25088, and classifies.
func (m *VGG) Forward(x *tensor.Tensor) *tensor.Tensor {
	return m.Classifier.Call(tensor.Flatten(m.Feature.Call(x)))
}
