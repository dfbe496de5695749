package tensor

import (
	"fmt"
	"slices"
)

// Gather returns the slices of x along dim (negative counts from the end)
// at the given indices, as ONNX Gather and numpy.take(x, indices, axis=dim)
// (torch.index_select for a 1-D index): indices holds the values of an
// index tensor of shape indexShape, row-major, and the result has shape
//
//	x.shape[:dim] + indexShape + x.shape[dim+1:]
//
// so an index of shape [] (one index, a scalar) removes dim, and one of
// shape [k] keeps it with size k. A negative index counts from the end of
// dim. It panics, naming Gather, if numel(indexShape) is not len(indices)
// or an index is outside [-size, size) for x's size along dim. The
// indices are copied: the caller may reuse the slice.
//
// The gradient adds each element of the output gradient into the element
// of x it was taken from (an index that repeats gathers the sum).
func Gather(x *Tensor, dim int, indices []int, indexShape []int) *Tensor {
	if x.Dim() == 0 {
		panic("tensor.Gather: input of no dimensions")
	}
	dim = normDim("Gather", dim, x.Dim())
	if slices.ContainsFunc(indexShape, func(d int) bool { return d < 0 }) {
		panic(fmt.Sprintf("tensor.Gather: negative dimension in index shape %v", slices.Clone(indexShape)))
	}
	if n := numel(indexShape); n != len(indices) {
		panic(fmt.Sprintf("tensor.Gather: %d indices for index shape %v (needs %d)", len(indices), slices.Clone(indexShape), n))
	}
	size := x.shape[dim]
	idx := make([]int, len(indices))
	for i, v := range indices {
		if v < -size || v >= size {
			panic(fmt.Sprintf("tensor.Gather: index %d (element %d) is out of range for size %d of dim %d of %v", v, i, size, dim, x.shape))
		}
		if v < 0 {
			v += size
		}
		idx[i] = v
	}
	shape := make([]int, 0, x.Dim()-1+len(indexShape))
	shape = append(append(append(shape, x.shape[:dim]...), indexShape...), x.shape[dim+1:]...)
	outer, inner := numel(x.shape[:dim]), numel(x.shape[dim+1:])
	out := x.mode().empty(shape...)
	k := len(idx)
	for o := range outer {
		src := x.data[o*size*inner : (o+1)*size*inner]
		dst := out.data[o*k*inner : (o+1)*k*inner]
		for i, v := range idx {
			copy(dst[i*inner:(i+1)*inner], src[v*inner:(v+1)*inner])
		}
	}
	recordReading(out, 0, func(g []float32) {
		dx, fresh := gradOut(x)
		if dx == nil {
			return
		}
		if fresh {
			clear(dx)
		}
		for o := range outer {
			src := g[o*k*inner : (o+1)*k*inner]
			dst := dx[o*size*inner : (o+1)*size*inner]
			for i, v := range idx {
				d, s := dst[v*inner:(v+1)*inner], src[i*inner:(i+1)*inner]
				for j, gv := range s {
					d[j] += gv
				}
			}
		}
	}, x)
	return out
}
