package nn

import (
	"fmt"
	"math"
	"slices"

	"github.com/convnet/convnet/tensor"
)

// FoldBatchNorm prepares m for inference as torch.fx's fuse pass does:
// each BatchNorm2d that directly follows a Conv2d, with nothing else
// reading the convolution's output, is folded into it. In evaluation
// mode the convolution then runs with its weights scaled and its bias
// shifted by the batch norm's statistics, and the batch norm passes its
// input through: one pass over memory fewer, the same outputs up to
// rounding. A ReLU that alone reads the batch norm's output runs in the
// convolution's pass too.
//
// It also calls CacheWeights.
//
// The pairs are found by tracing one evaluation-mode forward pass on
// example (N×C×H×W); m is left in evaluation mode. It returns how many
// batch norms were folded. The folding and the caches hold while the
// weights and statistics do: Train (on m or the layers) undoes them, and
// so must a caller that changes them in evaluation mode (FoldBatchNorm
// again after loading new weights). Forward hooks on a folded batch norm
// see its input.
func FoldBatchNorm(m Module, example *tensor.Tensor) (int, error) {
	base := m.ModuleBase()
	base.Train() // unfolds what an earlier call folded
	base.Eval()
	rec := &opRecorder{}
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Tracer: rec})
	if err := catchPanic(func() { base.Call(s.Input(example)) }); err != nil {
		return 0, fmt.Errorf("nn.FoldBatchNorm: the forward pass: %v", err)
	}
	convs, norms := map[*tensor.Tensor]*Conv2d{}, map[*tensor.Tensor]*BatchNorm2d{}
	for _, c := range base.NamedModules() {
		switch l := c.Module.(type) {
		case *Conv2d:
			convs[l.Weight] = l
		case *BatchNorm2d:
			if l.RunningMean != nil {
				norms[l.RunningMean] = l
			}
		}
	}
	uses, calls := map[*tensor.Tensor]int{}, map[any]int{}
	producer, consumer := map[*tensor.Tensor]tensor.Op{}, map[*tensor.Tensor]tensor.Op{}
	for _, op := range rec.ops {
		for _, in := range op.Inputs {
			uses[in]++
			consumer[in] = op
		}
		for _, out := range op.Outputs {
			producer[out] = op
		}
		switch op.Name {
		case "Conv2d":
			calls[convs[op.Inputs[1]]]++
		case "BatchNorm2d":
			calls[norms[op.Inputs[3]]]++
		}
	}
	CacheWeights(m)
	folded := 0
	for _, op := range rec.ops {
		if op.Name != "BatchNorm2d" || op.Inputs[3] == nil {
			continue
		}
		bn := norms[op.Inputs[3]]
		conv, ok := producer[op.Inputs[0]]
		if bn == nil || !ok || conv.Name != "Conv2d" || uses[op.Inputs[0]] != 1 || calls[bn] != 1 {
			continue
		}
		o := conv.Attrs.(tensor.ConvOptions)
		c := convs[conv.Inputs[1]]
		if c == nil || calls[c] != 1 || o.Act != tensor.ActNone || o.Pool != nil || c.folded != nil {
			continue
		}
		c.folded = foldInto(c, bn)
		if next, ok := consumer[op.Outputs[0]]; ok && next.Name == "ReLU" && uses[op.Outputs[0]] == 1 {
			// The ReLU after the batch norm runs in the convolution's
			// pass; the ReLU layer then finds nothing to do (tensor.ReLU).
			c.folded.act = tensor.ActReLU
		}
		bn.folded = true
		folded++
	}
	return folded, nil
}

// CacheWeights makes every convolution and linear layer of m keep, from
// its next evaluation-mode call on, its weights in the forms its kernels
// use (packed panels, Winograd transforms, bf16 pairs:
// tensor.WeightCache), rather than make them anew each call, as ONNX
// Runtime prepacks its weights. (A linear layer's form is for bf16 at
// small batches; in fp32 it reads its weight as it lies.) The caches hold while the weights do: Train (on m or the
// layers) drops them, and so must a caller that changes the weights in
// evaluation mode (CacheWeights again after loading new weights).
//
// A module of another package with convolutions of its own (an imported
// ONNX graph) takes part by implementing WeightCacher.
func CacheWeights(m Module) {
	for _, c := range m.ModuleBase().NamedModules() {
		switch l := c.Module.(type) {
		case *Conv2d:
			if l.cache != nil {
				l.cache.Drop()
			}
			l.cache = tensor.NewWeightCache()
		case *Linear:
			if l.cache != nil {
				l.cache.Drop()
			}
			l.cache = tensor.NewWeightCache()
		case WeightCacher:
			l.CacheWeights()
		}
	}
}

