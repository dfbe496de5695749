// Package optim provides optimizers that update parameters from their
// gradients, as torch.optim: Adam and SGD with PyTorch's defaults and
// arithmetic.
package optim

import "github.com/convnet/convnet/tensor"

// Optimizer updates a fixed list of parameters from their gradients.
type Optimizer interface {
	// Step applies one update; parameters without a gradient are skipped.
	Step()
	// ZeroGrad sets every parameter's gradient to zero.
	ZeroGrad()
}

func zeroGrad(params []*tensor.Tensor) {
	for _, p := range params {
		p.ZeroGrad()
	}
}
