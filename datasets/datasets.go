// Package datasets names the data sets that models train on, and says how
// a model meets one (a Pipeline): the input the model is built for, the
// padding that brings the data set's images to it, the normalisation, the
// augmentation that keeps a class, and how a picture becomes an input.
// The data sets themselves are read by the packages below it (mnist,
// cifar10); a program may Register its own.
package datasets

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/datasets/cifar10"
	"github.com/convnet/convnet/datasets/mnist"
	"github.com/convnet/convnet/internal/registry"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
)

// Source is a labelled image data set by name.
type Source struct {
	Name string
	// Native is the images' own channels and size, and the classes.
	Native models.Input
	// Flip says whether a mirrored image keeps its class (a photo of a
	// ship does; a mirrored 3 is not a 3), so augmentation may flip it.
	Flip bool
	// Mean and Std, if set, normalise each channel: (x - Mean) / Std.
	Mean, Std []float32
	// Load reads the training or the test images from dir ("" for the
	// default place), values in [0, 1], the first limit of them when
	// limit > 0.
	Load func(dir string, train bool, limit int) (data.Dataset, error)
	// Classes names the classes, reading dir if need be; nil or a failure
	// gives "0", "1", ...
	Classes func(dir string) ([]string, error)
	// FromImage makes a picture of any size into one native example,
	// values in [0, 1], as the data set's images are.
	FromImage func(img image.Image) []float32
	// Decode, if set, decodes a picture file as the data set's own
	// pictures were decoded in training (a folder's JPEGs with libjpeg's
	// chroma upsampling, as PIL does); nil means image.Decode.
	Decode func(r io.ReadSeeker) (image.Image, error)
	// Err, if set, reports the first example that could not be made
	// (a picture that fails to decode): the example was made of zeros,
	// and a run should stop with the error unless it skips bad examples.
	Err func() error
	// metadata, if set, gives what a checkpoint must record to rebuild
	// the data set (a folder's class names and transforms).
	metadata func() map[string]string
}

// sources holds the data sets by name, in registration order.
var sources = registry.New(func(s Source) string { return s.Name })

// Register adds a data set, so that Lookup, Fit and FromMetadata know it.
func Register(s Source) error {
	if s.Name == "" || s.Load == nil {
		return fmt.Errorf("datasets: Register %q: a data set needs a name and a Load function", s.Name)
	}
	if !sources.Add(s) {
		return fmt.Errorf("datasets: Register: %q is already registered", s.Name)
	}
	return nil
}

// Names lists the registered data sets, in registration order.
func Names() []string { return sources.Names() }

// ErrUnknown is wrapped by the errors of Lookup for a name not registered.
var ErrUnknown = errors.New("unknown data set")

// Lookup returns the named data set.
func Lookup(name string) (Source, error) {
	s, ok := sources.Lookup(name)
	if !ok {
		return Source{}, fmt.Errorf("%w %q (known: %s)", ErrUnknown, name, strings.Join(Names(), ", "))
	}
	return s, nil
}

// Pipeline says how a model meets its data: which data set, the input the
// model is built for, and the zero padding that brings the data set's
// images to that size (MNIST's 28 to VGG's 32).
type Pipeline struct {
	Source Source
	Input  models.Input
	Pad    int
}

// FitError says that a model cannot take a data set's images.
type FitError struct {
	Model, Dataset string
	Err            error
}

func (e *FitError) Error() string {
	return fmt.Sprintf("%s cannot train on %s: %v", e.Model, e.Dataset, e.Err)
}

func (e *FitError) Unwrap() error { return e.Err }

// Fit fits the model of spec to the named data set: the model takes the
// images as they are if it can, or padded to the next multiple of 32
// (see models.Spec.Fit).
func Fit(spec models.Spec, dataset string) (Pipeline, error) {
	src, err := Lookup(dataset)
	if err != nil {
		return Pipeline{}, err
	}
	return FitSource(spec, src)
}

// FitSource is Fit for a data set that is not registered by name, such as
// a folder of pictures (OpenFolder).
func FitSource(spec models.Spec, src Source) (Pipeline, error) {
	in, pad, err := spec.Fit(src.Native)
	if err != nil {
		return Pipeline{}, &FitError{spec.Name, src.Name, err}
	}
	return Pipeline{Source: src, Input: in, Pad: pad}, nil
}

