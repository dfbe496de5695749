package datasets

import (
	"encoding/json"
	"fmt"
	"image"
	"io"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/data/transforms"
	"github.com/convnet/convnet/datasets/folder"
	"github.com/convnet/convnet/models"
)

// FolderName is the name of the data set of a folder of pictures
// (torchvision's ImageFolder): DIR/<class>/<picture>.
const FolderName = "folder"

// Metadata keys that record a folder run's data in its checkpoints, so
// that predict, eval and serve rebuild its pictures' pipeline.
const (
	ClassNamesKey = "class_names" // the classes' names, a JSON list of strings
	ValSplitKey   = "val_split"   // the share held out when there was no val/ folder
	SplitSeedKey  = "split_seed"  // the seed of that split
	AugmentKey    = "augment"     // "on" or "off": which training transforms
)

// FolderOptions say how a folder of pictures becomes a model's input.
type FolderOptions struct {
	// ImageSize is the side of the square pictures the model takes.
	ImageSize int
	// Augment trains on torchvision's RandomResizedCrop and horizontal
	// flip, and evaluates on Resize(ImageSize·8/7) and a centre crop, as
	// torchvision's reference recipes do; without it, both are
	// Resize(ImageSize) and a centre crop.
	Augment bool
	// ValSplit is the share of each class held out for validation when
	// the folder has no train/ and val/ sub-folders; Seed chooses it.
	ValSplit float64
	Seed     uint64
	// SkipBad leaves out pictures that cannot be read, telling Warn of
	// each, rather than failing on the first.
	SkipBad bool
	Warn    func(path string, err error)
	// Cache, if positive, keeps decoded pictures in memory, up to Cache
	// bytes for the training pictures and as many for the validation
	// ones, so that later epochs decode only the pictures past it.
	Cache int64
}

// OpenFolder returns the data set of the pictures in dir: dir/train and
// dir/val when both exist, else dir divided by o.ValSplit (stratified, as
// folder.Split). Every picture's header is read (and its size bounded);
// the pictures themselves are decoded as the examples are made. The
// classes are the sub-folders' names, sorted as torchvision sorts them.
func OpenFolder(dir string, o FolderOptions) (Source, error) {
	if o.ImageSize < 1 {
		return Source{}, fmt.Errorf("folder: image size %d is not positive", o.ImageSize)
	}
	s := &folderSource{opts: o}
	if err := s.open(dir); err != nil {
		return Source{}, err
	}
	return s.source(s.train.Classes()), nil
}

// folderFromMetadata rebuilds the data set of a checkpoint of spec's model
// trained on a folder from its metadata: the classes' names and the
// transforms, to classify new pictures; its images are read from the
// folder given to Load (eval's --data), split as the training run split
// it.
func folderFromMetadata(spec models.Spec, meta map[string]string) (Source, error) {
	var names []string
	if err := json.Unmarshal([]byte(meta[ClassNamesKey]), &names); err != nil || len(names) == 0 {
		return Source{}, fmt.Errorf("checkpoint metadata %s=%q is not a JSON list of class names", ClassNamesKey, meta[ClassNamesKey])
	}
	in, err := models.InputFromMetadata(spec, meta)
	if err != nil {
		return Source{}, err
	}
	pad, _ := strconv.Atoi(meta[PadKey]) // FromMetadata checks it
	o := FolderOptions{ImageSize: in.Size - 2*pad, Augment: meta[AugmentKey] == "on", ValSplit: folder.DefaultValFraction}
	if v, err := strconv.ParseFloat(meta[ValSplitKey], 64); err == nil {
		o.ValSplit = v
	}
	if v, err := strconv.ParseUint(meta[SplitSeedKey], 10, 64); err == nil {
		o.Seed = v
	}
	if o.ImageSize < 1 {
		return Source{}, fmt.Errorf("checkpoint metadata input=%q pad=%q leaves no picture", meta[models.InputKey], meta[PadKey])
	}
	return (&folderSource{opts: o}).source(names), nil
}

// folderSource is an opened (or, from metadata, not yet opened) folder.
type folderSource struct {
	opts       FolderOptions
	mu         sync.Mutex
	dir        string
	train, val *folder.Folder
	// failed is the first picture that could not be read as an example
	// (without SkipBad), bad how many were.
	failed atomic.Pointer[error]
	bad    atomic.Int64
}

