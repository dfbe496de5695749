package tensor

import (
	"fmt"
	"slices"

	"github.com/convnet/convnet/internal/kernels"
)

// Cat returns the tensors xs joined along dim (negative counts from the
// end), as torch.cat(xs, dim): they must have the same number of
// dimensions and the same size along every other one. GoogLeNet's
// inception block joins its branches with Cat(branches, 1).
func Cat(xs []*Tensor, dim int) *Tensor {
	if len(xs) == 0 {
		panic("tensor.Cat: no tensors")
	}
	first := xs[0]
	dim = normDim("Cat", dim, first.Dim())
	total := 0
	for i, x := range xs {
		if x.Dim() != first.Dim() {
			panic(fmt.Sprintf("tensor.Cat: tensor %d has shape %v, tensor 0 %v", i, x.shape, first.shape))
		}
		for d := range x.shape {
			if d != dim && x.shape[d] != first.shape[d] {
				panic(fmt.Sprintf("tensor.Cat: tensor %d has shape %v, tensor 0 %v: they differ outside dim %d", i, x.shape, first.shape, dim))
			}
		}
		total += x.shape[dim]
	}
	var buf [8]int
	shape := append(buf[:0], first.shape...)
	shape[dim] = total
	out := concat(xs, shape, numel(first.shape[:dim]))
	if s := out.mode(); s.tracing() {
		s.traceOp("Cat", dim, out, slices.Clone(xs)...)
	}
	return out
}

// Stack returns the tensors xs, all of one shape, stacked along a new
// dimension dim (0 to their number of dimensions; negative counts from
// the end of the result's), as torch.stack(xs, dim).
func Stack(xs []*Tensor, dim int) *Tensor {
	if len(xs) == 0 {
		panic("tensor.Stack: no tensors")
	}
	first := xs[0]
	dim = normDim("Stack", dim, first.Dim()+1)
	for i, x := range xs {
		if !slices.Equal(x.shape, first.shape) {
			panic(fmt.Sprintf("tensor.Stack: tensor %d has shape %v, tensor 0 %v", i, x.shape, first.shape))
		}
	}
	var buf [8]int
	shape := append(append(append(buf[:0], first.shape[:dim]...), len(xs)), first.shape[dim:]...)
	out := concat(xs, shape, numel(first.shape[:dim]))
	if s := out.mode(); s.tracing() {
		s.traceOp("Stack", dim, out, slices.Clone(xs)...)
	}
	return out
}

// concat joins xs into a tensor of the given shape: each is outer blocks,
// one after the other in xs's order within each block of the result.
func concat(xs []*Tensor, shape []int, outer int) *Tensor {
	s := scopeOfAll(xs)
	out := s.empty(shape...)
	off := 0
	row := len(out.data) / max(outer, 1)
	for _, x := range xs {
		block := len(x.data) / max(outer, 1)
		for o := 0; o < outer; o++ {
			copy(out.data[o*row+off:o*row+off+block], x.data[o*block:(o+1)*block])
		}
		off += block
	}
	if nd := recordNode(out, 0, concatBackward, xs...); nd != nil {
		nd.sizes[0] = outer
	}
	return out
}

func concatBackward(nd *node, g []float32) {
	outer := nd.sizes[0]
	row := len(g) / max(outer, 1)
	off := 0
	for _, x := range nd.inputs {
		block := numel(x.shape) / max(outer, 1)
		if d, fresh := gradOut(x); d != nil {
			for o := 0; o < outer; o++ {
				src, dst := g[o*row+off:o*row+off+block], d[o*block:(o+1)*block]
				if fresh {
					copy(dst, src)
				} else {
					kernels.Add(src, dst)
				}
			}
		}
		off += block
	}
}

// Narrow returns the part of x from start to start+length along dim
// (negative counts from the end), as torch.narrow. The result is a copy
// (the tensors of this package are contiguous); gradients flow back into
// that part of x.
func Narrow(x *Tensor, dim, start, length int) *Tensor {
	dim = normDim("Narrow", dim, x.Dim())
	if start < 0 {
		start += x.shape[dim]
	}
	out := narrow(x, dim, start, length)
	if s := out.mode(); s.tracing() {
		s.traceOp("Narrow", [3]int{dim, start, length}, out, x)
	}
	return out
}

