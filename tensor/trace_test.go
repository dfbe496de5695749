package tensor_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/convnet/convnet/internal/race"
	"github.com/convnet/convnet/tensor"
)

// recorder is a Tracer that keeps every Op it is told of.
type recorder struct{ ops []tensor.Op }

func (r *recorder) Trace(op tensor.Op) { r.ops = append(r.ops, op) }

// traceCase is one traced operation: run calls it on tensors of s (and
// parameters of no scope) and returns the tensor arguments it passed, in
// the function's order with nil for an absent one, and its results.
type traceCase struct {
	name  string
	run   func(s *tensor.Scope) (ins, outs []*tensor.Tensor)
	op    string
	attrs any
}

// ramp returns a tensor of no scope of the given shape holding
// 0.1, 0.2, ..., which requires gradients.
func ramp(shape ...int) *tensor.Tensor {
	data := make([]float32, tensor.Numel(shape))
	for i := range data {
		data[i] = 0.1 * float32(i+1)
	}
	return tensor.New(data, shape...).SetRequiresGrad(true)
}

// in returns a ramp of the given shape as an input of s.
func in(s *tensor.Scope, shape ...int) *tensor.Tensor { return s.Input(ramp(shape...)) }

// ts is a slice of tensors, shorter to write.
func ts(t ...*tensor.Tensor) []*tensor.Tensor { return t }

// oneCase is the case of an operation f of one tensor of the given
// shape.
func oneCase(name string, shape []int, f func(*tensor.Tensor) *tensor.Tensor, op string, attrs any) traceCase {
	return traceCase{name, func(s *tensor.Scope) ([]*tensor.Tensor, []*tensor.Tensor) {
		x := in(s, shape...)
		return ts(x), ts(f(x))
	}, op, attrs}
}

// unaryCase is oneCase of x 2×3.
func unaryCase(name string, f func(*tensor.Tensor) *tensor.Tensor, op string, attrs any) traceCase {
	return oneCase(name, []int{2, 3}, f, op, attrs)
}

// reduceCase is oneCase of x 2×3×4.
func reduceCase(name string, f func(*tensor.Tensor) *tensor.Tensor, op string, attrs any) traceCase {
	return oneCase(name, []int{2, 3, 4}, f, op, attrs)
}

// convCase is the case of a convolution of x (1×4×6×6) with a weight
// 4×(4/groups)×3×3 and a bias unless noBias.
func convCase(name string, groups int, noBias bool, f func(x, w, b *tensor.Tensor) *tensor.Tensor, attrs tensor.ConvOptions) traceCase {
	return traceCase{name, func(s *tensor.Scope) ([]*tensor.Tensor, []*tensor.Tensor) {
		x, w := in(s, 1, 4, 6, 6), ramp(4, 4/groups, 3, 3)
		var b *tensor.Tensor
		if !noBias {
			b = ramp(4)
		}
		return ts(x, w, b), ts(f(x, w, b))
	}, "Conv2d", attrs}
}

// poolCase is oneCase of x 1×2×6×6.
func poolCase(name string, f func(*tensor.Tensor) *tensor.Tensor, op string, attrs any) traceCase {
	return oneCase(name, []int{1, 2, 6, 6}, f, op, attrs)
}

// binaryCase is the case of f on tensors of shapes a and b.
func binaryCase(name string, f func(a, b *tensor.Tensor) *tensor.Tensor, a, b []int) traceCase {
	return traceCase{name, func(s *tensor.Scope) ([]*tensor.Tensor, []*tensor.Tensor) {
		x, y := in(s, a...), in(s, b...)
		return ts(x, y), ts(f(x, y))
	}, name[:3], nil}
}

