package onnx

import (
	"fmt"

	"github.com/convnet/convnet/onnx/internal/pb"
)

// attrs are a node's attributes by name, read with the operator's
// defaults.
type attrs map[string]*pb.Attribute

func attrsOf(n *pb.Node) attrs {
	a := make(attrs, len(n.Attribute))
	for _, at := range n.Attribute {
		a[at.Name] = at
	}
	return a
}

func (a attrs) has(name string) bool { return a[name] != nil }

func (a attrs) int(name string, def int) int {
	if at := a[name]; at != nil {
		return int(at.I)
	}
	return def
}

func (a attrs) float(name string, def float32) float32 {
	if at := a[name]; at != nil {
		return at.F
	}
	return def
}

func (a attrs) string(name, def string) string {
	if at := a[name]; at != nil {
		return string(at.S)
	}
	return def
}

// ints returns an integer list attribute, or def.
func (a attrs) ints(name string, def []int) []int {
	at := a[name]
	if at == nil {
		return def
	}
	out := make([]int, len(at.Ints))
	for i, v := range at.Ints {
		out[i] = int(v)
	}
	return out
}

func (a attrs) floats(name string) []float32 {
	if at := a[name]; at != nil {
		return at.Floats
	}
	return nil
}

// unsupportedf makes the error of an operator setting convnet does not
// run.
func unsupportedf(format string, args ...any) error {
	return &UnsupportedError{Detail: fmt.Sprintf(format, args...)}
}
