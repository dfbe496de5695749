package mnist

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/convnet/convnet/data"
)

// Magic numbers of the idx files used by MNIST: 0x08 means unsigned bytes,
// the last byte is the number of dimensions.
const (
	imagesMagic = 0x00000803 // idx3-ubyte: n, rows, cols
	labelsMagic = 0x00000801 // idx1-ubyte: n
)

// maxDataBytes bounds n*rows*cols (or n for labels) as declared in a header,
// so that a hostile header cannot ask for an absurd size. The data must also
// actually be present: memory grows with the bytes read, not with the header.
// Load, Train and Test bound the count far below (see expect).
const maxDataBytes = 1 << 30

// expect is what a caller requires of an idx file beyond its format,
// checked from the header before any data is read.
type expect struct {
	side int // rows and columns of every image (0: any)
	// most bounds the number of images or labels (0: up to maxDataBytes);
	// set names what holds that many, for the message.
	most int
	set  string
	// count is the number of images required (0: any), the number of
	// labels in the file labels.
	count  int
	labels string
}

// refusal is a header that the format allows but the caller does not: the
// data after it is not read (not even to check a gzip stream).
type refusal struct{ msg string }

func (e *refusal) Error() string { return e.msg }

// check returns a *refusal if dims, the dimensions of an idx file of magic,
// are not what e requires.
func (e expect) check(magic uint32, dims []int) error {
	noun := "labels"
	if magic == imagesMagic {
		noun = "images"
	}
	switch {
	case e.side > 0 && len(dims) == 3 && (dims[1] != e.side || dims[2] != e.side):
		return &refusal{fmt.Sprintf("images are %dx%d pixels; MNIST's are %dx%d", dims[1], dims[2], e.side, e.side)}
	case e.most > 0 && dims[0] > e.most:
		return &refusal{fmt.Sprintf("%d %s, more than the %d of %s", dims[0], noun, e.most, e.set)}
	case e.count > 0 && dims[0] != e.count:
		return &refusal{fmt.Sprintf("%d %s, but %s has %d labels", dims[0], noun, e.labels, e.count)}
	}
	return nil
}

// ReadImages reads an idx3-ubyte image file, plain or gzip-compressed (the
// compression is detected from the content, not the name). It returns the n
// images of rows x cols bytes each, stored row-major one after another
// (len(pix) == n*rows*cols). Any geometry is accepted, up to 1 GiB of
// pixels as the header declares them (Load requires MNIST's). It never
// panics; errors have the form "mnist: <path>: <problem>".
func ReadImages(path string) (pix []uint8, n, rows, cols int, err error) {
	dims, data, err := readFile(path, imagesMagic, 3, expect{})
	if err != nil {
		return nil, 0, 0, 0, err
	}
	return data, dims[0], dims[1], dims[2], nil
}

// ReadLabels reads an idx1-ubyte label file, plain or gzip-compressed, and
// checks that every label is a digit 0..9. Up to 1 GiB of labels are
// accepted (Load takes far fewer). Errors have the form
// "mnist: <path>: <problem>".
func ReadLabels(path string) ([]uint8, error) { return readLabels(path, expect{}) }

func readLabels(path string, e expect) ([]uint8, error) {
	_, data, err := readFile(path, labelsMagic, 1, e)
	if err != nil {
		return nil, err
	}
	if err := checkLabels(data); err != nil {
		return nil, pathError(path, err)
	}
	return data, nil
}

// checkLabels reports the first label that is not a digit.
func checkLabels(labels []uint8) error {
	for i, l := range labels {
		if l > 9 {
			return fmt.Errorf("label %d at index %d is out of range 0..9", l, i)
		}
	}
	return nil
}

// pathError prefixes a problem with the package and the file it concerns.
func pathError(path string, err error) error { return data.PathError("mnist", path, err) }

// readFile reads the idx file at path, which must be a regular file (a
// named pipe would block the open), through the cache if it has a copy.
func readFile(path string, magic uint32, ndim int, e expect) ([]int, []byte, error) {
	if fi, err := os.Stat(path); err != nil {
		return nil, nil, pathError(path, data.StripPath(err))
	} else if fi.IsDir() {
		return nil, nil, pathError(path, errors.New("is a folder, not an idx file"))
	} else if !fi.Mode().IsRegular() {
		return nil, nil, pathError(path, fmt.Errorf("not a regular file (%s): an idx file is read from disk", fileKind(fi.Mode())))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, pathError(path, data.StripPath(err))
	}
	defer f.Close()
	var cached string
	if fi, err := f.Stat(); err == nil {
		cached = cachedPath(path, fi)
	}
	if cached != "" {
		if dims, data, ok := readCached(cached, magic, ndim, e); ok {
			return dims, data, nil
		}
	}
	dims, data, compressed, err := decode(f, magic, ndim, e)
	if err != nil {
		return nil, nil, pathError(path, err)
	}
	if compressed && cached != "" {
		writeCached(cached, magic, dims, data)
	}
	return dims, data, nil
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

// gzipError marks an error that comes from the gzip decompressor, so that it
// is reported as corrupt compressed data rather than as a truncated idx file.
type gzipError struct{ err error }

func (e *gzipError) Error() string { return "corrupt gzip data: " + e.err.Error() }
func (e *gzipError) Unwrap() error { return e.err }

type gzipReader struct{ z *gzip.Reader }

func (g gzipReader) Read(p []byte) (int, error) {
	n, err := g.z.Read(p)
	if err != nil && err != io.EOF {
		err = &gzipError{err}
	}
	return n, err
}

// decode parses one idx stream from r, plain or gzip-compressed, whose header
// must carry magic and ndim big-endian uint32 dimensions that e accepts. It
// returns the dimensions, exactly prod(dims) data bytes (trailing bytes are
// an error), and whether the stream was compressed.
// Error messages state the problem without the file name. A corrupt gzip
// stream is reported as such even if its garbled output fails the idx checks
// first.
func decode(r io.Reader, magic uint32, ndim int, e expect) ([]int, []byte, bool, error) {
	br := bufio.NewReader(r)
	b, _ := br.Peek(2)
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		dims, data, err := parse(br, magic, ndim, "bytes", e)
		return dims, data, false, err
	}
	z, err := gzip.NewReader(br)
	if err != nil {
		return nil, nil, true, &gzipError{err}
	}
	src := gzipReader{z}
	dims, data, err := parse(src, magic, ndim, "decompressed bytes", e)
	var ge *gzipError
	var re *refusal
	if err != nil && !errors.As(err, &ge) && !errors.As(err, &re) {
		if _, derr := io.Copy(io.Discard, io.LimitReader(src, maxDataBytes)); errors.As(derr, &ge) {
			return nil, nil, true, ge
		}
	}
	return dims, data, true, err
}

