package data

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/convnet/convnet/tensor"
)

// Images is a labelled data set of 8-bit images held in memory, the form
// in which MNIST and CIFAR-10 ship (mnist.Set and cifar10.Set are this
// type). It is a Dataset whose examples are the images scaled to [0, 1],
// as torchvision's ToTensor gives them.
//
// Invariants (held by the sets that loaders return and by Subset):
// image i is Images[i*ImageBytes():(i+1)*ImageBytes()], channels first, each
// channel's plane row-major; len(Images) == Len()*ImageBytes(); label i is
// Labels[i]; Classes, when not nil, names every label: Classes[l] is the
// name of label l.
type Images struct {
	Images               []uint8
	Labels               []uint8
	Channels, Rows, Cols int
	Classes              []string
}

// Len returns the number of examples, len(Labels).
func (s *Images) Len() int { return len(s.Labels) }

// Shape returns the shape of one example, [Channels, Rows, Cols]. The
// caller owns the returned slice.
func (s *Images) Shape() []int { return []int{s.Channels, s.Rows, s.Cols} }

// ImageBytes returns the size of one image, Channels*Rows*Cols.
func (s *Images) ImageBytes() int { return s.Channels * s.Rows * s.Cols }

// Example writes example i into dst[:ImageBytes()] as float32 values in
// [0, 1] (byte/255), in channel, row, column order, and returns its label.
// It panics if i is not in [0, Len()) or dst is shorter than an image, as
// indexing out of range does.
func (s *Images) Example(i int, dst []float32) int {
	m := s.ImageBytes()
	if i < 0 || i >= s.Len() {
		panic(fmt.Sprintf("data: example index %d out of range [0,%d)", i, s.Len()))
	}
	if len(dst) < m {
		panic(fmt.Sprintf("data: destination has %d values, an example needs %d", len(dst), m))
	}
	tensor.BytesToUnit(s.Images[i*m:(i+1)*m], dst[:m])
	return int(s.Labels[i])
}

// Label returns the label of example i; it panics if i is out of range.
func (s *Images) Label(i int) int { return int(s.Labels[i]) }

// Subset returns a set of the first n examples of s (all of them if n >=
// s.Len(), none if n <= 0). It shares memory with s; appending to its
// slices does not write into s.
func (s *Images) Subset(n int) *Images {
	n = max(0, min(n, s.Len()))
	m := s.ImageBytes()
	sub := *s
	sub.Images = s.Images[: n*m : n*m]
	sub.Labels = s.Labels[:n:n]
	return &sub
}

// PathError prefixes a problem with the package that reports it and the
// file it concerns, giving "pkg: path: problem"; errors.Is and errors.As
// see err through it. Wrap an *fs.PathError in StripPath first, as the
// prefix already names the file.
func PathError(pkg, path string, err error) error {
	return fmt.Errorf("%s: %s: %w", pkg, path, err)
}

// StripPath returns what an *fs.PathError in err's chain wraps, dropping
// the operation and path that PathError's prefix already names; other
// errors are returned unchanged.
func StripPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
