package optim

import (
	"fmt"

	"github.com/convnet/convnet/tensor"
)

// AdamOptions are Adam's settings; DefaultAdam gives PyTorch's defaults.
type AdamOptions struct {
	LR           float64
	Beta1, Beta2 float64
	Eps          float64
	WeightDecay  float64
}

// DefaultAdam returns PyTorch's defaults with the given learning rate:
// betas (0.9, 0.999), eps 1e-8, no weight decay.
func DefaultAdam(lr float64) AdamOptions {
	return AdamOptions{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// Adam is the Adam optimizer (Kingma and Ba), as torch.optim.Adam.
type Adam struct {
	AdamOptions
	params []*tensor.Tensor
	m, v   [][]float32
	steps  []int
	work   []tensor.AdamParam // a group's tensors in a step, reused
	groups lrGroups
}

// NewAdam returns an Adam optimizer over params.
func NewAdam(params []*tensor.Tensor, opts AdamOptions) *Adam {
	a := &Adam{AdamOptions: opts, params: params, steps: make([]int, len(params))}
	for _, p := range params {
		a.m = append(a.m, make([]float32, p.Numel()))
		a.v = append(a.v, make([]float32, p.Numel()))
	}
	return a
}

// Step applies one Adam update to every parameter that has a gradient, at
// the rate LR times the parameter's factor (see SetLRFactor): one
// tensor.AdamStep per group of parameters with the same factor.
func (a *Adam) Step() {
	for _, f := range a.groups.factors() {
		a.work = a.work[:0]
		for i, p := range a.params {
			if p.Grad() == nil || a.groups.of(i) != f {
				continue
			}
			a.steps[i]++
			a.work = append(a.work, tensor.AdamParam{Param: p, M: a.m[i], V: a.v[i], Step: a.steps[i]})
		}
		tensor.AdamStep(a.work, a.AdamOptions.LR*f, a.Beta1, a.Beta2, a.Eps, a.WeightDecay)
	}
}

// SetLRFactor makes the rate of params LR times factor, as a param group
// of torch.optim.Adam with its own lr; see ParamGroups.
func (a *Adam) SetLRFactor(params []*tensor.Tensor, factor float64) error {
	return a.groups.set(a.params, params, factor)
}

// ZeroGrad sets every parameter's gradient to zero.
func (a *Adam) ZeroGrad() { zeroGrad(a.params) }

// LR returns the learning rate (of the parameters whose factor is 1).
func (a *Adam) LR() float64 { return a.AdamOptions.LR }

// SetLR changes the learning rate.
func (a *Adam) SetLR(lr float64) { a.AdamOptions.LR = lr }

// StateDict returns, per parameter i, "i.step", "i.exp_avg" and
// "i.exp_avg_sq", as PyTorch names them.
func (a *Adam) StateDict() []NamedTensor {
	var out []NamedTensor
	for i := range a.params {
		out = append(out,
			NamedTensor{fmt.Sprintf("%d.step", i), tensor.New([]float32{float32(a.steps[i])})},
			NamedTensor{fmt.Sprintf("%d.exp_avg", i), tensor.New(a.m[i], len(a.m[i]))},
			NamedTensor{fmt.Sprintf("%d.exp_avg_sq", i), tensor.New(a.v[i], len(a.v[i]))})
	}
	return out
}

// LoadStateDict restores what StateDict returned.
func (a *Adam) LoadStateDict(state []NamedTensor) error {
	dst := map[string][]float32{}
	steps := make([][]float32, len(a.params))
	for i := range a.params {
		steps[i] = make([]float32, 1)
		dst[fmt.Sprintf("%d.step", i)] = steps[i]
		dst[fmt.Sprintf("%d.exp_avg", i)] = a.m[i]
		dst[fmt.Sprintf("%d.exp_avg_sq", i)] = a.v[i]
	}
	if err := loadState(state, dst); err != nil {
		return err
	}
	for i := range a.steps {
		a.steps[i] = int(steps[i][0])
	}
	return nil
}

// SetMomentum sets beta1, as OneCycleLR's cycle_momentum does.
func (a *Adam) SetMomentum(m float64) { a.Beta1 = m }
