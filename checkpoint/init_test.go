package checkpoint_test

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/safetensors"
)

func TestLoadMatching(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ten.safetensors")
	spec, _ := models.Lookup("resnet18")
	ten, _ := spec.Build(models.Input{Channels: 1, Size: 28, Classes: 10})
	if err := checkpoint.Save(path, ten, nil); err != nil {
		t.Fatal(err)
	}
	nn.ManualSeed(7)
	five, _ := spec.Build(models.Input{Channels: 1, Size: 28, Classes: 5})
	head := slices.Clone(five.ModuleBase().Child("fc").ModuleBase().NamedParameters()[0].Tensor.Data())
	r, err := checkpoint.LoadMatching(path, five, func(key string) bool { return !strings.HasPrefix(key, "layer4.") })
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Mismatched) != 2 || !strings.HasPrefix(r.Mismatched[0], "fc.weight: file shape [10 512], model [5 512]") {
		t.Errorf("mismatched %q", r.Mismatched)
	}
	if len(r.Unexpected) != 0 || len(r.Missing) == 0 || !slices.ContainsFunc(r.Missing, func(k string) bool { return k == "layer4.0.conv1.weight" }) {
		t.Errorf("missing %q, unexpected %q", r.Missing, r.Unexpected)
	}
	if len(r.Loaded)+len(r.Missing)+len(r.Mismatched) != len(five.ModuleBase().StateDict()) {
		t.Errorf("%d loaded, %d missing, %d mismatched of %d", len(r.Loaded), len(r.Missing), len(r.Mismatched), len(five.ModuleBase().StateDict()))
	}
	// The convolutions' weights, drawn at random, tell loaded from not.
	got := five.ModuleBase().StateDict()
	for i, p := range ten.ModuleBase().StateDict() {
		loaded := slices.Contains(r.Loaded, p.Name)
		if strings.Contains(p.Name, "conv") && loaded != slices.Equal(p.Tensor.Data(), got[i].Tensor.Data()) {
			t.Errorf("%s: loaded %v but values equal %v", p.Name, loaded, !loaded)
		}
	}
	if !slices.Equal(head, five.ModuleBase().Child("fc").ModuleBase().NamedParameters()[0].Tensor.Data()) {
		t.Error("the new head changed")
	}
	if s := r.Summary(); !strings.HasPrefix(s, "loaded ") || !strings.Contains(s, "fc.weight") {
		t.Errorf("summary %q", s)
	}

	// A NaN anywhere: an error, and nothing copied.
	f, _ := safetensors.ReadFile(path)
	bad := f.Tensors["conv1.weight"]
	v, _ := bad.Float32s()
	v[3] = float32(math.NaN())
	f.Tensors["conv1.weight"] = safetensors.FromFloat32s(bad.Shape, v)
	badPath := filepath.Join(dir, "nan.safetensors")
	if err := safetensors.WriteFile(badPath, f); err != nil {
		t.Fatal(err)
	}
	before := slices.Clone(five.ModuleBase().StateDict()[0].Tensor.Data())
	if _, err := checkpoint.LoadMatching(badPath, five, nil); err == nil || !strings.Contains(err.Error(), `"conv1.weight" holds NaN at index 3`) {
		t.Errorf("error %v", err)
	}
	if !slices.Equal(before, five.ModuleBase().StateDict()[0].Tensor.Data()) {
		t.Error("a failed load changed the model")
	}
}
