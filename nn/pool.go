package nn

import (
	"fmt"

	"github.com/convnet/convnet/tensor"
)

// AvgPool2d averages square windows, as torch.nn.AvgPool2d (padding counts
// as zeros in the average).
type AvgPool2d struct {
	Base
	KernelSize, Stride, Padding int
}

// NewAvgPool2d returns an average pooling layer.
func NewAvgPool2d(kernel, stride, padding int) *AvgPool2d {
	p := &AvgPool2d{KernelSize: kernel, Stride: stride, Padding: padding}
	p.Init(p, "AvgPool2d")
	return p
}

// Forward pools x (N×C×H×W).
func (p *AvgPool2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.AvgPool2d(x, square(p.KernelSize), square(p.Stride), square(p.Padding))
}

// ExtraRepr gives PyTorch's settings string.
func (p *AvgPool2d) ExtraRepr() string {
	return fmt.Sprintf("kernel_size=%d, stride=%d, padding=%d", p.KernelSize, p.Stride, p.Padding)
}

// MaxPool2d takes the maximum of square windows, as torch.nn.MaxPool2d.
type MaxPool2d struct {
	Base
	KernelSize, Stride, Padding int
}

// NewMaxPool2d returns a max pooling layer.
func NewMaxPool2d(kernel, stride, padding int) *MaxPool2d {
	p := &MaxPool2d{KernelSize: kernel, Stride: stride, Padding: padding}
	p.Init(p, "MaxPool2d")
	return p
}

// Forward pools x (N×C×H×W).
func (p *MaxPool2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.MaxPool2d(x, square(p.KernelSize), square(p.Stride), square(p.Padding))
}

// ExtraRepr gives PyTorch's settings string.
func (p *MaxPool2d) ExtraRepr() string {
	return fmt.Sprintf("kernel_size=%d, stride=%d, padding=%d, dilation=1, ceil_mode=False", p.KernelSize, p.Stride, p.Padding)
}

func square(n int) [2]int { return [2]int{n, n} }
