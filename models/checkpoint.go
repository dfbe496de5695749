package models

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/safetensors"
)

// Metadata keys that record, in a checkpoint, the input its model was
// built for (checkpoint.ModelKey names the model).
const (
	InputKey   = "input"   // CxHxW, e.g. 1x32x32
	ClassesKey = "classes" // the number of outputs
)

// legacyInput is the data of checkpoints that record no input: the
// lesson's, trained on MNIST before the input was recorded.
var legacyInput = Input{Channels: 1, Size: 28, Classes: 10}

// Metadata records in into a checkpoint's metadata for the named model.
func (in Input) Metadata(model string) map[string]string {
	return map[string]string{
		checkpoint.ModelKey: model,
		InputKey:            fmt.Sprintf("%dx%dx%d", in.Channels, in.Size, in.Size),
		ClassesKey:          strconv.Itoa(in.Classes),
	}
}

// InputFromMetadata returns the input that a checkpoint's metadata records
// for spec's model. Without one it is the lesson's MNIST digits, fitted to
// the model (see Spec.Fit).
func InputFromMetadata(spec Spec, meta map[string]string) (Input, error) {
	in, _, err := spec.Fit(legacyInput)
	if s := meta[InputKey]; s != "" {
		var c, h, w int
		if _, err := fmt.Sscanf(s, "%dx%dx%d", &c, &h, &w); err != nil || h != w || c < 1 || h < 1 {
			return Input{}, fmt.Errorf("checkpoint metadata input=%q is not CxHxW", s)
		}
		in = Input{Channels: c, Size: h, Classes: legacyInput.Classes}
		err = nil
	}
	if s := meta[ClassesKey]; s != "" {
		n, cerr := strconv.Atoi(s)
		if cerr != nil || n < 1 {
			return Input{}, fmt.Errorf("checkpoint metadata classes=%q is not a positive number", s)
		}
		in.Classes = n
	}
	if err != nil {
		return Input{}, fmt.Errorf("checkpoint metadata: %v", err)
	}
	if err := spec.Check(in); err != nil {
		return Input{}, fmt.Errorf("checkpoint metadata: %v", err)
	}
	return in, nil
}

// ErrNoModelName is returned by LoadCheckpoint for a file whose metadata
// names no model when none was given.
var ErrNoModelName = errors.New("the checkpoint names no model in its metadata")

// UnknownModelError is returned by LoadCheckpoint for a file whose
// metadata names a model that is not registered.
type UnknownModelError struct{ Name string }

func (e *UnknownModelError) Error() string {
	return fmt.Sprintf("the checkpoint holds unknown model %q (known: %s)", e.Name, strings.Join(Names(), ", "))
}

// Checkpoint is a model read from a checkpoint file, with what the file
// recorded of it.
type Checkpoint struct {
	Model    nn.Module
	Spec     Spec
	Input    Input
	Metadata map[string]string
}

// LoadCheckpoint builds the model that the checkpoint at path holds (the
// one its metadata names, or name if not empty), for the input its
// metadata records, and loads its weights. A model registered by a
// program (Register) loads as the built-in ones do.
//
// The file may be a safetensors file or a torch.save() one (.pth); a VGG's
// weights may carry torchvision's names (features.0.weight), which are
// read as the lesson's (TorchvisionNames). An ONNX model (.onnx) is
// imported: its graph is the model (see onnx.Load).
func LoadCheckpoint(path, name string) (*Checkpoint, error) {
	if IsONNX(path) {
		return loadONNX(path, name)
	}
	f, err := checkpoint.ReadFile(path)
	if err != nil {
		return nil, err
	}
	meta := f.Metadata
	if name == "" {
		name = meta[checkpoint.ModelKey]
		if name == "" {
			return nil, ErrNoModelName
		}
		if _, err := Lookup(name); err != nil {
			return nil, &UnknownModelError{name}
		}
	}
	spec, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	var m nn.Module
	var in Input
	if meta[InputKey] == "" && meta[ClassesKey] == "" {
		m, in, err = buildForWeights(path, f, spec)
	} else if in, err = InputFromMetadata(spec, meta); err == nil {
		m, err = spec.Build(in)
	}
	if err != nil {
		return nil, err
	}
	if meta, err = checkpoint.LoadTensors(path, LessonNames(f, m), m); err != nil {
		return nil, err
	}
	return &Checkpoint{Model: m, Spec: spec, Input: in, Metadata: meta}, nil
}

