package checkpoint

import (
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/safetensors"
	"github.com/convnet/convnet/tensor"
)

// A run's state is two files: the checkpoint at path, a plain state_dict
// that PyTorch's load_state_dict accepts, and beside it the optimizer's
// state (StatePath), which resumes the run. Both record the last finished
// epoch under EpochKey.

// Metadata keys of a run's files.
const (
	EpochKey     = "epoch"     // the last finished epoch, from 0
	OptimizerKey = "optimizer" // the optimizer's name, in the state file
)

// StatePath is where the optimizer state of the checkpoint at path is
// kept: <path without .safetensors>.state.safetensors.
func StatePath(path string) string {
	return strings.TrimSuffix(path, ".safetensors") + ".state.safetensors"
}

// SaveRun writes a finished epoch of a run: opt's state (under the name
// optimizer) beside path, then m's weights at path, both with meta, which
// should hold EpochKey. The state is written first so that a checkpoint is
// never newer than the state that resumes it; each file appears whole or
// not at all.
func SaveRun(path string, m nn.Module, opt optim.Optimizer, optimizer string, meta map[string]string) error {
	f := &safetensors.File{Metadata: maps.Clone(meta), Tensors: map[string]safetensors.Tensor{}}
	if f.Metadata == nil {
		f.Metadata = map[string]string{}
	}
	f.Metadata[OptimizerKey] = optimizer
	for _, s := range opt.StateDict() {
		f.Names = append(f.Names, s.Name)
		f.Tensors[s.Name] = safetensors.FromFloat32s(s.Tensor.Shape(), s.Tensor.Data())
	}
	if err := safetensors.WriteFile(StatePath(path), f); err != nil {
		return err
	}
	return Save(path, m, meta)
}

// RunMismatchError says that a checkpoint belongs to another run: its
// metadata value for Key is not the one wanted.
type RunMismatchError struct {
	Path, Key, Have, Want string
}

func (e *RunMismatchError) Error() string {
	return fmt.Sprintf("%s holds %s=%s, but this run has %s=%s", e.Path, e.Key, e.Have, e.Key, e.Want)
}

// ResumeRun loads the checkpoint at path into m and the optimizer state
// beside it into opt, and returns the last epoch they hold. Every key of
// want must have the same value in the checkpoint's metadata (the model,
// the data set, the input), or the error is a *RunMismatchError.
func ResumeRun(path string, m nn.Module, opt optim.Optimizer, want map[string]string) (epoch int, err error) {
	meta, err := Metadata(path)
	if err != nil {
		return 0, err
	}
	for _, k := range sortedKeys(want) {
		if meta[k] != want[k] {
			return 0, &RunMismatchError{Path: path, Key: k, Have: meta[k], Want: want[k]}
		}
	}
	epoch, err = strconv.Atoi(meta[EpochKey])
	if err != nil {
		return 0, fmt.Errorf("%s: its metadata has no epoch", path)
	}
	sf := StatePath(path)
	st, err := safetensors.ReadFile(sf)
	if err != nil {
		return 0, fmt.Errorf("the optimizer state beside the checkpoint: %v", err)
	}
	if st.Metadata[EpochKey] != meta[EpochKey] {
		return 0, fmt.Errorf("%s holds epoch %s but %s holds epoch %s", sf, st.Metadata[EpochKey], path, meta[EpochKey])
	}
	var state []optim.NamedTensor
	for _, name := range st.Names {
		v, err := st.Tensors[name].Float32s()
		if err != nil {
			return 0, fmt.Errorf("%s: %s: %v", sf, name, err)
		}
		state = append(state, optim.NamedTensor{Name: name, Tensor: tensor.New(v, st.Tensors[name].Shape...)})
	}
	// The weights are loaded last, when everything else has been checked,
	// and the optimizer's state after them: both leave their target
	// unchanged on error.
	if _, err := Load(path, m); err != nil {
		return 0, err
	}
	if err := opt.LoadStateDict(state); err != nil {
		return 0, fmt.Errorf("%s: %v (was it written by another optimizer?)", sf, err)
	}
	return epoch, nil
}

// sortedKeys returns the keys of m in a fixed order, so that the first
// mismatch reported is always the same.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for _, k := range []string{ModelKey, "dataset", "input", "classes"} {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	for k := range m {
		if k != ModelKey && k != "dataset" && k != "input" && k != "classes" {
			keys = append(keys, k)
		}
	}
	return keys
}
