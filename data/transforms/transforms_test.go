package transforms

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// coordinates returns a w×h RGB picture whose pixel (x, y) is (x, y, 7),
// so that a crop's output shows where each pixel came from.
func coordinates(w, h int) *Image {
	img := NewImage(w, h, 3)
	for y := range h {
		for x := range w {
			copy(img.Pix[3*(y*w+x):], []uint8{uint8(x), uint8(y), 7})
		}
	}
	return img
}

// origin returns the source column and row of pixel (x, y) of a picture
// made from coordinates, or ok false for a black (padding) pixel.
func origin(img *Image, x, y int) (sx, sy int, ok bool) {
	if img.At(x, y, 2) != 7 {
		return 0, 0, false
	}
	return int(img.At(x, y, 0)), int(img.At(x, y, 1)), true
}

func TestCrop(t *testing.T) {
	src := coordinates(10, 6)
	for _, c := range []struct {
		name                     string
		top, left, height, width int
	}{
		{"inside", 1, 2, 3, 4},
		{"whole", 0, 0, 6, 10},
		{"over the top left", -2, -3, 5, 6},
		{"over the bottom right", 4, 8, 5, 6},
		{"outside", 10, 20, 2, 2},
		{"around", -1, -1, 8, 12},
		{"empty", 2, 2, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Crop(src, c.top, c.left, c.height, c.width)
			if got.Width != c.width || got.Height != c.height {
				t.Fatalf("size %d×%d, want %d×%d", got.Width, got.Height, c.width, c.height)
			}
			for y := range c.height {
				for x := range c.width {
					sx, sy := x+c.left, y+c.top
					inside := sx >= 0 && sx < src.Width && sy >= 0 && sy < src.Height
					gx, gy, ok := origin(got, x, y)
					if ok != inside || ok && (gx != sx || gy != sy) {
						t.Fatalf("pixel (%d, %d) comes from (%d, %d) (%v), want (%d, %d) (%v)", x, y, gx, gy, ok, sx, sy, inside)
					}
				}
			}
		})
	}
}

func TestCenterCropOffsets(t *testing.T) {
	for _, c := range []struct {
		w, h, cw, ch int
		left, top    int // the source of the crop's top-left pixel (negative: padding)
	}{
		{10, 10, 4, 4, 3, 3},
		{11, 10, 4, 4, 4, 3},    // (11-4)/2 = 3.5 rounds to 4
		{13, 10, 4, 4, 4, 3},    // 4.5 rounds to even 4
		{15, 10, 4, 4, 6, 3},    // 5.5 rounds to 6
		{10, 10, 13, 10, -1, 0}, // padded: (13-10)//2 = 1 column on the left
		{10, 10, 14, 15, -2, -2},
		{5, 20, 8, 6, -1, 7},
	} {
		t.Run(fmt.Sprintf("%dx%d_to_%dx%d", c.w, c.h, c.cw, c.ch), func(t *testing.T) {
			got := CenterCrop{Width: c.cw, Height: c.ch}.Apply(coordinates(c.w, c.h), nil)
			if got.Width != c.cw || got.Height != c.ch {
				t.Fatalf("size %d×%d", got.Width, got.Height)
			}
			// Find the first pixel with a source and work back to the
			// crop's origin.
			for y := range c.ch {
				for x := range c.cw {
					if sx, sy, ok := origin(got, x, y); ok {
						if sx-x != c.left || sy-y != c.top {
							t.Fatalf("crop starts at (%d, %d), want (%d, %d)", sx-x, sy-y, c.left, c.top)
						}
						return
					}
				}
			}
			t.Fatal("no pixel of the picture in the crop")
		})
	}
}

func TestResizedSize(t *testing.T) {
	for _, c := range []struct{ w, h, size, wantW, wantH int }{
		{37, 23, 9, 14, 9},
		{23, 37, 9, 9, 14},
		{500, 375, 256, 341, 256},
		{375, 500, 224, 224, 298},
		{100, 100, 7, 7, 7},
		{3, 1000, 2, 2, 666},
	} {
		if w, h := ResizedSize(c.w, c.h, c.size); w != c.wantW || h != c.wantH {
			t.Errorf("ResizedSize(%d, %d, %d) = %d×%d, want %d×%d", c.w, c.h, c.size, w, h, c.wantW, c.wantH)
		}
	}
}

func TestResizeKeepsConstant(t *testing.T) {
	img := NewImage(13, 7, 3)
	for i := range img.Pix {
		img.Pix[i] = uint8(40 + i%3*100)
	}
	for _, size := range [][2]int{{1, 1}, {5, 3}, {26, 14}, {100, 2}, {13, 30}} {
		out := ResizeTo(img, size[0], size[1])
		for i, v := range out.Pix {
			if v != uint8(40+i%3*100) {
				t.Fatalf("%v: byte %d is %d, want %d", size, i, v, 40+i%3*100)
			}
		}
	}
	if ResizeTo(img, 13, 7) != img {
		t.Error("resizing to the same size made a copy")
	}
}

