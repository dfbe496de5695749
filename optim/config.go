package optim

import (
	"fmt"

	"github.com/convnet/convnet/tensor"
)

// Config names an optimizer and its learning-rate schedule with their
// settings, as a command line gives them, and builds them.
type Config struct {
	Optimizer   string  // "adam" (betas 0.9, 0.999, eps 1e-8) or "sgd"
	LR          float64 // the base learning rate
	Momentum    float64 // SGD's momentum; 0 for Adam
	WeightDecay float64 // L2 weight decay added to the gradients

	// Schedule is "none", "step" (StepSize, Gamma), "cosine" (over
	// Epochs) or "onecycle" (OneCycleLR over Epochs of Batches, LR its
	// peak).
	Schedule string
	StepSize int     // step: multiply the rate by Gamma every StepSize epochs
	Gamma    float64 // step: the factor
	Epochs   int     // cosine, onecycle: the epochs the schedule spans
	Batches  int     // onecycle: the batches in an epoch
}

// ConfigError says which setting of a Config is wrong and why, as
// "<setting> <problem>": "lr must be a positive number, got -1".
type ConfigError struct{ Setting, Problem string }

func (e *ConfigError) Error() string { return e.Setting + " " + e.Problem }

// Check reports the first setting that is out of range, or nil.
func (c Config) Check() error {
	bad := func(setting, format string, a ...any) error {
		return &ConfigError{setting, fmt.Sprintf(format, a...)}
	}
	switch {
	case c.Optimizer != "adam" && c.Optimizer != "sgd":
		return bad("optimizer", "must be adam or sgd, got %q", c.Optimizer)
	case !(c.LR > 0) || c.LR > 1e300:
		return bad("lr", "must be a positive number, got %v", c.LR)
	case !(c.Momentum >= 0 && c.Momentum < 1):
		return bad("momentum", "must be in [0, 1), got %v", c.Momentum)
	case c.Optimizer == "adam" && c.Momentum != 0:
		return bad("momentum", "applies to the sgd optimizer (Adam has its own moments)")
	case !(c.WeightDecay >= 0) || c.WeightDecay > 1e300:
		return bad("weight-decay", "must be 0 or more, got %v", c.WeightDecay)
	case c.Schedule != "none" && c.Schedule != "step" && c.Schedule != "cosine" && c.Schedule != "onecycle":
		return bad("schedule", "must be none, step, cosine or onecycle, got %q", c.Schedule)
	case c.Schedule == "onecycle" && c.Epochs < 1:
		return bad("epochs", "must be at least 1 for the onecycle schedule, got %d", c.Epochs)
	case c.Schedule == "step" && c.StepSize < 1:
		return bad("step-size", "must be at least 1, got %d", c.StepSize)
	case c.Schedule == "step" && (!(c.Gamma > 0) || c.Gamma > 1e300):
		return bad("gamma", "must be a positive number, got %v", c.Gamma)
	}
	return nil
}

// New checks the settings and builds the optimizer over params and its
// schedule; onecycle needs Batches, the number of batches in an epoch.
func (c Config) New(params []*tensor.Tensor) (Optimizer, Schedule, error) {
	if err := c.Check(); err != nil {
		return nil, nil, err
	}
	if c.Schedule == "onecycle" && c.Batches < 1 {
		return nil, nil, &ConfigError{"schedule", fmt.Sprintf("onecycle needs the batches in an epoch, got %d", c.Batches)}
	}
	var opt Optimizer = NewAdam(params, AdamOptions{LR: c.LR, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: c.WeightDecay})
	if c.Optimizer == "sgd" {
		opt = NewSGD(params, SGDOptions{LR: c.LR, Momentum: c.Momentum, WeightDecay: c.WeightDecay})
	}
	var sched Schedule = Constant{}
	switch c.Schedule {
	case "step":
		sched = StepLR{StepSize: c.StepSize, Gamma: c.Gamma}
	case "cosine":
		sched = CosineLR{TMax: c.Epochs}
	case "onecycle":
		sched = NewOneCycleLR(c.Epochs, c.Batches)
	}
	return opt, sched, nil
}
