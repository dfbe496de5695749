package folder

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"

	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/data/transforms"
)

// Dataset is an image folder as a data.Dataset: example i is the picture
// of f.Path(i) decoded (ReadImage), passed through a transforms.Pipeline
// and brought to the dataset's number of channels, a Channels×Size×Size
// float32 tensor, with f.Label(i) as its label.
//
// The pipeline's random choices for example i in epoch e come from
// transforms.NewRand(seed, e, i), so that they depend on nothing else: a
// run resumed at epoch e, or one that reads the examples in another order
// or from several goroutines, sees the same tensors. Call SetEpoch at the
// start of each epoch.
type Dataset struct {
	folder         *Folder
	pipeline       transforms.Pipeline
	channels, size int
	seed           uint64
	epoch          atomic.Int64

	// cache, when set (Cache), holds the decoded pictures, each the
	// first time it is read, within cacheBudget bytes.
	cache       []atomic.Pointer[transforms.Image]
	cacheBudget atomic.Int64

	// OnError, when not nil, is called when example i cannot be made
	// (its file cannot be read, or the pipeline gives a picture of another
	// size); Example then fills the example with zeros and returns its
	// label. When nil, Example panics with the error. Set it before the
	// first call of Example; it may be called from several goroutines at
	// once.
	OnError func(i int, err error)
}

// NewDataset returns the examples of f made by pipeline p into tensors of
// channels×size×size: p's pictures must be size×size (end it with a crop
// or RandomResizedCrop of that size), and a picture of another number of
// channels is converted (to grey as transforms.ToGray, or by repeating
// grey). It panics unless channels is 1 or 3 and size is positive, or if
// p's Mean does not have one value per channel.
func NewDataset(f *Folder, p transforms.Pipeline, channels, size int, seed uint64) *Dataset {
	if channels != 1 && channels != 3 {
		panic(fmt.Sprintf("folder: NewDataset: %d channels (1 or 3 are allowed)", channels))
	}
	if size <= 0 {
		panic(fmt.Sprintf("folder: NewDataset: size %d is not positive", size))
	}
	if p.Mean != nil && (len(p.Mean) != channels || len(p.Std) != channels) {
		panic(fmt.Sprintf("folder: NewDataset: %d means and %d standard deviations for %d channels", len(p.Mean), len(p.Std), channels))
	}
	return &Dataset{folder: f, pipeline: p, channels: channels, size: size, seed: seed}
}

// Cache makes the dataset keep each decoded picture (before the
// transforms, which still run per epoch) the first time it is read, so
// that later epochs decode nothing, as long as the pictures kept take at
// most budget bytes; past that, pictures are decoded each time. Call it
// before the first Example.
func (d *Dataset) Cache(budget int64) {
	d.cache = make([]atomic.Pointer[transforms.Image], d.Len())
	d.cacheBudget.Store(budget)
}

// Folder returns the folder the examples come from.
func (d *Dataset) Folder() *Folder { return d.folder }

// Classes returns the class names, as the folder's Classes.
func (d *Dataset) Classes() []string { return d.folder.Classes() }

// SetEpoch sets the epoch whose random choices Example makes. It may be
// called while other goroutines read examples.
func (d *Dataset) SetEpoch(e int) { d.epoch.Store(int64(e)) }

// Epoch returns the epoch set by SetEpoch (0 at first).
func (d *Dataset) Epoch() int { return int(d.epoch.Load()) }

// Len returns the number of examples.
func (d *Dataset) Len() int { return d.folder.Len() }

// Shape returns the shape of an example, [channels, size, size]. The
// caller owns the slice.
func (d *Dataset) Shape() []int { return []int{d.channels, d.size, d.size} }

// Label returns the label of example i without reading its file.
func (d *Dataset) Label(i int) int { return d.folder.Label(i) }

// Example writes example i into dst[:channels*size*size] and returns its
// label; see Read for the errors, and OnError for what Example does with
// them. It is safe for concurrent use.
func (d *Dataset) Example(i int, dst []float32) int {
	label, err := d.Read(i, dst)
	if err != nil {
		if d.OnError == nil {
			panic(err)
		}
		clear(dst[:d.channels*d.size*d.size])
		d.OnError(i, err)
	}
	return label
}

