package viz

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot"

	"github.com/convnet/convnet/train"
)

// grey is the luminance of img at (x, y).
func grey(img image.Image, x, y int) uint8 {
	return color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
}

// colours counts img's colours, up to limit.
func colours(img image.Image, limit int) int {
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y && len(seen) < limit; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			seen[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)] = true
		}
	}
	return len(seen)
}

// ramp returns n values cycling over -3..3.
func ramp(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i%7) - 3
	}
	return v
}

func TestGreyLevels(t *testing.T) {
	// A constant map is drawn black, not as NaN noise.
	if lv := greyLevels([]float32{2, 2, 2}); !slices.Equal(lv, []uint8{0, 0, 0}) {
		t.Errorf("constant levels %v", lv)
	}
	if lv := greyLevels([]float32{-1, 0, 1}); !slices.Equal(lv, []uint8{0, 128, 255}) {
		t.Errorf("levels %v", lv)
	}
}

func TestFeatureGrid(t *testing.T) {
	head := Header{Title: "maps", Lines: []string{"a line"}}
	// One map of 4×4: the left half 0 (black), the right half 1 (white),
	// enlarged 21 times.
	m := make([]float32, 16)
	for i := range m {
		if i%4 >= 2 {
			m[i] = 1
		}
	}
	img := FeatureGrid(head, m, 1, 4, 4)
	b := img.Bounds()
	left := (b.Dx() - 4*21) / 2
	top := head.height()
	if g := grey(img, left+10, top+10); g != 0 {
		t.Errorf("left half %d, want black", g)
	}
	if g := grey(img, left+4*21-10, top+4*21-10); g != 255 {
		t.Errorf("right half %d, want white", g)
	}
	if g := grey(img, left-1, top+10); g != frame.R {
		t.Errorf("frame %d, want %d", g, frame.R)
	}
	// The 6 maps of 28×28 of LeNet-5's cnn1, enlarged 3 times, in one row.
	img = FeatureGrid(head, ramp(6*28*28), 6, 28, 28)
	if b := img.Bounds(); b.Dx() < 6*84 || b.Dy() > 84+150 {
		t.Errorf("6 maps of 28×28: %dx%d", b.Dx(), b.Dy())
	}
	for _, s := range [][3]int{{512, 2, 2}, {64, 32, 32}, {5, 1, 9}, {300, 3, 3}} {
		img := FeatureGrid(head, ramp(s[0]*s[1]*s[2]), s[0], s[1], s[2])
		if b := img.Bounds(); b.Dx() < 100 || b.Dy() < 80 || b.Dx() > 2500 || b.Dy() > 2500 || colours(img, 3) < 3 {
			t.Errorf("%v: %dx%d", s, b.Dx(), b.Dy())
		}
	}
}

func TestBarStrip(t *testing.T) {
	head := Header{Title: "bars"}
	// Two units: +1 up in blue, -1 down in red, 60 pixels each.
	img := BarStrip(head, []float32{1, -1}, []string{"yes", "no"}, 0)
	b := img.Bounds()
	var blue, red int
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			switch img.RGBAAt(x, y) {
			case positive:
				blue++
			case negative:
				red++
			}
		}
	}
	// The axis covers the red bar's first row.
	if blue != 60*(64-2*8) || red != 59*(64-2*8) {
		t.Errorf("%d blue and %d red pixels, want %d and %d", blue, red, 60*48, 59*48)
	}
	for _, n := range []int{4096, 120, 10, 300} {
		img := BarStrip(head, ramp(n), nil, -1)
		if b := img.Bounds(); b.Dx() < 100 || b.Dy() < 80 || b.Dx() > 2000 || b.Dy() > 2500 {
			t.Errorf("%d units: %dx%d", n, b.Dx(), b.Dy())
		}
	}
	// Not-finite values and all zeros draw without panicking.
	BarStrip(head, []float32{float32(math.NaN()), float32(math.Inf(1)), 0}, nil, -1)
	BarStrip(head, make([]float32, 3), nil, -1)
}

