package optim

import (
	"github.com/convnet/convnet/internal/kernels"
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

// Step applies one Adam update to every parameter that has a gradient.
func (a *Adam) Step() {
	for i, p := range a.params {
		if p.Grad() == nil {
			continue
		}
		a.steps[i]++
		kernels.AdamStep(p.Data(), p.Grad().Data(), a.m[i], a.v[i], a.steps[i], a.LR, a.Beta1, a.Beta2, a.Eps, a.WeightDecay)
	}
}

// ZeroGrad sets every parameter's gradient to zero.
func (a *Adam) ZeroGrad() { zeroGrad(a.params) }
