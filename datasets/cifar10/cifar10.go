// Package cifar10 loads the CIFAR-10 data set (60000 32x32 colour images in
// 10 classes) from its binary version, the folder cifar-10-batches-bin that
// https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz unpacks to, and
// downloads that archive (see Download).
//
// A *Set satisfies the data.Dataset interface of this module:
//
//	Len() int
//	Shape() []int                    // [3, 32, 32] (channels first)
//	Example(i int, dst []float32) int
//
// The folder holds data_batch_1.bin ... data_batch_5.bin (the 50000
// training images), test_batch.bin (the 10000 test images) and
// batches.meta.txt (the class names). Each .bin file is a sequence of
// 3073-byte records: one label byte 0..9, then 3072 pixel bytes, the 1024
// red values of the 32x32 image row-major, then the 1024 green, then the
// 1024 blue.
//
// Errors have the form "cifar10: <path>: <problem>".
//
// # What is refused
//
// The number of records comes from a batch file's size, so the memory
// allocated for a set is never more than the bytes on disk; each limit is
// checked before that memory is allocated:
//
//   - A batch file or batches.meta.txt that is not a regular file (a
//     named pipe, a device, a folder), from its mode before it is opened.
//   - A batch file whose size is zero or not a multiple of RecordBytes
//     (3073; the message names the Python, Matlab, gzip and CIFAR-100
//     files mistaken for one), or of more than 100000 records
//     (307300000 bytes; the real files have RecordsPerFile, 10000); more
//     than 1048576 (2^20) records in one Load.
//   - A label outside 0..9; a file that grows or shrinks while read.
//   - A batches.meta.txt of more than 64 KiB, or other than 10 non-empty
//     names, one per line.
//   - For Download: a body the server announces, or sends, over 1 GiB; an
//     archive whose MD5 is not ArchiveMD5 (nothing is unpacked); an
//     archive entry that leaves the folder, or an expected file larger
//     than its limit above.
package cifar10

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/convnet/convnet/data"
)

// Geometry of the data set.
const (
	Channels   = 3
	Rows, Cols = 32, 32
	// ImageBytes is the size of one image: Channels*Rows*Cols bytes.
	ImageBytes = Channels * Rows * Cols
	// RecordBytes is the size of one record of a batch file: a label byte
	// and an image.
	RecordBytes = 1 + ImageBytes
	// NumClasses is the number of classes; labels are 0..NumClasses-1.
	NumClasses = 10
)

// File names of the binary version.
const (
	DirName  = "cifar-10-batches-bin" // the folder the archive unpacks to
	TestFile = "test_batch.bin"
	MetaFile = "batches.meta.txt"
)

// trainFiles are the five training batches, in order.
var trainFiles = []string{
	"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin",
}

// Mean and Std are the per-channel (red, green, blue) mean and standard
// deviation of the training images in [0,1], the usual arguments of
// data.Normalize for CIFAR-10.
var (
	Mean = []float32{0.4914, 0.4822, 0.4465}
	Std  = []float32{0.2470, 0.2435, 0.2616}
)

// defaultClasses are the class names that batches.meta.txt lists.
var defaultClasses = []string{
	"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
}

// Set is CIFAR-10's labelled images held in memory: data.Images, whose
// Example gives an image as float32 values in [0,1] (byte/255) in channel,
// row, column order, as torchvision's ToTensor does.
//
// Invariants (held by sets from Load, Train, Test and Subset): Channels,
// Rows and Cols are 3, 32 and 32; image i is
// Images[i*ImageBytes:(i+1)*ImageBytes] channels first (red, green, blue
// planes of 32x32 bytes, each row-major); every label is in 0..9;
// len(Classes) == 10, Classes[l] naming label l.
type Set = data.Images

// Subset returns a set of the first n examples of s (all of them if n >=
// s.Len(), none if n <= 0), as s.Subset(n). It shares memory with s;
// appending to its slices does not write into s.
func Subset(s *Set, n int) *Set { return s.Subset(n) }

// Train loads the 50000 training images, data_batch_1.bin ...
// data_batch_5.bin, from dir, which is the cifar-10-batches-bin folder or
// the folder that holds it; an empty dir means the current directory. The
// class names come from batches.meta.txt if the folder has one.
func Train(dir string) (*Set, error) { return loadDir(dir, trainFiles) }

// Test loads the 10000 test images, test_batch.bin, from dir, which is the
// cifar-10-batches-bin folder or the folder that holds it; an empty dir
// means the current directory. The class names come from batches.meta.txt
// if the folder has one.
func Test(dir string) (*Set, error) { return loadDir(dir, []string{TestFile}) }

func loadDir(dir string, names []string) (*Set, error) {
	d, err := findDir(dir, names)
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = filepath.Join(d, n)
	}
	return Load(paths...)
}

// findDir returns the folder, dir or dir/cifar-10-batches-bin, that holds
// all the named files. Its error lists what is missing and how to get it.
func findDir(dir string, names []string) (string, error) {
	if dir == "" {
		dir = "."
	}
	sub := filepath.Join(dir, DirName)
	var report string // the folder the error describes
	var missing []string
	for _, d := range []string{dir, sub} {
		m, err := missingFiles(d, names)
		if err != nil {
			return "", err
		}
		if len(m) == 0 {
			return d, nil
		}
		// Describe the subfolder if it exists, else dir.
		if report == "" || isDir(d) {
			report, missing = d, m
		}
	}
	return "", notFound(report, dir, missing)
}

