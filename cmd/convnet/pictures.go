package main

// Pictures of what the network sees and does: every layer's output for
// one image (inspect --png), the confusion matrix as a heat map and the
// most confidently wrong test images (eval --png).

import (
	"cmp"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	vgdraw "gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/datasets"
	"github.com/convnet/convnet/train"
)

// Colours of the raster pictures.
var (
	picBackground = color.RGBA{0xff, 0xff, 0xff, 0xff}
	picInk        = color.RGBA{0x22, 0x22, 0x22, 0xff}
	picMuted      = color.RGBA{0x70, 0x70, 0x70, 0xff}
	picFrame      = color.RGBA{0xb0, 0xb0, 0xb0, 0xff}
	picPositive   = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	picNegative   = color.RGBA{0xd6, 0x27, 0x28, 0xff}
	picWrong      = color.RGBA{0xc0, 0x1c, 0x1c, 0xff}
)

const picMargin = 16

// picFace returns Liberation Sans (the font gonum/plot embeds) at size
// pixels.
func picFace(size float64, bold bool) xfont.Face {
	f := font.Font{Typeface: "Liberation", Variant: "Sans"}
	if bold {
		f.Weight = xfont.WeightBold
	}
	face := font.DefaultCache.Lookup(f, font.Length(size))
	// At 72 dpi a point is a pixel; hinting keeps small digits crisp and
	// evenly spaced.
	ff, err := opentype.NewFace(face.Face, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: xfont.HintingFull})
	if err != nil {
		panic(err) // the embedded fonts parse
	}
	return ff
}

// picTextWidth is the width of s in face, in pixels.
func picTextWidth(face xfont.Face, s string) int { return xfont.MeasureString(face, s).Ceil() }

// picText draws s with its left end at x and its baseline at y.
func picText(dst draw.Image, face xfont.Face, x, y int, s string, c color.Color) {
	d := xfont.Drawer{Dst: dst, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// picTextCentred draws s centred on x, its baseline at y.
func picTextCentred(dst draw.Image, face xfont.Face, x, y int, s string, c color.Color) {
	picText(dst, face, x-picTextWidth(face, s)/2, y, s, c)
}

// picLineHeight is the distance between baselines of face.
func picLineHeight(face xfont.Face) int { return face.Metrics().Height.Ceil() }

// newPicture returns a white picture.
func newPicture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(picBackground), image.Point{}, draw.Src)
	return img
}

// picRect fills r with c.
func picRect(dst draw.Image, r image.Rectangle, c color.Color) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// picFrameAround draws a one-pixel frame just outside r.
func picFrameAround(dst draw.Image, r image.Rectangle, c color.Color) {
	r = r.Inset(-1)
	picRect(dst, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+1), c)
	picRect(dst, image.Rect(r.Min.X, r.Max.Y-1, r.Max.X, r.Max.Y), c)
	picRect(dst, image.Rect(r.Min.X, r.Min.Y, r.Min.X+1, r.Max.Y), c)
	picRect(dst, image.Rect(r.Max.X-1, r.Min.Y, r.Max.X, r.Max.Y), c)
}

// picHeader is a picture's title (bold) and lines under it (grey);
// height is where the content below it starts.
type picHeader struct {
	title string
	sub   []string
}

func (h picHeader) width() int {
	w := picTextWidth(picFace(16, true), h.title)
	for _, s := range h.sub {
		w = max(w, picTextWidth(picFace(12, false), s))
	}
	return w + 2*picMargin
}

func (h picHeader) height() int {
	return picMargin + picLineHeight(picFace(16, true)) + len(h.sub)*(picLineHeight(picFace(12, false))+1) + 12
}

func (h picHeader) draw(dst draw.Image) {
	big, small := picFace(16, true), picFace(12, false)
	y := picMargin + big.Metrics().Ascent.Ceil()
	picText(dst, big, picMargin, y, h.title, picInk)
	for _, s := range h.sub {
		y += picLineHeight(small) + 1
		picText(dst, small, picMargin, y, s, picMuted)
	}
}

// savePicturePNG encodes img into path atomically.
func savePicturePNG(path string, img image.Image) error {
	return train.WriteFileAtomic(path, func(w io.Writer) error {
		return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, img)
	})
}

