package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/convnet/convnet/checkpoint"
)

// quickTrain is a one-epoch run of 320 images, for the cases below.
var quickTrain = []string{"train", "--limit", "320", "--test-limit", "100", "--epochs", "1"}

// TestTrainRefuses runs training cases that must end with one line on
// stderr and a non-zero exit, before any work, leaving files as they were.
func TestTrainRefuses(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.safetensors")
	if err := os.WriteFile(existing, []byte("a checkpoint of an earlier run"), 0o644); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(dir, "locked.safetensors")
	if err := os.WriteFile(checkpoint.LockPath(locked), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
		code int
	}{
		{"batch larger than the data", []string{"--batch-size", "10000000", "--out", filepath.Join(dir, "a.safetensors")},
			"--batch-size 10000000 is more than the 320 training images", exitUsage},
		{"threads beyond reason", []string{"--threads", "100000000", "--out", filepath.Join(dir, "b.safetensors")},
			"--threads must be between 1 and", exitUsage},
		{"a fresh run onto a checkpoint", []string{"--out", existing},
			"already holds a checkpoint: give --resume " + existing + " to continue that run, --force to replace it", exitUsage},
		{"another run holds the lock", []string{"--out", locked},
			"is held by process " + strconv.Itoa(os.Getpid()), exitFailure},
		{"an --out folder that cannot be written", []string{"--out", "/sys/c.safetensors"},
			"--out /sys/c.safetensors: cannot write in /sys", exitFailure},
		{"a --plot folder that cannot be written", []string{"--out", filepath.Join(dir, "d.safetensors"), "--plot", "/sys/d.png"},
			"--plot /sys/d.png: cannot write in /sys", exitFailure},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runCmd(t, append(quickTrain, c.args...)...)
			if code != c.code || stdout != "" || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and one line with %q", code, stdout, stderr, c.code, c.want)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "a checkpoint of an earlier run" {
		t.Errorf("the refused run changed %s", existing)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 { // existing and the lock of locked
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the refused runs left %v", names)
	}
}

// TestTrainDiverges trains with --lr 1e300, fresh and resumed from a good
// checkpoint: each stops with a message about non-finite values and a
// non-zero exit, and the good checkpoint and its state stay byte for byte.
func TestTrainDiverges(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "fresh.safetensors")
	_, stderr, code := runCmd(t, append(quickTrain, "--lr", "1e300", "--out", fresh)...)
	if code != exitFailure || !strings.Contains(stderr, "not a finite number at epoch 0, batch 1") ||
		!strings.Contains(stderr, "try a smaller --lr than 1e+300") || !strings.Contains(stderr, "nothing saved to "+fresh) {
		t.Errorf("fresh run: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("the diverged run wrote %s (%v)", fresh, err)
	}

	good := filepath.Join(dir, "good.safetensors")
	if _, stderr, code := runCmd(t, append(quickTrain, "--out", good)...); code != 0 {
		t.Fatalf("good run: exit %d: %s", code, stderr)
	}
	before := map[string][]byte{}
	for _, p := range []string{good, checkpoint.StatePath(good)} {
		before[p], _ = os.ReadFile(p)
	}
	_, stderr, code = runCmd(t, "train", "--limit", "320", "--test-limit", "100", "--epochs", "2", "--lr", "1e300", "--resume", good)
	if code != exitFailure || !strings.Contains(stderr, "not a finite number at epoch 1") || !strings.Contains(stderr, good+" holds epoch 0") {
		t.Errorf("resumed run: exit %d, stderr %q", code, stderr)
	}
	for p, b := range before {
		if after, _ := os.ReadFile(p); !bytes.Equal(after, b) {
			t.Errorf("the diverged run changed %s", p)
		}
	}
}
