package optim

import "math"

// Schedule gives the learning rate of each epoch from the base rate, as
// torch.optim.lr_scheduler's epoch-wise schedulers do. Schedules are pure
// functions of the epoch, so a resumed run needs only the epoch number.
type Schedule interface {
	LR(base float64, epoch int) float64
}

// Constant keeps the base rate.
type Constant struct{}

// LR returns base.
func (Constant) LR(base float64, _ int) float64 { return base }

// StepLR multiplies the rate by Gamma every StepSize epochs.
type StepLR struct {
	StepSize int
	Gamma    float64
}

// LR returns base * Gamma^(epoch / StepSize).
func (s StepLR) LR(base float64, epoch int) float64 {
	return base * math.Pow(s.Gamma, float64(epoch/max(s.StepSize, 1)))
}

// CosineLR anneals the rate from base to EtaMin over TMax epochs along half
// a cosine (CosineAnnealingLR's closed form).
type CosineLR struct {
	TMax   int
	EtaMin float64
}

// LR returns EtaMin + (base-EtaMin)(1+cos(pi*epoch/TMax))/2.
func (c CosineLR) LR(base float64, epoch int) float64 {
	return c.EtaMin + (base-c.EtaMin)*(1+math.Cos(math.Pi*float64(epoch)/float64(max(c.TMax, 1))))/2
}

// StepSchedule is a schedule that moves the rate, and maybe the momentum,
// after every batch, as torch.optim.lr_scheduler.OneCycleLR does when
// scheduler.step() follows each optimizer.step(). Step counts the batches
// since the run began (0 for the first). Like Schedule it is a pure
// function, so a resumed run needs only the step number.
type StepSchedule interface {
	Schedule
	// Batches is the number of batches in an epoch: step
	// epoch*Batches() starts epoch epoch.
	Batches() int
	// AtStep returns the rate and the momentum (0: leave it as it is) of
	// step step, base being the rate the run was given.
	AtStep(base float64, step int) (lr, momentum float64)
}

// Momentum is an optimizer whose momentum a schedule may move: SGD's
// momentum, Adam's beta1 (as OneCycleLR's cycle_momentum moves them).
type Momentum interface {
	SetMomentum(m float64)
}

// OneCycleLR is torch.optim.lr_scheduler.OneCycleLR with its default two
// phases and cosine annealing: over the first PctStart of TotalSteps the
// rate rises from max/DivFactor to the base rate (its max_lr), then falls
// to max/(DivFactor*FinalDivFactor); the momentum falls from MaxMomentum
// to BaseMomentum and rises back (cycle_momentum), unless both are 0.
// NewOneCycleLR gives PyTorch's defaults.
type OneCycleLR struct {
	TotalSteps, StepsPerEpoch int
	PctStart                  float64
	DivFactor, FinalDivFactor float64
	BaseMomentum, MaxMomentum float64
}

// NewOneCycleLR returns OneCycleLR over epochs epochs of stepsPerEpoch
// batches with PyTorch's defaults: pct_start 0.3, div_factor 25,
// final_div_factor 1e4, momentum between 0.85 and 0.95.
func NewOneCycleLR(epochs, stepsPerEpoch int) OneCycleLR {
	return OneCycleLR{TotalSteps: epochs * stepsPerEpoch, StepsPerEpoch: stepsPerEpoch, PctStart: 0.3,
		DivFactor: 25, FinalDivFactor: 1e4, BaseMomentum: 0.85, MaxMomentum: 0.95}
}

// Batches returns StepsPerEpoch.
func (o OneCycleLR) Batches() int { return o.StepsPerEpoch }

// LR returns the rate of the epoch's first batch.
func (o OneCycleLR) LR(base float64, epoch int) float64 {
	lr, _ := o.AtStep(base, epoch*o.StepsPerEpoch)
	return lr
}

// AtStep returns the rate and momentum of step step, computed as
// OneCycleLR.get_lr does: the phases end at steps PctStart*TotalSteps-1
// and TotalSteps-1, and each anneals along half a cosine.
func (o OneCycleLR) AtStep(base float64, step int) (lr, momentum float64) {
	initial := base / o.DivFactor
	final := initial / o.FinalDivFactor
	end1, end2 := o.PctStart*float64(o.TotalSteps)-1, float64(o.TotalSteps-1)
	t := float64(min(step, o.TotalSteps))
	anneal := func(from, to, pct float64) float64 { return to + (from-to)/2*(math.Cos(math.Pi*pct)+1) }
	if t <= end1 {
		pct := t / end1
		return anneal(initial, base, pct), anneal(o.MaxMomentum, o.BaseMomentum, pct)
	}
	pct := (t - end1) / (end2 - end1)
	return anneal(base, final, pct), anneal(o.BaseMomentum, o.MaxMomentum, pct)
}
