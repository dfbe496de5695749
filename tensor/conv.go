package tensor

import (
	"fmt"
	"runtime"
	"slices"

	"github.com/convnet/convnet/internal/kernels"
)

// Conv2d returns the 2-D convolution (cross-correlation, as in PyTorch) of
// x (N×C×H×W) with weight (K×C×R×S), plus bias (K, or nil), with the given
// stride and zero padding as (height, width) pairs. The result is
// N×K×OH×OW with OH = (H+2*padding[0]-R)/stride[0]+1, and OW likewise.
// Conv2dWith takes groups and dilation too.
func Conv2d(x, weight, bias *Tensor, stride, padding [2]int) *Tensor {
	checkStride("Conv2d", stride)
	return conv2d(x, weight, bias, ConvOptions{Stride: stride, Padding: padding})
}

// Conv2dAct returns act(Conv2d(x, weight, bias, stride, padding)),
// applying act to each image's output while it is in cache rather than in
// a second pass over memory. The graph it records is the two operations',
// so that gradients are those of Conv2d followed by ReLU or Tanh; the
// convolution's own output, which neither backward reads, is never
// stored.
func Conv2dAct(x, weight, bias *Tensor, stride, padding [2]int, act Activation) *Tensor {
	checkStride("Conv2dAct", stride)
	return conv2d(x, weight, bias, ConvOptions{Stride: stride, Padding: padding, Act: act})
}

// Conv2dActPool returns pool(Conv2dAct(x, weight, bias, stride, padding,
// act)), pooling each image's activated output while it is in cache. The
// graph it records is the operations', as Conv2dAct's followed by
// AvgPool2d's or MaxPool2d's (Pool2d's, with every option of Pooling);
// when nothing is recorded (NoGrad), the activated output is never kept.
func Conv2dActPool(x, weight, bias *Tensor, stride, padding [2]int, act Activation, pool Pooling) *Tensor {
	checkStride("Conv2dActPool", stride)
	return conv2d(x, weight, bias, ConvOptions{Stride: stride, Padding: padding, Act: act, Pool: &pool})
}

// ConvOptions are a convolution's settings, as the arguments of PyTorch's
// torch.nn.functional.conv2d after the tensors, and what Conv2dWith does
// to its output in the same pass.
type ConvOptions struct {
	// Stride is the step between windows (zero: 1), Padding the zeros
	// added on each side, Dilation the spacing of the kernel's taps
	// (zero: 1), all as (height, width).
	Stride, Padding, Dilation [2]int
	// Groups splits the channels (zero: 1): the weight is
	// K×(C/Groups)×R×S, and output channels [g*K/Groups, (g+1)*K/Groups)
	// see only input channels [g*C/Groups, (g+1)*C/Groups). Groups == C
	// is a depthwise convolution, which has a kernel of its own.
	Groups int
	// Act is applied to the output, as Conv2dAct does (ActNone: none).
	Act Activation
	// Pool, if not nil, pools the activated output, as Conv2dActPool.
	Pool *Pooling
	// Cache, if not nil, keeps the weight's packed and transformed forms
	// from one call to the next where nothing is recorded (inference):
	// the caller guarantees the weight does not change while it passes
	// the same cache (see WeightCache).
	Cache *WeightCache
}

// WeightCache holds a convolution's weight in the forms its kernels use
// (packed panels, Winograd transforms, bf16 pairs), made on the first
// inference call and reused after: for a weight that does not change
// while the cache is in use, as a model prepared for inference
// (nn.FoldBatchNorm). It is safe for concurrent use. Drop it (and make a
// new one) when the weight changes; what it holds is freed once it is
// unreachable.
type WeightCache struct{ id kernels.WeightCacheID }

// Drop frees what the cache holds, at once rather than once the cache is
// unreachable; a call that passes the cache after that packs the weight
// anew each time, keeping nothing.
func (c *WeightCache) Drop() { kernels.DropWeightCache(c.id) }

// NewWeightCache returns an empty cache.
func NewWeightCache() *WeightCache {
	c := &WeightCache{id: kernels.NewWeightCache()}
	runtime.AddCleanup(c, kernels.DropWeightCache, c.id)
	return c
}

