package main

import (
	"image/color"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/datasets"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
	"github.com/convnet/convnet/viz"
)

func TestInspectPNG(t *testing.T) {
	ckpt := sharedCheckpoint(t)
	dir := filepath.Join(t.TempDir(), "new", "pictures") // created by the command
	stdout, stderr, code := runCmd(t, "inspect", "--checkpoint", ckpt, "--index", "0", "--png", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := []string{"00-input.png"}
	for i, name := range seqLayers {
		want = append(want, viz.FileName(i+1, len(seqLayers)+1, name))
	}
	if want[1] != "01-feature.cnn1.png" || want[11] != "11-classifier.fc2.png" {
		t.Fatalf("names %q", want)
	}
	if !strings.HasSuffix(stdout, "\nsaved 12 pictures in "+dir+": 00-input.png ... 11-classifier.fc2.png\n") {
		t.Errorf("stdout ends:\n%s", stdout[max(0, len(stdout)-200):])
	}
	checkDirHolds(t, dir, want...)
	for _, name := range want {
		img := checkPicturePNG(t, filepath.Join(dir, name), 0, 0)
		b := img.Bounds()
		if b.Dx() < 200 || b.Dy() < 100 || b.Dx() > 3000 || b.Dy() > 3000 {
			t.Errorf("%s is %dx%d", name, b.Dx(), b.Dy())
		}
	}
	// The input is the digit enlarged 8 times: its pixels come in 8×8
	// blocks, white on black.
	img := checkPicturePNG(t, filepath.Join(dir, "00-input.png"), 0, 0)
	grey := func(x, y int) uint8 { return color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y }
	cx := img.Bounds().Dx() / 2
	var column []uint8
	for y := range img.Bounds().Dy() {
		column = append(column, grey(cx, y))
	}
	if !slices.Contains(column, 0) || !slices.Contains(column, 255) {
		t.Errorf("the input's middle column has no black or no white")
	}
	// 6 maps of 28×28, enlarged 3 times, in one row.
	if b := checkPicturePNG(t, filepath.Join(dir, "01-feature.cnn1.png"), 0, 0).Bounds(); b.Dx() < 6*84 || b.Dy() > 84+150 {
		t.Errorf("feature.cnn1 is %dx%d", b.Dx(), b.Dy())
	}

	// Again into the same folder: the files are replaced, nothing else
	// is left.
	if _, stderr, code := runCmd(t, "inspect", "--checkpoint", ckpt, "--index", "1", "--png", dir); code != 0 {
		t.Fatalf("again: exit %d: %s", code, stderr)
	}
	checkDirHolds(t, dir, want...)
}

func TestInspectPNGBadFolder(t *testing.T) {
	ckpt := sharedCheckpoint(t)
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	stdout, stderr, code := runCmd(t, "inspect", "--checkpoint", ckpt, "--png", file)
	if code != 2 || stdout != "" || stderr != "convnet inspect: --png "+file+": is a file, not a folder\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestEvalPNG(t *testing.T) {
	ckpt := sharedCheckpoint(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "confusion.png")
	stdout, stderr, code := runCmd(t, "eval", "--checkpoint", ckpt, "--limit", "1000", "--png", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	wrong := filepath.Join(dir, "confusion-wrong.png")
	if !strings.HasSuffix(stdout, "\nsaved "+out+"\nsaved "+wrong+"\n") || !strings.HasPrefix(stdout, "test_accr=") {
		t.Errorf("stdout:\n%s", stdout)
	}
	w, h := viz.ConfusionSize(10)
	checkPicturePNG(t, out, w, h)
	img := checkPicturePNG(t, wrong, 0, 0)
	// 4 columns of 28×28 digits enlarged 4 times, 4 rows of them (the
	// shared checkpoint gets more than 16 of 1000 wrong).
	if b := img.Bounds(); b.Dx() < 4*112 || b.Dy() < 4*112 {
		t.Errorf("wrong images: %dx%d", b.Dx(), b.Dy())
	}
	checkDirHolds(t, dir, "confusion.png", "confusion-wrong.png")

	// The text output is the same with and without --png.
	plain, _, _ := runCmd(t, "eval", "--checkpoint", ckpt, "--limit", "1000")
	if !strings.HasPrefix(stdout, plain) {
		t.Errorf("--png changed the text:\n%s\nwithout:\n%s", stdout, plain)
	}
}

func TestEvalPNGBadName(t *testing.T) {
	ckpt := sharedCheckpoint(t)
	dir := t.TempDir()
	for _, c := range []struct{ path, want string }{
		{filepath.Join(dir, "c.svg"), "the picture must be a .png file"},
		{filepath.Join(dir, "missing", "c.png"), "does not exist"},
	} {
		stdout, stderr, code := runCmd(t, "eval", "--checkpoint", ckpt, "--png", c.path)
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, "convnet eval: --png "+c.path) ||
			!strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("--png %s: exit %d, stdout %q, stderr %q", c.path, code, stdout, stderr)
		}
	}
}

