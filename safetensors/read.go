package safetensors

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Parse decodes and validates a safetensors file held in b. The returned
// tensors' Data are copies and do not alias b. Errors have the form
// "safetensors: <problem>".
func Parse(b []byte) (*File, error) {
	f, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return f, nil
}

func parse(b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, errTooShort(int64(len(b)))
	}
	n, err := headerLen(b[:8], int64(len(b)))
	if err != nil {
		return nil, err
	}
	f, entries, err := parseHeader(b[8:8+n], uint64(len(b))-8-n)
	if err != nil {
		return nil, err
	}
	data := b[8+n:]
	for _, e := range entries {
		e.t.Data = append([]byte{}, data[e.begin:e.end]...)
		f.Tensors[e.name] = e.t
	}
	return f, nil
}

// Decode reads and validates a safetensors file of size bytes from r. It
// reads exactly size bytes, or fewer on error. It reads and validates the
// header, checking every tensor's offsets against size, before it reads or
// allocates any tensor data; a header length over MaxHeaderSize or over size
// is rejected before the header is read. Errors have the form
// "safetensors: <problem>".
func Decode(r io.Reader, size int64) (*File, error) {
	f, err := decode(r, size)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return f, nil
}

func decode(r io.Reader, size int64) (*File, error) {
	if size < 8 {
		return nil, errTooShort(size)
	}
	var prefix [8]byte
	if err := readFull(r, prefix[:]); err != nil {
		return nil, fmt.Errorf("reading header length: %w", err)
	}
	n, err := headerLen(prefix[:], size)
	if err != nil {
		return nil, err
	}
	h := make([]byte, n)
	if err := readFull(r, h); err != nil {
		return nil, fmt.Errorf("reading header: %w", err)
	}
	f, entries, err := parseHeader(h, uint64(size)-8-n)
	if err != nil {
		return nil, err
	}
	// The entries tile the data section in order, so read them in turn.
	for _, e := range entries {
		e.t.Data = make([]byte, e.end-e.begin)
		if err := readFull(r, e.t.Data); err != nil {
			return nil, fmt.Errorf("reading data of tensor %q: %w", e.name, err)
		}
		f.Tensors[e.name] = e.t
	}
	return f, nil
}

// ReadFile reads and validates the safetensors file at path, as Decode
// does. Errors have the form "safetensors: <path>: <problem>".
func ReadFile(path string) (*File, error) {
	f, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	return f, nil
}

func readFile(path string) (*File, error) {
	// Opening a FIFO or a device would block or read without end: look
	// before opening.
	if fi, err := os.Stat(path); err != nil {
		return nil, unwrapPath(err)
	} else if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	file, err := os.Open(path)
	if err != nil {
		return nil, unwrapPath(err)
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return nil, unwrapPath(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	return decode(file, fi.Size())
}

func errTooShort(size int64) error {
	return fmt.Errorf("file is %d bytes, shorter than the 8-byte header length", size)
}

// readFull is io.ReadFull, with a clean end of input reported as
// io.ErrUnexpectedEOF since the caller always expects len(b) bytes.
func readFull(r io.Reader, b []byte) error {
	_, err := io.ReadFull(r, b)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// unwrapPath drops the paths from a *fs.PathError or *os.LinkError, since
// the callers' error prefix names the file, and keeps the operation and the
// underlying error.
func unwrapPath(err error) error {
	switch e := err.(type) {
	case *fs.PathError:
		return fmt.Errorf("%s: %w", e.Op, e.Err)
	case *os.LinkError:
		return fmt.Errorf("%s: %w", e.Op, e.Err)
	}
	return err
}
