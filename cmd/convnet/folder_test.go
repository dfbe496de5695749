package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/datasets/mnist"
)

// writeFolder makes an ImageFolder of MNIST test digits as colour
// photos, n per class, named zero ... nine as
// ../shared/bench/pytorch/make_folder_data.py names them: each digit
// resized to a side of 30 to 69 pixels, in a colour on another, as PNG or
// JPEG, on a canvas a little taller than wide.
func writeFolder(t *testing.T, n int) string {
	dir := t.TempDir()
	digits, err := mnist.Test("")
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
	for _, name := range names {
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	count := make([]int, 10)
	for i := 0; i < digits.Len() && slices.Min(count) < n; i++ {
		label := digits.Label(i)
		if count[label] == n {
			continue
		}
		count[label]++
		side := 30 + r.IntN(40)
		fg := color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
		bg := color.RGBA{255 - fg.R, 255 - fg.G, 255 - fg.B, 255}
		img := image.NewRGBA(image.Rect(0, 0, side, side+r.IntN(side/4+1)))
		for y := range img.Bounds().Dy() {
			for x := range side {
				// The nearest MNIST pixel, as the ink's share of the colour.
				ink := float64(digits.Images[i*784+min(y*28/side, 27)*28+x*28/side]) / 255
				mix := func(f, b uint8) uint8 { return uint8(ink*float64(f) + (1-ink)*float64(b)) }
				img.Set(x, y, color.RGBA{mix(fg.R, bg.R), mix(fg.G, bg.G), mix(fg.B, bg.B), 255})
			}
		}
		path := filepath.Join(dir, names[label], fmt.Sprintf("%05d", i))
		f, err := os.Create(path + [...]string{".png", ".jpg"}[i%2])
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			err = png.Encode(f, img)
		} else {
			err = jpeg.Encode(f, img, &jpeg.Options{Quality: 60 + r.IntN(36)})
		}
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	return dir
}

// TestTrainFolder trains on a folder of pictures split by --val-split,
// then predicts a picture by class name with no flag but the checkpoint.
func TestTrainFolder(t *testing.T) {
	dir := writeFolder(t, 6)
	out := filepath.Join(t.TempDir(), "digits.safetensors")
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
	for k, v := range map[string]string{"dataset": "folder", "input": "3x32x32", "classes": "10", "augment": "on",
		"class_names": `["eight","five","four","nine","one","seven","six","three","two","zero"]`} {
		if meta[k] != v {
			t.Errorf("metadata %s = %q, want %q", k, meta[k], v)
		}
	}
	seven, _ := filepath.Glob(filepath.Join(dir, "seven", "*"))
	pic := seven[0]
	stdout, stderr, code = runCmd(t, "predict", "--checkpoint", out, pic)
	if code != 0 {
		t.Fatalf("predict: exit %d: %s", code, stderr)
	}
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(pic) + `: [a-z]+ \(\d\.\d{4}\), [a-z]+ \(\d\.\d{4}\), [a-z]+ \(\d\.\d{4}\)\n$`).MatchString(stdout) {
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
	dir := writeFolder(t, 2)
	bad := filepath.Join(dir, "one", "zz.png")
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
	// A picture whose header reads but whose pixels do not: found in
	// training, where it stops the run, or is left out and counted.
	var png30 bytes.Buffer
	noise := image.NewRGBA(image.Rect(0, 0, 30, 30))
	for p := range noise.Pix {
		noise.Pix[p] = uint8(p * 7919)
	}
	if err := png.Encode(&png30, noise); err != nil {
		t.Fatal(err)
	}
	os.Remove(bad)
	cut := filepath.Join(dir, "two", "cut.png")
	if err := os.WriteFile(cut, png30.Bytes()[:png30.Len()/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = runCmd(t, append(args, "--force")...)
	if code == 0 || !strings.Contains(stderr, cut) {
		t.Errorf("a picture cut short: exit %d, stderr %q: want it named", code, stderr)
	}
	_, stderr, code = runCmd(t, append(args, "--force", "--skip-bad")...)
	if code != 0 || !strings.Contains(stderr, "times a picture could not be read in training and was left out") {
		t.Errorf("a picture cut short, --skip-bad: exit %d, stderr %q", code, stderr)
	}
}
