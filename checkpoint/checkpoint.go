// Package checkpoint saves and loads a model's state in safetensors files
// whose keys are PyTorch's state_dict keys, so that weights move between
// convnet and PyTorch (safetensors.torch.load_file / save_file).
package checkpoint

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/safetensors"
)

// ModelKey is the metadata key that names the model a file holds, so that
// commands can rebuild it without being told.
const ModelKey = "model"

// Save writes m's state_dict to path with the given metadata (which should
// name the model under ModelKey). The file appears whole or not at all: it
// is written to a temporary file in the same folder and renamed.
func Save(path string, m nn.Module, metadata map[string]string) error {
	if err := safetensors.WriteFile(path, StateFile(m, metadata)); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// StateFile returns m's state_dict as named tensors with the given
// metadata, as Save writes them: float32 tensors, and batch norm's batch
// counts as int64 scalars, as PyTorch keeps them.
func StateFile(m nn.Module, metadata map[string]string) *safetensors.File {
	f := &safetensors.File{Metadata: maps.Clone(metadata), Tensors: map[string]safetensors.Tensor{}}
	if f.Metadata == nil {
		f.Metadata = map[string]string{}
	}
	f.Metadata["format"] = "pt" // what safetensors.torch writes
	for _, p := range m.ModuleBase().StateDict() {
		f.Names = append(f.Names, p.Name)
		f.Tensors[p.Name] = safetensors.FromFloat32s(p.Tensor.Shape(), p.Tensor.Data())
		if isCounter(p.Name) {
			f.Tensors[p.Name] = safetensors.FromInt64s(p.Tensor.Shape(), []int64{int64(p.Tensor.Item())})
		}
	}
	return f
}

// Load reads path into m's parameters and buffers and returns the file's
// metadata. Every state_dict key of m must be in the file with the same
// shape and dtype F32, and the file must hold nothing else; otherwise the
// error names the file and the first key that differs, and m is unchanged.
func Load(path string, m nn.Module) (map[string]string, error) {
	f, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return LoadTensors(path, f, m)
}

// LoadTensors is Load of the tensors f, read from path (which errors
// name): every state_dict key of m must be in f with its shape, and f
// must hold nothing else.
func LoadTensors(path string, f *safetensors.File, m nn.Module) (map[string]string, error) {
	var err error
	state := m.ModuleBase().StateDict()
	values := make([][]float32, len(state))
	for i, p := range state {
		t, ok := f.Tensors[p.Name]
		if !ok {
			return nil, fmt.Errorf("checkpoint: %s: no tensor %q, which the model needs%s", path, p.Name, modelHint(f))
		}
		if isCounter(p.Name) && t.DType == "I64" {
			if values[i], err = countValue(path, p.Name, t); err != nil {
				return nil, err
			}
			continue
		}
		if t.DType != "F32" {
			return nil, fmt.Errorf("checkpoint: %s: tensor %q has dtype %s, want F32", path, p.Name, t.DType)
		}
		if !slices.Equal(t.Shape, p.Tensor.Shape()) {
			return nil, fmt.Errorf("checkpoint: %s: tensor %q has shape %v, the model needs %v%s", path, p.Name, t.Shape, p.Tensor.Shape(), modelHint(f))
		}
		if values[i], err = finiteValues(path, p.Name, t); err != nil {
			return nil, err
		}
	}
	if len(f.Tensors) != len(state) {
		for _, name := range f.Names {
			if !slices.ContainsFunc(state, func(p nn.Param) bool { return p.Name == name }) {
				return nil, fmt.Errorf("checkpoint: %s: tensor %q is not part of the model%s", path, name, modelHint(f))
			}
		}
	}
	for i, p := range state {
		copy(p.Tensor.Data(), values[i])
	}
	return f.Metadata, nil
}

// countValue returns batch norm's batch count, an int64 scalar in
// PyTorch's files, as the float32 convnet keeps it.
func countValue(path, name string, t safetensors.Tensor) ([]float32, error) {
	n, err := t.Int64s()
	if err != nil || len(n) != 1 {
		return nil, fmt.Errorf("checkpoint: %s: tensor %q is not one I64 count", path, name)
	}
	return []float32{float32(n[0])}, nil
}

// finiteValues returns the values of an F32 tensor, refusing a NaN or an
// infinity among them.
func finiteValues(path, name string, t safetensors.Tensor) ([]float32, error) {
	v, err := t.Float32s()
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %s: tensor %q: %w", path, name, err)
	}
	if j := nonFinite(v); j >= 0 {
		return nil, fmt.Errorf("checkpoint: %s: tensor %q holds %v at index %d: %w (the run that wrote it diverged)",
			path, name, v[j], j, ErrNonFinite)
	}
	return v, nil
}

// ErrNonFinite is wrapped by Load's error for a file whose weights hold a
// NaN or an infinity, which no prediction can come from.
var ErrNonFinite = errors.New("a weight that is not a finite number")

// nonFinite returns the index of the first NaN or infinity in v, or -1.
func nonFinite(v []float32) int {
	for i, x := range v {
		if x-x != 0 { // NaN - NaN and Inf - Inf are NaN
			return i
		}
	}
	return -1
}

// Metadata returns the metadata of the checkpoint at path (empty for a
// torch.save() file).
func Metadata(path string) (map[string]string, error) {
	f, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return f.Metadata, nil
}

// isCounter reports whether a state_dict key is BatchNorm's batch count,
// which PyTorch stores as an int64 scalar (convnet keeps a float32).
func isCounter(name string) bool { return strings.HasSuffix(name, "num_batches_tracked") }

// modelHint names the model the file says it holds, to explain a mismatch.
func modelHint(f *safetensors.File) string {
	if name := strings.TrimSpace(f.Metadata[ModelKey]); name != "" {
		return fmt.Sprintf(" (the file holds model %q)", name)
	}
	return ""
}
