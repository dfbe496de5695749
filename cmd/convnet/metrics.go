package main

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

// epochMetrics is one line of a training run's metrics file: the figures
// that "convnet train" prints for an epoch, at full precision, with the
// epoch's training time and learning rate.
type epochMetrics struct {
	Epoch         int     `json:"epoch"`
	Loss          float64 `json:"loss"`           // the lesson's loss: sum of batch losses / images
	MeanLoss      float64 `json:"mean_loss"`      // mean of the batch losses
	TrainAccuracy float64 `json:"train_accuracy"` // running training accuracy (accr)
	TestAccuracy  float64 `json:"test_accuracy"`  // test_accr
	Seconds       float64 `json:"seconds"`        // training time of the epoch, without the test
	LR            float64 `json:"lr"`             // learning rate of the epoch
}

// metricsWire is epochMetrics as JSON: a figure that is not a finite
// number (a diverged loss) is null, which encoding/json cannot write for a
// float64, and a null or missing figure reads as NaN.
type metricsWire struct {
	Epoch         int      `json:"epoch"`
	Loss          *float64 `json:"loss"`
	MeanLoss      *float64 `json:"mean_loss"`
	TrainAccuracy *float64 `json:"train_accuracy"`
	TestAccuracy  *float64 `json:"test_accuracy"`
	Seconds       *float64 `json:"seconds"`
	LR            *float64 `json:"lr"`
}

func (m epochMetrics) MarshalJSON() ([]byte, error) {
	num := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	return json.Marshal(metricsWire{m.Epoch, num(m.Loss), num(m.MeanLoss), num(m.TrainAccuracy), num(m.TestAccuracy),
		num(m.Seconds), num(m.LR)})
}

func (m *epochMetrics) UnmarshalJSON(b []byte) error {
	var w metricsWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	num := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	*m = epochMetrics{w.Epoch, num(w.Loss), num(w.MeanLoss), num(w.TrainAccuracy), num(w.TestAccuracy), num(w.Seconds), num(w.LR)}
	return nil
}

// metricsPath is the metrics file of the checkpoint at path: beside it,
// <path without .safetensors>.metrics.jsonl.
func metricsPath(checkpoint string) string {
	return strings.TrimSuffix(checkpoint, ".safetensors") + ".metrics.jsonl"
}

// metricsLog is the metrics file of a training run, kept in memory and
// rewritten whole (atomically) after every epoch, with the curves drawn
// again if plot names a file.
type metricsLog struct {
	path  string
	plot  string // .png or .svg file for the curves, or ""
	title string
	rows  []epochMetrics
}

// openMetrics starts the metrics log of a run whose first epoch is first.
// A resumed run (first > 0) keeps the lines of the existing file for the
// epochs before first; lines it cannot read are dropped with a warning on
// stderr. A new run starts an empty log; nothing is written before its
// first epoch ends, so that an old file stays as long as its checkpoint.
func openMetrics(path string, first int, plot, title string, stderr io.Writer) *metricsLog {
	l := &metricsLog{path: path, plot: plot, title: title}
	if first == 0 {
		return l
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(stderr, "convnet train: warning: %s: the earlier epochs' metrics are lost\n", pathError(err))
		}
		return l
	}
	rows, bad := parseMetrics(b)
	for _, e := range bad {
		fmt.Fprintf(stderr, "convnet train: warning: %s %s: dropped\n", path, e)
	}
	for _, r := range rows {
		if r.Epoch < first {
			l.rows = append(l.rows, r)
		}
	}
	return l
}

// add records an epoch, rewrites the metrics file and draws the curves.
func (l *metricsLog) add(m epochMetrics) error {
	l.rows = append(l.rows, m)
	if err := writeFileAtomic(l.path, func(w io.Writer) error { return writeMetrics(w, l.rows) }); err != nil {
		return fmt.Errorf("metrics: %v", err)
	}
	if l.plot != "" {
		if err := saveCurves(l.plot, l.title, l.rows); err != nil {
			return fmt.Errorf("--plot: %v", err)
		}
	}
	return nil
}

// writeMetrics writes rows as JSON Lines.
func writeMetrics(w io.Writer, rows []epochMetrics) error {
	enc := json.NewEncoder(w)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// parseMetrics reads JSON Lines of epochMetrics, skipping blank lines. It
// returns the records that parse, sorted by epoch, and one "line N: why"
// for each line that does not.
func parseMetrics(b []byte) (rows []epochMetrics, bad []string) {
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
	slices.SortStableFunc(rows, func(a, b epochMetrics) int { return a.Epoch - b.Epoch })
	return rows, bad
}

// parseMetricsLine reads one record; it must be a JSON object with an
// "epoch" (other fields may be missing, unknown ones are ignored).
func parseMetricsLine(line []byte) (epochMetrics, error) {
	var probe struct {
		Epoch *int `json:"epoch"`
	}
	var r epochMetrics
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

// readMetricsFile reads a metrics file strictly: a missing or empty file
// and any unreadable line are errors.
func readMetricsFile(path string) ([]epochMetrics, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.New(pathError(err))
	}
	rows, bad := parseMetrics(b)
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

// writeFileAtomic writes path through a temporary file in the same folder
// and renames it into place, so that readers see the old file or the new
// one, never a part.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
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
