// Package folder reads a labelled image data set laid out as torchvision's
// ImageFolder expects it, one sub-folder per class:
//
//	DIR/cat/001.jpg
//	DIR/cat/002.png
//	DIR/dog/a.jpg
//	...
//
// Open lists the classes and files as torchvision 0.14 does; NewDataset
// makes a data.Dataset of them that decodes each picture and passes it
// through a transforms.Pipeline. Importing the package registers the
// decoders of JPEG, PNG, GIF, BMP, TIFF and WebP with package image.
package folder

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	_ "image/gif"  // register GIF
	_ "image/jpeg" // register JPEG
	_ "image/png"  // register PNG

	_ "golang.org/x/image/bmp"  // register BMP
	_ "golang.org/x/image/tiff" // register TIFF
	_ "golang.org/x/image/webp" // register WebP

	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/data/transforms"
)

// DefaultExtensions are the file name endings Open takes for pictures
// when Options.Extensions is nil, compared without regard to case:
// torchvision's IMG_EXTENSIONS that Go can decode (.ppm and .pgm are left
// out) and .gif.
var DefaultExtensions = []string{".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp"}

// The default bounds of a picture's size, as its file's header states it.
const (
	DefaultMaxSide   = 16384   // pixels on a side
	DefaultMaxPixels = 1 << 26 // 64 Mpx in all
)

// ErrTooLarge is wrapped by the errors for a picture whose header states
// a size beyond Options.MaxSide or Options.MaxPixels.
var ErrTooLarge = errors.New("picture too large")

// Check says how much of each file Open reads.
type Check int

const (
	// CheckNone reads no file: Open lists names only, as torchvision does.
	// A file that cannot be decoded fails when its example is read.
	CheckNone Check = iota
	// CheckHeader reads each file's header (image.DecodeConfig): its
	// format, and its size against the bounds.
	CheckHeader
	// CheckDecode decodes each file in full.
	CheckDecode
)

// Options are Open's and ReadImage's settings. The zero value lists files
// as torchvision does, reading none of them.
type Options struct {
	// Extensions are the file name endings of pictures, compared without
	// regard to case; nil means DefaultExtensions.
	Extensions []string
	// MaxSide and MaxPixels bound a picture's width and height, and their
	// product, as the file's header states them, before it is decoded;
	// zero means DefaultMaxSide and DefaultMaxPixels.
	MaxSide, MaxPixels int
	// Check says how much of each file Open reads (CheckNone: none).
	Check Check
	// SkipBad makes Open leave out the files that fail Check, calling Warn
	// for each and counting them (Folder.Skipped), where it would
	// otherwise fail with the first.
	SkipBad bool
	// Warn, when not nil, is told of each file SkipBad leaves out, in the
	// order of the listing, from the goroutine that called Open.
	Warn func(path string, err error)
	// Gray16HighByte makes 16-bit grey pictures keep the high byte of each
	// value. By default they are clipped to [0, 255] as PIL's
	// convert("RGB") does with them (PIL reads them as mode "I"), which
	// makes most such pictures white; see transforms.FromImage.
	Gray16HighByte bool
}

// maxSide and maxPixels return the bounds, defaults filled in.
func (o *Options) maxSide() int   { return cmp0(o.MaxSide, DefaultMaxSide) }
func (o *Options) maxPixels() int { return cmp0(o.MaxPixels, DefaultMaxPixels) }