// drawEnlarged draws an h×w plane with its top-left corner at at, each
// value (pixel gives its colour) a scale×scale square: nearest-neighbour
// enlargement, so that small maps stay sharp.
func drawEnlarged(dst *image.RGBA, at image.Point, h, w, scale int, pixel func(y, x int) color.RGBA) {
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			picRect(dst, image.Rect(at.X+x*scale, at.Y+y*scale, at.X+(x+1)*scale, at.Y+(y+1)*scale), pixel(y, x))
		}
	}
}

// greyLevels maps v to 0..255 between its own minimum and maximum (all 0,
// black, for a constant plane).
func greyLevels(v []float32) []uint8 {
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	out := make([]uint8, len(v))
	if !(hi > lo) {
		return out
	}
	for i, x := range v {
		out[i] = uint8(math.Round(float64((x - lo) / (hi - lo) * 255)))
	}
	return out
}

// featureGrid draws maps, C planes of h×w, in a grid, each scaled to its
// own minimum (black) and maximum (white), enlarged without smoothing and
// labelled with its channel number.
func featureGrid(head picHeader, maps []float32, c, h, w int) *image.RGBA {
	target := 84
	switch {
	case c > 64:
		target = 40
	case c > 16:
		target = 56
	}
	scale := max(1, int(math.Round(float64(target)/float64(max(h, w)))))
	cols := c
	switch {
	case c > 256:
		cols = 32
	case c > 32:
		cols = 16
	case c > 8:
		cols = 8
	}
	rows := (c + cols - 1) / cols
	label := picFace(11, false)
	gap, labelH := 12, picLineHeight(label)+2
	cellW, cellH := w*scale+gap, h*scale+labelH+gap
	width := max(head.width(), 2*picMargin+cols*cellW-gap)
	height := head.height() + rows*cellH - gap + picMargin
	img := newPicture(width, height)
	head.draw(img)
	left := (width - (cols*cellW - gap)) / 2
	for ch := 0; ch < c; ch++ {
		at := image.Pt(left+(ch%cols)*cellW, head.height()+(ch/cols)*cellH)
		levels := greyLevels(maps[ch*h*w : (ch+1)*h*w])
		drawEnlarged(img, at, h, w, scale, func(y, x int) color.RGBA {
			g := levels[y*w+x]
			return color.RGBA{g, g, g, 0xff}
		})
		picFrameAround(img, image.Rectangle{Min: at, Max: at.Add(image.Pt(w*scale, h*scale))}, picFrame)
		picTextCentred(img, label, at.X+w*scale/2, at.Y+h*scale+labelH, strconv.Itoa(ch), picMuted)
	}
	return img
}

// barStrip draws one bar per unit: up and blue for a positive value, down
// and red for a negative one, all to the scale of the largest magnitude.
// names, if not nil, labels the units (else their indices do); unit
// highlight, if not -1, has its label in bold.
func barStrip(head picHeader, v []float32, names []string, highlight int) *image.RGBA {
	n := len(v)
	perRow := n
	if n > 128 {
		perRow = 256
	}
	rows := (n + perRow - 1) / perRow
	barW := min(64, max(3, 960/max(perRow, 1)))
	label, bold := picFace(11, false), picFace(11, true)
	labelH := picLineHeight(label) + 4
	showValues := n <= 16
	valueH := 0
	if showValues {
		valueH = labelH
	}
	half := 60
	if rows > 2 {
		half = 30
	}
	rowH := valueH + 2*half + valueH + labelH + 14
	stripW := perRow * barW
	width := max(head.width(), 2*picMargin+stripW)
	height := head.height() + rows*rowH + picMargin
	img := newPicture(width, height)
	head.draw(img)
	peak := float32(0)
	for _, x := range v {
		peak = max(peak, float32(math.Abs(float64(x))))
	}
	if peak == 0 || math.IsNaN(float64(peak)) || math.IsInf(float64(peak), 0) {
		peak = 1
	}
	left := (width - stripW) / 2
	// Enough decimals for the largest value's first two digits.
	decimals := min(6, max(2, 1-int(math.Floor(math.Log10(float64(peak))))))
	every := 1
	for _, k := range []int{1, 2, 5, 10, 20, 50, 100} {
		every = k
		if barW*k >= 28 {
			break
		}
	}
	for r := 0; r < rows; r++ {
		top := head.height() + r*rowH
		zero := top + valueH + half
		units := min(perRow, n-r*perRow)
		for i := 0; i < units; i++ {
			u := r*perRow + i
			x0 := left + i*barW
			pad := 0
			if barW >= 6 {
				pad = max(1, barW/8)
			}
			length := 0
			if f := float64(v[u] / peak); !math.IsNaN(f) {
				length = int(math.Round(min(max(f, -1), 1) * float64(half)))
			}
			bar := image.Rect(x0+pad, zero-length, x0+barW-pad, zero)
			c := picPositive
			if v[u] < 0 {
				bar = image.Rect(x0+pad, zero, x0+barW-pad, zero-length)
				c = picNegative
			}
			picRect(img, bar, c)
			if showValues {
				s := strconv.FormatFloat(float64(v[u]), 'f', decimals, 64)
				if strings.Trim(s, "-0.") == "" {
					s = strings.TrimPrefix(s, "-")
				}
				if v[u] >= 0 {
					picTextCentred(img, label, x0+barW/2, bar.Min.Y-4, s, picInk)
				} else {
					picTextCentred(img, label, x0+barW/2, bar.Max.Y+labelH-2, s, picInk)
				}
			}
			if u%every == 0 {
				name := strconv.Itoa(u)
				if names != nil && u < len(names) {
					name = names[u]
				}
				face, c := label, color.Color(picMuted)
				if u == highlight {
					face, c = bold, picInk
				}
				picTextCentred(img, face, x0+barW/2, zero+half+valueH+labelH-2, name, c)
			}
		}
		picRect(img, image.Rect(left-4, zero, left+units*barW+4, zero+1), picMuted)
	}
	return img
}

