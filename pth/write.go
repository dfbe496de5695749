package pth

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/convnet/convnet/safetensors"

	"github.com/convnet/convnet/internal/atomicfile"
)

// alignment is where torch.save starts each zip entry's data: a multiple
// of 64 bytes from the start of the file.
const alignment = 64

// storageClasses maps each dtype pth writes to its torch storage class and
// element size.
var storageClasses = map[string]struct {
	class string
	size  int
}{
	"F32":  {"FloatStorage", 4},
	"F64":  {"DoubleStorage", 8},
	"F16":  {"HalfStorage", 2},
	"BF16": {"BFloat16Storage", 2},
	"I64":  {"LongStorage", 8},
	"I32":  {"IntStorage", 4},
	"I16":  {"ShortStorage", 2},
	"I8":   {"CharStorage", 1},
	"U8":   {"ByteStorage", 1},
	"BOOL": {"BoolStorage", 1},
}

// Encode writes f to w as torch.save(state_dict, buffer) does: a zip
// archive whose entries are archive/data.pkl (an OrderedDict of name to
// tensor, pickled with protocol 2), archive/byteorder ("little"),
// archive/data/0 ... archive/data/N-1 (each tensor's elements, one storage
// per tensor) and archive/version ("3"), stored uncompressed with each
// entry's data aligned to 64 bytes. torch.load reads it with no other
// package (and with weights_only=True where PyTorch has it).
//
// The tensors are written in f.Names order, or in name order if f.Names
// is nil. Encode checks f before it writes anything: f.Names must list every
// key of f.Tensors exactly once, names must be valid UTF-8, each dtype must
// be one torch has (F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL) and
// each tensor's data length must match its shape. f.Metadata is not
// written: a state_dict has no place for it. Errors have the form
// "pth: <problem>".
func Encode(w io.Writer, f *safetensors.File) error {
	names, err := check(f)
	if err == nil {
		err = encode(w, "archive", f, names)
	}
	if err != nil {
		return fmt.Errorf("pth: %w", err)
	}
	return nil
}

// WriteFile writes f to the file at path as Encode does, atomically: it
// writes a temporary file in the same directory, syncs and closes it, and
// renames it to path, replacing any file there. The archive's entries are
// under the base name of path up to its first dot ("model" for
// "runs/model.pth"), as torch.save names them, or "archive" if that is
// empty. The file gets mode 0644. On any error it removes the temporary
// file and leaves path untouched. Errors have the form
// "pth: <path>: <problem>".
func WriteFile(path string, f *safetensors.File) error {
	if err := writeFile(path, f); err != nil {
		return fmt.Errorf("pth: %s: %w", path, err)
	}
	return nil
}

// archiveName is torch.save's name for the archive's folder: the file's
// base name up to its first dot.
func archiveName(path string) string {
	name, _, _ := strings.Cut(filepath.Base(path), ".")
	if name == "" || name == string(filepath.Separator) {
		return "archive"
	}
	return name
}

func writeFile(path string, f *safetensors.File) (err error) {
	names, err := check(f)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(tmp *os.File) error { return encode(tmp, archiveName(path), f, names) })
}

// unwrapPath drops the path an *os.PathError repeats; the caller names
// the file.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