func cmp0(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// Folder is the listing of an image folder: its classes and its files,
// each with its class's index. It is safe for concurrent use.
type Folder struct {
	root    string
	classes []string
	paths   []string
	labels  []int
	skipped int
	opts    Options
}

// Open lists the image folder dir as torchvision's ImageFolder(dir) does.
// The classes are dir's sub-folders, sorted by name as Python sorts
// strings (by code point), class i named classes[i]; the examples are the
// files in each class's folder and the folders below it (symbolic links
// followed), class by class, each folder's files sorted by name and the
// folders sorted by path, that end in one of opts.Extensions (whatever the
// case). Unlike torchvision, Open leaves out names that start with a dot
// (.ipynb_checkpoints, ._x.jpg): a hidden folder is no class and a hidden
// file no example.
//
// Open fails when dir has no class folder, or a class has no picture
// file. With opts.Check it reads the files too (in parallel) and fails on
// the first that does not pass, naming it, unless opts.SkipBad says to
// leave such files out.
func Open(dir string, opts Options) (*Folder, error) {
	if opts.Extensions == nil {
		opts.Extensions = DefaultExtensions
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, data.PathError("folder", dir, data.StripPath(err))
	}
	f := &Folder{root: dir, opts: opts}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if isDir(filepath.Join(dir, e.Name()), e) {
			f.classes = append(f.classes, e.Name())
		}
	}
	if len(f.classes) == 0 {
		return nil, data.PathError("folder", dir, errors.New("no class folders"))
	}
	slices.Sort(f.classes) // byte order of UTF-8 is code point order
	var empty []string
	for label, class := range f.classes {
		paths, err := listClass(filepath.Join(dir, class), opts.Extensions)
		if err != nil {
			return nil, err
		}
		if len(paths) == 0 {
			empty = append(empty, class)
		}
		for _, p := range paths {
			f.paths = append(f.paths, p)
			f.labels = append(f.labels, label)
		}
	}
	if len(empty) > 0 {
		return nil, data.PathError("folder", dir, fmt.Errorf("no picture files (%s) for the classes %s",
			strings.Join(opts.Extensions, " "), strings.Join(empty, ", ")))
	}
	if opts.Check != CheckNone {
		if err := f.check(); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// isDir says whether the entry at path is a folder, following a symbolic
// link.
func isDir(path string, e os.DirEntry) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&os.ModeSymlink == 0 {
		return false
	}
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// listClass returns the picture files under a class's folder in
// torchvision's order: sorted(os.walk(dir, followlinks=True)), each
// folder's files sorted.
func listClass(dir string, exts []string) ([]string, error) {
	type folder struct {
		path  string
		files []string
	}
	var folders []folder
	var walk func(path string, ancestors []os.FileInfo) error
	walk = func(path string, ancestors []os.FileInfo) error {
		st, err := os.Stat(path)
		if err != nil {
			return data.PathError("folder", path, data.StripPath(err))
		}
		for _, a := range ancestors {
			if os.SameFile(a, st) {
				return nil // a link back up the tree
			}
		}
		entries, err := os.ReadDir(path)
		if err != nil {
			return data.PathError("folder", path, data.StripPath(err))
		}
		fo := folder{path: path}
		var subs []string
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				continue
			}
			p := filepath.Join(path, name)
			if isDir(p, e) {
				subs = append(subs, p)
			} else if hasExtension(name, exts) {
				fo.files = append(fo.files, p)
			}
		}
		slices.Sort(fo.files)
		folders = append(folders, fo)
		for _, s := range subs {
			if err := walk(s, append(ancestors, st)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(dir, nil); err != nil {
		return nil, err
	}
	slices.SortFunc(folders, func(a, b folder) int { return strings.Compare(a.path, b.path) })
	var paths []string
	for _, fo := range folders {
		paths = append(paths, fo.files...)
	}
	return paths, nil
}

// hasExtension says whether name ends in one of exts, whatever the case.
func hasExtension(name string, exts []string) bool {
	lower := strings.ToLower(name)
	for _, e := range exts {
		if strings.HasSuffix(lower, strings.ToLower(e)) {
			return true
		}
	}
	return false
}

// check reads every file as f.opts.Check says, in parallel, and leaves
// out or reports those that fail.
func (f *Folder) check() error {
	errs := make([]error, len(f.paths))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if f.opts.Check == CheckHeader {
					_, errs[i] = ReadConfig(f.paths[i], f.opts)
				} else {
					_, errs[i] = ReadImage(f.paths[i], f.opts)
				}
			}
		}()
	}
	for i := range f.paths {
		next <- i
	}
	close(next)
	wg.Wait()
	paths, labels := f.paths[:0], f.labels[:0]
	for i, err := range errs {
		if err == nil {
			paths, labels = append(paths, f.paths[i]), append(labels, f.labels[i])
			continue
		}
		if !f.opts.SkipBad {
			return err
		}
		f.skipped++
		if f.opts.Warn != nil {
			f.opts.Warn(f.paths[i], err)
		}
	}
	f.paths, f.labels = slices.Clip(paths), slices.Clip(labels)
	return nil
}

// Root returns the folder Open read.
func (f *Folder) Root() string { return f.root }

// Classes returns the class names; label i names Classes()[i]. The caller
// owns the slice.
func (f *Folder) Classes() []string { return slices.Clone(f.classes) }

// Len returns the number of examples.
func (f *Folder) Len() int { return len(f.paths) }

// Path returns the file of example i.
func (f *Folder) Path(i int) string { return f.paths[i] }

// Label returns the class index of example i.
func (f *Folder) Label(i int) int { return f.labels[i] }

// Skipped returns the number of files Open left out with SkipBad.
func (f *Folder) Skipped() int { return f.skipped }

// Counts returns the number of examples of each class.
func (f *Folder) Counts() []int {
	n := make([]int, len(f.classes))
	for _, l := range f.labels {
		n[l]++
	}
	return n
}