// exampleError is the datasets' OnError: a picture that fails to decode
// is left out (zeros) with a warning under SkipBad, or else recorded for
// Err, which stops the run.
func (s *folderSource) exampleError(f *folder.Folder) func(i int, err error) {
	return func(i int, err error) {
		s.bad.Add(1)
		if s.opts.SkipBad {
			if s.opts.Warn != nil {
				s.opts.Warn(f.Path(i), err)
			}
			return
		}
		s.failed.CompareAndSwap(nil, &err)
	}
}

// open lists dir's pictures, if dir is not the folder already open.
func (s *folderSource) open(dir string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.train != nil && s.dir == dir {
		return nil
	}
	opts := folder.Options{Check: folder.CheckHeader, SkipBad: s.opts.SkipBad, Warn: s.opts.Warn}
	train, val, err := folder.OpenTrainVal(dir, s.opts.ValSplit, s.opts.Seed, opts)
	if err != nil {
		return err
	}
	if val.Len() == 0 {
		return fmt.Errorf("folder: %s: no picture is left for validation (give a larger --val-split, or train/ and val/ folders)", dir)
	}
	s.dir, s.train, s.val = dir, train, val
	return nil
}

// source is the Source of s with the given class names.
func (s *folderSource) source(names []string) Source {
	size := s.opts.ImageSize
	return Source{
		Name:   FolderName,
		Native: models.Input{Channels: 3, Size: size, Classes: len(names)},
		Mean:   transforms.ImageNetMean, Std: transforms.ImageNetStd,
		Load: func(dir string, train bool, limit int) (data.Dataset, error) {
			if dir == "" {
				return nil, fmt.Errorf("folder: no folder of pictures given (--data DIR)")
			}
			if err := s.open(dir); err != nil {
				return nil, err
			}
			f, p := s.val, s.evalTransforms()
			if train {
				f, p = s.train, s.trainTransforms()
			}
			if limit > 0 && limit < f.Len() {
				f = f.Subset(first(limit))
			}
			ds := folder.NewDataset(f, transforms.Pipeline{Transform: p}, 3, size, s.opts.Seed)
			ds.OnError = s.exampleError(f)
			if s.opts.Cache > 0 {
				ds.Cache(s.opts.Cache)
			}
			return ds, nil
		},
		Err: func() error {
			if err := s.failed.Load(); err != nil {
				return fmt.Errorf("%w (--skip-bad leaves such pictures out)", *err)
			}
			return nil
		},
		Classes: func(string) ([]string, error) { return names, nil },
		Decode: func(r io.ReadSeeker) (image.Image, error) {
			img, err := folder.Decode(r, folder.Options{})
			if err != nil {
				return nil, err
			}
			return img.ToImage(), nil
		},
		FromImage: func(img image.Image) []float32 {
			return transforms.ToTensor(s.evalTransforms().Apply(transforms.FromImage(img), nil), nil)
		},
		metadata: func() map[string]string {
			b, _ := json.Marshal(names)
			augment := "off"
			if s.opts.Augment {
				augment = "on"
			}
			return map[string]string{ClassNamesKey: string(b), AugmentKey: augment,
				ValSplitKey: strconv.FormatFloat(s.opts.ValSplit, 'g', -1, 64), SplitSeedKey: strconv.FormatUint(s.opts.Seed, 10)}
		},
	}
}

// trainTransforms are the training pictures' transforms.
func (s *folderSource) trainTransforms() transforms.Transform {
	if s.opts.Augment {
		return transforms.Train(s.opts.ImageSize)
	}
	return s.evalTransforms()
}

// evalTransforms are the validation pictures' (and new pictures')
// transforms.
func (s *folderSource) evalTransforms() transforms.Transform {
	size := s.opts.ImageSize
	if s.opts.Augment {
		return transforms.Eval(size)
	}
	return transforms.Compose{transforms.Resize{Size: size}, transforms.CenterCrop{Width: size, Height: size}}
}

// first is 0, 1, ..., n-1.
func first(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}