func TestInputPicture(t *testing.T) {
	head := Header{Title: "input"}
	// A grey 28×28 input is scaled from its minimum to its maximum,
	// whatever its normalisation, and enlarged 8 times.
	x := make([]float32, 28*28)
	for i := range x {
		x[i] = -0.4242
	}
	x[14*28+14] = 2.8
	img := InputPicture(head, x, 1, 28, 28)
	left := (img.Bounds().Dx() - 28*8) / 2
	if g := grey(img, left+14*8+4, head.height()+14*8+4); g != 255 {
		t.Errorf("the brightest pixel is %d", g)
	}
	if g := grey(img, left+4, head.height()+4); g != 0 {
		t.Errorf("the background is %d", g)
	}
	// Three planes are red, green and blue in [0, 1], clamped.
	rgb := make([]float32, 3*32*32)
	for i := range 32 * 32 {
		rgb[i], rgb[32*32+i], rgb[2*32*32+i] = 1.5, 0.5, -1
	}
	img = InputPicture(head, rgb, 3, 32, 32)
	left = (img.Bounds().Dx() - 32*7) / 2
	if c := img.RGBAAt(left+100, head.height()+100); c != (color.RGBA{255, 128, 0, 255}) {
		t.Errorf("colour %v", c)
	}
	for _, c := range []int{2, 4} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%d channels: no panic", c)
				}
			}()
			InputPicture(head, make([]float32, c*4), c, 2, 2)
		}()
	}
}

func TestShortMapsPanic(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "viz.FeatureGrid: 10 values for 3 planes of 2×2") {
			t.Errorf("panic %v", r)
		}
	}()
	FeatureGrid(Header{}, make([]float32, 10), 3, 2, 2)
}

func TestMostWrong(t *testing.T) {
	ev := train.Evaluation{
		Labels:     []int{1, 1, 3, 0, 0},
		Predicted:  []int{1, 2, 2, 5, 0},
		Confidence: []float32{0.99, 0.6, 0.9, 0.6, 0.7},
	}
	wrong, total := MostWrong(ev, 2)
	if total != 3 || len(wrong) != 2 || wrong[0].Index != 2 || wrong[1].Index != 1 {
		t.Errorf("wrong %+v, total %d", wrong, total)
	}
	if wrong[0] != (Answer{Index: 2, Label: 3, Predicted: 2, Probability: 0.9}) {
		t.Errorf("wrong[0] = %+v", wrong[0])
	}
	if wrong, total := MostWrong(ev, 10); len(wrong) != 3 || total != 3 || wrong[2].Index != 3 {
		t.Errorf("all: %+v, total %d", wrong, total)
	}
}

// images is a set of n constant images of one shape.
type images struct{ shape []int }

func (s images) Shape() []int { return s.shape }

func (s images) Example(i int, dst []float32) int {
	for k := range dst {
		dst[k] = float32(i%4) / 3
	}
	return 0
}

func TestWrongGrid(t *testing.T) {
	n := 40
	ev := train.Evaluation{Labels: make([]int, n), Predicted: make([]int, n), Confidence: make([]float32, n)}
	for i := range n {
		if i%2 == 1 {
			ev.Predicted[i] = 1
		}
		ev.Confidence[i] = float32(i) / float32(n)
	}
	names := []string{"zero", "one"}
	// 16 of 20 wrong 28×28 images, enlarged 4 times, 4 to a row.
	img := WrongGrid("m", ev, 16, images{[]int{1, 28, 28}}, names)
	if b := img.Bounds(); b.Dx() < 4*112 || b.Dy() < 4*112 || b.Dx() > 1200 || b.Dy() > 1200 {
		t.Errorf("16 wrong: %dx%d", b.Dx(), b.Dy())
	}
	if c := colours(img, 5); c < 5 {
		t.Errorf("16 wrong: %d colours", c)
	}
	// More than 16 go 8 to a row; colour images are drawn in colour.
	if b := WrongGrid("m", ev, 20, images{[]int{3, 32, 32}}, names).Bounds(); b.Dx() < 8*96 {
		t.Errorf("20 wrong: %dx%d", b.Dx(), b.Dy())
	}
	// None wrong: a header only.
	img = WrongGrid("m", train.Evaluation{Labels: []int{0}, Predicted: []int{0}, Confidence: []float32{1}}, 16, images{[]int{1, 28, 28}}, nil)
	if b := img.Bounds(); b.Dy() > 100 {
		t.Errorf("none wrong: %dx%d", b.Dx(), b.Dy())
	}
}