// WeightCacher is a module that can keep its convolutions' weights as
// CacheWeights does: CacheWeights makes it start, and the module drops
// the caches itself once it trains.
type WeightCacher interface{ CacheWeights() }

// ConvAdd returns act(bn(conv(x)) + residual), a residual block's end, as
// one operation where FoldBatchNorm has made that possible: in evaluation
// mode, with bn folded into conv, and with no forward hook on conv, bn or
// after (the activation's layer), which would each see their own output.
// Then the residual is added and the activation applied in the
// convolution's pass (tensor.Conv2dAdd). ok is false elsewhere, and the
// caller runs its layers.
func ConvAdd(conv *Conv2d, bn *BatchNorm2d, x, residual *tensor.Tensor, act tensor.Activation, after Module) (y *tensor.Tensor, ok bool) {
	if conv.Training() || conv.folded == nil || conv.folded.act != tensor.ActNone || !bn.folded ||
		len(conv.hooks) > 0 || len(bn.hooks) > 0 || len(after.ModuleBase().hooks) > 0 {
		return nil, false
	}
	o := conv.options()
	o.Act = act
	return tensor.Conv2dAdd(x, conv.folded.weight, conv.folded.bias, residual, o), true
}

// ConvPool returns pool(act(bn(conv(x)))), a stem's convolution and the
// max pooling after it (ResNet's, GoogLeNet's), as one operation where
// FoldBatchNorm has made that possible: in evaluation mode, with bn folded
// into conv and act the activation folded with it, and with no forward
// hook on conv, bn, pool or inside the modules of skipped (the
// activation's layer, a block that holds the convolution), which would
// each see their own output. Then each channel of each image is pooled
// as soon as it is computed, while it is in cache (tensor.Conv2dWith
// with a Pool), and the convolution's output is not kept. ok is false
// elsewhere, and the caller runs its layers.
func ConvPool(conv *Conv2d, bn *BatchNorm2d, x *tensor.Tensor, act tensor.Activation, pool *MaxPool2d, skipped ...Module) (y *tensor.Tensor, ok bool) {
	if !FoldedConv(conv, bn, act, append(slices.Clip(skipped), pool)...) {
		return nil, false
	}
	o := conv.options()
	o.Act = act
	pooling := pool.Pooling()
	o.Pool = &pooling
	return tensor.Conv2dWith(x, conv.folded.weight, conv.folded.bias, o), true
}

// FoldedConv reports whether act(bn(conv(x))) runs as one operation that
// no hook watches: in evaluation mode, with bn folded into conv
// (FoldBatchNorm) and act the activation folded with it, and with no
// forward hook on conv, bn or inside the modules of skipped (the
// activation's layer, blocks that hold the convolution), which would each
// see their own output.
func FoldedConv(conv *Conv2d, bn *BatchNorm2d, act tensor.Activation, skipped ...Module) bool {
	return !conv.Training() && conv.folded != nil && conv.folded.act == act && bn.folded &&
		len(conv.hooks) == 0 && len(bn.hooks) == 0 && !slices.ContainsFunc(skipped, hooked)
}

// ConvInto computes act(bn(conv(x))) into channels [channel, channel+K)
// of dst, a tensor of tensor.JoinChannels, in place (tensor.Conv2dInto),
// where FoldedConv(conv, bn, act, skipped...) holds; it reports whether it
// did.
func ConvInto(dst *tensor.Tensor, channel int, conv *Conv2d, bn *BatchNorm2d, x *tensor.Tensor, act tensor.Activation, skipped ...Module) bool {
	return convInto(dst, channel, nil, conv, bn, x, act, nil, skipped)
}

