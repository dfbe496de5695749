package optim_test

import (
	"fmt"
	"testing"

	"github.com/convnet/convnet/internal/testref"
	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/tensor"
)

// TestOptimizersMatchPyTorch runs three steps of each optimizer from the
// reference's p0 with gradients g1..g3 and compares with p1..p3.
func TestOptimizersMatchPyTorch(t *testing.T) {
	ref := testref.Open(t, "ops.safetensors")
	cases := []struct {
		key  string
		make func([]*tensor.Tensor) optim.Optimizer
	}{
		{"adam", func(p []*tensor.Tensor) optim.Optimizer { return optim.NewAdam(p, optim.DefaultAdam(1e-3)) }},
		{"sgd_momentum", func(p []*tensor.Tensor) optim.Optimizer {
			return optim.NewSGD(p, optim.SGDOptions{LR: 0.05, Momentum: 0.9})
		}},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			v, shape := ref.F32(c.key + ".p0")
			p := tensor.New(append([]float32(nil), v...), shape...).SetRequiresGrad(true)
			opt := c.make([]*tensor.Tensor{p})
			for step := 1; step <= 3; step++ {
				g, _ := ref.F32(fmt.Sprintf("%s.g%d", c.key, step))
				// Set the gradient through autograd: d/dp sum(p*g) = g.
				opt.ZeroGrad()
				tensor.Sum(tensor.Mul(p, tensor.New(g, shape...))).Backward()
				opt.Step()
				want, _ := ref.F32(fmt.Sprintf("%s.p%d", c.key, step))
				testref.Check(t, fmt.Sprintf("p%d", step), p.Data(), want, 1e-6, 1e-7)
			}
		})
	}
}
