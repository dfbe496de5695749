package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// entry is one tensor's header record.
type entry struct {
	name       string
	t          Tensor // Data is nil
	begin, end uint64
}

// headerLen decodes the 8-byte header length prefix of a file of size
// bytes and checks it against MaxHeaderSize and the file size.
func headerLen(prefix []byte, size int64) (uint64, error) {
	n := binary.LittleEndian.Uint64(prefix)
	if n > MaxHeaderSize {
		return 0, fmt.Errorf("header length %d exceeds the limit of %d bytes", n, MaxHeaderSize)
	}
	if n > uint64(size)-8 {
		return 0, fmt.Errorf("header length %d is larger than the %d bytes that follow it in the file", n, uint64(size)-8)
	}
	return n, nil
}

// parseHeader decodes and validates the JSON header h of a file whose data
// section is dataLen bytes long. It returns the file without tensor data and
// the tensors' records in file order.
func parseHeader(h []byte, dataLen uint64) (*File, []entry, error) {
	if !utf8.Valid(h) {
		return nil, nil, errors.New("header is not valid UTF-8")
	}
	if len(h) == 0 || h[0] != '{' {
		return nil, nil, errors.New("header does not start with '{'")
	}
	f := &File{Tensors: make(map[string]Tensor)}
	var entries []entry
	err := forEachField(h, func(key string, val json.RawMessage) error {
		if key == metadataKey {
			m, err := parseMetadata(val)
			f.Metadata = m
			return err
		}
		e, err := parseEntry(key, val, dataLen)
		if err != nil {
			return fmt.Errorf("tensor %q: %w", key, err)
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}

	// Like the reference implementation, require the tensors, in offset
	// order, to tile the data section exactly.
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end), cmp.Compare(a.name, b.name))
	})
	var pos uint64
	for i, e := range entries {
		switch {
		case e.begin < pos:
			return nil, nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap tensor %q", e.name, e.begin, e.end, entries[i-1].name)
		case e.begin > pos:
			return nil, nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] leave a gap at bytes [%d, %d] of the data section", e.name, e.begin, e.end, pos, e.begin)
		}
		pos = e.end
		f.Names = append(f.Names, e.name)
		f.Tensors[e.name] = e.t
	}
	if pos != dataLen {
		return nil, nil, fmt.Errorf("tensors cover %d bytes, but the data section is %d bytes", pos, dataLen)
	}
	return f, entries, nil
}

// parseMetadata decodes the "__metadata__" value: null or an object of
// strings.
func parseMetadata(val json.RawMessage) (map[string]string, error) {
	if string(val) == "null" {
		return nil, nil
	}
	m := make(map[string]string)
	err := forEachField(val, func(key string, v json.RawMessage) error {
		if v[0] != '"' {
			return fmt.Errorf("%s: value of key %q is not a string", metadataKey, key)
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("%s: value of key %q: %w", metadataKey, key, err)
		}
		m[key] = s
		return nil
	})
	if errors.Is(err, errNotObject) {
		return nil, fmt.Errorf("%s is not a JSON object", metadataKey)
	}
	return m, err
}

// parseEntry decodes and checks one tensor record of a file whose data
// section is dataLen bytes long.
func parseEntry(name string, val json.RawMessage, dataLen uint64) (entry, error) {
	e := entry{name: name}
	var offsets []uint64
	var haveDType, haveShape, haveOffsets bool
	err := forEachField(val, func(key string, v json.RawMessage) error {
		switch key {
		case "dtype":
			haveDType = true
			if v[0] != '"' {
				return errors.New("dtype is not a string")
			}
			return json.Unmarshal(v, &e.t.DType)
		case "shape":
			haveShape = true
			nums, err := parseIntArray(key, v)
			if err != nil {
				return err
			}
			e.t.Shape = make([]int, len(nums))
			for i, s := range nums {
				d, err := strconv.ParseInt(s, 10, 0)
				if err != nil {
					return fmt.Errorf("shape dimension %s is out of range", s)
				}
				if d < 0 {
					return fmt.Errorf("shape has negative dimension %d", d)
				}
				e.t.Shape[i] = int(d)
			}
		case "data_offsets":
			haveOffsets = true
			nums, err := parseIntArray(key, v)
			if err != nil {
				return err
			}
			for _, s := range nums {
				o, err := strconv.ParseUint(s, 10, 64)
				if err != nil {
					return fmt.Errorf("data_offsets value %s is out of range", s)
				}
				offsets = append(offsets, o)
			}
		default:
			return fmt.Errorf("unknown field %q", key)
		}
		return nil
	})
	switch {
	case errors.Is(err, errNotObject):
		return e, errors.New("header entry is not a JSON object")
	case err != nil:
		return e, err
	case !haveDType:
		return e, errors.New(`missing field "dtype"`)
	case !haveShape:
		return e, errors.New(`missing field "shape"`)
	case !haveOffsets:
		return e, errors.New(`missing field "data_offsets"`)
	case len(offsets) != 2:
		return e, fmt.Errorf("data_offsets has %d elements, want 2: [begin, end]", len(offsets))
	}
	e.begin, e.end = offsets[0], offsets[1]
	if e.begin > e.end {
		return e, fmt.Errorf("data_offsets [%d, %d] begin after they end", e.begin, e.end)
	}
	if e.end > dataLen {
		return e, fmt.Errorf("data_offsets [%d, %d] extend past the end of the %d-byte data section", e.begin, e.end, dataLen)
	}
	n, err := byteLen(e.t.DType, e.t.Shape)
	if err != nil {
		return e, err
	}
	if n != e.end-e.begin {
		return e, fmt.Errorf("data_offsets [%d, %d] hold %d bytes, but shape %v of %s needs %d", e.begin, e.end, e.end-e.begin, e.t.Shape, e.t.DType, n)
	}
	return e, nil
}

// parseIntArray checks that v is a JSON array of integers and returns their
// literal text.
func parseIntArray(field string, v json.RawMessage) ([]string, error) {
	if v[0] != '[' {
		return nil, fmt.Errorf("%s is not an array", field)
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(v, &raws); err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	nums := make([]string, len(raws))
	for i, r := range raws {
		s := string(bytes.TrimSpace(r))
		if s == "" || strings.ContainsFunc(s, func(c rune) bool { return c != '-' && (c < '0' || c > '9') }) {
			return nil, fmt.Errorf("%s element %s is not an integer", field, s)
		}
		nums[i] = s
	}
	return nums, nil
}

// errNotObject reports that a JSON value is not an object.
var errNotObject = errors.New("not a JSON object")

// forEachField calls fn for each member of the JSON object in raw, in
// order, and stops at the first error fn returns. It returns errNotObject if
// raw is not an object, and an error if a key repeats, the JSON is
// malformed, or anything but white space follows the object.
func forEachField(raw []byte, fn func(key string, val json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return invalidJSON(err)
	}
	if tok != json.Delim('{') {
		return errNotObject
	}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return invalidJSON(err)
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("invalid JSON: object key %v is not a string", tok)
		}
		if seen[key] {
			return fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return invalidJSON(err)
		}
		if err := fn(key, val); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return invalidJSON(err)
	}
	switch tok, err := dec.Token(); {
	case err == io.EOF:
		return nil
	case err != nil:
		return invalidJSON(err)
	default:
		return fmt.Errorf("invalid JSON: unexpected %v after the object", tok)
	}
}

// invalidJSON describes a syntax error from encoding/json; the end of input
// is always unexpected where it is reported.
func invalidJSON(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("invalid JSON: %w", err)
}
