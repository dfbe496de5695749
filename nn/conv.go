package nn

import (
	"fmt"

	"github.com/convnet/convnet/tensor"
)

// Conv2d is a 2-D convolution layer, as torch.nn.Conv2d: weight
// OutChannels×(InChannels/Groups)×K×K and a bias per output channel.
type Conv2d struct {
	Base
	InChannels, OutChannels int
	KernelSize              [2]int
	Stride, Padding         [2]int
	Dilation                [2]int         // the spacing of the kernel's taps, (1, 1) by default
	Groups                  int            // channel groups, 1 by default; InChannels for a depthwise convolution
	Weight, Bias            *tensor.Tensor // Bias is nil without bias
	// folded holds the weights with the next batch norm folded in (see
	// FoldBatchNorm), until the layer trains again; cache, from
	// FoldBatchNorm on, the forms of the weights the kernels use, for
	// evaluation-mode calls.
	folded *convFold
	cache  *tensor.WeightCache
}

// ConvOption changes a Conv2d setting from its default.
type ConvOption func(*convSettings)

type convSettings struct {
	stride, padding, dilation [2]int
	groups                    int
	bias                      bool
}

// Stride sets the step between windows (default 1).
func Stride(s int) ConvOption { return func(c *convSettings) { c.stride = [2]int{s, s} } }

// Padding sets the zero padding on each side (default 0).
func Padding(p int) ConvOption { return func(c *convSettings) { c.padding = [2]int{p, p} } }

// Dilation sets the spacing of the kernel's taps (default 1: adjacent).
func Dilation(d int) ConvOption { return func(c *convSettings) { c.dilation = [2]int{d, d} } }

// Groups splits the channels into g groups (default 1), each output
// channel seeing only the input channels of its group: g equal to the
// input channels makes a depthwise convolution (MobileNet's).
func Groups(g int) ConvOption { return func(c *convSettings) { c.groups = g } }

// NoBias leaves out the bias.
func NoBias() ConvOption { return func(c *convSettings) { c.bias = false } }

// Bias says whether the layer has a bias (default true), as PyTorch's
// bias argument.
func Bias(on bool) ConvOption { return func(c *convSettings) { c.bias = on } }

// NewConv2d returns a convolution from in to out channels with a square
// kernel, initialised as PyTorch does (see ManualSeed).
func NewConv2d(in, out, kernel int, opts ...ConvOption) *Conv2d {
	if in < 1 || out < 1 || kernel < 1 {
		panic(fmt.Sprintf("nn.NewConv2d(%d, %d, %d): sizes must be positive", in, out, kernel))
	}
	s := convSettings{stride: [2]int{1, 1}, dilation: [2]int{1, 1}, groups: 1, bias: true}
	for _, o := range opts {
		o(&s)
	}
	if s.stride[0] < 1 || s.dilation[0] < 1 || s.padding[0] < 0 {
		panic(fmt.Sprintf("nn.NewConv2d(%d, %d, %d): stride %d and dilation %d must be positive, padding %d not negative", in, out, kernel, s.stride[0], s.dilation[0], s.padding[0]))
	}
	if s.groups < 1 || in%s.groups != 0 || out%s.groups != 0 {
		panic(fmt.Sprintf("nn.NewConv2d(%d, %d, %d): %d groups must divide both channel counts", in, out, kernel, s.groups))
	}
	c := &Conv2d{InChannels: in, OutChannels: out, KernelSize: [2]int{kernel, kernel}, Stride: s.stride, Padding: s.padding,
		Dilation: s.dilation, Groups: s.groups}
	c.Init(c, "Conv2d")
	biasLen := 0
	if s.bias {
		biasLen = out
	}
	cin := in / s.groups
	w, b := defaultInit(cin*kernel*kernel, []int{out, cin, kernel, kernel}, biasLen)
	c.Weight = c.AddParameter("weight", w)
	if b != nil {
		c.Bias = c.AddParameter("bias", b)
	}
	return c
}

// options returns the layer's settings for tensor.Conv2dWith, with its
// weight cache in evaluation mode after FoldBatchNorm.
func (c *Conv2d) options() tensor.ConvOptions {
	o := tensor.ConvOptions{Stride: c.Stride, Padding: c.Padding, Dilation: c.Dilation, Groups: c.Groups}
	if !c.Training() {
		o.Cache = c.cache
	}
	return o
}

// Forward convolves x (N×InChannels×H×W).
func (c *Conv2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	w, b := c.weights()
	if c.folded != nil && !c.Training() && c.folded.act != tensor.ActNone {
		o := c.options()
		o.Act = c.folded.act
		return tensor.Conv2dWith(x, w, b, o)
	}
	if c.plain() && c.cache == nil {
		return tensor.Conv2d(x, w, b, c.Stride, c.Padding)
	}
	return tensor.Conv2dWith(x, w, b, c.options())
}

// weights returns the weight and bias Forward uses: those with a batch
// norm folded in, in evaluation mode after FoldBatchNorm, else the
// layer's own.
func (c *Conv2d) weights() (w, b *tensor.Tensor) {
	if c.folded != nil && !c.Training() {
		return c.folded.weight, c.folded.bias
	}
	return c.Weight, c.Bias
}

// plain reports whether the layer has one group and no dilation (a zero
// Dilation or Groups, in a Conv2d built by hand, means 1).
func (c *Conv2d) plain() bool {
	return c.Groups <= 1 && (c.Dilation == [2]int{} || c.Dilation == [2]int{1, 1})
}

// ExtraRepr gives PyTorch's settings string.
func (c *Conv2d) ExtraRepr() string {
	s := fmt.Sprintf("%d, %d, kernel_size=%s, stride=%s", c.InChannels, c.OutChannels, pair(c.KernelSize), pair(c.Stride))
	if c.Padding != [2]int{} {
		s += ", padding=" + pair(c.Padding)
	}
	if c.Dilation != [2]int{} && c.Dilation != [2]int{1, 1} {
		s += ", dilation=" + pair(c.Dilation)
	}
	if c.Groups > 1 {
		s += fmt.Sprintf(", groups=%d", c.Groups)
	}
	if c.Bias == nil {
		s += ", bias=False"
	}
	return s
}

// pair prints a pair as a Python tuple: (5, 5).
func pair(p [2]int) string { return fmt.Sprintf("(%d, %d)", p[0], p[1]) }