// Read writes example i into dst[:channels*size*size] and returns its
// label, or an error naming the file when the file cannot be decoded
// (see ReadImage) or the pipeline gives a picture of another size. It
// panics if i is out of range or dst is too short.
func (d *Dataset) Read(i int, dst []float32) (int, error) {
	n := d.channels * d.size * d.size
	if i < 0 || i >= d.Len() {
		panic(fmt.Sprintf("folder: example index %d out of range [0,%d)", i, d.Len()))
	}
	if len(dst) < n {
		panic(fmt.Sprintf("folder: destination has %d values, an example needs %d", len(dst), n))
	}
	label := d.folder.Label(i)
	img, err := d.load(i)
	if err != nil {
		return label, err
	}
	img = d.pipeline.Picture(img, transforms.NewRand(d.seed, d.Epoch(), i))
	if img.Width != d.size || img.Height != d.size {
		return label, data.PathError("folder", d.folder.Path(i),
			fmt.Errorf("the pipeline gives a %d×%d picture, the examples are %d×%d", img.Width, img.Height, d.size, d.size))
	}
	if img.Channels != d.channels {
		if d.channels == 1 {
			img = transforms.ToGray(img, 1)
		} else {
			img = transforms.ToRGB(img)
		}
	}
	d.pipeline.Tensor(img, dst[:n])
	return label, nil
}

// load decodes picture i, or takes it from the cache.
func (d *Dataset) load(i int) (*transforms.Image, error) {
	if d.cache == nil {
		return d.folder.Load(i)
	}
	if img := d.cache[i].Load(); img != nil {
		return img, nil
	}
	img, err := d.folder.Load(i)
	if err == nil && d.cacheBudget.Add(-int64(len(img.Pix))) >= 0 {
		d.cache[i].Store(img) // transforms never modify their input
	}
	return img, err
}

// DefaultValFraction is the share of each class that Split and
// OpenTrainVal hold out for validation by default.
const DefaultValFraction = 0.1

// Split divides f's examples into a training and a validation set,
// class by class: of each class's n examples, round(fraction·n) chosen at
// random go to validation and the rest to training, so that both keep
// the classes' proportions. The choice for class c comes from a PCG
// generator seeded with (seed, c), so the same seed gives the same split
// and a class's split does not depend on the others. Both lists are in
// increasing order. It panics unless fraction is in [0, 1].
func Split(f *Folder, fraction float64, seed uint64) (train, val []int) {
	if !(fraction >= 0 && fraction <= 1) {
		panic(fmt.Sprintf("folder: Split: fraction %v is not in [0, 1]", fraction))
	}
	byClass := make([][]int, len(f.classes))
	for i, l := range f.labels {
		byClass[l] = append(byClass[l], i)
	}
	for c, idx := range byClass {
		r := rand.New(rand.NewPCG(seed, uint64(c)))
		r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		k := int(math.Round(fraction * float64(len(idx))))
		val = append(val, idx[:k]...)
		train = append(train, idx[k:]...)
	}
	slices.Sort(train)
	slices.Sort(val)
	return train, val
}

// OpenTrainVal opens the training and validation sets of an image folder.
// Where dir has the sub-folders train and val (ImageNet's layout), they
// are opened as two image folders, which must have the same classes;
// otherwise dir itself is opened and divided by Split(fraction, seed).
func OpenTrainVal(dir string, fraction float64, seed uint64, opts Options) (train, val *Folder, err error) {
	trainDir, valDir := filepath.Join(dir, "train"), filepath.Join(dir, "val")
	if isFolder(trainDir) && isFolder(valDir) {
		if train, err = Open(trainDir, opts); err != nil {
			return nil, nil, err
		}
		if val, err = Open(valDir, opts); err != nil {
			return nil, nil, err
		}
		if !slices.Equal(train.classes, val.classes) {
			return nil, nil, data.PathError("folder", dir, fmt.Errorf("train and val have different classes (%s)",
				classDifference(train.classes, val.classes)))
		}
		return train, val, nil
	}
	all, err := Open(dir, opts)
	if err != nil {
		return nil, nil, err
	}
	t, v := Split(all, fraction, seed)
	return all.Subset(t), all.Subset(v), nil
}

// classDifference describes how two sorted class lists differ: the first
// class that one has and the other lacks.
func classDifference(a, b []string) string {
	for _, c := range a {
		if _, ok := slices.BinarySearch(b, c); !ok {
			return fmt.Sprintf("%q is in train only", c)
		}
	}
	for _, c := range b {
		if _, ok := slices.BinarySearch(a, c); !ok {
			return fmt.Sprintf("%q is in val only", c)
		}
	}
	return "in another order"
}

// isFolder says whether path is a folder (following links).
func isFolder(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