func TestHorizontalFlip(t *testing.T) {
	img := coordinates(5, 3)
	f := HorizontalFlip(img)
	for y := range 3 {
		for x := range 5 {
			if sx, sy, _ := origin(f, x, y); sx != 4-x || sy != y {
				t.Fatalf("pixel (%d, %d) from (%d, %d)", x, y, sx, sy)
			}
		}
	}
	if !slices.Equal(HorizontalFlip(f).Pix, img.Pix) {
		t.Error("flipping twice does not give the picture back")
	}
}

func TestRotateRightAngles(t *testing.T) {
	img := coordinates(6, 6)
	for _, c := range []struct {
		angle float64
		src   func(x, y int) (int, int)
	}{
		{90, func(x, y int) (int, int) { return 5 - y, x }}, // counter-clockwise
		{-90, func(x, y int) (int, int) { return y, 5 - x }},
		{180, func(x, y int) (int, int) { return 5 - x, 5 - y }},
		{360, func(x, y int) (int, int) { return x, y }},
	} {
		got := Rotate(img, c.angle)
		for y := range 6 {
			for x := range 6 {
				sx, sy, ok := origin(got, x, y)
				wx, wy := c.src(x, y)
				if !ok || sx != wx || sy != wy {
					t.Fatalf("%v°: pixel (%d, %d) from (%d, %d), want (%d, %d)", c.angle, x, y, sx, sy, wx, wy)
				}
			}
		}
	}
}

func TestRandomResizedCropParams(t *testing.T) {
	r := RandomResizedCrop{Size: 8}
	for _, size := range [][2]int{{100, 80}, {37, 23}, {9, 300}, {1, 1}} {
		w, h := size[0], size[1]
		for seed := range uint64(200) {
			top, left, ch, cw := r.Params(w, h, rand.New(rand.NewPCG(seed, 0)))
			if ch <= 0 || cw <= 0 || top < 0 || left < 0 || top+ch > h || left+cw > w {
				t.Fatalf("%d×%d, seed %d: crop (%d, %d) %d×%d outside the picture", w, h, seed, top, left, cw, ch)
			}
		}
	}
	// A picture far wider than 4:3 leaves no try a crop that fits, often;
	// the fallback is the centre crop of ratio 4/3 and full height.
	fallbacks := 0
	for seed := range uint64(200) {
		top, left, h, w := r.Params(1000, 3, rand.New(rand.NewPCG(seed, 0)))
		if h == 3 && w == 4 && top == 0 && left == 498 {
			fallbacks++
		}
	}
	if fallbacks == 0 {
		t.Error("no fallback to the centre crop for a 1000×3 picture")
	}
	out := r.Apply(coordinates(37, 23), NewRand(1, 2, 3))
	if out.Width != 8 || out.Height != 8 || out.Channels != 3 {
		t.Errorf("output %d×%d×%d, want 8×8×3", out.Width, out.Height, out.Channels)
	}
}

func TestGrayscale(t *testing.T) {
	img := NewImage(2, 1, 3)
	copy(img.Pix, []uint8{255, 0, 0, 10, 200, 30})
	for _, c := range []struct {
		channels int
		want     []uint8
	}{
		{0, []uint8{76, 124}}, // (255·19595 + 0x8000) >> 16 = 76
		{1, []uint8{76, 124}},
		{3, []uint8{76, 76, 76, 124, 124, 124}},
	} {
		if got := (Grayscale{Channels: c.channels}).Apply(img, nil); !slices.Equal(got.Pix, c.want) {
			t.Errorf("Grayscale{%d} = %v, want %v", c.channels, got.Pix, c.want)
		}
	}
}

func TestToTensorLayout(t *testing.T) {
	img := NewImage(2, 2, 3)
	copy(img.Pix, []uint8{0, 51, 102, 153, 204, 255, 255, 0, 0, 0, 255, 0})
	got := ToTensor(img, make([]float32, 0, 100))
	want := []float32{0, 0.6, 1, 0, 0.2, 0.8, 0, 1, 0.4, 1, 0, 0}
	if !slices.Equal(got, want) {
		t.Errorf("ToTensor = %v, want %v", got, want)
	}
	Normalize{Mean: []float32{0.5, 0.5, 0.5}, Std: []float32{0.5, 0.5, 0.5}}.Apply(got)
	if got[0] != -1 || got[2] != 1 {
		t.Errorf("Normalize(0.5, 0.5) gives %v and %v for 0 and 1", got[0], got[2])
	}
}

