package data

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
)

// Normalize returns ds with each value x of channel c (the first dimension
// of Shape) replaced by (x-mean[c])/std[c], as torchvision's
// transforms.Normalize. It panics unless mean and std have one value per
// channel and every std is positive.
func Normalize(ds Dataset, mean, std []float32) Dataset {
	shape := ds.Shape()
	if len(shape) == 0 {
		panic("data: Normalize: the dataset's examples have no channel dimension")
	}
	c := shape[0]
	if len(mean) != c || len(std) != c {
		panic(fmt.Sprintf("data: Normalize: %d means and %d standard deviations for %d channels", len(mean), len(std), c))
	}
	for i, s := range std {
		if !(s > 0) {
			panic(fmt.Sprintf("data: Normalize: standard deviation %v of channel %d is not positive", s, i))
		}
	}
	return &normalized{ds: ds, mean: slices.Clone(mean), std: slices.Clone(std), plane: numValues(shape[1:])}
}

type normalized struct {
	ds        Dataset
	mean, std []float32
	plane     int // values per channel
}

func (n *normalized) Len() int     { return n.ds.Len() }
func (n *normalized) Shape() []int { return n.ds.Shape() }

func (n *normalized) Example(i int, dst []float32) int {
	label := n.ds.Example(i, dst)
	for c, m := range n.mean {
		s := n.std[c]
		p := dst[c*n.plane : (c+1)*n.plane]
		for j, v := range p {
			p[j] = (v - m) / s
		}
	}
	return label
}

// numValues is the product of shape.
func numValues(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Augment wraps a dataset of images with the random transforms of training:
// a random crop of the original size from the image padded with zeros
// (torchvision's RandomCrop(size, padding=pad)) and then a horizontal flip
// with probability 1/2 (RandomHorizontalFlip). The last two dimensions of
// Shape are the rows and columns; the crop and flip apply alike to every
// plane before them (the channels).
//
// The choices are deterministic: those for example i in epoch e come from a
// PCG generator seeded with (seed, e<<32|i), so that a run resumed at epoch
// e sees the same images as the original run, whatever order the examples
// are read in. Call SetEpoch at the start of each epoch.
//
// Augment applies to values as they come from the base dataset; to match
// torchvision's usual order (crop and flip, then normalize) wrap it:
// Normalize(NewAugment(ds, 4, true, seed), mean, std).
type Augment struct {
	ds    Dataset
	pad   int
	flip  bool
	seed  uint64
	epoch atomic.Int64
	shape []int
}

// NewAugment returns an Augment of ds that crops with zero padding pad
// (0 for no crop) and, if flip, flips at random. It panics if pad < 0 or
// the examples have fewer than two dimensions.
func NewAugment(ds Dataset, pad int, flip bool, seed uint64) *Augment {
	shape := ds.Shape()
	if len(shape) < 2 {
		panic(fmt.Sprintf("data: NewAugment: examples of shape %v are not images (rows and columns last)", shape))
	}
	if pad < 0 {
		panic(fmt.Sprintf("data: NewAugment: negative padding %d", pad))
	}
	return &Augment{ds: ds, pad: pad, flip: flip, seed: seed, shape: shape}
}

// SetEpoch sets the epoch whose random choices Example makes. It may be
// called while other goroutines read examples.
func (a *Augment) SetEpoch(e int) { a.epoch.Store(int64(e)) }

// Epoch returns the epoch set by SetEpoch (0 at first).
func (a *Augment) Epoch() int { return int(a.epoch.Load()) }

// Len returns the number of examples of the base dataset.
func (a *Augment) Len() int { return a.ds.Len() }

// Shape returns the shape of the base dataset's examples, which Augment
// keeps. The caller owns the returned slice.
func (a *Augment) Shape() []int { return slices.Clone(a.shape) }

// Example writes example i of the base dataset into dst, cropped and
// flipped as the current epoch's choices for i say, and returns its label.
// It is safe for concurrent use if the base dataset's Example is.
func (a *Augment) Example(i int, dst []float32) int {
	label := a.ds.Example(i, dst)
	if a.pad == 0 && !a.flip {
		return label
	}
	dy, dx, flip := a.choices(a.Epoch(), i)
	h, w := a.shape[len(a.shape)-2], a.shape[len(a.shape)-1]
	n := numValues(a.shape)
	for p := 0; p < n; p += h * w {
		img := dst[p : p+h*w]
		shiftPlane(img, h, w, dy, dx)
		if flip {
			for y := range h {
				slices.Reverse(img[y*w : (y+1)*w])
			}
		}
	}
	return label
}

// choices returns the random choices for example i in epoch e: the crop
// takes the output's pixel (y, x) from the input's (y+dy, x+dx), with dy and
// dx in [-pad, pad], and flip says whether to flip the result.
func (a *Augment) choices(e, i int) (dy, dx int, flip bool) {
	r := rand.New(rand.NewPCG(a.seed, uint64(e)<<32|uint64(uint32(i))))
	if a.pad > 0 {
		dy = r.IntN(2*a.pad+1) - a.pad
		dx = r.IntN(2*a.pad+1) - a.pad
	}
	if a.flip {
		flip = r.IntN(2) == 1
	}
	return dy, dx, flip
}

// shiftPlane moves the h×w image img in place so that out(y, x) = in(y+dy, x+dx),
// zero where (y+dy, x+dx) is outside the image.
func shiftPlane(img []float32, h, w, dy, dx int) {
	if dy == 0 && dx == 0 {
		return
	}
	x0, x1 := max(0, -dx), min(w, w-dx) // columns that have a source
	row := func(y int) {
		out := img[y*w : (y+1)*w]
		sy := y + dy
		if sy < 0 || sy >= h || x0 >= x1 {
			clear(out)
			return
		}
		// Rows below (dy > 0) or above (dy < 0) are read before they are
		// written; within a row copy handles the overlap.
		copy(out[x0:x1], img[sy*w+x0+dx:sy*w+x1+dx])
		clear(out[:x0])
		clear(out[x1:])
	}
	if dy > 0 {
		for y := 0; y < h; y++ {
			row(y)
		}
	} else {
		for y := h - 1; y >= 0; y-- {
			row(y)
		}
	}
}