// parse reads an idx header and, if e accepts it, its data from src; unit
// names what src counts (bytes or decompressed bytes).
func parse(src io.Reader, magic uint32, ndim int, unit string, e expect) ([]int, []byte, error) {
	hdr := make([]byte, 4+4*ndim)
	if k, err := io.ReadFull(src, hdr[:4]); err != nil {
		return nil, nil, readProblem(err, "truncated header: expected %d bytes, found %d %s", len(hdr), k, unit)
	}
	if got := binary.BigEndian.Uint32(hdr); got != magic {
		return nil, nil, fmt.Errorf("wrong magic number: expected 0x%08x (%s), got 0x%08x%s",
			magic, kind(magic), got, hint(got))
	}
	if k, err := io.ReadFull(src, hdr[4:]); err != nil {
		return nil, nil, readProblem(err, "truncated header: expected %d bytes, found %d %s", len(hdr), 4+k, unit)
	}
	dims, size, err := dimensions(hdr, magic, e)
	if err != nil {
		return nil, nil, err
	}

	// Read into a buffer of the declared size when that is modest (MNIST's
	// 47 MB is), so that loading needs no doubling copies; a larger
	// declaration grows with the bytes that actually arrive.
	var data []byte
	if size <= preallocBytes {
		data = make([]byte, size+1)
		var n int
		n, err = io.ReadFull(src, data)
		data = data[:n]
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			err = nil // fewer bytes than declared: reported below
		}
	} else {
		data, err = io.ReadAll(io.LimitReader(src, int64(size)+1))
	}
	if err != nil {
		return nil, nil, readProblem(err, "read error")
	}
	switch {
	case uint64(len(data)) < size:
		return nil, nil, fmt.Errorf("truncated: dimensions %v need %d bytes after the %d-byte header, found %d %s",
			dims, size, len(hdr), len(data), unit)
	case uint64(len(data)) > size:
		return nil, nil, fmt.Errorf("unexpected data after the %d bytes that dimensions %v need", size, dims)
	}
	return dims, data, nil
}

// dimensions reads the dimensions of the idx header hdr, whose magic
// number parse has checked, and returns them with the size of the data
// they declare, if they are sane and e accepts them.
func dimensions(hdr []byte, magic uint32, e expect) ([]int, uint64, error) {
	dims := make([]int, (len(hdr)-4)/4)
	size := uint64(1)
	for i := range dims {
		d := binary.BigEndian.Uint32(hdr[4+4*i:])
		if d == 0 {
			return nil, 0, fmt.Errorf("bad dimensions %v: dimension %d is zero", headerDims(hdr), i)
		}
		size *= uint64(d) // each factor < 2^32 and size <= 2^30: no overflow
		if size > maxDataBytes {
			return nil, 0, fmt.Errorf("bad dimensions %v: more than %d bytes of data", headerDims(hdr), maxDataBytes)
		}
		dims[i] = int(d)
	}
	if err := e.check(magic, dims); err != nil {
		return nil, 0, err
	}
	return dims, size, nil
}

// preallocBytes bounds the buffer allocated from a header's word alone.
const preallocBytes = 128 << 20

// readProblem explains an error met while reading: the decompressor's own
// error, a premature end of data (described by format and args), or an I/O error.
func readProblem(err error, format string, args ...any) error {
	var ge *gzipError
	switch {
	case errors.As(err, &ge):
		return ge
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return fmt.Errorf(format, args...)
	default:
		return fmt.Errorf("read error: %w", err)
	}
}

func headerDims(hdr []byte) []uint32 {
	d := make([]uint32, 0, len(hdr)/4-1)
	for i := 4; i+4 <= len(hdr); i += 4 {
		d = append(d, binary.BigEndian.Uint32(hdr[i:]))
	}
	return d
}

func kind(magic uint32) string {
	switch magic {
	case imagesMagic:
		return "idx3-ubyte images"
	case labelsMagic:
		return "idx1-ubyte labels"
	}
	return "unknown"
}

// hint names the file kind when a known magic number is in the wrong place.
func hint(got uint32) string {
	if got == imagesMagic || got == labelsMagic {
		return " (" + kind(got) + ": images and labels swapped?)"
	}
	return ""
}
