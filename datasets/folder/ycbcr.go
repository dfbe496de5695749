package folder

import (
	"image"

	"github.com/convnet/convnet/data/transforms"
)

// The decoders that PIL calls (libjpeg-turbo, libwebp) interpolate
// subsampled chroma ("fancy upsampling") and convert to RGB with their
// own fixed-point formulas, where Go's image/jpeg and x/image/webp leave
// the chroma planes subsampled and image/color converts with repeated
// chroma. The functions below redo those two steps as libjpeg-turbo and
// libwebp do, so that only the inverse DCT (for JPEG) separates Go's
// pixels from PIL's.

// jpegRGB converts a decoded JPEG picture to RGB as libjpeg-turbo does:
// chroma subsampled 2×1 or 2×2 is upsampled with its triangle filter (3/4
// of the nearer sample, 1/4 of the farther, edges repeated), other
// subsamplings by repetition, and YCbCr becomes RGB with libjpeg's tables.
func jpegRGB(m *image.YCbCr) *transforms.Image {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	out := transforms.NewImage(w, h, 3)
	cw, ch := chromaSize(m)
	cb, cr := make([]uint8, w), make([]uint8, w)
	for y := range h {
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio420:
			near := y / 2
			far := near - 1
			if y%2 == 1 {
				far = near + 1
			}
			far = max(0, min(far, ch-1))
			upsampleH2V2(cb, m.Cb[near*m.CStride:], m.Cb[far*m.CStride:], cw)
			upsampleH2V2(cr, m.Cr[near*m.CStride:], m.Cr[far*m.CStride:], cw)
		case image.YCbCrSubsampleRatio422:
			upsampleH2V1(cb, m.Cb[y*m.CStride:], cw)
			upsampleH2V1(cr, m.Cr[y*m.CStride:], cw)
		default:
			for x := range w {
				i := m.COffset(b.Min.X+x, b.Min.Y+y)
				cb[x], cr[x] = m.Cb[i], m.Cr[i]
			}
		}
		row := m.Y[m.YOffset(b.Min.X, b.Min.Y+y):]
		p := out.Pix[3*w*y:]
		for x := range w {
			p[3*x], p[3*x+1], p[3*x+2] = libjpegRGB(row[x], cb[x], cr[x])
		}
	}
	return out
}

// chromaSize returns the width and height of m's chroma planes for a
// picture whose bounds start at (0, 0).
func chromaSize(m *image.YCbCr) (int, int) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	case image.YCbCrSubsampleRatio411:
		return (w + 3) / 4, h
	case image.YCbCrSubsampleRatio410:
		return (w + 3) / 4, (h + 1) / 2
	}
	return w, h
}

// upsampleH2V2 writes len(dst) samples of a chroma row upsampled 2×2 as
// libjpeg-turbo's h2v2_fancy_upsample: near is the nearer chroma row, far
// the other one, n the number of chroma samples in a row.
func upsampleH2V2(dst, near, far []uint8, n int) {
	sum := func(i int) int { i = max(0, min(i, n-1)); return 3*int(near[i]) + int(far[i]) }
	for x := range dst {
		c := x / 2
		if x%2 == 0 {
			dst[x] = uint8((3*sum(c) + sum(c-1) + 8) >> 4)
		} else {
			dst[x] = uint8((3*sum(c) + sum(c+1) + 7) >> 4)
		}
	}
}

// upsampleH2V1 writes len(dst) samples of a chroma row upsampled 2×1 as
// libjpeg-turbo's h2v1_fancy_upsample.
func upsampleH2V1(dst, row []uint8, n int) {
	at := func(i int) int { return int(row[max(0, min(i, n-1))]) }
	for x := range dst {
		c := x / 2
		if x%2 == 0 {
			dst[x] = uint8((3*at(c) + at(c-1) + 1) >> 2)
		} else {
			dst[x] = uint8((3*at(c) + at(c+1) + 2) >> 2)
		}
	}
}

// libjpeg's YCbCr to RGB conversion (jdcolor.c), 16 fraction bits.
const (
	jpegScaleBits = 16
	jpegHalf      = 1 << (jpegScaleBits - 1)
)

// jpegFix is libjpeg's FIX(x): x in 16-bit fixed point, rounded.
func jpegFix(x float64) int { return int(x*(1<<jpegScaleBits) + 0.5) }

var (
	jpegCrR = jpegFix(1.40200)
	jpegCbB = jpegFix(1.77200)
	jpegCrG = jpegFix(0.71414)
	jpegCbG = jpegFix(0.34414)
)

