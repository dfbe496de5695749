package viz

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"
)

// checkPlanes panics unless v holds c planes of h×w values.
func checkPlanes(fn string, v []float32, c, h, w int) {
	if c < 1 || h < 1 || w < 1 || len(v) < c*h*w {
		panic(fmt.Sprintf("viz.%s: %d values for %d planes of %d×%d", fn, len(v), c, h, w))
	}
}

// FeatureGrid draws head and, under it, c feature maps of h×w in a grid
// (maps holds them one after the other, each row-major, as a layer's
// output of shape [1, c, h, w] is stored). Each map is scaled to its own
// minimum (black) and maximum (white), a constant map being black,
// enlarged without smoothing to about 84 pixels a side (fewer when there
// are many), framed and labelled with its channel number under it. The
// grid is one row for up to 8 maps, else 8, 16 or 32 columns.
//
// It panics if c, h or w is below 1 or maps holds fewer than c*h*w values.
func FeatureGrid(head Header, maps []float32, c, h, w int) *image.RGBA {
	checkPlanes("FeatureGrid", maps, c, h, w)
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
	label := face(11, false)
	gap, labelH := 12, lineHeight(label)+2
	cellW, cellH := w*scale+gap, h*scale+labelH+gap
	width := max(head.width(), 2*margin+cols*cellW-gap)
	height := head.height() + rows*cellH - gap + margin
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
		frameAround(img, image.Rectangle{Min: at, Max: at.Add(image.Pt(w*scale, h*scale))}, frame)
		textCentred(img, label, at.X+w*scale/2, at.Y+h*scale+labelH, strconv.Itoa(ch), muted)
	}
	return img
}

// BarStrip draws head and, under it, one bar per value of v (a fully
// connected layer's units, say): up and blue for a positive value, down
// and red for a negative one, all to the scale of the largest magnitude
// (a NaN draws no bar). Up to 128 units share one row, more are drawn 256
// to a row. With 16 units or fewer each bar has its value beside it.
// Units are labelled under the strip by names[i] where names has an entry,
// else by their index (every unit, or every 2nd, 5th, 10th... when the
// bars are narrow); unit highlight, unless it is -1, has its label in
// bold.
func BarStrip(head Header, v []float32, names []string, highlight int) *image.RGBA {
	n := len(v)
	perRow := n
	if n > 128 {
		perRow = 256
	}
	rows := (n + perRow - 1) / perRow
	barW := min(64, max(3, 960/max(perRow, 1)))
	label, bold := face(11, false), face(11, true)
	labelH := lineHeight(label) + 4
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
	width := max(head.width(), 2*margin+stripW)
	height := head.height() + rows*rowH + margin
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
			c := positive
			if v[u] < 0 {
				bar = image.Rect(x0+pad, zero, x0+barW-pad, zero-length)
				c = negative
			}
			fill(img, bar, c)
			if showValues {
				s := strconv.FormatFloat(float64(v[u]), 'f', decimals, 64)
				if strings.Trim(s, "-0.") == "" {
					s = strings.TrimPrefix(s, "-")
				}
				if v[u] >= 0 {
					textCentred(img, label, x0+barW/2, bar.Min.Y-4, s, ink)
				} else {
					textCentred(img, label, x0+barW/2, bar.Max.Y+labelH-2, s, ink)
				}
			}
			if u%every == 0 {
				name := strconv.Itoa(u)
				if u < len(names) {
					name = names[u]
				}
				f, c := label, color.Color(muted)
				if u == highlight {
					f, c = bold, ink
				}
				textCentred(img, f, x0+barW/2, zero+half+valueH+labelH-2, name, c)
			}
		}
		fill(img, image.Rect(left-4, zero, left+units*barW+4, zero+1), muted)
	}
	return img
}

// InputPicture draws head and, under it, a model's input: x holds c
// planes of h×w values, row-major. One plane (c = 1) is drawn in grey from
// its minimum (black) to its maximum (white), so normalisation does not
// matter; three (c = 3) are red, green and blue with values in [0, 1]
// (clamped), so a normalised input must be un-normalised first. The
// picture is enlarged without smoothing to about 224 pixels a side, and
// framed.
//
// It panics if c is neither 1 nor 3, if h or w is below 1, or if x holds
// fewer than c*h*w values.
func InputPicture(head Header, x []float32, c, h, w int) *image.RGBA {
	checkPlanes("InputPicture", x, c, h, w)
	if c != 1 && c != 3 {
		panic(fmt.Sprintf("viz.InputPicture: %d channels (want 1 or 3)", c))
	}
	scale := max(1, 224/max(h, w))
	width := max(head.width(), 2*margin+w*scale)
	img := newPicture(width, head.height()+h*scale+margin)
	head.draw(img)
	at := image.Pt((width-w*scale)/2, head.height())
	if c == 3 {
		rgb := colourPlane(x, h, w)
		drawEnlarged(img, at, h, w, scale, func(y, x int) color.RGBA { return rgb[y*w+x] })
	} else {
		levels := greyLevels(x[:h*w])
		drawEnlarged(img, at, h, w, scale, func(y, x int) color.RGBA {
			g := levels[y*w+x]
			return color.RGBA{g, g, g, 0xff}
		})
	}
	frameAround(img, image.Rectangle{Min: at, Max: at.Add(image.Pt(w*scale, h*scale))}, frame)
	return img
}
