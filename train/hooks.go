package train

import (
	"fmt"
	"maps"
	"strconv"

	"github.com/convnet/convnet/checkpoint"
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
