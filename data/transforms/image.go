package transforms

import (
	"fmt"
	"image"
	"image/color"
)

// Image is an 8-bit picture as PIL holds one in mode "L" (one channel,
// grey) or "RGB" (three channels: red, green, blue). The pixels are stored
// row after row with no padding, each pixel's channels together: channel c
// of the pixel in column x of row y is Pix[(y*Width+x)*Channels+c].
//
// The transforms never modify the pictures they are given; they return new
// ones (or, where nothing changes, the same one).
type Image struct {
	Pix                     []uint8
	Width, Height, Channels int
}

// NewImage returns a black picture of the given size and number of
// channels (1 or 3). It panics on a negative size or another number of
// channels.
func NewImage(width, height, channels int) *Image {
	if width < 0 || height < 0 {
		panic(fmt.Sprintf("transforms: NewImage: negative size %d×%d", width, height))
	}
	if channels != 1 && channels != 3 {
		panic(fmt.Sprintf("transforms: NewImage: %d channels (1 or 3 are allowed)", channels))
	}
	return &Image{Pix: make([]uint8, width*height*channels), Width: width, Height: height, Channels: channels}
}

// Clone returns a copy of img that shares no memory with it.
func (img *Image) Clone() *Image {
	c := *img
	c.Pix = append([]uint8(nil), img.Pix[:img.Width*img.Height*img.Channels]...)
	return &c
}

// At returns channel c of the pixel in column x of row y.
func (img *Image) At(x, y, c int) uint8 { return img.Pix[(y*img.Width+x)*img.Channels+c] }

// ToImage returns the picture as an *image.Gray (one channel) or an
// *image.NRGBA (three channels, opaque), to be encoded or drawn with Go's
// image packages.
func (img *Image) ToImage() image.Image {
	r := image.Rect(0, 0, img.Width, img.Height)
	if img.Channels == 1 {
		g := image.NewGray(r)
		copy(g.Pix, img.Pix)
		return g
	}
	m := image.NewNRGBA(r)
	for i := range img.Width * img.Height {
		copy(m.Pix[4*i:4*i+3], img.Pix[3*i:3*i+3])
		m.Pix[4*i+3] = 255
	}
	return m
}

// FromImage returns m as an RGB picture, as PIL's Image.convert("RGB")
// gives the picture that PIL reads from the same file (what torchvision's
// ImageFolder loads):
//
//   - grey is repeated in the three channels;
//   - an alpha channel is dropped, not composited over a background
//     (non-premultiplied colours are kept: a transparent pixel keeps the
//     colour the file gives it);
//   - a palette's colours are looked up;
//   - 16-bit colour (with or without alpha, and 16-bit grey with alpha) keeps
//     the high byte of each value, as PIL's "RGB;16B" and "LA;16B" readers;
//   - 16-bit grey (*image.Gray16, which PIL reads as mode "I") is clipped to
//     [0, 255], as PIL's "I" to "RGB" conversion does: every value above
//     255 becomes 255. Convert such pictures first (for instance to
//     *image.Gray, taking the high byte) where that is not wanted;
//   - CMYK is converted with PIL's formula: each of R, G, B is
//     (255-K) - C·(255-K)/255, the division rounded as PIL's MULDIV255;
//   - YCbCr (JPEG, lossy WebP) uses Go's conversion (color.YCbCrToRGB)
//     with subsampled chroma repeated, where libjpeg and libwebp, which
//     PIL calls, interpolate the chroma and round otherwise: pixels differ
//     from PIL's by a few units, more at sharp edges of colour. The
//     package datasets/folder decodes files as those libraries do.
//
// Other image types go through color.NRGBA64Model, keeping the high byte.
// The picture's origin is m.Bounds().Min.
func FromImage(m image.Image) *Image {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	out := NewImage(w, h, 3)
	p := out.Pix
	set := func(i int, r, g, bl uint8) { p[3*i], p[3*i+1], p[3*i+2] = r, g, bl }
	switch m := m.(type) {
	case *image.Gray:
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				v := row[x]
				set(y*w+x, v, v, v)
			}
		}
	case *image.Gray16:
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				v := uint8(min(int(row[2*x])<<8|int(row[2*x+1]), 255))
				set(y*w+x, v, v, v)
			}
		}
	case *image.NRGBA:
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				set(y*w+x, row[4*x], row[4*x+1], row[4*x+2])
			}
		}
	case *image.RGBA:
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				if a := row[4*x+3]; a == 255 || a == 0 {
					set(y*w+x, row[4*x], row[4*x+1], row[4*x+2])
				} else {
					c := color.NRGBAModel.Convert(color.RGBA{row[4*x], row[4*x+1], row[4*x+2], a}).(color.NRGBA)
					set(y*w+x, c.R, c.G, c.B)
				}
			}
		}
	case *image.NRGBA64:
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				set(y*w+x, row[8*x], row[8*x+2], row[8*x+4])
			}
		}
	case *image.Paletted:
		pal := make([][3]uint8, len(m.Palette))
		for i, c := range m.Palette {
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			pal[i] = [3]uint8{n.R, n.G, n.B}
		}
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				var c [3]uint8
				if int(row[x]) < len(pal) {
					c = pal[row[x]]
				}
				set(y*w+x, c[0], c[1], c[2])
			}
		}
	case *image.CMYK:
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				c, mm, ye, k := row[4*x], row[4*x+1], row[4*x+2], row[4*x+3]
				nk := 255 - int(k)
				set(y*w+x, cmykChannel(c, nk), cmykChannel(mm, nk), cmykChannel(ye, nk))
			}
		}
	case *image.YCbCr:
		for y := range h {
			for x := range w {
				yi, ci := m.YOffset(b.Min.X+x, b.Min.Y+y), m.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bl := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				set(y*w+x, r, g, bl)
			}
		}
	case *image.NYCbCrA:
		return FromImage(&m.YCbCr)
	default:
		for y := range h {
			for x := range w {
				c := color.NRGBA64Model.Convert(m.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA64)
				set(y*w+x, uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8))
			}
		}
	}
	return out
}

// cmykChannel is PIL's CMYK to RGB conversion of one ink value v, where nk
// is 255 minus the black ink: nk - v·nk/255, rounded as MULDIV255.
func cmykChannel(v uint8, nk int) uint8 {
	t := int(v)*nk + 128
	return uint8(max(0, min(255, nk-((t>>8)+t)>>8)))
}
