package mnist

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // register JPEG for image.Decode
	_ "image/png"  // register PNG for image.Decode
	"io"
	"math"
	"os"

	"github.com/convnet/convnet/data"
)

// Geometry of MNIST digits: the ink's bounding box is scaled so that its
// larger side is Box pixels, then placed in a Side x Side canvas with its
// centre of mass at pixel index (Side/2, Side/2) (the real data set has a
// mean centre of mass of (14.0, 14.0) in row/column index coordinates).
const (
	Side = 28
	Box  = 20
)

const (
	// minContrast is how far (on a 0..1 scale) the strongest ink must stand
	// out from the background for an image not to count as blank.
	minContrast = 0.1
	// inkThreshold is the contrast-normalised level above which a pixel counts
	// as ink when finding the bounding box.
	inkThreshold = 0.2
)

// Limits of DecodeImageFile, so that a small file cannot ask for gigabytes
// of pixels: a 1.6 MB PNG may declare 20000x20000 pixels, which decode into
// 400 MB to 3.2 GB.
const (
	// MaxImageSide bounds each side of a picture, in pixels, as its header
	// declares it: a 2048x2048 picture decodes into at most 32 MiB (16-bit
	// RGBA), and FromImage needs 16 MiB more.
	MaxImageSide = 2048
	// MaxImageFileBytes bounds the size of a picture's file: more than any
	// PNG or JPEG of MaxImageSide x MaxImageSide pixels needs.
	MaxImageFileBytes = 64 << 20
)

// DecodeImageFile decodes a PNG or JPEG file. It reads the header first
// and refuses, before decoding, a picture wider or higher than MaxImageSide
// pixels, and before reading, a file of more than MaxImageFileBytes (a
// regular file by its size; a pipe or device once that many bytes have
// come, holding at most that many in memory). Errors have the form
// "mnist: <path>: <problem>", for example "mnist: big.png: the picture is
// 20000x20000 pixels, more than the 2048x2048 that convnet reads".
func DecodeImageFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, pathError(path, data.StripPath(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, pathError(path, data.StripPath(err))
	}
	if fi.IsDir() {
		return nil, pathError(path, errors.New("is a folder, not a picture"))
	}
	var r io.ReadSeeker = f
	size := fi.Size()
	if !fi.Mode().IsRegular() {
		// A pipe or device has no size to check nor a start to go back to:
		// read it into memory, up to the limit.
		b, err := io.ReadAll(io.LimitReader(f, MaxImageFileBytes+1))
		if err != nil {
			return nil, pathError(path, data.StripPath(err))
		}
		r, size = bytes.NewReader(b), int64(len(b))
	}
	if size > MaxImageFileBytes {
		if !fi.Mode().IsRegular() {
			return nil, pathError(path, fmt.Errorf("more than the %d bytes (%d MiB) that convnet reads",
				MaxImageFileBytes, MaxImageFileBytes>>20))
		}
		return nil, pathError(path, fmt.Errorf("the file is %d bytes, more than the %d (%d MiB) that convnet reads",
			size, MaxImageFileBytes, MaxImageFileBytes>>20))
	}
	cfg, format, err := image.DecodeConfig(r)
	if err == image.ErrFormat {
		return nil, pathError(path, fmt.Errorf("not a PNG or JPEG image: %w", err))
	}
	if err != nil {
		return nil, pathError(path, fmt.Errorf("decoding %s: %w", format, err))
	}
	if cfg.Width > MaxImageSide || cfg.Height > MaxImageSide {
		return nil, pathError(path, fmt.Errorf("the picture is %dx%d pixels, more than the %dx%d that convnet reads",
			cfg.Width, cfg.Height, MaxImageSide, MaxImageSide))
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, pathError(path, data.StripPath(err))
	}
	img, format, err := image.Decode(r)
	if err != nil {
		return nil, pathError(path, fmt.Errorf("decoding %s: %w", format, err))
	}
	return img, nil
}

