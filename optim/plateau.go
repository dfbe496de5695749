package optim

import (
	"fmt"
	"math"
)

// PlateauOptions are ReduceLROnPlateau's settings, PyTorch's arguments of
// the same names; DefaultPlateau gives PyTorch's defaults.
type PlateauOptions struct {
	// Mode is "min" for a metric that should fall (a loss) or "max" for
	// one that should rise (an accuracy).
	Mode string
	// Factor, in [0, 1), multiplies the rate at each reduction.
	Factor float64
	// Patience is the number of epochs without improvement that are
	// ignored: the rate falls after Patience+1 in a row.
	Patience int
	// Threshold is the least improvement that counts, relative to the
	// best metric (ThresholdMode "rel": better than best*(1±Threshold))
	// or absolute ("abs": better than best±Threshold).
	Threshold     float64
	ThresholdMode string
	// Cooldown is the number of epochs after a reduction during which no
	// epoch counts as bad.
	Cooldown int
	// MinLR is the least rate a reduction gives.
	MinLR float64
	// Eps is the least reduction made: a smaller one leaves the rate.
	Eps float64
}

// DefaultPlateau returns PyTorch's defaults for mode: factor 0.1,
// patience 10, threshold 1e-4 relative, no cooldown, min_lr 0, eps 1e-8.
func DefaultPlateau(mode string) PlateauOptions {
	return PlateauOptions{Mode: mode, Factor: 0.1, Patience: 10, Threshold: 1e-4, ThresholdMode: "rel", Eps: 1e-8}
}

// check reports the first setting out of range, or nil.
func (o PlateauOptions) check() error {
	switch {
	case o.Mode != "min" && o.Mode != "max":
		return fmt.Errorf("optim: plateau mode must be min or max, got %q", o.Mode)
	case o.ThresholdMode != "rel" && o.ThresholdMode != "abs":
		return fmt.Errorf("optim: plateau threshold mode must be rel or abs, got %q", o.ThresholdMode)
	case !(o.Factor >= 0 && o.Factor < 1):
		return fmt.Errorf("optim: plateau factor must be in [0, 1), got %v", o.Factor)
	case o.Patience < 0 || o.Cooldown < 0:
		return fmt.Errorf("optim: plateau patience and cooldown must be 0 or more, got %d and %d", o.Patience, o.Cooldown)
	case !(o.Threshold >= 0) || math.IsInf(o.Threshold, 1):
		return fmt.Errorf("optim: plateau threshold must be 0 or more, got %v", o.Threshold)
	case !(o.MinLR >= 0) || math.IsInf(o.MinLR, 1):
		return fmt.Errorf("optim: plateau min lr must be 0 or more, got %v", o.MinLR)
	case !(o.Eps >= 0) || math.IsInf(o.Eps, 1):
		return fmt.Errorf("optim: plateau eps must be 0 or more, got %v", o.Eps)
	}
	return nil
}

// ReduceLROnPlateau is torch.optim.lr_scheduler.ReduceLROnPlateau: it
// lowers the rate by Factor when a metric has not improved for more than
// Patience epochs. Unlike a Schedule it has state, the rate it gives and
// its memory of the metrics, which StateDict and LoadStateDict carry
// across a resumed run.
//
// Call Step once per epoch, after evaluating, with the epoch's metric,
// and train the next epoch at the rate it returns (set it as the base
// rate that any schedule, a Warmup say, scales). Where PyTorch reduces
// each param group's rate, this reduces the one base rate that the groups
// scale (ParamGroups); the two agree while MinLR is 0 and the smallest
// group's reductions exceed Eps.
type ReduceLROnPlateau struct {
	PlateauOptions // fixed once the first Step is taken

	lr        float64
	best      float64 // the best metric, or the worst value before any
	badEpochs int     // num_bad_epochs
	cooldown  int     // cooldown_counter: epochs of cooldown left
	epochs    int     // last_epoch: the Steps taken
}

