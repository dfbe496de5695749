package checkpoint

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
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
// epoch under EpochKey. SaveRun writes them so that a crash at any point
// leaves a pair that resumes: the new state goes to a file of its own
// (the next-state file), then the checkpoint, then the next-state file is
// renamed over the state; ResumeRun takes whichever of the two state files
// holds the checkpoint's epoch.

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

// nextStatePath is where SaveRun writes a new optimizer state before the
// checkpoint that it belongs to.
func nextStatePath(path string) string {
	return strings.TrimSuffix(path, ".safetensors") + ".state.next.safetensors"
}

// crashHook, when set by a test, runs between SaveRun's writes; an error
// stops SaveRun there, as a crash would.
var crashHook func(step string) error

// SaveRun writes a finished epoch of a run: m's weights at path and opt's
// state (under the name optimizer) beside it, both with meta, which should
// hold EpochKey. Each file appears whole or not at all, and a crash at any
// point leaves either the old epoch or the new one resumable (see the
// package's note on a run's files). Temporary files left in the folder by
// an earlier, killed SaveRun of the same path are removed.
func SaveRun(path string, m nn.Module, opt optim.Optimizer, optimizer string, meta map[string]string) error {
	removeStaleTemporaries(path)
	f := &safetensors.File{Metadata: maps.Clone(meta), Tensors: map[string]safetensors.Tensor{}}
	if f.Metadata == nil {
		f.Metadata = map[string]string{}
	}
	f.Metadata[OptimizerKey] = optimizer
	for _, s := range opt.StateDict() {
		f.Names = append(f.Names, s.Name)
		f.Tensors[s.Name] = safetensors.FromFloat32s(s.Tensor.Shape(), s.Tensor.Data())
	}
	next := nextStatePath(path)
	if err := safetensors.WriteFile(next, f); err != nil {
		return err
	}
	if err := runCrashHook("state written"); err != nil {
		return err
	}
	if err := Save(path, m, meta); err != nil {
		return err
	}
	if err := runCrashHook("checkpoint written"); err != nil {
		return err
	}
	if err := os.Rename(next, StatePath(path)); err != nil {
		return fmt.Errorf("checkpoint: %v", err)
	}
	return nil
}

func runCrashHook(step string) error {
	if crashHook == nil {
		return nil
	}
	return crashHook(step)
}

// removeStaleTemporaries removes the temporary files that
// safetensors.WriteFile makes (".<name>.*.tmp") for the files of the run
// at path, which a killed process leaves behind.
func removeStaleTemporaries(path string) {
	dir := filepath.Dir(path)
	for _, p := range []string{path, StatePath(path), nextStatePath(path)} {
		matches, _ := filepath.Glob(filepath.Join(dir, "."+globEscape(filepath.Base(p))+".*.tmp"))
		for _, m := range matches {
			os.Remove(m)
		}
	}
}

// globEscape quotes the characters that filepath.Match treats specially.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
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
	sf, st, err := readState(path, meta[EpochKey])
	if err != nil {
		return 0, err
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

// readState reads the optimizer state of the checkpoint at path that
// holds epoch: the state file, or the next-state file when a crash came
// between SaveRun's writes.
func readState(path, epoch string) (string, *safetensors.File, error) {
	sf := StatePath(path)
	st, err := safetensors.ReadFile(sf)
	if err == nil && st.Metadata[EpochKey] == epoch {
		return sf, st, nil
	}
	if next, nerr := safetensors.ReadFile(nextStatePath(path)); nerr == nil && next.Metadata[EpochKey] == epoch {
		// Finish the interrupted SaveRun, so that the next one cannot
		// replace the only state of this epoch.
		if err := os.Rename(nextStatePath(path), sf); err != nil {
			return "", nil, fmt.Errorf("checkpoint: %v", err)
		}
		return sf, next, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("the optimizer state beside the checkpoint: %v", err)
	}
	return "", nil, fmt.Errorf("%s holds epoch %s but %s holds epoch %s", sf, st.Metadata[EpochKey], path, epoch)
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
