package mnist

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// canvas returns a w x h RGBA image filled with bg, with each rectangle
// filled with ink.
func canvas(w, h int, bg, ink color.Color, rects ...image.Rectangle) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	for _, r := range rects {
		draw.Draw(img, r, image.NewUniform(ink), image.Point{}, draw.Src)
	}
	return img
}

// stats describes a Side x Side result: its centre of mass (index
// coordinates), the bounding box of values above 0.05, and its range.
type stats struct {
	cx, cy       float64
	bbox         image.Rectangle
	lo, hi, mass float64
}

func measure(t *testing.T, v []float32) stats {
	t.Helper()
	if len(v) != Side*Side {
		t.Fatalf("len = %d, want %d", len(v), Side*Side)
	}
	s := stats{lo: math.Inf(1), hi: math.Inf(-1)}
	var mx, my float64
	x0, y0, x1, y1 := Side, Side, -1, -1
	for i, f := range v {
		x, y, p := i%Side, i/Side, float64(f)
		if math.IsNaN(p) {
			t.Fatalf("NaN at %d", i)
		}
		s.lo, s.hi, s.mass = min(s.lo, p), max(s.hi, p), s.mass+p
		mx += p * float64(x)
		my += p * float64(y)
		if p > 0.05 {
			x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
		}
	}
	if s.mass > 0 {
		s.cx, s.cy = mx/s.mass, my/s.mass
	}
	s.bbox = image.Rect(x0, y0, x1+1, y1+1)
	return s
}

var (
	white = color.Gray{255}
	black = color.Gray{0}
	// A thick vertical bar with a foot to the right: not symmetric, so the
	// centre of mass differs from the box centre.
	barShape = []image.Rectangle{image.Rect(90, 30, 120, 230), image.Rect(90, 200, 170, 230)}
)

func TestFromImageShapes(t *testing.T) {
	transparent := image.NewNRGBA(image.Rect(0, 0, 300, 260))
	for _, r := range barShape {
		draw.Draw(transparent, r, image.NewUniform(color.NRGBA{0, 0, 0, 255}), image.Point{}, draw.Src)
	}
	greyPaper := canvas(300, 260, color.Gray{170}, color.Gray{40}, barShape...)
	offset := image.NewGray(image.Rect(-50, 1000, 250, 1260)) // bounds not at the origin
	draw.Draw(offset, offset.Bounds(), image.NewUniform(white), image.Point{}, draw.Src)
	for _, r := range barShape {
		draw.Draw(offset, r.Add(image.Pt(-50, 1000)), image.NewUniform(black), image.Point{}, draw.Src)
	}
	want := FromImage(canvas(300, 260, white, black, barShape...))
	for _, tc := range []struct {
		name string
		img  image.Image
	}{
		{"black on white", canvas(300, 260, white, black, barShape...)},
		{"white on black", canvas(300, 260, black, white, barShape...)},
		{"black on transparent", transparent},
		{"dark on grey paper", greyPaper},
		{"gray image, offset bounds", offset},
		{"small, enlarged", canvas(30, 26, white, black, image.Rect(9, 3, 12, 23), image.Rect(9, 20, 17, 23))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := FromImage(tc.img)
			s := measure(t, got)
			if s.lo != 0 || s.hi < 0.99 || s.hi > 1 {
				t.Errorf("range [%v, %v], want [0, 1] with full ink", s.lo, s.hi)
			}
			if got[0] != 0 || got[len(got)-1] != 0 {
				t.Errorf("corners %v, %v: not inverted to white on black", got[0], got[len(got)-1])
			}
			if math.Abs(s.cx-14) > 0.5 || math.Abs(s.cy-14) > 0.5 {
				t.Errorf("centre of mass (%.2f, %.2f), want (14, 14) within 0.5", s.cx, s.cy)
			}
			if s.bbox.Dx() > Box || s.bbox.Dy() != Box {
				t.Errorf("ink box %v is %dx%d, want height %d and width <= %d", s.bbox, s.bbox.Dx(), s.bbox.Dy(), Box, Box)
			}
			if r := corr(got, want); r < 0.95 {
				t.Errorf("correlation with the black-on-white result %.3f, want > 0.95", r)
			}
		})
	}
}

func TestFromImageBlank(t *testing.T) {
	noise := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range noise.Pix {
		noise.Pix[i] = 200 + byte(i*7%11) // contrast below minContrast
	}
	for _, tc := range []struct {
		name string
		img  image.Image
	}{
		{"nil", nil},
		{"empty", image.NewGray(image.Rect(0, 0, 0, 0))},
		{"1x1", image.NewGray(image.Rect(0, 0, 1, 1))},
		{"white", canvas(50, 40, white, white)},
		{"black", canvas(50, 40, black, black)},
		{"grey", canvas(50, 40, color.Gray{128}, color.Gray{128})},
		{"transparent", image.NewNRGBA(image.Rect(0, 0, 20, 20))},
		{"faint noise", noise},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := FromImage(tc.img)
			if len(got) != Side*Side {
				t.Fatalf("len = %d", len(got))
			}
			for i, v := range got {
				if v != 0 {
					t.Fatalf("value %v at %d, want all zeros", v, i)
				}
			}
		})
	}
}

