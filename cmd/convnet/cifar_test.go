package main

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/convnet/convnet/datasets/cifar10"
)

// writeCIFAR lays out a tiny CIFAR-10 binary version in dir: records of a
// label byte and 3072 pixel bytes, n per file, the label k%10.
func writeCIFAR(t *testing.T, dir string, n int) {
	t.Helper()
	bin := filepath.Join(dir, cifar10.DirName)
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	names := []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"}
	for f, name := range names {
		var b []byte
		for k := 0; k < n; k++ {
			label := byte((k + f) % 10)
			b = append(b, label)
			for p := 0; p < 3072; p++ {
				// A class-dependent colour, so there is something to learn.
				b = append(b, byte(int(label)*25+p%7))
			}
		}
		if err := os.WriteFile(filepath.Join(bin, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCIFARTrainEvalPredict runs the CIFAR-10 path end to end on tiny
// files: vgg11 trains, and eval, predict and inspect read its checkpoint.
func TestCIFARTrainEvalPredict(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR(t, dir, 10)
	out := filepath.Join(dir, "vgg.safetensors")
	stdout, stderr, code := runCmd(t, "train", "--model", "vgg11", "--dataset", "cifar10", "--data", dir,
		"--epochs", "1", "--batch-size", "10", "--optimizer", "sgd", "--lr", "0.01", "--momentum", "0.9", "--out", out)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	line := regexp.MustCompile(`(?m)^epoch 0 : loss=\d+\.\d{4}, accr=\d\.\d{4}, mean_loss=\d+\.\d{4}, test_accr=\d\.\d{4}$`)
	if !line.MatchString(stdout) {
		t.Errorf("train printed:\n%s", stdout)
	}
	stdout, stderr, code = runCmd(t, "eval", "--checkpoint", out, "--data", dir)
	if code != 0 || !strings.HasPrefix(stdout, "test_accr=") {
		t.Errorf("eval: exit %d, %s\n%s", code, stderr, stdout)
	}
	img := image.NewRGBA(image.Rect(0, 0, 50, 40))
	for y := 0; y < 40; y++ {
		for x := 0; x < 50; x++ {
			img.Set(x, y, color.RGBA{200, 30, 30, 255})
		}
	}
	pic := filepath.Join(dir, "red.png")
	f, err := os.Create(pic)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	stdout, stderr, code = runCmd(t, "predict", "--checkpoint", out, pic)
	if code != 0 || !regexp.MustCompile(`red.png: \d \(\d\.\d{4}\), \d \(\d\.\d{4}\), \d \(\d\.\d{4}\)`).MatchString(stdout) {
		t.Errorf("predict: exit %d, %s\n%s", code, stderr, stdout)
	}
	stdout, stderr, code = runCmd(t, "inspect", "--checkpoint", out, "--data", dir, "--index", "3")
	if code != 0 || !strings.Contains(stdout, "feature.conv3-512-4-act") {
		t.Errorf("inspect: exit %d, %s\n%s", code, stderr, stdout)
	}
}

func TestCIFARMissingData(t *testing.T) {
	dir := t.TempDir()
	_, stderr, code := runCmd(t, "train", "--model", "vgg11", "--dataset", "cifar10", "--data", dir)
	if code == 0 || !strings.Contains(stderr, "data_batch_1.bin") || !strings.Contains(stderr, "cifar-10-binary.tar.gz") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if n := strings.Count(strings.TrimSpace(stderr), "\n"); n != 0 {
		t.Errorf("stderr has %d lines, want one: %q", n+1, stderr)
	}
}
