package tensor

import (
	"fmt"
	"slices"

	"github.com/convnet/convnet/internal/kernels"
)

// Reshape returns a tensor with x's values in the given shape, sharing x's
// storage, like PyTorch's view. One dimension may be -1: it is inferred.
func Reshape(x *Tensor, shape ...int) *Tensor {
	out := reshape(x, shape)
	if s := out.mode(); s.tracing() {
		s.traceOp("Reshape", slices.Clone(out.shape), out, x)
	}
	return out
}

// reshape is Reshape, untraced.
func reshape(x *Tensor, shape []int) *Tensor {
	// A copy on the stack: the caller's shape is neither kept nor changed.
	var buf [4]int
	dims := append(buf[:0], shape...)
	infer, known := -1, 1
	for i, d := range dims {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(fmt.Sprintf("tensor.Reshape: bad shape %v", slices.Clone(shape)))
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 {
			panic(fmt.Sprintf("tensor.Reshape: cannot view %v as %v: with a dimension of 0 the -1 could be anything", x.shape, slices.Clone(shape)))
		}
		dims[infer] = len(x.data) / known
	}
	if n := len(x.data); numel(dims) != n {
		panic(fmt.Sprintf("tensor.Reshape: cannot view %v (%d elements) as %v", x.shape, n, slices.Clone(shape)))
	}
	// The result is a view: x's storage serves both.
	out := x.mode().view(x, dims)
	recordNode(out, 0, reshapeBackward, x)
	return out
}

func reshapeBackward(n *node, g []float32) {
	dx, fresh := gradOut(n.ins[0])
	switch {
	case dx == nil:
	case fresh:
		copy(dx, g)
	default:
		kernels.Add(g, dx)
	}
}

// Flatten keeps the first dimension and merges the rest: N×... becomes
// N×(product of the rest), as PyTorch's nn.Flatten() and x.view(x.size(0), -1).
func Flatten(x *Tensor) *Tensor {
	if x.Dim() < 1 {
		panic("tensor.Flatten: scalar input")
	}
	out := reshape(x, []int{x.shape[0], -1})
	if s := out.mode(); s.tracing() {
		s.traceOp("Flatten", nil, out, x)
	}
	return out
}

// View is Reshape, under PyTorch's name: x.view(shape), with one
// dimension -1 inferred.
func View(x *Tensor, shape ...int) *Tensor { return Reshape(x, shape...) }

// Unsqueeze returns x viewed with a new dimension of size 1 at dim (0 to
// x.Dim(); negative counts from the end of the result's), as
// x.unsqueeze(dim).
func Unsqueeze(x *Tensor, dim int) *Tensor {
	dim = normDim("Unsqueeze", dim, x.Dim()+1)
	var buf [8]int
	shape := append(append(append(buf[:0], x.shape[:dim]...), 1), x.shape[dim:]...)
	return Reshape(x, shape...)
}

// Squeeze returns x viewed without dimension dim if its size is 1 (and
// as it is otherwise), as x.squeeze(dim).
func Squeeze(x *Tensor, dim int) *Tensor {
	dim = normDim("Squeeze", dim, x.Dim())
	if x.shape[dim] != 1 {
		return Reshape(x, x.shape...)
	}
	var buf [8]int
	shape := append(append(buf[:0], x.shape[:dim]...), x.shape[dim+1:]...)
	return Reshape(x, shape...)
}