// Conv2dWith returns the convolution of x (N×C×H×W) with weight
// (K×(C/Groups)×R×S), plus bias (K, or nil), with the settings of o:
// Conv2d with groups and dilation, and the activation and pooling of
// Conv2dActPool. The result is N×K×OH×OW with
// OH = (H+2*Padding[0]-Dilation[0]*(R-1)-1)/Stride[0]+1, and OW likewise
// (before the pooling).
func Conv2dWith(x, weight, bias *Tensor, o ConvOptions) *Tensor {
	return conv2d(x, weight, bias, o)
}

// conv2d is Conv2dWith.
func conv2d(x, weight, bias *Tensor, o ConvOptions) *Tensor {
	p := convShape(x, weight, bias, o)
	p.Act = o.Act.kernel()
	act, pool := o.Act, o.Pool
	shape := []int{p.N, p.K, p.OutH(), p.OutW()}
	var b []float32
	if bias != nil {
		b = bias.data
	}
	s := scopeOf(x, weight, bias)
	p.BF16 = s.bf16()
	rec := s.recording(x, weight, bias)
	if o.Cache != nil && !rec {
		p.Cache = o.Cache.id
	}
	// When backward will run, keep the patch matrix it needs, unless that
	// would take too much memory (then backward recomputes it).
	var cols []float32
	if rec && p.ColsSize() <= maxKeptCols {
		cols = s.scratch(p.ColsSize())
	}
	var out, y *Tensor // the result; the activation's output
	var pp kernels.Pool
	var argmax []int32
	if pool == nil {
		out = s.empty(shape...)
		y = out
		kernels.Conv2d(p, x.data, weight.data, b, out.data, cols)
	} else {
		pp = poolShape(pool.name(), shape, *pool)
		out = s.empty(pp.N, pp.C, pp.OutH(), pp.OutW())
		var yData []float32 // nil: not kept, unless backward reads it
		if rec {
			y = s.empty(shape...)
			yData = y.data
		}
		if pool.Max && (rec || !kernels.MaxPoolWithoutIndex(pp)) {
			argmax = s.scratchInt32(out.Numel())
		}
		kernels.Conv2dPool(p, pp, pool.Max, x.data, weight.data, b, yData, cols, out.data, argmax)
	}
	if s.tracing() {
		s.traceOp("Conv2d", normConvOptions(o), out, x, weight, bias)
	}
	// A ReLU's outputs, pooled or not, are never negative: a ReLU of them
	// changes nothing (see ReLU).
	out.nonNegative = act == ActReLU
	if !rec {
		return out
	}
	conv := y
	if act != ActNone {
		conv = s.shell(shape)
	}
	if n := recordNode(conv, readsInputs, conv2dBackward, x, weight, bias); n != nil {
		n.conv, n.buf, n.kind = p, cols, opConv2d
	}
	if act != ActNone {
		recordActivation(y, act, conv)
	}
	if pool != nil {
		recordPool(out, y, pool.Max, pp, argmax)
		if act == ActNone {
			// No backward reads a pooled convolution's output: give its
			// storage back, as Sequential would have.
			Release(y)
		}
	}
	return out
}

// Conv2dAdd returns act(Conv2dWith(x, weight, bias, o without its Act) +
// residual), o.Act being act: a residual block's end (ResNet's shortcut
// and ReLU), residual of the convolution's output shape. Where nothing is
// recorded or traced, the residual is added and the activation applied in
// the convolution's own pass, while each image's output is in cache;
// otherwise the graph is Conv2d's, Add's and the activation's. o may have
// no Pool.
func Conv2dAdd(x, weight, bias, residual *Tensor, o ConvOptions) *Tensor {
	p := convShape(x, weight, bias, o)
	shape := []int{p.N, p.K, p.OutH(), p.OutW()}
	if o.Pool != nil {
		panic("tensor.Conv2dAdd: a pooling is not supported")
	}
	if !slices.Equal(residual.shape, shape) {
		panic(fmt.Sprintf("tensor.Conv2dAdd: residual %v does not match the output %v", residual.shape, shape))
	}
	s := scopeOf(x, weight, residual)
	if s.recording(x, weight, bias, residual) || s.tracing() {
		plain := o
		plain.Act = ActNone
		return o.Act.Apply(Add(conv2d(x, weight, bias, plain), residual))
	}
	p, b := o.unrecorded(p, s, bias)
	out := s.empty(shape...)
	kernels.Conv2dResidual(p, x.data, weight.data, b, residual.data, out.data)
	out.nonNegative = o.Act == ActReLU
	return out
}