// narrow is Narrow, untraced, for dim and start not negative.
func narrow(x *Tensor, dim, start, length int) *Tensor {
	size := x.shape[dim]
	if start < 0 || length < 0 || start+length > size {
		panic(fmt.Sprintf("tensor.Narrow: [%d, %d) is outside [0, %d) along dim %d of %v", start, start+length, size, dim, x.shape))
	}
	var buf [8]int
	shape := append(buf[:0], x.shape...)
	shape[dim] = length
	out := x.mode().empty(shape...)
	outer, inner := numel(x.shape[:dim]), numel(x.shape[dim+1:])
	block, row, off := length*inner, size*inner, start*inner
	for o := 0; o < outer; o++ {
		copy(out.data[o*block:(o+1)*block], x.data[o*row+off:o*row+off+block])
	}
	if nd := recordNode(out, 0, narrowBackward, x); nd != nil {
		nd.sizes = [3]int{outer, row, off}
	}
	return out
}

func narrowBackward(nd *node, g []float32) {
	d, fresh := gradOut(nd.ins[0])
	if d == nil {
		return
	}
	if fresh {
		clear(d)
	}
	outer, row, off := nd.sizes[0], nd.sizes[1], nd.sizes[2]
	block := len(g) / max(outer, 1)
	for o := 0; o < outer; o++ {
		kernels.Add(g[o*block:(o+1)*block], d[o*row+off:o*row+off+block])
	}
}

// Split returns x cut along dim into parts of size each (the last one
// smaller if size does not divide x's size there), as torch.split(x,
// size, dim).
func Split(x *Tensor, size, dim int) []*Tensor {
	dim = normDim("Split", dim, x.Dim())
	if size <= 0 {
		panic(fmt.Sprintf("tensor.Split: size %d must be positive", size))
	}
	n := x.shape[dim]
	var out []*Tensor
	for start := 0; start < n || start == 0 && n == 0; start += size {
		out = append(out, narrow(x, dim, start, min(size, n-start)))
		if n == 0 {
			break
		}
	}
	if s := x.mode(); s.tracing() {
		s.traceSplit(x, dim, out)
	}
	return out
}

// SplitSizes returns x cut along dim into parts of the given sizes, which
// must add up to x's size there, as torch.split(x, sizes, dim).
func SplitSizes(x *Tensor, sizes []int, dim int) []*Tensor {
	dim = normDim("SplitSizes", dim, x.Dim())
	total := 0
	for _, s := range sizes {
		total += s
	}
	if total != x.shape[dim] {
		panic(fmt.Sprintf("tensor.SplitSizes: sizes %v add up to %d, not %d (dim %d of %v)", sizes, total, x.shape[dim], dim, x.shape))
	}
	out := make([]*Tensor, len(sizes))
	start := 0
	for i, s := range sizes {
		out[i] = narrow(x, dim, start, s)
		start += s
	}
	if s := x.mode(); s.tracing() {
		s.traceSplit(x, dim, out)
	}
	return out
}

// Chunk returns x cut along dim into chunks parts of equal size (the last
// smaller where they do not divide it), as torch.chunk: there may be fewer
// than chunks.
func Chunk(x *Tensor, chunks, dim int) []*Tensor {
	if chunks <= 0 {
		panic(fmt.Sprintf("tensor.Chunk: %d chunks", chunks))
	}
	d := normDim("Chunk", dim, x.Dim())
	return Split(x, max((x.shape[d]+chunks-1)/chunks, 1), d)
}

// JoinChannels returns an uninitialised N×C×H×W tensor of x's scope whose
// channels the caller fills in place, part after part (Conv2dInto), where
// Cat(parts, 1) would have copied the parts: an Inception block's
// branches. It does so only where x's scope records no gradients and
// traces nothing; otherwise it returns nil and false, and the caller
// makes its parts and joins them with Cat.
func JoinChannels(x *Tensor, n, c, h, w int) (*Tensor, bool) {
	s := x.mode()
	if s.GradEnabled() || s.tracing() {
		return nil, false
	}
	return s.empty(n, c, h, w), true
}
