package optim

import "fmt"

// Warmup multiplies the rate of another schedule, Then, by a factor that
// rises linearly from StartFactor at step 0 to 1 at step Steps and stays
// 1 after, as torch.optim.lr_scheduler.LinearLR(start_factor,
// end_factor=1, total_iters=Steps) stepped after every batch. It is a
// StepSchedule whatever Then is, and like every schedule a pure function
// of the step, so a resumed run needs only the step number.
//
// When Then is a per-epoch Schedule, step s has Then's rate for its epoch,
// s/EpochBatches, times the warm-up factor: PyTorch's LinearLR stepped
// after every batch and Then's scheduler (StepLR, CosineAnnealingLR with
// eta_min 0) after every epoch, both on the same optimizer. After the
// warm-up the rate is Then's for the epoch of that step.
//
// When Then is a StepSchedule, it starts when the warm-up ends: step s has
// Then's rate and momentum for step max(s-Steps, 0), the rate times the
// warm-up factor, as SequentialLR([LinearLR, then], milestones=[Steps])
// stepped after every batch. (The warm-up thus rises to Then's first
// rate, and the momentum stays at Then's first until it starts.) Then's
// TotalSteps should leave room for the warm-up: OneCycleLR over the run's
// batches less Steps.
type Warmup struct {
	// Steps is the number of batches the warm-up lasts (total_iters).
	Steps int
	// StartFactor, in [0, 1], is the factor of the first step's rate.
	// PyTorch's LinearLR defaults to 1/3; 0 starts from a rate of 0 (where
	// LinearLR's recursive form divides by zero).
	StartFactor float64
	// Then is the schedule warmed up; nil is Constant.
	Then Schedule
	// EpochBatches is the number of batches in an epoch, which a
	// per-epoch Then needs; a StepSchedule gives its own Batches.
	EpochBatches int
}

// Factor returns the warm-up factor of step step: StartFactor +
// (1-StartFactor)*step/Steps until step Steps, 1 from then on (LinearLR's
// closed form).
func (w Warmup) Factor(step int) float64 {
	if step >= w.Steps {
		return 1
	}
	return w.StartFactor + (1-w.StartFactor)*float64(max(step, 0))/float64(w.Steps)
}

// Batches returns Then's Batches if Then is a StepSchedule, otherwise
// EpochBatches, which must then be positive.
func (w Warmup) Batches() int {
	if ps, ok := w.Then.(StepSchedule); ok {
		return ps.Batches()
	}
	if w.EpochBatches < 1 {
		panic(fmt.Sprintf("optim: Warmup over a per-epoch schedule needs EpochBatches, got %d", w.EpochBatches))
	}
	return w.EpochBatches
}

// AtStep returns the rate of step step, and Then's momentum if Then is a
// StepSchedule (0, leave it, otherwise).
func (w Warmup) AtStep(base float64, step int) (lr, momentum float64) {
	switch then := w.Then.(type) {
	case nil:
		lr = base
	case StepSchedule:
		lr, momentum = then.AtStep(base, max(step-w.Steps, 0))
	default:
		lr = then.LR(base, step/w.Batches())
	}
	return lr * w.Factor(step), momentum
}

// LR returns the rate of the epoch's first batch.
func (w Warmup) LR(base float64, epoch int) float64 {
	lr, _ := w.AtStep(base, epoch*w.Batches())
	return lr
}

// PerBatch steps a per-epoch Schedule after every batch instead of every
// epoch: its epoch argument counts batches, as when PyTorch's scheduler
// (CosineAnnealingLR(T_max) over the run's batches, say) is stepped after
// every optimizer step. It is a StepSchedule that leaves the momentum;
// Warmup{Then: PerBatch{...}} is SequentialLR([LinearLR, scheduler])
// stepped per batch.
type PerBatch struct {
	Schedule Schedule
	// EpochBatches is the number of batches in an epoch.
	EpochBatches int
}

// Batches returns EpochBatches.
func (p PerBatch) Batches() int { return p.EpochBatches }

// AtStep returns Schedule's rate for step as if it were an epoch, and
// momentum 0.
func (p PerBatch) AtStep(base float64, step int) (lr, momentum float64) {
	return p.Schedule.LR(base, step), 0
}

// LR returns the rate of the epoch's first batch.
func (p PerBatch) LR(base float64, epoch int) float64 {
	return p.Schedule.LR(base, epoch*p.EpochBatches)
}
