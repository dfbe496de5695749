package viz

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/convnet/convnet/train"
)

// Colours of the curves (matplotlib's first ones, which readers know).
var (
	curveBlue   = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	curveOrange = color.RGBA{0xff, 0x7f, 0x0e, 0xff}
	curveGreen  = color.RGBA{0x2c, 0xa0, 0x2c, 0xff}
)

// curvePlots makes the two panels: the losses per epoch (on a log scale
// when both are positive, as the lesson's loss is about the mean batch
// loss over the batch size) and the training and test accuracy.
func curvePlots(title string, rows []train.EpochMetrics) (*plot.Plot, *plot.Plot, error) {
	if title != "" {
		title += ": "
	}
	xs := func(f func(train.EpochMetrics) float64) plotter.XYs {
		pts := make(plotter.XYs, len(rows))
		for i, r := range rows {
			pts[i] = plotter.XY{X: float64(r.Epoch), Y: f(r)}
		}
		return pts
	}
	loss := newCurvePlot(title+"training loss", "epoch", "loss")
	// A log scale when every loss that can be drawn is positive.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rows {
		for _, v := range []float64{r.Loss, r.MeanLoss} {
			if allFinite(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	positive := lo > 0 && allFinite(lo, hi)
	if positive {
		loss.Title.Text += " (log scale)"
		loss.Y.Scale = plot.LogScale{}
		loss.Y.Tick.Marker = logTicks{}
		// Room above the curves for the legend.
		l, h := math.Log10(lo/1.3), math.Log10(hi*1.3)
		loss.Y.Min, loss.Y.Max = lo/1.3, math.Pow(10, l+(h-l)/legendRoom)
	}
	if err := addCurve(loss, "mean_loss (mean batch loss)", xs(func(r train.EpochMetrics) float64 { return r.MeanLoss }), curveBlue); err != nil {
		return nil, nil, err
	}
	if err := addCurve(loss, "loss (lesson's: sum of batch losses / images)", xs(func(r train.EpochMetrics) float64 { return r.Loss }), curveOrange); err != nil {
		return nil, nil, err
	}
	loss.Legend.Top = true
	if !positive && allFinite(loss.Y.Min, loss.Y.Max) {
		loss.Y.Max = loss.Y.Min + (loss.Y.Max-loss.Y.Min)/legendRoom
	}

	acc := newCurvePlot(title+"accuracy", "epoch", "accuracy")
	if err := addCurve(acc, "train (accr, running over the epoch)", xs(func(r train.EpochMetrics) float64 { return r.TrainAccuracy }), curveBlue); err != nil {
		return nil, nil, err
	}
	if err := addCurve(acc, "test (test_accr)", xs(func(r train.EpochMetrics) float64 { return r.TestAccuracy }), curveGreen); err != nil {
		return nil, nil, err
	}
	// Room below the curves for the legend.
	if allFinite(acc.Y.Min, acc.Y.Max) {
		acc.Y.Max = max(acc.Y.Max, acc.Y.Min+0.01)
		acc.Y.Max += 0.04 * (acc.Y.Max - acc.Y.Min)
		acc.Y.Min = max(acc.Y.Max-(acc.Y.Max-acc.Y.Min)/legendRoom, 0)
	}
	acc.Legend.Top = false
	for _, p := range []*plot.Plot{loss, acc} {
		lo, hi := float64(rows[0].Epoch), float64(rows[len(rows)-1].Epoch)
		if lo == hi {
			lo, hi = lo-0.5, hi+0.5
		}
		// A little room so that the end points are not on the frame.
		p.X.Min, p.X.Max = lo-0.03*(hi-lo), hi+0.03*(hi-lo)
		p.X.Tick.Marker = epochTicks{}
	}
	return loss, acc, nil
}

// allFinite reports whether all of v are finite numbers.
func allFinite(v ...float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// legendRoom is the part of a panel's height the curves get, the rest
// being left to the legend.
const legendRoom = 0.78

// newCurvePlot makes a plot in a sans-serif font with a light grid.
func newCurvePlot(title, x, y string) *plot.Plot {
	p := styledPlot(title, x, y)
	p.Y.Tick.Marker = niceTicks{}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{0xdc}
	grid.Horizontal.Color = color.Gray{0xdc}
	p.Add(grid)
	return p
}

// styledPlot makes a plot with its texts in a sans-serif font.
func styledPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	sans := func(s *draw.TextStyle, size vg.Length) {
		s.Font.Variant = "Sans"
		s.Font.Size = size
	}
	sans(&p.Title.TextStyle, 14)
	p.Title.Padding = vg.Points(6)
	sans(&p.X.Label.TextStyle, 12)
	sans(&p.Y.Label.TextStyle, 12)
	sans(&p.X.Tick.Label, 10)
	sans(&p.Y.Tick.Label, 10)
	sans(&p.Legend.TextStyle, 10)
	p.Legend.Left = false
	p.Legend.XOffs = -vg.Points(8)
	p.Legend.ThumbnailWidth = vg.Points(22)
	return p
}

// addCurve adds a line, with dots at the points unless there are many,
// and its legend entry. Points that are not finite (a diverged loss) are
// left out.
func addCurve(p *plot.Plot, name string, pts plotter.XYs, c color.Color) error {
	pts = slices.DeleteFunc(slices.Clone(pts), func(pt plotter.XY) bool { return math.IsNaN(pt.Y) || math.IsInf(pt.Y, 0) })
	if len(pts) == 0 {
		return nil
	}
	line, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	line.Color = c
	line.Width = vg.Points(2)
	p.Add(line)
	if len(pts) > 40 {
		p.Legend.Add(name, line)
		return nil
	}
	dots, err := plotter.NewScatter(pts)
	if err != nil {
		return err
	}
	dots.Color = c
	dots.Radius = vg.Points(3)
	dots.Shape = draw.CircleGlyph{}
	p.Add(dots)
	p.Legend.Add(name, line, dots)
	return nil
}

// epochTicks marks whole epochs, at most about ten of them.
type epochTicks struct{}

func (epochTicks) Ticks(lo, hi float64) []plot.Tick {
	first, last := int(math.Ceil(lo)), int(math.Floor(hi))
	step := 1
	for k := 0; (last-first)/step > 10; k++ {
		step = []int{2, 5, 10}[k%3] * int(math.Pow10(k/3))
	}
	var ticks []plot.Tick
	for e := (first + step - 1) / step * step; e <= last; e += step {
		ticks = append(ticks, plot.Tick{Value: float64(e), Label: strconv.Itoa(e)})
	}
	return ticks
}

// niceTicks labels a linear axis every 1, 2 or 5 times a power of ten,
// about six times, with a minor tick between labels.
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return nil
	}
	raw := (hi - lo) / 6
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	step := pow
	for _, k := range []float64{1, 2, 5, 10} {
		if step = k * pow; step >= raw {
			break
		}
	}
	decimals := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	var ticks []plot.Tick
	for i := math.Ceil(lo/step*2 - 1e-9); i/2*step <= hi+step*1e-9; i++ {
		t := plot.Tick{Value: i / 2 * step}
		if t.Value == 0 {
			t.Value = 0 // not -0
		}
		if math.Mod(i, 2) == 0 {
			t.Label = strconv.FormatFloat(t.Value, 'f', decimals, 64)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// logTicks labels a log axis at 1, 2 and 5 times the powers of ten when it
// spans little more than a decade, else at the powers of ten; the other
// integer multiples get minor ticks.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) {
		return nil
	}
	few := math.Log10(hi/lo) < 1.5
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi; e++ {
		p := math.Pow(10, e)
		for k := 1; k < 10; k++ {
			v := p * float64(k)
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if k == 1 || few && (k == 2 || k == 5) {
				t.Label = strconv.FormatFloat(v, 'g', 3, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// dpi is the resolution of the PNG pictures drawn with gonum/plot.
const dpi = 96

// CurvesWidth and CurvesHeight are the size in pixels of the PNG picture
// of Curves: two panels side by side. An SVG picture is as large in CSS
// pixels (11 by 4.25 inches).
const (
	CurvesWidth  = 1056
	CurvesHeight = 408
)

// A Format is a picture file's format.
type Format int

// The formats Curves writes.
const (
	PNG Format = iota // Portable Network Graphics, CurvesWidth×CurvesHeight pixels
	SVG               // Scalable Vector Graphics
)

// FormatOf returns the format a file name's extension asks for, in any
// case: PNG for .png, SVG for .svg. It returns an error for any other
// extension.
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		return PNG, nil
	case ".svg":
		return SVG, nil
	}
	return 0, fmt.Errorf("%s: the picture must be a .png or .svg file", path)
}

// errNoEpochs is Curves' error for a run without epochs.
var errNoEpochs = errors.New("no epochs to plot")

// Curves draws a training run's curves per epoch and writes them to w in
// format f. The left panel holds the losses (Loss and MeanLoss; on a log
// scale when all are positive), the right one the accuracies
// (TrainAccuracy and TestAccuracy); title, unless empty, names the run in
// both panels' titles ("lenet5: accuracy"). Figures that are not finite
// (a diverged loss) are left out; the points have dots unless there are
// more than 40. It returns an error if rows is empty.
func Curves(w io.Writer, f Format, title string, rows []train.EpochMetrics) error {
	canvas, err := curves(f, title, rows)
	if err != nil {
		return err
	}
	_, err = canvas.WriteTo(w)
	return err
}

// SaveCurves draws a training run's curves as Curves does into the file
// path, written atomically, as PNG or SVG by path's extension (see
// FormatOf). Nothing is written if rows is empty or the extension is
// neither.
func SaveCurves(path, title string, rows []train.EpochMetrics) error {
	f, err := FormatOf(path)
	if err != nil {
		return err
	}
	canvas, err := curves(f, title, rows)
	if err != nil {
		return err
	}
	return train.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := canvas.WriteTo(w)
		return err
	})
}

func curves(f Format, title string, rows []train.EpochMetrics) (vg.CanvasWriterTo, error) {
	if len(rows) == 0 {
		return nil, errNoEpochs
	}
	loss, acc, err := curvePlots(title, rows)
	if err != nil {
		return nil, err
	}
	width, height := vg.Length(CurvesWidth)*vg.Inch/dpi, vg.Length(CurvesHeight)*vg.Inch/dpi
	var canvas vg.CanvasWriterTo
	switch f {
	case SVG:
		canvas = vgsvg.New(width, height)
	case PNG:
		canvas = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi))}
	default:
		return nil, fmt.Errorf("viz: unknown picture format %d", f)
	}
	dc := draw.New(canvas)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(28), PadTop: vg.Points(8), PadBottom: vg.Points(6),
		PadLeft: vg.Points(8), PadRight: vg.Points(14)}
	plots := [][]*plot.Plot{{loss, acc}}
	canvases := plot.Align(plots, tiles, dc)
	loss.Draw(canvases[0][0])
	acc.Draw(canvases[0][1])
	return canvas, nil
}