// inputPicture draws the model's input: grey (scaled to its minimum and
// maximum) for one channel, colour for three, un-normalised when the
// pipeline normalised it.
func inputPicture(head picHeader, x []float32, shape []int, pipe datasets.Pipeline) *image.RGBA {
	c, h, w := shape[0], shape[1], shape[2]
	scale := max(1, 224/max(h, w))
	width := max(head.width(), 2*picMargin+w*scale)
	img := newPicture(width, head.height()+h*scale+picMargin)
	head.draw(img)
	at := image.Pt((width-w*scale)/2, head.height())
	if c == 3 {
		unit := pipe.Unnormalize(x[:c*h*w])
		rgb := colourPlane(unit, h, w)
		drawEnlarged(img, at, h, w, scale, func(y, x int) color.RGBA { return rgb[y*w+x] })
	} else {
		levels := greyLevels(x[:h*w])
		drawEnlarged(img, at, h, w, scale, func(y, x int) color.RGBA {
			g := levels[y*w+x]
			return color.RGBA{g, g, g, 0xff}
		})
	}
	picFrameAround(img, image.Rectangle{Min: at, Max: at.Add(image.Pt(w*scale, h*scale))}, picFrame)
	return img
}

// colourPlane turns three planes of values in [0, 1] into pixels.
func colourPlane(v []float32, h, w int) []color.RGBA {
	toByte := func(x float32) uint8 { return uint8(math.Round(float64(min(max(x, 0), 1) * 255))) }
	out := make([]color.RGBA, h*w)
	for i := range out {
		out[i] = color.RGBA{toByte(v[i]), toByte(v[h*w+i]), toByte(v[2*h*w+i]), 0xff}
	}
	return out
}

// pictureName makes a layer's name safe as a file name.
func pictureName(i, count int, name string) string {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, name)
	return fmt.Sprintf("%0*d-%s.png", max(2, len(strconv.Itoa(count-1))), i, safe)
}

// checkPictureDir validates a folder for pictures: it may be missing (it
// is created) but not be a file.
func checkPictureDir(flagName, dir string) error {
	if dir == "" {
		return usagef("%s: empty folder name", flagName)
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return usagef("%s %s: is a file, not a folder", flagName, dir)
	}
	return nil
}

// inspected is what inspect --png draws: one test image through the model.
type inspected struct {
	model      string
	index      int
	label      int
	pred       int
	prob       float64
	classNames []string
}

// saveInspectPictures writes one picture per activation into dir: the
// input, then every layer in order of execution. It returns the files'
// names.
func saveInspectPictures(dir string, pipe datasets.Pipeline, in inspected, acts []activation) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--png: %s", pathError(err))
	}
	var names []string
	for i, a := range acts {
		name := pictureName(i, len(acts), a.name)
		img := activationPicture(pipe, in, a, i == len(acts)-1)
		if err := savePicturePNG(filepath.Join(dir, name), img); err != nil {
			return names, fmt.Errorf("--png: %v", err)
		}
		names = append(names, name)
	}
	return names, nil
}

