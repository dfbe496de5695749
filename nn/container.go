package nn

import (
	"fmt"
	"strconv"

	"github.com/convnet/convnet/tensor"
)

// Identity returns its input unchanged, as torch.nn.Identity: a
// placeholder where a network has no layer (a shortcut without
// downsampling, a classifier taken off).
type Identity struct{ Base }

// NewIdentity returns an Identity layer.
func NewIdentity() *Identity { m := &Identity{}; m.Init(m, "Identity"); return m }

// Forward returns x itself.
func (m *Identity) Forward(x *tensor.Tensor) *tensor.Tensor { return x }

// NewSequentialOf returns a Sequential of the given layers named by their
// position, "0", "1", ..., as torch.nn.Sequential(a, b, c): it prints
// "(0): ..." and its state_dict keys are "0.weight", "1.running_mean", ...
func NewSequentialOf(layers ...Module) *Sequential {
	s := NewSequential()
	for _, l := range layers {
		s.Append(l)
	}
	return s
}

// Append adds m after the other children, named by its position (the
// number of children before it), as torch.nn.Sequential.append; it
// returns s.
func (s *Sequential) Append(m Module) *Sequential {
	s.AddModule(strconv.Itoa(len(s.children)), m)
	return s
}

// Len returns the number of children.
func (s *Sequential) Len() int { return len(s.children) }

// At returns the i-th child (s[i] in PyTorch).
func (s *Sequential) At(i int) Module { return s.children[i].Module }

// ModuleList holds submodules in a list, as torch.nn.ModuleList: they are
// registered (their parameters are the list's, their state_dict keys
// "0.weight", ...) and printed, but the list has no Forward of its own;
// the module that owns it runs them as it needs.
type ModuleList struct{ Base }

// NewModuleList returns a list of the given modules, named "0", "1", ...
func NewModuleList(modules ...Module) *ModuleList {
	l := &ModuleList{}
	l.Init(l, "ModuleList")
	for _, m := range modules {
		l.Append(m)
	}
	return l
}

// Append adds m at the end of the list, named by its index; it returns l.
func (l *ModuleList) Append(m Module) *ModuleList {
	l.AddModule(strconv.Itoa(len(l.children)), m)
	return l
}

// Len returns the number of modules in the list.
func (l *ModuleList) Len() int { return len(l.children) }

// At returns the i-th module.
func (l *ModuleList) At(i int) Module { return l.children[i].Module }

// Modules returns the modules in order.
func (l *ModuleList) Modules() []Module {
	out := make([]Module, len(l.children))
	for i, c := range l.children {
		out[i] = c.Module
	}
	return out
}

// Forward panics: as in PyTorch, a ModuleList is not callable.
func (l *ModuleList) Forward(*tensor.Tensor) *tensor.Tensor {
	panic("nn: ModuleList has no Forward; call its modules (At, Modules)")
}

// ModuleDict holds named submodules in insertion order, as
// torch.nn.ModuleDict: registered and printed, but with no Forward of its
// own.
type ModuleDict struct{ Base }

// NewModuleDict returns a dict of the given named modules.
func NewModuleDict(modules ...Child) *ModuleDict {
	d := &ModuleDict{}
	d.Init(d, "ModuleDict")
	for _, c := range modules {
		d.AddModule(c.Name, c.Module)
	}
	return d
}

// Set adds m under name, which must be new; it returns d.
func (d *ModuleDict) Set(name string, m Module) *ModuleDict {
	d.AddModule(name, m)
	return d
}

// Get returns the module under name, or nil.
func (d *ModuleDict) Get(name string) Module { return d.Child(name) }

// Keys returns the names in insertion order.
func (d *ModuleDict) Keys() []string {
	out := make([]string, len(d.children))
	for i, c := range d.children {
		out[i] = c.Name
	}
	return out
}

// Len returns the number of modules.
func (d *ModuleDict) Len() int { return len(d.children) }

// Forward panics: as in PyTorch, a ModuleDict is not callable.
func (d *ModuleDict) Forward(*tensor.Tensor) *tensor.Tensor {
	panic(fmt.Sprintf("nn: ModuleDict has no Forward; call its modules (Get) (keys %v)", d.Keys()))
}
