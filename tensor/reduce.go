package tensor

import (
	"fmt"
	"math"
	"slices"
)

// Sum returns the sum of all elements as a one-element tensor (of no
// dimensions, as PyTorch's x.sum()).
func Sum(x *Tensor) *Tensor { return reduceAll("Sum", x, false) }

// Mean returns the mean of all elements as a one-element tensor (of no
// dimensions, as PyTorch's x.mean()).
func Mean(x *Tensor) *Tensor { return reduceAll("Mean", x, true) }

func reduceAll(op string, x *Tensor, mean bool) *Tensor {
	var s float64
	for _, v := range x.data {
		s += float64(v)
	}
	scale := float32(1)
	if mean {
		scale = 1 / float32(max(len(x.data), 1))
		if len(x.data) == 0 {
			s = math.NaN()
		}
	}
	out := x.mode().empty()
	out.data[0] = float32(s) * scale
	if nd := recordNode(out, 0, reduceAllBackward, x); nd != nil {
		nd.sizes[0] = int(math.Float32bits(scale))
	}
	if s := out.mode(); s.tracing() {
		s.traceOp(op, ReduceAttrs{}, out, x)
	}
	return out
}

func reduceAllBackward(nd *node, g []float32) {
	d, fresh := gradOut(nd.ins[0])
	if d == nil {
		return
	}
	v := g[0] * math.Float32frombits(uint32(nd.sizes[0]))
	if fresh {
		for i := range d {
			d[i] = v
		}
		return
	}
	for i := range d {
		d[i] += v
	}
}

// SumDims returns the sums of x over the dimensions dims (negative ones
// count from the end), as PyTorch's x.sum(dims, keepdim): the summed
// dimensions stay, of size 1, with keepdim, and go otherwise. No dims sums
// over all of them.
func SumDims(x *Tensor, dims []int, keepdim bool) *Tensor {
	return reduceDims("SumDims", x, dims, keepdim, false)
}

// MeanDims returns the means of x over the dimensions dims, as PyTorch's
// x.mean(dims, keepdim) (see SumDims): MeanDims(x, []int{2, 3}, true) is
// the global average pooling of an N×C×H×W batch, N×C×1×1.
func MeanDims(x *Tensor, dims []int, keepdim bool) *Tensor {
	return reduceDims("MeanDims", x, dims, keepdim, true)
}

// reducePlan checks the dims of a reduction of x and returns x's shape
// with the reduced dimensions 1 (kept), the result's shape and how many
// elements each result element reduces.
func reducePlan(op string, x *Tensor, dims []int, keepdim bool) (kept, outShape [maxLoopDims]int, no, count int) {
	r := x.Dim()
	var reduced [maxLoopDims]bool
	if r > len(reduced) {
		panic(fmt.Sprintf("tensor.%s: more than %d dimensions (shape %v)", op, len(reduced), x.shape))
	}
	for _, d := range dims {
		d = normDim(op, d, r)
		if reduced[d] {
			panic(fmt.Sprintf("tensor.%s: dim %d repeated in %v", op, d, slices.Clone(dims)))
		}
		reduced[d] = true
	}
	if len(dims) == 0 {
		for d := range r {
			reduced[d] = true
		}
	}
	count = 1
	for d, size := range x.shape {
		kept[d] = size
		if reduced[d] {
			kept[d] = 1
			count *= size
			if !keepdim {
				continue
			}
		}
		outShape[no] = kept[d]
		no++
	}
	return kept, outShape, no, count
}

