package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convnet/convnet/train"
	"github.com/convnet/convnet/viz"
)

// checkPicturePNG decodes the PNG at path, checks its size (when w, h > 0) and
// that it is not blank, and returns it.
func checkPicturePNG(t *testing.T, path string, w, h int) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	if w > 0 && (b.Dx() != w || b.Dy() != h) {
		t.Errorf("%s is %dx%d, want %dx%d", path, b.Dx(), b.Dy(), w, h)
	}
	colours := map[[4]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y && len(colours) < 3; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, bl, a}] = true
		}
	}
	if len(colours) < 3 {
		t.Errorf("%s is blank: %d colours", path, len(colours))
	}
	return img
}

// checkPictureSVG checks that the file at path is well-formed XML whose root is
// an <svg> element with some drawing in it.
func checkPictureSVG(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("<?xml")) && !bytes.HasPrefix(b, []byte("<svg")) {
		t.Errorf("%s starts %q", path, b[:min(len(b), 20)])
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	root, elements := "", 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", path, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			elements++
		}
	}
	if root != "svg" || elements < 20 {
		t.Errorf("%s: root <%s>, %d elements", path, root, elements)
	}
}

// writeMetricsFixture writes a metrics file of n epochs.
func writeMetricsFixture(t *testing.T, path string, n int) {
	t.Helper()
	var rows []train.EpochMetrics
	for e := range n {
		f := float64(e + 1)
		rows = append(rows, train.EpochMetrics{Epoch: e, Loss: 0.01 / f, MeanLoss: 0.6 / f, TrainAccuracy: 1 - 0.1/f,
			TestAccuracy: 1 - 0.08/f, Seconds: 6, LR: 0.001})
	}
	var b bytes.Buffer
	if err := train.WriteMetrics(&b, rows); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPlotCommand(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "lenet5.metrics.jsonl")
	writeMetricsFixture(t, log, 3)

	// The default --out: beside the log, .png.
	stdout, stderr, code := runCmd(t, "plot", log)
	png := filepath.Join(dir, "lenet5.png")
	if code != 0 || stdout != "saved "+png+" (3 epochs)\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	checkPicturePNG(t, png, viz.CurvesWidth, viz.CurvesHeight)

	svg := filepath.Join(dir, "out.SVG")
	if _, stderr, code := runCmd(t, "plot", "--out", svg, "--title", "run 7", log); code != 0 {
		t.Fatalf("svg: exit %d: %s", code, stderr)
	}
	checkPictureSVG(t, svg)
	if b, _ := os.ReadFile(svg); !bytes.Contains(b, []byte("run 7: accuracy")) {
		t.Errorf("the SVG does not hold the title")
	}

	// One epoch and many epochs draw too.
	for _, n := range []int{1, 150} {
		writeMetricsFixture(t, log, n)
		if _, stderr, code := runCmd(t, "plot", log, "--out", png); code != 0 {
			t.Errorf("%d epochs: exit %d: %s", n, code, stderr)
		}
		checkPicturePNG(t, png, 0, 0)
	}
	checkDirHolds(t, dir, "lenet5.metrics.jsonl", "lenet5.png", "out.SVG")
}

// TestPlotDefaultOut checks that without --out the picture goes beside the
// log, not into the working folder.
func TestPlotDefaultOut(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir("runs", 0o755); err != nil {
		t.Fatal(err)
	}
	writeMetricsFixture(t, filepath.Join("runs", "lenet5.metrics.jsonl"), 2)
	writeMetricsFixture(t, filepath.Join("runs", "other.log"), 2)
	for _, c := range []struct{ log, want string }{
		{filepath.Join("runs", "lenet5.metrics.jsonl"), filepath.Join("runs", "lenet5.png")},
		{filepath.Join("runs", "other.log"), filepath.Join("runs", "other.log.png")},
	} {
		stdout, stderr, code := runCmd(t, "plot", c.log)
		if code != 0 || stdout != "saved "+c.want+" (2 epochs)\n" {
			t.Errorf("plot %s: exit %d, stdout %q, stderr %q", c.log, code, stdout, stderr)
		}
	}
	checkDirHolds(t, dir, "runs")
	checkDirHolds(t, filepath.Join(dir, "runs"), "lenet5.metrics.jsonl", "lenet5.png", "other.log", "other.log.png")
}

func TestPlotErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.metrics.jsonl")
	writeMetricsFixture(t, good, 2)
	empty := filepath.Join(dir, "empty.jsonl")
	os.WriteFile(empty, []byte("\n\n"), 0o644)
	bad := filepath.Join(dir, "bad.jsonl")
	b, _ := os.ReadFile(good)
	os.WriteFile(bad, append(b, []byte("{\"epoch\": 2, \"loss\": oops}\n")...), 0o644)
	out := filepath.Join(dir, "x.png")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"plot"}, 2, "convnet plot: missing LOGFILE"},
		{[]string{"plot", good, good}, 2, "convnet plot: too many arguments"},
		{[]string{"plot", filepath.Join(dir, "none.jsonl"), "--out", out}, 1, "none.jsonl: no such file or directory"},
		{[]string{"plot", empty, "--out", out}, 1, "empty.jsonl is empty: no epochs to plot"},
		{[]string{"plot", bad, "--out", out}, 1, "bad.jsonl line 3: not a JSON object of metrics"},
		{[]string{"plot", good, "--out", filepath.Join(dir, "x.jpg")}, 2, "convnet plot: --out " + filepath.Join(dir, "x.jpg") + ": the picture must be a .png or .svg file"},
		{[]string{"plot", good, "--out", filepath.Join(dir, "no", "x.png")}, 2, "does not exist"},
		{[]string{"plot", good, "--out"}, 2, "flag --out needs a value"},
	} {
		stdout, stderr, code := runCmd(t, c.args...)
		if code != c.code || stdout != "" || !strings.Contains(stderr, c.want) ||
			!strings.HasPrefix(stderr, "convnet plot: ") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: exit %d (want %d), stdout %q, stderr %q (want one line with %q)", c.args, code, c.code, stdout, stderr, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a failed plot wrote %s", out)
	}
}

func TestTrainBadPlotExtension(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"curves.jpg", "curves", "curves.png.txt"} {
		stdout, stderr, code := runCmd(t, "train", "--limit", "64", "--epochs", "1", "--out", filepath.Join(dir, "m.safetensors"),
			"--plot", filepath.Join(dir, name))
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, "convnet train: --plot ") ||
			!strings.Contains(stderr, ".png or .svg") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("--plot %s: exit %d, stdout %q, stderr %q", name, code, stdout, stderr)
		}
	}
	checkDirHolds(t, dir)
}