// activationPicture draws one activation: the input as an image, maps of
// shape [1, C, H, W] as a grid, anything else (fully connected outputs,
// 1×1 maps) as bars.
func activationPicture(pipe datasets.Pipeline, in inspected, a activation, last bool) *image.RGBA {
	shape := a.out.Shape()
	v := a.out.Data()
	what := fmt.Sprintf("%s, test image %d: label %s, predicted %s (probability %.4f)", in.model, in.index,
		labelName(in.classNames, in.label), labelName(in.classNames, in.pred), in.prob)
	head := picHeader{title: a.name + "  " + formatShape(shape), sub: []string{what}}
	if a.name == "input" && len(shape) == 4 && (shape[1] == 1 || shape[1] == 3) {
		return inputPicture(head, v[:product(shape[1:])], shape[1:], pipe)
	}
	if len(shape) == 4 && shape[2]*shape[3] > 1 {
		head.sub = append(head.sub, fmt.Sprintf("%d feature maps of %d×%d, each scaled from its own min (black) to its max (white)",
			shape[1], shape[2], shape[3]))
		return featureGrid(head, v[:product(shape[1:])], shape[1], shape[2], shape[3])
	}
	n := len(v)
	if len(shape) > 1 {
		n = product(shape[1:])
	}
	peak := 0.0
	for _, x := range v[:n] {
		peak = max(peak, math.Abs(float64(x)))
	}
	head.sub = append(head.sub, fmt.Sprintf("%d units, one bar each: blue positive, red negative, all to one scale (largest |value| %.3g)", n, peak))
	var names []string
	highlight := -1
	if last && n == len(in.classNames) {
		names, highlight = in.classNames, in.pred
	}
	return barStrip(head, v[:n], names, highlight)
}

// labelName names class c: its name if the data set has names.
func labelName(names []string, c int) string {
	if c >= 0 && c < len(names) {
		return names[c]
	}
	return strconv.Itoa(c)
}

// displaySet returns the test images as people see them (before padding
// and normalisation; values in [0, 1]), with the class names.
func displaySet(pipe datasets.Pipeline, dir string, limit int) (data.Dataset, []string, error) {
	ds, err := pipe.Images(dir, false, limit)
	if err != nil {
		return nil, nil, err
	}
	return ds, pipe.ClassNames(dir), nil
}

// scoredImage is the model's answer for one test image.
type scoredImage struct {
	index, label, pred int
	prob               float32 // of pred
}

// scored lists the model's answer for every test image of ev.
func scored(ev train.Evaluation) []scoredImage {
	out := make([]scoredImage, len(ev.Predicted))
	for i, pred := range ev.Predicted {
		out[i] = scoredImage{index: i, label: ev.Labels[i], pred: pred, prob: ev.Confidence[i]}
	}
	return out
}

// confidentlyWrong returns up to n wrong predictions, the most probable
// first.
func confidentlyWrong(preds []scoredImage, n int) (wrong []scoredImage, total int) {
	for _, p := range preds {
		if p.pred != p.label {
			wrong = append(wrong, p)
		}
	}
	total = len(wrong)
	slices.SortStableFunc(wrong, func(a, b scoredImage) int { return cmp.Compare(b.prob, a.prob) })
	return wrong[:min(n, len(wrong))], total
}

// wrongPath is the file of eval --png's wrong images: FILE-wrong.png.
func wrongPath(path string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + "-wrong.png"
}

// checkPNGPath validates a .png file name in a folder that exists.
func checkPNGPath(flagName, path string) error {
	if strings.ToLower(filepath.Ext(path)) != ".png" {
		return usagef("%s %s: the picture must be a .png file", flagName, path)
	}
	return checkOutPath(flagName, path)
}

// saveEvalPictures draws the confusion matrix into path and the most
// confidently wrong test images beside it, and says so on stdout.
func saveEvalPictures(path string, l *loaded, dataDir string, limit int, ev train.Evaluation, stdout io.Writer) error {
	shown, names, err := displaySet(l.pipe, dataDir, limit)
	if err != nil {
		return err
	}
	title := fmt.Sprintf("Confusion matrix: %s on %d %s test images, accuracy %.2f%%\n(cell colour: count on a log scale)",
		l.spec.Name, ev.Total, datasetTitle(l.pipe.Dataset()), 100*ev.Accuracy())
	if err := saveConfusion(path, title, ev.Confusion, names); err != nil {
		return fmt.Errorf("--png: %v", err)
	}
	fmt.Fprintf(stdout, "\nsaved %s\n", path)
	preds := scored(ev)
	wrong, total := confidentlyWrong(preds, 16)
	img := wrongGrid(shown, names, wrong, total, len(preds), l.spec.Name)
	wp := wrongPath(path)
	if err := savePicturePNG(wp, img); err != nil {
		return fmt.Errorf("--png: %v", err)
	}
	fmt.Fprintf(stdout, "saved %s\n", wp)
	return nil
}

