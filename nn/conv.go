package nn

import (
	"fmt"

	"github.com/convnet/convnet/tensor"
)

// Conv2d is a 2-D convolution layer, as torch.nn.Conv2d: weight
// OutChannels×InChannels×K×K and a bias per output channel.
type Conv2d struct {
	Base
	InChannels, OutChannels int
	KernelSize              [2]int
	Stride, Padding         [2]int
	Weight, Bias            *tensor.Tensor // Bias is nil without bias
}

// ConvOption changes a Conv2d setting from its default.
type ConvOption func(*convSettings)

type convSettings struct {
	stride, padding [2]int
	bias            bool
}

// Stride sets the step between windows (default 1).
func Stride(s int) ConvOption { return func(c *convSettings) { c.stride = [2]int{s, s} } }

// Padding sets the zero padding on each side (default 0).
func Padding(p int) ConvOption { return func(c *convSettings) { c.padding = [2]int{p, p} } }

// NoBias leaves out the bias.
func NoBias() ConvOption { return func(c *convSettings) { c.bias = false } }

// NewConv2d returns a convolution from in to out channels with a square
// kernel, initialised as PyTorch does (see ManualSeed).
func NewConv2d(in, out, kernel int, opts ...ConvOption) *Conv2d {
	if in < 1 || out < 1 || kernel < 1 {
		panic(fmt.Sprintf("nn.NewConv2d(%d, %d, %d): sizes must be positive", in, out, kernel))
	}
	s := convSettings{stride: [2]int{1, 1}, bias: true}
	for _, o := range opts {
		o(&s)
	}
	c := &Conv2d{InChannels: in, OutChannels: out, KernelSize: [2]int{kernel, kernel}, Stride: s.stride, Padding: s.padding}
	c.Init(c, "Conv2d")
	biasLen := 0
	if s.bias {
		biasLen = out
	}
	w, b := defaultInit(in*kernel*kernel, []int{out, in, kernel, kernel}, biasLen)
	c.Weight = c.AddParameter("weight", w)
	if b != nil {
		c.Bias = c.AddParameter("bias", b)
	}
	return c
}

// Forward convolves x (N×InChannels×H×W).
func (c *Conv2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.Conv2d(x, c.Weight, c.Bias, c.Stride, c.Padding)
}

// ExtraRepr gives PyTorch's settings string.
func (c *Conv2d) ExtraRepr() string {
	s := fmt.Sprintf("%d, %d, kernel_size=%s, stride=%s", c.InChannels, c.OutChannels, pair(c.KernelSize), pair(c.Stride))
	if c.Padding != [2]int{} {
		s += ", padding=" + pair(c.Padding)
	}
	if c.Bias == nil {
		s += ", bias=False"
	}
	return s
}

// pair prints a pair as a Python tuple: (5, 5).
func pair(p [2]int) string { return fmt.Sprintf("(%d, %d)", p[0], p[1]) }
