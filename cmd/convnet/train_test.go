package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/safetensors"
)

var epochLine = regexp.MustCompile(`^epoch 0 : loss=\d\.\d{4}, accr=\d\.\d{4}, mean_loss=\d\.\d{4}, test_accr=\d\.\d{4}$`)

func TestTrainOneEpoch(t *testing.T) {
	out := filepath.Join(t.TempDir(), "lenet.safetensors")
	stdout, stderr, code := runCmd(t, "train", "--limit", "640", "--epochs", "1", "--batch-size", "64",
		"--test-limit", "500", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	var epochs []string
	for _, l := range lines {
		if strings.HasPrefix(l, "epoch") {
			epochs = append(epochs, l)
		}
	}
	if len(epochs) != 1 || !epochLine.MatchString(epochs[0]) {
		t.Fatalf("epoch lines %q do not match %s\nstdout:\n%s", epochs, epochLine, stdout)
	}
	if len(lines) != 4 ||
		!regexp.MustCompile(`^losses: \[\d\.\d{4}\]$`).MatchString(lines[1]) ||
		!regexp.MustCompile(`^accuracies: \[\d\.\d{4}\]$`).MatchString(lines[2]) ||
		lines[3] != "saved "+out {
		t.Errorf("stdout:\n%s", stdout)
	}
	// Without a terminal, progress is plain lines, never \r.
	if strings.Contains(stderr, "\r") || !strings.Contains(stderr, "epoch 0: 10/10 (100%)") {
		t.Errorf("stderr progress:\n%q", stderr)
	}
	meta, err := checkpoint.Metadata(out)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{checkpoint.ModelKey: "lenet5", "epoch": "0", "dataset": "mnist"} {
		if meta[k] != v {
			t.Errorf("metadata %s = %q, want %q (all: %v)", k, meta[k], v, meta)
		}
	}
	if want := strings.TrimSuffix(epochs[0][strings.Index(epochs[0], "test_accr=")+len("test_accr="):], "\n"); meta["test_accuracy"] != want {
		t.Errorf("metadata test_accuracy = %q, want %q", meta["test_accuracy"], want)
	}
	m, _ := models.New("lenet5")
	if _, err := checkpoint.Load(out, m); err != nil {
		t.Errorf("checkpoint does not load: %v", err)
	}
}

func TestTrainDeterministic(t *testing.T) {
	out := filepath.Join(t.TempDir(), "det.safetensors")
	argsFor := func(seed string) []string {
		return []string{"train", "--limit", "320", "--epochs", "2", "--batch-size", "32", "--test-limit", "200",
			"--seed", seed, "--shuffle", "--threads", "2", "--out", out}
	}
	args := argsFor("7")
	first, stderr, code := runCmd(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	firstFile, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	second, _, _ := runCmd(t, append(args, "--force")...)
	if first != second {
		t.Errorf("two runs differ:\n%s\n---\n%s", first, second)
	}
	secondFile, _ := os.ReadFile(out)
	if string(firstFile) != string(secondFile) {
		t.Errorf("two runs wrote different checkpoints")
	}
	if n := strings.Count(first, "\nepoch 1 : "); n != 1 {
		t.Errorf("want one epoch 1 line:\n%s", first)
	}
	// Another seed gives other numbers.
	third, _, _ := runCmd(t, argsFor("8")...)
	if third == first {
		t.Errorf("seeds 7 and 8 give the same output:\n%s", first)
	}
}

func TestTrainDefaultOut(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, model := range []string{"lenet5", "lenet5-fields"} {
		stdout, stderr, code := runCmd(t, "train", "--model", model, "--limit", "64", "--epochs", "1", "--test-limit", "100")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", model, code, stderr)
		}
		want := model + ".safetensors"
		if !strings.HasSuffix(stdout, "saved "+want+"\n") {
			t.Errorf("%s: stdout:\n%s", model, stdout)
		}
		meta, err := checkpoint.Metadata(want)
		if err != nil {
			t.Fatalf("%s: %v", model, err)
		}
		if meta[checkpoint.ModelKey] != model {
			t.Errorf("%s: metadata names %q", model, meta[checkpoint.ModelKey])
		}
	}
}

// cancelWriter cancels a context when what is written contains a marker.
type cancelWriter struct {
	strings.Builder
	marker string
	cancel context.CancelFunc
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	n, err := w.Builder.Write(p)
	if strings.Contains(w.String(), w.marker) {
		w.cancel()
	}
	return n, err
}

func TestTrainInterrupted(t *testing.T) {
	dir := t.TempDir()

	// Interrupted before the first epoch ends: nothing is written.
	out := filepath.Join(dir, "never.safetensors")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stdout, stderr, code := runCtx(t, ctx, "train", "--limit", "128", "--epochs", "2", "--test-limit", "100", "--out", out)
	if code != 130 {
		t.Errorf("exit %d, want 130 (stderr %q)", code, stderr)
	}
	if stdout != "" || !strings.Contains(stderr, "convnet train: interrupted") || !strings.Contains(stderr, "nothing saved") {
		t.Errorf("stdout %q, stderr %q", stdout, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s exists after an interruption in epoch 0", out)
	}

	// Interrupted in the second epoch: the file holds the first.
	out = filepath.Join(dir, "one.safetensors")
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	w := &cancelWriter{marker: "epoch 0 : ", cancel: cancel}
	var errb strings.Builder
	code = run(ctx, []string{"train", "--limit", "128", "--epochs", "3", "--test-limit", "100", "--out", out}, w, &errb)
	if code != 130 {
		t.Errorf("exit %d, want 130 (stderr %q)", code, errb.String())
	}
	if !strings.Contains(errb.String(), "interrupted: "+out+" holds epoch 0\n") {
		t.Errorf("stderr %q", errb.String())
	}
	if strings.Contains(w.String(), "epoch 1 :") || strings.Contains(w.String(), "saved") {
		t.Errorf("stdout after the interruption:\n%s", w.String())
	}
	meta, err := checkpoint.Metadata(out)
	if err != nil {
		t.Fatal(err)
	}
	if meta["epoch"] != "0" {
		t.Errorf("checkpoint holds epoch %q, want 0", meta["epoch"])
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "one.safetensors" && e.Name() != "one.state.safetensors" && e.Name() != "one.metrics.jsonl" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// TestResumeMatchesUninterrupted kills a run in its second epoch, resumes
// it, and expects the weights of a run that never stopped: SGD with
// momentum, a step schedule, shuffling and augmentation all pick up where
// they were.
func TestResumeMatchesUninterrupted(t *testing.T) {
	dir := t.TempDir()
	args := []string{"train", "--limit", "256", "--test-limit", "100", "--epochs", "3", "--optimizer", "sgd",
		"--lr", "0.05", "--momentum", "0.9", "--schedule", "step", "--step-size", "1", "--gamma", "0.5",
		"--shuffle", "--augment", "on", "--seed", "3", "--threads", "2"}
	whole := filepath.Join(dir, "whole.safetensors")
	if _, stderr, code := runCmd(t, append(args, "--out", whole)...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}

	part := filepath.Join(dir, "part.safetensors")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelWriter{marker: "epoch 0 : ", cancel: cancel}
	var errb strings.Builder
	if code := run(ctx, append(args, "--out", part), w, &errb); code != 130 {
		t.Fatalf("exit %d, want 130: %s", code, errb.String())
	}
	stdout, stderr, code := runCmd(t, append(args, "--resume", part)...)
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "epoch 1 : ") || strings.Contains(stdout, "epoch 0 : ") {
		t.Errorf("resumed run printed:\n%s", stdout)
	}
	a, err := safetensors.ReadFile(whole)
	if err != nil {
		t.Fatal(err)
	}
	b, err := safetensors.ReadFile(part)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range a.Names {
		if !bytes.Equal(a.Tensors[name].Data, b.Tensors[name].Data) {
			t.Errorf("%s differs between the resumed run and the uninterrupted one", name)
		}
	}
	// Resuming a finished run, or with another optimizer, is refused.
	if _, stderr, code := runCmd(t, append(args, "--resume", part)...); code == 0 || !strings.Contains(stderr, "already holds epoch 2") {
		t.Errorf("resuming a finished run: exit %d, %s", code, stderr)
	}
}
