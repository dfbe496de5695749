package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/convnet/convnet/internal/atomicfile"
)

// Encode writes f to w in the safetensors format. The tensors' data are laid
// out in f.Names order, or in name order if f.Names is nil; the header lists
// "__metadata__" first if f.Metadata is not nil, then the tensors in the same
// order, and is padded with spaces to a multiple of 8 bytes, as the
// reference implementation does.
//
// Encode checks f before it writes anything: f.Names must list every key of
// f.Tensors exactly once, no tensor may be named "__metadata__", names and
// metadata must be valid UTF-8, each tensor's dtype must be known and its
// data length must match its shape, and the header must not exceed
// MaxHeaderSize. Errors have the form "safetensors: <problem>".
func Encode(w io.Writer, f *File) error {
	h, names, err := encodeHeader(f)
	if err == nil {
		err = write(w, h, names, f)
	}
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// WriteFile writes f to the file at path as Encode does, atomically: it
// writes a temporary file in the same directory, syncs and closes it, and
// renames it to path, replacing any file there. The file gets mode 0644. On
// any error it removes the temporary file and leaves path untouched. Errors
// have the form "safetensors: <path>: <problem>".
func WriteFile(path string, f *File) error {
	if err := writeFile(path, f); err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	return nil
}

func writeFile(path string, f *File) (err error) {
	h, names, err := encodeHeader(f)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(tmp *os.File) error { return write(tmp, h, names, f) })
}

// write writes the encoded header h and then the data of the named tensors.
func write(w io.Writer, h []byte, names []string, f *File) error {
	if _, err := w.Write(h); err != nil {
		return unwrapPath(err)
	}
	for _, name := range names {
		if _, err := w.Write(f.Tensors[name].Data); err != nil {
			return unwrapPath(err)
		}
	}
	return nil
}

// encodeHeader checks f and returns its length prefix and padded JSON
// header, and the order of its tensors.
func encodeHeader(f *File) ([]byte, []string, error) {
	if f == nil {
		return nil, nil, errors.New("nil *File")
	}
	names := f.Names
	if names == nil {
		names = slices.Sorted(maps.Keys(f.Tensors))
	}
	var b bytes.Buffer
	b.Write(make([]byte, 8)) // length, filled in below
	b.WriteByte('{')
	if f.Metadata != nil {
		appendString(&b, metadataKey)
		b.WriteString(":{")
		for i, k := range slices.Sorted(maps.Keys(f.Metadata)) {
			v := f.Metadata[k]
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return nil, nil, fmt.Errorf("metadata key %q or its value is not valid UTF-8", k)
			}
			if i > 0 {
				b.WriteByte(',')
			}
			appendString(&b, k)
			b.WriteByte(':')
			appendString(&b, v)
		}
		b.WriteByte('}')
	}
	seen := make(map[string]bool, len(names))
	var off uint64
	for _, name := range names {
		t, ok := f.Tensors[name]
		switch {
		case !ok:
			return nil, nil, fmt.Errorf("Names lists %q, which is not in Tensors", name)
		case seen[name]:
			return nil, nil, fmt.Errorf("Names lists %q twice", name)
		case name == metadataKey:
			return nil, nil, fmt.Errorf("tensor name %q is reserved", name)
		case !utf8.ValidString(name):
			return nil, nil, fmt.Errorf("tensor name %q is not valid UTF-8", name)
		}
		seen[name] = true
		n, err := byteLen(t.DType, t.Shape)
		if err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		if n != uint64(len(t.Data)) {
			return nil, nil, fmt.Errorf("tensor %q: has %d data bytes, but shape %v of %s needs %d", name, len(t.Data), t.Shape, t.DType, n)
		}
		if b.Len() > 9 {
			b.WriteByte(',')
		}
		appendString(&b, name)
		b.WriteString(`:{"dtype":`)
		appendString(&b, t.DType)
		b.WriteString(`,"shape":[`)
		for i, d := range t.Shape {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, off, off+n)
		off += n
	}
	if len(seen) != len(f.Tensors) {
		for _, name := range slices.Sorted(maps.Keys(f.Tensors)) {
			if !seen[name] {
				return nil, nil, fmt.Errorf("tensor %q is not listed in Names", name)
			}
		}
	}
	b.WriteByte('}')
	for (b.Len()-8)%8 != 0 {
		b.WriteByte(' ')
	}
	h := b.Bytes()
	n := uint64(len(h) - 8)
	if n > MaxHeaderSize {
		return nil, nil, fmt.Errorf("header is %d bytes, over the limit of %d", n, MaxHeaderSize)
	}
	binary.LittleEndian.PutUint64(h, n)
	return h, names, nil
}

// appendString appends s to b as a JSON string, without the HTML escaping
// that encoding/json does by default.
func appendString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)           // cannot fail for a string
	b.Truncate(b.Len() - 1) // drop the newline Encode adds
}
