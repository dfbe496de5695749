package models

import (
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// LeNet is the lesson's LeNet-5 with every layer a named field, so that
// intermediate values can be inspected. It prints as PyTorch's LeNet class.
type LeNet struct {
	nn.Base
	Cnn1     *nn.Conv2d
	Cnn1Act  *nn.Tanh
	Avgpool1 *nn.AvgPool2d
	Cnn2     *nn.Conv2d
	Cnn2Act  *nn.Tanh
	Avgpool2 *nn.AvgPool2d
	Cnn3     *nn.Conv2d
	Cnn3Act  *nn.Tanh
	Fc1      *nn.Linear
	Fc1Act   *nn.Tanh
	Fc2      *nn.Linear
}

// NewLeNet builds LeNet-5 as named fields: conv 1->6 5x5 pad 2, tanh,
// avg-pool 2, conv 6->16 5x5, tanh, avg-pool 2, conv 16->120 5x5, tanh,
// fc 120->84, tanh, fc 84->10. Input N×1×28×28, output N×10 logits.
func NewLeNet() *LeNet {
	m := &LeNet{}
	m.Init(m, "LeNet")
	b := &m.Base
	m.Cnn1 = nn.Add(b, "cnn1", nn.NewConv2d(1, 6, 5, nn.Padding(2)))
	m.Cnn1Act = nn.Add(b, "cnn1_act", nn.NewTanh())
	m.Avgpool1 = nn.Add(b, "avgpool1", nn.NewAvgPool2d(2, 2, 0))
	m.Cnn2 = nn.Add(b, "cnn2", nn.NewConv2d(6, 16, 5))
	m.Cnn2Act = nn.Add(b, "cnn2_act", nn.NewTanh())
	m.Avgpool2 = nn.Add(b, "avgpool2", nn.NewAvgPool2d(2, 2, 0))
	m.Cnn3 = nn.Add(b, "cnn3", nn.NewConv2d(16, 120, 5))
	m.Cnn3Act = nn.Add(b, "cnn3_act", nn.NewTanh())
	m.Fc1 = nn.Add(b, "fc1", nn.NewLinear(120, 84))
	m.Fc1Act = nn.Add(b, "fc1_act", nn.NewTanh())
	m.Fc2 = nn.Add(b, "fc2", nn.NewLinear(84, 10))
	return m
}

// Forward is the lesson's hand-written forward pass.
func (m *LeNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	x = m.Avgpool1.Call(m.Cnn1Act.Call(m.Cnn1.Call(x)))
	x = m.Avgpool2.Call(m.Cnn2Act.Call(m.Cnn2.Call(x)))
	x = m.Cnn3Act.Call(m.Cnn3.Call(x))
	x = tensor.Flatten(x)
	return m.Fc2.Call(m.Fc1Act.Call(m.Fc1.Call(x)))
}

// LeNetSeq is the lesson's LeNet-5 as two nn.Sequential blocks, Feature
// and Classifier, with the flattening between them in Forward.
type LeNetSeq struct {
	nn.Base
	Feature    *nn.Sequential
	Classifier *nn.Sequential
}

// NewLeNetSeq builds LeNet-5 as the lesson's Sequential version, whose
// state_dict keys are feature.cnn1.weight ... classifier.fc2.bias. Each
// convolution runs with its activation and pooling as one operation
// (nn.FuseConvBlocks).
func NewLeNetSeq() *LeNetSeq {
	m := &LeNetSeq{}
	m.Init(m, "LeNetSeq")
	m.Feature = nn.Add(&m.Base, "feature", nn.NewSequential(
		nn.Child{Name: "cnn1", Module: nn.NewConv2d(1, 6, 5, nn.Padding(2))},
		nn.Child{Name: "cnn1_act", Module: nn.NewTanh()},
		nn.Child{Name: "avgpool1", Module: nn.NewAvgPool2d(2, 2, 0)},
		nn.Child{Name: "cnn2", Module: nn.NewConv2d(6, 16, 5)},
		nn.Child{Name: "cnn2_act", Module: nn.NewTanh()},
		nn.Child{Name: "avgpool2", Module: nn.NewAvgPool2d(2, 2, 0)},
		nn.Child{Name: "cnn3", Module: nn.NewConv2d(16, 120, 5)},
		nn.Child{Name: "cnn3_act", Module: nn.NewTanh()},
	))
	m.Classifier = nn.Add(&m.Base, "classifier", nn.NewSequential(
		nn.Child{Name: "fc1", Module: nn.NewLinear(120, 84)},
		nn.Child{Name: "fc1_act", Module: nn.NewTanh()},
		nn.Child{Name: "fc2", Module: nn.NewLinear(84, 10)},
	))
	return nn.FuseConvBlocks(m)
}

// Forward runs feature, flattens to N×120, then runs classifier.
func (m *LeNetSeq) Forward(x *tensor.Tensor) *tensor.Tensor {
	x = m.Feature.Call(x)
	return m.Classifier.Call(tensor.Flatten(x))
}
