package main

import (
	"bytes"
	"context"
	"github.com/convnet/convnet/tensor"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// testDir holds files shared by the tests (the checkpoint trained once).
var testDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "convnet-test-")
	if err != nil {
		panic(err)
	}
	testDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runCmd runs the command line in-process and returns what it printed and
// its exit status.
func runCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runCtx(t, context.Background(), args...)
}

func runCtx(t *testing.T, ctx context.Context, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(ctx, args, &out, &errb)
	return out.String(), errb.String(), code
}

var shared struct {
	once   sync.Once
	path   string
	stdout string
	err    string
}

// sharedCheckpoint trains LeNet-5 on 640 images for one epoch, once for
// all tests, and returns the checkpoint's path.
func sharedCheckpoint(t *testing.T) string {
	t.Helper()
	shared.once.Do(func() {
		path := filepath.Join(testDir, "shared.safetensors")
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"train", "--limit", "640", "--epochs", "1", "--batch-size", "64",
			"--test-limit", "1000", "--threads", "2", "--out", path}, &out, &errb)
		if code != 0 {
			shared.err = errb.String()
			return
		}
		shared.path, shared.stdout = path, out.String()
	})
	if shared.path == "" {
		t.Fatalf("training the shared checkpoint failed: %s", shared.err)
	}
	return shared.path
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"help"}, {"-h"}, {"--help"}} {
		stdout, stderr, code := runCmd(t, args...)
		if code != 0 || stderr != "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
		}
		for _, c := range commands {
			if !strings.Contains(stdout, "\n  "+c.name+" ") {
				t.Errorf("%q: usage does not list %s:\n%s", args, c.name, stdout)
			}
		}
	}
}

