package pb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// dataLocationExternal is TensorProto.DataLocation EXTERNAL.
const dataLocationExternal = 1

// NumElements is the product of t's dims, 1 for none (a scalar). Dims
// beyond DefaultLimits (more than MaxDims of them, one negative, a
// product over MaxElements) are an error.
func (t *Tensor) NumElements() (int64, error) {
	n, err := numElements(t.Dims, DefaultLimits)
	if err != nil {
		return 0, t.errorf("%v", err)
	}
	return n, nil
}

// numElements is the product of dims, if they are within lim.
func numElements(dims []int64, lim Limits) (int64, error) {
	if len(dims) > lim.MaxDims {
		return 0, fail("%d dims, more than %d", len(dims), lim.MaxDims)
	}
	n := int64(1)
	for i, d := range dims {
		if d < 0 {
			return 0, fail("dims[%d] is %d, negative", i, d)
		}
		if d > lim.MaxElements || d != 0 && n > lim.MaxElements/d {
			return 0, fail("dims %v make more than %d elements", dims, lim.MaxElements)
		}
		n *= d
	}
	return n, nil
}

// Floats returns t's values as float32s. FLOAT, DOUBLE, FLOAT16 and
// BFLOAT16 tensors are converted, and so are integer and BOOL ones; other
// data types are an error. The values come from RawData (little-endian)
// when it is not empty, else from the field ONNX keeps the data type in
// (FloatData, DoubleData, Int64Data, Uint64Data for UINT32 and UINT64,
// Int32Data for the rest), or, when DataLocation is EXTERNAL, from the
// file that External names inside dir (see below). Their number must be
// NumElements.
//
// External data is refused when dir is "". Its "location" must be a
// relative path that stays inside dir, symbolic links included; its
// "offset" and "length" (bytes; by default 0 and the rest of the file)
// must lie within the file, and the length must be that of
// NumElements values.
func (t *Tensor) Floats(dir string) ([]float32, error) {
	switch t.DataType {
	case Float, Double, Float16, Bfloat16, Int8, Uint8, Int16, Uint16, Int32, Uint32, Int64, Uint64, Bool:
	default:
		return nil, t.errorf("data type %d is not a real number", t.DataType)
	}
	n, get, err := t.elems(dir)
	if err != nil {
		return nil, err
	}
	v := make([]float32, n)
	for i := range v {
		u := get(i)
		switch t.DataType {
		case Float:
			v[i] = math.Float32frombits(uint32(u))
		case Double:
			v[i] = float32(math.Float64frombits(u))
		case Float16:
			v[i] = half(uint16(u))
		case Bfloat16:
			v[i] = math.Float32frombits(uint32(uint16(u)) << 16)
		case Uint64:
			v[i] = float32(u)
		default:
			v[i] = float32(integer(t.DataType, u))
		}
	}
	return v, nil
}

// Int64s returns t's values as int64s, for integer and BOOL tensors (a
// BOOL is 0 or 1); other data types, and UINT64 values over the int64
// range, are an error. The values are found as by Floats.
func (t *Tensor) Int64s(dir string) ([]int64, error) {
	switch t.DataType {
	case Int8, Uint8, Int16, Uint16, Int32, Uint32, Int64, Uint64, Bool:
	default:
		return nil, t.errorf("data type %d is not an integer", t.DataType)
	}
	n, get, err := t.elems(dir)
	if err != nil {
		return nil, err
	}
	v := make([]int64, n)
	for i := range v {
		u := get(i)
		if t.DataType == Uint64 && u > math.MaxInt64 {
			return nil, t.errorf("value %d at %d is beyond int64", u, i)
		}
		v[i] = integer(t.DataType, u)
	}
	return v, nil
}

// integer is the value of an element of integer data type dt from its
// bits as elems gives them.
func integer(dt int32, u uint64) int64 {
	switch dt {
	case Int8:
		return int64(int8(u))
	case Uint8:
		return int64(uint8(u))
	case Int16:
		return int64(int16(u))
	case Uint16:
		return int64(uint16(u))
	case Int32:
		return int64(int32(u))
	case Uint32:
		return int64(uint32(u))
	case Bool:
		if u != 0 {
			return 1
		}
		return 0
	}
	return int64(u)
}

// half converts an IEEE 754 half-precision number to float32 exactly.
func half(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // infinities and NaNs
		return math.Float32frombits(sign | 0xff<<23 | man<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
	}
	v := float32(man) / (1 << 24) // subnormal (or zero): man × 2⁻²⁴
	if sign != 0 {
		v = -v
	}
	return v
}

// rawSize is the size in RawData of one element of data type dt, 0 for
// types Floats and Int64s do not read.
func rawSize(dt int32) int {
	switch dt {
	case Uint8, Int8, Bool:
		return 1
	case Uint16, Int16, Float16, Bfloat16:
		return 2
	case Float, Int32, Uint32:
		return 4
	case Int64, Double, Uint64:
		return 8
	}
	return 0
}

