package onnx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// smallNet is a module of the kinds of layer export writes, for seeds.
func smallNet() nn.Module {
	nn.ManualSeed(0)
	return nn.NewSequentialOf(
		nn.NewConv2d(1, 2, 3, nn.Padding(1)), nn.NewReLU(), nn.NewMaxPool2d(2, 2, 0),
		nn.NewFlatten(), nn.NewLinear(2*4*4, 3),
	)
}

// FuzzDecode feeds the loader bytes from strangers: it must return a
// model or an error, never panic, and a model must run (or fail with an
// error) on an input its graph fixes the shape of.
func FuzzDecode(f *testing.F) {
	b, err := Export(smallNet(), tensor.Zeros(1, 1, 8, 8), ExportOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	seeds, _ := filepath.Glob(filepath.Join("internal", "pb", "testdata", "*.onnx"))
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b, "")
		if err != nil {
			return
		}
		ins := m.Graph.Inputs()
		xs := make([]*tensor.Tensor, len(ins))
		for i, p := range ins {
			if p.ElemType != 1 || p.Shape == nil {
				return
			}
			shape := make([]int, len(p.Shape))
			for j, d := range p.Shape {
				shape[j] = max(d, 1)
			}
			if err := checkSize(shape); err != nil || tensor.Numel(shape) > 1<<16 {
				return
			}
			xs[i] = tensor.Zeros(shape...)
		}
		m.Graph.Run(xs...)
	})
}

// TestDecodeRefuses checks that broken files give errors that say so.
func TestDecodeRefuses(t *testing.T) {
	good, err := Export(smallNet(), tensor.Zeros(1, 1, 8, 8), ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 10, len(good) / 2, len(good) - 1} {
		if _, err := Decode(good[:n], ""); err == nil {
			t.Errorf("%d of %d bytes decoded without error", n, len(good))
		}
	}
	path := filepath.Join(t.TempDir(), "cut.onnx")
	if err := os.WriteFile(path, good[:len(good)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Load of a truncated file: %v, want an error naming it", err)
	}
	m, err := Decode(good, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Graph.Run(tensor.Zeros(1, 2, 8, 8)); err == nil || !strings.Contains(err.Error(), "input input") {
		t.Errorf("a wrong input: %v", err)
	}
}
