package models

import (
	"fmt"

	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// MobileNetV2 is torchvision's MobileNetV2 (Sandler et al., 2018), width
// 1.0: a stride-2 Conv2dNormActivation, seventeen InvertedResidual blocks,
// a 1×1 Conv2dNormActivation to 1280 channels (Features, children 0 ... 18),
// global average pooling and Classifier (dropout 0.2, a fully connected
// layer). Its printout, parameter names and state_dict keys are
// torchvision 0.14's.
type MobileNetV2 struct {
	nn.Base
	Features   *nn.Sequential
	Classifier *nn.Sequential
}

// Conv2dNormActivation is torchvision.ops.Conv2dNormActivation as
// MobileNetV2 uses it: a Sequential of a convolution without bias (padding
// (kernel-1)/2), batch norm and ReLU6, children 0, 1, 2.
type Conv2dNormActivation struct {
	nn.Sequential
}

// NewConv2dNormActivation returns the block from in to out channels with
// the given kernel, stride and groups (groups == in == out: depthwise).
func NewConv2dNormActivation(in, out, kernel, stride, groups int) *Conv2dNormActivation {
	c := &Conv2dNormActivation{}
	c.Init(c, "Conv2dNormActivation")
	c.Append(nn.NewConv2d(in, out, kernel, nn.Stride(stride), nn.Padding((kernel-1)/2), nn.Groups(groups), nn.NoBias()))
	c.Append(nn.NewBatchNorm2d(out))
	relu6 := nn.NewReLU6()
	relu6.Inplace = true
	c.Append(relu6)
	return c
}

// InvertedResidual is MobileNetV2's block: a 1×1 expansion to
// in×expand channels with ReLU6 (left out when expand is 1), a 3×3
// depthwise convolution with the block's stride and ReLU6, and a linear
// 1×1 projection to out channels, each with batch norm (Conv, children
// 0 ...); the input is added back where the stride is 1 and in == out.
type InvertedResidual struct {
	nn.Base
	Conv     *nn.Sequential
	Residual bool // torchvision's use_res_connect
}

// NewInvertedResidual returns the block with torchvision's arguments:
// input and output channels, stride (1 or 2) and expansion ratio.
func NewInvertedResidual(in, out, stride, expand int) *InvertedResidual {
	if stride != 1 && stride != 2 {
		panic(fmt.Sprintf("models.NewInvertedResidual: stride should be 1 or 2, not %d", stride))
	}
	m := &InvertedResidual{Residual: stride == 1 && in == out}
	m.Init(m, "InvertedResidual")
	hidden := in * expand
	s := nn.NewSequentialOf()
	if expand != 1 {
		s.Append(NewConv2dNormActivation(in, hidden, 1, 1, 1))
	}
	s.Append(NewConv2dNormActivation(hidden, hidden, 3, stride, hidden))
	s.Append(nn.NewConv2d(hidden, out, 1, nn.NoBias()))
	s.Append(nn.NewBatchNorm2d(out))
	m.Conv = nn.Add(&m.Base, "conv", s)
	return m
}

// Forward returns x + conv(x) for a residual block, conv(x) otherwise.
func (m *InvertedResidual) Forward(x *tensor.Tensor) *tensor.Tensor {
	if m.Residual {
		return tensor.Add(x, m.Conv.Call(x))
	}
	return m.Conv.Call(x)
}

// mobilenetV2Setting is torchvision's inverted_residual_setting: expansion
// t, output channels c, repeats n, first stride s.
var mobilenetV2Setting = [][4]int{
	{1, 16, 1, 1},
	{6, 24, 2, 2},
	{6, 32, 3, 2},
	{6, 64, 4, 2},
	{6, 96, 3, 1},
	{6, 160, 3, 2},
	{6, 320, 1, 1},
}

// checkMobileNetV2 says whether MobileNetV2 can be built for in. Its
// stride-2 layers are 3×3 with padding 1, so any image of at least one
// pixel keeps at least one (32×32 ends as 1×1, MNIST's 28×28 too).
func checkMobileNetV2(in Input) error {
	if in.Channels < 1 || in.Classes < 1 || in.Size < 1 {
		return fmt.Errorf("MobileNetV2 needs at least one input channel, one class and one pixel, not %v", in)
	}
	return nil
}

// NewMobileNetV2 builds MobileNetV2 for in (in.Channels input channels,
// 3 in torchvision, and in.Classes outputs), initialised as torchvision
// does: convolutions kaiming_normal_(fan_out), batch norm weight 1 and
// bias 0, the linear layer N(0, 0.01) with zero bias.
func NewMobileNetV2(in Input) (*MobileNetV2, error) {
	if err := checkMobileNetV2(in); err != nil {
		return nil, err
	}
	m := &MobileNetV2{}
	m.Init(m, "MobileNetV2")
	f := nn.NewSequentialOf(NewConv2dNormActivation(in.Channels, 32, 3, 2, 1))
	channels := 32
	for _, s := range mobilenetV2Setting {
		t, c, n, stride := s[0], s[1], s[2], s[3]
		for i := range n {
			if i > 0 {
				stride = 1
			}
			f.Append(NewInvertedResidual(channels, c, stride, t))
			channels = c
		}
	}
	f.Append(NewConv2dNormActivation(channels, 1280, 1, 1, 1))
	m.Features = nn.Add(&m.Base, "features", f)
	fc := nn.NewLinear(1280, in.Classes)
	m.Classifier = nn.Add(&m.Base, "classifier", nn.NewSequentialOf(nn.NewDropout(0.2), fc))
	initResNetLike(m)
	nn.Normal(fc.Weight, 0, 0.01)
	nn.Constant(fc.Bias, 0)
	return m, nil
}

// Forward runs the features, averages each channel and classifies.
func (m *MobileNetV2) Forward(x *tensor.Tensor) *tensor.Tensor {
	return m.Classifier.Call(tensor.Flatten(tensor.GlobalAvgPool2d(m.Features.Call(x))))
}
