package models_test

import (
	"fmt"
	"strings"

	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// GoogLeNet trains with its auxiliary classifiers: Forward in training
// mode computes their logits too, and Loss adds 0.3 times each one's
// cross-entropy to the main one, as torchvision's recipe does. A training
// loop calls Loss wherever the model is an nn.Losser.
func ExampleGoogLeNet_Loss() {
	m, err := models.NewGoogLeNet(models.Input{Channels: 1, Size: 32, Classes: 10})
	if err != nil {
		panic(err)
	}
	m.Train()
	x := tensor.Full(0.5, 4, 1, 32, 32)
	targets := []int{3, 1, 4, 1}
	out := m.Call(x)
	aux1, aux2 := m.AuxLogits()
	fmt.Println("logits", out.Shape(), "aux1", aux1.Shape(), "aux2", aux2.Shape())

	var model nn.Module = m
	var loss *tensor.Tensor
	if l, ok := model.(nn.Losser); ok {
		loss = l.Loss(out, targets)
	} else {
		loss = tensor.CrossEntropy(out, targets)
	}
	loss.Backward()
	fmt.Println("aux1.fc2 has a gradient:", m.Aux1.FC2.Weight.Grad() != nil)
	// Output:
	// logits [4 10] aux1 [4 10] aux2 [4 10]
	// aux1.fc2 has a gradient: true
}

// The torchvision networks are registered by name; their printout is
// torchvision's.
func ExampleNewResNet() {
	m, err := models.NewResNet("resnet18", models.Input{Channels: 1, Size: 28, Classes: 10})
	if err != nil {
		panic(err)
	}
	lines := strings.Split(m.String(), "\n")
	fmt.Println(strings.Join(lines[:6], "\n"))
	fmt.Println(m.Call(tensor.Zeros(2, 1, 28, 28)).Shape())
	// Output:
	// ResNet(
	//   (conv1): Conv2d(1, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), bias=False)
	//   (bn1): BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
	//   (relu): ReLU(inplace=True)
	//   (maxpool): MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)
	//   (layer1): Sequential(
	// [2 10]
}
