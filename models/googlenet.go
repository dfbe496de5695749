package models

import (
	"fmt"
	"sync/atomic"

	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// GoogLeNet is torchvision's GoogLeNet (Inception v1, Szegedy et al.,
// 2014) with its auxiliary classifiers (aux_logits=True) and without
// transform_input: BasicConv2d stem, nine Inception blocks between ceil-mode
// max poolings, global average pooling, dropout 0.2 and a fully connected
// layer. Its printout, parameter names and state_dict keys are torchvision
// 0.14's.
//
// In training mode Forward also runs Aux1 (on inception4a's output) and
// Aux2 (on inception4d's), whose logits AuxLogits returns and Loss adds to
// the training loss with weight 0.3 each, as the paper and torchvision's
// reference recipe do; in evaluation mode they are skipped, and Forward's
// output is the main logits in both modes.
type GoogLeNet struct {
	nn.Base
	Conv1                                 *BasicConv2d
	MaxPool1                              *nn.MaxPool2d
	Conv2, Conv3                          *BasicConv2d
	MaxPool2                              *nn.MaxPool2d
	Inception3a, Inception3b              *Inception
	MaxPool3                              *nn.MaxPool2d
	Inception4a, Inception4b, Inception4c *Inception
	Inception4d, Inception4e              *Inception
	MaxPool4                              *nn.MaxPool2d
	Inception5a, Inception5b              *Inception
	Aux1, Aux2                            *InceptionAux // nil WithoutAux
	AvgPool                               *nn.AdaptiveAvgPool2d
	Dropout                               *nn.Dropout
	FC                                    *nn.Linear
	// aux holds the last training-mode Forward's main logits and the
	// auxiliary logits that go with them. Forward in evaluation mode
	// leaves it alone, so that several goroutines may run the model at
	// once, as every module of nn allows.
	aux struct{ out, aux1, aux2 *tensor.Tensor }
}

// BasicConv2d is GoogLeNet's convolution: no bias, batch norm with eps
// 0.001, ReLU (applied in Forward, not a child, as torchvision's F.relu).
type BasicConv2d struct {
	nn.Base
	Conv *nn.Conv2d
	BN   *nn.BatchNorm2d
}

// NewBasicConv2d returns a BasicConv2d from in to out channels with a
// square kernel and the given stride and padding.
func NewBasicConv2d(in, out, kernel, stride, padding int) *BasicConv2d {
	b := &BasicConv2d{}
	b.Init(b, "BasicConv2d")
	b.Conv = nn.Add(&b.Base, "conv", nn.NewConv2d(in, out, kernel, nn.Stride(stride), nn.Padding(padding), nn.NoBias()))
	b.BN = nn.Add(&b.Base, "bn", nn.NewBatchNorm2d(out, nn.Eps(0.001)))
	return b
}

// Forward computes relu(bn(conv(x))).
func (b *BasicConv2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return bnReLU(b.BN, b.Conv.Call(x), nil)
}

// convThenPool returns pool(b(x)): in one pass once nn.FoldBatchNorm
// has run (nn.ConvPool).
func convThenPool(b *BasicConv2d, pool *nn.MaxPool2d, x *tensor.Tensor) *tensor.Tensor {
	if y, ok := nn.ConvPool(b.Conv, b.BN, x, tensor.ActReLU, pool, b); ok {
		return y
	}
	return pool.Call(b.Call(x))
}

// Inception is GoogLeNet's block: four branches on the same input whose
// outputs are joined along the channels: a 1×1 convolution (Branch1);
// 1×1 then 3×3 (Branch2); 1×1 then 3×3 again (Branch3: the paper's 5×5,
// which torchvision builds as 3×3); a 3×3 stride-1 max pooling then 1×1
// (Branch4).
type Inception struct {
	nn.Base
	Branch1                   *BasicConv2d
	Branch2, Branch3, Branch4 *nn.Sequential
	// siblings run the 1×1 convolutions of the block's input as one, in
	// inference (reduce): the three, and the two of Branch2 and Branch3
	// alone; each made on first use.
	siblings [2]atomic.Pointer[nn.Siblings]
}

// NewInception returns an Inception block with torchvision's arguments:
// input channels, 1×1 branch width, 3×3 reduction and width, "5×5"
// reduction and width, and pooling projection width. Its output has
// ch1x1+ch3x3+ch5x5+poolProj channels.
func NewInception(in, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, poolProj int) *Inception {
	m := &Inception{}
	m.Init(m, "Inception")
	m.Branch1 = nn.Add(&m.Base, "branch1", NewBasicConv2d(in, ch1x1, 1, 1, 0))
	m.Branch2 = nn.Add(&m.Base, "branch2", nn.NewSequentialOf(NewBasicConv2d(in, ch3x3red, 1, 1, 0), NewBasicConv2d(ch3x3red, ch3x3, 3, 1, 1)))
	m.Branch3 = nn.Add(&m.Base, "branch3", nn.NewSequentialOf(NewBasicConv2d(in, ch5x5red, 1, 1, 0), NewBasicConv2d(ch5x5red, ch5x5, 3, 1, 1)))
	m.Branch4 = nn.Add(&m.Base, "branch4", nn.NewSequentialOf(ceilMaxPool(3, 1, 1), NewBasicConv2d(in, poolProj, 1, 1, 0)))
	return m
}

// Forward joins the four branches' outputs along the channels.
func (m *Inception) Forward(x *tensor.Tensor) *tensor.Tensor {
	if y, ok := m.joined(x, nil); ok {
		return y
	}
	return tensor.Cat([]*tensor.Tensor{m.Branch1.Call(x), m.Branch2.Call(x), m.Branch3.Call(x), m.Branch4.Call(x)}, 1)
}

// joined is Forward for a block prepared for inference (FoldBatchNorm)
// that nothing records, traces or hooks: each branch's last convolution
// writes its channels of the output in place (nn.ConvInto), rather than
// into an output of its own that Cat then copies; the pooling branch pools
// each image as its convolution reads it (nn.MaxPoolConvInto). With after,
// a max pooling, the output is after's of the block's: each branch pools
// its channels as they are computed (nn.ConvPoolInto), and the block's
// own output is never written out. ok is false elsewhere, and nothing is
// computed.
func (m *Inception) joined(x *tensor.Tensor, after *nn.MaxPool2d) (y *tensor.Tensor, ok bool) {
	branches := [4]nn.Module{m.Branch1, m.Branch2, m.Branch3, m.Branch4}
	var last [4]*BasicConv2d
	width := 0
	for i, b := range branches {
		if last[i], ok = b.(*BasicConv2d); !ok {
			// A Sequential's last child.
			if children := b.ModuleBase().Children(); len(children) == 2 {
				last[i], ok = children[1].Module.(*BasicConv2d)
			}
		}
		// With after, the block's own output is never made: no hook on
		// the block or on after may want it.
		watched := []nn.Module{b}
		if after != nil {
			watched = append(watched, m, after)
		}
		if !ok || !nn.FoldedConv(last[i].Conv, last[i].BN, tensor.ActReLU, watched...) {
			return nil, false
		}
		width += last[i].Conv.OutChannels
	}
	shape := x.Shape()
	h, w := shape[2], shape[3]
	if after != nil {
		h, w = after.Pooling().OutputSize(h, w)
	}
	if y, ok = tensor.JoinChannels(x, shape[0], width, h, w); !ok {
		return nil, false
	}
	reduced := m.reduce(x, y, after == nil)
	channel := 0
	for i, b := range branches {
		conv, bn := last[i].Conv, last[i].BN
		switch first := b.ModuleBase().Children()[0].Module; {
		case nn.Module(last[i]) == b:
			if reduced[i] == nil { // else reduce wrote it
				nn.ConvPoolInto(y, channel, conv, bn, x, tensor.ActReLU, after, b)
			}
		case pooled(first, conv, bn, y, channel, x, after, b):
		default: // a Sequential: its first child runs as it is
			in := reduced[i]
			if in == nil {
				in = first.ModuleBase().Call(x)
			}
			nn.ConvPoolInto(y, channel, conv, bn, in, tensor.ActReLU, after, b)
			tensor.Release(in)
		}
		channel += conv.OutChannels
	}
	return y, true
}

// reduce runs the 1×1 convolutions of x, the first stages of Branch2 and
// Branch3 and, with branch1, Branch1, as one (nn.Siblings), which reads x
// once: Branch1 into its channels of y, the others into tensors of their
// own. It returns, for each branch it ran, what that branch's last
// convolution is to read (y itself for Branch1, which is then done); all
// nil where it cannot, and nothing is computed.
func (m *Inception) reduce(x, y *tensor.Tensor, branch1 bool) (reduced [4]*tensor.Tensor) {
	var convs []*nn.Conv2d
	var norms []*nn.BatchNorm2d
	var parts []tensor.ChannelPart
	if branch1 {
		convs, norms = append(convs, m.Branch1.Conv), append(norms, m.Branch1.BN)
		parts = append(parts, tensor.ChannelPart{Dst: y, Channels: m.Branch1.Conv.OutChannels})
	}
	shape := x.Shape()
	for _, b := range []*nn.Sequential{m.Branch2, m.Branch3} {
		var first *BasicConv2d
		if children := b.Children(); len(children) == 2 {
			first, _ = children[0].Module.(*BasicConv2d)
		}
		if first == nil {
			return reduced
		}
		convs, norms = append(convs, first.Conv), append(norms, first.BN)
		parts = append(parts, tensor.ChannelPart{Channels: first.Conv.OutChannels})
	}
	which := &m.siblings[0]
	if !branch1 {
		which = &m.siblings[1]
	}
	s := which.Load()
	if s == nil || !s.Of(convs...) {
		s = nn.NewSiblings(convs, norms)
		which.Store(s)
	}
	mids := parts[len(parts)-2:]
	for i := range mids {
		t, ok := tensor.JoinChannels(x, shape[0], mids[i].Channels, shape[2], shape[3])
		if !ok {
			return reduced
		}
		mids[i].Dst = t
	}
	if !s.Into(x, tensor.ActReLU, parts, m.Branch1, m.Branch2, m.Branch3) {
		tensor.Release(mids[0].Dst)
		tensor.Release(mids[1].Dst)
		return reduced
	}
	if branch1 {
		reduced[0] = y
	}
	reduced[1], reduced[2] = mids[0].Dst, mids[1].Dst
	return reduced
}

// pooled runs the pooling branch, first a max pooling and then conv and
// bn (and after, if not nil), into channels [channel, ...) of y as one
// operation (nn.MaxPoolConvInto), and reports whether it did.
func pooled(first nn.Module, conv *nn.Conv2d, bn *nn.BatchNorm2d, y *tensor.Tensor, channel int, x *tensor.Tensor, after *nn.MaxPool2d, branch nn.Module) bool {
	pool, ok := first.(*nn.MaxPool2d)
	return ok && nn.MaxPoolConvInto(y, channel, pool, conv, bn, x, tensor.ActReLU, after, branch)
}

// thenPool returns after(b(x)): where b joins its branches in place
// (joined), in one pass, each branch pooling its channels as they are
// computed (GoogLeNet's third and seventh blocks and the poolings after
// them).
func thenPool(b *Inception, after *nn.MaxPool2d, x *tensor.Tensor) *tensor.Tensor {
	if y, ok := b.joined(x, after); ok {
		return y
	}
	return after.Call(b.Call(x))
}

// InceptionAux is GoogLeNet's auxiliary classifier: adaptive average
// pooling to 4×4, a 1×1 BasicConv2d to 128 channels, fc1 (2048 to 1024)
// with ReLU, dropout 0.7 and fc2 to the classes.
type InceptionAux struct {
	nn.Base
	Conv     *BasicConv2d
	FC1, FC2 *nn.Linear
	Dropout  *nn.Dropout
}

// NewInceptionAux returns an auxiliary classifier for in channels.
func NewInceptionAux(in, classes int) *InceptionAux {
	m := &InceptionAux{}
	m.Init(m, "InceptionAux")
	m.Conv = nn.Add(&m.Base, "conv", NewBasicConv2d(in, 128, 1, 1, 0))
	m.FC1 = nn.Add(&m.Base, "fc1", nn.NewLinear(2048, 1024))
	m.FC2 = nn.Add(&m.Base, "fc2", nn.NewLinear(1024, classes))
	m.Dropout = nn.Add(&m.Base, "dropout", nn.NewDropout(0.7))
	return m
}

// Forward pools to 4×4, convolves, flattens and classifies.
func (m *InceptionAux) Forward(x *tensor.Tensor) *tensor.Tensor {
	x = m.Conv.Call(tensor.AdaptiveAvgPool2d(x, [2]int{4, 4}))
	x = tensor.ReLU(m.FC1.Call(tensor.Flatten(x)))
	return m.FC2.Call(m.Dropout.Call(x))
}

// checkGoogLeNet says whether GoogLeNet can be built for in: after the
// stem's stride-2 convolution, each of the four ceil-mode max poolings
// must leave at least one pixel, which takes images of at least 15×15
// (torchvision's min_size; MNIST's 28×28 reaches inception5b as 1×1).
func checkGoogLeNet(in Input) error {
	if in.Channels < 1 || in.Classes < 1 {
		return fmt.Errorf("GoogLeNet needs at least one input channel and one class, not %v", in)
	}
	s := (in.Size-1)/2 + 1 // conv1: 7×7, stride 2, padding 3
	for _, p := range [][2]int{{3, 2}, {3, 2}, {3, 2}, {2, 2}} {
		s = ceilPoolOut(s, p[0], p[1], 0)
		if s < 1 {
			return fmt.Errorf("GoogLeNet takes images of at least 15x15 pixels, not %dx%d", in.Size, in.Size)
		}
	}
	return nil
}

// ceilPoolOut is the output size of a ceil-mode pooling of n pixels, as
// PyTorch computes it: a last window must start inside the input or its
// leading padding.
func ceilPoolOut(n, kernel, stride, padding int) int {
	num := n + 2*padding - kernel + stride - 1
	if num < 0 {
		return 0
	}
	out := num/stride + 1
	if (out-1)*stride >= n+padding {
		out--
	}
	return out
}

// GoogLeNetOption changes GoogLeNet from torchvision's defaults for a
// fresh model.
type GoogLeNetOption func(*googLeNetSettings)

type googLeNetSettings struct{ noAux bool }

// WithoutAux builds GoogLeNet without its auxiliary classifiers, as
// torchvision's aux_logits=False (and its pretrained model, whose
// state_dict then has no aux1.* or aux2.* keys): Aux1 and Aux2 are nil and
// the training loss is the main cross-entropy alone.
func WithoutAux() GoogLeNetOption { return func(s *googLeNetSettings) { s.noAux = true } }

// NewGoogLeNet builds GoogLeNet for in (in.Channels input channels, 3 in
// torchvision, and in.Classes outputs for the main and both auxiliary
// classifiers), initialised as torchvision's init_weights=True does:
// convolutions and linear layers N(0, 0.01) (its truncation at ±2 never
// bites at that width), batch norm weight 1 and bias 0; linear biases keep
// PyTorch's default.
func NewGoogLeNet(in Input, opts ...GoogLeNetOption) (*GoogLeNet, error) {
	if err := checkGoogLeNet(in); err != nil {
		return nil, err
	}
	var o googLeNetSettings
	for _, opt := range opts {
		opt(&o)
	}
	m := &GoogLeNet{}
	m.Init(m, "GoogLeNet")
	b := &m.Base
	m.Conv1 = nn.Add(b, "conv1", NewBasicConv2d(in.Channels, 64, 7, 2, 3))
	m.MaxPool1 = nn.Add(b, "maxpool1", ceilMaxPool(3, 2, 0))
	m.Conv2 = nn.Add(b, "conv2", NewBasicConv2d(64, 64, 1, 1, 0))
	m.Conv3 = nn.Add(b, "conv3", NewBasicConv2d(64, 192, 3, 1, 1))
	m.MaxPool2 = nn.Add(b, "maxpool2", ceilMaxPool(3, 2, 0))
	m.Inception3a = nn.Add(b, "inception3a", NewInception(192, 64, 96, 128, 16, 32, 32))
	m.Inception3b = nn.Add(b, "inception3b", NewInception(256, 128, 128, 192, 32, 96, 64))
	m.MaxPool3 = nn.Add(b, "maxpool3", ceilMaxPool(3, 2, 0))
	m.Inception4a = nn.Add(b, "inception4a", NewInception(480, 192, 96, 208, 16, 48, 64))
	m.Inception4b = nn.Add(b, "inception4b", NewInception(512, 160, 112, 224, 24, 64, 64))
	m.Inception4c = nn.Add(b, "inception4c", NewInception(512, 128, 128, 256, 24, 64, 64))
	m.Inception4d = nn.Add(b, "inception4d", NewInception(512, 112, 144, 288, 32, 64, 64))
	m.Inception4e = nn.Add(b, "inception4e", NewInception(528, 256, 160, 320, 32, 128, 128))
	m.MaxPool4 = nn.Add(b, "maxpool4", ceilMaxPool(2, 2, 0))
	m.Inception5a = nn.Add(b, "inception5a", NewInception(832, 256, 160, 320, 32, 128, 128))
	m.Inception5b = nn.Add(b, "inception5b", NewInception(832, 384, 192, 384, 48, 128, 128))
	if !o.noAux {
		m.Aux1 = nn.Add(b, "aux1", NewInceptionAux(512, in.Classes))
		m.Aux2 = nn.Add(b, "aux2", NewInceptionAux(528, in.Classes))
	}
	m.AvgPool = nn.Add(b, "avgpool", nn.NewAdaptiveAvgPool2d(1, 1))
	m.Dropout = nn.Add(b, "dropout", nn.NewDropout(0.2))
	m.FC = nn.Add(b, "fc", nn.NewLinear(1024, in.Classes))
	for _, c := range m.NamedModules() {
		switch l := c.Module.(type) {
		case *nn.Conv2d:
			nn.Normal(l.Weight, 0, 0.01)
		case *nn.Linear:
			nn.Normal(l.Weight, 0, 0.01)
		case *nn.BatchNorm2d:
			nn.Constant(l.Weight, 1)
			nn.Constant(l.Bias, 0)
		}
	}
	return m, nil
}

// Forward returns the main logits. In training mode it also computes the
// auxiliary classifiers' logits, which AuxLogits then returns and Loss
// adds.
func (m *GoogLeNet) Forward(x *tensor.Tensor) *tensor.Tensor {
	training := m.Training() && m.Aux1 != nil
	x = convThenPool(m.Conv1, m.MaxPool1, x)
	x = convThenPool(m.Conv3, m.MaxPool2, m.Conv2.Call(x))
	x = thenPool(m.Inception3b, m.MaxPool3, m.Inception3a.Call(x))
	x = m.Inception4a.Call(x)
	var aux1, aux2 *tensor.Tensor
	if training {
		aux1 = m.Aux1.Call(x)
	}
	x = m.Inception4d.Call(m.Inception4c.Call(m.Inception4b.Call(x)))
	if training {
		aux2 = m.Aux2.Call(x)
	}
	x = thenPool(m.Inception4e, m.MaxPool4, x)
	x = m.Inception5b.Call(m.Inception5a.Call(x))
	out := m.FC.Call(m.Dropout.Call(tensor.Flatten(m.AvgPool.Call(x))))
	if training {
		m.aux.out, m.aux.aux1, m.aux.aux2 = out, aux1, aux2
	}
	return out
}

// AuxLogits returns the auxiliary classifiers' logits of the last Forward
// in training mode (aux1 after inception4a, aux2 after inception4d), nils
// before any. torchvision returns them with the main logits, as
// GoogLeNetOutputs, from a forward in training mode.
func (m *GoogLeNet) AuxLogits() (aux1, aux2 *tensor.Tensor) { return m.aux.aux1, m.aux.aux2 }

// GoogLeNetAuxWeight is the weight of each auxiliary classifier's loss in GoogLeNet.Loss.
const GoogLeNetAuxWeight = 0.3

// Loss returns GoogLeNet's loss for the logits out: in training mode, for
// the output of the last Forward, CrossEntropy(out) +
// 0.3·(CrossEntropy(aux1) + CrossEntropy(aux2)); otherwise (evaluation,
// or logits from elsewhere) CrossEntropy(out) alone. It implements
// nn.Losser.
func (m *GoogLeNet) Loss(out *tensor.Tensor, targets []int) *tensor.Tensor {
	loss := tensor.CrossEntropy(out, targets)
	if !m.Training() || out != m.aux.out || m.aux.aux1 == nil {
		return loss
	}
	aux := tensor.Add(tensor.CrossEntropy(m.aux.aux1, targets), tensor.CrossEntropy(m.aux.aux2, targets))
	return tensor.Add(loss, tensor.MulScalar(aux, GoogLeNetAuxWeight))
}

// ceilMaxPool is nn.MaxPool2d with ceil_mode=True.
func ceilMaxPool(kernel, stride, padding int) *nn.MaxPool2d {
	return nn.NewMaxPool2d(kernel, stride, padding, nn.CeilMode())
}
