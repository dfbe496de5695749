package nn

import (
	"slices"
	"sync"

	"github.com/convnet/convnet/tensor"
)

// Siblings is several convolutions of one input, each followed by its
// batch norm and the same activation (GoogLeNet's Inception block's three
// 1×1 convolutions), that run as one in inference: their folded weights
// stacked into one convolution, which reads the input once and writes
// each convolution's output to its own place (tensor.Conv2dParts). The
// stack is made on the first call that can use it and made again after
// FoldBatchNorm or CacheWeights. It is safe for concurrent use.
type Siblings struct {
	convs []*Conv2d
	norms []*BatchNorm2d

	mu sync.Mutex
	// The stack and what it was made from: each convolution's fold and
	// weight cache.
	folds        []*convFold
	caches       []*tensor.WeightCache
	weight, bias *tensor.Tensor
	cache        *tensor.WeightCache
}

// NewSiblings returns the convolutions convs, each followed by the batch
// norm of the same index, as Siblings.
func NewSiblings(convs []*Conv2d, norms []*BatchNorm2d) *Siblings {
	if len(convs) != len(norms) {
		panic("nn.NewSiblings: a batch norm for each convolution")
	}
	return &Siblings{convs: slices.Clone(convs), norms: slices.Clone(norms)}
}

// Into computes act(norms[i](convs[i](x))) into parts[i], channels of
// tensors of tensor.JoinChannels's or the caller's, as one operation where
// FoldedConv(convs[i], norms[i], act, skipped...) holds for every i and
// the convolutions differ in their output channels alone; it reports
// whether it did. Elsewhere nothing is computed, and the caller runs the
// layers.
func (s *Siblings) Into(x *tensor.Tensor, act tensor.Activation, parts []tensor.ChannelPart, skipped ...Module) bool {
	if len(parts) != len(s.convs) {
		return false
	}
	first := s.convs[0]
	shape := first.options()
	shape.Cache = nil
	for i, c := range s.convs {
		o := c.options()
		o.Cache = nil
		if !FoldedConv(c, s.norms[i], act, skipped...) || c.InChannels != first.InChannels ||
			c.KernelSize != first.KernelSize || o != shape || parts[i].Channels != c.OutChannels {
			return false
		}
	}
	w, b, cache := s.stack()
	o := first.options()
	o.Act, o.Cache = act, cache
	tensor.Conv2dParts(x, w, b, o, parts)
	return true
}

// stack returns the stacked weights, bias and their cache, made anew if
// a convolution has been folded or cached again since.
func (s *Siblings) stack() (w, b *tensor.Tensor, cache *tensor.WeightCache) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fresh := s.weight != nil
	for i, c := range s.convs {
		fresh = fresh && s.folds[i] == c.folded && s.caches[i] == c.cache
	}
	if fresh {
		return s.weight, s.bias, s.cache
	}
	if s.cache != nil {
		s.cache.Drop()
	}
	s.folds, s.caches = s.folds[:0], s.caches[:0]
	var ws, bs []float32
	shape := slices.Clone(s.convs[0].folded.weight.Shape())
	shape[0] = 0
	for _, c := range s.convs {
		s.folds, s.caches = append(s.folds, c.folded), append(s.caches, c.cache)
		ws = append(ws, c.folded.weight.Data()...)
		bs = append(bs, c.folded.bias.Data()...)
		shape[0] += c.OutChannels
	}
	s.weight, s.bias, s.cache = tensor.New(ws, shape...), tensor.New(bs, len(bs)), tensor.NewWeightCache()
	return s.weight, s.bias, s.cache
}

// Of reports whether s is convs, in that order.
func (s *Siblings) Of(convs ...*Conv2d) bool { return slices.Equal(s.convs, convs) }