func reduceDims(op string, x *Tensor, dims []int, keepdim, mean bool) *Tensor {
	r := x.Dim()
	kept, outShape, no, count := reducePlan(op, x, dims, keepdim)
	out := x.mode().empty(outShape[:no]...)
	clear(out.data)
	scale := float32(1)
	if mean {
		scale = 1 / float32(count)
	}
	l := reduceLoop(op, x.shape, kept[:r])
	n, so := l.n(), l.inner(1)
	for rows := l.rows(); rows > 0; rows-- {
		xs, o := x.data[l.off[0]:l.off[0]+n], out.data[l.off[1]:]
		if so == 0 {
			var s float64
			for _, v := range xs {
				s += float64(v)
			}
			o[0] += float32(s)
		} else {
			for i, v := range xs {
				o[i*so] += v
			}
		}
		l.next()
	}
	if mean {
		for i := range out.data {
			out.data[i] *= scale
		}
	}
	if nd := recordNode(out, 0, reduceDimsBackward, x); nd != nil {
		nd.sizes[0] = int(math.Float32bits(scale))
		nd.int32s = x.mode().scratchInt32(r)
		for d := range r {
			nd.int32s[d] = int32(kept[d])
		}
	}
	if s := out.mode(); s.tracing() {
		s.traceOp(op, ReduceAttrs{Dims: traceDims(dims, r), KeepDim: keepdim}, out, x)
	}
	return out
}

// reduceLoop returns the loop over shape with the operands x (contiguous)
// and the reduction's result, kept (shape with the reduced dimensions 1),
// which stays in place along them.
func reduceLoop(op string, shape, kept []int) stridedLoop {
	var sx, so [maxLoopDims]int
	r := len(shape)
	broadcastStrides(kept, shape, so[:r])
	return newStridedLoop(op, shape, contiguousStrides(shape, sx[:r]), so[:r], nil)
}

func reduceDimsBackward(nd *node, g []float32) {
	x := nd.ins[0]
	d, fresh := gradOut(x)
	if d == nil {
		return
	}
	scale := math.Float32frombits(uint32(nd.sizes[0]))
	var kept [maxLoopDims]int
	for i, v := range nd.int32s {
		kept[i] = int(v)
	}
	l := reduceLoop("backward", x.shape, kept[:len(nd.int32s)])
	n, so := l.n(), l.inner(1)
	for rows := l.rows(); rows > 0; rows-- {
		dd, gg := d[l.off[0]:l.off[0]+n], g[l.off[1]:]
		switch {
		case fresh:
			for i := range dd {
				dd[i] = gg[i*so] * scale
			}
		default:
			for i := range dd {
				dd[i] += gg[i*so] * scale
			}
		}
		l.next()
	}
}

// AmaxDims returns the maxima of x over the dimensions dims (see
// SumDims), as PyTorch's x.amax(dims, keepdim): the gradient is shared
// evenly among the elements that equal the maximum.
func AmaxDims(x *Tensor, dims []int, keepdim bool) *Tensor {
	return extremeDims("AmaxDims", x, dims, keepdim, true)
}

// AminDims returns the minima of x over the dimensions dims, as PyTorch's
// x.amin(dims, keepdim) (see AmaxDims).
func AminDims(x *Tensor, dims []int, keepdim bool) *Tensor {
	return extremeDims("AminDims", x, dims, keepdim, false)
}

func extremeDims(op string, x *Tensor, dims []int, keepdim, isMax bool) *Tensor {
	r := x.Dim()
	kept, outShape, no, count := reducePlan(op, x, dims, keepdim)
	if count == 0 {
		panic(fmt.Sprintf("tensor.%s: reducing %v over dims %v, which are empty", op, x.shape, slices.Clone(dims)))
	}
	out := x.mode().empty(outShape[:no]...)
	init := float32(math.Inf(-1))
	if !isMax {
		init = float32(math.Inf(1))
	}
	for i := range out.data {
		out.data[i] = init
	}
	l := reduceLoop(op, x.shape, kept[:r])
	n, so := l.n(), l.inner(1)
	for rows := l.rows(); rows > 0; rows-- {
		xs, o := x.data[l.off[0]:l.off[0]+n], out.data[l.off[1]:]
		for i, v := range xs {
			// max and min keep a NaN, as PyTorch's amax and amin.
			if isMax {
				o[i*so] = max(o[i*so], v)
			} else {
				o[i*so] = min(o[i*so], v)
			}
		}
		l.next()
	}
	if nd := recordNode(out, readsInputs|readsOutput, extremeDimsBackward, x); nd != nil {
		nd.int32s = x.mode().scratchInt32(r)
		for d := range r {
			nd.int32s[d] = int32(kept[d])
		}
	}
	if s := out.mode(); s.tracing() {
		s.traceOp(op, ReduceAttrs{Dims: traceDims(dims, r), KeepDim: keepdim}, out, x)
	}
	return out
}

