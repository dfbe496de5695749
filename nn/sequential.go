package nn

import "github.com/convnet/convnet/tensor"

// Sequential runs its children in order, each on the previous one's
// output, as torch.nn.Sequential with an OrderedDict of named layers.
type Sequential struct{ Base }

// NewSequential returns a Sequential of the given named layers.
func NewSequential(layers ...Child) *Sequential {
	s := &Sequential{}
	s.Init(s, "Sequential")
	for _, l := range layers {
		s.AddModule(l.Name, l.Module)
	}
	return s
}

// Forward runs every child in order, through Call so that hooks run.
//
// Under a tensor.Arena, each child's output is released (tensor.Release)
// once the next child has used it, unless a forward hook of the child saw
// it or a backward pass will read it: as PyTorch frees a convolution's
// output once its activation is computed, which bounds the memory of deep
// models.
func (s *Sequential) Forward(x *tensor.Tensor) *tensor.Tensor {
	for i, c := range s.children {
		y := c.Module.ModuleBase().Call(x)
		if i > 0 && y != x && len(s.children[i-1].Module.ModuleBase().hooks) == 0 {
			tensor.Release(x)
		}
		x = y
	}
	return x
}
