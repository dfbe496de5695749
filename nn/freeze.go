package nn

import "strings"

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
