package nn

import (
	"fmt"
	"slices"
	"strings"

	"github.com/convnet/convnet/tensor"
)

// SetRequiresGrad sets requires_grad on every parameter of m whose
// state_dict name match accepts (as PyTorch's p.requires_grad_(on) in a
// loop over named_parameters), and returns how many it set. A parameter
// that does not require a gradient gets none, and optimizers skip it: it
// is frozen. Buffers are not parameters and are left alone.
func SetRequiresGrad(m Module, on bool, match func(name string) bool) int {
	n := 0
	for _, p := range m.ModuleBase().NamedParameters() {
		if match(p.Name) {
			p.Tensor.SetRequiresGrad(on)
			n++
		}
	}
	return n
}

// UnderPrefix reports whether a state_dict name lies under prefix, a
// module path: the name is the prefix or continues it after a dot, so
// that "layer1" covers "layer1.0.conv1.weight" but not "layer10.weight".
func UnderPrefix(name, prefix string) bool {
	return name == prefix || strings.HasPrefix(name, prefix+".")
}

// underAny reports whether name lies under any of prefixes (UnderPrefix).
func underAny(name string, prefixes []string) bool {
	return slices.ContainsFunc(prefixes, func(p string) bool { return UnderPrefix(name, p) })
}

// Heads returns the paths of m's Linear layers that give out outputs: a
// classifier's last layer (and the auxiliary classifiers' of GoogLeNet),
// the layers a model trained for another number of classes cannot share.
func Heads(m Module, out int) []string {
	var paths []string
	for _, c := range m.ModuleBase().NamedModules() {
		if l, ok := c.Module.(*Linear); ok && l.OutFeatures == out {
			paths = append(paths, c.Name)
		}
	}
	return paths
}

// HeadParameters returns the parameters of m's heads (Heads(m, out)): a
// classifier's last layer, which fine-tuning trains at its own rate.
func HeadParameters(m Module, out int) []*tensor.Tensor {
	heads := Heads(m, out)
	var ps []*tensor.Tensor
	for _, p := range m.ModuleBase().NamedParameters() {
		if underAny(p.Name, heads) {
			ps = append(ps, p.Tensor)
		}
	}
	return ps
}

// Freeze stops the parameters of m under any of prefixes (module paths,
// as "layer1" or "features.0") from training, and returns how many it
// froze; the prefix "features" of a model with no such module means all
// but its heads for out classes (Heads), as in a fine-tuning recipe. It is
// an error, and nothing is frozen, when a prefix matches no parameter.
func Freeze(m Module, out int, prefixes ...string) (int, error) {
	params := m.ModuleBase().NamedParameters()
	var match []func(name string) bool
	for _, p := range prefixes {
		under := func(name string) bool { return UnderPrefix(name, p) }
		switch {
		case p == "":
			return 0, fmt.Errorf("an empty prefix")
		case slices.ContainsFunc(params, func(q Param) bool { return under(q.Name) }):
			match = append(match, under)
		case p == "features":
			heads := Heads(m, out)
			match = append(match, func(name string) bool {
				return !underAny(name, heads)
			})
		default:
			return 0, fmt.Errorf("no parameter of the model lies under %q", p)
		}
	}
	return SetRequiresGrad(m, false, func(name string) bool {
		return slices.ContainsFunc(match, func(f func(string) bool) bool { return f(name) })
	}), nil
}