func TestCommandHelp(t *testing.T) {
	wantFlags := map[string][]string{
		"train":   {"--model", "--data", "--lr", "--batch-size", "--epochs", "--shuffle", "--seed", "--threads", "--out", "--limit", "--test-limit"},
		"eval":    {"--checkpoint", "--model", "--data", "--threads"},
		"predict": {"--checkpoint", "--model", "--threads"},
		"summary": {"MODEL"},
		"inspect": {"--checkpoint", "--model", "--index", "--data", "--out", "--threads"},
	}
	for _, c := range commands {
		for _, args := range [][]string{{"help", c.name}, {c.name, "-h"}, {c.name, "--help"}} {
			stdout, stderr, code := runCmd(t, args...)
			if code != 0 || stderr != "" {
				t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
			}
			if !strings.HasPrefix(stdout, "usage: convnet "+c.name) {
				t.Errorf("%q: help starts %q", args, firstLine(stdout))
			}
			for _, f := range wantFlags[c.name] {
				if !strings.Contains(stdout, f) {
					t.Errorf("%q: help does not mention %s:\n%s", args, f, stdout)
				}
			}
		}
	}
	stdout, _, _ := runCmd(t, "train", "-h")
	for _, def := range []string{"(default 64)", "(default 3)", "(default 0.001)", "(default lenet5)"} {
		if !strings.Contains(stdout, def) {
			t.Errorf("train -h does not show %s:\n%s", def, stdout)
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestBadInvocations checks that every mistake gives one line on stderr,
// "convnet <cmd>: ...", naming what is wrong, and a non-zero status.
func TestBadInvocations(t *testing.T) {
	ckpt := sharedCheckpoint(t)
	noModel := filepath.Join(testDir, "nomodel.safetensors")
	writeCheckpointWithMeta(t, noModel, map[string]string{"epoch": "0"})
	unknownModel := filepath.Join(testDir, "unknownmodel.safetensors")
	writeCheckpointWithMeta(t, unknownModel, map[string]string{"model": "resnet"})
	notCkpt := filepath.Join(testDir, "garbage.safetensors")
	if err := os.WriteFile(notCkpt, []byte("not a safetensors file"), 0o644); err != nil {
		t.Fatal(err)
	}
	missingDir := filepath.Join(testDir, "no", "such", "dir")

	for _, c := range []struct {
		args  []string
		code  int
		words []string
	}{
		{[]string{"frobnicate"}, 2, []string{"convnet:", "unknown command", "frobnicate"}},
		{[]string{"help", "frobnicate"}, 2, []string{"convnet help:", "frobnicate"}},
		{[]string{"train", "--epochs", "0"}, 2, []string{"convnet train:", "--epochs"}},
		{[]string{"train", "--epochs", "-3"}, 2, []string{"--epochs"}},
		{[]string{"train", "--epochs", "three"}, 2, []string{"--epochs", "three"}},
		{[]string{"train", "--batch-size", "0"}, 2, []string{"--batch-size"}},
		{[]string{"train", "--lr", "0"}, 2, []string{"--lr"}},
		{[]string{"train", "--lr", "-0.1"}, 2, []string{"--lr"}},
		{[]string{"train", "--lr", "NaN"}, 2, []string{"--lr"}},
		{[]string{"train", "--threads", "0"}, 2, []string{"--threads"}},
		{[]string{"train", "--limit", "-1"}, 2, []string{"--limit"}},
		{[]string{"train", "--seed", "-1"}, 2, []string{"--seed"}},
		{[]string{"train", "--shuffle=maybe"}, 2, []string{"--shuffle"}},
		{[]string{"train", "--model", "vgg99"}, 2, []string{"vgg99", "lenet5", "lenet5-fields"}},
		{[]string{"train", "--bogus"}, 2, []string{"unknown flag", "--bogus"}},
		{[]string{"train", "--out"}, 2, []string{"--out"}},
		{[]string{"train", "stray"}, 2, []string{"unexpected argument", "stray"}},
		{[]string{"train", "--out", filepath.Join(missingDir, "x.safetensors")}, 2, []string{"--out", "does not exist"}},
		{[]string{"train", "--out", testDir}, 2, []string{"--out", "directory"}},
		{[]string{"train", "--data", missingDir, "--out", filepath.Join(testDir, "x.safetensors")}, 1, []string{"--data", missingDir}},
		{[]string{"eval"}, 2, []string{"convnet eval:", "--checkpoint"}},
		{[]string{"eval", "--checkpoint", filepath.Join(testDir, "missing.safetensors")}, 1, []string{"missing.safetensors"}},
		{[]string{"eval", "--checkpoint", notCkpt}, 1, []string{"garbage.safetensors"}},
		{[]string{"eval", "--checkpoint", noModel}, 2, []string{"names no model", "--model"}},
		{[]string{"eval", "--checkpoint", unknownModel}, 2, []string{"resnet", "--model"}},
		{[]string{"eval", "--checkpoint", ckpt, "--model", "vgg99"}, 2, []string{"vgg99"}},
		{[]string{"eval", "--checkpoint", ckpt, "--model", "lenet5-fields"}, 1, []string{"shared.safetensors"}},
		{[]string{"eval", "--checkpoint", ckpt, "stray"}, 2, []string{"stray"}},
		{[]string{"eval", "--checkpoint", ckpt, "--threads", "-2"}, 2, []string{"--threads"}},
		{[]string{"predict", "--checkpoint", ckpt}, 2, []string{"convnet predict:", "IMAGE"}},
		{[]string{"predict", "digit.png"}, 2, []string{"--checkpoint"}},
		{[]string{"summary"}, 2, []string{"convnet summary:", "MODEL"}},
		{[]string{"summary", "vgg99"}, 2, []string{"vgg99", "lenet5"}},
		{[]string{"summary", "lenet5", "extra"}, 2, []string{"extra"}},
		{[]string{"summary", "--bogus", "lenet5"}, 2, []string{"--bogus"}},
		{[]string{"inspect"}, 2, []string{"convnet inspect:", "--checkpoint"}},
		{[]string{"inspect", "--checkpoint", ckpt, "--index", "10000"}, 2, []string{"--index", "10000", "out of range"}},
		{[]string{"inspect", "--checkpoint", ckpt, "--index", "-1"}, 2, []string{"--index"}},
		{[]string{"inspect", "--checkpoint", ckpt, "--out", filepath.Join(missingDir, "a.safetensors")}, 2, []string{"--out", "does not exist"}},
	} {
		stdout, stderr, code := runCmd(t, c.args...)
		if code != c.code {
			t.Errorf("%q: exit %d, want %d (stderr %q)", c.args, code, c.code, stderr)
		}
		if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
			t.Errorf("%q: stderr is not one line: %q", c.args, stderr)
		}
		if !strings.HasPrefix(stderr, "convnet") {
			t.Errorf("%q: stderr does not start with convnet: %q", c.args, stderr)
		}
		for _, w := range c.words {
			if !strings.Contains(stderr, w) {
				t.Errorf("%q: stderr %q does not contain %q", c.args, stderr, w)
			}
		}
		if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "Usage of") {
			t.Errorf("%q: stderr has a trace or a flag dump: %q", c.args, stderr)
		}
		if c.args[0] != "predict" && stdout != "" {
			t.Errorf("%q: stdout not empty: %q", c.args, stdout)
		}
	}
}

func TestInterspersedFlags(t *testing.T) {
	pos, err := newCmd("x", "", "").parseWith(t, []string{"a", "--n", "3", "b", "--", "--n", "c"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(pos, " "), "a b --n c"; got != want {
		t.Errorf("positional %q, want %q", got, want)
	}
}

// parseWith parses args with an int flag --n, for TestInterspersedFlags.
func (c *cmdSpec) parseWith(t *testing.T, args []string) ([]string, error) {
	n := c.flags.Int("n", 0, "")
	pos, err := c.parse(args, &bytes.Buffer{})
	if *n != 3 {
		t.Errorf("--n = %d, want 3", *n)
	}
	return pos, err
}

func TestHelpers(t *testing.T) {
	if got := tensor.FormatShape([]int{1, 6, 28, 28}); got != "[1, 6, 28, 28]" {
		t.Errorf("formatShape = %q", got)
	}
	if got := formatFloats([]float64{0.00521, 0.9664}); got != "[0.0052, 0.9664]" {
		t.Errorf("formatFloats = %q", got)
	}
	if got := oneLine("a\nb  c\n"); got != "a b c" {
		t.Errorf("oneLine = %q", got)
	}
}