func datasetTitle(name string) string {
	if name == "cifar10" {
		return "CIFAR-10"
	}
	return strings.ToUpper(name)
}

// wrongGrid draws the wrong predictions' images in a grid, with the true
// label, the predicted one and its probability under each.
func wrongGrid(shown data.Dataset, names []string, wrong []scoredImage, total, n int, model string) *image.RGBA {
	head := picHeader{
		title: "Most confidently wrong test images",
		sub: []string{fmt.Sprintf("%s: the %d wrong answers given with the highest probability, of %d wrong on %d test images",
			model, len(wrong), total, n)},
	}
	if total == 0 {
		head.sub = []string{fmt.Sprintf("%s: no wrong answer on %d test images", model, n)}
	}
	shape := shown.Shape()
	c, h, w := shape[0], shape[1], shape[2]
	scale := max(1, 112/max(h, w))
	text := picFace(12, false)
	bold := picFace(12, true)
	lines := func(p scoredImage) [3]string {
		return [3]string{
			"true: " + labelName(names, p.label),
			fmt.Sprintf("pred: %s (%.3f)", labelName(names, p.pred), p.prob),
			fmt.Sprintf("test image %d", p.index),
		}
	}
	cellW := w * scale
	for _, p := range wrong {
		for _, s := range lines(p) {
			cellW = max(cellW, picTextWidth(bold, s))
		}
	}
	gap := 18
	cols := min(max(len(wrong), 1), 4)
	if len(wrong) > 16 {
		cols = 8
	}
	rows := (len(wrong) + cols - 1) / cols
	lh := picLineHeight(text)
	cellH := h*scale + 3*lh + 8
	width := max(head.width(), 2*picMargin+cols*(cellW+gap)-gap)
	height := head.height() + rows*(cellH+gap) + picMargin
	img := newPicture(width, height)
	head.draw(img)
	left := (width - (cols*(cellW+gap) - gap)) / 2
	buf := make([]float32, product(shape))
	for k, p := range wrong {
		x0 := left + (k%cols)*(cellW+gap)
		y0 := head.height() + (k/cols)*(cellH+gap)
		shown.Example(p.index, buf)
		at := image.Pt(x0+(cellW-w*scale)/2, y0)
		if c == 3 {
			rgb := colourPlane(buf, h, w)
			drawEnlarged(img, at, h, w, scale, func(y, x int) color.RGBA { return rgb[y*w+x] })
		} else {
			drawEnlarged(img, at, h, w, scale, func(y, x int) color.RGBA {
				g := uint8(math.Round(float64(min(max(buf[y*w+x], 0), 1) * 255)))
				return color.RGBA{g, g, g, 0xff}
			})
		}
		picFrameAround(img, image.Rectangle{Min: at, Max: at.Add(image.Pt(w*scale, h*scale))}, picFrame)
		ls := lines(p)
		cx, y := x0+cellW/2, y0+h*scale+lh+2
		picTextCentred(img, text, cx, y, ls[0], picInk)
		picTextCentred(img, bold, cx, y+lh, ls[1], picWrong)
		picTextCentred(img, text, cx, y+2*lh, ls[2], picMuted)
	}
	return img
}

// confusionCells draws a confusion matrix's cells, true classes down,
// predicted ones across, coloured by the logarithm of the count (so that
// a few mistakes show beside the thousands on the diagonal), each with its
// count.
type confusionCells struct {
	conf [][]int
	peak int
}

func (m confusionCells) DataRange() (xmin, xmax, ymin, ymax float64) {
	n := float64(len(m.conf))
	return -0.5, n - 0.5, -0.5, n - 0.5
}