// Metadata keys that record the pipeline in a checkpoint, beside
// models.InputKey and models.ClassesKey.
const (
	DatasetKey = "dataset"
	PadKey     = "pad"
)

// FromMetadata rebuilds the pipeline that a checkpoint of spec's model was
// trained with; checkpoints that record none are the lesson's MNIST ones.
func FromMetadata(spec models.Spec, meta map[string]string) (Pipeline, error) {
	dataset := meta[DatasetKey]
	if dataset == "" {
		dataset = "mnist"
	}
	var native Pipeline
	var err error
	if dataset == FolderName {
		src, ferr := folderFromMetadata(spec, meta)
		if ferr != nil {
			return Pipeline{}, ferr
		}
		native, err = FitSource(spec, src)
	} else {
		native, err = Fit(spec, dataset)
	}
	if err != nil {
		return Pipeline{}, err
	}
	p := native
	if meta[models.InputKey] == "" {
		// Only the classes may differ from the data set's.
		meta = map[string]string{models.InputKey: fmt.Sprintf("%dx%dx%d", p.Input.Channels, p.Input.Size, p.Input.Size), models.ClassesKey: meta[models.ClassesKey]}
		if meta[PadKey] == "" {
			meta[PadKey] = strconv.Itoa(native.Pad)
		}
	}
	if p.Input, err = models.InputFromMetadata(spec, meta); err != nil {
		return Pipeline{}, err
	}
	p.Pad = 0
	if s := meta[PadKey]; s != "" {
		if p.Pad, err = strconv.Atoi(s); err != nil {
			return Pipeline{}, fmt.Errorf("checkpoint metadata pad=%q is not a number", s)
		}
	}
	if p.Pad < 0 || p.Source.Native.Size+2*p.Pad != p.Input.Size || p.Input.Channels != p.Source.Native.Channels {
		return Pipeline{}, fmt.Errorf("checkpoint metadata input=%s pad=%d does not fit %s's images", meta[models.InputKey], p.Pad, dataset)
	}
	return p, nil
}

// ForCheckpoint returns the pipeline that a model loaded from a checkpoint
// (models.LoadCheckpoint) was trained with, from the checkpoint's
// metadata; it is an error when no known data set gives the input the
// model was built for (a torchvision checkpoint of 3×224×224 images, say).
func ForCheckpoint(ck *models.Checkpoint) (Pipeline, error) {
	p, err := FromMetadata(ck.Spec, ck.Metadata)
	if err == nil && p.Input != ck.Input {
		err = fmt.Errorf("its model takes %v, which no known data set gives (convnet inspect --input runs it on a tensor of yours)", ck.Input)
	}
	return p, err
}

// Dataset is the data set's name.
func (p Pipeline) Dataset() string { return p.Source.Name }

// Metadata records the pipeline in a checkpoint of the named model.
func (p Pipeline) Metadata(model string) map[string]string {
	meta := p.Input.Metadata(model)
	meta[DatasetKey] = p.Source.Name
	meta[PadKey] = strconv.Itoa(p.Pad)
	if p.Source.metadata != nil {
		maps.Copy(meta, p.Source.metadata())
	}
	return meta
}

// Build makes spec's model for the pipeline's input.
func (p Pipeline) Build(spec models.Spec) (nn.Module, error) { return spec.Build(p.Input) }

// Images reads the training or test images as people see them: neither
// padded nor normalised, values in [0, 1]; the first limit when limit > 0.
func (p Pipeline) Images(dir string, train bool, limit int) (data.Dataset, error) {
	return p.Source.Load(dir, train, limit)
}

// Epocher is a data set whose examples change with the epoch (random
// augmentation): SetEpoch must be called at the start of each.
type Epocher interface{ SetEpoch(epoch int) }

