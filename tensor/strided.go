package tensor

import (
	"fmt"
	"slices"
)

// maxLoopDims is the most dimensions a strided loop has once the
// dimensions that can be merged are (shapes of any rank whose broadcast,
// reduced or permuted dimensions do not alternate more often than that).
const maxLoopDims = 12

// A strided loop visits every element of a shape, keeping for each of up
// to three operands the offset of the element in its storage: each
// operand moves by its own stride along each dimension, 0 where it is
// broadcast (or reduced into). Adjacent dimensions that every operand
// walks as one are merged and dimensions of size 1 dropped, so a loop over
// same-shape operands is a single row, and a bias over NCHW a few.
//
// The loop runs row by row: the last (merged) dimension is the row, of
// length n with each operand's stride inner[k]; off[k] is where operand k's
// row starts, and next moves to the next row.
type stridedLoop struct {
	rank  int
	shape [maxLoopDims]int
	st    [3][maxLoopDims]int
	k     int // operands
	// The current position: the index along each outer dimension and
	// each operand's offset.
	idx [maxLoopDims]int
	off [3]int
}

// newStridedLoop returns a loop over shape for the operands whose strides
// along shape's dimensions are given (len(shape) each; nil for unused).
func newStridedLoop(op string, shape []int, s0, s1, s2 []int) stridedLoop {
	var l stridedLoop
	strides := [3][]int{s0, s1, s2}
	for l.k < 3 && strides[l.k] != nil {
		l.k++
	}
	for d, size := range shape {
		if size == 1 {
			continue
		}
		if r := l.rank; r > 0 {
			merge := true
			for k := 0; k < l.k; k++ {
				if l.st[k][r-1] != strides[k][d]*size {
					merge = false
					break
				}
			}
			if merge {
				l.shape[r-1] *= size
				for k := 0; k < l.k; k++ {
					l.st[k][r-1] = strides[k][d]
				}
				continue
			}
		}
		if l.rank == maxLoopDims {
			panic(fmt.Sprintf("tensor.%s: shape %v needs more than %d strided dimensions", op, slices.Clone(shape), maxLoopDims))
		}
		l.shape[l.rank] = size
		for k := 0; k < l.k; k++ {
			l.st[k][l.rank] = strides[k][d]
		}
		l.rank++
	}
	if l.rank == 0 {
		l.shape[0], l.rank = 1, 1
	}
	return l
}

// rows returns how many rows the loop has (0 if the shape is empty).
func (l *stridedLoop) rows() int {
	n := 1
	for d := 0; d < l.rank-1; d++ {
		n *= l.shape[d]
	}
	if l.shape[l.rank-1] == 0 {
		return 0
	}
	return n
}

// n returns the row length.
func (l *stridedLoop) n() int { return l.shape[l.rank-1] }

// inner returns operand k's stride along the row.
func (l *stridedLoop) inner(k int) int { return l.st[k][l.rank-1] }

// next moves to the next row.
func (l *stridedLoop) next() {
	for d := l.rank - 2; d >= 0; d-- {
		l.idx[d]++
		for k := 0; k < l.k; k++ {
			l.off[k] += l.st[k][d]
		}
		if l.idx[d] < l.shape[d] {
			return
		}
		for k := 0; k < l.k; k++ {
			l.off[k] -= l.st[k][d] * l.shape[d]
		}
		l.idx[d] = 0
	}
}

// contiguousStrides writes the row-major strides of shape into dst
// (len(shape) long) and returns it.
func contiguousStrides(shape, dst []int) []int {
	s := 1
	for d := len(shape) - 1; d >= 0; d-- {
		dst[d] = s
		s *= shape[d]
	}
	return dst
}

// broadcastStrides writes into dst (len(out) long) the strides by which
// an operand of the given shape moves along the dimensions of out, which
// it broadcasts to: shapes align at the right, and the operand's stride is
// 0 along a dimension it lacks or has of size 1.
func broadcastStrides(shape, out, dst []int) []int {
	lead := len(out) - len(shape)
	s := 1
	for d := len(out) - 1; d >= 0; d-- {
		i := d - lead
		if i < 0 || shape[i] == 1 {
			dst[d] = 0
		} else {
			dst[d] = s
		}
		if i >= 0 {
			s *= shape[i]
		}
	}
	return dst
}

// broadcastShape returns the shape that a and b broadcast to, as
// PyTorch's broadcasting rules make it, written into buf when it fits.
func broadcastShape(op string, a, b []int, buf []int) []int {
	n := max(len(a), len(b))
	out := buf[:0]
	if cap(out) < n {
		out = make([]int, 0, n)
	}
	out = out[:n]
	for d := 0; d < n; d++ {
		da, db := 1, 1
		if i := d - (n - len(a)); i >= 0 {
			da = a[i]
		}
		if i := d - (n - len(b)); i >= 0 {
			db = b[i]
		}
		switch {
		case da == db, db == 1:
			out[d] = da
		case da == 1:
			out[d] = db
		default:
			panic(fmt.Sprintf("tensor.%s: shapes %v and %v do not broadcast", op, slices.Clone(a), slices.Clone(b)))
		}
	}
	return out
}

// normDim returns dim counted from the front of a rank-dimensional shape
// (negative dim counts from the end), or panics.
func normDim(op string, dim, rank int) int {
	if dim < -rank || dim >= rank {
		panic(fmt.Sprintf("tensor.%s: dim %d is out of range for %d dimensions", op, dim, rank))
	}
	if dim < 0 {
		dim += rank
	}
	return dim
}

// scopeOfAll is scopeOf for any number of tensors.
func scopeOfAll(xs []*Tensor) *Scope {
	var s *Scope
	for _, t := range xs {
		if t == nil || t.scope == nil || t.scope == s {
			continue
		}
		if s != nil {
			panic("tensor: an operation on tensors of two scopes (bring one into the other's with Scope.Input)")
		}
		s = t.scope
	}
	return s
}
