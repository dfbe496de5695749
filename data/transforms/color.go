package transforms

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// luma returns PIL's grey value of an RGB pixel, its "L" conversion:
// R·299/1000 + G·587/1000 + B·114/1000 in 16-bit fixed point, rounded.
func luma(r, g, b uint8) uint8 {
	return uint8((uint32(r)*19595 + uint32(g)*38470 + uint32(b)*7471 + 0x8000) >> 16)
}

// ToGray returns img converted to grey with the given number of channels
// (1, or 3 equal channels), as torchvision's F.rgb_to_grayscale (PIL's
// convert("L"), see luma). A grey picture asked for one channel is
// returned as it is. It panics unless channels is 1 or 3.
func ToGray(img *Image, channels int) *Image {
	if channels != 1 && channels != 3 {
		panic(fmt.Sprintf("transforms: ToGray: %d output channels (1 or 3 are allowed)", channels))
	}
	if img.Channels == channels && channels == 1 {
		return img
	}
	out := NewImage(img.Width, img.Height, channels)
	n := img.Width * img.Height
	for i := range n {
		var v uint8
		if img.Channels == 1 {
			v = img.Pix[i]
		} else {
			v = luma(img.Pix[3*i], img.Pix[3*i+1], img.Pix[3*i+2])
		}
		for c := range channels {
			out.Pix[i*channels+c] = v
		}
	}
	return out
}

// ToRGB returns img with three channels: a grey picture's value repeated
// (PIL's "L" to "RGB"); an RGB picture is returned as it is.
func ToRGB(img *Image) *Image {
	if img.Channels == 3 {
		return img
	}
	return ToGray(img, 3)
}

// Grayscale converts a picture to grey, as torchvision's
// transforms.Grayscale(num_output_channels); see ToGray. Zero Channels
// means 1, torchvision's default.
type Grayscale struct {
	Channels int
}

// Apply returns img in grey; it draws nothing from rng.
func (g Grayscale) Apply(img *Image, rng *rand.Rand) *Image {
	return ToGray(img, cmp0(g.Channels, 1))
}

// String returns the transform as torchvision prints it.
func (g Grayscale) String() string {
	return fmt.Sprintf("Grayscale(num_output_channels=%d)", cmp0(g.Channels, 1))
}

