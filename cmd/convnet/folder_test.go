package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convnet/convnet/checkpoint"
)

// writeFolder makes an ImageFolder of three classes, n pictures each: a
// square of the class's colour on grey, at a varying place and size.
func writeFolder(t *testing.T, n int) string {
	dir := t.TempDir()
	colours := map[string]color.RGBA{"cyan": {0, 200, 220, 255}, "magenta": {220, 0, 200, 255}, "yellow": {230, 220, 0, 255}}
	for name, c := range colours {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			side := 24 + i%9
			img := image.NewRGBA(image.Rect(0, 0, side, side+i%5))
			for p := range img.Pix {
				img.Pix[p] = 128
			}
			for y := i % 4; y < side/2+i%4; y++ {
				for x := i % 3; x < side/2+i%3; x++ {
					img.Set(x, y, c)
				}
			}
			f, err := os.Create(filepath.Join(dir, name, fmt.Sprintf("%02d.png", i)))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
	return dir
}

// TestTrainFolder trains on a folder of pictures split by --val-split,
// then predicts a picture by class name with no flag but the checkpoint.
func TestTrainFolder(t *testing.T) {
	dir := writeFolder(t, 9)
	out := filepath.Join(t.TempDir(), "colours.safetensors")
	stdout, stderr, code := runCmd(t, "train", "--model", "resnet18", "--dataset", "folder", "--data", dir,
		"--image-size", "32", "--epochs", "2", "--val-split", "0.34", "--batch-size", "6", "--workers", "2", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "epoch 1 : loss=") || !strings.Contains(stdout, "saved "+out) {
		t.Errorf("stdout:\n%s", stdout)
	}
	meta, err := checkpoint.Metadata(out)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"dataset": "folder", "class_names": `["cyan","magenta","yellow"]`, "input": "3x32x32", "classes": "3", "augment": "on"} {
		if meta[k] != v {
			t.Errorf("metadata %s = %q, want %q", k, meta[k], v)
		}
	}
	pic := filepath.Join(dir, "magenta", "04.png")
	stdout, stderr, code = runCmd(t, "predict", "--checkpoint", out, pic)
	if code != 0 {
		t.Fatalf("predict: exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, pic+": ") || strings.Count(stdout, "(") != 3 ||
		!strings.Contains(stdout, "cyan (") || !strings.Contains(stdout, "magenta (") {
		t.Errorf("predict printed %q", stdout)
	}
	_, stderr, code = runCmd(t, "eval", "--checkpoint", out, "--data", dir)
	if code != 0 {
		t.Errorf("eval: exit %d: %s", code, stderr)
	}
}

// TestTrainFolderBadPicture: a picture that is not one stops the run with
// its name, unless --skip-bad leaves it out with a warning.
func TestTrainFolderBadPicture(t *testing.T) {
	dir := writeFolder(t, 4)
	bad := filepath.Join(dir, "cyan", "zz.png")
	if err := os.WriteFile(bad, []byte("not a picture"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "m.safetensors")
	args := []string{"train", "--model", "resnet18", "--dataset", "folder", "--data", dir, "--image-size", "32",
		"--epochs", "1", "--val-split", "0.5", "--batch-size", "4", "--out", out}
	_, stderr, code := runCmd(t, args...)
	if code == 0 || !strings.Contains(stderr, bad) {
		t.Errorf("exit %d, stderr %q: want the bad file named", code, stderr)
	}
	_, stderr, code = runCmd(t, append(args, "--skip-bad", "--force")...)
	if code != 0 || !strings.Contains(stderr, "warning: skipping") || !strings.Contains(stderr, "1 pictures left out of") {
		t.Errorf("--skip-bad: exit %d, stderr %q", code, stderr)
	}
}
