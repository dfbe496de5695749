package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// EpochMetrics is one line of a training run's metrics file (JSON Lines,
// <checkpoint>.metrics.jsonl): an epoch's figures at full precision, with
// its training time and learning rate.
type EpochMetrics struct {
	Epoch         int     `json:"epoch"`
	Loss          float64 `json:"loss"`           // the lesson's loss: sum of batch losses / images
	MeanLoss      float64 `json:"mean_loss"`      // mean of the batch losses
	TrainAccuracy float64 `json:"train_accuracy"` // running training accuracy (accr)
	TestAccuracy  float64 `json:"test_accuracy"`  // test_accr
	Seconds       float64 `json:"seconds"`        // training time of the epoch, without the test
	LR            float64 `json:"lr"`             // learning rate of the epoch
}

// TestAccuracies returns the test accuracy of each row, in order (what
// EarlyStopping.Restore replays).
func TestAccuracies(rows []EpochMetrics) []float64 {
	acc := make([]float64, len(rows))
	for i, r := range rows {
		acc[i] = r.TestAccuracy
	}
	return acc
}

// metricsJSON is EpochMetrics as JSON: a figure that is not a finite
// number (a diverged loss) is null, which encoding/json cannot write for a
// float64, and a null or missing figure reads as NaN.
type metricsJSON struct {
	Epoch         int      `json:"epoch"`
	Loss          *float64 `json:"loss"`
	MeanLoss      *float64 `json:"mean_loss"`
	TrainAccuracy *float64 `json:"train_accuracy"`
	TestAccuracy  *float64 `json:"test_accuracy"`
	Seconds       *float64 `json:"seconds"`
	LR            *float64 `json:"lr"`
}

func (m EpochMetrics) MarshalJSON() ([]byte, error) {
	num := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	return json.Marshal(metricsJSON{m.Epoch, num(m.Loss), num(m.MeanLoss), num(m.TrainAccuracy), num(m.TestAccuracy),
		num(m.Seconds), num(m.LR)})
}

func (m *EpochMetrics) UnmarshalJSON(b []byte) error {
	var w metricsJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	num := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	*m = EpochMetrics{w.Epoch, num(w.Loss), num(w.MeanLoss), num(w.TrainAccuracy), num(w.TestAccuracy), num(w.Seconds), num(w.LR)}
	return nil
}

// MetricsPath is the metrics file of the checkpoint at path: beside it,
// <path without .safetensors>.metrics.jsonl.
func MetricsPath(checkpoint string) string {
	return strings.TrimSuffix(checkpoint, ".safetensors") + ".metrics.jsonl"
}

// MetricsLog is the metrics file of a training run, kept in memory and
// rewritten whole (atomically) after every epoch. As a hook of a Loop
// (Attach) it records each epoch.
type MetricsLog struct {
	path string
	rows []EpochMetrics
}

// OpenMetricsLog starts the metrics log at path of a run whose first epoch
// is first. A resumed run (first > 0) keeps the lines of the existing file
// for the epochs before first; a line it cannot read, or a file it cannot
// read at all, is dropped, each with one warning in the returned list. A
// new run starts an empty log; nothing is written before its first epoch
// ends, so that an old file stays as long as its checkpoint.
func OpenMetricsLog(path string, first int) (log *MetricsLog, warnings []string) {
	l := &MetricsLog{path: path}
	if first == 0 {
		return l, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			warnings = append(warnings, fmt.Sprintf("%s: the earlier epochs' metrics are lost", pathError(err)))
		}
		return l, warnings
	}
	rows, bad := ParseMetrics(b)
	for _, e := range bad {
		warnings = append(warnings, fmt.Sprintf("%s %s: dropped", path, e))
	}
	for _, r := range rows {
		if r.Epoch < first {
			l.rows = append(l.rows, r)
		}
	}
	return l, warnings
}

// Path is the file the log writes.
func (l *MetricsLog) Path() string { return l.path }

// Rows are the epochs recorded, in order.
func (l *MetricsLog) Rows() []EpochMetrics { return l.rows }

// Add records an epoch and rewrites the file.
func (l *MetricsLog) Add(m EpochMetrics) error {
	l.rows = append(l.rows, m)
	if err := WriteFileAtomic(l.path, func(w io.Writer) error { return WriteMetrics(w, l.rows) }); err != nil {
		return fmt.Errorf("metrics: %v", err)
	}
	return nil
}

// WriteMetrics writes rows as JSON Lines.
func WriteMetrics(w io.Writer, rows []EpochMetrics) error {
	enc := json.NewEncoder(w)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// ParseMetrics reads JSON Lines of EpochMetrics, skipping blank lines. It
// returns the records that parse, sorted by epoch, and one "line N: why"
// for each line that does not.
func ParseMetrics(b []byte) (rows []EpochMetrics, bad []string) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		r, err := parseMetricsLine(line)
		if err != nil {
			bad = append(bad, fmt.Sprintf("line %d: %v", n, err))
			continue
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		bad = append(bad, fmt.Sprintf("line %d: %v", n+1, err))
	}
	slices.SortStableFunc(rows, func(a, b EpochMetrics) int { return a.Epoch - b.Epoch })
	return rows, bad
}

// parseMetricsLine reads one record; it must be a JSON object with an
// "epoch" (other fields may be missing, unknown ones are ignored).
func parseMetricsLine(line []byte) (EpochMetrics, error) {
	var probe struct {
		Epoch *int `json:"epoch"`
	}
	var r EpochMetrics
	if err := json.Unmarshal(line, &probe); err != nil {
		return r, fmt.Errorf("not a JSON object of metrics: %v", metricsJSONError(err))
	}
	if probe.Epoch == nil {
		return r, errors.New(`no "epoch" in the record`)
	}
	if *probe.Epoch < 0 {
		return r, fmt.Errorf("epoch %d is negative", *probe.Epoch)
	}
	if err := json.Unmarshal(line, &r); err != nil {
		return r, fmt.Errorf("not a JSON object of metrics: %v", metricsJSONError(err))
	}
	return r, nil
}

// metricsJSONError shortens encoding/json's messages.
func metricsJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("%q is a JSON %s, want a %s", te.Field, te.Value, te.Type)
		}
		return fmt.Sprintf("a JSON %s, want an object", te.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// ReadMetrics reads a metrics file strictly: a missing or empty file
// and any unreadable line are errors.
func ReadMetrics(path string) ([]EpochMetrics, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.New(pathError(err))
	}
	rows, bad := ParseMetrics(b)
	if len(bad) > 0 {
		more := ""
		if len(bad) > 1 {
			more = fmt.Sprintf(" (and %d more bad lines)", len(bad)-1)
		}
		return nil, fmt.Errorf("%s %s%s", path, bad[0], more)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s is empty: no epochs to plot", path)
	}
	return rows, nil
}

// WriteFileAtomic writes path through a temporary file in the same folder
// and renames it into place, so that readers see the old file or the new
// one, never a part.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return errors.New(pathError(err))
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	w := bufio.NewWriter(f)
	if err := write(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return errors.New(pathError(err))
	}
	if err := f.Chmod(0o644); err != nil {
		return errors.New(pathError(err))
	}
	if err := f.Close(); err != nil {
		return errors.New(pathError(err))
	}
	if err := os.Rename(tmp, path); err != nil {
		return errors.New(pathError(err))
	}
	return nil
}

// pathError shortens an *os.PathError to "path: problem".
func pathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}
