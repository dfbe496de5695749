package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/convnet/convnet/train"
	"github.com/convnet/convnet/viz"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// epochFigures matches a printed epoch line.
var epochFigures = regexp.MustCompile(`(?m)^epoch (\d+) : loss=(\d+\.\d{4}), accr=(\d\.\d{4}), mean_loss=(\d+\.\d{4}), test_accr=(\d\.\d{4})$`)

// readMetricsLines reads a metrics file's lines, each parsed strictly
// (unknown fields are errors here, so that the format is pinned).
func readMetricsLines(t *testing.T, path string) ([]string, []train.EpochMetrics) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	var rows []train.EpochMetrics
	for i, l := range lines {
		dec := json.NewDecoder(strings.NewReader(l))
		dec.DisallowUnknownFields()
		var r train.EpochMetrics
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("%s line %d %q: %v", path, i+1, l, err)
		}
		var keys map[string]any
		if err := json.Unmarshal([]byte(l), &keys); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"epoch", "loss", "mean_loss", "train_accuracy", "test_accuracy", "seconds", "lr"} {
			if _, ok := keys[k]; !ok {
				t.Errorf("%s line %d has no %q: %s", path, i+1, k, l)
			}
		}
		rows = append(rows, r)
	}
	return lines, rows
}

// checkMetricsMatch checks that the metrics rows hold the printed figures.
func checkMetricsMatch(t *testing.T, stdout string, rows []train.EpochMetrics) {
	t.Helper()
	printed := epochFigures.FindAllStringSubmatch(stdout, -1)
	if len(printed) != len(rows) {
		t.Fatalf("%d epoch lines printed, %d in the metrics file:\n%s", len(printed), len(rows), stdout)
	}
	for i, p := range printed {
		r := rows[i]
		got := []string{fmt.Sprint(r.Epoch), fmt.Sprintf("%.4f", r.Loss), fmt.Sprintf("%.4f", r.TrainAccuracy),
			fmt.Sprintf("%.4f", r.MeanLoss), fmt.Sprintf("%.4f", r.TestAccuracy)}
		if !slices.Equal(got, p[1:]) {
			t.Errorf("metrics line %d gives %q, printed %q", i+1, got, p[0])
		}
		if !(r.Seconds > 0) || r.LR != 0.001 {
			t.Errorf("metrics line %d: seconds %v, lr %v", i+1, r.Seconds, r.LR)
		}
	}
}

func TestTrainWritesMetricsAndPlot(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "run.safetensors")
	curves := filepath.Join(dir, "curves.png")
	stdout, stderr, code := runCmd(t, "train", "--limit", "640", "--epochs", "2", "--test-limit", "200",
		"--threads", "2", "--out", out, "--plot", curves)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasSuffix(stdout, "saved "+out+"\nsaved "+curves+"\n") {
		t.Errorf("stdout does not end with the saved files:\n%s", stdout)
	}
	_, rows := readMetricsLines(t, filepath.Join(dir, "run.metrics.jsonl"))
	if len(rows) != 2 || rows[0].Epoch != 0 || rows[1].Epoch != 1 {
		t.Fatalf("metrics rows %+v", rows)
	}
	checkMetricsMatch(t, stdout, rows)
	checkPicturePNG(t, curves, viz.CurvesWidth, viz.CurvesHeight)
	checkDirHolds(t, dir, "run.safetensors", "run.state.safetensors", "run.metrics.jsonl", "curves.png")
}

// checkDirHolds checks that dir holds exactly names: no temporary files left.
func checkDirHolds(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(got)
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

// TestMetricsResume interrupts a run after its first epoch, then resumes
// it: the metrics file keeps the first epoch's line as it was, drops the
// lines of later epochs (left by an older run) and bad lines, and gets the
// resumed epochs; the plot drawn after the first epoch survives the
// interruption.
func TestMetricsResume(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "part.safetensors")
	curves := filepath.Join(dir, "part.svg")
	args := []string{"train", "--limit", "640", "--test-limit", "200", "--epochs", "3", "--threads", "2", "--out", out, "--plot", curves}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelWriter{marker: "epoch 0 : ", cancel: cancel}
	var errb strings.Builder
	if code := run(ctx, args, w, &errb); code != 130 {
		t.Fatalf("exit %d, want 130: %s", code, errb.String())
	}
	log := filepath.Join(dir, "part.metrics.jsonl")
	first, rows := readMetricsLines(t, log)
	if len(rows) != 1 || rows[0].Epoch != 0 {
		t.Fatalf("after the interruption the metrics hold %+v", rows)
	}
	checkMetricsMatch(t, w.String(), rows)
	checkPictureSVG(t, curves)
	checkDirHolds(t, dir, "part.safetensors", "part.state.safetensors", "part.metrics.jsonl", "part.svg")

	// Lines an older, longer run left, and a broken one.
	stale := `{"epoch":1,"loss":9,"mean_loss":9,"train_accuracy":0,"test_accuracy":0,"seconds":1,"lr":0.001}` + "\n" +
		"not json\n" + `{"epoch":2,"loss":9}` + "\n"
	f, err := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(stale)
	f.Close()

	stdout, stderr, code := runCmd(t, append(args, "--resume", out)...)
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "part.metrics.jsonl line 3: ") || !strings.Contains(stderr, "dropped") {
		t.Errorf("no warning about the bad line:\n%s", stderr)
	}
	lines, rows := readMetricsLines(t, log)
	if len(rows) != 3 || rows[0].Epoch != 0 || rows[1].Epoch != 1 || rows[2].Epoch != 2 {
		t.Fatalf("after resuming the metrics hold %+v", rows)
	}
	if lines[0] != first[0] {
		t.Errorf("the first epoch's line changed:\n%s\n%s", first[0], lines[0])
	}
	if rows[1].Loss == 9 {
		t.Errorf("the stale epoch 1 line was kept")
	}
	checkMetricsMatch(t, w.String()+stdout, rows)
	checkPictureSVG(t, curves)
	checkDirHolds(t, dir, "part.safetensors", "part.state.safetensors", "part.metrics.jsonl", "part.svg")

	// A new run (no --resume) at the same path starts the file again.
	if _, stderr, code := runCmd(t, "train", "--limit", "64", "--test-limit", "100", "--epochs", "1", "--out", out, "--force"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, rows := readMetricsLines(t, log); len(rows) != 1 {
		t.Errorf("a new run's metrics hold %d rows, want 1", len(rows))
	}
}