// libjpegRGB converts one pixel as libjpeg's ycc_rgb_convert.
func libjpegRGB(y, cb, cr uint8) (r, g, b uint8) {
	yy, u, v := int(y), int(cb)-128, int(cr)-128
	r = clamp8(yy + (jpegCrR*v+jpegHalf)>>jpegScaleBits)
	g = clamp8(yy + (-jpegCbG*u+jpegHalf-jpegCrG*v)>>jpegScaleBits)
	b = clamp8(yy + (jpegCbB*u+jpegHalf)>>jpegScaleBits)
	return r, g, b
}

// clamp8 clamps v to [0, 255].
func clamp8(v int) uint8 { return uint8(max(0, min(255, v))) }

// webpRGB converts a decoded lossy WebP picture (4:2:0) to RGB as libwebp
// does: its "fancy" upsampler (a 9-3-3-1 filter between two chroma rows)
// and its 14-bit BT.601 conversion (luma from 16-235).
func webpRGB(m *image.YCbCr) *transforms.Image {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	out := transforms.NewImage(w, h, 3)
	if m.SubsampleRatio != image.YCbCrSubsampleRatio420 || b.Min != (image.Point{}) {
		return jpegRGB(m) // not what the VP8 decoder gives
	}
	// The first row takes chroma row 0 alone; rows 2k-1 and 2k lie
	// between chroma rows k-1 and k; an even height's last row takes the
	// last chroma row alone.
	webpRowPair(out, m, 0, -1, 0, 0)
	y := 0
	for ; y+2 < h; y += 2 {
		webpRowPair(out, m, y+1, y+2, y/2, y/2+1)
	}
	if h%2 == 0 && h > 1 {
		webpRowPair(out, m, h-1, -1, (h-1)/2, (h-1)/2)
	}
	return out
}

// webpRowPair converts rows top and bottom (-1 for none) of m, top lying
// nearer chroma row topUV and bottom nearer chroma row curUV, as libwebp's
// UpsampleRgbLinePair.
func webpRowPair(out *transforms.Image, m *image.YCbCr, top, bottom, topUV, curUV int) {
	w := m.Rect.Dx()
	// U and V are packed in one word, as libwebp does, so that the
	// rounding is the same.
	load := func(row, x int) uint32 {
		i := row*m.CStride + x
		return uint32(m.Cb[i]) | uint32(m.Cr[i])<<16
	}
	put := func(y, x int, uv uint32) {
		if y < 0 || x >= w {
			return
		}
		p := out.Pix[3*(y*w+x):]
		p[0], p[1], p[2] = webpYUVToRGB(m.Y[y*m.YStride+x], uint8(uv&0xff), uint8((uv>>16)&0xff))
	}
	tl, l := load(topUV, 0), load(curUV, 0)
	put(top, 0, (3*tl+l+0x00020002)>>2)
	put(bottom, 0, (3*l+tl+0x00020002)>>2)
	last := (w - 1) >> 1
	for x := 1; x <= last; x++ {
		t, uv := load(topUV, x), load(curUV, x)
		avg := tl + t + l + uv + 0x00080008
		diag12 := (avg + 2*(t+l)) >> 3
		diag03 := (avg + 2*(tl+uv)) >> 3
		put(top, 2*x-1, (diag12+tl)>>1)
		put(top, 2*x, (diag03+t)>>1)
		put(bottom, 2*x-1, (diag03+l)>>1)
		put(bottom, 2*x, (diag12+uv)>>1)
		tl, l = t, uv
	}
	if w%2 == 0 {
		put(top, w-1, (3*tl+l+0x00020002)>>2)
		put(bottom, w-1, (3*l+tl+0x00020002)>>2)
	}
}

// webpYUVToRGB is libwebp's VP8YuvToRgb: 14-bit coefficients, the sum
// kept with 6 fraction bits and clipped.
func webpYUVToRGB(y, u, v uint8) (r, g, b uint8) {
	mult := func(x uint8, c int) int { return int(x) * c >> 8 }
	clip := func(x int) uint8 {
		if x&^(256<<6-1) == 0 {
			return uint8(x >> 6)
		}
		if x < 0 {
			return 0
		}
		return 255
	}
	yy := mult(y, 19077)
	return clip(yy + mult(v, 26149) - 14234), clip(yy - mult(u, 6419) - mult(v, 13320) + 8708), clip(yy + mult(u, 33050) - 17685)
}
