package onnx

import (
	"fmt"
	"math"

	"github.com/convnet/convnet/onnx/internal/pb"
	"github.com/convnet/convnet/tensor"
)

// Element-wise arithmetic and activations, matrix products, softmax and
// reductions.

func init() {
	operators["Add"] = binaryOp(tensor.Add, func(x, y int64) int64 { return x + y })
	operators["Sub"] = binaryOp(tensor.Sub, func(x, y int64) int64 { return x - y })
	operators["Mul"] = binaryOp(tensor.Mul, func(x, y int64) int64 { return x * y })
	operators["Div"] = binaryOp(tensor.Div, func(x, y int64) int64 {
		if y == 0 {
			return 0
		}
		return x / y
	})
	operators["Relu"] = unaryOp(tensor.ReLU)
	operators["Tanh"] = unaryOp(tensor.Tanh)
	operators["Sigmoid"] = unaryOp(tensor.Sigmoid)
	operators["Exp"] = unaryOp(tensor.Exp)
	operators["Log"] = unaryOp(tensor.Log)
	operators["Sqrt"] = unaryOp(tensor.Sqrt)
	operators["Abs"] = unaryOp(tensor.Abs)
	operators["Neg"] = unaryOp(tensor.Neg)
	operators["HardSwish"] = unaryOp(tensor.Hardswish)
	operators["Softsign"] = unaryOp(func(x *tensor.Tensor) *tensor.Tensor {
		return tensor.Div(x, tensor.AddScalar(tensor.Abs(x), 1))
	})
	operators["LeakyRelu"] = func(b *build, n *pb.Node, a attrs) (runFunc, error) {
		alpha := a.float("alpha", 0.01)
		return unaryRun(func(x *tensor.Tensor) *tensor.Tensor { return tensor.LeakyReLU(x, alpha) }), nil
	}
	operators["Elu"] = func(b *build, n *pb.Node, a attrs) (runFunc, error) {
		alpha := a.float("alpha", 1)
		return unaryRun(func(x *tensor.Tensor) *tensor.Tensor { return elu(x, alpha, 1) }), nil
	}
	operators["Selu"] = func(b *build, n *pb.Node, a attrs) (runFunc, error) {
		alpha, gamma := a.float("alpha", 1.67326319217681884765625), a.float("gamma", 1.05070102214813232421875)
		return unaryRun(func(x *tensor.Tensor) *tensor.Tensor { return elu(x, alpha, gamma) }), nil
	}
	operators["Softplus"] = unaryOp(func(x *tensor.Tensor) *tensor.Tensor {
		// max(x, 0) + log(1 + exp(-|x|)), which does not overflow.
		return tensor.Add(tensor.ReLU(x), tensor.Log(tensor.AddScalar(tensor.Exp(tensor.Neg(tensor.Abs(x))), 1)))
	})
	operators["HardSigmoid"] = func(b *build, n *pb.Node, a attrs) (runFunc, error) {
		alpha, beta := a.float("alpha", 0.2), a.float("beta", 0.5)
		if alpha == float32(1.0/6) && beta == 0.5 {
			return unaryRun(tensor.Hardsigmoid), nil
		}
		return unaryRun(func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.Clamp(tensor.AddScalar(tensor.MulScalar(x, alpha), beta), 0, 1)
		}), nil
	}
	operators["PRelu"] = func(b *build, n *pb.Node, a attrs) (runFunc, error) {
		return func(_ *runCtx, in []value) ([]value, error) {
			x, slope := in[0].t, in[1].t
			if b.opset < 7 && slope.Dim() == 1 && x.Dim() > 2 && slope.Size(0) == x.Size(1) {
				// Before opset 7 a slope per channel is given as C, not
				// C×1×…×1.
				shape := make([]int, x.Dim()-1)
				for i := range shape {
					shape[i] = 1
				}
				shape[0] = slope.Size(0)
				slope = tensor.Reshape(slope, shape...)
			}
			// max(x, 0) + slope·min(x, 0), the slope broadcast to x.
			negative := tensor.Neg(tensor.ReLU(tensor.Neg(x)))
			return []value{floatValue(tensor.Add(tensor.ReLU(x), tensor.Mul(slope, negative)))}, nil
		}, nil
	}
	operators["Clip"] = clipOp
	operators["Pow"] = func(b *build, n *pb.Node, a attrs) (runFunc, error) {
		return func(_ *runCtx, in []value) ([]value, error) {
			p, err := in[1].scalarFloat("exponent")
			if err != nil {
				return nil, unsupportedf("Pow with a tensor exponent of shape %v", in[1].dims())
			}
			return []value{floatValue(tensor.Pow(in[0].t, p))}, nil
		}, nil
	}
	operators["Softmax"] = softmaxOp(false)
	operators["LogSoftmax"] = softmaxOp(true)
	operators["Gemm"] = gemmOp
	operators["MatMul"] = func(b *build, n *pb.Node, a attrs) (runFunc, error) {
		return func(_ *runCtx, in []value) ([]value, error) {
			return []value{floatValue(tensor.MatMul(in[0].asFloat(), in[1].asFloat()))}, nil
		}, nil
	}
	operators["ReduceSum"] = reduceOp(tensor.SumDims)
	operators["ReduceMean"] = reduceOp(tensor.MeanDims)
	operators["ReduceMax"] = reduceOp(tensor.AmaxDims)
	operators["ReduceMin"] = reduceOp(tensor.AminDims)
}

