// Package optim provides optimizers that update parameters from their
// gradients, as torch.optim: Adam and SGD with PyTorch's defaults and
// arithmetic, with parameter groups at their own rates (ParamGroups); and
// the learning-rate schedules of torch.optim.lr_scheduler: per epoch
// (StepLR, CosineLR), per batch (OneCycleLR, a linear Warmup before any
// schedule) and ReduceLROnPlateau, driven by a metric.
package optim

import (
	"fmt"

	"github.com/convnet/convnet/tensor"
)

// Optimizer updates a fixed list of parameters from their gradients.
type Optimizer interface {
	// Step applies one update; parameters without a gradient are skipped.
	Step()
	// ZeroGrad sets every parameter's gradient to zero.
	ZeroGrad()
	// LR returns the learning rate; SetLR changes it (for schedules).
	LR() float64
	SetLR(lr float64)
	// StateDict returns the optimizer's state (moments, momentum
	// buffers, step counts) as named tensors, and LoadStateDict restores
	// it, so that a training run can be resumed exactly.
	StateDict() []NamedTensor
	LoadStateDict(state []NamedTensor) error
}

// NamedTensor is one piece of optimizer state. Keys follow PyTorch's
// optimizer state_dict: "<param index>.<name>", such as "0.exp_avg".
type NamedTensor struct {
	Name   string
	Tensor *tensor.Tensor
}

func zeroGrad(params []*tensor.Tensor) {
	for _, p := range params {
		p.ZeroGrad()
	}
}

// loadState copies the tensors of state into dst, matching names, and
// reports a missing or misshapen one.
func loadState(state []NamedTensor, dst map[string][]float32) error {
	byName := map[string]*tensor.Tensor{}
	for _, s := range state {
		byName[s.Name] = s.Tensor
	}
	for name, d := range dst {
		t, ok := byName[name]
		if !ok {
			return fmt.Errorf("optimizer state %q is missing", name)
		}
		if t.Numel() != len(d) {
			return fmt.Errorf("optimizer state %q has %d values, want %d", name, t.Numel(), len(d))
		}
		copy(d, t.Data())
	}
	return nil
}
