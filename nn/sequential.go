package nn

import "github.com/convnet/convnet/tensor"

// Sequential runs its children in order, each on the previous one's
// output, as torch.nn.Sequential: with an OrderedDict of named layers
// (NewSequential), or numbered "0", "1", ... as torch.nn.Sequential(a, b)
// names them (NewSequentialOf, Append). A module that embeds a Sequential
// and calls Init with its own type name prints as that type and runs as
// the Sequential (torchvision's Conv2dNormActivation).
type Sequential struct {
	Base
	// blocks are the runs of children that FuseConvBlocks found, in
	// order: each runs as one operation.
	blocks []convBlock
}

// NewSequential returns a Sequential of the given named layers.
func NewSequential(layers ...Child) *Sequential {
	s := &Sequential{}
	s.Init(s, "Sequential")
	for _, l := range layers {
		s.AddModule(l.Name, l.Module)
	}
	return s
}

// Forward runs every child in order, through Call so that hooks run; the
// blocks that FuseConvBlocks recorded run as one operation each (see
// there).
//
// Under a tensor.Arena, each child's output is released (tensor.Release)
// once the next child has used it, unless a forward hook of the child (or
// of a module inside it) saw it, or a backward pass will read it: as
// PyTorch frees a convolution's output once its activation is computed,
// which bounds the memory of deep models.
func (s *Sequential) Forward(x *tensor.Tensor) *tensor.Tensor {
	// producer is the child whose output x is: -1 for this module's
	// input, which belongs to the caller and is never released.
	producer := -1
	blocks := s.blocks
	for i := 0; i < len(s.children); i++ {
		for len(blocks) > 0 && blocks[0].start < i {
			blocks = blocks[1:]
		}
		var y *tensor.Tensor
		first := i // the first child that reads x
		n := 0     // how many children run as one operation
		if len(blocks) > 0 && blocks[0].start == i {
			n = blocks[0].ready(s.children)
		}
		if n > 0 {
			y = blocks[0].forward(x, n)
			i += n - 1 // y is the output of the block's last child that ran
		} else {
			y = s.children[i].Module.ModuleBase().Call(x)
		}
		if y == x {
			continue // a child that passes its input through
		}
		// Only the output of the previous child is released: one that
		// went through a pass-through child may be seen by its hooks.
		if producer >= 0 && producer == first-1 && !hooked(s.children[producer].Module) {
			tensor.Release(x)
		}
		x, producer = y, i
	}
	return x
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
