package tensor

import "slices"

// A Tracer is told of each operation run on the tensors of a scope that
// has one (ScopeOptions.Tracer), in the order they run, after each has
// computed its result: what an exporter needs to rebuild a model's graph
// from one forward pass, as torch.onnx.export traces one.
//
// Each public operation of the package is reported once, under the name
// and with the Attrs of this table, even where it is built on another
// (ReLU6 on Hardtanh, View on Reshape, Chunk on Split):
//
//	Name                 functions                                    Attrs
//	Conv2d               Conv2d, Conv2dAct, Conv2dActPool, Conv2dWith ConvOptions
//	Pool2d               Pool2d, AvgPool2d, MaxPool2d                 Pooling
//	AdaptiveAvgPool2d    AdaptiveAvgPool2d, GlobalAvgPool2d           [2]int (output size)
//	AdaptiveMaxPool2d    AdaptiveMaxPool2d                            [2]int (output size)
//	Linear               Linear                                       nil
//	BatchNorm2d          BatchNorm2d                                  BatchNormAttrs
//	Hardtanh             Hardtanh, ReLU6                              UnaryAttrs{lo, hi} ({0, 6})
//	LeakyReLU            LeakyReLU                                    UnaryAttrs{slope, 0}
//	Pow                  Pow                                          UnaryAttrs{p, 0}
//	Clamp                Clamp                                        UnaryAttrs{lo, hi}
//	(its own name)       ReLU, Tanh, Sigmoid, Hardsigmoid, Hardswish, nil
//	                     SiLU, GELU, GELUTanh, Exp, Log, Sqrt, Abs
//	Add, Sub, Mul, Div   Add, Sub, Mul, Div (broadcasting)            nil
//	AddScalar            AddScalar                                    float32 (c)
//	MulScalar            MulScalar, Neg                               float32 (c; -1 for Neg)
//	Cat, Stack           Cat, Stack                                   int (dim)
//	Narrow               Narrow                                       [3]int{dim, start, length}
//	Split                Split, SplitSizes, Chunk                     SplitAttrs
//	Reshape              Reshape, View, Unsqueeze, Squeeze            []int (the result's shape)
//	Flatten              Flatten                                      nil (all dimensions but the first merged)
//	Permute              Permute, Transpose                           []int (the permutation)
//	Expand               Expand                                       []int (the result's shape)
//	Softmax, LogSoftmax  Softmax, LogSoftmax                          int (dim)
//	Sum, Mean            Sum, Mean (of every element)                 ReduceAttrs{nil, false}
//	(its own name)       SumDims, MeanDims, AmaxDims, AminDims        ReduceAttrs
//	Dropout              Dropout                                      DropoutAttrs
//	Function.Name        Function.Apply                               *Function
//
// Dimensions in Attrs are the ones the operation used: never negative (a
// dim of -1 is reported as the last one's number), and shapes with any -1
// resolved. A fused convolution (Conv2dAct, Conv2dActPool, Conv2dWith
// with Act or Pool) is one Op, its activation and pooling in the
// ConvOptions' Act and Pool and its one output the final result.
// ConvOptions are reported with the effective Stride, Dilation and Groups
// (zero reported as 1) and Pool, when fused, pointing to a copy normalised
// as Pool2d's Pooling is: with Dilation zero reported as 1 and ExcludePad
// false for a maximum. A Pooling's Stride has no default (zero panics), so
// it is always the stride given.
//
// An operation reports Inputs in the function's order and always all of
// them, a nil one where an optional tensor is absent (Conv2d's and
// Linear's bias; BatchNorm2d's weight, bias and running statistics). Its
// Outputs are its results: one tensor, except for Split. Dropout in
// evaluation (or with p = 0) returns its input itself, so its Outputs[0]
// is its Inputs[0]: an identity.
//
// Not reported: Scope.Input and Scope.New, which make the graph's inputs
// (the caller knows them: the tensors they return), the losses
// (CrossEntropy, NLLLoss, MSELoss, SmoothL1Loss, BCEWithLogits and their
// With forms), the optimizer steps (AdamStep, SGDStep, ScaleInPlace),
// Backward, and the methods of Tensor (Detach, Clone, CopyFrom). The
// operations a Function's Forward runs are not reported either: Apply is
// reported as one operation.
//
// Trace runs on the goroutine of the operation, and a scope with a Tracer
// serves one computation at a time. The Op and its slices are the
// Tracer's to keep; the tensors are the computation's, which the Tracer
// must not change. A Tracer that keeps tensors of a scope with an Arena
// must be done with them before the arena's Reset, which reuses them.
type Tracer interface {
	Trace(op Op)
}