// Conv2dInto computes Conv2dWith(x, weight, bias, o) into channels
// [channel, channel+K) of dst, a tensor of JoinChannels with the
// convolution's batch and output size (pooled, with a Pool), in place. A
// Pool must be a max pooling: each channel is pooled as it is computed,
// and the convolution's output is not kept (GoogLeNet's Inception block
// and the pooling after it).
func Conv2dInto(dst *Tensor, channel int, x, weight, bias *Tensor, o ConvOptions) {
	p, pool, b, y, stride := convInto("Conv2dInto", dst, channel, x, x.shape, weight, bias, o)
	if pool != nil {
		kernels.Conv2dPoolStrided(p, *pool, x.data, weight.data, b, y, stride)
		return
	}
	kernels.Conv2dStrided(p, x.data, weight.data, b, y, stride)
}

// MaxPoolConv2dInto is Conv2dInto of Pool2d(x, pool), pool a max pooling
// (GoogLeNet's fourth Inception branch): where the kernels can, each
// image is pooled as the convolution reads it, and the pooled batch is
// never written out (kernels.Conv2dPooledInput).
func MaxPoolConv2dInto(dst *Tensor, channel int, x *Tensor, pool Pooling, weight, bias *Tensor, o ConvOptions) {
	if !pool.Max {
		panic("tensor.MaxPoolConv2dInto: the pooling is not a max pooling")
	}
	pp := poolShape("MaxPoolConv2dInto", x.shape, pool)
	p, after, b, y, stride := convInto("MaxPoolConv2dInto", dst, channel, x, []int{pp.N, pp.C, pp.OutH(), pp.OutW()}, weight, bias, o)
	if after != nil {
		kernels.Conv2dPooledInputPool(p, pp, *after, x.data, weight.data, b, y, stride)
		return
	}
	kernels.Conv2dPooledInput(p, pp, x.data, weight.data, b, y, stride)
}

// ChannelPart is channels [Channel, Channel+Channels) of Dst, a tensor of
// the batch and output size of a convolution (Conv2dParts).
type ChannelPart struct {
	Dst               *Tensor
	Channel, Channels int
}

// Conv2dParts computes Conv2dWith(x, weight, bias, o) into parts, in
// place: the output's channels in order, each part taking the next
// Channels of them (their sum is weight's first dimension). It is for
// several convolutions of one input whose weights are stacked into one
// (GoogLeNet's Inception block's three 1×1 convolutions): the input is
// read once, and each convolution's output goes to its own tensor, or to
// its channels of a JoinChannels tensor, with no copy. o.Pool must be
// nil, and nothing may record or trace the convolution.
func Conv2dParts(x, weight, bias *Tensor, o ConvOptions, parts []ChannelPart) {
	if o.Pool != nil {
		panic("tensor.Conv2dParts: a pooling after the convolution")
	}
	p := convShapeOf(x.shape, weight, bias, o)
	oh, ow := p.OutH(), p.OutW()
	out := make([]kernels.OutPart, len(parts))
	total := 0
	for i, part := range parts {
		if part.Dst == nil || part.Channels < 1 {
			panic(fmt.Sprintf("tensor.Conv2dParts: part %d has no tensor or no channels", i))
		}
		y, stride := channelsOf("Conv2dParts", part.Dst, part.Channel, part.Channels, p.N, oh, ow, p.K)
		out[i] = kernels.OutPart{Channels: part.Channels, Y: y, Stride: stride}
		total += part.Channels
	}
	if total != p.K {
		panic(fmt.Sprintf("tensor.Conv2dParts: parts of %d channels for an output of %d", total, p.K))
	}
	p, b := o.inPlace("Conv2dParts", "Split", p, x, weight, bias)
	kernels.Conv2dParts(p, x.data, weight.data, b, out)
	if o.Act == ActReLU {
		for _, part := range parts {
			if part.Channel == 0 && part.Channels == part.Dst.shape[1] {
				part.Dst.nonNegative = true
			}
		}
	}
}