// LoadMatching reads the checkpoint at path (safetensors or .pth) into
// the tensors of m that it matches, as checkpoint.LoadMatching does, a
// VGG's torchvision names read as the lesson's (LessonNames): fine-tuning
// from weights trained for other classes.
func LoadMatching(path string, m nn.Module) (checkpoint.LoadReport, error) {
	f, err := checkpoint.ReadFile(path)
	if err != nil {
		return checkpoint.LoadReport{}, err
	}
	return checkpoint.LoadMatchingTensors(path, LessonNames(f, m), m, nil)
}

// LessonNames returns f with torchvision's VGG names made the lesson's
// names of m (the inverse of TorchvisionNames), if m is a VGG and f has
// torchvision's names; else f itself.
func LessonNames(f *safetensors.File, m nn.Module) *safetensors.File {
	names := TorchvisionNames(m)
	if names == nil || !HasTorchvisionNames(f.Names) {
		return f
	}
	inverse := make(map[string]string, len(names))
	for lesson, tv := range names {
		inverse[tv] = lesson
	}
	return checkpoint.Rename(f, inverse)
}

// buildForWeights builds spec's model for a checkpoint that records no
// input: one written by PyTorch, say. The input is the first of these
// whose model has every tensor of the file's shape: the lesson's MNIST
// digits fitted to the model (the checkpoints convnet wrote before it
// recorded inputs), the model's own input (torchvision's 3 channels and
// 1000 classes), and that input with the channels and classes the
// weights show (the first convolution's input channels, the last
// layer's outputs).
func buildForWeights(path string, f *safetensors.File, spec Spec) (nn.Module, Input, error) {
	var candidates []Input
	if in, _, err := spec.Fit(legacyInput); err == nil {
		candidates = append(candidates, in)
	}
	candidates = append(candidates, spec.Input)
	var first nn.Module
	for i := 0; i < len(candidates); i++ {
		in := candidates[i]
		m, err := spec.Build(in)
		if err != nil {
			continue
		}
		if first == nil {
			first = m
		}
		state := m.ModuleBase().StateDict()
		named := LessonNames(f, m)
		if fits(named, state) {
			return m, in, nil
		}
		if in == spec.Input {
			if shown, ok := shownInput(named, state, in); ok && shown != in {
				candidates = append(candidates, shown)
			}
		}
	}
	if first == nil {
		return nil, Input{}, fmt.Errorf("%s: cannot build %s for %v", path, spec.Name, spec.Input)
	}
	// None fits: checkpoint.Load will say which tensor differs.
	return first, spec.Input, nil
}

// fits reports whether the file holds every tensor of state with its shape.
func fits(f *safetensors.File, state []nn.Param) bool {
	for _, p := range state {
		t, ok := f.Tensors[p.Name]
		if !ok || !slices.Equal(t.Shape, p.Tensor.Shape()) {
			return false
		}
	}
	return true
}

// shownInput reads the input channels from the file's first 4-dimensional
// weight and the classes from its last 2-dimensional one, in the order of
// state.
func shownInput(f *safetensors.File, state []nn.Param, in Input) (Input, bool) {
	conv, fc := "", ""
	for _, p := range state {
		switch len(p.Tensor.Shape()) {
		case 4:
			if conv == "" {
				conv = p.Name
			}
		case 2:
			fc = p.Name
		}
	}
	c, okc := f.Tensors[conv]
	l, okl := f.Tensors[fc]
	if !okc || !okl || len(c.Shape) != 4 || len(l.Shape) != 2 {
		return in, false
	}
	in.Channels, in.Classes = c.Shape[1], l.Shape[0]
	return in, true
}
