package train

import (
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/optim"
)

// Attach makes the log record every epoch of l.
func (m *MetricsLog) Attach(l *Loop) {
	l.OnEpoch(func(_ *Loop, r EpochResult) error { return m.Add(r.Metrics()) })
}

// Checkpoints is a hook that saves a run after every epoch: the model's
// weights at Path and the optimizer's state beside them
// (checkpoint.SaveRun), so that checkpoint.ResumeRun continues it.
type Checkpoints struct {
	Path string
	// Optimizer names the optimizer in the state file ("adam", "sgd").
	Optimizer string
	// Metadata is recorded in both files, with the epoch
	// (checkpoint.EpochKey) and the test accuracy ("test_accuracy").
	Metadata map[string]string
	// Saved is the last epoch saved, -1 before the first; a resumed run
	// sets it to the epoch it resumes after.
	Saved int
	// Best, if set, is where the weights of the epoch with the best test
	// accuracy so far are kept (checkpoint.Save, with the metadata): the
	// model to use, while Path holds the last epoch to resume from.
	Best string
	// BestAccuracy is the test accuracy of the epoch at Best; a run that
	// starts sets it to -1, a resumed one to what Best's metadata records
	// (BestAccuracyOf).
	BestAccuracy float64
}

// BestAccuracyOf returns the test accuracy a checkpoint's metadata
// records, or -1 if none is recorded.
func BestAccuracyOf(meta map[string]string) float64 {
	if v, err := strconv.ParseFloat(meta["test_accuracy"], 64); err == nil {
		return v
	}
	return -1
}

// Attach makes c save every epoch of l.
func (c *Checkpoints) Attach(l *Loop) {
	l.OnEpoch(func(l *Loop, r EpochResult) error {
		meta := maps.Clone(c.Metadata)
		if meta == nil {
			meta = map[string]string{}
		}
		meta[checkpoint.EpochKey] = strconv.Itoa(r.Epoch)
		if r.Test != nil {
			meta["test_accuracy"] = fmt.Sprintf("%.4f", r.Test.Accuracy())
		}
		if err := checkpoint.SaveRun(c.Path, l.Model, l.Optimizer, c.Optimizer, meta); err != nil {
			return err
		}
		c.Saved = r.Epoch
		if c.Best != "" && r.Test != nil && r.Test.Accuracy() > c.BestAccuracy {
			if err := checkpoint.Save(c.Best, l.Model, meta); err != nil {
				return err
			}
			c.BestAccuracy = r.Test.Accuracy()
		}
		return nil
	})
}

// EarlyStopping is a hook that ends a run (ErrStop) once the test
// accuracy has not improved for Patience epochs in a row, as the usual
// early stopping on a validation metric does.
type EarlyStopping struct {
	Patience int
	// Best is the best test accuracy so far and Waited the epochs since
	// it; Restore sets them for a resumed run.
	Best   float64
	Waited int
}

// NewEarlyStopping returns early stopping after patience epochs without
// a better test accuracy.
func NewEarlyStopping(patience int) *EarlyStopping {
	return &EarlyStopping{Patience: patience, Best: -1}
}

// Restore replays the test accuracies of the epochs a resumed run has
// done, in order.
func (e *EarlyStopping) Restore(accuracies []float64) {
	for _, a := range accuracies {
		e.observe(a)
	}
}

// observe counts one epoch's accuracy and reports whether to stop.
func (e *EarlyStopping) observe(acc float64) bool {
	if acc > e.Best {
		e.Best, e.Waited = acc, 0
		return false
	}
	e.Waited++
	return e.Waited >= e.Patience
}

// Attach makes e stop l. It should be attached after the hooks that save
// the epoch, so that the last epoch is saved before the run ends.
func (e *EarlyStopping) Attach(l *Loop) {
	l.OnEpoch(func(_ *Loop, r EpochResult) error {
		if r.Test != nil && e.observe(r.Test.Accuracy()) {
			return ErrStop
		}
		return nil
	})
}

// Plateau is a hook that steps a ReduceLROnPlateau after each epoch on
// the test accuracy (the mean loss when there is no test set) and sets
// the run's base rate to its answer for the next epoch. Its state goes
// into the checkpoints' metadata (keys "plateau.<name>"), from which
// Restore takes it back for a resumed run.
type Plateau struct {
	Scheduler *optim.ReduceLROnPlateau
}

// plateauKey prefixes the keys of the scheduler's state in a checkpoint's
// metadata.
const plateauKey = "plateau."

// Restore loads the scheduler's state from the metadata of the checkpoint
// a run resumes from, and the run's rate with it.
func (p *Plateau) Restore(l *Loop, meta map[string]string) error {
	state := map[string]float64{}
	for k, v := range meta {
		if name, ok := strings.CutPrefix(k, plateauKey); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return fmt.Errorf("metadata %s=%q is not a number", k, v)
			}
			state[name] = f
		}
	}
	if err := p.Scheduler.LoadStateDict(state); err != nil {
		return fmt.Errorf("the plateau schedule's state: %v", err)
	}
	l.LR = p.Scheduler.LR()
	return nil
}

// Attach makes p step after each epoch of l, and record its state in c's
// metadata: attach it before c, so that each checkpoint holds the state
// after its epoch.
func (p *Plateau) Attach(l *Loop, c *Checkpoints) {
	l.OnEpoch(func(l *Loop, r EpochResult) error {
		metric := r.MeanLoss()
		if r.Test != nil {
			metric = r.Test.Accuracy()
		}
		l.LR = p.Scheduler.Step(metric)
		if c.Metadata == nil {
			c.Metadata = map[string]string{}
		}
		for k, v := range p.Scheduler.StateDict() {
			c.Metadata[plateauKey+k] = strconv.FormatFloat(v, 'g', -1, 64)
		}
		return nil
	})
}
