package nn

import "strings"

// extraRepr is implemented by modules that print settings inside their
// parentheses, as PyTorch's extra_repr.
type extraRepr interface {
	ExtraRepr() string
}

// Format returns m as PyTorch's print(model) shows it: the type name, the
// settings, and each child on its own line as "(name): ..." indented by two
// spaces.
func Format(m Module) string {
	b := m.ModuleBase()
	var lines []string
	if e, ok := m.(extraRepr); ok && e.ExtraRepr() != "" {
		lines = strings.Split(e.ExtraRepr(), "\n")
	}
	for _, c := range b.children {
		child := strings.ReplaceAll(Format(c.Module), "\n", "\n  ")
		lines = append(lines, "("+c.Name+"): "+child)
	}
	switch {
	case len(b.children) == 0 && len(lines) <= 1:
		return b.typeName + "(" + strings.Join(lines, "") + ")"
	default:
		return b.typeName + "(\n  " + strings.Join(lines, "\n  ") + "\n)"
	}
}
