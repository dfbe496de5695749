package checkpoint_test

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/safetensors"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	nn.ManualSeed(1)
	a := models.NewLeNetSeq()
	if err := checkpoint.Save(path, a, map[string]string{checkpoint.ModelKey: "lenet5"}); err != nil {
		t.Fatal(err)
	}
	nn.ManualSeed(2)
	b := models.NewLeNetSeq()
	meta, err := checkpoint.Load(path, b)
	if err != nil {
		t.Fatal(err)
	}
	if meta[checkpoint.ModelKey] != "lenet5" {
		t.Errorf("metadata %v lacks the model name", meta)
	}
	for i, p := range a.StateDict() {
		if !slices.Equal(p.Tensor.Data(), b.StateDict()[i].Tensor.Data()) {
			t.Errorf("%s differs after the round trip", p.Name)
		}
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"feature.cnn1.weight", "feature.cnn1.bias", "feature.cnn2.weight", "feature.cnn2.bias",
		"feature.cnn3.weight", "feature.cnn3.bias", "classifier.fc1.weight", "classifier.fc1.bias",
		"classifier.fc2.weight", "classifier.fc2.bias"}
	if !slices.Equal(f.Names, want) {
		t.Errorf("keys %v, want PyTorch's %v", f.Names, want)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("Save left %d files, want 1", len(entries))
	}
}

func TestLoadRejectsMismatches(t *testing.T) {
	dir := t.TempDir()
	seq := filepath.Join(dir, "seq.safetensors")
	if err := checkpoint.Save(seq, models.NewLeNetSeq(), map[string]string{checkpoint.ModelKey: "lenet5"}); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(seq)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, edit func(f *safetensors.File)) string {
		g := &safetensors.File{Metadata: f.Metadata, Names: slices.Clone(f.Names), Tensors: map[string]safetensors.Tensor{}}
		for k, v := range f.Tensors {
			g.Tensors[k] = v
		}
		edit(g)
		path := filepath.Join(dir, name)
		if err := safetensors.WriteFile(path, g); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cases := []struct {
		name  string
		path  string
		model nn.Module
		want  string
	}{
		{"other model", seq, models.NewLeNet(), `no tensor "cnn1.weight"`},
		{"missing", write("missing.safetensors", func(g *safetensors.File) {
			delete(g.Tensors, "classifier.fc2.bias")
			g.Names = slices.DeleteFunc(g.Names, func(s string) bool { return s == "classifier.fc2.bias" })
		}), models.NewLeNetSeq(), `no tensor "classifier.fc2.bias"`},
		{"shape", write("shape.safetensors", func(g *safetensors.File) {
			g.Tensors["feature.cnn1.bias"] = safetensors.FromFloat32s([]int{7}, make([]float32, 7))
		}), models.NewLeNetSeq(), `"feature.cnn1.bias" has shape [7], the model needs [6]`},
		{"dtype", write("dtype.safetensors", func(g *safetensors.File) {
			g.Tensors["feature.cnn1.bias"] = safetensors.FromInt64s([]int{6}, make([]int64, 6))
		}), models.NewLeNetSeq(), "dtype I64"},
		{"extra", write("extra.safetensors", func(g *safetensors.File) {
			g.Tensors["extra"] = safetensors.FromFloat32s([]int{1}, []float32{1})
			g.Names = append(g.Names, "extra")
		}), models.NewLeNetSeq(), `"extra" is not part of the model`},
		{"not a file", filepath.Join(dir, "nope.safetensors"), models.NewLeNetSeq(), "nope.safetensors"},
		{"NaN", write("nan.safetensors", func(g *safetensors.File) {
			v := make([]float32, 84)
			v[5] = float32(math.NaN())
			g.Tensors["classifier.fc1.bias"] = safetensors.FromFloat32s([]int{84}, v)
		}), models.NewLeNetSeq(), `"classifier.fc1.bias" holds NaN at index 5`},
		{"infinity", write("inf.safetensors", func(g *safetensors.File) {
			v := make([]float32, 10)
			v[0] = float32(math.Inf(-1))
			g.Tensors["classifier.fc2.bias"] = safetensors.FromFloat32s([]int{10}, v)
		}), models.NewLeNetSeq(), `"classifier.fc2.bias" holds -Inf at index 0`},
	}
	for _, c := range cases {
		before := slices.Clone(c.model.ModuleBase().Parameters()[0].Data())
		_, err := checkpoint.Load(c.path, c.model)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), filepath.Base(c.path)) {
			t.Errorf("%s: error %v, want one naming the file and %q", c.name, err, c.want)
		}
		if !slices.Equal(before, c.model.ModuleBase().Parameters()[0].Data()) {
			t.Errorf("%s: a failed Load changed the model", c.name)
		}
	}
}

// TestBatchNormCountIsInt64 checks that num_batches_tracked goes to the
// file as PyTorch's int64 scalar and comes back.
func TestBatchNormCountIsInt64(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bn.safetensors")
	a := nn.NewSequential(nn.Child{Name: "bn", Module: nn.NewBatchNorm2d(3)})
	a.Child("bn").(*nn.BatchNorm2d).NumBatchesTracked.Data()[0] = 7
	if err := checkpoint.Save(path, a, nil); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if dt := f.Tensors["bn.num_batches_tracked"].DType; dt != "I64" {
		t.Errorf("num_batches_tracked stored as %s, want I64", dt)
	}
	b := nn.NewSequential(nn.Child{Name: "bn", Module: nn.NewBatchNorm2d(3)})
	if _, err := checkpoint.Load(path, b); err != nil {
		t.Fatal(err)
	}
	if n := b.Child("bn").(*nn.BatchNorm2d).NumBatchesTracked.Item(); n != 7 {
		t.Errorf("num_batches_tracked %v after loading, want 7", n)
	}
}