// doubled is x+x as a Function whose Forward runs tensor operations, of
// which a Tracer must not hear.
var doubled = &tensor.Function{
	Name: "Doubled",
	Forward: func(ctx *tensor.FunctionContext, in ...*tensor.Tensor) *tensor.Tensor {
		return tensor.Add(in[0], in[0])
	},
	Backward: func(ctx *tensor.FunctionContext, grad *tensor.Tensor) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.MulScalar(grad, 2)}
	},
}

func traceCases() []traceCase {
	max2 := tensor.Pooling{Max: true, Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}
	return []traceCase{
		convCase("Conv2d", 1, false, func(x, w, b *tensor.Tensor) *tensor.Tensor {
			return tensor.Conv2d(x, w, b, [2]int{1, 2}, [2]int{1, 0})
		}, tensor.ConvOptions{Stride: [2]int{1, 2}, Padding: [2]int{1, 0}, Dilation: [2]int{1, 1}, Groups: 1}),
		convCase("Conv2d without bias", 1, true, func(x, w, b *tensor.Tensor) *tensor.Tensor {
			return tensor.Conv2d(x, w, b, [2]int{1, 1}, [2]int{0, 0})
		}, tensor.ConvOptions{Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Groups: 1}),
		convCase("Conv2dAct", 1, false, func(x, w, b *tensor.Tensor) *tensor.Tensor {
			return tensor.Conv2dAct(x, w, b, [2]int{1, 1}, [2]int{1, 1}, tensor.ActTanh)
		}, tensor.ConvOptions{Stride: [2]int{1, 1}, Padding: [2]int{1, 1}, Dilation: [2]int{1, 1}, Groups: 1, Act: tensor.ActTanh}),
		convCase("Conv2dActPool", 1, false, func(x, w, b *tensor.Tensor) *tensor.Tensor {
			return tensor.Conv2dActPool(x, w, b, [2]int{1, 1}, [2]int{1, 1}, tensor.ActReLU, max2)
		}, tensor.ConvOptions{Stride: [2]int{1, 1}, Padding: [2]int{1, 1}, Dilation: [2]int{1, 1}, Groups: 1, Act: tensor.ActReLU,
			Pool: &tensor.Pooling{Max: true, Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}, Dilation: [2]int{1, 1}}}),
		convCase("Conv2dWith", 2, false, func(x, w, b *tensor.Tensor) *tensor.Tensor {
			return tensor.Conv2dWith(x, w, b, tensor.ConvOptions{Padding: [2]int{2, 2}, Dilation: [2]int{2, 2}, Groups: 2,
				Pool: &tensor.Pooling{Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}, ExcludePad: true}})
		}, tensor.ConvOptions{Stride: [2]int{1, 1}, Padding: [2]int{2, 2}, Dilation: [2]int{2, 2}, Groups: 2,
			Pool: &tensor.Pooling{Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}, Dilation: [2]int{1, 1}, ExcludePad: true}}),

		poolCase("Pool2d", func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.Pool2d(x, tensor.Pooling{Max: true, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, CeilMode: true, ExcludePad: true})
		}, "Pool2d", tensor.Pooling{Max: true, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Dilation: [2]int{1, 1}, CeilMode: true}),
		poolCase("AvgPool2d", func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.AvgPool2d(x, [2]int{2, 2}, [2]int{2, 1}, [2]int{1, 0})
		}, "Pool2d", tensor.Pooling{Kernel: [2]int{2, 2}, Stride: [2]int{2, 1}, Padding: [2]int{1, 0}, Dilation: [2]int{1, 1}}),
		poolCase("MaxPool2d", func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.MaxPool2d(x, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0})
		}, "Pool2d", tensor.Pooling{Max: true, Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}, Dilation: [2]int{1, 1}}),
		poolCase("AdaptiveAvgPool2d", func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.AdaptiveAvgPool2d(x, [2]int{3, 2})
		}, "AdaptiveAvgPool2d", [2]int{3, 2}),
		poolCase("AdaptiveMaxPool2d", func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.AdaptiveMaxPool2d(x, [2]int{2, 3})
		}, "AdaptiveMaxPool2d", [2]int{2, 3}),
		poolCase("GlobalAvgPool2d", tensor.GlobalAvgPool2d, "AdaptiveAvgPool2d", [2]int{1, 1}),

		{"Linear", func(s *tensor.Scope) ([]*tensor.Tensor, []*tensor.Tensor) {
			x, w, b := in(s, 2, 3), ramp(4, 3), ramp(4)
			return ts(x, w, b), ts(tensor.Linear(x, w, b))
		}, "Linear", nil},
		{"Linear without bias", func(s *tensor.Scope) ([]*tensor.Tensor, []*tensor.Tensor) {
			x, w := in(s, 2, 3), ramp(4, 3)
			return ts(x, w, nil), ts(tensor.Linear(x, w, nil))
		}, "Linear", nil},
		{"BatchNorm2d", func(s *tensor.Scope) ([]*tensor.Tensor, []*tensor.Tensor) {
			x, w, b, m, v := in(s, 2, 3, 2, 2), ramp(3), ramp(3), tensor.Zeros(3), tensor.Full(1, 3)
			return ts(x, w, b, m, v), ts(tensor.BatchNorm2d(x, w, b, m, v, false, 0.1, 1e-5))
		}, "BatchNorm2d", tensor.BatchNormAttrs{Momentum: 0.1, Eps: 1e-5}},
		{"BatchNorm2d training, no affine nor statistics", func(s *tensor.Scope) ([]*tensor.Tensor, []*tensor.Tensor) {
			x := in(s, 2, 3, 2, 2)
			return ts(x, nil, nil, nil, nil), ts(tensor.BatchNorm2d(x, nil, nil, nil, nil, true, 0.2, 1e-3))
		}, "BatchNorm2d", tensor.BatchNormAttrs{Training: true, Momentum: 0.2, Eps: 1e-3}},

		unaryCase("Sigmoid", tensor.Sigmoid, "Sigmoid", nil),
		unaryCase("Hardtanh", func(x *tensor.Tensor) *tensor.Tensor { return tensor.Hardtanh(x, -1, 0.5) }, "Hardtanh", tensor.UnaryAttrs{A: -1, B: 0.5}),
		unaryCase("ReLU6", tensor.ReLU6, "Hardtanh", tensor.UnaryAttrs{A: 0, B: 6}),
		unaryCase("LeakyReLU", func(x *tensor.Tensor) *tensor.Tensor { return tensor.LeakyReLU(x, 0.01) }, "LeakyReLU", tensor.UnaryAttrs{A: 0.01}),
		unaryCase("Hardsigmoid", tensor.Hardsigmoid, "Hardsigmoid", nil),
		unaryCase("Hardswish", tensor.Hardswish, "Hardswish", nil),
		unaryCase("SiLU", tensor.SiLU, "SiLU", nil),
		unaryCase("GELU", tensor.GELU, "GELU", nil),
		unaryCase("GELUTanh", tensor.GELUTanh, "GELUTanh", nil),
		unaryCase("Exp", tensor.Exp, "Exp", nil),
		unaryCase("Log", tensor.Log, "Log", nil),
		unaryCase("Sqrt", tensor.Sqrt, "Sqrt", nil),
		unaryCase("Abs", tensor.Abs, "Abs", nil),
		unaryCase("Pow", func(x *tensor.Tensor) *tensor.Tensor { return tensor.Pow(x, 3) }, "Pow", tensor.UnaryAttrs{A: 3}),
		unaryCase("Clamp", func(x *tensor.Tensor) *tensor.Tensor { return tensor.Clamp(x, 0.2, 0.4) }, "Clamp", tensor.UnaryAttrs{A: 0.2, B: 0.4}),
		unaryCase("Tanh", tensor.Tanh, "Tanh", nil),
		unaryCase("ReLU", tensor.ReLU, "ReLU", nil),

		binaryCase("Add", tensor.Add, []int{2, 3}, []int{2, 3}),
		binaryCase("Add broadcast", tensor.Add, []int{2, 3}, []int{3}),
		binaryCase("Sub", tensor.Sub, []int{2, 3}, []int{2, 3}),
		binaryCase("Sub broadcast", tensor.Sub, []int{2, 1}, []int{1, 3}),
		binaryCase("Mul", tensor.Mul, []int{2, 3}, []int{2, 3}),
		binaryCase("Mul broadcast", tensor.Mul, []int{3}, []int{2, 3}),
		binaryCase("Div", tensor.Div, []int{2, 3}, []int{2, 3}),
		binaryCase("Div broadcast", tensor.Div, []int{2, 3}, []int{2, 1}),
		unaryCase("AddScalar", func(x *tensor.Tensor) *tensor.Tensor { return tensor.AddScalar(x, 2) }, "AddScalar", float32(2)),
		unaryCase("MulScalar", func(x *tensor.Tensor) *tensor.Tensor { return tensor.MulScalar(x, 0.5) }, "MulScalar", float32(0.5)),
		unaryCase("Neg", tensor.Neg, "MulScalar", float32(-1)),

		{"Cat", func(s *tensor.Scope) ([]*tensor.Tensor, []*tensor.Tensor) {
			a, b, c := in(s, 2, 1), in(s, 2, 3), in(s, 2, 2)
			return ts(a, b, c), ts(tensor.Cat([]*tensor.Tensor{a, b, c}, -1))
		}, "Cat", 1},
		{"Stack", func(s *tensor.Scope) ([]*tensor.Tensor, []*tensor.Tensor) {
			a, b := in(s, 2, 3), in(s, 2, 3)
			return ts(a, b), ts(tensor.Stack([]*tensor.Tensor{a, b}, -1))
		}, "Stack", 2},
		{"Narrow", func(s *tensor.Scope) ([]*tensor.Tensor, []*tensor.Tensor) {
			x := in(s, 2, 5)
			return ts(x), ts(tensor.Narrow(x, -1, -3, 2))
		}, "Narrow", [3]int{1, 2, 2}},
		{"Split", func(s *tensor.Scope) ([]*tensor.Tensor, []*tensor.Tensor) {
			x := in(s, 2, 5)
			return ts(x), tensor.Split(x, 2, -1)
		}, "Split", tensor.SplitAttrs{Dim: 1, Sizes: []int{2, 2, 1}}},
		{"SplitSizes", func(s *tensor.Scope) ([]*tensor.Tensor, []*tensor.Tensor) {
			x := in(s, 5, 2)
			return ts(x), tensor.SplitSizes(x, []int{1, 0, 4}, 0)
		}, "Split", tensor.SplitAttrs{Dim: 0, Sizes: []int{1, 0, 4}}},
		{"Chunk", func(s *tensor.Scope) ([]*tensor.Tensor, []*tensor.Tensor) {
			x := in(s, 2, 5)
			return ts(x), tensor.Chunk(x, 2, 1)
		}, "Split", tensor.SplitAttrs{Dim: 1, Sizes: []int{3, 2}}},

		unaryCase("Reshape", func(x *tensor.Tensor) *tensor.Tensor { return tensor.Reshape(x, -1) }, "Reshape", []int{6}),
		unaryCase("View", func(x *tensor.Tensor) *tensor.Tensor { return tensor.View(x, 3, -1) }, "Reshape", []int{3, 2}),
		unaryCase("Unsqueeze", func(x *tensor.Tensor) *tensor.Tensor { return tensor.Unsqueeze(x, -1) }, "Reshape", []int{2, 3, 1}),
		{"Squeeze", func(s *tensor.Scope) ([]*tensor.Tensor, []*tensor.Tensor) {
			x := in(s, 2, 1, 3)
			return ts(x), ts(tensor.Squeeze(x, 1))
		}, "Reshape", []int{2, 3}},
		unaryCase("Squeeze of a size other than 1", func(x *tensor.Tensor) *tensor.Tensor { return tensor.Squeeze(x, 0) }, "Reshape", []int{2, 3}),
		poolCase("Flatten", tensor.Flatten, "Flatten", nil),
		reduceCase("Permute", func(x *tensor.Tensor) *tensor.Tensor { return tensor.Permute(x, -1, 0, 1) }, "Permute", []int{2, 0, 1}),
		reduceCase("Transpose", func(x *tensor.Tensor) *tensor.Tensor { return tensor.Transpose(x, 0, -1) }, "Permute", []int{2, 1, 0}),
		{"Expand", func(s *tensor.Scope) ([]*tensor.Tensor, []*tensor.Tensor) {
			x := in(s, 3, 1)
			return ts(x), ts(tensor.Expand(x, 2, -1, 4))
		}, "Expand", []int{2, 3, 4}},

		unaryCase("Softmax", func(x *tensor.Tensor) *tensor.Tensor { return tensor.Softmax(x, -1) }, "Softmax", 1),
		unaryCase("LogSoftmax", func(x *tensor.Tensor) *tensor.Tensor { return tensor.LogSoftmax(x, 0) }, "LogSoftmax", 0),
		reduceCase("Sum", tensor.Sum, "Sum", tensor.ReduceAttrs{}),
		reduceCase("Mean", tensor.Mean, "Mean", tensor.ReduceAttrs{}),
		reduceCase("SumDims", func(x *tensor.Tensor) *tensor.Tensor { return tensor.SumDims(x, []int{-1, 0}, true) },
			"SumDims", tensor.ReduceAttrs{Dims: []int{2, 0}, KeepDim: true}),
		reduceCase("MeanDims over all", func(x *tensor.Tensor) *tensor.Tensor { return tensor.MeanDims(x, nil, false) },
			"MeanDims", tensor.ReduceAttrs{}),
		reduceCase("AmaxDims", func(x *tensor.Tensor) *tensor.Tensor { return tensor.AmaxDims(x, []int{1}, false) },
			"AmaxDims", tensor.ReduceAttrs{Dims: []int{1}}),
		reduceCase("AminDims", func(x *tensor.Tensor) *tensor.Tensor { return tensor.AminDims(x, []int{-2, 2}, true) },
			"AminDims", tensor.ReduceAttrs{Dims: []int{1, 2}, KeepDim: true}),

		unaryCase("Dropout", func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.Dropout(x, 0.5, true, rand.New(rand.NewPCG(1, 2)))
		}, "Dropout", tensor.DropoutAttrs{P: 0.5, Training: true}),
		unaryCase("Dropout in evaluation", func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.Dropout(x, 0.5, false, nil)
		}, "Dropout", tensor.DropoutAttrs{P: 0.5}),
		unaryCase("Function", func(x *tensor.Tensor) *tensor.Tensor { return doubled.Apply(x) }, "Doubled", doubled),
	}
}

