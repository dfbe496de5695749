package models

import (
	"fmt"

	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// ResNet is torchvision's ResNet (He et al., 2015): a 7×7 stride-2
// convolution, batch norm, ReLU and a 3×3 stride-2 max pooling, four
// stages (layer1 ... layer4) of residual blocks, global average pooling and
// a fully connected layer. Its printout, parameter names and state_dict
// keys are torchvision 0.14's, so that a torchvision state_dict saved as
// safetensors loads with no renaming (checkpoint.Load).
type ResNet struct {
	nn.Base
	Conv1   *nn.Conv2d
	BN1     *nn.BatchNorm2d
	ReLU    *nn.ReLU
	MaxPool *nn.MaxPool2d
	// Layer1 ... Layer4 hold the residual blocks (*BasicBlock or
	// *Bottleneck), named 0, 1, ...
	Layer1, Layer2, Layer3, Layer4 *nn.Sequential
	AvgPool                        *nn.AdaptiveAvgPool2d
	FC                             *nn.Linear
}

// BasicBlock is ResNet-18/34's residual block: two 3×3 convolutions with
// batch norm, the first with ReLU, added to the input (or to Downsample of
// it, a 1×1 convolution and batch norm, where the shape changes), then
// ReLU. torchvision's class of the same name.
type BasicBlock struct {
	nn.Base
	Conv1      *nn.Conv2d
	BN1        *nn.BatchNorm2d
	ReLU       *nn.ReLU
	Conv2      *nn.Conv2d
	BN2        *nn.BatchNorm2d
	Downsample *nn.Sequential // nil where the shortcut is the input itself
}

// Bottleneck is ResNet-50's residual block: 1×1 convolution down to
// planes channels, 3×3 convolution (with the block's stride), 1×1
// convolution up to 4×planes, each with batch norm and the first two with
// ReLU; added to the input or Downsample of it, then ReLU. torchvision's
// class of the same name (stride on the 3×3 convolution, "ResNet V1.5").
type Bottleneck struct {
	nn.Base
	Conv1      *nn.Conv2d
	BN1        *nn.BatchNorm2d
	Conv2      *nn.Conv2d
	BN2        *nn.BatchNorm2d
	Conv3      *nn.Conv2d
	BN3        *nn.BatchNorm2d
	ReLU       *nn.ReLU
	Downsample *nn.Sequential
}

// resnetConfigs gives the number of blocks per stage and whether they are
// bottlenecks, as torchvision's resnet18/34/50.
var resnetConfigs = map[string]struct {
	blocks     [4]int
	bottleneck bool
}{
	"resnet18": {[4]int{2, 2, 2, 2}, false},
	"resnet34": {[4]int{3, 4, 6, 3}, false},
	"resnet50": {[4]int{3, 4, 6, 3}, true},
}

// checkResNet says whether ResNet can be built for in. Every stride-2
// layer has padding enough that any image of at least one pixel gives
// feature maps of at least one pixel (a 32×32 image reaches layer4 as
// 1×1), so only the sizes' signs are checked.
func checkResNet(in Input) error {
	if in.Channels < 1 || in.Classes < 1 || in.Size < 1 {
		return fmt.Errorf("ResNet needs at least one input channel, one class and one pixel, not %v", in)
	}
	return nil
}

// NewResNet builds "resnet18", "resnet34" or "resnet50" for in: in.Channels
// input channels (torchvision's 3, or 1 for MNIST, which changes only
// conv1's weight) and in.Classes outputs, initialised as torchvision does
// (convolutions kaiming_normal_ with fan_out, batch norm weight 1 and bias
// 0, the fully connected layer PyTorch's default). Global average pooling
// lets it take any image size; 32×32 images reach the last stage as 1×1.
func NewResNet(name string, in Input) (*ResNet, error) {
	cfg, ok := resnetConfigs[name]
	if !ok {
		return nil, fmt.Errorf("unknown ResNet %q (known: resnet18, resnet34, resnet50)", name)
	}
	if err := checkResNet(in); err != nil {
		return nil, err
	}
	m := &ResNet{}
	m.Init(m, "ResNet")
	m.Conv1 = nn.Add(&m.Base, "conv1", nn.NewConv2d(in.Channels, 64, 7, nn.Stride(2), nn.Padding(3), nn.NoBias()))
	m.BN1 = nn.Add(&m.Base, "bn1", nn.NewBatchNorm2d(64))
	m.ReLU = nn.Add(&m.Base, "relu", inplaceReLU())
	m.MaxPool = nn.Add(&m.Base, "maxpool", nn.NewMaxPool2d(3, 2, 1))
	inplanes := 64
	layers := [4]**nn.Sequential{&m.Layer1, &m.Layer2, &m.Layer3, &m.Layer4}
	for i, planes := range []int{64, 128, 256, 512} {
		stride := 2
		if i == 0 {
			stride = 1
		}
		s := nn.NewSequentialOf()
		for b := 0; b < cfg.blocks[i]; b++ {
			if cfg.bottleneck {
				s.Append(NewBottleneck(inplanes, planes, stride))
				inplanes = planes * 4
			} else {
				s.Append(NewBasicBlock(inplanes, planes, stride))
				inplanes = planes
			}
			stride = 1
		}
		*layers[i] = nn.Add(&m.Base, fmt.Sprintf("layer%d", i+1), s)
	}
	m.AvgPool = nn.Add(&m.Base, "avgpool", nn.NewAdaptiveAvgPool2d(1, 1))
	m.FC = nn.Add(&m.Base, "fc", nn.NewLinear(inplanes, in.Classes))
	initResNetLike(m)
	return m, nil
}

// NewBasicBlock returns a BasicBlock from inplanes to planes channels
// whose first convolution has the given stride; it has a Downsample
// shortcut where the stride is not 1 or the channels change, as
// torchvision's _make_layer gives the first block of a stage.
func NewBasicBlock(inplanes, planes, stride int) *BasicBlock {
	b := &BasicBlock{}
	b.Init(b, "BasicBlock")
	b.Conv1 = nn.Add(&b.Base, "conv1", conv3x3(inplanes, planes, stride))
	b.BN1 = nn.Add(&b.Base, "bn1", nn.NewBatchNorm2d(planes))
	b.ReLU = nn.Add(&b.Base, "relu", inplaceReLU())
	b.Conv2 = nn.Add(&b.Base, "conv2", conv3x3(planes, planes, 1))
	b.BN2 = nn.Add(&b.Base, "bn2", nn.NewBatchNorm2d(planes))
	if stride != 1 || inplanes != planes {
		b.Downsample = nn.Add(&b.Base, "downsample", downsample(inplanes, planes, stride))
	}
	return b
}

// Forward computes relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).
func (b *BasicBlock) Forward(x *tensor.Tensor) *tensor.Tensor {
	out := bnReLU(b.BN1, b.Conv1.Call(x), b.ReLU)
	sc := shortcut(b.Downsample, x)
	if y, ok := nn.ConvAdd(b.Conv2, b.BN2, out, sc, tensor.ActReLU, b.ReLU); ok {
		return y // prepared for inference: one pass for conv2, bn2, the add and the ReLU
	}
	out = b.BN2.Call(b.Conv2.Call(out))
	return b.ReLU.Call(tensor.Add(out, sc))
}

// NewBottleneck returns a Bottleneck from inplanes to 4×planes channels,
// its 3×3 convolution with the given stride; it has a Downsample shortcut
// where the stride is not 1 or the channels change.
func NewBottleneck(inplanes, planes, stride int) *Bottleneck {
	b := &Bottleneck{}
	b.Init(b, "Bottleneck")
	b.Conv1 = nn.Add(&b.Base, "conv1", nn.NewConv2d(inplanes, planes, 1, nn.NoBias()))
	b.BN1 = nn.Add(&b.Base, "bn1", nn.NewBatchNorm2d(planes))
	b.Conv2 = nn.Add(&b.Base, "conv2", conv3x3(planes, planes, stride))
	b.BN2 = nn.Add(&b.Base, "bn2", nn.NewBatchNorm2d(planes))
	b.Conv3 = nn.Add(&b.Base, "conv3", nn.NewConv2d(planes, planes*4, 1, nn.NoBias()))
	b.BN3 = nn.Add(&b.Base, "bn3", nn.NewBatchNorm2d(planes*4))
	b.ReLU = nn.Add(&b.Base, "relu", inplaceReLU())
	if stride != 1 || inplanes != planes*4 {
		b.Downsample = nn.Add(&b.Base, "downsample", downsample(inplanes, planes*4, stride))
	}
	return b
}

// Forward computes the three convolutions and adds the shortcut.
func (b *Bottleneck) Forward(x *tensor.Tensor) *tensor.Tensor {
	out := bnReLU(b.BN1, b.Conv1.Call(x), b.ReLU)
	out = bnReLU(b.BN2, b.Conv2.Call(out), b.ReLU)
	sc := shortcut(b.Downsample, x)
	if y, ok := nn.ConvAdd(b.Conv3, b.BN3, out, sc, tensor.ActReLU, b.ReLU); ok {
		return y // prepared for inference: one pass for conv3, bn3, the add and the ReLU
	}
	out = b.BN3.Call(b.Conv3.Call(out))
	return b.ReLU.Call(tensor.Add(out, sc))
}

// bnReLU returns relu(bn(x)), in one pass where no hook is in the way
// (nn.BatchNormAct). relu is the block's ReLU module, nil for a plain
// F.relu.
func bnReLU(bn *nn.BatchNorm2d, x *tensor.Tensor, relu *nn.ReLU) *tensor.Tensor {
	var after nn.Module
	if relu != nil {
		after = relu // not a nil *nn.ReLU in the interface
	}
	if y, ok := nn.BatchNormAct(bn, x, tensor.ActReLU, after); ok {
		return y
	}
	if relu == nil {
		return tensor.ReLU(bn.Call(x))
	}
	return relu.Call(bn.Call(x))
}

// shortcut returns x, or ds applied to it.
func shortcut(ds *nn.Sequential, x *tensor.Tensor) *tensor.Tensor {
	if ds == nil {
		return x
	}
	return ds.Call(x)
}

// Forward runs the stem, the four stages, pooling and the classifier.
func (m *ResNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	if y, ok := nn.ConvPool(m.Conv1, m.BN1, x, tensor.ActReLU, m.MaxPool, m.ReLU); ok {
		x = y // folded for inference: the stem in one pass
	} else {
		x = m.MaxPool.Call(bnReLU(m.BN1, m.Conv1.Call(x), m.ReLU))
	}
	x = m.Layer4.Call(m.Layer3.Call(m.Layer2.Call(m.Layer1.Call(x))))
	return m.FC.Call(tensor.Flatten(m.AvgPool.Call(x)))
}

// conv3x3 is torchvision's conv3x3: padding 1, no bias.
func conv3x3(in, out, stride int) *nn.Conv2d {
	return nn.NewConv2d(in, out, 3, nn.Stride(stride), nn.Padding(1), nn.NoBias())
}

// downsample is the projection shortcut: a 1×1 convolution with the
// block's stride and batch norm, children 0 and 1.
func downsample(in, out, stride int) *nn.Sequential {
	return nn.NewSequentialOf(nn.NewConv2d(in, out, 1, nn.Stride(stride), nn.NoBias()), nn.NewBatchNorm2d(out))
}

// inplaceReLU is torchvision's nn.ReLU(inplace=True); the flag is only
// printed.
func inplaceReLU() *nn.ReLU {
	r := nn.NewReLU()
	r.Inplace = true
	return r
}

// initResNetLike initialises m as torchvision's ResNet and MobileNetV2
// do: every convolution kaiming_normal_(mode="fan_out", relu) with a zero
// bias, batch norm weight 1 and bias 0. Linear layers keep their default.
func initResNetLike(m nn.Module) {
	for _, c := range m.ModuleBase().NamedModules() {
		switch l := c.Module.(type) {
		case *nn.Conv2d:
			nn.KaimingNormal(l.Weight)
			if l.Bias != nil {
				nn.Constant(l.Bias, 0)
			}
		case *nn.BatchNorm2d:
			nn.Constant(l.Weight, 1)
			nn.Constant(l.Bias, 0)
		}
	}
}