// check validates f and returns the order of its tensors.
func check(f *safetensors.File) ([]string, error) {
	if f == nil {
		return nil, errors.New("nil *File")
	}
	names := f.Names
	if names == nil {
		names = slices.Sorted(maps.Keys(f.Tensors))
	}
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		t, ok := f.Tensors[name]
		switch {
		case !ok:
			return nil, fmt.Errorf("Names lists %q, which is not in Tensors", name)
		case seen[name]:
			return nil, fmt.Errorf("Names lists %q twice", name)
		case !utf8.ValidString(name):
			return nil, fmt.Errorf("tensor name %q is not valid UTF-8", name)
		}
		seen[name] = true
		sc, ok := storageClasses[t.DType]
		if !ok {
			return nil, fmt.Errorf("tensor %q: dtype %q has no torch storage class pth writes", name, t.DType)
		}
		n := uint64(sc.size)
		for _, d := range t.Shape {
			if d < 0 {
				return nil, fmt.Errorf("tensor %q: negative dimension in shape %v", name, t.Shape)
			}
			hi, lo := bits.Mul64(n, uint64(d))
			if hi != 0 {
				return nil, fmt.Errorf("tensor %q: shape %v overflows", name, t.Shape)
			}
			n = lo
		}
		if n != uint64(len(t.Data)) {
			return nil, fmt.Errorf("tensor %q: has %d data bytes, but shape %v of %s needs %d", name, len(t.Data), t.Shape, t.DType, n)
		}
	}
	if len(seen) != len(f.Tensors) {
		for _, name := range slices.Sorted(maps.Keys(f.Tensors)) {
			if !seen[name] {
				return nil, fmt.Errorf("tensor %q is not listed in Names", name)
			}
		}
	}
	return names, nil
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// encode writes the archive of the checked file f under the folder name.
func encode(w io.Writer, name string, f *safetensors.File, names []string) error {
	cw := &countWriter{w: w}
	zw := zip.NewWriter(cw)
	entry := func(path string, data []byte) error {
		// Everything so far has reached cw, so cw.n is where this entry's
		// local header starts. Pad its extra field, as PyTorch's writer
		// does, so that its data start at a multiple of 64.
		if err := zw.Flush(); err != nil {
			return err
		}
		const localHeader = 30
		start := cw.n + localHeader + int64(len(path)) + 4
		pad := (alignment - start%alignment) % alignment
		extra := make([]byte, 4+pad)
		copy(extra, "FB")
		binary.LittleEndian.PutUint16(extra[2:], uint16(pad))
		for i := 4; i < len(extra); i++ {
			extra[i] = 'Z'
		}
		ew, err := zw.CreateRaw(&zip.FileHeader{
			Name:               path,
			Method:             zip.Store,
			CRC32:              crc32.ChecksumIEEE(data),
			CompressedSize64:   uint64(len(data)),
			UncompressedSize64: uint64(len(data)),
			Extra:              extra,
		})
		if err != nil {
			return err
		}
		_, err = ew.Write(data)
		return err
	}
	if err := entry(name+"/data.pkl", pickleStateDict(f, names)); err != nil {
		return unwrapPath(err)
	}
	if err := entry(name+"/byteorder", []byte("little")); err != nil {
		return unwrapPath(err)
	}
	for i, n := range names {
		if err := entry(name+"/data/"+strconv.Itoa(i), f.Tensors[n].Data); err != nil {
			return unwrapPath(err)
		}
	}
	if err := entry(name+"/version", []byte("3\n")); err != nil {
		return unwrapPath(err)
	}
	return unwrapPath(zw.Close())
}

// pickler writes the protocol-2 pickle of a state_dict.
type pickler struct {
	b    bytes.Buffer
	memo map[string]int // globals already written, by name
}