// extremeDimsBackward shares each result element's gradient evenly among
// the elements of x that equal it.
func extremeDimsBackward(nd *node, g []float32) {
	x, out := nd.ins[0], nd.out
	d, fresh := gradOut(x)
	if d == nil {
		return
	}
	if fresh {
		clear(d)
	}
	var kept [maxLoopDims]int
	for i, v := range nd.int32s {
		kept[i] = int(v)
	}
	ties := x.mode().scratch(len(out.data))
	clear(ties)
	for pass := 0; pass < 2; pass++ {
		l := reduceLoop("backward", x.shape, kept[:len(nd.int32s)])
		n, so := l.n(), l.inner(1)
		for rows := l.rows(); rows > 0; rows-- {
			xs, dd := x.data[l.off[0]:l.off[0]+n], d[l.off[0]:l.off[0]+n]
			y, gg, tt := out.data[l.off[1]:], g[l.off[1]:], ties[l.off[1]:]
			for i, v := range xs {
				if v != y[i*so] {
					continue
				}
				if pass == 0 {
					tt[i*so]++
				} else {
					dd[i] += gg[i*so] / tt[i*so]
				}
			}
			l.next()
		}
	}
}

// Expand returns x broadcast to shape (see Add), a copy, as
// x.expand(shape).contiguous(); -1 keeps x's size. The gradient sums over
// the dimensions x was stretched along.
func Expand(x *Tensor, shape ...int) *Tensor {
	var buf [8]int
	dims := append(buf[:0], shape...)
	lead := len(dims) - x.Dim()
	if lead < 0 {
		panic(fmt.Sprintf("tensor.Expand: shape %v has fewer dimensions than %v", slices.Clone(shape), x.shape))
	}
	for i := range x.shape {
		if dims[lead+i] == -1 {
			dims[lead+i] = x.shape[i]
		}
	}
	var bb [8]int
	if b := broadcastShape("Expand", x.shape, dims, bb[:]); !slices.Equal(b, dims) {
		panic(fmt.Sprintf("tensor.Expand: %v does not expand to %v", x.shape, slices.Clone(shape)))
	}
	// x + 0 of the target shape, as one broadcast: a zero tensor of the
	// scope's would cost a pass; a loop of its own copies.
	out := x.mode().empty(dims...)
	l := broadcastLoop("Expand", x, x, dims)
	n, sx := l.n(), l.inner(1)
	for r := l.rows(); r > 0; r-- {
		o, xs := out.data[l.off[0]:l.off[0]+n], x.data[l.off[1]:]
		for i := range o {
			o[i] = xs[i*sx]
		}
		l.next()
	}
	recordNode(out, 0, expandBackward, x)
	if s := out.mode(); s.tracing() {
		s.traceOp("Expand", slices.Clone(out.shape), out, x)
	}
	return out
}

func expandBackward(nd *node, g []float32) {
	x, out := nd.ins[0], nd.out
	d, fresh := gradOut(x)
	if d == nil {
		return
	}
	if fresh {
		clear(d)
	}
	l := broadcastLoop("Expand", x, x, out.shape)
	n, sx := l.n(), l.inner(1)
	for r := l.rows(); r > 0; r-- {
		gg, dd := g[l.off[0]:l.off[0]+n], d[l.off[1]:]
		if sx == 0 {
			var s float32
			for _, v := range gg {
				s += v
			}
			dd[0] += s
		} else {
			for i, v := range gg {
				dd[i*sx] += v
			}
		}
		l.next()
	}
}