// TestTrace runs each traced operation in scopes with a Tracer (without
// gradients, recording, recording from an arena) and checks that the
// Tracer hears of it once, with its name, its attributes, its inputs and
// its results.
func TestTrace(t *testing.T) {
	scopes := map[string]tensor.ScopeOptions{
		"NoGrad":    {NoGrad: true},
		"recording": {},
		"arena":     {Arena: tensor.NewArena()},
	}
	for sname, o := range scopes {
		for _, c := range traceCases() {
			t.Run(sname+"/"+c.name, func(t *testing.T) {
				r := &recorder{}
				o.Tracer = r
				s := tensor.NewScope(o)
				if s.Tracer() != r {
					t.Fatalf("Scope.Tracer() = %v, want the recorder", s.Tracer())
				}
				ins, outs := c.run(s)
				if len(r.ops) != 1 {
					names := make([]string, len(r.ops))
					for i, op := range r.ops {
						names[i] = op.Name
					}
					t.Fatalf("%d ops traced (%v), want 1", len(r.ops), names)
				}
				op := r.ops[0]
				want := c.attrs
				if op.Name != c.op {
					t.Errorf("Name %q, want %q", op.Name, c.op)
				}
				if !reflect.DeepEqual(op.Attrs, want) {
					t.Errorf("Attrs %#v, want %#v", op.Attrs, want)
				}
				if !slices.Equal(op.Inputs, ins) {
					t.Errorf("Inputs %p, want %p", op.Inputs, ins)
				}
				if !slices.Equal(op.Outputs, outs) || len(outs) == 0 {
					t.Errorf("Outputs %p, want %p", op.Outputs, outs)
				}
				if a := s.Arena(); a != nil {
					a.Reset()
				}
			})
		}
	}
}

