package models

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/nn"
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
func LoadCheckpoint(path, name string) (*Checkpoint, error) {
	meta, err := checkpoint.Metadata(path)
	if err != nil {
		return nil, err
	}
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
	in, err := InputFromMetadata(spec, meta)
	if err != nil {
		return nil, err
	}
	m, err := spec.Build(in)
	if err != nil {
		return nil, err
	}
	if meta, err = checkpoint.Load(path, m); err != nil {
		return nil, err
	}
	return &Checkpoint{Model: m, Spec: spec, Input: in, Metadata: meta}, nil
}
