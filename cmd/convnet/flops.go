package main

import (
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// layerFLOPs returns the floating-point operations a layer spent to make
// out: 2 per multiply-add of convolutions and fully connected layers, 0 for
// the rest (element-wise work and pooling are negligible beside them).
func layerFLOPs(m nn.Module, out *tensor.Tensor) float64 {
	switch l := m.(type) {
	case *nn.Conv2d:
		return 2 * float64(out.Numel()) * float64(l.InChannels*l.KernelSize[0]*l.KernelSize[1])
	case *nn.Linear:
		return 2 * float64(out.Numel()) * float64(l.InFeatures)
	}
	return 0
}

// forwardFLOPs returns the floating-point operations of one forward pass
// of m on a zero batch of the given shape (see layerFLOPs).
func forwardFLOPs(m nn.Module, shape ...int) float64 {
	var total float64
	var removes []func()
	for _, leaf := range leaves(m) {
		removes = append(removes, leaf.Module.ModuleBase().RegisterForwardHook(func(mod nn.Module, out *tensor.Tensor) {
			total += layerFLOPs(mod, out)
		}))
	}
	defer func() {
		for _, r := range removes {
			r()
		}
	}()
	tensor.NoGrad(func() { m.ModuleBase().Call(tensor.Zeros(shape...)) })
	return total
}
