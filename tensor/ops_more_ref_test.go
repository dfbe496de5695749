package tensor_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/convnet/convnet/internal/testref"
	"github.com/convnet/convnet/tensor"
)

// TestMoreOpsMatchPyTorch compares each op's result and input gradients
// with PyTorch's (testdata/ops_more.safetensors: <case>.<input>, .y, .dy,
// .d<input>).
func TestMoreOpsMatchPyTorch(t *testing.T) {
	ref := testref.Open(t, "ops_more.safetensors")
	target := ref.Ints("loss.target")
	weight, _ := ref.F32("loss.weight")
	ignore := ref.Ints("loss.ignore")[0]
	bceWeight, bcePosWeight := param(ref, "bce.weight").SetRequiresGrad(false), param(ref, "bce.pos_weight").SetRequiresGrad(false)
	x, ab := []string{"x"}, []string{"a", "b"}
	reversed := func(ts []*tensor.Tensor) []*tensor.Tensor { slices.Reverse(ts); return ts }
	for _, c := range []struct {
		name   string
		inputs []string
		op     func(in []*tensor.Tensor) *tensor.Tensor
	}{
		{"add_bias", ab, two(tensor.Add)},
		{"add_outer", ab, two(tensor.Add)},
		{"sub", ab, two(tensor.Sub)},
		{"mul", ab, two(tensor.Mul)},
		{"div", ab, two(tensor.Div)},
		{"add_scalar", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.AddScalar(x, 1.5) })},
		{"mul_scalar", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.MulScalar(x, -2.5) })},
		{"sum_dims", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.SumDims(x, []int{0, 2}, false) })},
		{"mean_dims", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.MeanDims(x, []int{2, 3}, true) })},
		{"mean_dim", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.MeanDims(x, []int{-1}, false) })},
		{"mean", x, one(tensor.Mean)},
		{"amax", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.AmaxDims(x, []int{1}, true) })},
		{"amin", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.AminDims(x, []int{0, 2}, false) })},
		{"amax_ties", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.AmaxDims(x, []int{1}, false) })},
		{"expand", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Expand(x, 2, -1, 4) })},
		{"clamp", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Clamp(x, -0.5, 0.5) })},
		{"cat", []string{"a", "b", "c"}, func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Cat(in, 1) }},
		{"stack", ab, func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Stack(in, 1) }},
		{"narrow", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Narrow(x, 1, 1, 3) })},
		{"split", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Cat(reversed(tensor.Split(x, 2, 1)), 1) })},
		{"permute", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Permute(x, 2, 0, 1) })},
		{"transpose", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Transpose(x, 0, 2) })},
		{"view", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.View(x, -1, 4) })},
		{"sigmoid", x, one(tensor.Sigmoid)},
		{"relu6", x, one(tensor.ReLU6)},
		{"hardtanh", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Hardtanh(x, -0.5, 1) })},
		{"leaky_relu", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.LeakyReLU(x, 0.1) })},
		{"hardsigmoid", x, one(tensor.Hardsigmoid)},
		{"hardswish", x, one(tensor.Hardswish)},
		{"silu", x, one(tensor.SiLU)},
		{"gelu", x, one(tensor.GELU)},
		{"gelu_tanh", x, one(tensor.GELUTanh)},
		{"exp", x, one(tensor.Exp)},
		{"log", x, one(tensor.Log)},
		{"sqrt", x, one(tensor.Sqrt)},
		{"abs", x, one(tensor.Abs)},
		{"pow", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Pow(x, 2.5) })},
		{"softmax_dim1", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.Softmax(x, 1) })},
		{"log_softmax_dim0", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.LogSoftmax(x, 0) })},
		{"nll", x, one(func(x *tensor.Tensor) *tensor.Tensor { return tensor.NLLLoss(tensor.LogSoftmax(x, 1), target) })},
		{"nll_weight_sum", x, one(func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.NLLLossWith(x, target, tensor.LossOptions{Weight: weight, Reduction: tensor.ReduceSum})
		})},
		{"xent_weight", x, one(func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.CrossEntropyWith(x, target, tensor.LossOptions{Weight: weight})
		})},
		{"xent_smooth", x, one(func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.CrossEntropyWith(x, target, tensor.LossOptions{LabelSmoothing: 0.1})
		})},
		{"xent_weight_smooth", x, one(func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.CrossEntropyWith(x, target, tensor.LossOptions{Weight: weight, LabelSmoothing: 0.2})
		})},
		{"xent_smooth_none", x, one(func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.CrossEntropyWith(x, target, tensor.LossOptions{LabelSmoothing: 0.3, Reduction: tensor.ReduceNone})
		})},
		{"xent_ignore", x, one(func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.CrossEntropyWith(x, target, tensor.LossOptions{Weight: weight, LabelSmoothing: 0.1, IgnoreIndex: &ignore})
		})},
		{"xent_ignore_none", x, one(func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.CrossEntropyWith(x, target, tensor.LossOptions{LabelSmoothing: 0.1, IgnoreIndex: &ignore, Reduction: tensor.ReduceNone})
		})},
		{"nll_ignore", x, one(func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.NLLLossWith(x, target, tensor.LossOptions{IgnoreIndex: &ignore})
		})},
		{"mse", ab, two(func(a, b *tensor.Tensor) *tensor.Tensor { return tensor.MSELoss(a, b, tensor.ReduceMean) })},
		{"smooth_l1", ab, two(func(a, b *tensor.Tensor) *tensor.Tensor { return tensor.SmoothL1Loss(a, b, 0.5, tensor.ReduceMean) })},
		{"bce_logits", ab, two(func(a, b *tensor.Tensor) *tensor.Tensor { return tensor.BCEWithLogits(a, b, tensor.ReduceMean) })},
		{"bce_logits_weights", ab, two(func(a, b *tensor.Tensor) *tensor.Tensor {
			return tensor.BCEWithLogitsWith(a, b, tensor.BCEOptions{Weight: bceWeight, PosWeight: bcePosWeight})
		})},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := make([]*tensor.Tensor, len(c.inputs))
			for i, k := range c.inputs {
				in[i] = param(ref, c.name+"."+k)
			}
			y := c.op(in)
			want, shape := ref.F32(c.name + ".y")
			if fmt.Sprint(y.Shape()) != fmt.Sprint(shape) {
				t.Fatalf("shape %v, want %v", y.Shape(), shape)
			}
			testref.Check(t, "y", y.Data(), want, rtol, atol)
			dy, _ := ref.F32(c.name + ".dy")
			backwardWith(y, dy)
			for i, k := range c.inputs {
				want, _ := ref.F32(c.name + ".d" + k)
				testref.Check(t, "d"+k, in[i].Grad().Data(), want, rtol, atol)
			}
		})
	}
}
