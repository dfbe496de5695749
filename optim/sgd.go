package optim

import (
	"fmt"

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
	groups lrGroups
}

// NewSGD returns an SGD optimizer over params.
func NewSGD(params []*tensor.Tensor, opts SGDOptions) *SGD {
	return &SGD{SGDOptions: opts, params: params, bufs: make([][]float32, len(params))}
}

// Step applies one update to every parameter that has a gradient, at the
// rate LR times the parameter's factor (see SetLRFactor).
func (s *SGD) Step() {
	for i, p := range s.params {
		if p.Grad() == nil {
			continue
		}
		first := s.bufs[i] == nil
		if first && s.Momentum != 0 {
			s.bufs[i] = make([]float32, p.Numel())
		}
		tensor.SGDStep(p, s.bufs[i], first, s.SGDOptions.LR*s.groups.of(i), s.Momentum, s.Dampening, s.WeightDecay, s.Nesterov)
	}
}

// SetLRFactor makes the rate of params LR times factor, as a param group
// of torch.optim.SGD with its own lr; see ParamGroups.
func (s *SGD) SetLRFactor(params []*tensor.Tensor, factor float64) error {
	return s.groups.set(s.params, params, factor)
}

// ZeroGrad sets every parameter's gradient to zero.
func (s *SGD) ZeroGrad() { zeroGrad(s.params) }

// LR returns the learning rate (of the parameters whose factor is 1).
func (s *SGD) LR() float64 { return s.SGDOptions.LR }

// SetLR changes the learning rate.
func (s *SGD) SetLR(lr float64) { s.SGDOptions.LR = lr }

// StateDict returns "i.momentum_buffer" for every parameter whose momentum
// buffer exists, as PyTorch names them.
func (s *SGD) StateDict() []NamedTensor {
	var out []NamedTensor
	for i, b := range s.bufs {
		if b != nil {
			out = append(out, NamedTensor{fmt.Sprintf("%d.momentum_buffer", i), tensor.New(b, len(b))})
		}
	}
	return out
}

// LoadStateDict restores what StateDict returned.
func (s *SGD) LoadStateDict(state []NamedTensor) error {
	dst := map[string][]float32{}
	for _, st := range state {
		var i int
		if _, err := fmt.Sscanf(st.Name, "%d.momentum_buffer", &i); err != nil || i < 0 || i >= len(s.params) {
			return fmt.Errorf("unexpected SGD state %q", st.Name)
		}
		s.bufs[i] = make([]float32, s.params[i].Numel())
		dst[st.Name] = s.bufs[i]
	}
	return loadState(state, dst)
}

// SetMomentum sets the momentum, as OneCycleLR's cycle_momentum does
// (which turns it on for an SGD built without).
func (s *SGD) SetMomentum(m float64) { s.Momentum = m }
