// Package safetensors reads and writes files in the safetensors format.
//
// A safetensors file is an 8-byte little-endian unsigned header length N,
// then N bytes of UTF-8 JSON header, then the raw tensor data. The header
// is a JSON object mapping each tensor name to its dtype, shape and
// data_offsets (a [begin, end) byte range relative to the start of the data
// section), plus an optional "__metadata__" object of string values. The
// header may be padded at the end with spaces.
//
// Readers in this package validate a file as the reference implementation
// does: the header must be at most [MaxHeaderSize] bytes, every tensor's byte
// range must match its shape and dtype, and the ranges, sorted by offset,
// must tile the data section exactly, with no gaps or overlaps.
package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
)

// MaxHeaderSize is the largest JSON header, in bytes, that readers accept
// and writers produce.
const MaxHeaderSize = 100 << 20

// metadataKey is the reserved header key that holds the file's metadata.
const metadataKey = "__metadata__"

// dtypeBits gives the size in bits of one element of each known dtype.
var dtypeBits = map[string]uint64{
	"BOOL":    8,
	"F4":      4,
	"F6_E2M3": 6,
	"F6_E3M2": 6,
	"U8":      8,
	"I8":      8,
	"F8_E5M2": 8,
	"F8_E4M3": 8,
	"F8_E8M0": 8,
	"I16":     16,
	"U16":     16,
	"F16":     16,
	"BF16":    16,
	"I32":     32,
	"U32":     32,
	"F32":     32,
	"F64":     64,
	"C64":     64,
	"I64":     64,
	"U64":     64,
}

// Tensor is one tensor: its dtype name (such as "F32" or "I64"), its shape
// and its elements as raw little-endian bytes in row-major order. A scalar
// has an empty shape and one element. Any dtype known to the reference
// implementation is accepted; its data are kept as raw bytes.
type Tensor struct {
	DType string
	Shape []int
	Data  []byte
}

// File is the content of a safetensors file.
type File struct {
	// Metadata holds the header's "__metadata__" object; it is nil when the
	// header has none.
	Metadata map[string]string
	// Names lists the tensor names in file order, which is the order of
	// their data offsets; zero-size tensors at the same offset are ordered
	// by name.
	Names []string
	// Tensors maps each name in Names to its tensor.
	Tensors map[string]Tensor
}

// Float32s returns the elements of an "F32" tensor. It returns an error if
// the dtype is not "F32" or the data length is not a multiple of 4.
func (t Tensor) Float32s() ([]float32, error) {
	if err := t.check("F32", 4); err != nil {
		return nil, err
	}
	v := make([]float32, len(t.Data)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return v, nil
}

// Int64s returns the elements of an "I64" tensor. It returns an error if
// the dtype is not "I64" or the data length is not a multiple of 8.
func (t Tensor) Int64s() ([]int64, error) {
	if err := t.check("I64", 8); err != nil {
		return nil, err
	}
	v := make([]int64, len(t.Data)/8)
	for i := range v {
		v[i] = int64(binary.LittleEndian.Uint64(t.Data[8*i:]))
	}
	return v, nil
}

func (t Tensor) check(dtype string, size int) error {
	if t.DType != dtype {
		return fmt.Errorf("safetensors: tensor has dtype %q, not %q", t.DType, dtype)
	}
	if len(t.Data)%size != 0 {
		return fmt.Errorf("safetensors: %s tensor has %d data bytes, not a multiple of %d", dtype, len(t.Data), size)
	}
	return nil
}

// FromFloat32s returns an "F32" tensor with the given shape and elements.
// It copies shape and v. It panics if a dimension is negative or the shape's
// element count differs from len(v).
func FromFloat32s(shape []int, v []float32) Tensor {
	t := newTensor("FromFloat32s", "F32", shape, len(v), 4)
	for i, x := range v {
		binary.LittleEndian.PutUint32(t.Data[4*i:], math.Float32bits(x))
	}
	return t
}

// FromInt64s returns an "I64" tensor with the given shape and elements.
// It copies shape and v. It panics if a dimension is negative or the shape's
// element count differs from len(v).
func FromInt64s(shape []int, v []int64) Tensor {
	t := newTensor("FromInt64s", "I64", shape, len(v), 8)
	for i, x := range v {
		binary.LittleEndian.PutUint64(t.Data[8*i:], uint64(x))
	}
	return t
}

func newTensor(fn, dtype string, shape []int, n, size int) Tensor {
	count, err := numElements(shape)
	if err != nil {
		panic("safetensors: " + fn + ": " + err.Error())
	}
	if count != uint64(n) {
		panic(fmt.Sprintf("safetensors: %s: shape %v has %d elements, but %d values were given", fn, shape, count, n))
	}
	return Tensor{DType: dtype, Shape: append([]int{}, shape...), Data: make([]byte, n*size)}
}

// numElements returns the product of the dimensions in shape, or an error
// if a dimension is negative or the product overflows a uint64.
func numElements(shape []int) (uint64, error) {
	n := uint64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d in shape %v", d, shape)
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 {
			return 0, fmt.Errorf("shape %v: element count overflows", shape)
		}
		n = lo
	}
	return n, nil
}

// byteLen returns the number of data bytes a tensor of the given dtype and
// shape occupies.
func byteLen(dtype string, shape []int) (uint64, error) {
	b, ok := dtypeBits[dtype]
	if !ok {
		return 0, fmt.Errorf("unknown dtype %q", dtype)
	}
	n, err := numElements(shape)
	if err != nil {
		return 0, err
	}
	hi, lo := bits.Mul64(n, b)
	if hi != 0 {
		return 0, fmt.Errorf("shape %v of %s: byte size overflows", shape, dtype)
	}
	if lo%8 != 0 {
		return 0, fmt.Errorf("shape %v of %s: %d bits is not a whole number of bytes", shape, dtype, lo)
	}
	return lo / 8, nil
}