// TestTraceChain checks that a small network's forward pass,
// conv→relu→pool→flatten→linear, is traced as that sequence with each
// operation's result the next one's input, and that its backward pass,
// through a Function too, is not traced.
func TestTraceChain(t *testing.T) {
	r := &recorder{}
	s := tensor.NewScope(tensor.ScopeOptions{Tracer: r})
	w, b := ramp(2, 1, 3, 3), ramp(2)
	fw, fb := ramp(3, 8), ramp(3)
	x := s.Input(ramp(1, 1, 4, 4))

	c := tensor.Conv2d(x, w, b, [2]int{1, 1}, [2]int{1, 1})
	a := tensor.ReLU(c)
	p := tensor.MaxPool2d(a, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0})
	f := tensor.Flatten(p)
	y := tensor.Linear(f, fw, fb)

	want := []struct {
		name      string
		ins, outs []*tensor.Tensor
	}{
		{"Conv2d", ts(x, w, b), ts(c)},
		{"ReLU", ts(c), ts(a)},
		{"Pool2d", ts(a), ts(p)},
		{"Flatten", ts(p), ts(f)},
		{"Linear", ts(f, fw, fb), ts(y)},
	}
	if len(r.ops) != len(want) {
		t.Fatalf("%d ops traced, want %d", len(r.ops), len(want))
	}
	for i, w := range want {
		op := r.ops[i]
		if op.Name != w.name || !slices.Equal(op.Inputs, w.ins) || !slices.Equal(op.Outputs, w.outs) {
			t.Errorf("op %d: %s %p -> %p, want %s %p -> %p", i, op.Name, op.Inputs, op.Outputs, w.name, w.ins, w.outs)
		}
	}

	loss := tensor.Sum(doubled.Apply(y))
	n := len(r.ops)
	if n != len(want)+2 || r.ops[n-2].Name != "Doubled" || r.ops[n-1].Name != "Sum" {
		t.Fatalf("after the Function and Sum, %d ops", n)
	}
	loss.Backward()
	if len(r.ops) != n {
		t.Errorf("Backward traced %d ops", len(r.ops)-n)
	}
	if w.Grad() == nil || fw.Grad() == nil {
		t.Error("no gradients under a Tracer")
	}
}

