package train

import (
	"context"
	"errors"

	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/tensor"
)

// Loop trains a model for a number of epochs, evaluating it on a test set
// after each, and calls its hooks at the start, after every step, after
// every epoch and at the end, in the manner of GoMLX's train.Loop. What a
// run does beyond training (a metrics file, curves, checkpoints, early
// stopping) is a hook that a program attaches.
type Loop struct {
	Model     nn.Module
	Optimizer optim.Optimizer
	Train     *data.Loader
	// Test, if not nil, is evaluated after every epoch in batches of
	// EvalBatch (default 1000).
	Test      data.Dataset
	EvalBatch int
	// Epochs is the number of epochs the run has when done; the loop runs
	// epochs First..Epochs-1 (First > 0 resumes a run).
	First, Epochs int
	// LR is the base learning rate that Schedule (default: constant)
	// turns into each epoch's.
	LR       float64
	Schedule optim.Schedule
	// ClipGradNorm, if positive, bounds the joint L2 norm of the
	// gradients before each step.
	ClipGradNorm float64
	// Precision is the arithmetic of training and evaluation (see the
	// Precision option): tensor.Float32 by default.
	Precision tensor.Precision
	// SetEpoch, if set, is called with each epoch before it starts, for
	// data that changes per epoch (data.Augment). The loader's own epoch
	// is set by the loop.
	SetEpoch func(epoch int)
	// Progress shows each epoch's steps, EvalProgress the evaluation's;
	// nil shows nothing.
	Progress, EvalProgress Progress

	onStart []func(*Loop) error
	onStep  []func(*Loop, Step) error
	onEpoch []func(*Loop, EpochResult) error
	onEnd   []func(*Loop, error) error
}

// Step is the state of a training step that OnStep hooks see.
type Step struct {
	Epoch, Batch, Batches int
}

// EpochResult is an epoch's figures: the training statistics, the test
// set's evaluation (if there is one) and the learning rate used.
type EpochResult struct {
	EpochStats
	Test *Evaluation
	LR   float64
}

// Metrics returns the epoch's line of a metrics file.
func (r EpochResult) Metrics() EpochMetrics {
	m := EpochMetrics{Epoch: r.Epoch, Loss: r.Loss(), MeanLoss: r.MeanLoss(), TrainAccuracy: r.Accuracy(),
		Seconds: r.Duration.Seconds(), LR: r.LR}
	if r.Test != nil {
		m.TestAccuracy = r.Test.Accuracy()
	}
	return m
}

// ErrStop may be returned by a hook to end the run early without an
// error (early stopping): Run returns nil.
var ErrStop = errors.New("train: stop requested by a hook")

// OnStart adds a hook called before the first epoch.
func (l *Loop) OnStart(fn func(*Loop) error) { l.onStart = append(l.onStart, fn) }

// OnStep adds a hook called after every optimizer step.
func (l *Loop) OnStep(fn func(*Loop, Step) error) { l.onStep = append(l.onStep, fn) }

// OnEpoch adds a hook called after every epoch and its evaluation.
func (l *Loop) OnEpoch(fn func(*Loop, EpochResult) error) { l.onEpoch = append(l.onEpoch, fn) }

// OnEnd adds a hook called once when the run ends, with the error it
// ends with (nil when every epoch ran); a hook may replace the error.
func (l *Loop) OnEnd(fn func(*Loop, error) error) { l.onEnd = append(l.onEnd, fn) }

// Run runs the epochs and returns their results. It stops between
// batches when ctx is cancelled (the error is ctx's), and when a hook
// fails (its error) or returns ErrStop (no error). The OnEnd hooks see
// the error and may change it.
func (l *Loop) Run(ctx context.Context) (results []EpochResult, err error) {
	defer func() {
		for _, fn := range l.onEnd {
			err = fn(l, err)
		}
		if errors.Is(err, ErrStop) {
			err = nil
		}
	}()
	for _, fn := range l.onStart {
		if err := fn(l); err != nil {
			return nil, err
		}
	}
	sched := l.Schedule
	if sched == nil {
		sched = optim.Constant{}
	}
	evalBatch := l.EvalBatch
	if evalBatch <= 0 {
		evalBatch = 1000
	}
	for epoch := l.First; epoch < l.Epochs; epoch++ {
		l.Train.SetEpoch(epoch)
		if l.SetEpoch != nil {
			l.SetEpoch(epoch)
		}
		l.Optimizer.SetLR(sched.LR(l.LR, epoch))
		stepCtx, stop := context.WithCancelCause(ctx)
		steps := &stepHooks{loop: l, epoch: epoch, stop: stop, Progress: orQuiet(l.Progress)}
		if ps, ok := sched.(optim.StepSchedule); ok {
			steps.perStep = ps
			steps.schedule(0)
		}
		stats, err := Epoch(stepCtx, l.Model, l.Optimizer, l.Train, epoch, steps, ClipGradNorm(l.ClipGradNorm), Precision(l.Precision))
		stop(nil)
		if steps.err != nil {
			return results, steps.err
		}
		if err != nil {
			return results, err
		}
		r := EpochResult{EpochStats: stats, LR: l.Optimizer.LR()}
		if l.Test != nil {
			ev, err := Evaluate(ctx, l.Model, l.Test, evalBatch, orQuiet(l.EvalProgress), Precision(l.Precision))
			if err != nil {
				return results, err
			}
			r.Test = &ev
		}
		results = append(results, r)
		for _, fn := range l.onEpoch {
			if err := fn(l, r); err != nil {
				return results, err
			}
		}
	}
	return results, nil
}

func orQuiet(p Progress) Progress {
	if p == nil {
		return Quiet{}
	}
	return p
}

// stepHooks passes an epoch's progress on and calls the OnStep hooks after
// each step; a hook's error cancels the epoch.
type stepHooks struct {
	Progress
	loop  *Loop
	epoch int
	total int
	stop  context.CancelCauseFunc
	err   error
	// perStep, if set, moves the rate (and momentum) after each batch.
	perStep optim.StepSchedule
}

// schedule sets the optimizer's rate, and momentum if the schedule moves
// it, for batch batch of the epoch.
func (s *stepHooks) schedule(batch int) {
	lr, m := s.perStep.AtStep(s.loop.LR, s.epoch*s.perStep.Batches()+batch)
	s.loop.Optimizer.SetLR(lr)
	if o, ok := s.loop.Optimizer.(optim.Momentum); ok && m != 0 {
		o.SetMomentum(m)
	}
}

func (s *stepHooks) Start(desc string, total int) {
	s.total = total
	s.Progress.Start(desc, total)
}

func (s *stepHooks) Update(done int) {
	if s.perStep != nil {
		s.schedule(done)
	}
	s.Progress.Update(done)
	if s.err != nil {
		return
	}
	for _, fn := range s.loop.onStep {
		if err := fn(s.loop, Step{Epoch: s.epoch, Batch: done - 1, Batches: s.total}); err != nil {
			s.err = err
			s.stop(err)
			return
		}
	}
}