// pickleStateDict returns the pickle torch.save writes for a state_dict of
// f's tensors, in the order names:
//
//	OrderedDict([(name, torch._utils._rebuild_tensor_v2(
//	    persistent ('storage', torch.<Class>Storage, str(i), 'cpu', numel),
//	    0, shape, contiguous stride, False, OrderedDict())), ...])
func pickleStateDict(f *safetensors.File, names []string) []byte {
	p := &pickler{memo: map[string]int{}}
	p.b.WriteString("\x80\x02") // PROTO 2
	p.global("collections", "OrderedDict")
	p.b.WriteString(")R") // EMPTY_TUPLE REDUCE
	if len(names) > 0 {
		p.b.WriteByte('(') // MARK
		for i, name := range names {
			t := f.Tensors[name]
			p.str(name)
			p.global("torch._utils", "_rebuild_tensor_v2")
			p.b.WriteByte('(') // MARK: the arguments
			p.b.WriteByte('(') // MARK: the persistent id
			p.str("storage")
			p.global("torch", storageClasses[t.DType].class)
			p.str(strconv.Itoa(i))
			p.str("cpu")
			numel := 1
			for _, d := range t.Shape {
				numel *= d
			}
			p.int(numel)
			p.b.WriteString("tQ") // TUPLE BINPERSID
			p.int(0)              // storage offset
			stride := make([]int, len(t.Shape))
			s := 1
			for j := len(t.Shape) - 1; j >= 0; j-- {
				stride[j] = s
				s *= max(t.Shape[j], 1)
			}
			p.tuple(t.Shape)
			p.tuple(stride)
			p.b.WriteByte(0x89) // NEWFALSE: requires_grad
			p.global("collections", "OrderedDict")
			p.b.WriteString(")R") // backward_hooks: OrderedDict()
			p.b.WriteString("tR") // TUPLE REDUCE
		}
		p.b.WriteByte('u') // SETITEMS
	}
	p.b.WriteByte('.') // STOP
	return p.b.Bytes()
}

// global writes GLOBAL module.name the first time, then BINGET of its memo
// entry.
func (p *pickler) global(module, name string) {
	key := module + "\n" + name + "\n"
	if i, ok := p.memo[key]; ok {
		p.get(i)
		return
	}
	p.b.WriteByte('c')
	p.b.WriteString(key)
	i := len(p.memo)
	p.memo[key] = i
	if i < 256 {
		p.b.WriteByte('q') // BINPUT
		p.b.WriteByte(byte(i))
	} else {
		p.b.WriteByte('r') // LONG_BINPUT
		binary.Write(&p.b, binary.LittleEndian, uint32(i))
	}
}

func (p *pickler) get(i int) {
	if i < 256 {
		p.b.WriteByte('h') // BINGET
		p.b.WriteByte(byte(i))
		return
	}
	p.b.WriteByte('j') // LONG_BINGET
	binary.Write(&p.b, binary.LittleEndian, uint32(i))
}

func (p *pickler) str(s string) {
	p.b.WriteByte('X') // BINUNICODE
	binary.Write(&p.b, binary.LittleEndian, uint32(len(s)))
	p.b.WriteString(s)
}

// int writes n >= 0 as Python's pickler does.
func (p *pickler) int(n int) {
	switch {
	case n < 1<<8:
		p.b.WriteByte('K') // BININT1
		p.b.WriteByte(byte(n))
	case n < 1<<16:
		p.b.WriteByte('M') // BININT2
		binary.Write(&p.b, binary.LittleEndian, uint16(n))
	case n < 1<<31:
		p.b.WriteByte('J') // BININT
		binary.Write(&p.b, binary.LittleEndian, int32(n))
	default:
		// LONG1: little-endian two's complement, with a zero byte on top
		// when the highest bit is set.
		var le [9]byte
		binary.LittleEndian.PutUint64(le[:], uint64(n))
		k := 8
		for k > 1 && le[k-1] == 0 && le[k-2]&0x80 == 0 {
			k--
		}
		if le[k-1]&0x80 != 0 {
			k++
		}
		p.b.WriteByte(0x8a)
		p.b.WriteByte(byte(k))
		p.b.Write(le[:k])
	}
}

func (p *pickler) tuple(v []int) {
	switch len(v) {
	case 0:
		p.b.WriteByte(')') // EMPTY_TUPLE
		return
	case 1, 2, 3:
		for _, n := range v {
			p.int(n)
		}
		p.b.WriteByte(byte(0x84 + len(v))) // TUPLE1, TUPLE2, TUPLE3
		return
	}
	p.b.WriteByte('(')
	for _, n := range v {
		p.int(n)
	}
	p.b.WriteByte('t')
}
