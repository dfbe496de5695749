package main

import (
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// writeDigit renders MNIST test image i to path as PNG (or JPEG for a .jpg
// name), scale times larger, white on black or, with invert, dark on light.
func writeDigit(t *testing.T, path string, i, scale int, invert bool) {
	t.Helper()
	set, err := loadMNIST("", false)
	if err != nil {
		t.Fatal(err)
	}
	pix := make([]float32, set.Rows*set.Cols)
	set.Example(i, pix)
	img := image.NewGray(image.Rect(0, 0, set.Cols*scale, set.Rows*scale))
	for y := range set.Rows * scale {
		for x := range set.Cols * scale {
			v := uint8(pix[(y/scale)*set.Cols+x/scale]*255 + 0.5)
			if invert {
				v = 255 - v
			}
			img.SetGray(x, y, color.Gray{Y: v})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if strings.HasSuffix(path, ".jpg") {
		err = jpeg.Encode(f, img, &jpeg.Options{Quality: 95})
	} else {
		err = png.Encode(f, img)
	}
	if err != nil {
		t.Fatal(err)
	}
}

var predictLine = regexp.MustCompile(`^(.+): (\d) \((\d\.\d{4})\), (\d) \((\d\.\d{4})\), (\d) \((\d\.\d{4})\)$`)

func TestPredict(t *testing.T) {
	ckpt := sharedCheckpoint(t)
	dir := t.TempDir()
	white := filepath.Join(dir, "seven.png")
	dark := filepath.Join(dir, "seven-on-paper.png")
	big := filepath.Join(dir, "two-big.jpg")
	writeDigit(t, white, 0, 1, false)
	writeDigit(t, dark, 0, 1, true)
	writeDigit(t, big, 1, 4, true)
	stdout, stderr, code := runCmd(t, "predict", "--checkpoint", ckpt, white, dark, big)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 lines:\n%s", stdout)
	}
	for i, file := range []string{white, dark, big} {
		m := predictLine.FindStringSubmatch(lines[i])
		if m == nil || m[1] != file {
			t.Errorf("line %q does not match %s for %s", lines[i], predictLine, file)
			continue
		}
		p1, _ := strconv.ParseFloat(m[3], 64)
		p2, _ := strconv.ParseFloat(m[5], 64)
		p3, _ := strconv.ParseFloat(m[7], 64)
		if !(p1 >= p2 && p2 >= p3) || p1+p2+p3 > 1.0002 || m[2] == m[4] || m[4] == m[6] || m[2] == m[6] {
			t.Errorf("line %q: classes not distinct or probabilities not decreasing", lines[i])
		}
	}
	// A dark digit on light paper is inverted into the same MNIST input.
	if strings.TrimPrefix(lines[0], white) != strings.TrimPrefix(lines[1], dark) {
		t.Errorf("inverted image predicted differently:\n%s\n%s", lines[0], lines[1])
	}
}

func TestPredictBadFiles(t *testing.T) {
	ckpt := sharedCheckpoint(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.png")
	writeDigit(t, good, 0, 1, false)
	missing := filepath.Join(dir, "missing.png")
	garbage := filepath.Join(dir, "garbage.png")
	if err := os.WriteFile(garbage, []byte("this is not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runCmd(t, "predict", "--checkpoint", ckpt, missing, good, garbage)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	// The good file is still classified.
	if !predictLine.MatchString(strings.TrimSuffix(stdout, "\n")) || !strings.HasPrefix(stdout, good+": ") {
		t.Errorf("stdout %q", stdout)
	}
	errLines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(errLines) != 2 {
		t.Fatalf("want one stderr line per bad file:\n%s", stderr)
	}
	for i, file := range []string{missing, garbage} {
		if !strings.HasPrefix(errLines[i], "convnet predict: ") || !strings.Contains(errLines[i], file) {
			t.Errorf("stderr line %q does not name %s", errLines[i], file)
		}
	}
}

// TestPredictBlank checks that a picture with no ink is still answered, on
// stdout, with a warning on stderr.
func TestPredictBlank(t *testing.T) {
	ckpt := sharedCheckpoint(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.png")
	writeDigit(t, good, 0, 1, false)
	var blanks []string
	for _, c := range []struct {
		name string
		grey uint8
	}{{"white.png", 255}, {"grey.png", 128}, {"black.png", 0}} {
		img := image.NewGray(image.Rect(0, 0, 40, 30))
		for i := range img.Pix {
			img.Pix[i] = c.grey
		}
		path := filepath.Join(dir, c.name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		f.Close()
		blanks = append(blanks, path)
	}
	stdout, stderr, code := runCmd(t, "predict", "--checkpoint", ckpt, blanks[0], good, blanks[1], blanks[2])
	if code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	files := []string{blanks[0], good, blanks[1], blanks[2]}
	if len(lines) != len(files) {
		t.Fatalf("want %d lines:\n%s", len(files), stdout)
	}
	for i, file := range files {
		if m := predictLine.FindStringSubmatch(lines[i]); m == nil || m[1] != file {
			t.Errorf("line %q is not the answer for %s", lines[i], file)
		}
	}
	var want string
	for _, file := range blanks {
		want += "convnet predict: warning: " + file + ": no ink found (a blank or uniform picture); the answer below means nothing\n"
	}
	if stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want)
	}
}

func TestFormatTop(t *testing.T) {
	probs := []float32{0.01, 0.2, 0.001, 0.7, 0.089}
	digits := []string{"0", "1", "2", "3", "4"}
	if got, want := formatTop(probs, digits, 3), "3 (0.7000), 1 (0.2000), 4 (0.0890)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	words := []string{"zero", "one", "two", "three", "four"}
	if got, want := formatTop(probs, words, 3), "three (0.7000), one (0.2000), four (0.0890)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := formatTop([]float32{0.5, 0.5}, digits, 3), "0 (0.5000), 1 (0.5000)"; got != want {
		t.Errorf("ties: got %q, want %q", got, want)
	}
}