func TestParseMetrics(t *testing.T) {
	in := "\n" + `{"epoch":1,"loss":0.5}` + "\n\n" + `{"epoch":0,"loss":0.7,"extra":true}` + "\n" +
		`[1,2]` + "\n" + `{"loss":1}` + "\n" + `{"epoch":"x"}` + "\n" + `{"epoch":-1}` + "\n" + `{"epoch":2` + "\n"
	rows, bad := train.ParseMetrics([]byte(in))
	if len(rows) != 2 || rows[0].Epoch != 0 || rows[0].Loss != 0.7 || rows[1].Epoch != 1 {
		t.Errorf("rows %+v", rows)
	}
	want := []string{"line 5: ", "line 6: no \"epoch\"", "line 7: ", "line 8: epoch -1 is negative", "line 9: "}
	if len(bad) != len(want) {
		t.Fatalf("bad lines %q", bad)
	}
	for i, w := range want {
		if !strings.HasPrefix(bad[i], w) || strings.Contains(bad[i], "\n") {
			t.Errorf("bad[%d] = %q, want it to start %q", i, bad[i], w)
		}
	}
}

func TestMetricsPath(t *testing.T) {
	for in, want := range map[string]string{
		"lenet5.safetensors":       "lenet5.metrics.jsonl",
		"runs/a.b.safetensors":     "runs/a.b.metrics.jsonl",
		"model.bin":                "model.bin.metrics.jsonl",
		"/tmp/x/vgg11.safetensors": "/tmp/x/vgg11.metrics.jsonl",
	} {
		if got := train.MetricsPath(in); got != want {
			t.Errorf("train.MetricsPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.txt")
	if err := train.WriteFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "old"); return err }); err != nil {
		t.Fatal(err)
	}
	err := train.WriteFileAtomic(path, func(w io.Writer) error {
		io.WriteString(w, "half")
		return errors.New("disk on fire")
	})
	if err == nil || err.Error() != "disk on fire" {
		t.Errorf("err = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("a failed write left %q", b)
	}
	checkDirHolds(t, dir, "f.txt")
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", st.Mode())
	}
	if err := train.WriteFileAtomic(filepath.Join(dir, "missing", "f"), func(io.Writer) error { return nil }); err == nil {
		t.Errorf("no error writing into a missing folder")
	}
}

// TestMetricsNotFinite checks that a diverged loss is written as null (as
// encoding/json cannot write NaN) and read back as NaN, and still plots.
func TestMetricsNotFinite(t *testing.T) {
	rows := []train.EpochMetrics{
		{Epoch: 0, Loss: 0.01, MeanLoss: 0.5, TrainAccuracy: 0.9, TestAccuracy: 0.9, Seconds: 1, LR: 0.1},
		{Epoch: 1, Loss: math.NaN(), MeanLoss: math.Inf(1), TrainAccuracy: 0.1, TestAccuracy: 0.1, Seconds: 1, LR: 0.1},
	}
	var b strings.Builder
	if err := train.WriteMetrics(&b, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `{"epoch":1,"loss":null,"mean_loss":null,"train_accuracy":0.1,`) {
		t.Errorf("written:\n%s", b.String())
	}
	got, bad := train.ParseMetrics([]byte(b.String()))
	if len(bad) != 0 || len(got) != 2 || !math.IsNaN(got[1].Loss) || !math.IsNaN(got[1].MeanLoss) || got[0] != rows[0] {
		t.Errorf("read back %+v, bad %q", got, bad)
	}
	path := filepath.Join(t.TempDir(), "c.png")
	if err := viz.SaveCurves(path, "diverged", got); err != nil {
		t.Fatal(err)
	}
	checkPicturePNG(t, path, 0, 0)
}