// TestCIFARPictures draws a VGG's layers and its evaluation on tiny
// CIFAR-10 files: colour inputs, 512-map grids, 1×1 maps and wide fully
// connected layers as bars, class names as labels.
func TestCIFARPictures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds VGG-11 three times")
	}
	dir := t.TempDir()
	writeCIFAR(t, dir, 10)
	spec, err := models.Lookup("vgg11")
	if err != nil {
		t.Fatal(err)
	}
	pipe, err := fitPipeline(spec, "cifar10")
	if err != nil {
		t.Fatal(err)
	}
	nn.ManualSeed(1)
	m, err := pipe.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, "vgg.safetensors")
	if err := checkpoint.Save(ckpt, m, pipe.Metadata(spec.Name)); err != nil {
		t.Fatal(err)
	}
	pics := filepath.Join(dir, "inspect")
	stdout, stderr, code := runCmd(t, "inspect", "--checkpoint", ckpt, "--data", dir, "--index", "3", "--png", pics)
	if code != 0 {
		t.Fatalf("inspect: exit %d: %s", code, stderr)
	}
	n := regexp.MustCompile(`saved (\d+) pictures in`).FindStringSubmatch(stdout)
	entries, _ := os.ReadDir(pics)
	if n == nil || n[1] != strconv.Itoa(len(entries)) || len(entries) < 20 {
		t.Fatalf("stdout %q, %d files", stdout, len(entries))
	}
	for _, e := range entries {
		checkPicturePNG(t, filepath.Join(pics, e.Name()), 0, 0)
	}
	// The input is in colour.
	img := checkPicturePNG(t, filepath.Join(pics, "00-input.png"), 0, 0)
	b := img.Bounds()
	r, g, bl, _ := img.At(b.Dx()/2, b.Dy()/2+20).RGBA()
	if r == g && g == bl {
		t.Errorf("the CIFAR input is grey at its centre: %v %v %v", r, g, bl)
	}

	out := filepath.Join(dir, "conf.png")
	if _, stderr, code := runCmd(t, "eval", "--checkpoint", ckpt, "--data", dir, "--png", out); code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	checkPicturePNG(t, out, 0, 0)
	checkPicturePNG(t, wrongPath(out), 0, 0)
}

// TestPictureShapes draws activations of every shape that inspect meets.
func TestPictureShapes(t *testing.T) {
	in := viz.Inspection{Model: "m", Classes: []string{"0", "1"}, Unnormalize: mnistPipeline(t).Unnormalize}
	for _, c := range []struct {
		name  string
		shape []int
	}{
		{"layer", []int{1, 512, 2, 2}}, {"layer", []int{1, 3, 32, 32}}, {"input", []int{1, 3, 32, 32}}, {"input", []int{1, 1, 32, 32}},
		{"layer", []int{1, 64, 32, 32}}, {"layer", []int{1, 4096}}, {"layer", []int{1, 120, 1, 1}}, {"layer", []int{1, 2}},
		{"layer", []int{1, 5, 1, 9}}, {"input", []int{1, 5, 2, 2}},
	} {
		v := make([]float32, tensor.Numel(c.shape))
		for i := range v {
			v[i] = float32(i%7) - 3
		}
		img := in.Picture(nn.Activation{Name: c.name, Output: tensor.New(v, c.shape...)}, true)
		b := img.Bounds()
		if b.Dx() < 100 || b.Dy() < 80 || b.Dx() > 2000 || b.Dy() > 2500 {
			t.Errorf("%s %v: %dx%d", c.name, c.shape, b.Dx(), b.Dy())
		}
	}
	if got := viz.FileName(3, 120, "features.0#2/x"); got != "003-features.0_2_x.png" {
		t.Errorf("FileName = %q", got)
	}
}

func TestWrongPath(t *testing.T) {
	if wrongPath("a/conf.png") != "a/conf-wrong.png" || wrongPath("x.PNG") != "x-wrong.png" {
		t.Errorf("wrongPath")
	}
}

func mnistPipeline(t *testing.T) datasets.Pipeline {
	t.Helper()
	spec, err := models.Lookup("lenet5")
	if err != nil {
		t.Fatal(err)
	}
	p, err := datasets.Fit(spec, "mnist")
	if err != nil {
		t.Fatal(err)
	}
	return p
}