// Subset returns a folder of the examples of f at the given indices, in
// that order, with f's classes and options.
func (f *Folder) Subset(indices []int) *Folder {
	s := &Folder{root: f.root, classes: f.classes, opts: f.opts}
	s.paths, s.labels = make([]string, len(indices)), make([]int, len(indices))
	for k, i := range indices {
		s.paths[k], s.labels[k] = f.paths[i], f.labels[i]
	}
	return s
}

// Load reads example i's picture as ReadImage does, with the options f
// was opened with.
func (f *Folder) Load(i int) (*transforms.Image, error) { return ReadImage(f.paths[i], f.opts) }

// ReadConfig reads the header of the picture file at path and checks its
// size against opts' bounds. Its errors name the file ("folder: PATH:
// ...") and wrap ErrTooLarge for a picture out of bounds.
func ReadConfig(path string, opts Options) (image.Config, error) {
	file, err := os.Open(path)
	if err != nil {
		return image.Config{}, data.PathError("folder", path, data.StripPath(err))
	}
	defer file.Close()
	cfg, _, err := decodeConfig(file, &opts)
	if err != nil {
		return image.Config{}, data.PathError("folder", path, err)
	}
	return cfg, nil
}

// decodeConfig reads r's header and checks the size.
func decodeConfig(r io.Reader, opts *Options) (image.Config, string, error) {
	cfg, format, err := image.DecodeConfig(bufio.NewReader(r))
	if err != nil {
		return cfg, format, err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return cfg, format, fmt.Errorf("%s picture of size %d×%d", format, cfg.Width, cfg.Height)
	}
	if cfg.Width > opts.maxSide() || cfg.Height > opts.maxSide() || int64(cfg.Width)*int64(cfg.Height) > int64(opts.maxPixels()) {
		return cfg, format, fmt.Errorf("%w: %s picture of %d×%d pixels (at most %d a side and %d in all)",
			ErrTooLarge, format, cfg.Width, cfg.Height, opts.maxSide(), opts.maxPixels())
	}
	return cfg, format, nil
}

// ReadImage decodes the picture file at path into 8-bit RGB as PIL's
// Image.open(path).convert("RGB") does, which torchvision's ImageFolder
// loads (see transforms.FromImage for each kind of picture, and
// Options.Gray16HighByte). JPEG and lossy WebP colour is converted as
// libjpeg-turbo and libwebp do, chroma interpolated ("fancy upsampling"),
// which gives libwebp's bytes exactly and libjpeg's within a unit or two
// (Go's inverse DCT rounds differently). Its size is checked against opts' bounds from
// the file's header before the picture is decoded. Only the first frame
// of an animated GIF is read. The errors name the file ("folder: PATH:
// ..."): a missing file, an unknown format, a corrupt or truncated file,
// a picture out of bounds (wrapping ErrTooLarge).
func ReadImage(path string, opts Options) (*transforms.Image, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, data.PathError("folder", path, data.StripPath(err))
	}
	defer file.Close()
	img, err := decode(file, &opts)
	if err != nil {
		return nil, data.PathError("folder", path, err)
	}
	return img, nil
}

// Decode reads a picture from r as ReadImage reads a file, r positioned
// at its start; the errors do not name a file.
func Decode(r io.ReadSeeker, opts Options) (*transforms.Image, error) { return decode(r, &opts) }

// decode checks r's header, then decodes it.
func decode(r io.ReadSeeker, opts *Options) (*transforms.Image, error) {
	start, err := r.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, err
	}
	cfg, _, err := decodeConfig(r, opts)
	if err != nil {
		return nil, err
	}
	if _, err := r.Seek(start, io.SeekStart); err != nil {
		return nil, err
	}
	m, format, err := image.Decode(bufio.NewReader(r))
	if err != nil {
		return nil, err
	}
	if b := m.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, fmt.Errorf("%s picture of %d×%d pixels where its header says %d×%d", format, b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	switch mm := m.(type) {
	case *image.Gray16:
		if opts.Gray16HighByte {
			m = highBytes(mm)
		}
	case *image.YCbCr:
		if format == "webp" {
			return webpRGB(mm), nil
		}
		return jpegRGB(mm), nil
	case *image.NYCbCrA:
		if format == "webp" {
			return webpRGB(&mm.YCbCr), nil
		}
		return jpegRGB(&mm.YCbCr), nil
	}
	return transforms.FromImage(m), nil
}

// highBytes returns the high byte of each value of a 16-bit grey picture.
func highBytes(g *image.Gray16) *image.Gray {
	b := g.Bounds()
	out := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out.Pix[out.PixOffset(x, y)] = g.Pix[g.PixOffset(x, y)]
		}
	}
	return out
}