func TestConfusion(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{2, 10, 30} {
		conf := make([][]int, n)
		for i := range conf {
			conf[i] = make([]int, n)
			conf[i][i] = 900
			conf[i][(i+1)%n] = 3
		}
		names := []string{"airplane", "automobile"} // long names are turned
		path := filepath.Join(dir, "c.png")
		if err := SaveConfusion(path, "title\nsecond line", conf, names); err != nil {
			t.Fatal(err)
		}
		img := decodePNG(t, path)
		w, h := ConfusionSize(n)
		if b := img.Bounds(); b.Dx() != w || b.Dy() != h || w != h+12 {
			t.Errorf("%d classes: %dx%d, want %dx%d", n, b.Dx(), b.Dy(), w, h)
		}
		// The darkest blue is on the diagonal.
		if colours(img, 10) < 10 {
			t.Errorf("%d classes: few colours", n)
		}
		var b bytes.Buffer
		if err := Confusion(&b, "t", conf, nil); err != nil || !bytes.HasPrefix(b.Bytes(), []byte("\x89PNG")) {
			t.Errorf("Confusion: %v, %q", err, b.Bytes()[:min(8, b.Len())])
		}
	}
	if w, h := ConfusionSize(10); w != 761 || h != 749 {
		t.Errorf("ConfusionSize(10) = %d, %d", w, h)
	}
	path := filepath.Join(dir, "empty.png")
	if err := SaveConfusion(path, "t", nil, nil); !errors.Is(err, errNoConfusion) {
		t.Errorf("empty: %v", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("an empty matrix wrote %s", path)
	}
}

func decodePNG(t *testing.T, path string) image.Image {
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
	return img
}

func metrics(n int) []train.EpochMetrics {
	var rows []train.EpochMetrics
	for e := range n {
		f := float64(e + 1)
		rows = append(rows, train.EpochMetrics{Epoch: e, Loss: 0.01 / f, MeanLoss: 0.6 / f, TrainAccuracy: 1 - 0.1/f,
			TestAccuracy: 1 - 0.08/f, Seconds: 6, LR: 0.001})
	}
	return rows
}

func TestCurves(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{1, 3, 150} {
		path := filepath.Join(dir, "c.PNG")
		if err := SaveCurves(path, "run", metrics(n)); err != nil {
			t.Fatal(err)
		}
		img := decodePNG(t, path)
		if b := img.Bounds(); b.Dx() != CurvesWidth || b.Dy() != CurvesHeight || colours(img, 5) < 5 {
			t.Errorf("%d epochs: %dx%d", n, b.Dx(), b.Dy())
		}
	}
	// A diverged loss, not positive, draws on a linear scale.
	rows := metrics(4)
	rows[2].Loss, rows[3].MeanLoss, rows[1].Loss = math.NaN(), math.Inf(1), -1
	if err := SaveCurves(filepath.Join(dir, "d.png"), "", rows); err != nil {
		t.Fatal(err)
	}

	svg := filepath.Join(dir, "c.svg")
	if err := SaveCurves(svg, "run 7", metrics(3)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(svg)
	dec := xml.NewDecoder(bytes.NewReader(b))
	root, elements := "", 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			elements++
		}
	}
	if root != "svg" || elements < 20 || !bytes.Contains(b, []byte("run 7: accuracy")) {
		t.Errorf("svg: root <%s>, %d elements", root, elements)
	}

	for _, c := range []struct {
		path string
		rows []train.EpochMetrics
		want string
	}{
		{filepath.Join(dir, "x.jpg"), metrics(2), "x.jpg: the picture must be a .png or .svg file"},
		{filepath.Join(dir, "x.png"), nil, "no epochs to plot"},
	} {
		if err := SaveCurves(c.path, "", c.rows); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.path, err, c.want)
		}
		if _, err := os.Stat(c.path); err == nil {
			t.Errorf("%s was written", c.path)
		}
	}
	var buf bytes.Buffer
	if err := Curves(&buf, SVG, "", metrics(2)); err != nil || !bytes.Contains(buf.Bytes(), []byte("<svg")) {
		t.Errorf("Curves SVG: %v", err)
	}
	if err := Curves(&buf, Format(7), "", metrics(2)); err == nil {
		t.Errorf("Curves in format 7: no error")
	}
}

