package transforms

import (
	"encoding/binary"
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/convnet/convnet/internal/testref"
)

// referenceCase is one case of testdata/transforms/cases.json, which
// testdata/make_transforms_reference.py writes.
type referenceCase struct {
	Name, Input, Op, Output string
	Params                  map[string]any
	Tolerance               int
}

// readCases returns the cases of cases.json and the folder holding them.
func readCases(t *testing.T) ([]referenceCase, string) {
	t.Helper()
	dir := filepath.Join(testref.Dir(t), "transforms")
	b, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		t.Fatalf("%v: regenerate with /usr/bin/python3 testdata/make_transforms_reference.py", err)
	}
	var f struct{ Cases []referenceCase }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Cases, dir
}

// readPNG reads a reference picture, keeping grey pictures grey.
func readPNG(t *testing.T, path string) *Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	img := FromImage(m)
	if _, ok := m.(*image.Gray); ok {
		img = ToGray(img, 1)
	}
	return img
}

// maxDiff returns the largest difference between two pictures' bytes and
// how many differ, or ok false when their shapes differ.
func maxDiff(a, b *Image) (diff, count int, ok bool) {
	if a.Width != b.Width || a.Height != b.Height || a.Channels != b.Channels {
		return 0, 0, false
	}
	for i := range a.Pix {
		d := int(a.Pix[i]) - int(b.Pix[i])
		if d != 0 {
			count++
			diff = max(diff, d, -d)
		}
	}
	return diff, count, true
}

func TestReferencePIL(t *testing.T) {
	cases, dir := readCases(t)
	num := func(c referenceCase, k string) float64 {
		v, ok := c.Params[k].(float64)
		if !ok {
			t.Fatalf("%s: parameter %q missing", c.Name, k)
		}
		return v
	}
	ops := map[string]func(c referenceCase, img *Image) *Image{
		"resize": func(c referenceCase, img *Image) *Image { return Resize{Size: int(num(c, "size"))}.Apply(img, nil) },
		"resize_to": func(c referenceCase, img *Image) *Image {
			return ResizeTo(img, int(num(c, "width")), int(num(c, "height")))
		},
		"center_crop": func(c referenceCase, img *Image) *Image {
			return CenterCrop{Width: int(num(c, "width")), Height: int(num(c, "height"))}.Apply(img, nil)
		},
		"hflip": func(c referenceCase, img *Image) *Image { return HorizontalFlip(img) },
		"grayscale": func(c referenceCase, img *Image) *Image {
			return Grayscale{Channels: int(num(c, "channels"))}.Apply(img, nil)
		},
		"rotate":     func(c referenceCase, img *Image) *Image { return Rotate(img, num(c, "angle")) },
		"brightness": func(c referenceCase, img *Image) *Image { return AdjustBrightness(img, num(c, "factor")) },
		"contrast":   func(c referenceCase, img *Image) *Image { return AdjustContrast(img, num(c, "factor")) },
		"saturation": func(c referenceCase, img *Image) *Image { return AdjustSaturation(img, num(c, "factor")) },
		"hue":        func(c referenceCase, img *Image) *Image { return AdjustHue(img, num(c, "factor")) },
		"resized_crop": func(c referenceCase, img *Image) *Image {
			crop := Crop(img, int(num(c, "top")), int(num(c, "left")), int(num(c, "height")), int(num(c, "width")))
			return ResizeTo(crop, int(num(c, "size")), int(num(c, "size")))
		},
	}
	seen := map[string]int{}
	for _, c := range cases {
		seen[c.Op]++
		t.Run(c.Name, func(t *testing.T) {
			in := readPNG(t, filepath.Join(dir, c.Input))
			before := in.Clone()
			if c.Op == "to_tensor_normalize" {
				checkTensor(t, c, in, filepath.Join(dir, c.Output))
				return
			}
			op, ok := ops[c.Op]
			if !ok {
				t.Fatalf("unknown operation %q", c.Op)
			}
			got := op(c, in)
			want := readPNG(t, filepath.Join(dir, c.Output))
			diff, count, ok := maxDiff(got, want)
			if !ok {
				t.Fatalf("got %d×%d×%d, PIL gives %d×%d×%d", got.Width, got.Height, got.Channels, want.Width, want.Height, want.Channels)
			}
			if diff > c.Tolerance {
				t.Errorf("%d of %d bytes differ from PIL's, by up to %d (tolerance %d)", count, len(got.Pix), diff, c.Tolerance)
			}
			if d, _, _ := maxDiff(in, before); d != 0 {
				t.Errorf("the transform modified its input")
			}
		})
	}
	for op := range ops {
		if seen[op] == 0 {
			t.Errorf("no reference case for %s", op)
		}
	}
}

// checkTensor compares ToTensor and Normalize with torchvision's float32
// values.
func checkTensor(t *testing.T, c referenceCase, in *Image, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	floats := func(k string) []float32 {
		var v []float32
		for _, x := range c.Params[k].([]any) {
			v = append(v, float32(x.(float64)))
		}
		return v
	}
	p := Pipeline{Mean: floats("mean"), Std: floats("std")}
	got := p.Tensor(in, nil)
	if len(b) != 4*len(got) {
		t.Fatalf("torchvision gives %d values, ToTensor %d", len(b)/4, len(got))
	}
	for i, g := range got {
		w := math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		if g != w {
			t.Fatalf("value %d: %v, torchvision gives %v", i, g, w)
		}
	}
}
