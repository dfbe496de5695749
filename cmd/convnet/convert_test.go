package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/pth"
)

// TestConvert takes a VGG-11 checkpoint to PyTorch's .pth with
// torchvision's keys and back, and evaluates the .pth directly.
func TestConvert(t *testing.T) {
	dir := t.TempDir()
	orig := filepath.Join(dir, "vgg.safetensors")
	if _, stderr, code := runCmd(t, "train", "--model", "vgg11", "--limit", "64", "--epochs", "1", "--test-limit", "10", "--out", orig); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	tv := filepath.Join(dir, "vgg.pth")
	stdout, stderr, code := runCmd(t, "convert", orig, "--out", tv, "--keys", "torchvision")
	if code != 0 || !strings.HasPrefix(stdout, "wrote "+tv+": ") {
		t.Fatalf("convert: exit %d: %s%s", code, stdout, stderr)
	}
	f, err := pth.ReadFile(tv)
	if err != nil {
		t.Fatal(err)
	}
	if f.Names[0] != "features.0.weight" || f.Names[len(f.Names)-1] != "classifier.6.bias" {
		t.Errorf("the .pth's keys run from %s to %s", f.Names[0], f.Names[len(f.Names)-1])
	}
	back := filepath.Join(dir, "back.safetensors")
	if _, stderr, code := runCmd(t, "convert", tv, "--model", "vgg11", "--out", back); code != 0 {
		t.Fatalf("convert back: exit %d: %s", code, stderr)
	}
	a, _ := checkpoint.ReadFile(orig)
	b, _ := checkpoint.ReadFile(back)
	if !slices.Equal(a.Names, b.Names) {
		t.Fatalf("keys differ after the round trip")
	}
	for _, k := range a.Names {
		if !slices.Equal(a.Tensors[k].Data, b.Tensors[k].Data) {
			t.Errorf("%s differs after the round trip", k)
		}
	}
	if _, stderr, code := runCmd(t, "eval", "--checkpoint", tv, "--model", "vgg11", "--limit", "10"); code != 0 {
		t.Errorf("eval of the .pth: exit %d: %s", code, stderr)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"convert", orig}, "--out is required"},
		{[]string{"convert", orig, "--out", tv}, "exists: give --force"},
		{[]string{"convert", orig, "--out", filepath.Join(dir, "x.pth"), "--keys", "caffe"}, `--keys must be lesson or torchvision, got "caffe"`},
		{[]string{"convert", filepath.Join(dir, "none.pth"), "--out", filepath.Join(dir, "x.pth")}, "none.pth"},
	} {
		if _, stderr, code := runCmd(t, c.args...); code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want %q", c.args, code, stderr, c.want)
		}
	}
}