// TestTracerNone checks that scopes without a Tracer report none, and
// that a panicking Function leaves its scope's tracing on.
func TestTracerNone(t *testing.T) {
	var none *tensor.Scope
	if none.Tracer() != nil || tensor.NewScope(tensor.ScopeOptions{}).Tracer() != nil {
		t.Error("a Tracer where none was given")
	}

	r := &recorder{}
	s := tensor.NewScope(tensor.ScopeOptions{Tracer: r})
	bad := &tensor.Function{Name: "Bad", Forward: func(ctx *tensor.FunctionContext, in ...*tensor.Tensor) *tensor.Tensor {
		tensor.ReLU(in[0])
		panic("bad")
	}}
	x := in(s, 3)
	func() {
		defer func() { recover() }()
		bad.Apply(x)
	}()
	tensor.ReLU(x)
	if len(r.ops) != 1 || r.ops[0].Name != "ReLU" {
		t.Errorf("after a Function that panicked, %d ops traced", len(r.ops))
	}
}

// TestTraceAllocatesNothing checks that, in a scope without a Tracer, the
// traced operations still allocate nothing once an arena is warm (the
// convolution is one of LeNet-5's, whose kernel allocates nothing).
func TestTraceAllocatesNothing(t *testing.T) {
	if race.Enabled {
		t.Skip("race detector on: sync.Pool drops buffers")
	}
	arena := tensor.NewArena()
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Arena: arena})
	x := tensor.New(make([]float32, 2*1*16*16), 2, 1, 16, 16)
	w, b := tensor.New(make([]float32, 6*1*5*5), 6, 1, 5, 5), tensor.New(make([]float32, 6), 6)
	fw := tensor.New(make([]float32, 5*384), 5, 384)
	pool := tensor.Pooling{Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}
	step := func() {
		arena.Reset()
		in := s.Input(x)
		h := tensor.Add(tensor.ReLU(in), in)
		h = tensor.Conv2dActPool(h, w, b, [2]int{1, 1}, [2]int{2, 2}, tensor.ActTanh, pool)
		h = tensor.Hardtanh(tensor.MulScalar(h, 2), 0, 6)
		h = tensor.Reshape(tensor.Flatten(h), 2, -1)
		h = tensor.Linear(h, fw, nil)
		tensor.SumDims(tensor.Softmax(h, -1), []int{-1}, false)
	}
	step()
	if n := testing.AllocsPerRun(50, step); n != 0 {
		t.Errorf("a step of traceable operations without a Tracer allocates %v times", n)
	}
}