// elu is gamma·(max(x, 0) + alpha·(exp(min(x, 0)) - 1)): ELU, and SELU.
func elu(x *tensor.Tensor, alpha, gamma float32) *tensor.Tensor {
	negative := tensor.Neg(tensor.ReLU(tensor.Neg(x)))
	y := tensor.Add(tensor.ReLU(x), tensor.MulScalar(tensor.AddScalar(tensor.Exp(negative), -1), alpha))
	if gamma != 1 {
		y = tensor.MulScalar(y, gamma)
	}
	return y
}

func unaryRun(f func(*tensor.Tensor) *tensor.Tensor) runFunc {
	return func(_ *runCtx, in []value) ([]value, error) {
		if in[0].t == nil {
			return nil, unsupportedf("%s input", typeName(in[0].typ))
		}
		return []value{floatValue(f(in[0].t))}, nil
	}
}

func unaryOp(f func(*tensor.Tensor) *tensor.Tensor) builder {
	return func(*build, *pb.Node, attrs) (runFunc, error) { return unaryRun(f), nil }
}

// binaryOp runs a broadcasting operation on floats, or on integers (a
// shape's arithmetic).
func binaryOp(f func(a, b *tensor.Tensor) *tensor.Tensor, fi func(x, y int64) int64) builder {
	return func(*build, *pb.Node, attrs) (runFunc, error) {
		return func(_ *runCtx, in []value) ([]value, error) {
			x, y := in[0], in[1]
			if x.t == nil && y.t == nil {
				if x.typ == pb.Bool || y.typ == pb.Bool || x.typ != y.typ {
					return nil, unsupportedf("arithmetic on %s and %s", typeName(x.typ), typeName(y.typ))
				}
				v, err := broadcastInts(x, y, fi)
				return []value{v}, err
			}
			if x.t == nil || y.t == nil {
				return nil, unsupportedf("arithmetic on %s and %s", typeName(x.typ), typeName(y.typ))
			}
			return []value{floatValue(f(x.t, y.t))}, nil
		}, nil
	}
}

// broadcastInts applies f to integer values, broadcast as numpy does.
func broadcastInts(x, y value, f func(a, b int64) int64) (value, error) {
	xs, ys := x.dims(), y.dims()
	rank := max(len(xs), len(ys))
	shape := make([]int, rank)
	dim := func(s []int, i int) int {
		if j := i - (rank - len(s)); j >= 0 {
			return s[j]
		}
		return 1
	}
	for i := range shape {
		a, b := dim(xs, i), dim(ys, i)
		switch {
		case a == b || b == 1:
			shape[i] = a
		case a == 1:
			shape[i] = b
		default:
			return value{}, fmt.Errorf("shapes %v and %v do not broadcast", xs, ys)
		}
	}
	out := make([]int64, tensor.Numel(shape))
	idx := make([]int, rank)
	offset := func(s []int) int {
		o := 0
		for i := range rank {
			d := dim(s, i)
			o = o*d + min(idx[i], d-1)
		}
		return o
	}
	for k := range out {
		out[k] = f(x.ints[offset(xs)], y.ints[offset(ys)])
		for i := rank - 1; i >= 0; i-- {
			if idx[i]++; idx[i] < shape[i] {
				break
			}
			idx[i] = 0
		}
	}
	v := intValue(out, shape)
	v.typ = x.typ
	return v, nil
}

