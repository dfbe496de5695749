package transforms

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Crop returns the height×width part of img whose top-left pixel is row
// top, column left, as torchvision's F.crop (PIL's Image.crop): pixels
// outside img are black. It panics on a negative size.
func Crop(img *Image, top, left, height, width int) *Image {
	if width < 0 || height < 0 {
		panic(fmt.Sprintf("transforms: Crop: negative size %d×%d", width, height))
	}
	if top == 0 && left == 0 && width == img.Width && height == img.Height {
		return img
	}
	ch := img.Channels
	out := NewImage(width, height, ch)
	x0, x1 := max(0, -left), min(width, img.Width-left) // output columns with a source
	if x0 >= x1 {
		return out
	}
	for y := max(0, -top); y < min(height, img.Height-top); y++ {
		src := img.Pix[((top+y)*img.Width+left+x0)*ch : ((top+y)*img.Width+left+x1)*ch]
		copy(out.Pix[(y*width+x0)*ch:], src)
	}
	return out
}

// CenterCrop cuts the Width×Height middle out of a picture, as
// torchvision's transforms.CenterCrop: the offsets are
// int(round((H - Height) / 2.0)) and int(round((W - Width) / 2.0)), Python
// rounding halves to even. A picture smaller than the crop on a side is
// first padded with black on that side, (Width-W)//2 columns on the left
// and the rest on the right (rows likewise, the smaller half on top).
type CenterCrop struct {
	Width, Height int
}

// Apply returns the middle of img; it draws nothing from rng. It panics
// unless Width and Height are positive.
func (c CenterCrop) Apply(img *Image, rng *rand.Rand) *Image {
	if c.Width <= 0 || c.Height <= 0 {
		panic(fmt.Sprintf("transforms: CenterCrop: size %d×%d is not positive", c.Width, c.Height))
	}
	// torchvision pads to at least the crop's size, then crops the padded
	// picture; both are one Crop with offsets measured from the padding.
	w, h := img.Width, img.Height
	padLeft, padTop := 0, 0
	if c.Width > w {
		padLeft = (c.Width - w) / 2
		w = c.Width
	}
	if c.Height > h {
		padTop = (c.Height - h) / 2
		h = c.Height
	}
	top := int(math.RoundToEven(float64(h-c.Height) / 2))
	left := int(math.RoundToEven(float64(w-c.Width) / 2))
	return Crop(img, top-padTop, left-padLeft, c.Height, c.Width)
}

// String returns the transform as torchvision prints it.
func (c CenterCrop) String() string {
	return fmt.Sprintf("CenterCrop(size=(%d, %d))", c.Height, c.Width)
}

// HorizontalFlip returns img mirrored left to right, as F.hflip.
func HorizontalFlip(img *Image) *Image {
	ch := img.Channels
	out := NewImage(img.Width, img.Height, ch)
	for y := range img.Height {
		src := img.Pix[y*img.Width*ch : (y+1)*img.Width*ch]
		dst := out.Pix[y*img.Width*ch : (y+1)*img.Width*ch]
		for x := range img.Width {
			copy(dst[(img.Width-1-x)*ch:(img.Width-x)*ch], src[x*ch:(x+1)*ch])
		}
	}
	return out
}

// RandomHorizontalFlip mirrors a picture left to right with probability P,
// as torchvision's transforms.RandomHorizontalFlip(p) (whose default p is
// 0.5).
type RandomHorizontalFlip struct {
	P float64
}

// Apply draws one number from rng and flips img when it is below P.
func (f RandomHorizontalFlip) Apply(img *Image, rng *rand.Rand) *Image {
	if rng.Float64() < f.P {
		return HorizontalFlip(img)
	}
	return img
}

// String returns the transform as torchvision prints it.
func (f RandomHorizontalFlip) String() string { return fmt.Sprintf("RandomHorizontalFlip(p=%v)", f.P) }

// Rotate returns img turned angle degrees counter-clockwise about its
// centre, keeping its size, as torchvision's F.rotate(img, angle) with the
// default nearest interpolation, expand=False and fill 0 (PIL's
// Image.rotate): each output pixel takes the input pixel under its centre,
// found with PIL's 16.16 fixed-point stepping; pixels whose source lies
// outside img are black.
func Rotate(img *Image, angle float64) *Image {
	// Python's angle % 360.0: the remainder takes the divisor's sign.
	angle = math.Mod(angle, 360)
	if angle < 0 {
		angle += 360
	}
	if angle == 0 {
		return img
	}
	w, h := img.Width, img.Height
	cx, cy := float64(w)/2, float64(h)/2
	a := -angle * math.Pi / 180
	// The inverse map, output to input, rounded to 15 decimals as PIL does
	// so that right angles give exact zeros and ones.
	m := [6]float64{round15(math.Cos(a)), round15(math.Sin(a)), 0, round15(-math.Sin(a)), round15(math.Cos(a)), 0}
	m[2] = m[0]*-cx + m[1]*-cy + m[2] + cx
	m[5] = m[3]*-cx + m[4]*-cy + m[5] + cy
	// Pixel centres are at +0.5; the fixed-point walk starts at the centre
	// of pixel (0, 0).
	a0, a1, a3, a4 := fix16(m[0]), fix16(m[1]), fix16(m[3]), fix16(m[4])
	a2 := fix16(m[2] + m[0]*0.5 + m[1]*0.5)
	a5 := fix16(m[5] + m[3]*0.5 + m[4]*0.5)
	ch := img.Channels
	out := NewImage(w, h, ch)
	for y := range h {
		xx, yy := a2, a5
		for x := range w {
			xin, yin := int(xx>>16), int(yy>>16)
			if xin >= 0 && xin < w && yin >= 0 && yin < h {
				copy(out.Pix[(y*w+x)*ch:(y*w+x+1)*ch], img.Pix[(yin*w+xin)*ch:])
			}
			xx += a0
			yy += a3
		}
		a2 += a1
		a5 += a4
	}
	return out
}