// convInto checks Conv2dInto's arguments, the convolution's input being
// of shape in (x's own, or its pooling's), and returns the convolution,
// o's pooling of its output if any, the bias's data, and where the output
// goes: dst's data from channel on, images stride apart.
func convInto(op string, dst *Tensor, channel int, x *Tensor, in []int, weight, bias *Tensor, o ConvOptions) (p kernels.Conv, pool *kernels.Pool, b, y []float32, stride int) {
	p = convShapeOf(in, weight, bias, o)
	oh, ow := p.OutH(), p.OutW()
	if o.Pool != nil {
		if !o.Pool.Max {
			panic(fmt.Sprintf("tensor.%s: a pooling after the convolution must be a max pooling", op))
		}
		pp := poolShape(op, []int{p.N, p.K, oh, ow}, *o.Pool)
		pool = &pp
		oh, ow = pp.OutH(), pp.OutW()
	}
	y, stride = channelsOf(op, dst, channel, p.K, p.N, oh, ow, p.K)
	p, b = o.inPlace(op, "Cat (see JoinChannels)", p, x, weight, bias)
	return p, pool, b, y, stride
}

// channelsOf checks that channels [channel, channel+k) of dst, a tensor
// of n images of oh×ow, can hold k channels of a convolution's output of
// outK, and returns where they go: dst's data from channel on, images
// stride apart.
func channelsOf(op string, dst *Tensor, channel, k, n, oh, ow, outK int) (y []float32, stride int) {
	if dst.Dim() != 4 || dst.shape[0] != n || dst.shape[2] != oh || dst.shape[3] != ow || channel < 0 || channel+k > dst.shape[1] {
		panic(fmt.Sprintf("tensor.%s: channels %d to %d of %v cannot hold the output [%d %d %d %d]", op, channel, channel+k, dst.shape, n, outK, oh, ow))
	}
	return dst.data[channel*oh*ow:], dst.shape[1] * oh * ow
}

// inPlace is unrecorded for an operation that writes into tensors it did
// not make: it panics where x's scope records or traces the convolution,
// naming instead, the operations to use then.
func (o ConvOptions) inPlace(op, instead string, p kernels.Conv, x, weight, bias *Tensor) (kernels.Conv, []float32) {
	s := scopeOf(x, weight, bias)
	if s.recording(x, weight, bias) || s.tracing() {
		panic(fmt.Sprintf("tensor.%s: the convolution is recorded or traced: use Conv2dWith and %s", op, instead))
	}
	return o.unrecorded(p, s, bias)
}

// unrecorded completes p for a convolution in s that nothing records:
// o's activation, s's precision and o's weight cache; and returns the
// bias's data (nil for none).
func (o ConvOptions) unrecorded(p kernels.Conv, s *Scope, bias *Tensor) (kernels.Conv, []float32) {
	p.Act, p.BF16 = o.Act.kernel(), s.bf16()
	if o.Cache != nil {
		p.Cache = o.Cache.id
	}
	if bias == nil {
		return p, nil
	}
	return p, bias.data
}

func conv2dBackward(n *node, g []float32) {
	dx, dxAdd, dw, db := convGrads(n)
	kernels.Conv2dBackward(n.conv, n.ins[0].data, n.ins[1].data, g, dx, dxAdd, dw, db, n.buf)
}

