// Package nn provides neural-network layers and containers shaped like
// PyTorch's torch.nn: modules with named parameters and children, training
// and evaluation modes, and printing that matches print(model).
//
// A module is a struct that embeds Base, calls Init once, registers its
// parameters and children, and implements Forward:
//
//	type Block struct {
//		nn.Base
//		Conv *nn.Conv2d
//	}
//
//	func NewBlock() *Block {
//		b := &Block{}
//		b.Init(b, "Block")
//		b.Conv = nn.Add(&b.Base, "conv", nn.NewConv2d(1, 6, 5))
//		return b
//	}
//
//	func (b *Block) Forward(x *tensor.Tensor) *tensor.Tensor { return b.Conv.Call(x) }
package nn

import (
	"fmt"
	"slices"
	"strings"

	"github.com/convnet/convnet/tensor"
)

// Module is a layer or a network of layers.
type Module interface {
	// Forward computes the module's output. Call it through Call so that
	// forward hooks run.
	Forward(x *tensor.Tensor) *tensor.Tensor
	// ModuleBase returns the embedded Base.
	ModuleBase() *Base
}

// Losser is implemented by a network whose training loss is more than the
// cross-entropy of its output: GoogLeNet adds its auxiliary classifiers'
// (models.GoogLeNet.Loss). A training loop calls Loss with the output of
// the Forward just run and the targets, in place of
// tensor.CrossEntropy(out, targets), where the model has it.
type Losser interface {
	Loss(out *tensor.Tensor, targets []int) *tensor.Tensor
}

// Child is a named submodule.
type Child struct {
	Name   string
	Module Module
}

// Param is a named tensor: a parameter or a buffer.
type Param struct {
	Name   string
	Tensor *tensor.Tensor
}

// Hook is called with a module and its output after each Call.
type Hook func(m Module, out *tensor.Tensor)

// Base is what every module embeds: its printed type name, its parameters,
// buffers and children in registration order, its training flag and hooks.
type Base struct {
	self     Module
	typeName string
	children []Child
	params   []Param
	buffers  []Param
	training bool
	hooks    []*Hook
}

// Init must be called once, before anything else, with the module that
// embeds b and the type name that printing shows (PyTorch's class name).
// Modules start in training mode, as in PyTorch.
func (b *Base) Init(self Module, typeName string) {
	b.self, b.typeName, b.training = self, typeName, true
}

// ModuleBase returns b; it makes every struct embedding Base a Module's base.
func (b *Base) ModuleBase() *Base { return b }

// TypeName returns the name printing shows for the module.
func (b *Base) TypeName() string { return b.typeName }

// Add registers child m under name and returns it, so that a field can be
// set in one line: n.Conv = nn.Add(&n.Base, "conv", nn.NewConv2d(...)).
func Add[M Module](b *Base, name string, m M) M {
	b.AddModule(name, m)
	return m
}

// AddModule registers child m under name, after the children before it.
func (b *Base) AddModule(name string, m Module) {
	if name == "" || strings.Contains(name, ".") {
		panic(fmt.Sprintf("nn: bad module name %q (must be non-empty, without dots)", name))
	}
	for _, c := range b.children {
		if c.Name == name {
			panic(fmt.Sprintf("nn: %s already has a child named %q", b.typeName, name))
		}
	}
	m.ModuleBase().setTraining(b.training)
	b.children = append(b.children, Child{name, m})
}

// Replace puts m in the place of the child registered under name (its
// place in printing and in the state_dict stays) and returns it, so that
// the field that holds the child is set in the same line, as torchvision
// users write model.fc = nn.Linear(512, 5):
//
//	r.FC = nn.Replace(&r.Base, "fc", nn.NewLinear(512, 5))
//
// It panics if b has no child of that name.
func Replace[M Module](b *Base, name string, m M) M {
	for i, c := range b.children {
		if c.Name == name {
			m.ModuleBase().setTraining(b.training)
			b.children[i].Module = m
			return m
		}
	}
	panic(fmt.Sprintf("nn: %s has no child named %q to replace", b.typeName, name))
}

// AddParameter registers p as a parameter named name; it will require
// gradients.
func (b *Base) AddParameter(name string, p *tensor.Tensor) *tensor.Tensor {
	p.SetRequiresGrad(true)
	b.params = append(b.params, Param{name, p})
	return p
}

