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
// of a module inside it) saw it, or a backward pass will read it: as
// PyTorch frees a convolution's output once its activation is computed,
// which bounds the memory of deep models.
//
// A convolution followed by a ReLU or a Tanh, a pooling, or both, none
// with hooks, runs as one operation (tensor.Conv2dAct, Conv2dActPool)
// that activates and pools each image's output while it is in cache: the
// same values and gradients, with fewer passes over memory.
func (s *Sequential) Forward(x *tensor.Tensor) *tensor.Tensor {
	// producer is the child whose output x is: -1 for this module's
	// input, which belongs to the caller and is never released.
	producer := -1
	for i := 0; i < len(s.children); i++ {
		var y *tensor.Tensor
		first := i // the first child that reads x
		if b, ok := s.convBlock(i); ok {
			y = b.forward(x)
			i += b.layers - 1 // y is the block's last layer's output
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

// convBlock is a convolution and the layers after it that run with it as
// one operation: an activation, a pooling, or both.
type convBlock struct {
	conv   *Conv2d
	act    tensor.Activation
	pooled bool // pool is the last layer
	pool   tensor.Pooling
	layers int
}

func (b convBlock) forward(x *tensor.Tensor) *tensor.Tensor {
	c := b.conv
	if !b.pooled {
		return tensor.Conv2dAct(x, c.Weight, c.Bias, c.Stride, c.Padding, b.act)
	}
	return tensor.Conv2dActPool(x, c.Weight, c.Bias, c.Stride, c.Padding, b.act, b.pool)
}

// convBlock reports whether child i starts a convolution block of more
// than one layer, none of them with hooks, and returns it.
func (s *Sequential) convBlock(i int) (convBlock, bool) {
	conv, ok := s.children[i].Module.(*Conv2d)
	if !ok || hooked(conv) {
		return convBlock{}, false
	}
	b := convBlock{conv: conv, layers: 1}
	next := func() Module {
		if j := i + b.layers; j < len(s.children) && !hooked(s.children[j].Module) {
			return s.children[j].Module
		}
		return nil
	}
	switch next().(type) {
	case *ReLU:
		b.act, b.layers = tensor.ActReLU, b.layers+1
	case *Tanh:
		b.act, b.layers = tensor.ActTanh, b.layers+1
	}
	switch l := next().(type) {
	case *AvgPool2d:
		b.pooled, b.pool = true, tensor.Pooling{Kernel: square(l.KernelSize), Stride: square(l.Stride), Padding: square(l.Padding)}
		b.layers++
	case *MaxPool2d:
		b.pooled, b.pool = true, tensor.Pooling{Max: true, Kernel: square(l.KernelSize), Stride: square(l.Stride), Padding: square(l.Padding)}
		b.layers++
	}
	return b, b.layers > 1
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
