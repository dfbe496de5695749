package models

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/onnx"
)

// IsONNX reports whether path names an ONNX model (by its extension),
// which LoadCheckpoint imports rather than builds.
func IsONNX(path string) bool { return strings.EqualFold(filepath.Ext(path), ".onnx") }

// loadONNX imports the ONNX model at path as a checkpoint: its graph is
// the model (see onnx.Graph). Its input is what the metadata convnet
// writes records, or else the shape of the graph's input and output;
// its name is the model the metadata names, else name, else "onnx".
func loadONNX(path, name string) (*Checkpoint, error) {
	m, err := onnx.Load(path)
	if err != nil {
		return nil, err
	}
	g := m.Graph
	if name == "" {
		name = m.Metadata[checkpoint.ModelKey]
	}
	if name == "" {
		name = "onnx"
	}
	in, err := graphInput(g, m.Metadata)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	spec := Spec{
		Name:  name,
		Input: in,
		Construct: func(Input) nn.Module {
			return g
		},
	}
	meta := m.Metadata
	if meta[InputKey] == "" {
		meta[InputKey] = fmt.Sprintf("%dx%dx%d", in.Channels, in.Size, in.Size)
	}
	if meta[ClassesKey] == "" {
		meta[ClassesKey] = fmt.Sprint(in.Classes)
	}
	meta[checkpoint.ModelKey] = name
	g.Eval()
	return &Checkpoint{Model: g, Spec: spec, Input: in, Metadata: meta}, nil
}

// ONNXSpec returns the spec of the model the ONNX file at path holds,
// named by the path: it takes only the input the file records (see
// loadONNX), and each build reads the file afresh (its weights as the
// file has them).
func ONNXSpec(path string) (Spec, error) {
	m, err := onnx.Load(path)
	if err != nil {
		return Spec{}, err
	}
	in, err := graphInput(m.Graph, m.Metadata)
	if err != nil {
		return Spec{}, fmt.Errorf("%s: %v", path, err)
	}
	first := m.Graph
	return Spec{
		Name:  path,
		Input: in,
		Construct: func(Input) nn.Module {
			if first != nil {
				g := first
				first = nil
				return g
			}
			again, err := onnx.Load(path)
			if err != nil {
				panic(err) // read once already: the file changed since
			}
			return again.Graph
		},
	}, nil
}

// graphInput works out the input of an imported graph.
func graphInput(g *onnx.Graph, meta map[string]string) (Input, error) {
	ports, outs := g.Inputs(), g.Outputs()
	if len(ports) != 1 || len(outs) < 1 {
		return Input{}, fmt.Errorf("the graph has %d inputs and %d outputs: convnet runs graphs of one image input", len(ports), len(outs))
	}
	shape := ports[0].Shape
	var in Input
	if len(shape) == 4 && shape[1] > 0 && shape[2] > 0 && shape[2] == shape[3] {
		in.Channels, in.Size = shape[1], shape[2]
	}
	if s := outs[0].Shape; len(s) == 2 && s[1] > 0 {
		in.Classes = s[1]
	}
	if meta[InputKey] != "" || meta[ClassesKey] != "" {
		spec := Spec{Name: "onnx", Input: in, Accepts: func(Input) error { return nil }}
		return InputFromMetadata(spec, meta)
	}
	if in.Channels == 0 || in.Classes == 0 {
		return Input{}, fmt.Errorf("its input %s %v and output %s %v are not N×C×S×S images to N×classes scores, and its metadata records no input",
			ports[0].Name, shape, outs[0].Name, outs[0].Shape)
	}
	return in, nil
}