// TrainSet reads the training images prepared for the model (padded,
// normalised), the first limit when limit > 0. With augment, they are
// randomly cropped (padding 4) and, where the data set allows it,
// flipped. A data set whose examples change with the epoch (augmented, or
// a folder's, whose transforms draw per epoch) is returned as an Epocher
// too, which then needs SetEpoch every epoch; else that is nil.
func (p Pipeline) TrainSet(dir string, limit int, augment bool, seed uint64) (data.Dataset, Epocher, error) {
	ds, err := p.Images(dir, true, limit)
	if err != nil {
		return nil, nil, err
	}
	var epocher Epocher
	if e, ok := ds.(Epocher); ok {
		epocher = e
	}
	ds = data.Pad(ds, p.Pad)
	if augment {
		aug := data.NewAugment(ds, 4, p.Source.Flip, seed)
		ds, epocher = aug, aug
	}
	return p.normalize(ds), epocher, nil
}

// TestSet reads the test images prepared for the model (padded,
// normalised), the first limit when limit > 0.
func (p Pipeline) TestSet(dir string, limit int) (data.Dataset, error) {
	ds, err := p.Images(dir, false, limit)
	if err != nil {
		return nil, err
	}
	return p.normalize(data.Pad(ds, p.Pad)), nil
}

func (p Pipeline) normalize(ds data.Dataset) data.Dataset {
	if p.Source.Mean == nil {
		return ds
	}
	return data.Normalize(ds, p.Source.Mean, p.Source.Std)
}

// Unnormalize returns a copy of a model input x with the data set's
// normalisation undone, values as people see them (in [0, 1]).
func (p Pipeline) Unnormalize(x []float32) []float32 {
	out := slices.Clone(x)
	if p.Source.Mean == nil {
		return out
	}
	plane := len(out) / len(p.Source.Mean)
	for c, m := range p.Source.Mean {
		v := out[c*plane : (c+1)*plane]
		for i := range v {
			v[i] = v[i]*p.Source.Std[c] + m
		}
	}
	return out
}

// Prepare makes one native example (values in [0, 1], the data set's
// shape) into the model's input: padded and normalised as in training.
func (p Pipeline) Prepare(x []float32) []float32 {
	out := make([]float32, p.Input.Channels*p.Input.Size*p.Input.Size)
	ds := p.normalize(data.Pad(single{x, p.Source.Native.Shape()}, p.Pad))
	ds.Example(0, out)
	return out
}

// Blank reports whether an example holds nothing to see: all its values
// are equal, as a picture with no ink gives (mnist.FromImage makes it all
// zeros). A model answers it all the same, with a class that means nothing.
func Blank(x []float32) bool {
	for _, v := range x {
		if v != x[0] {
			return false
		}
	}
	return true
}

// ImageInput turns a picture of any size into the model's input as the
// data set's images are (for MNIST: grey, centred by mass, white on
// black), padded and normalised as in training.
func (p Pipeline) ImageInput(img image.Image) []float32 {
	return p.Prepare(p.Source.FromImage(img))
}

// ClassNames names the model's classes: the data set's names where it has
// them (read from dir), else "0", "1", ...
func (p Pipeline) ClassNames(dir string) []string {
	if p.Source.Classes != nil {
		if names, err := p.Source.Classes(dir); err == nil && len(names) == p.Input.Classes {
			return names
		}
	}
	names := make([]string, p.Input.Classes)
	for i := range names {
		names[i] = strconv.Itoa(i)
	}
	return names
}

// Metadata keys of Preprocessing.
const (
	MeanKey       = "mean"       // each channel's mean, a JSON list (absent: none subtracted)
	StdKey        = "std"        // each channel's standard deviation, a JSON list
	PreprocessKey = "preprocess" // the steps, in words
)

// Preprocessing says what a model's input must be, for a model that runs
// elsewhere (an ONNX model's metadata_props): the class names (a JSON
// list, read from dir where the data set names them), the padding, each
// channel's mean and standard deviation, and the steps in words.
func (p Pipeline) Preprocessing(dir string) map[string]string {
	names, _ := json.Marshal(p.ClassNames(dir))
	meta := map[string]string{
		ClassNamesKey: string(names),
		PadKey:        strconv.Itoa(p.Pad),
		PreprocessKey: fmt.Sprintf("%s images as %d channels of %dx%d with values in [0, 1] (RGB order), zero-padded by %d on each side",
			p.Source.Name, p.Source.Native.Channels, p.Source.Native.Size, p.Source.Native.Size, p.Pad),
	}
	if p.Source.Mean != nil {
		mean, _ := json.Marshal(p.Source.Mean)
		std, _ := json.Marshal(p.Source.Std)
		meta[MeanKey], meta[StdKey] = string(mean), string(std)
		meta[PreprocessKey] += ", then each channel c as (x - mean[c]) / std[c]"
	}
	return meta
}