// ConvPoolInto is ConvInto followed by after, a max pooling, each channel
// pooled as it is computed (GoogLeNet's Inception block and the pooling
// after it): dst holds the pooled output, and the convolution's is never
// written out. A hook on after leaves it to the caller too.
func ConvPoolInto(dst *tensor.Tensor, channel int, conv *Conv2d, bn *BatchNorm2d, x *tensor.Tensor, act tensor.Activation, after *MaxPool2d, skipped ...Module) bool {
	return convInto(dst, channel, nil, conv, bn, x, act, after, skipped)
}

// MaxPoolConvInto is ConvInto of pool(x), a max pooling then the
// convolution (GoogLeNet's fourth Inception branch), in one pass where the
// kernels can (tensor.MaxPoolConv2dInto): the pooled batch is never
// written out. after, if not nil, pools the output as ConvPoolInto does.
// A hook on either pooling, or inside skipped, leaves it to the caller, as
// one on conv or bn does.
func MaxPoolConvInto(dst *tensor.Tensor, channel int, pool *MaxPool2d, conv *Conv2d, bn *BatchNorm2d, x *tensor.Tensor, act tensor.Activation, after *MaxPool2d, skipped ...Module) bool {
	return convInto(dst, channel, pool, conv, bn, x, act, after, skipped)
}

// convInto is ConvInto with a max pooling before the convolution (pool)
// and one after (after), either nil for none.
func convInto(dst *tensor.Tensor, channel int, pool *MaxPool2d, conv *Conv2d, bn *BatchNorm2d, x *tensor.Tensor, act tensor.Activation, after *MaxPool2d, skipped []Module) bool {
	watched := slices.Clip(skipped)
	for _, p := range []*MaxPool2d{pool, after} {
		if p != nil {
			watched = append(watched, p)
		}
	}
	if !FoldedConv(conv, bn, act, watched...) {
		return false
	}
	o := conv.options()
	o.Act = act
	if after != nil {
		pooling := after.Pooling()
		o.Pool = &pooling
	}
	if pool != nil {
		tensor.MaxPoolConv2dInto(dst, channel, x, pool.Pooling(), conv.folded.weight, conv.folded.bias, o)
	} else {
		tensor.Conv2dInto(dst, channel, x, conv.folded.weight, conv.folded.bias, o)
	}
	return true
}

// convFold is a convolution's weights with a batch norm folded in, and
// the activation after the batch norm, if it runs in the same pass.
type convFold struct {
	weight, bias *tensor.Tensor
	act          tensor.Activation
}

// foldInto returns c's weights with bn folded in: each output channel k
// scaled by γ/√(σ²+ε) and shifted by β - μ·γ/√(σ²+ε).
func foldInto(c *Conv2d, bn *BatchNorm2d) *convFold {
	k := c.OutChannels
	w := c.Weight.Clone()
	bias := make([]float32, k)
	per := w.Numel() / k
	for ch := 0; ch < k; ch++ {
		gamma, beta := 1.0, 0.0
		if bn.Weight != nil {
			gamma, beta = float64(bn.Weight.Data()[ch]), float64(bn.Bias.Data()[ch])
		}
		scale := gamma / math.Sqrt(float64(bn.RunningVar.Data()[ch])+bn.Eps)
		shift := beta - float64(bn.RunningMean.Data()[ch])*scale
		if c.Bias != nil {
			shift += float64(c.Bias.Data()[ch]) * scale
		}
		row := w.Data()[ch*per : (ch+1)*per]
		for i := range row {
			row[i] = float32(float64(row[i]) * scale)
		}
		bias[ch] = float32(shift)
	}
	return &convFold{weight: w, bias: tensor.New(bias, k)}
}

// unfolder is a layer that FoldBatchNorm changes, undone when it trains.
type unfolder interface{ unfold() }

func (c *Conv2d) unfold() {
	if c.cache != nil {
		c.cache.Drop()
	}
	c.folded, c.cache = nil, nil
}
func (m *BatchNorm2d) unfold() { m.folded = false }

// opRecorder keeps the operations of a traced forward pass.
type opRecorder struct{ ops []tensor.Op }

func (r *opRecorder) Trace(op tensor.Op) { r.ops = append(r.ops, op) }

// catchPanic runs f, returning a panic as an error.
func catchPanic(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	f()
	return nil
}