// Degenerate ink (a dot, a line, ink touching the border) must still give
// valid output.
func TestFromImageDegenerate(t *testing.T) {
	for _, tc := range []struct {
		name string
		img  image.Image
	}{
		{"dot", canvas(100, 100, white, black, image.Rect(40, 40, 41, 41))},
		{"horizontal line", canvas(100, 100, white, black, image.Rect(10, 50, 90, 51))},
		{"touches the border", canvas(100, 100, white, black, image.Rect(0, 0, 100, 30))},
		{"corner blob", canvas(100, 100, white, black, image.Rect(0, 0, 10, 10), image.Rect(0, 0, 100, 1))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := measure(t, FromImage(tc.img))
			if s.lo < 0 || s.hi > 1 || s.mass == 0 {
				t.Errorf("range [%v, %v], mass %v", s.lo, s.hi, s.mass)
			}
		})
	}
}

// corr is the Pearson correlation of a and b.
func corr(a, b []float32) float64 {
	var ma, mb float64
	for i := range a {
		ma += float64(a[i])
		mb += float64(b[i])
	}
	ma /= float64(len(a))
	mb /= float64(len(b))
	var sab, saa, sbb float64
	for i := range a {
		da, db := float64(a[i])-ma, float64(b[i])-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	return sab / math.Sqrt(saa*sbb)
}

// Real MNIST test digits, drawn 10x larger as black ink on white paper and
// saved as PNG, must come back close to the originals.
func TestFromImageRoundTripsMNIST(t *testing.T) {
	_, test := realSets(t)
	dir := t.TempDir()
	orig := make([]float32, 784)
	worst := 1.0
	for i := range 50 {
		label := test.Example(i, orig)
		big := image.NewGray(image.Rect(0, 0, 280, 280))
		for y := range 280 {
			for x := range 280 {
				big.Pix[y*280+x] = 255 - test.Images[i*784+(y/10)*28+x/10]
			}
		}
		p := filepath.Join(dir, "digit.png")
		var buf bytes.Buffer
		if err := png.Encode(&buf, big); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		img, err := DecodeImageFile(p)
		if err != nil {
			t.Fatal(err)
		}
		r := corr(FromImage(img), orig)
		worst = min(worst, r)
		if r < 0.8 {
			t.Errorf("test digit %d (a %d): correlation %.3f, want > 0.8", i, label, r)
		}
	}
	t.Logf("worst correlation over 50 digits: %.3f", worst)
}

func TestDecodeImageFile(t *testing.T) {
	dir := t.TempDir()
	// Not symmetric: a symmetric 20-pixel-high shape has its centre of mass
	// at a half pixel, where JPEG noise could tip the rounding either way.
	img := canvas(60, 50, white, black, image.Rect(25, 10, 35, 40), image.Rect(25, 32, 45, 40))
	var pngBuf, jpgBuf bytes.Buffer
	if err := png.Encode(&pngBuf, img); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&jpgBuf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	want := FromImage(img)
	for _, tc := range []struct {
		name    string
		data    []byte // nil: missing file
		wantErr string
	}{
		{"d.png", pngBuf.Bytes(), ""},
		{"d.jpg", jpgBuf.Bytes(), ""},
		{"jpeg-named.png", jpgBuf.Bytes(), ""},
		{"notes.txt", []byte("not an image"), "not a PNG or JPEG image"},
		{"cut.png", pngBuf.Bytes()[:40], "decoding png"},
		{"missing.png", nil, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if tc.data != nil {
				writeFile(t, dir, tc.name, tc.data)
			}
			got, err := DecodeImageFile(p)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), "mnist: "+p+": ") || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q naming %s", err, tc.wantErr, p)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r := corr(FromImage(got), want); r < 0.95 {
				t.Errorf("correlation with the original %.3f, want > 0.95", r)
			}
		})
	}
}

func TestTaps(t *testing.T) {
	for _, tc := range []struct{ n, m int }{{1, 1}, {1, 20}, {7, 20}, {20, 20}, {21, 20}, {280, 20}, {999, 13}} {
		for j, ts := range taps(tc.n, tc.m) {
			var s float64
			for _, tp := range ts {
				if tp.i < 0 || tp.i >= tc.n {
					t.Fatalf("taps(%d, %d)[%d]: index %d out of range", tc.n, tc.m, j, tp.i)
				}
				s += float64(tp.w)
			}
			if math.Abs(s-1) > 1e-5 {
				t.Errorf("taps(%d, %d)[%d]: weights sum to %v", tc.n, tc.m, j, s)
			}
		}
	}
}

// FuzzFromImage checks that any grey image gives Side*Side values in [0,1].
func FuzzFromImage(f *testing.F) {
	f.Add(uint8(3), []byte{255, 0, 255, 0, 0, 0, 255, 0, 255})
	f.Add(uint8(1), []byte{7})
	f.Add(uint8(40), bytes.Repeat([]byte{255, 255, 0, 255, 255}, 300))
	f.Fuzz(func(t *testing.T, w uint8, pix []byte) {
		if w == 0 {
			w = 1
		}
		h := len(pix) / int(w)
		img := &image.Gray{Pix: pix, Stride: int(w), Rect: image.Rect(0, 0, int(w), h)}
		got := FromImage(img)
		if len(got) != Side*Side {
			t.Fatalf("len = %d", len(got))
		}
		for i, v := range got {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("value %v at %d", v, i)
			}
		}
	})
}
