package onnx

import (
	"fmt"
	"slices"

	"github.com/convnet/convnet/onnx/internal/pb"
	"github.com/convnet/convnet/tensor"
)

// value is what flows along an edge of a graph: float data as a tensor,
// which autograd follows, or integer data (shapes, indices, masks) as
// int64s with their shape and ONNX type, which it does not.
type value struct {
	t     *tensor.Tensor
	ints  []int64
	shape []int
	typ   int32 // the ONNX type of ints (Int64, Int32, Bool...)
	set   bool
}

func floatValue(t *tensor.Tensor) value { return value{t: t, typ: pb.Float, set: true} }

func intValue(v []int64, shape []int) value {
	return value{ints: v, shape: shape, typ: pb.Int64, set: true}
}

// ok reports whether the value was computed (or given).
func (v value) ok() bool { return v.set }

func (v value) isFloat() bool { return v.t != nil }

// dims returns the value's shape.
func (v value) dims() []int {
	if v.t != nil {
		return v.t.Shape()
	}
	return v.shape
}

// intList returns an integer value's entries as ints, for operators that
// take a list (shapes, axes, pads); a float value is an error.
func (v value) intList(what string) ([]int, error) {
	if v.t != nil {
		return nil, fmt.Errorf("%s must be an integer tensor, got float", what)
	}
	out := make([]int, len(v.ints))
	for i, x := range v.ints {
		out[i] = int(x)
	}
	return out, nil
}

// scalarFloat returns a one-element value as a float (Clip's bounds, a
// Pad's value, Dropout's ratio).
func (v value) scalarFloat(what string) (float32, error) {
	switch {
	case v.t != nil && v.t.Numel() == 1:
		return v.t.Data()[0], nil
	case v.t == nil && len(v.ints) == 1:
		return float32(v.ints[0]), nil
	}
	return 0, fmt.Errorf("%s must hold one value, has shape %v", what, v.dims())
}

// asFloat returns the value as a float tensor, converting integers.
func (v value) asFloat() *tensor.Tensor {
	if v.t != nil {
		return v.t
	}
	f := make([]float32, len(v.ints))
	for i, x := range v.ints {
		f[i] = float32(x)
	}
	return tensor.New(f, slices.Clone(v.shape)...)
}

func typeName(t int32) string {
	switch t {
	case pb.Float:
		return "float32"
	case pb.Double:
		return "float64"
	case pb.Float16:
		return "float16"
	case pb.Bfloat16:
		return "bfloat16"
	case pb.Int64:
		return "int64"
	case pb.Int32:
		return "int32"
	case pb.Int16:
		return "int16"
	case pb.Int8:
		return "int8"
	case pb.Uint8:
		return "uint8"
	case pb.Uint16:
		return "uint16"
	case pb.Uint32:
		return "uint32"
	case pb.Uint64:
		return "uint64"
	case pb.Bool:
		return "bool"
	case pb.String:
		return "string"
	}
	return fmt.Sprintf("type %d", t)
}

// isIntType reports whether ONNX type t is carried as int64s.
func isIntType(t int32) bool {
	switch t {
	case pb.Int64, pb.Int32, pb.Int16, pb.Int8, pb.Uint8, pb.Uint16, pb.Uint32, pb.Uint64, pb.Bool:
		return true
	}
	return false
}
