package viz

import (
	"cmp"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	vgdraw "gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/convnet/convnet/train"
)

// An Answer is a model's answer for one test image.
type Answer struct {
	Index       int     // the image's index in the test set
	Label       int     // its true class
	Predicted   int     // the class the model gave
	Probability float32 // the probability the model gave Predicted
}

// MostWrong returns up to n of ev's wrong answers, the most probable
// first (in the order of the test set among equal probabilities), and how
// many of ev's answers are wrong in all.
func MostWrong(ev train.Evaluation, n int) (wrong []Answer, total int) {
	for i, pred := range ev.Predicted {
		if pred != ev.Labels[i] {
			wrong = append(wrong, Answer{Index: i, Label: ev.Labels[i], Predicted: pred, Probability: ev.Confidence[i]})
		}
	}
	total = len(wrong)
	slices.SortStableFunc(wrong, func(a, b Answer) int { return cmp.Compare(b.Probability, a.Probability) })
	return wrong[:min(max(n, 0), len(wrong))], total
}

// Images is a set of images of one shape, such as a data.Dataset: Shape is
// the shape of one image, [channels, height, width], and Example writes
// image i into dst, whose length is the product of Shape (its result, the
// label, is not used).
type Images interface {
	Shape() []int
	Example(i int, dst []float32) int
}

// WrongGrid draws the n answers of ev that are wrong with the highest
// probability (see MostWrong): each image as people see it, under it its
// true class, the predicted one with its probability, and its index. The
// header names model and says how many answers are wrong of how many.
//
// images holds ev's test images in order, with values in [0, 1] (not
// normalised) and 1 (grey) or 3 (red, green, blue) channels; names names
// the classes (a class without a name is shown by its number). Up to 16
// images are drawn 4 to a row, more 8 to a row.
func WrongGrid(model string, ev train.Evaluation, n int, images Images, names []string) *image.RGBA {
	wrong, total := MostWrong(ev, n)
	head := Header{
		Title: "Most confidently wrong test images",
		Lines: []string{fmt.Sprintf("%s: the %d wrong answers given with the highest probability, of %d wrong on %d test images",
			model, len(wrong), total, len(ev.Predicted))},
	}
	if total == 0 {
		head.Lines = []string{fmt.Sprintf("%s: no wrong answer on %d test images", model, len(ev.Predicted))}
	}
	shape := images.Shape()
	c, h, w := shape[0], shape[1], shape[2]
	scale := max(1, 112/max(h, w))
	plain := face(12, false)
	bold := face(12, true)
	lines := func(p Answer) [3]string {
		return [3]string{
			"true: " + className(names, p.Label),
			fmt.Sprintf("pred: %s (%.3f)", className(names, p.Predicted), p.Probability),
			fmt.Sprintf("test image %d", p.Index),
		}
	}
	cellW := w * scale
	for _, p := range wrong {
		for _, s := range lines(p) {
			cellW = max(cellW, textWidth(bold, s))
		}
	}
	gap := 18
	cols := min(max(len(wrong), 1), 4)
	if len(wrong) > 16 {
		cols = 8
	}
	rows := (len(wrong) + cols - 1) / cols
	lh := lineHeight(plain)
	cellH := h*scale + 3*lh + 8
	width := max(head.width(), 2*margin+cols*(cellW+gap)-gap)
	height := head.height() + rows*(cellH+gap) + margin
	img := newPicture(width, height)
	head.draw(img)
	left := (width - (cols*(cellW+gap) - gap)) / 2
	buf := make([]float32, c*h*w)
	for k, p := range wrong {
		x0 := left + (k%cols)*(cellW+gap)
		y0 := head.height() + (k/cols)*(cellH+gap)
		images.Example(p.Index, buf)
		at := image.Pt(x0+(cellW-w*scale)/2, y0)
		if c == 3 {
			rgb := colourPlane(buf, h, w)
			drawEnlarged(img, at, h, w, scale, func(y, x int) color.RGBA { return rgb[y*w+x] })
		} else {
			drawEnlarged(img, at, h, w, scale, func(y, x int) color.RGBA {
				g := unitByte(buf[y*w+x])
				return color.RGBA{g, g, g, 0xff}
			})
		}
		frameAround(img, image.Rectangle{Min: at, Max: at.Add(image.Pt(w*scale, h*scale))}, frame)
		ls := lines(p)
		cx, y := x0+cellW/2, y0+h*scale+lh+2
		textCentred(img, plain, cx, y, ls[0], ink)
		textCentred(img, bold, cx, y+lh, ls[1], wrongInk)
		textCentred(img, plain, cx, y+2*lh, ls[2], muted)
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
			sty.Color = ink
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

// ConfusionSize returns the size in pixels of Confusion's picture of an
// n×n confusion matrix.
func ConfusionSize(n int) (width, height int) {
	side := int(math.Round(max(6.5, 0.6*float64(n)+1.8) * dpi))
	return side + 12, side
}

// errNoConfusion is Confusion's error for an empty matrix.
var errNoConfusion = errors.New("no confusion matrix to draw")

// Confusion draws a confusion matrix as a heat map and writes it to w as
// PNG, of ConfusionSize(len(conf)) pixels. conf[t][p] counts the test
// images of true class t predicted as p (as train.Evaluation.Confusion
// does): true classes run down, predicted ones across, each cell shows its
// count and is coloured by the count's logarithm, from near-white (0) to
// dark blue (the largest count), so that a few mistakes show beside the
// thousands on the diagonal. names labels the classes (a class without a
// name is shown by its number); title, which may hold a line break, is
// drawn above. It returns an error if conf is empty.
func Confusion(w io.Writer, title string, conf [][]int, names []string) error {
	canvas, err := confusion(title, conf, names)
	if err != nil {
		return err
	}
	_, err = canvas.WriteTo(w)
	return err
}

// SaveConfusion draws a confusion matrix as Confusion does into the PNG
// file path, written atomically; nothing is written if conf is empty.
func SaveConfusion(path, title string, conf [][]int, names []string) error {
	canvas, err := confusion(title, conf, names)
	if err != nil {
		return err
	}
	return train.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := canvas.WriteTo(w)
		return err
	})
}

func confusion(title string, conf [][]int, names []string) (vg.CanvasWriterTo, error) {
	n := len(conf)
	if n == 0 {
		return nil, errNoConfusion
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
		name := className(names, i)
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
	wpx, hpx := ConfusionSize(n)
	w, h := vg.Length(wpx)*vg.Inch/dpi, vg.Length(hpx)*vg.Inch/dpi
	canvas := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi))}
	dc := vgdraw.New(canvas)
	p.Draw(vgdraw.Crop(dc, vg.Points(8), -vg.Points(16), vg.Points(8), -vg.Points(10)))
	return canvas, nil
}
