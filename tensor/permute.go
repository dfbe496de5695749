package tensor

import (
	"fmt"
	"slices"
)

// Permute returns x with its dimensions reordered: dimension i of the
// result is dimension dims[i] of x (negative counts from the end), as
// x.permute(dims). The result is a contiguous copy, as x.permute(dims)
// .contiguous().
func Permute(x *Tensor, dims ...int) *Tensor {
	r := x.Dim()
	if len(dims) != r {
		panic(fmt.Sprintf("tensor.Permute: %d dims for a tensor of shape %v", len(dims), x.shape))
	}
	if r > maxLoopDims {
		panic(fmt.Sprintf("tensor.Permute: more than %d dimensions (shape %v)", maxLoopDims, x.shape))
	}
	var perm [maxLoopDims]int
	var seen [maxLoopDims]bool
	var shape [maxLoopDims]int
	for i, d := range dims {
		d = normDim("Permute", d, r)
		if seen[d] {
			panic(fmt.Sprintf("tensor.Permute: dim %d repeated in %v", d, slices.Clone(dims)))
		}
		seen[d], perm[i], shape[i] = true, d, x.shape[d]
	}
	out := x.mode().empty(shape[:r]...)
	l := permuteLoop(x.shape, perm[:r])
	n, sx := l.n(), l.inner(1)
	for rows := l.rows(); rows > 0; rows-- {
		o, xs := out.data[l.off[0]:l.off[0]+n], x.data[l.off[1]:]
		for i := range o {
			o[i] = xs[i*sx]
		}
		l.next()
	}
	if nd := recordNode(out, 0, permuteBackward, x); nd != nil {
		nd.int32s = x.mode().scratchInt32(r)
		for i := range r {
			nd.int32s[i] = int32(perm[i])
		}
	}
	if s := out.mode(); s.tracing() {
		s.traceOp("Permute", slices.Clone(perm[:r]), out, x)
	}
	return out
}

// permuteLoop returns the loop over the permuted shape with the operands
// the result (contiguous) and x (xShape), read along the permutation.
func permuteLoop(xShape []int, perm []int) stridedLoop {
	var shape, so, xs, sx [maxLoopDims]int
	r := len(xShape)
	contiguousStrides(xShape, xs[:r])
	for i, d := range perm {
		shape[i], sx[i] = xShape[d], xs[d]
	}
	return newStridedLoop("Permute", shape[:r], contiguousStrides(shape[:r], so[:r]), sx[:r], nil)
}

func permuteBackward(nd *node, g []float32) {
	x := nd.ins[0]
	d, fresh := gradOut(x)
	if d == nil {
		return
	}
	var perm [maxLoopDims]int
	for i, v := range nd.int32s {
		perm[i] = int(v)
	}
	l := permuteLoop(x.shape, perm[:len(nd.int32s)])
	n, sx := l.n(), l.inner(1)
	for rows := l.rows(); rows > 0; rows-- {
		gg, dd := g[l.off[0]:l.off[0]+n], d[l.off[1]:]
		if fresh {
			for i, v := range gg {
				dd[i*sx] = v
			}
		} else {
			for i, v := range gg {
				dd[i*sx] += v
			}
		}
		l.next()
	}
}

// Transpose returns x with dimensions d0 and d1 swapped (negative count
// from the end), as x.transpose(d0, d1).contiguous().
func Transpose(x *Tensor, d0, d1 int) *Tensor {
	r := x.Dim()
	d0, d1 = normDim("Transpose", d0, r), normDim("Transpose", d1, r)
	var perm [maxLoopDims]int
	if r > len(perm) {
		panic(fmt.Sprintf("tensor.Transpose: more than %d dimensions (shape %v)", maxLoopDims, x.shape))
	}
	for i := range r {
		perm[i] = i
	}
	perm[d0], perm[d1] = d1, d0
	return Permute(x, perm[:r]...)
}