// Op is one operation as a Tracer sees it (see Tracer for each
// operation's Name and Attrs).
type Op struct {
	// Name is the function's name: "Conv2d", "Linear", "ReLU", "Add",
	// "Cat", "Reshape", ...
	Name string
	// Inputs are the tensor arguments in the function's order; nil for an
	// absent optional one (Conv2d's bias).
	Inputs []*Tensor
	// Outputs are the results: one, except for Split.
	Outputs []*Tensor
	// Attrs are the non-tensor arguments, as a value of the type the
	// table of Tracer gives; nil for an operation that has none.
	Attrs any
}

// UnaryAttrs are the parameters of an element-wise operation that has
// any: Hardtanh's and Clamp's bounds (A = lo, B = hi; ReLU6 is Hardtanh
// with 0 and 6), LeakyReLU's slope (A) and Pow's exponent (A).
type UnaryAttrs struct {
	A, B float32
}

// BatchNormAttrs are BatchNorm2d's arguments after the tensors.
type BatchNormAttrs struct {
	Training      bool
	Momentum, Eps float64
}

// SplitAttrs describe a Split, SplitSizes or Chunk: the dimension cut
// (never negative) and the size of each part along it, in order, one per
// output.
type SplitAttrs struct {
	Dim   int
	Sizes []int
}

// ReduceAttrs describe a reduction: the dimensions reduced (never
// negative, in the order given; nil for all of them) and whether they are
// kept, of size 1.
type ReduceAttrs struct {
	Dims    []int
	KeepDim bool
}

// DropoutAttrs are Dropout's arguments besides the tensor and the
// generator.
type DropoutAttrs struct {
	P        float64
	Training bool
}

// traceState is the tracing of a scope: its Tracer, and how many Function
// calls are running whose operations it is not told of.
type traceState struct {
	tracer Tracer
	muted  int
}

// Tracer returns the scope's tracer, nil if it has none or for a nil
// Scope.
func (s *Scope) Tracer() Tracer {
	if s == nil || s.trace == nil {
		return nil
	}
	return s.trace.tracer
}

// tracing reports whether s has a tracer to tell of an operation now. An
// operation checks it before it builds the Op for trace or traceOp, so
// that an operation of a scope without a tracer allocates nothing for it.
func (s *Scope) tracing() bool {
	return s != nil && s.trace != nil && s.trace.muted == 0
}

// traceOp tells s's tracer of an operation with one result, out, whose
// tensor arguments are inputs (a slice the Op keeps) and its other ones
// attrs. Only call it when s.tracing().
func (s *Scope) traceOp(name string, attrs any, out *Tensor, inputs ...*Tensor) {
	s.trace.tracer.Trace(Op{Name: name, Inputs: inputs, Outputs: []*Tensor{out}, Attrs: attrs})
}

// silence stops s's tracer being told of operations until the function
// it returns is called: for the operations a Function runs inside its
// own (which nest).
func (s *Scope) silence() (restore func()) {
	if s == nil || s.trace == nil {
		return func() {}
	}
	s.trace.muted++
	return func() { s.trace.muted-- }
}

// normConvOptions returns o with its defaults made explicit, for a
// Tracer: Stride, Dilation and Groups of zero as 1, and Pool pointing to
// a normalised copy (see normPooling).
func normConvOptions(o ConvOptions) ConvOptions {
	// A new value rather than o changed, so that o.Pool (a caller's
	// variable, in Conv2dActPool) does not escape.
	n := ConvOptions{
		Stride:   [2]int{orOne(o.Stride[0]), orOne(o.Stride[1])},
		Padding:  o.Padding,
		Dilation: [2]int{orOne(o.Dilation[0]), orOne(o.Dilation[1])},
		Groups:   orOne(o.Groups),
		Act:      o.Act,
	}
	if o.Pool != nil {
		p := normPooling(*o.Pool)
		n.Pool = &p
	}
	return n
}

// normPooling returns p with its defaults made explicit, for a Tracer:
// Dilation zero as 1, and ExcludePad false for a maximum, where it means
// nothing.
func normPooling(p Pooling) Pooling {
	p.Dilation = [2]int{orOne(p.Dilation[0]), orOne(p.Dilation[1])}
	if p.Max {
		p.ExcludePad = false
	}
	return p
}

// traceDims returns dims, each made non-negative for a tensor of rank
// dimensions, in a new slice; nil for none.
func traceDims(dims []int, rank int) []int {
	if len(dims) == 0 {
		return nil
	}
	out := make([]int, len(dims))
	for i, d := range dims {
		if d < 0 {
			d += rank
		}
		out[i] = d
	}
	return out
}

// traceSplit tells s's tracer of x cut along dim into parts. Only call it
// when s.tracing().
func (s *Scope) traceSplit(x *Tensor, dim int, parts []*Tensor) {
	sizes := make([]int, len(parts))
	for i, p := range parts {
		sizes[i] = p.shape[dim]
	}
	s.trace.tracer.Trace(Op{Name: "Split", Inputs: []*Tensor{x}, Outputs: slices.Clone(parts),
		Attrs: SplitAttrs{Dim: dim, Sizes: sizes}})
}