func (m confusionCells) Plot(c vgdraw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	n := len(m.conf)
	size := vg.Length(min(11, max(5, 110/max(n, 1))))
	sty := vgdraw.TextStyle{Font: font.Font{Typeface: "Liberation", Variant: "Sans", Size: size},
		XAlign: vgdraw.XCenter, YAlign: vgdraw.YCenter, Handler: p.TextHandler}
	for t, row := range m.conf {
		for pr, count := range row {
			x0, x1 := trX(float64(pr)-0.5), trX(float64(pr)+0.5)
			y0, y1 := trY(float64(n-1-t)-0.5), trY(float64(n-1-t)+0.5)
			level := 0.0
			if m.peak > 0 {
				level = math.Log1p(float64(count)) / math.Log1p(float64(m.peak))
			}
			c.FillPolygon(blues(level), []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
			c.StrokeLines(vgdraw.LineStyle{Color: color.White, Width: vg.Points(1)},
				[]vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}, {X: x0, Y: y0}})
			sty.Color = picInk
			switch {
			case level > 0.55:
				sty.Color = color.White
			case count == 0:
				sty.Color = color.Gray{0xb8}
			}
			sty.Font.Weight = xfont.WeightNormal
			if t == pr {
				sty.Font.Weight = xfont.WeightBold
			}
			c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, strconv.Itoa(count))
		}
	}
}

// blues maps level in [0, 1] from near-white to dark blue (ColorBrewer's
// Blues).
func blues(level float64) color.Color {
	stops := []color.RGBA{
		{0xf7, 0xfb, 0xff, 0xff}, {0xde, 0xeb, 0xf7, 0xff}, {0xc6, 0xdb, 0xef, 0xff}, {0x9e, 0xca, 0xe1, 0xff},
		{0x6b, 0xae, 0xd6, 0xff}, {0x42, 0x92, 0xc6, 0xff}, {0x21, 0x71, 0xb5, 0xff}, {0x08, 0x51, 0x9c, 0xff},
		{0x08, 0x30, 0x6b, 0xff},
	}
	level = min(max(level, 0), 1) * float64(len(stops)-1)
	i := min(int(level), len(stops)-2)
	f := level - float64(i)
	mix := func(a, b uint8) uint8 { return uint8(math.Round(float64(a) + (float64(b)-float64(a))*f)) }
	a, b := stops[i], stops[i+1]
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

// confusionSize is the size of the picture of an n×n confusion matrix,
// a whole number of pixels.
func confusionSize(n int) (w, h vg.Length) {
	side := math.Round(max(6.5, 0.6*float64(n)+1.8) * curvesDPI)
	return vg.Length(side+12) * vg.Inch / curvesDPI, vg.Length(side) * vg.Inch / curvesDPI
}

// saveConfusion draws the confusion matrix as a heat map into path (.png).
func saveConfusion(path, title string, conf [][]int, names []string) error {
	n := len(conf)
	if n == 0 {
		return fmt.Errorf("no confusion matrix to draw")
	}
	p := styledPlot(title, "predicted class", "true class")
	p.Title.TextStyle.Font.Size = 13
	p.Title.Padding = vg.Points(10)
	peak := 0
	for _, row := range conf {
		for _, v := range row {
			peak = max(peak, v)
		}
	}
	p.Add(confusionCells{conf: conf, peak: peak})
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Min, p.X.Max = -0.5, float64(n)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(n)-0.5
	var xt, yt plot.ConstantTicks
	long := false
	for i := 0; i < n; i++ {
		name := labelName(names, i)
		long = long || len(name) > 3
		xt = append(xt, plot.Tick{Value: float64(i), Label: name})
		yt = append(yt, plot.Tick{Value: float64(n - 1 - i), Label: name})
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = xt, yt
	p.X.Tick.Label.Font.Size, p.Y.Tick.Label.Font.Size = 11, 11
	if long {
		p.X.Tick.Label.Rotation = math.Pi / 4
		p.X.Tick.Label.XAlign = vgdraw.XRight
		p.X.Tick.Label.YAlign = vgdraw.YTop
	}
	p.X.LineStyle.Width, p.Y.LineStyle.Width = 0, 0
	// No tick marks: the cells are labelled.
	p.X.Tick.LineStyle.Width, p.Y.Tick.LineStyle.Width = 0, 0
	w, h := confusionSize(n)
	canvas := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(curvesDPI))}
	dc := vgdraw.New(canvas)
	p.Draw(vgdraw.Crop(dc, vg.Points(8), -vg.Points(16), vg.Points(8), -vg.Points(10)))
	return train.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := canvas.WriteTo(w)
		return err
	})
}
