// Package viz draws what a network sees and does: a layer's feature maps
// in a grid, a fully connected layer's units as bars, a model's input, a
// confusion matrix as a heat map, the test images a model gets most
// confidently wrong, and the loss and accuracy curves of a training run.
//
// The functions take plain data (values as []float32 with their shape,
// class names, train.Evaluation, train.EpochMetrics) and return an
// *image.RGBA or write a file; they never print. Files are written
// atomically: a reader sees the old file or the new one, never a part.
//
// The pictures' texts are in Liberation Sans, the font gonum/plot embeds,
// so they look the same on every machine.
package viz

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"strconv"

	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot/font"

	"github.com/convnet/convnet/train"
)

// Colours of the raster pictures.
var (
	background = color.RGBA{0xff, 0xff, 0xff, 0xff}
	ink        = color.RGBA{0x22, 0x22, 0x22, 0xff}
	muted      = color.RGBA{0x70, 0x70, 0x70, 0xff}
	frame      = color.RGBA{0xb0, 0xb0, 0xb0, 0xff}
	positive   = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	negative   = color.RGBA{0xd6, 0x27, 0x28, 0xff}
	wrongInk   = color.RGBA{0xc0, 0x1c, 0x1c, 0xff}
)

// margin is the white border around a raster picture's content, in pixels.
const margin = 16

// A Header is the text at the top of a raster picture: its Title in bold
// and, under it, Lines in grey, each on its own line. The picture is at
// least as wide as the header's longest line.
type Header struct {
	Title string
	Lines []string
}

func (h Header) width() int {
	w := textWidth(face(16, true), h.Title)
	for _, s := range h.Lines {
		w = max(w, textWidth(face(12, false), s))
	}
	return w + 2*margin
}

// height is where the content under the header starts.
func (h Header) height() int {
	return margin + lineHeight(face(16, true)) + len(h.Lines)*(lineHeight(face(12, false))+1) + 12
}

func (h Header) draw(dst draw.Image) {
	big, small := face(16, true), face(12, false)
	y := margin + big.Metrics().Ascent.Ceil()
	text(dst, big, margin, y, h.Title, ink)
	for _, s := range h.Lines {
		y += lineHeight(small) + 1
		text(dst, small, margin, y, s, muted)
	}
}

// SavePNG encodes img as PNG into the file path, written atomically.
func SavePNG(path string, img image.Image) error {
	return train.WriteFileAtomic(path, func(w io.Writer) error {
		return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, img)
	})
}

// face returns Liberation Sans at size pixels.
func face(size float64, bold bool) xfont.Face {
	f := font.Font{Typeface: "Liberation", Variant: "Sans"}
	if bold {
		f.Weight = xfont.WeightBold
	}
	lf := font.DefaultCache.Lookup(f, font.Length(size))
	// At 72 dpi a point is a pixel; hinting keeps small digits crisp and
	// evenly spaced.
	ff, err := opentype.NewFace(lf.Face, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: xfont.HintingFull})
	if err != nil {
		panic(err) // the embedded fonts parse
	}
	return ff
}

// textWidth is the width of s in f, in pixels.
func textWidth(f xfont.Face, s string) int { return xfont.MeasureString(f, s).Ceil() }

// text draws s with its left end at x and its baseline at y.
func text(dst draw.Image, f xfont.Face, x, y int, s string, c color.Color) {
	d := xfont.Drawer{Dst: dst, Src: image.NewUniform(c), Face: f, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// textCentred draws s centred on x, its baseline at y.
func textCentred(dst draw.Image, f xfont.Face, x, y int, s string, c color.Color) {
	text(dst, f, x-textWidth(f, s)/2, y, s, c)
}

// lineHeight is the distance between baselines of f.
func lineHeight(f xfont.Face) int { return f.Metrics().Height.Ceil() }

// newPicture returns a white picture.
func newPicture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(background), image.Point{}, draw.Src)
	return img
}

// fill fills r with c.
func fill(dst draw.Image, r image.Rectangle, c color.Color) {
	draw.Draw(dst, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// frameAround draws a one-pixel frame just outside r.
func frameAround(dst draw.Image, r image.Rectangle, c color.Color) {
	r = r.Inset(-1)
	fill(dst, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+1), c)
	fill(dst, image.Rect(r.Min.X, r.Max.Y-1, r.Max.X, r.Max.Y), c)
	fill(dst, image.Rect(r.Min.X, r.Min.Y, r.Min.X+1, r.Max.Y), c)
	fill(dst, image.Rect(r.Max.X-1, r.Min.Y, r.Max.X, r.Max.Y), c)
}

// drawEnlarged draws an h×w plane with its top-left corner at at, each
// value (pixel gives its colour) a scale×scale square: nearest-neighbour
// enlargement, so that small maps stay sharp.
func drawEnlarged(dst *image.RGBA, at image.Point, h, w, scale int, pixel func(y, x int) color.RGBA) {
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fill(dst, image.Rect(at.X+x*scale, at.Y+y*scale, at.X+(x+1)*scale, at.Y+(y+1)*scale), pixel(y, x))
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

// unitByte maps a value in [0, 1] (clamped) to 0..255.
func unitByte(x float32) uint8 { return uint8(math.Round(float64(min(max(x, 0), 1) * 255))) }

// colourPlane turns three planes of values in [0, 1] into pixels.
func colourPlane(v []float32, h, w int) []color.RGBA {
	out := make([]color.RGBA, h*w)
	for i := range out {
		out[i] = color.RGBA{unitByte(v[i]), unitByte(v[h*w+i]), unitByte(v[2*h*w+i]), 0xff}
	}
	return out
}

// className names class c: its name if names has one, else its number.
func className(names []string, c int) string {
	if c >= 0 && c < len(names) {
		return names[c]
	}
	return strconv.Itoa(c)
}
