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
func (s *Sequential) Forward(x *tensor.Tensor) *tensor.Tensor {
	for _, c := range s.children {
		x = c.Module.ModuleBase().Call(x)
	}
	return x
}