func clipOp(b *build, n *pb.Node, a attrs) (runFunc, error) {
	lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
	if b.opset < 11 {
		lo, hi = a.float("min", lo), a.float("max", hi)
	}
	return func(_ *runCtx, in []value) ([]value, error) {
		lo, hi := lo, hi
		var err error
		if len(in) > 1 && in[1].ok() {
			if lo, err = in[1].scalarFloat("min"); err != nil {
				return nil, err
			}
		}
		if len(in) > 2 && in[2].ok() {
			if hi, err = in[2].scalarFloat("max"); err != nil {
				return nil, err
			}
		}
		if in[0].t == nil {
			return nil, unsupportedf("Clip of %s", typeName(in[0].typ))
		}
		return []value{floatValue(tensor.Clamp(in[0].t, lo, hi))}, nil
	}, nil
}

func softmaxOp(log bool) builder {
	return func(b *build, n *pb.Node, a attrs) (runFunc, error) {
		f := tensor.Softmax
		if log {
			f = tensor.LogSoftmax
		}
		if b.opset >= 13 {
			axis := a.int("axis", -1)
			return unaryRun(func(x *tensor.Tensor) *tensor.Tensor { return f(x, axis) }), nil
		}
		// Before opset 13 the input is seen as 2-D: the dimensions
		// before axis, and from it on.
		axis := a.int("axis", 1)
		return func(_ *runCtx, in []value) ([]value, error) {
			x := in[0].t
			ax := axis
			if ax < 0 {
				ax += x.Dim()
			}
			if ax < 0 || ax > x.Dim() {
				return nil, fmt.Errorf("axis %d is out of range for %d dimensions", axis, x.Dim())
			}
			outer := tensor.Numel(x.Shape()[:ax])
			y := f(tensor.Reshape(x, outer, x.Numel()/max(outer, 1)), 1)
			return []value{floatValue(tensor.Reshape(y, x.Shape()...))}, nil
		}, nil
	}
}

func gemmOp(b *build, n *pb.Node, a attrs) (runFunc, error) {
	alpha, beta := a.float("alpha", 1), a.float("beta", 1)
	transA, transB := a.int("transA", 0) != 0, a.int("transB", 0) != 0
	return func(_ *runCtx, in []value) ([]value, error) {
		x, w := in[0].t, in[1].t
		var c *tensor.Tensor
		if len(in) > 2 && in[2].ok() {
			c = in[2].t
		}
		if x.Dim() != 2 || w.Dim() != 2 {
			return nil, fmt.Errorf("A %v and B %v must be 2-D", x.Shape(), w.Shape())
		}
		// The fully connected layer: x·Wᵀ + bias.
		if !transA && transB && alpha == 1 && (c == nil || beta == 1 && c.Dim() == 1 && c.Size(0) == w.Size(0)) {
			return []value{floatValue(tensor.Linear(x, w, c))}, nil
		}
		if transA {
			x = tensor.Permute(x, 1, 0)
		}
		if !transB {
			w = tensor.Permute(w, 1, 0)
		}
		y := tensor.Linear(x, w, nil)
		if alpha != 1 {
			y = tensor.MulScalar(y, alpha)
		}
		if c != nil && beta != 0 {
			if beta != 1 {
				c = tensor.MulScalar(c, beta)
			}
			y = tensor.Add(y, c)
		}
		return []value{floatValue(y)}, nil
	}, nil
}

func reduceOp(f func(x *tensor.Tensor, dims []int, keepdim bool) *tensor.Tensor) builder {
	return func(b *build, n *pb.Node, a attrs) (runFunc, error) {
		keep := a.int("keepdims", 1) != 0
		noopEmpty := a.int("noop_with_empty_axes", 0) != 0
		axesAttr := a.ints("axes", nil)
		return func(_ *runCtx, in []value) ([]value, error) {
			x := in[0].t
			if x == nil {
				return nil, unsupportedf("%s of %s", n.OpType, typeName(in[0].typ))
			}
			axes := axesAttr
			if len(in) > 1 && in[1].ok() {
				var err error
				if axes, err = in[1].intList("axes"); err != nil {
					return nil, err
				}
			}
			if len(axes) == 0 {
				if noopEmpty {
					return []value{floatValue(x)}, nil
				}
				axes = make([]int, x.Dim())
				for i := range axes {
					axes[i] = i
				}
			}
			return []value{floatValue(f(x, axes, keep))}, nil
		}, nil
	}
}
