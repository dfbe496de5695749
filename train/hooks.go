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
		return nil
	})
}