// convGrads returns where a convolution node's backward puts its
// gradients: of its input (added to, with dxAdd, or stored), weight and
// bias (nil where there is none).
func convGrads(n *node) (dx []float32, dxAdd bool, dw, db []float32) {
	x, weight, bias := n.ins[0], n.ins[1], n.ins[2]
	if bias != nil {
		db = gradData(bias)
	}
	dx, fresh := gradOut(x)
	return dx, !fresh, gradData(weight), db
}

// maxKeptCols bounds the patch matrix Conv2d keeps for backward (64 MiB).
const maxKeptCols = 16 << 20

// checkStride panics unless both strides are positive: the functions
// that take a stride argument have no default for it.
func checkStride(op string, stride [2]int) {
	if stride[0] < 1 || stride[1] < 1 {
		panic(fmt.Sprintf("tensor.%s: stride %v must be positive", op, stride))
	}
}

// orOne is n, or 1 for zero: the default of a stride, dilation or group
// count.
func orOne(n int) int {
	if n == 0 {
		return 1
	}
	return n
}

// convShape checks a convolution's operands and returns its sizes.
func convShape(x, w, b *Tensor, o ConvOptions) kernels.Conv { return convShapeOf(x.shape, w, b, o) }

// convShapeOf is convShape for an input of shape in.
func convShapeOf(in []int, w, b *Tensor, o ConvOptions) kernels.Conv {
	if len(in) != 4 || w.Dim() != 4 {
		panic(fmt.Sprintf("tensor.Conv2d: input %v and weight %v must both be 4-D", slices.Clone(in), w.shape))
	}
	stride := [2]int{orOne(o.Stride[0]), orOne(o.Stride[1])}
	dil := [2]int{orOne(o.Dilation[0]), orOne(o.Dilation[1])}
	groups, padding := orOne(o.Groups), o.Padding
	if stride[0] < 1 || stride[1] < 1 || padding[0] < 0 || padding[1] < 0 || dil[0] < 1 || dil[1] < 1 {
		panic(fmt.Sprintf("tensor.Conv2d: stride %v and dilation %v must be positive and padding %v not negative", stride, dil, padding))
	}
	if groups < 1 || in[1]%groups != 0 || w.shape[0]%groups != 0 {
		panic(fmt.Sprintf("tensor.Conv2d: %d groups must divide the input's %d channels and the weight's %d", groups, in[1], w.shape[0]))
	}
	if in[1] != w.shape[1]*groups {
		if groups == 1 {
			panic(fmt.Sprintf("tensor.Conv2d: input %v has %d channels, weight %v expects %d", slices.Clone(in), in[1], w.shape, w.shape[1]))
		}
		panic(fmt.Sprintf("tensor.Conv2d: input %v has %d channels, weight %v expects %d in each of %d groups", slices.Clone(in), in[1], w.shape, w.shape[1], groups))
	}
	if b != nil && (b.Dim() != 1 || b.shape[0] != w.shape[0]) {
		panic(fmt.Sprintf("tensor.Conv2d: bias %v does not match weight %v", b.shape, w.shape))
	}
	p := kernels.Conv{
		N: in[0], C: in[1], H: in[2], W: in[3],
		K: w.shape[0], R: w.shape[2], S: w.shape[3],
		StrideH: stride[0], StrideW: stride[1], PadH: padding[0], PadW: padding[1],
	}
	if dil != [2]int{1, 1} {
		p.DilH, p.DilW = dil[0], dil[1]
	}
	if groups > 1 {
		p.Groups = groups
	}
	if rh, rw := dil[0]*(p.R-1)+1, dil[1]*(p.S-1)+1; p.H+2*p.PadH < rh || p.W+2*p.PadW < rw {
		if dil == [2]int{1, 1} {
			panic(fmt.Sprintf("tensor.Conv2d: kernel %dx%d is larger than the padded input %dx%d", p.R, p.S, p.H+2*p.PadH, p.W+2*p.PadW))
		}
		panic(fmt.Sprintf("tensor.Conv2d: kernel %dx%d dilated by %v (%dx%d) is larger than the padded input %dx%d", p.R, p.S, dil, rh, rw, p.H+2*p.PadH, p.W+2*p.PadW))
	}
	return p
}
