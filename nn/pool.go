package nn

import (
	"fmt"

	"github.com/convnet/convnet/tensor"
)

// PoolOption changes a MaxPool2d or AvgPool2d setting from its default.
type PoolOption func(*poolSettings)

type poolSettings struct {
	dilation        int
	ceilMode        bool
	countIncludePad bool
}

// CeilMode rounds the output size up rather than down (PyTorch's
// ceil_mode=True): windows hanging over the bottom or right edge count,
// as long as they start inside the input or its leading padding.
func CeilMode() PoolOption { return func(s *poolSettings) { s.ceilMode = true } }

// CountIncludePad says whether an average counts the padding in its
// divisor (default true, as PyTorch's count_include_pad).
func CountIncludePad(on bool) PoolOption { return func(s *poolSettings) { s.countIncludePad = on } }

// PoolDilation spaces a max pooling's taps d apart (default 1: adjacent),
// as MaxPool2d's dilation.
func PoolDilation(d int) PoolOption { return func(s *poolSettings) { s.dilation = d } }

func poolOptions(name string, kernel, stride, padding int, opts []PoolOption) poolSettings {
	s := poolSettings{dilation: 1, countIncludePad: true}
	for _, o := range opts {
		o(&s)
	}
	if kernel < 1 || stride < 1 || s.dilation < 1 || padding < 0 || 2*padding > kernel {
		panic(fmt.Sprintf("nn.New%s(%d, %d, %d): kernel, stride and dilation (%d) must be positive, padding between 0 and half the kernel",
			name, kernel, stride, padding, s.dilation))
	}
	return s
}

// AvgPool2d averages square windows, as torch.nn.AvgPool2d (padding counts
// as zeros in the average unless CountIncludePad is false).
type AvgPool2d struct {
	Base
	KernelSize, Stride, Padding int
	CeilMode                    bool
	ExcludePad                  bool // count_include_pad=False
}

// NewAvgPool2d returns an average pooling layer. Its options are
// CeilMode and CountIncludePad.
func NewAvgPool2d(kernel, stride, padding int, opts ...PoolOption) *AvgPool2d {
	s := poolOptions("AvgPool2d", kernel, stride, padding, opts)
	if s.dilation != 1 {
		panic("nn.NewAvgPool2d: an average pooling takes no dilation")
	}
	p := &AvgPool2d{KernelSize: kernel, Stride: stride, Padding: padding, CeilMode: s.ceilMode, ExcludePad: !s.countIncludePad}
	p.Init(p, "AvgPool2d")
	return p
}

// Pooling returns the layer's settings for tensor.Pool2d.
func (p *AvgPool2d) Pooling() tensor.Pooling {
	return tensor.Pooling{Kernel: square(p.KernelSize), Stride: square(p.Stride), Padding: square(p.Padding),
		CeilMode: p.CeilMode, ExcludePad: p.ExcludePad}
}

// Forward pools x (N×C×H×W).
func (p *AvgPool2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.Pool2d(x, p.Pooling())
}

// ExtraRepr gives PyTorch's settings string (which shows neither
// ceil_mode nor count_include_pad).
func (p *AvgPool2d) ExtraRepr() string {
	return fmt.Sprintf("kernel_size=%d, stride=%d, padding=%d", p.KernelSize, p.Stride, p.Padding)
}

// MaxPool2d takes the maximum of square windows, as torch.nn.MaxPool2d.
type MaxPool2d struct {
	Base
	KernelSize, Stride, Padding int
	Dilation                    int // 1 by default (0 is read as 1)
	CeilMode                    bool
}

// NewMaxPool2d returns a max pooling layer. Its options are CeilMode and
// PoolDilation.
func NewMaxPool2d(kernel, stride, padding int, opts ...PoolOption) *MaxPool2d {
	s := poolOptions("MaxPool2d", kernel, stride, padding, opts)
	p := &MaxPool2d{KernelSize: kernel, Stride: stride, Padding: padding, Dilation: s.dilation, CeilMode: s.ceilMode}
	p.Init(p, "MaxPool2d")
	return p
}

// Pooling returns the layer's settings for tensor.Pool2d.
func (p *MaxPool2d) Pooling() tensor.Pooling {
	return tensor.Pooling{Max: true, Kernel: square(p.KernelSize), Stride: square(p.Stride), Padding: square(p.Padding),
		Dilation: square(p.Dilation), CeilMode: p.CeilMode}
}

// Forward pools x (N×C×H×W).
func (p *MaxPool2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.Pool2d(x, p.Pooling())
}

// ExtraRepr gives PyTorch's settings string.
func (p *MaxPool2d) ExtraRepr() string {
	return fmt.Sprintf("kernel_size=%d, stride=%d, padding=%d, dilation=%d, ceil_mode=%s",
		p.KernelSize, p.Stride, p.Padding, max(p.Dilation, 1), pyBool(p.CeilMode))
}

// AdaptiveAvgPool2d averages each input plane into OutputSize (height,
// width), whatever the input's size, as torch.nn.AdaptiveAvgPool2d; (1, 1)
// is the global average pooling that ends torchvision's classifiers.
type AdaptiveAvgPool2d struct {
	Base
	OutputSize [2]int
}

// NewAdaptiveAvgPool2d returns an adaptive average pooling to h×w.
func NewAdaptiveAvgPool2d(h, w int) *AdaptiveAvgPool2d {
	if h < 1 || w < 1 {
		panic(fmt.Sprintf("nn.NewAdaptiveAvgPool2d(%d, %d): sizes must be positive", h, w))
	}
	p := &AdaptiveAvgPool2d{OutputSize: [2]int{h, w}}
	p.Init(p, "AdaptiveAvgPool2d")
	return p
}

// Forward pools x (N×C×H×W) into N×C×OutputSize.
func (p *AdaptiveAvgPool2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.AdaptiveAvgPool2d(x, p.OutputSize)
}

// ExtraRepr gives PyTorch's settings string, for an output size given as
// a pair: output_size=(1, 1).
func (p *AdaptiveAvgPool2d) ExtraRepr() string { return "output_size=" + pair(p.OutputSize) }

// AdaptiveMaxPool2d takes the maximum of the windows of AdaptiveAvgPool2d,
// as torch.nn.AdaptiveMaxPool2d.
type AdaptiveMaxPool2d struct {
	Base
	OutputSize [2]int
}

// NewAdaptiveMaxPool2d returns an adaptive max pooling to h×w.
func NewAdaptiveMaxPool2d(h, w int) *AdaptiveMaxPool2d {
	if h < 1 || w < 1 {
		panic(fmt.Sprintf("nn.NewAdaptiveMaxPool2d(%d, %d): sizes must be positive", h, w))
	}
	p := &AdaptiveMaxPool2d{OutputSize: [2]int{h, w}}
	p.Init(p, "AdaptiveMaxPool2d")
	return p
}

// Forward pools x (N×C×H×W) into N×C×OutputSize.
func (p *AdaptiveMaxPool2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.AdaptiveMaxPool2d(x, p.OutputSize)
}

// ExtraRepr gives PyTorch's settings string: output_size=(1, 1).
func (p *AdaptiveMaxPool2d) ExtraRepr() string { return "output_size=" + pair(p.OutputSize) }

func square(n int) [2]int { return [2]int{n, n} }