// tracePrinter is a Tracer that prints each operation, naming each tensor
// it has not been told the name of t1, t2, ...
type tracePrinter struct {
	names map[*tensor.Tensor]string
	n     int
}

func (p *tracePrinter) name(t *tensor.Tensor) string {
	if t == nil {
		return "_"
	}
	if n, ok := p.names[t]; ok {
		return n
	}
	p.n++
	n := fmt.Sprintf("t%d", p.n)
	p.names[t] = n
	return n
}

func (p *tracePrinter) Trace(op tensor.Op) {
	var ins, outs []string
	for _, t := range op.Inputs {
		ins = append(ins, p.name(t))
	}
	for _, t := range op.Outputs {
		outs = append(outs, p.name(t)+fmt.Sprint(t.Shape()))
	}
	fmt.Printf("%v = %s%v\n", outs, op.Name, ins)
}

func ExampleTracer() {
	w, b := tensor.Zeros(2, 1, 3, 3), tensor.Zeros(2)
	fw, fb := tensor.Zeros(3, 8), tensor.Zeros(3)
	x := tensor.Zeros(1, 1, 4, 4)

	p := &tracePrinter{names: map[*tensor.Tensor]string{w: "conv.weight", b: "conv.bias", fw: "fc.weight", fb: "fc.bias"}}
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Tracer: p})
	in := s.Input(x) // not an operation: the graph's input
	p.names[in] = "input"

	h := tensor.Conv2d(in, w, b, [2]int{1, 1}, [2]int{1, 1})
	h = tensor.ReLU(h)
	h = tensor.MaxPool2d(h, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0})
	h = tensor.Flatten(h)
	tensor.Linear(h, fw, fb)
	// Output:
	// [t1[1 2 4 4]] = Conv2d[input conv.weight conv.bias]
	// [t2[1 2 4 4]] = ReLU[t1]
	// [t3[1 2 2 2]] = Pool2d[t2]
	// [t4[1 8]] = Flatten[t3]
	// [t5[1 3]] = Linear[t4 fc.weight fc.bias]
}