// NewReduceLROnPlateau returns a ReduceLROnPlateau that starts at rate lr.
func NewReduceLROnPlateau(lr float64, opts PlateauOptions) (*ReduceLROnPlateau, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if !(lr >= 0) || math.IsInf(lr, 1) {
		return nil, fmt.Errorf("optim: plateau lr must be 0 or more, got %v", lr)
	}
	return &ReduceLROnPlateau{PlateauOptions: opts, lr: lr, best: opts.worst()}, nil
}

// worst is the metric that every other beats (mode_worse).
func (o PlateauOptions) worst() float64 {
	if o.Mode == "max" {
		return math.Inf(-1)
	}
	return math.Inf(1)
}

// better reports whether metric improves on best by the threshold
// (is_better).
func (o PlateauOptions) better(metric, best float64) bool {
	switch {
	case o.Mode == "min" && o.ThresholdMode == "rel":
		return metric < best*(1-o.Threshold)
	case o.Mode == "min":
		return metric < best-o.Threshold
	case o.ThresholdMode == "rel":
		return metric > best*(o.Threshold+1)
	}
	return metric > best+o.Threshold
}

// Step takes an epoch's metric and returns the rate for the next epoch,
// reduced if the metric has not improved for more than Patience epochs,
// as ReduceLROnPlateau.step. A NaN metric is never an improvement.
func (p *ReduceLROnPlateau) Step(metric float64) float64 {
	if p.epochs == 0 {
		p.best = p.worst() // Mode may have changed since NewReduceLROnPlateau
	}
	p.epochs++
	if p.better(metric, p.best) {
		p.best, p.badEpochs = metric, 0
	} else {
		p.badEpochs++
	}
	if p.cooldown > 0 {
		p.cooldown--
		p.badEpochs = 0 // bad epochs in cooldown do not count
	}
	if p.badEpochs > p.Patience {
		if lr := max(p.lr*p.Factor, p.MinLR); p.lr-lr > p.Eps {
			p.lr = lr
		}
		p.cooldown, p.badEpochs = p.Cooldown, 0
	}
	return p.lr
}

// LR returns the current rate: the last Step's, or the initial one.
func (p *ReduceLROnPlateau) LR() float64 { return p.lr }

// plateauKeys are StateDict's keys; all but "lr" are PyTorch's state_dict
// keys ("lr" is its _last_lr).
var plateauKeys = []string{"lr", "best", "num_bad_epochs", "cooldown_counter", "last_epoch"}

// StateDict returns the state a resumed run needs: "lr" (the current
// rate), "best" (the best metric, ±Inf before any), "num_bad_epochs",
// "cooldown_counter" and "last_epoch" (the Steps taken). The settings are
// not in it: a resumed run builds the scheduler with the same options and
// then loads the state. strconv.FormatFloat(v, 'g', -1, 64) writes each
// value so that strconv.ParseFloat reads it back exactly (Inf included).
func (p *ReduceLROnPlateau) StateDict() map[string]float64 {
	return map[string]float64{"lr": p.lr, "best": p.best, "num_bad_epochs": float64(p.badEpochs),
		"cooldown_counter": float64(p.cooldown), "last_epoch": float64(p.epochs)}
}

// LoadStateDict restores what StateDict returned; it reports a missing
// key or a value out of range and then changes nothing.
func (p *ReduceLROnPlateau) LoadStateDict(state map[string]float64) error {
	for _, k := range plateauKeys {
		v, ok := state[k]
		if !ok {
			return fmt.Errorf("optim: plateau state %q is missing", k)
		}
		switch k {
		case "lr":
			if !(v >= 0) || math.IsInf(v, 1) {
				return fmt.Errorf("optim: plateau state lr must be 0 or more, got %v", v)
			}
		case "best":
			if math.IsNaN(v) {
				return fmt.Errorf("optim: plateau state best is NaN")
			}
		default:
			if !(v >= 0 && v <= math.MaxInt32 && v == math.Trunc(v)) {
				return fmt.Errorf("optim: plateau state %s must be a count, got %v", k, v)
			}
		}
	}
	p.lr, p.best = state["lr"], state["best"]
	p.badEpochs, p.cooldown, p.epochs = int(state["num_bad_epochs"]), int(state["cooldown_counter"]), int(state["last_epoch"])
	return nil
}