// round15 rounds v to 15 decimal places, as Python's round(v, 15).
func round15(v float64) float64 {
	// Python rounds the decimal value exactly; for |v| <= 1 scaling by
	// 1e15 and rounding half to even gives the same result except on
	// exact ties, which the sines and cosines of real angles never are.
	return math.RoundToEven(v*1e15) / 1e15
}

// fix16 converts v to 16.16 fixed point, rounding to nearest as PIL's FIX.
func fix16(v float64) int64 {
	return int64(math.Floor(v*65536 + 0.5))
}

// RandomRotation turns a picture by an angle drawn uniformly from
// [-Degrees, Degrees], as torchvision's transforms.RandomRotation(degrees)
// with its defaults (nearest, expand=False, centre, fill 0); see Rotate.
type RandomRotation struct {
	Degrees float64
}

// Apply draws the angle from rng and rotates img. It panics if Degrees is
// negative.
func (r RandomRotation) Apply(img *Image, rng *rand.Rand) *Image {
	if r.Degrees < 0 {
		panic(fmt.Sprintf("transforms: RandomRotation: negative degrees %v", r.Degrees))
	}
	angle := -r.Degrees + 2*r.Degrees*rng.Float64()
	return Rotate(img, angle)
}

// String returns the transform as torchvision prints it.
func (r RandomRotation) String() string {
	return fmt.Sprintf("RandomRotation(degrees=[%v, %v], interpolation=nearest, expand=False, fill=0)", -r.Degrees, r.Degrees)
}

// RandomResizedCrop crops a random part of a picture and resizes it to
// Size×Size, as torchvision's transforms.RandomResizedCrop(size, scale,
// ratio): up to ten tries draw an area (a fraction of the picture's, from
// Scale) and a log-uniform aspect ratio (width/height, from Ratio), and
// the first crop that fits is placed uniformly at random; when none fits,
// the centre crop of the picture clamped to Ratio is taken. The crop is
// then resized with ResizeTo. A zero Scale means [0.08, 1] and a zero Ratio
// [3/4, 4/3], torchvision's defaults.
type RandomResizedCrop struct {
	Size  int
	Scale [2]float64
	Ratio [2]float64
}

// Params draws a crop of a width×height picture from rng as torchvision's
// RandomResizedCrop.get_params: the top row, left column, height and
// width.
func (r RandomResizedCrop) Params(width, height int, rng *rand.Rand) (top, left, h, w int) {
	scale, ratio := r.Scale, r.Ratio
	if scale == [2]float64{} {
		scale = [2]float64{0.08, 1}
	}
	if ratio == [2]float64{} {
		ratio = [2]float64{3.0 / 4, 4.0 / 3}
	}
	if width <= 0 || height <= 0 {
		return 0, 0, height, width
	}
	area := float64(width * height)
	logLo, logHi := math.Log(ratio[0]), math.Log(ratio[1])
	for range 10 {
		target := area * (scale[0] + (scale[1]-scale[0])*rng.Float64())
		aspect := math.Exp(logLo + (logHi-logLo)*rng.Float64())
		w = int(math.RoundToEven(math.Sqrt(target * aspect)))
		h = int(math.RoundToEven(math.Sqrt(target / aspect)))
		if 0 < w && w <= width && 0 < h && h <= height {
			top = rng.IntN(height - h + 1)
			left = rng.IntN(width - w + 1)
			return top, left, h, w
		}
	}
	inRatio := float64(width) / float64(height)
	switch {
	case inRatio < min(ratio[0], ratio[1]):
		w = width
		h = int(math.RoundToEven(float64(w) / min(ratio[0], ratio[1])))
	case inRatio > max(ratio[0], ratio[1]):
		h = height
		w = int(math.RoundToEven(float64(h) * max(ratio[0], ratio[1])))
	default:
		w, h = width, height
	}
	return (height - h) / 2, (width - w) / 2, h, w
}

// Apply draws a crop from rng (see Params) and returns it resized to
// Size×Size. It panics unless Size is positive.
func (r RandomResizedCrop) Apply(img *Image, rng *rand.Rand) *Image {
	if r.Size <= 0 {
		panic(fmt.Sprintf("transforms: RandomResizedCrop: size %d is not positive", r.Size))
	}
	top, left, h, w := r.Params(img.Width, img.Height, rng)
	return ResizeTo(Crop(img, top, left, h, w), r.Size, r.Size)
}

// String returns the transform as torchvision prints it.
func (r RandomResizedCrop) String() string {
	scale, ratio := r.Scale, r.Ratio
	if scale == [2]float64{} {
		scale = [2]float64{0.08, 1}
	}
	if ratio == [2]float64{} {
		ratio = [2]float64{3.0 / 4, 4.0 / 3}
	}
	return fmt.Sprintf("RandomResizedCrop(size=(%d, %d), scale=(%v, %v), ratio=(%.4g, %.4g), interpolation=bilinear)",
		r.Size, r.Size, scale[0], scale[1], ratio[0], ratio[1])
}