// elems finds t's values: their number, which is NumElements, and get,
// which gives the bits of value i, zero-extended to 64 (from Int32Data,
// those of the int32 as a uint32).
func (t *Tensor) elems(dir string) (n int, get func(i int) uint64, err error) {
	n64, err := t.NumElements()
	if err != nil {
		return 0, nil, err
	}
	n = int(n64)
	if int64(n) != n64 {
		return 0, nil, t.errorf("%d elements are too many for this machine", n64)
	}
	size := rawSize(t.DataType)
	if size == 0 {
		return 0, nil, t.errorf("data type %d is not read", t.DataType)
	}
	var count int
	var raw []byte
	switch {
	case t.DataLocation == dataLocationExternal:
		if raw, err = t.external(dir, size, n); err != nil {
			return 0, nil, err
		}
		count = n
	case len(t.RawData) > 0:
		raw = t.RawData
		if len(raw)%size != 0 {
			return 0, nil, t.errorf("raw data of %d bytes for %d-byte values", len(raw), size)
		}
		count = len(raw) / size
	case t.DataType == Float:
		count, get = len(t.FloatData), func(i int) uint64 { return uint64(math.Float32bits(t.FloatData[i])) }
	case t.DataType == Double:
		count, get = len(t.DoubleData), func(i int) uint64 { return math.Float64bits(t.DoubleData[i]) }
	case t.DataType == Int64:
		count, get = len(t.Int64Data), func(i int) uint64 { return uint64(t.Int64Data[i]) }
	case t.DataType == Uint32 || t.DataType == Uint64:
		count, get = len(t.Uint64Data), func(i int) uint64 { return t.Uint64Data[i] }
	default:
		count, get = len(t.Int32Data), func(i int) uint64 { return uint64(uint32(t.Int32Data[i])) }
	}
	if count != n {
		return 0, nil, t.errorf("%d values for dims %v", count, t.Dims)
	}
	if raw != nil {
		get = func(i int) uint64 {
			b := raw[i*size:]
			switch size {
			case 1:
				return uint64(b[0])
			case 2:
				return uint64(binary.LittleEndian.Uint16(b))
			case 4:
				return uint64(binary.LittleEndian.Uint32(b))
			}
			return binary.LittleEndian.Uint64(b)
		}
	}
	return n, get, nil
}

// external reads the n values of size bytes each that t's External
// entries place in a file inside dir.
func (t *Tensor) external(dir string, size, n int) ([]byte, error) {
	if dir == "" {
		return nil, t.errorf("external data refused: no directory to read it from")
	}
	var loc string
	off, length := int64(0), int64(-1)
	for _, e := range t.External {
		switch e.Key {
		case "location":
			loc = e.Value
		case "offset", "length":
			v, err := strconv.ParseInt(e.Value, 10, 64)
			if err != nil || v < 0 {
				return nil, t.errorf("external data %s %q is not a byte count", e.Key, e.Value)
			}
			if e.Key == "offset" {
				off = v
			} else {
				length = v
			}
		}
	}
	switch {
	case loc == "":
		return nil, t.errorf("external data without a location")
	case filepath.IsAbs(loc):
		return nil, t.errorf("external data location %q is absolute", loc)
	case !filepath.IsLocal(loc):
		return nil, t.errorf("external data location %q is outside the model's directory", loc)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, t.errorf("external data: %v", err)
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(loc)) // refuses a symbolic link out of dir
	if err != nil {
		return nil, t.errorf("external data: %v", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, t.errorf("external data: %v", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, t.errorf("external data location %q is not a regular file", loc)
	}
	fsize := fi.Size()
	if off > fsize {
		return nil, t.errorf("external data offset %d is past the end of %s (%d bytes)", off, loc, fsize)
	}
	if length < 0 {
		length = fsize - off
	} else if length > fsize-off {
		return nil, t.errorf("external data offset %d and length %d go past the end of %s (%d bytes)", off, length, loc, fsize)
	}
	if length > DefaultLimits.MaxElements*8 {
		return nil, t.errorf("external data length %d is over %d bytes", length, DefaultLimits.MaxElements*8)
	}
	if length%int64(size) != 0 {
		return nil, t.errorf("external data of %d bytes for %d-byte values", length, size)
	}
	if length/int64(size) != int64(n) {
		return nil, t.errorf("%d values for dims %v", length/int64(size), t.Dims)
	}
	b := make([]byte, length)
	if _, err := io.ReadFull(io.NewSectionReader(f, off, length), b); err != nil {
		return nil, t.errorf("external data: reading %s: %v", loc, err)
	}
	return b, nil
}

// errorf is an error about t, which it names.
func (t *Tensor) errorf(format string, a ...any) error {
	name := t.Name
	if name == "" {
		name = "(unnamed)"
	}
	return errors.New("tensor " + name + ": " + fmt.Sprintf(format, a...))
}

// FloatTensor is a FLOAT tensor of the given name and dims holding v in
// RawData, for writing; len(v) should be the product of dims, which
// Floats checks when reading. dims is copied; empty dims (a scalar) are nil.
func FloatTensor(name string, dims []int64, v []float32) *Tensor {
	var raw []byte
	if len(v) > 0 {
		raw = make([]byte, 0, 4*len(v))
	}
	for _, x := range v {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(x))
	}
	return &Tensor{Name: name, Dims: cloneDims(dims), DataType: Float, RawData: raw}
}

// Int64Tensor is an INT64 tensor of the given name and dims holding v in
// RawData, as FloatTensor is a FLOAT one.
func Int64Tensor(name string, dims []int64, v []int64) *Tensor {
	var raw []byte
	if len(v) > 0 {
		raw = make([]byte, 0, 8*len(v))
	}
	for _, x := range v {
		raw = binary.LittleEndian.AppendUint64(raw, uint64(x))
	}
	return &Tensor{Name: name, Dims: cloneDims(dims), DataType: Int64, RawData: raw}
}

func cloneDims(dims []int64) []int64 {
	if len(dims) == 0 {
		return nil
	}
	return append([]int64(nil), dims...)
}
