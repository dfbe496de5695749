package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
)

// TestTrainFineTune starts a ResNet-18 for 12 classes from one trained
// for MNIST's 10: every tensor but the last layer's is loaded and frozen
// (--freeze features), the new head trains, the best epoch is kept and
// the run stops once the test accuracy stops rising.
func TestTrainFineTune(t *testing.T) {
	dir := t.TempDir()
	base, tuned := filepath.Join(dir, "base.safetensors"), filepath.Join(dir, "tuned.safetensors")
	if _, stderr, code := runCmd(t, "train", "--model", "resnet18", "--limit", "320", "--epochs", "1", "--test-limit", "100", "--out", base); code != 0 {
		t.Fatalf("base run: exit %d: %s", code, stderr)
	}
	stdout, stderr, code := runCmd(t, "train", "--model", "resnet18", "--limit", "320", "--epochs", "4", "--test-limit", "100", "--out", tuned,
		"--init", base, "--num-classes", "12", "--freeze", "features", "--keep", "best", "--patience", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"--init: a new classifier head fc for 12 classes",
		"loaded 120 tensors; kept the model's own for fc.weight: file shape [10 512], model [12 512]",
		"--freeze features: 60 of 62 parameter tensors frozen",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stdout, "saved "+checkpointBest(tuned)+" (the best test_accr, ") {
		t.Errorf("stdout:\n%s", stdout)
	}
	// The frozen parameters kept the base run's values; the head's moved.
	// (Batch norm's running statistics, buffers, move in training mode.)
	spec, _ := models.Lookup("resnet18")
	b, err := spec.Build(models.Input{Channels: 1, Size: 28, Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkpoint.Load(base, b); err != nil {
		t.Fatal(err)
	}
	m, err := spec.Build(models.Input{Channels: 1, Size: 28, Classes: 12})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkpoint.Load(tuned, m); err != nil {
		t.Fatal(err)
	}
	want := map[string][]float32{}
	for _, p := range b.ModuleBase().StateDict() {
		want[p.Name] = p.Tensor.Data()
	}
	for _, p := range m.ModuleBase().NamedParameters() {
		same := slices.Equal(p.Tensor.Data(), want[p.Name])
		if head := nn.UnderPrefix(p.Name, "fc"); head == same {
			t.Errorf("%s: same as the base run: %v", p.Name, same)
		}
	}
}

func checkpointBest(out string) string {
	return strings.TrimSuffix(out, ".safetensors") + ".best.safetensors"
}

func TestTrainFineTuneRefusals(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.safetensors")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--num-classes", "5"}, "--num-classes 5 is fewer than the 10 classes of mnist"},
		{[]string{"--keep", "worst"}, `--keep must be last or best, got "worst"`},
		{[]string{"--patience", "-1"}, "--patience must be 0 (never stop early) or more, got -1"},
		{[]string{"--freeze", "layer9"}, `--freeze: no parameter of the model lies under "layer9"`},
		{[]string{"--init", filepath.Join(dir, "none.safetensors")}, "--init: "},
		{[]string{"--init", out, "--resume", out}, "--init starts a run from weights; --resume continues one"},
	} {
		args := append([]string{"train", "--limit", "64", "--epochs", "1", "--test-limit", "10", "--out", out, "--force"}, c.args...)
		_, stderr, code := runCmd(t, args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr, c.want)
		}
	}
}

// TestTrainSchedulesOfFineTuning runs the plateau schedule with a
// warm-up and a slower backbone, and resumes it: the plateau's state
// travels in the checkpoint's metadata.
func TestTrainSchedulesOfFineTuning(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.safetensors")
	args := []string{"train", "--limit", "320", "--test-limit", "100", "--out", out, "--schedule", "plateau",
		"--plateau-patience", "0", "--gamma", "0.5", "--warmup", "3", "--lr-backbone", "0.0001"}
	if _, stderr, code := runCmd(t, append(args, "--epochs", "1")...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	meta, err := checkpoint.Metadata(out)
	if err != nil {
		t.Fatal(err)
	}
	if meta["plateau.best"] == "" || meta["plateau.lr"] != "0.001" || meta["plateau.num_bad_epochs"] != "0" {
		t.Errorf("plateau state in the metadata: %v", meta)
	}
	if _, stderr, code := runCmd(t, append(args, "--epochs", "3", "--resume", out)...); code != 0 {
		t.Fatalf("resumed: exit %d: %s", code, stderr)
	}
	if meta, _ = checkpoint.Metadata(out); meta["plateau.last_epoch"] != "3" {
		t.Errorf("after the resumed run: %v", meta)
	}
	_, stderr, code := runCmd(t, append(args, "--epochs", "1", "--force", "--schedule", "onecycle")...)
	if code != 2 || !strings.Contains(stderr, "warm") {
		t.Errorf("onecycle with --warmup: exit %d, %s", code, stderr)
	}
}
