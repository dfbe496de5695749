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
// once the next child has used it, unless a forward hook of the child (or
// of a module inside it) saw it, or a backward pass will read it: as PyTorch frees a convolution's
// output once its activation is computed, which bounds the memory of deep
// models.
//
// A convolution followed by a ReLU or a Tanh, neither with hooks, runs as
// one operation (tensor.Conv2dAct) that applies the activation while the
// convolution's output is in cache: the same values and gradients, one
// pass over memory less.
func (s *Sequential) Forward(x *tensor.Tensor) *tensor.Tensor {
	// producer is the child whose output x is: -1 for this module's
	// input, which belongs to the caller and is never released.
	producer := -1
	for i := 0; i < len(s.children); i++ {
		var y *tensor.Tensor
		if conv, act, ok := s.convActivation(i); ok {
			y = conv.forwardAct(x, act)
			i++ // y is the activation's output
		} else {
			y = s.children[i].Module.ModuleBase().Call(x)
		}
		if y == x {
			continue // a child that passes its input through
		}
		// Only the output of the previous child is released: one that
		// went through a pass-through child may be seen by its hooks.
		if producer >= 0 && producer == i-1 && !hooked(s.children[producer].Module) {
			tensor.Release(x)
		}
		x, producer = y, i
	}
	return x
}

// convActivation reports whether children i and i+1 are a convolution and
// an activation that run as one operation, and returns them.
func (s *Sequential) convActivation(i int) (*Conv2d, tensor.Activation, bool) {
	if i+1 >= len(s.children) {
		return nil, tensor.ActNone, false
	}
	conv, ok := s.children[i].Module.(*Conv2d)
	if !ok || hooked(conv) || hooked(s.children[i+1].Module) {
		return nil, tensor.ActNone, false
	}
	switch s.children[i+1].Module.(type) {
	case *ReLU:
		return conv, tensor.ActReLU, true
	case *Tanh:
		return conv, tensor.ActTanh, true
	}
	return nil, tensor.ActNone, false
}

// hooked reports whether m or any module inside it has forward hooks,
// which may keep the output they see.
func hooked(m Module) bool {
	b := m.ModuleBase()
	if len(b.hooks) > 0 {
		return true
	}
	for _, c := range b.children {
		if hooked(c.Module) {
			return true
		}
	}
	return false
}