func TestFormatOf(t *testing.T) {
	for path, want := range map[string]Format{"a.png": PNG, "b/c.SVG": SVG, "x.Png": PNG} {
		if f, err := FormatOf(path); f != want || err != nil {
			t.Errorf("FormatOf(%q) = %v, %v", path, f, err)
		}
	}
	for _, path := range []string{"a.jpg", "a", "a.png.txt"} {
		if _, err := FormatOf(path); err == nil {
			t.Errorf("FormatOf(%q): no error", path)
		}
	}
}

func TestSavePNG(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.png")
	img := newPicture(3, 2)
	if err := SavePNG(path, img); err != nil {
		t.Fatal(err)
	}
	if b := decodePNG(t, path).Bounds(); b.Dx() != 3 || b.Dy() != 2 {
		t.Errorf("%v", b)
	}
	if err := SavePNG(filepath.Join(dir, "missing", "p.png"), img); err == nil {
		t.Errorf("no error for a missing folder")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files left", len(entries))
	}
}

func TestEpochTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   string
	}{
		{0, 2, "0 1 2"},
		{-0.5, 0.5, "0"},
		{0, 10, "0 1 2 3 4 5 6 7 8 9 10"},
		{0, 11, "0 2 4 6 8 10"},
		{3, 40, "5 10 15 20 25 30 35 40"},
		{0, 149, "0 20 40 60 80 100 120 140"},
	} {
		var got []string
		for _, tk := range (epochTicks{}).Ticks(c.lo, c.hi) {
			got = append(got, tk.Label)
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("epochTicks(%v, %v) = %q, want %q", c.lo, c.hi, got, c.want)
		}
	}
}

func TestLogAndNiceTicks(t *testing.T) {
	labels := func(tks []plot.Tick) string {
		var s []string
		for _, tk := range tks {
			if tk.Label != "" {
				s = append(s, tk.Label)
			}
		}
		return strings.Join(s, " ")
	}
	if got := labels((logTicks{}).Ticks(0.002, 0.9)); got != "0.01 0.1" {
		t.Errorf("log ticks 0.002..0.9: %q", got)
	}
	if got := labels((logTicks{}).Ticks(0.03, 0.3)); got != "0.05 0.1 0.2" {
		t.Errorf("log ticks 0.03..0.3: %q", got)
	}
	if got := labels((niceTicks{}).Ticks(0.72, 0.95)); got != "0.75 0.80 0.85 0.90 0.95" {
		t.Errorf("nice ticks 0.72..0.95: %q", got)
	}
	if got := labels((niceTicks{}).Ticks(0, 1200)); got != "0 200 400 600 800 1000 1200" {
		t.Errorf("nice ticks 0..1200: %q", got)
	}
}
