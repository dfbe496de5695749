package transforms

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// precisionBits is the number of fraction bits of the fixed-point filter
// weights, as PIL's 8-bit resampling uses (32 - 8 - 2).
const precisionBits = 32 - 8 - 2

// filterWeights are the weights of a one-dimensional resampling: output
// pixel i is the sum over k < count[i] of weight[i*stride+k] times input
// pixel first[i]+k, the weights in fixed point with precisionBits bits.
type filterWeights struct {
	first, count []int
	stride       int
	weight       []int32
}

// triangle is the bilinear filter: 1-|x| on (-1, 1), zero outside.
func triangle(x float64) float64 {
	x = math.Abs(x)
	if x < 1 {
		return 1 - x
	}
	return 0
}

// bilinearWeights computes the weights that resample inSize pixels to
// outSize with PIL's antialiased bilinear filter: the triangle filter
// stretched by the scale when shrinking, so that every input pixel
// contributes, centred on each output pixel's centre.
func bilinearWeights(inSize, outSize int) filterWeights {
	scale := float64(inSize) / float64(outSize)
	filterScale := max(scale, 1)
	support := 1.0 * filterScale // the triangle's support is 1
	stride := int(math.Ceil(support))*2 + 1
	fw := filterWeights{
		first:  make([]int, outSize),
		count:  make([]int, outSize),
		stride: stride,
		weight: make([]int32, outSize*stride),
	}
	k := make([]float64, stride)
	inv := 1 / filterScale // PIL multiplies by the reciprocal
	for i := range outSize {
		center := (float64(i) + 0.5) * scale
		lo := max(int(center-support+0.5), 0)
		n := min(int(center+support+0.5), inSize) - lo
		sum := 0.0
		for j := range n {
			k[j] = triangle((float64(j+lo) - center + 0.5) * inv)
			sum += k[j]
		}
		for j := range n {
			if sum != 0 {
				k[j] /= sum
			}
			// Round half away from zero, as PIL does (all weights of the
			// triangle are non-negative).
			v := k[j] * (1 << precisionBits)
			if v < 0 {
				fw.weight[i*stride+j] = int32(v - 0.5)
			} else {
				fw.weight[i*stride+j] = int32(v + 0.5)
			}
		}
		fw.first[i], fw.count[i] = lo, n
	}
	return fw
}

// clip8 turns a fixed-point sum into a byte: its integer part clamped to
// [0, 255].
func clip8(s int32) uint8 {
	s >>= precisionBits
	if s < 0 {
		return 0
	}
	if s > 255 {
		return 255
	}
	return uint8(s)
}

// ResizeTo returns img scaled to width×height with PIL's antialiased
// bilinear resampling (Image.resize with Image.BILINEAR, which
// torchvision's F.resize(img, [height, width]) calls for PIL images): a
// horizontal pass and then a vertical one, each a triangle filter as wide
// as the scale when shrinking, with fixed-point weights; each pass rounds
// to bytes. A picture already of that size is returned as it is. It panics
// unless width and height are positive.
func ResizeTo(img *Image, width, height int) *Image {
	if width <= 0 || height <= 0 {
		panic(fmt.Sprintf("transforms: ResizeTo: size %d×%d is not positive", width, height))
	}
	if img.Width == width && img.Height == height {
		return img
	}
	if img.Width == 0 || img.Height == 0 {
		return NewImage(width, height, img.Channels)
	}
	out := img
	if width != img.Width {
		out = resampleRows(out, width, bilinearWeights(img.Width, width))
	}
	if height != img.Height {
		out = resampleColumns(out, height, bilinearWeights(img.Height, height))
	}
	return out
}

// resampleRows resamples every row of img to width pixels.
func resampleRows(img *Image, width int, fw filterWeights) *Image {
	ch := img.Channels
	out := NewImage(width, img.Height, ch)
	for y := range img.Height {
		in := img.Pix[y*img.Width*ch : (y+1)*img.Width*ch]
		o := out.Pix[y*width*ch : (y+1)*width*ch]
		for x := range width {
			w := fw.weight[x*fw.stride : x*fw.stride+fw.count[x]]
			src := in[fw.first[x]*ch:]
			for c := range ch {
				s := int32(1 << (precisionBits - 1))
				for k, wk := range w {
					s += int32(src[k*ch+c]) * wk
				}
				o[x*ch+c] = clip8(s)
			}
		}
	}
	return out
}

// resampleColumns resamples every column of img to height pixels.
func resampleColumns(img *Image, height int, fw filterWeights) *Image {
	ch := img.Channels
	line := img.Width * ch
	out := NewImage(img.Width, height, ch)
	for y := range height {
		w := fw.weight[y*fw.stride : y*fw.stride+fw.count[y]]
		src := img.Pix[fw.first[y]*line:]
		o := out.Pix[y*line : (y+1)*line]
		for i := range line {
			s := int32(1 << (precisionBits - 1))
			for k, wk := range w {
				s += int32(src[k*line+i]) * wk
			}
			o[i] = clip8(s)
		}
	}
	return out
}

// ResizedSize returns the size that torchvision's Resize(size) gives a
// width×height picture: the shorter side becomes size and the longer
// int(size*long/short), truncated.
func ResizedSize(width, height, size int) (w, h int) {
	short, long := width, height
	if width > height {
		short, long = height, width
	}
	if short <= 0 {
		return width, height
	}
	newLong := int(float64(size) * float64(long) / float64(short))
	if width <= height {
		return size, newLong
	}
	return newLong, size
}

// Resize scales a picture so that its shorter side is Size pixels, keeping
// the aspect ratio as torchvision's transforms.Resize(size) with an integer
// size does (see ResizedSize), with PIL's antialiased bilinear filter (see
// ResizeTo).
type Resize struct {
	Size int
}

// Apply returns img resized; it draws nothing from rng. It panics unless
// Size is positive.
func (r Resize) Apply(img *Image, rng *rand.Rand) *Image {
	if r.Size <= 0 {
		panic(fmt.Sprintf("transforms: Resize: size %d is not positive", r.Size))
	}
	w, h := ResizedSize(img.Width, img.Height, r.Size)
	return ResizeTo(img, w, h)
}

// String returns the transform as torchvision prints it.
func (r Resize) String() string {
	return fmt.Sprintf("Resize(size=%d, interpolation=bilinear, max_size=None, antialias=None)", r.Size)
}