// cmp0 returns v, or def when v is zero.
func cmp0(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// RandomGrayscale converts a picture to grey with probability P, keeping
// its number of channels, as torchvision's transforms.RandomGrayscale(p)
// (whose default p is 0.1).
type RandomGrayscale struct {
	P float64
}

// Apply draws one number from rng and converts img when it is below P.
func (g RandomGrayscale) Apply(img *Image, rng *rand.Rand) *Image {
	if rng.Float64() < g.P {
		return ToGray(img, img.Channels)
	}
	return img
}

// String returns the transform as torchvision prints it.
func (g RandomGrayscale) String() string { return fmt.Sprintf("RandomGrayscale(p=%v)", g.P) }

// blend returns degenerate + factor·(img - degenerate), byte by byte, as
// PIL's Image.blend(degenerate, img, factor), which ImageEnhance uses:
// the factor is a float32, the result truncated toward zero, and clamped
// to [0, 255] when factor is outside [0, 1]. degenerate(i) gives the
// degenerate picture's byte i.
func blend(img *Image, degenerate func(i int) uint8, factor float64) *Image {
	alpha := float32(factor)
	out := NewImage(img.Width, img.Height, img.Channels)
	switch {
	case alpha == 0:
		for i := range out.Pix {
			out.Pix[i] = degenerate(i)
		}
	case alpha == 1:
		copy(out.Pix, img.Pix)
	case alpha >= 0 && alpha <= 1:
		for i, v := range img.Pix {
			d := degenerate(i)
			out.Pix[i] = uint8(float32(d) + float32(alpha*float32(int(v)-int(d))))
		}
	default:
		for i, v := range img.Pix {
			d := degenerate(i)
			t := float32(d) + float32(alpha*float32(int(v)-int(d)))
			switch {
			case t <= 0:
				out.Pix[i] = 0
			case t >= 255:
				out.Pix[i] = 255
			default:
				out.Pix[i] = uint8(t)
			}
		}
	}
	return out
}

// AdjustBrightness returns img with its brightness scaled by factor, as
// torchvision's F.adjust_brightness (PIL's ImageEnhance.Brightness: a
// blend with black). 0 gives black, 1 the picture itself. It panics if
// factor is negative.
func AdjustBrightness(img *Image, factor float64) *Image {
	if factor < 0 {
		panic(fmt.Sprintf("transforms: AdjustBrightness: negative factor %v", factor))
	}
	return blend(img, func(int) uint8 { return 0 }, factor)
}

// AdjustContrast returns img with its contrast scaled by factor, as
// torchvision's F.adjust_contrast (PIL's ImageEnhance.Contrast: a blend
// with the uniform grey of the picture's mean grey value, rounded). 0
// gives that grey, 1 the picture itself. It panics if factor is negative.
func AdjustContrast(img *Image, factor float64) *Image {
	if factor < 0 {
		panic(fmt.Sprintf("transforms: AdjustContrast: negative factor %v", factor))
	}
	var sum int64
	n := img.Width * img.Height
	for i := range n {
		if img.Channels == 1 {
			sum += int64(img.Pix[i])
		} else {
			sum += int64(luma(img.Pix[3*i], img.Pix[3*i+1], img.Pix[3*i+2]))
		}
	}
	mean := uint8(0)
	if n > 0 {
		mean = uint8(int(float64(sum)/float64(n) + 0.5))
	}
	return blend(img, func(int) uint8 { return mean }, factor)
}

// AdjustSaturation returns img with its saturation scaled by factor, as
// torchvision's F.adjust_saturation (PIL's ImageEnhance.Color: a blend
// with the picture's grey version). 0 gives grey, 1 the picture itself; a
// grey picture is unchanged. It panics if factor is negative.
func AdjustSaturation(img *Image, factor float64) *Image {
	if factor < 0 {
		panic(fmt.Sprintf("transforms: AdjustSaturation: negative factor %v", factor))
	}
	if img.Channels == 1 {
		return img
	}
	gray := ToGray(img, 1)
	return blend(img, func(i int) uint8 { return gray.Pix[i/3] }, factor)
}

// AdjustHue returns img with its hue shifted by factor of a full turn,
// factor in [-0.5, 0.5], as torchvision's F.adjust_hue for PIL images:
// the picture is converted to PIL's 8-bit HSV, int(factor·255) is added to
// the hue byte modulo 256, and the result converted back. A grey picture
// is returned as it is. It panics if factor is outside [-0.5, 0.5].
func AdjustHue(img *Image, factor float64) *Image {
	if !(factor >= -0.5 && factor <= 0.5) {
		panic(fmt.Sprintf("transforms: AdjustHue: factor %v is not in [-0.5, 0.5]", factor))
	}
	if img.Channels == 1 {
		return img
	}
	shift := uint8(int32(factor * 255)) // numpy's uint8 of a float: truncated, then wrapped
	out := NewImage(img.Width, img.Height, 3)
	for i := 0; i < len(img.Pix); i += 3 {
		h, s, v := rgbToHSV(img.Pix[i], img.Pix[i+1], img.Pix[i+2])
		out.Pix[i], out.Pix[i+1], out.Pix[i+2] = hsvToRGB(h+shift, s, v)
	}
	return out
}

// clampByte clamps v to [0, 255].
func clampByte(v int) uint8 { return uint8(max(0, min(255, v))) }

// rgbToHSV is PIL's 8-bit RGB to HSV conversion, with its mix of float32
// and float64 arithmetic.
func rgbToHSV(r, g, b uint8) (h, s, v uint8) {
	maxc, minc := max(r, g, b), min(r, g, b)
	if maxc == minc {
		return 0, 0, maxc
	}
	cr := float32(maxc - minc)
	sf := cr / float32(maxc)
	rc := float32(maxc-r) / cr
	gc := float32(maxc-g) / cr
	bc := float32(maxc-b) / cr
	var hf float32
	switch {
	case r == maxc:
		hf = bc - gc
	case g == maxc:
		hf = float32(2.0 + float64(rc) - float64(bc))
	default:
		hf = float32(4.0 + float64(gc) - float64(rc))
	}
	hf = float32(math.Mod(float64(hf)/6.0+1.0, 1.0))
	return clampByte(int(float64(hf) * 255.0)), clampByte(int(float64(sf) * 255.0)), maxc
}

// hsvToRGB is PIL's 8-bit HSV to RGB conversion.
func hsvToRGB(h, s, v uint8) (r, g, b uint8) {
	if s == 0 {
		return v, v, v
	}
	hue := float64(h) * 6.0 / 255.0
	i := int(math.Floor(hue))
	f := float32(hue - float64(i))
	fs := float32(float64(s) / 255.0)
	p := clampByte(int(math.Round(float64(v) * (1.0 - float64(fs)))))
	q := clampByte(int(math.Round(float64(v) * (1.0 - float64(fs*f)))))
	t := clampByte(int(math.Round(float64(v) * (1.0 - float64(fs)*(1.0-float64(f))))))
	switch i % 6 {
	case 0:
		return v, t, p
	case 1:
		return q, v, p
	case 2:
		return p, v, t
	case 3:
		return p, q, v
	case 4:
		return t, p, v
	default:
		return v, p, q
	}
}

// ColorJitter changes a picture's brightness, contrast, saturation and hue
// by random amounts, as torchvision's transforms.ColorJitter: the brightness,
// contrast and saturation factors are drawn uniformly from
// [max(0, 1-x), 1+x] for x = Brightness, Contrast, Saturation, the hue
// factor from [-Hue, Hue], and the four adjustments (AdjustBrightness,
// AdjustContrast, AdjustSaturation, AdjustHue) are made in a random order.
// A zero field leaves that property alone.
type ColorJitter struct {
	Brightness, Contrast, Saturation, Hue float64
}

// Apply draws the order and then the factors from rng (as get_params:
// a permutation of the four, then one number for each non-zero field in
// the order brightness, contrast, saturation, hue) and adjusts img. It
// panics if a field is negative or Hue is above 0.5.
func (j ColorJitter) Apply(img *Image, rng *rand.Rand) *Image {
	if j.Brightness < 0 || j.Contrast < 0 || j.Saturation < 0 || j.Hue < 0 || j.Hue > 0.5 {
		panic(fmt.Sprintf("transforms: %v: factors must not be negative, nor hue above 0.5", j))
	}
	order := rng.Perm(4)
	factor := func(x float64) float64 {
		lo, hi := max(0, 1-x), 1+x
		return lo + (hi-lo)*rng.Float64()
	}
	var b, c, s, h float64
	if j.Brightness > 0 {
		b = factor(j.Brightness)
	}
	if j.Contrast > 0 {
		c = factor(j.Contrast)
	}
	if j.Saturation > 0 {
		s = factor(j.Saturation)
	}
	if j.Hue > 0 {
		h = -j.Hue + 2*j.Hue*rng.Float64()
	}
	for _, k := range order {
		switch {
		case k == 0 && j.Brightness > 0:
			img = AdjustBrightness(img, b)
		case k == 1 && j.Contrast > 0:
			img = AdjustContrast(img, c)
		case k == 2 && j.Saturation > 0:
			img = AdjustSaturation(img, s)
		case k == 3 && j.Hue > 0:
			img = AdjustHue(img, h)
		}
	}
	return img
}

// String returns the transform as torchvision prints it.
func (j ColorJitter) String() string {
	rng := func(x float64) string {
		if x == 0 {
			return "None"
		}
		return fmt.Sprintf("(%v, %v)", max(0, 1-x), 1+x)
	}
	hue := "None"
	if j.Hue != 0 {
		hue = fmt.Sprintf("(%v, %v)", -j.Hue, j.Hue)
	}
	return fmt.Sprintf("ColorJitter(brightness=%s, contrast=%s, saturation=%s, hue=%s)", rng(j.Brightness), rng(j.Contrast), rng(j.Saturation), hue)
}
