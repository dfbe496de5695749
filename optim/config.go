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
	// Epochs), "onecycle" (OneCycleLR over Epochs of Batches, LR its
	// peak) or "plateau" (ReduceLROnPlateau: the rate falls by Gamma
	// after PlateauPatience+1 epochs without improvement; NewPlateau
	// builds it).
	Schedule        string
	StepSize        int     // step: multiply the rate by Gamma every StepSize epochs
	Gamma           float64 // step, plateau: the factor
	Epochs          int     // cosine, onecycle: the epochs the schedule spans
	Batches         int     // onecycle, warmup: the batches in an epoch
	PlateauPatience int     // plateau: the epochs without improvement ignored (PyTorch: 10)

	// Warmup, if positive, is the number of batches of a linear warm-up
	// (Warmup, LinearLR) from WarmupStart times the rate, which the
	// schedule (any but onecycle, which warms up itself) then scales.
	Warmup      int
	WarmupStart float64

	// BackboneLR, if positive, is the base rate of every parameter not in
	// Head, which learns at LR: a pretrained backbone fine-tuned more
	// gently than a new head. The schedule scales both rates alike
	// (ParamGroups, whose factor BackboneLR/LR is).
	BackboneLR float64
	Head       []*tensor.Tensor
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
	case c.Schedule != "none" && c.Schedule != "step" && c.Schedule != "cosine" && c.Schedule != "onecycle" && c.Schedule != "plateau":
		return bad("schedule", "must be none, step, cosine, onecycle or plateau, got %q", c.Schedule)
	case c.Schedule == "onecycle" && c.Epochs < 1:
		return bad("epochs", "must be at least 1 for the onecycle schedule, got %d", c.Epochs)
	case c.Schedule == "step" && c.StepSize < 1:
		return bad("step-size", "must be at least 1, got %d", c.StepSize)
	case c.Schedule == "step" && (!(c.Gamma > 0) || c.Gamma > 1e300):
		return bad("gamma", "must be a positive number, got %v", c.Gamma)
	case c.Schedule == "plateau" && !(c.Gamma > 0 && c.Gamma < 1):
		return bad("gamma", "must be in (0, 1) for the plateau schedule, got %v", c.Gamma)
	case c.Schedule == "plateau" && c.PlateauPatience < 0:
		return bad("plateau-patience", "must be 0 or more, got %d", c.PlateauPatience)
	case c.Warmup < 0:
		return bad("warmup", "must be 0 (none) or more batches, got %d", c.Warmup)
	case c.Warmup > 0 && c.Schedule == "onecycle":
		return bad("warmup", "does not apply to the onecycle schedule, which warms up itself")
	case c.Warmup > 0 && !(c.WarmupStart >= 0 && c.WarmupStart <= 1):
		return bad("warmup-start", "must be in [0, 1], got %v", c.WarmupStart)
	case !(c.BackboneLR >= 0) || c.BackboneLR > 1e300:
		return bad("backbone-lr", "must be 0 (lr) or a positive number, got %v", c.BackboneLR)
	}
	return nil
}

// New checks the settings and builds the optimizer over params and its
// schedule; onecycle and a warm-up need Batches, the number of batches in
// an epoch, and BackboneLR needs Head among params. The plateau schedule
// is Constant here (or a Warmup of it): the ReduceLROnPlateau that
// NewPlateau builds moves the base rate between epochs.
func (c Config) New(params []*tensor.Tensor) (Optimizer, Schedule, error) {
	if err := c.Check(); err != nil {
		return nil, nil, err
	}
	if c.Schedule == "onecycle" && c.Batches < 1 {
		return nil, nil, &ConfigError{"schedule", fmt.Sprintf("onecycle needs the batches in an epoch, got %d", c.Batches)}
	}
	if c.Warmup > 0 && c.Batches < 1 {
		return nil, nil, &ConfigError{"warmup", fmt.Sprintf("needs the batches in an epoch, got %d", c.Batches)}
	}
	var opt interface {
		Optimizer
		ParamGroups
	} = NewAdam(params, AdamOptions{LR: c.LR, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: c.WeightDecay})
	if c.Optimizer == "sgd" {
		opt = NewSGD(params, SGDOptions{LR: c.LR, Momentum: c.Momentum, WeightDecay: c.WeightDecay})
	}
	if c.BackboneLR > 0 {
		if len(c.Head) == 0 {
			return nil, nil, &ConfigError{"backbone-lr", "needs the head's parameters (Config.Head)"}
		}
		if err := opt.SetLRFactor(params, c.BackboneLR/c.LR); err != nil {
			return nil, nil, err
		}
		if err := opt.SetLRFactor(c.Head, 1); err != nil {
			return nil, nil, &ConfigError{"backbone-lr", "needs the head's parameters among the model's: " + err.Error()}
		}
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
	if c.Warmup > 0 {
		sched = Warmup{Steps: c.Warmup, StartFactor: c.WarmupStart, Then: sched, EpochBatches: c.Batches}
	}
	return opt, sched, nil
}

// NewPlateau returns, for the plateau schedule, the ReduceLROnPlateau
// that starts at LR and lowers it by Gamma after PlateauPatience+1 epochs
// in a row without improvement of a metric that mode says should fall
// ("min": a loss) or rise ("max": an accuracy), with PyTorch's other
// defaults; for other schedules it returns nil.
func (c Config) NewPlateau(mode string) (*ReduceLROnPlateau, error) {
	if c.Schedule != "plateau" {
		return nil, nil
	}
	if err := c.Check(); err != nil {
		return nil, err
	}
	opts := DefaultPlateau(mode)
	opts.Factor, opts.Patience = c.Gamma, c.PlateauPatience
	return NewReduceLROnPlateau(c.LR, opts)
}