// AddBuffer registers a tensor that is part of the state (state_dict) but
// not trained, such as running statistics.
func (b *Base) AddBuffer(name string, t *tensor.Tensor) *tensor.Tensor {
	b.buffers = append(b.buffers, Param{name, t})
	return t
}

// Children returns the direct submodules in registration order.
func (b *Base) Children() []Child { return b.children }

// Child returns the direct submodule called name, or nil.
func (b *Base) Child(name string) Module {
	for _, c := range b.children {
		if c.Name == name {
			return c.Module
		}
	}
	return nil
}

// Call runs Forward and then the module's forward hooks: use it where
// PyTorch writes module(x).
//
// The modules of this package change nothing of themselves in a Call in
// evaluation mode, so several goroutines may call one model at once, each
// on inputs of its own tensor.Scope (a scope without gradients, with an
// arena each, for inference). In training mode, BatchNorm2d updates its
// running statistics and Dropout draws from its generator: one Call at a
// time. Changing the model (its hooks, Train, Eval, the weights) while a
// Call runs is not safe.
func (b *Base) Call(x *tensor.Tensor) *tensor.Tensor {
	out := b.self.Forward(x)
	for _, h := range b.hooks {
		(*h)(b.self, out)
	}
	return out
}

// RegisterForwardHook adds fn to run after each Call of this module and
// returns a function that removes it. Neither may run while another
// goroutine calls the model; a hook that must see one computation only
// can tell it by its output's scope (tensor.Tensor.Scope, whose Context
// carries the caller's values).
func (b *Base) RegisterForwardHook(fn Hook) (remove func()) {
	h := &fn
	b.hooks = append(b.hooks, h)
	return func() {
		for i, x := range b.hooks {
			if x == h {
				// A new slice, so that a Call running the old one (a
				// hook removing itself) is not disturbed.
				b.hooks = slices.Delete(slices.Clone(b.hooks), i, i+1)
				return
			}
		}
	}
}

// Train puts the module and all its descendants in training mode.
func (b *Base) Train() { b.setTraining(true) }

// Eval puts the module and all its descendants in evaluation mode.
func (b *Base) Eval() { b.setTraining(false) }

// Training reports whether the module is in training mode.
func (b *Base) Training() bool { return b.training }

func (b *Base) setTraining(on bool) {
	b.training = on
	if f, ok := b.self.(unfolder); ok && on {
		f.unfold() // what training changes, a fold would not see
	}
	for _, c := range b.children {
		c.Module.ModuleBase().setTraining(on)
	}
}

// NamedModules returns every descendant with its dotted path ("feature.cnn1"),
// parents before children, in registration order; the module itself is not
// included.
func (b *Base) NamedModules() []Child {
	var out []Child
	for _, c := range b.children {
		out = append(out, c)
		for _, d := range c.Module.ModuleBase().NamedModules() {
			out = append(out, Child{c.Name + "." + d.Name, d.Module})
		}
	}
	return out
}

// NamedParameters returns every parameter of the module and its
// descendants with its dotted PyTorch name ("feature.cnn1.weight").
func (b *Base) NamedParameters() []Param {
	return b.collect(func(x *Base) []Param { return x.params })
}

// Parameters returns the tensors of NamedParameters, in the same order.
func (b *Base) Parameters() []*tensor.Tensor {
	var out []*tensor.Tensor
	for _, p := range b.NamedParameters() {
		out = append(out, p.Tensor)
	}
	return out
}

// StateDict returns parameters and buffers with their PyTorch state_dict
// keys, in PyTorch's order: a module's own parameters, then its buffers,
// then each child's.
func (b *Base) StateDict() []Param {
	return b.collect(func(x *Base) []Param { return append(append([]Param(nil), x.params...), x.buffers...) })
}

func (b *Base) collect(own func(*Base) []Param) []Param {
	out := append([]Param(nil), own(b)...)
	for _, c := range b.children {
		for _, p := range c.Module.ModuleBase().collect(own) {
			out = append(out, Param{c.Name + "." + p.Name, p.Tensor})
		}
	}
	return out
}

// ZeroGrad sets the gradient of every parameter to zero.
func (b *Base) ZeroGrad() {
	for _, p := range b.NamedParameters() {
		p.Tensor.ZeroGrad()
	}
}

// String prints the module as PyTorch's print(model) does.
func (b *Base) String() string { return Format(b.self) }