// FromImage turns an image of any size into a Side x Side MNIST-style digit:
// Side*Side float32 values in [0,1], row-major, white (1) ink on black (0).
//
// Steps, following how MNIST was made: convert to luminance (transparent
// pixels are composited over white); take the median of the border as the
// background and, if the ink is darker than it (dark digit on light paper),
// invert; subtract the background and stretch so the strongest ink is 1;
// crop to the bounding box of the pixels above inkThreshold; scale the box,
// keeping its aspect ratio, so its larger side is Box pixels (area averaging
// when shrinking, bilinear when enlarging); and paste it into the canvas
// shifted by whole pixels so that its centre of mass is at index
// (Side/2, Side/2), or as near as keeps the whole box inside the canvas.
//
// An image with no ink (blank, uniform, nil, empty, or contrast below
// minContrast) gives all zeros. It never panics and never returns NaN.
func FromImage(img image.Image) []float32 {
	out := make([]float32, Side*Side)
	if img == nil {
		return out
	}
	g, w, h := luminance(img)
	if w == 0 || h == 0 {
		return out
	}

	bg := borderMedian(g, w, h)
	var sum float64
	for _, v := range g {
		sum += float64(v)
	}
	if mean := sum / float64(len(g)); mean < float64(bg) || (mean == float64(bg) && bg > 0.5) {
		for i, v := range g {
			g[i] = 1 - v
		}
		bg = 1 - bg
	}
	var peak float32
	for _, v := range g {
		peak = max(peak, v)
	}
	if peak-bg < minContrast {
		return out
	}
	x0, y0, x1, y1 := w, h, -1, -1
	for y := range h {
		for x := range w {
			v := (g[y*w+x] - bg) / (peak - bg)
			v = min(max(v, 0), 1)
			g[y*w+x] = v
			if v > inkThreshold {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	if x1 < 0 {
		return out
	}

	bw, bh := x1-x0+1, y1-y0+1
	scale := float64(Box) / float64(max(bw, bh))
	nw := min(max(int(math.Round(float64(bw)*scale)), 1), Box)
	nh := min(max(int(math.Round(float64(bh)*scale)), 1), Box)
	patch := resample(g[y0*w+x0:], w, bw, bh, nw, nh)

	var m, mx, my float64
	for y := range nh {
		for x := range nw {
			v := float64(patch[y*nw+x])
			m += v
			mx += v * float64(x)
			my += v * float64(y)
		}
	}
	if !(m > 0) {
		return out
	}
	ox := min(max(int(math.Round(Side/2-mx/m)), 0), Side-nw)
	oy := min(max(int(math.Round(Side/2-my/m)), 0), Side-nh)
	for y := range nh {
		for x := range nw {
			out[(oy+y)*Side+ox+x] = min(max(patch[y*nw+x], 0), 1)
		}
	}
	return out
}

// luminance returns the Rec. 601 luma of img in [0,1], row-major, with
// partly transparent pixels composited over white.
func luminance(img image.Image) (g []float32, w, h int) {
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, 0, 0
	}
	g = make([]float32, w*h)
	switch m := img.(type) {
	case *image.Gray:
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				g[y*w+x] = float32(row[x]) / 255
			}
		}
	case *image.YCbCr: // JPEG: Y is the luma
		for y := range h {
			for x := range w {
				g[y*w+x] = float32(m.Y[m.YOffset(b.Min.X+x, b.Min.Y+y)]) / 255
			}
		}
	default:
		for y := range h {
			for x := range w {
				r, gg, bb, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA() // premultiplied
				white := float64(0xffff - a)
				l := 0.299*(float64(r)+white) + 0.587*(float64(gg)+white) + 0.114*(float64(bb)+white)
				g[y*w+x] = float32(min(l/0xffff, 1))
			}
		}
	}
	return g, w, h
}

// borderMedian returns the median (to 1/255) of a border ring about one
// MNIST pixel (1/Side of the smaller side) thick.
func borderMedian(g []float32, w, h int) float32 {
	t := max(1, min(w, h)/Side)
	var hist [256]int
	n := 0
	for y := range h {
		for x := range w {
			if x < t || y < t || x >= w-t || y >= h-t {
				hist[int(g[y*w+x]*255+0.5)]++
				n++
			}
		}
	}
	c := 0
	for i, k := range hist {
		if c += k; 2*c >= n {
			return float32(i) / 255
		}
	}
	return 1
}

// resample scales the sw x sh region of src (row stride stride) to dw x dh,
// one axis after the other.
func resample(src []float32, stride, sw, sh, dw, dh int) []float32 {
	tx, ty := taps(sw, dw), taps(sh, dh)
	tmp := make([]float32, sh*dw)
	for y := range sh {
		row := src[y*stride:]
		for x, ts := range tx {
			var s float32
			for _, t := range ts {
				s += t.w * row[t.i]
			}
			tmp[y*dw+x] = s
		}
	}
	dst := make([]float32, dh*dw)
	for y, ts := range ty {
		for x := range dw {
			var s float32
			for _, t := range ts {
				s += t.w * tmp[t.i*dw+x]
			}
			dst[y*dw+x] = s
		}
	}
	return dst
}

type tap struct {
	i int
	w float32
}

// taps gives, for each of m output samples, the weighted input samples of n:
// area averaging (box filter with fractional overlaps) when m < n, bilinear
// interpolation between pixel centres when m >= n. Weights sum to 1.
func taps(n, m int) [][]tap {
	out := make([][]tap, m)
	r := float64(n) / float64(m)
	for j := range out {
		if m < n {
			lo, hi := float64(j)*r, float64(j+1)*r
			for i := int(lo); i < n && float64(i) < hi; i++ {
				if ov := min(float64(i+1), hi) - max(float64(i), lo); ov > 0 {
					out[j] = append(out[j], tap{i, float32(ov / r)})
				}
			}
			continue
		}
		p := min(max((float64(j)+0.5)*r-0.5, 0), float64(n-1))
		i := int(p)
		f := p - float64(i)
		out[j] = append(out[j], tap{i, float32(1 - f)})
		if f > 0 && i+1 < n {
			out[j] = append(out[j], tap{i + 1, float32(f)})
		}
	}
	return out
}
