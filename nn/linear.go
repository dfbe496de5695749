package nn

import (
	"fmt"

	"github.com/convnet/convnet/tensor"
)

// Linear is a fully connected layer, y = x·Wᵀ + b, as torch.nn.Linear.
type Linear struct {
	Base
	InFeatures, OutFeatures int
	Weight, Bias            *tensor.Tensor
	// cache keeps the weight's packed form for evaluation-mode calls,
	// from CacheWeights until the layer trains.
	cache *tensor.WeightCache
}

// NewLinear returns a layer from in to out features, initialised as
// PyTorch does (see ManualSeed).
func NewLinear(in, out int) *Linear {
	if in < 1 || out < 1 {
		panic(fmt.Sprintf("nn.NewLinear(%d, %d): sizes must be positive", in, out))
	}
	l := &Linear{InFeatures: in, OutFeatures: out}
	l.Init(l, "Linear")
	w, b := defaultInit(in, []int{out, in}, out)
	l.Weight = l.AddParameter("weight", w)
	l.Bias = l.AddParameter("bias", b)
	return l
}

// Forward maps x (N×InFeatures) to N×OutFeatures.
func (l *Linear) Forward(x *tensor.Tensor) *tensor.Tensor {
	if l.cache != nil && !l.Training() {
		return tensor.LinearCached(x, l.Weight, l.Bias, l.cache)
	}
	return tensor.Linear(x, l.Weight, l.Bias)
}

func (l *Linear) unfold() {
	if l.cache != nil {
		l.cache.Drop()
	}
	l.cache = nil
}

// ExtraRepr gives PyTorch's settings string.
func (l *Linear) ExtraRepr() string {
	return fmt.Sprintf("in_features=%d, out_features=%d, bias=True", l.InFeatures, l.OutFeatures)
}