// single is a one-example dataset.
type single struct {
	x     []float32
	shape []int
}

func (s single) Len() int                         { return 1 }
func (s single) Shape() []int                     { return s.shape }
func (s single) Example(_ int, dst []float32) int { copy(dst, s.x); return 0 }

func init() {
	mustRegister(Source{
		Name:      "mnist",
		Native:    models.Input{Channels: 1, Size: mnist.Side, Classes: 10},
		Load:      loadMNIST,
		FromImage: mnist.FromImage,
	})
	mustRegister(Source{
		Name:   "cifar10",
		Native: models.Input{Channels: cifar10.Channels, Size: cifar10.Rows, Classes: 10},
		Flip:   true,
		Mean:   cifar10.Mean[:], Std: cifar10.Std[:],
		Load: func(dir string, train bool, limit int) (data.Dataset, error) {
			read := cifar10.Test
			if train {
				read = cifar10.Train
			}
			s, err := read(dir)
			if err != nil {
				return nil, err
			}
			if limit > 0 {
				s = cifar10.Subset(s, limit)
			}
			return s, nil
		},
		Classes: func(dir string) ([]string, error) {
			s, err := cifar10.Test(dir)
			if err != nil {
				return nil, err
			}
			return s.Classes, nil
		},
		FromImage: cifarFromImage,
	})
}

func mustRegister(s Source) {
	if err := Register(s); err != nil {
		panic(err)
	}
}

// mnistCache keeps the MNIST sets read, per folder, for the life of the
// process: a program that trains, tests and inspects reads the files once.
var mnistCache = struct {
	sync.Mutex
	sets map[string]*mnist.Set
}{sets: map[string]*mnist.Set{}}

func loadMNIST(dir string, train bool, limit int) (data.Dataset, error) {
	s, err := MNIST(dir, train)
	if err != nil {
		return nil, err
	}
	if limit > 0 {
		s = mnist.Subset(s, limit)
	}
	return s, nil
}

// MNIST reads MNIST's training or test set from dir ("" for the copy in
// the GoMNIST module) once per process and folder: later calls return the
// same set, which callers must not change.
func MNIST(dir string, train bool) (*mnist.Set, error) {
	key := strconv.FormatBool(train) + "\x00" + dir
	mnistCache.Lock()
	s, ok := mnistCache.sets[key]
	if !ok {
		read := mnist.Test
		if train {
			read = mnist.Train
		}
		var err error
		if s, err = read(dir); err != nil {
			mnistCache.Unlock()
			return nil, err
		}
		mnistCache.sets[key] = s
	}
	mnistCache.Unlock()
	return s, nil
}

// cifarFromImage resizes a picture to 32x32 by averaging the source pixels
// that fall in each output pixel.
func cifarFromImage(img image.Image) []float32 {
	const side = cifar10.Rows
	out := make([]float32, 3*side*side)
	b := img.Bounds()
	if b.Empty() {
		return out
	}
	for y := 0; y < side; y++ {
		for x := 0; x < side; x++ {
			x0, x1 := b.Min.X+x*b.Dx()/side, b.Min.X+max((x+1)*b.Dx()/side, x*b.Dx()/side+1)
			y0, y1 := b.Min.Y+y*b.Dy()/side, b.Min.Y+max((y+1)*b.Dy()/side, y*b.Dy()/side+1)
			var sum [3]float64
			for sy := y0; sy < y1; sy++ {
				for sx := x0; sx < x1; sx++ {
					r, g, bl, _ := img.At(sx, sy).RGBA()
					sum[0], sum[1], sum[2] = sum[0]+float64(r), sum[1]+float64(g), sum[2]+float64(bl)
				}
			}
			n := float64((y1-y0)*(x1-x0)) * 0xffff
			for c := range 3 {
				out[(c*side+y)*side+x] = float32(sum[c] / n)
			}
		}
	}
	return out
}
