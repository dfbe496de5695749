package optim

import (
	"github.com/convnet/convnet/internal/kernels"
	"github.com/convnet/convnet/tensor"
)

// SGDOptions are SGD's settings; the zero value of each is PyTorch's default.
type SGDOptions struct {
	LR          float64
	Momentum    float64
	Dampening   float64
	WeightDecay float64
	Nesterov    bool
}

// SGD is stochastic gradient descent with optional momentum and weight
// decay, as torch.optim.SGD.
type SGD struct {
	SGDOptions
	params []*tensor.Tensor
	bufs   [][]float32 // momentum buffers, nil until first used
}

// NewSGD returns an SGD optimizer over params.
func NewSGD(params []*tensor.Tensor, opts SGDOptions) *SGD {
	return &SGD{SGDOptions: opts, params: params, bufs: make([][]float32, len(params))}
}

// Step applies one update to every parameter that has a gradient.
func (s *SGD) Step() {
	for i, p := range s.params {
		if p.Grad() == nil {
			continue
		}
		first := s.bufs[i] == nil
		if first && s.Momentum != 0 {
			s.bufs[i] = make([]float32, p.Numel())
		}
		kernels.SGDStep(p.Data(), p.Grad().Data(), s.bufs[i], first, s.LR, s.Momentum, s.Dampening, s.WeightDecay, s.Nesterov)
	}
}

// ZeroGrad sets every parameter's gradient to zero.
func (s *SGD) ZeroGrad() { zeroGrad(s.params) }