// missingFiles returns the names that dir lacks (all of them if dir is not
// a folder); other errors (such as a permission problem) are returned.
func missingFiles(dir string, names []string) ([]string, error) {
	if !isDir(dir) {
		return names, nil
	}
	var missing []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		_, err := os.Stat(p)
		switch {
		case err == nil:
		case errors.Is(err, fs.ErrNotExist):
			missing = append(missing, n)
		default:
			return nil, pathError(p, data.StripPath(err))
		}
	}
	return missing, nil
}

func notFound(where, dir string, missing []string) error {
	what := "missing " + strings.Join(missing, ", ")
	if !isDir(where) {
		what = "no such folder"
		if exists(where) {
			what = "not a folder"
		}
	}
	hint := ""
	if isDir(filepath.Join(dir, "cifar-10-batches-py")) || exists(filepath.Join(where, "data_batch_1")) {
		hint = " (found the CIFAR-10 python version, which this package does not read)"
	}
	all := strings.Join(append(append([]string{}, trainFiles...), TestFile), ", ")
	return fmt.Errorf("cifar10: %s: CIFAR-10 data not found: %s%s; expected %s (and optionally %s) "+
		"in DIR or DIR/%s; get the CIFAR-10 binary version (%s) with `convnet download cifar10 --data DIR`, "+
		"or unpack it yourself and pass --data DIR: %w",
		where, what, hint, all, MetaFile, DirName, DefaultURL, fs.ErrNotExist)
}

// Load reads and concatenates batch files of the binary version, in the
// order given. It checks every file fully (see the package comment for the
// format): a size that is a positive multiple of 3073 bytes and labels
// 0..9. The class names come from batches.meta.txt next to the first file
// if there is one (it must then list 10 non-empty names, one per line),
// else they are the standard ones. It never panics; errors have the form
// "cifar10: <path>: <problem>".
func Load(paths ...string) (*Set, error) {
	if len(paths) == 0 {
		return nil, errors.New("cifar10: Load: no batch files given")
	}
	files := make([]*os.File, 0, len(paths))
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	counts := make([]int, len(paths))
	total := 0
	for i, p := range paths {
		// Stat before opening: opening a named pipe blocks.
		if err := regular(p, "batch file"); err != nil {
			return nil, err
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, pathError(p, data.StripPath(err))
		}
		files = append(files, f)
		fi, err := f.Stat()
		if err != nil {
			return nil, pathError(p, data.StripPath(err))
		}
		if !fi.Mode().IsRegular() { // replaced since the Stat
			return nil, pathError(p, errors.New("not a regular file: a batch file is read from disk"))
		}
		head := make([]byte, 8)
		n, _ := io.ReadFull(f, head)
		if counts[i], err = checkSize(fi.Size(), head[:n]); err != nil {
			return nil, pathError(p, err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, pathError(p, data.StripPath(err))
		}
		total += counts[i]
		if total > maxTotalRecords {
			return nil, pathError(p, fmt.Errorf("more than %d records in all", maxTotalRecords))
		}
	}
	classes, err := readMeta(filepath.Join(filepath.Dir(paths[0]), MetaFile))
	if err != nil {
		return nil, err
	}
	s := &Set{
		Images:   make([]uint8, total*ImageBytes),
		Labels:   make([]uint8, total),
		Channels: Channels,
		Rows:     Rows,
		Cols:     Cols,
		Classes:  classes,
	}
	at := 0
	for i, f := range files {
		n := counts[i]
		if err := readRecords(f, n, s.Labels[at:at+n], s.Images[at*ImageBytes:(at+n)*ImageBytes]); err != nil {
			return nil, pathError(paths[i], err)
		}
		at += n
	}
	return s, nil
}

// maxMetaBytes bounds batches.meta.txt (the real one has 72 bytes).
const maxMetaBytes = 64 << 10

// readMeta reads the class names from path, or returns the standard names
// if there is no such file.
func readMeta(path string) ([]string, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return append([]string{}, defaultClasses...), nil
	}
	if err := regular(path, "list of class names"); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, pathError(path, data.StripPath(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxMetaBytes+1))
	if err != nil {
		return nil, pathError(path, data.StripPath(err))
	}
	if len(b) > maxMetaBytes {
		return nil, pathError(path, fmt.Errorf("larger than %d bytes: not a list of %d class names", maxMetaBytes, NumClasses))
	}
	names, err := parseMeta(string(b))
	if err != nil {
		return nil, pathError(path, err)
	}
	return names, nil
}

// parseMeta reads one class name a line. Blank lines at the end (the real
// file has one) are ignored; spaces around a name are trimmed.
func parseMeta(s string) ([]string, error) {
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		if l == "" && i < NumClasses {
			return nil, fmt.Errorf("line %d is empty: expected %d class names, one per line", i+1, NumClasses)
		}
	}
	if len(lines) != NumClasses {
		return nil, fmt.Errorf("expected %d class names, one per line, found %d lines", NumClasses, len(lines))
	}
	return lines, nil
}

// regular returns an error naming path unless it is a regular file (or a
// link to one), of the kind what names.
func regular(path, what string) error {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return pathError(path, data.StripPath(err))
	case fi.IsDir():
		return pathError(path, fmt.Errorf("is a folder, not a %s", what))
	case !fi.Mode().IsRegular():
		return pathError(path, fmt.Errorf("not a regular file (%s): a %s is read from disk", fileKind(fi.Mode()), what))
	}
	return nil
}

// fileKind names the kind of a file that is not regular.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "irregular file"
}

// pathError prefixes a problem with the package and the file it concerns.
func pathError(path string, err error) error { return data.PathError("cifar10", path, err) }

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
