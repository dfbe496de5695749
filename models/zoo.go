package models

import (
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// globalAvgPool averages each channel's whole feature map to one value:
// torch.nn.AdaptiveAvgPool2d((1, 1)), as which it prints. It runs as an
// average pooling whose window is the whole map.
type globalAvgPool struct{ nn.Base }

func newGlobalAvgPool() *globalAvgPool {
	p := &globalAvgPool{}
	p.Init(p, "AdaptiveAvgPool2d")
	return p
}

// Forward averages N×C×H×W to N×C×1×1.
func (p *globalAvgPool) Forward(x *tensor.Tensor) *tensor.Tensor {
	hw := [2]int{x.Size(2), x.Size(3)}
	return tensor.AvgPool2d(x, hw, hw, [2]int{})
}

// ExtraRepr gives PyTorch's settings string.
func (p *globalAvgPool) ExtraRepr() string { return "output_size=(1, 1)" }
