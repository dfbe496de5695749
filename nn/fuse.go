package nn

import "github.com/convnet/convnet/tensor"

// FuseConvBlocks finds, in every Sequential of m (m itself included, and
// those inside other modules), each Conv2d followed by a ReLU or a Tanh,
// an AvgPool2d or a MaxPool2d, or an activation and then a pooling, and
// records on the Sequential that it runs those children as one operation
// (tensor.Conv2dWith with an activation and a pooling, as
// tensor.Conv2dActPool), which activates and pools each image's output
// while it is in cache; every setting of the layers (groups, dilation,
// ceil mode, count_include_pad) goes with them. It returns m, so that a
// constructor can end with return nn.FuseConvBlocks(model).
//
// Nothing that describes the model changes: its printout, state_dict
// keys, parameters and named modules are the same, and so are its outputs
// and gradients (the fused operations record the graph of the separate
// ones). Only the passes over memory are fewer.
//
// Hooks still see every layer's output: when a fused block runs, it checks
// for forward hooks (on its layers or inside them) and leaves the hooked
// layer and those after it to run on their own, as their Call; a block of
// which only the convolution is left runs as an ordinary Sequential step.
// So a hook registered or removed after fusing takes effect at the next
// call.
//
// Call it once the model is built: a child added to a Sequential later
// joins no block. Calling it again finds the blocks afresh. Like building
// the model, it must not run at the same time as a Forward of m.
func FuseConvBlocks[M Module](m M) M {
	fuseConvBlocks(m)
	for _, c := range m.ModuleBase().NamedModules() {
		fuseConvBlocks(c.Module)
	}
	return m
}

// fuser is a Sequential, or a module that embeds one.
type fuser interface{ sequential() *Sequential }

func (s *Sequential) sequential() *Sequential { return s }

// fuseConvBlocks records the blocks of m if it is a Sequential.
func fuseConvBlocks(m Module) {
	f, ok := m.(fuser)
	if !ok {
		return
	}
	s := f.sequential()
	s.blocks = s.blocks[:0]
	for i := 0; i < len(s.children); i++ {
		if b, ok := findConvBlock(s.children, i); ok {
			s.blocks = append(s.blocks, b)
			i += len(b.layers) - 1
		}
	}
}

// convBlock is a run of children of a Sequential that FuseConvBlocks
// found: a convolution, then an activation, a pooling, or both.
type convBlock struct {
	start  int      // the index of the convolution among the children
	layers []Module // the convolution, then the layers after it
	conv   *Conv2d
	act    tensor.Activation
	actAt  int // the index in layers of the activation, 0 if none
	poolAt int // the index in layers of the pooling, 0 if none
}

// findConvBlock returns the block that starts at children[i], if there is
// one of more than one layer.
func findConvBlock(children []Child, i int) (convBlock, bool) {
	conv, ok := children[i].Module.(*Conv2d)
	if !ok {
		return convBlock{}, false
	}
	b := convBlock{start: i, layers: []Module{conv}, conv: conv}
	next := func() Module {
		if j := i + len(b.layers); j < len(children) {
			return children[j].Module
		}
		return nil
	}
	switch l := next().(type) {
	case *ReLU:
		b.act, b.actAt, b.layers = tensor.ActReLU, len(b.layers), append(b.layers, l)
	case *Tanh:
		b.act, b.actAt, b.layers = tensor.ActTanh, len(b.layers), append(b.layers, l)
	}
	switch l := next().(type) {
	case *AvgPool2d, *MaxPool2d:
		b.poolAt, b.layers = len(b.layers), append(b.layers, l)
	}
	return b, len(b.layers) > 1
}

// ready returns how many of the block's layers run fused in this call:
// those before the first with a hook, and none (0) unless that is at
// least two, or if the children are no longer the block's layers.
func (b *convBlock) ready(children []Child) int {
	n := 0
	for k, l := range b.layers {
		if j := b.start + k; j >= len(children) || children[j].Module != l {
			return 0
		}
		if hooked(l) {
			break
		}
		n++
	}
	if n < 2 {
		return 0
	}
	return n
}

// forward runs the first n layers of the block on x as one operation:
// tensor.Conv2dWith, which takes every setting of the convolution
// (groups, dilation) and of the pooling (ceil mode, dilation,
// count_include_pad) and does them as the layers apart would.
func (b *convBlock) forward(x *tensor.Tensor, n int) *tensor.Tensor {
	c := b.conv
	w, bias := c.weights()
	o := c.options()
	if b.actAt > 0 && b.actAt < n {
		o.Act = b.act
	}
	if b.poolAt == 0 || b.poolAt >= n {
		return tensor.Conv2dWith(x, w, bias, o)
	}
	var pool tensor.Pooling
	switch l := b.layers[b.poolAt].(type) {
	case *AvgPool2d:
		pool = l.Pooling()
	case *MaxPool2d:
		pool = l.Pooling()
	}
	o.Pool = &pool
	return tensor.Conv2dWith(x, w, bias, o)
}