func TestPanics(t *testing.T) {
	img := NewImage(4, 4, 3)
	for name, f := range map[string]func(){
		"NewImage channels":  func() { NewImage(2, 2, 2) },
		"Resize zero":        func() { Resize{}.Apply(img, nil) },
		"ResizeTo zero":      func() { ResizeTo(img, 0, 3) },
		"CenterCrop zero":    func() { CenterCrop{}.Apply(img, nil) },
		"hue out of range":   func() { AdjustHue(img, 0.6) },
		"negative contrast":  func() { AdjustContrast(img, -1) },
		"jitter hue":         func() { ColorJitter{Hue: 0.7}.Apply(img, NewRand(0, 0, 0)) },
		"normalize lengths":  func() { Normalize{Mean: []float32{0}, Std: []float32{1, 1}}.Apply(make([]float32, 4)) },
		"normalize std zero": func() { Normalize{Mean: []float32{0}, Std: []float32{0}}.Apply(make([]float32, 4)) },
		"pipeline channels":  func() { Pipeline{Mean: []float32{0}, Std: []float32{1}}.Tensor(img, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// training is a pipeline with every random transform.
var training = Compose{
	RandomResizedCrop{Size: 12},
	RandomHorizontalFlip{P: 0.5},
	RandomRotation{Degrees: 20},
	ColorJitter{Brightness: 0.4, Contrast: 0.4, Saturation: 0.4, Hue: 0.1},
	RandomGrayscale{P: 0.2},
}

func TestDeterministic(t *testing.T) {
	src := FromImage(gradient(40, 30))
	before := src.Clone()
	p := Pipeline{Transform: training, Mean: ImageNetMean, Std: ImageNetStd}
	want := make([][]float32, 16)
	for i := range want {
		want[i], _ = p.Apply(src, NewRand(7, 1, i), nil)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := len(want) - 1; i >= 0; i-- {
				if (i+g)%2 == 0 {
					continue
				}
				got, _ := p.Apply(src, NewRand(7, 1, i), nil)
				if !slices.Equal(got, want[i]) {
					t.Errorf("example %d differs from one goroutine to another", i)
				}
			}
		}()
	}
	wg.Wait()
	if !slices.Equal(src.Pix, before.Pix) {
		t.Error("the pipeline modified its input")
	}
	distinct := map[string]bool{}
	for _, w := range want {
		distinct[fmt.Sprint(w[:20])] = true
	}
	if len(distinct) < len(want)/2 {
		t.Errorf("only %d distinct outputs of %d examples", len(distinct), len(want))
	}
	other, _ := p.Apply(src, NewRand(7, 2, 0), nil)
	if slices.Equal(other, want[0]) {
		t.Error("epochs 1 and 2 give example 0 the same picture")
	}
}

func TestColorJitterOff(t *testing.T) {
	img := FromImage(gradient(9, 5))
	if got := (ColorJitter{}).Apply(img, NewRand(0, 0, 0)); got != img {
		t.Error("a ColorJitter with no factors changed the picture")
	}
}

// gradient returns a w×h colour gradient.
func gradient(w, h int) image.Image {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x + y) * 4), 255})
		}
	}
	return m
}

func TestFromImage(t *testing.T) {
	pal := color.Palette{color.RGBA{1, 2, 3, 255}, color.NRGBA{200, 100, 50, 128}}
	paletted := image.NewPaletted(image.Rect(0, 0, 2, 1), pal)
	paletted.Pix[1] = 1
	gray16 := image.NewGray16(image.Rect(0, 0, 2, 1))
	gray16.SetGray16(0, 0, color.Gray16{200})
	gray16.SetGray16(1, 0, color.Gray16{0x1234})
	rgba64 := image.NewRGBA64(image.Rect(0, 0, 1, 1))
	rgba64.SetRGBA64(0, 0, color.RGBA64{0x1234, 0x5678, 0x9abc, 0xffff})
	nrgba := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	nrgba.SetNRGBA(0, 0, color.NRGBA{10, 20, 30, 0}) // transparent: the colour is kept
	cmyk := image.NewCMYK(image.Rect(0, 0, 1, 1))
	cmyk.SetCMYK(0, 0, color.CMYK{0, 128, 255, 51})
	sub := image.NewGray(image.Rect(0, 0, 4, 4)).SubImage(image.Rect(1, 1, 3, 2)).(*image.Gray)
	sub.SetGray(2, 1, color.Gray{99})
	for _, c := range []struct {
		name string
		m    image.Image
		want []uint8
	}{
		{"paletted", paletted, []uint8{1, 2, 3, 200, 100, 50}},
		{"gray16 clipped as PIL", gray16, []uint8{200, 200, 200, 255, 255, 255}},
		{"rgba64 high byte", rgba64, []uint8{0x12, 0x56, 0x9a}},
		{"nrgba alpha dropped", nrgba, []uint8{10, 20, 30}},
		{"cmyk as PIL", cmyk, []uint8{204, 102, 0}},
		{"sub-image", sub, []uint8{0, 0, 0, 99, 99, 99}},
	} {
		if got := FromImage(c.m); !slices.Equal(got.Pix, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got.Pix, c.want)
		}
	}
}

func TestString(t *testing.T) {
	s := fmt.Sprint(Eval(224))
	for _, want := range []string{"Resize(size=256", "CenterCrop(size=(224, 224))"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q does not contain %q", s, want)
		}
	}
}
