package main

import (
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// forwardFLOPs returns the floating-point operations of one forward pass
// of m on a zero batch of the given shape, counting 2 per multiply-add of
// the convolutions and fully connected layers (the rest is negligible).
func forwardFLOPs(m nn.Module, shape ...int) float64 {
	var total float64
	var removes []func()
	for _, leaf := range leaves(m) {
		switch l := leaf.Module.(type) {
		case *nn.Conv2d:
			removes = append(removes, l.RegisterForwardHook(func(_ nn.Module, out *tensor.Tensor) {
				macs := out.Numel() * l.InChannels * l.KernelSize[0] * l.KernelSize[1]
				total += 2 * float64(macs)
			}))
		case *nn.Linear:
			removes = append(removes, l.RegisterForwardHook(func(_ nn.Module, out *tensor.Tensor) {
				total += 2 * float64(out.Numel()*l.InFeatures)
			}))
		}
	}
	defer func() {
		for _, r := range removes {
			r()
		}
	}()
	tensor.NoGrad(func() { m.ModuleBase().Call(tensor.Zeros(shape...)) })
	return total
}
