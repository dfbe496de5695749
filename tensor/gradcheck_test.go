package tensor_test

import (
	"math/rand/v2"
	"testing"

	"github.com/convnet/convnet/tensor"
)

func randTensor(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.Zeros(shape...)
	for i := range t.Data() {
		t.Data()[i] = r.Float32()*2 - 1
	}
	return t.SetRequiresGrad(true)
}

// spacedTensor returns a tensor of distinct values in random order, 0.01
// apart and none within 0.005 of 0, so that finite differences change no
// window's maximum and cross no ReLU's kink.
func spacedTensor(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := randTensor(r, shape...)
	n := len(t.Data())
	for i, k := range r.Perm(n) {
		t.Data()[i] = (float32(k-n/2) + 0.5) * 0.01
	}
	return t
}

// TestGradientsMatchFiniteDifferences checks every differentiable op: the
// gradient Backward gives for L = sum(op(inputs) * w), with w random, must
// match central differences of L in each input element.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	one, two := [2]int{1, 1}, [2]int{2, 2}
	cases := []gradCase{
		{"conv2d", []*tensor.Tensor{randTensor(r, 2, 3, 6, 5), randTensor(r, 4, 3, 3, 3), randTensor(r, 4)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Conv2d(in[0], in[1], in[2], one, one) }},
		{"conv2d stride 2", []*tensor.Tensor{randTensor(r, 1, 2, 7, 7), randTensor(r, 3, 2, 3, 2), randTensor(r, 3)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Conv2d(in[0], in[1], in[2], two, [2]int{0, 1}) }},
		{"conv2d 1x1", []*tensor.Tensor{randTensor(r, 2, 3, 4, 4), randTensor(r, 2, 3, 1, 1), randTensor(r, 2)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Conv2d(in[0], in[1], in[2], one, [2]int{}) }},
		{"avgpool2d", []*tensor.Tensor{randTensor(r, 2, 2, 6, 6)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.AvgPool2d(in[0], two, two, [2]int{}) }},
		{"avgpool2d padded", []*tensor.Tensor{randTensor(r, 1, 2, 5, 5)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.AvgPool2d(in[0], [2]int{3, 3}, two, one) }},
		{"maxpool2d", []*tensor.Tensor{randTensor(r, 2, 2, 6, 6)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.MaxPool2d(in[0], two, two, [2]int{}) }},
		{"linear", []*tensor.Tensor{randTensor(r, 3, 5), randTensor(r, 4, 5), randTensor(r, 4)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Linear(in[0], in[1], in[2]) }},
		{"tanh", []*tensor.Tensor{randTensor(r, 3, 7)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Tanh(in[0]) }},
		{"relu", []*tensor.Tensor{randTensor(r, 3, 7)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.ReLU(in[0]) }},
		{"flatten", []*tensor.Tensor{randTensor(r, 2, 3, 2)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Flatten(in[0]) }},
		{"softmax", []*tensor.Tensor{randTensor(r, 3, 6)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Softmax(in[0], 1) }},
		{"log_softmax", []*tensor.Tensor{randTensor(r, 3, 6)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.LogSoftmax(in[0], -1) }},
		{"cross_entropy", []*tensor.Tensor{randTensor(r, 4, 5)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.CrossEntropy(in[0], []int{0, 4, 2, 2}) }},
		{"mul", []*tensor.Tensor{randTensor(r, 2, 3), randTensor(r, 2, 3)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Mul(in[0], in[1]) }},
		{"add", []*tensor.Tensor{randTensor(r, 2, 3), randTensor(r, 2, 3)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Add(in[0], in[1]) }},
		// Chains, so that intermediate results' gradients are stored fresh
		// rather than added.
		{"conv tanh avgpool", []*tensor.Tensor{randTensor(r, 2, 2, 6, 6), randTensor(r, 3, 2, 3, 3)},
			func(in []*tensor.Tensor) *tensor.Tensor {
				return tensor.AvgPool2d(tensor.Tanh(tensor.Conv2d(in[0], in[1], nil, one, one)), two, two, [2]int{})
			}},
		{"conv relu maxpool flatten linear", []*tensor.Tensor{randTensor(r, 2, 2, 5, 5), randTensor(r, 2, 2, 3, 3), randTensor(r, 3, 8)},
			func(in []*tensor.Tensor) *tensor.Tensor {
				h := tensor.MaxPool2d(tensor.ReLU(tensor.Conv2d(in[0], in[1], nil, one, one)), two, two, [2]int{})
				return tensor.Linear(tensor.Flatten(h), in[2], nil)
			}},
		{"linear relu cross_entropy", []*tensor.Tensor{randTensor(r, 4, 5), randTensor(r, 6, 5)},
			func(in []*tensor.Tensor) *tensor.Tensor {
				return tensor.CrossEntropy(tensor.ReLU(tensor.Linear(in[0], in[1], nil)), []int{0, 5, 2, 3})
			}},
		// The activation applied by the convolution, alone and with the
		// pooling doing the tanh's backward.
		{"conv2d+relu", []*tensor.Tensor{randTensor(r, 2, 3, 6, 5), randTensor(r, 4, 3, 3, 3), randTensor(r, 4)},
			func(in []*tensor.Tensor) *tensor.Tensor {
				return tensor.Conv2dAct(in[0], in[1], in[2], one, one, tensor.ActReLU)
			}},
		{"conv2d+tanh", []*tensor.Tensor{randTensor(r, 2, 3, 6, 5), randTensor(r, 4, 3, 3, 3), randTensor(r, 4)},
			func(in []*tensor.Tensor) *tensor.Tensor {
				return tensor.Conv2dAct(in[0], in[1], in[2], one, one, tensor.ActTanh)
			}},
		{"conv2d+tanh avgpool", []*tensor.Tensor{randTensor(r, 2, 2, 6, 6), randTensor(r, 3, 2, 3, 3), randTensor(r, 3)},
			func(in []*tensor.Tensor) *tensor.Tensor {
				return tensor.AvgPool2d(tensor.Conv2dAct(in[0], in[1], in[2], one, one, tensor.ActTanh), two, two, [2]int{})
			}},
		// The pooling done by the convolution too.
		{"conv2d+tanh+avgpool", []*tensor.Tensor{randTensor(r, 2, 2, 6, 6), randTensor(r, 3, 2, 3, 3), randTensor(r, 3)},
			func(in []*tensor.Tensor) *tensor.Tensor {
				return tensor.Conv2dActPool(in[0], in[1], in[2], one, one, tensor.ActTanh, tensor.Pooling{Kernel: two, Stride: two})
			}},
		{"conv2d+relu+maxpool", []*tensor.Tensor{randTensor(r, 2, 2, 6, 6), randTensor(r, 3, 2, 3, 3), randTensor(r, 3)},
			func(in []*tensor.Tensor) *tensor.Tensor {
				return tensor.Conv2dActPool(in[0], in[1], in[2], one, one, tensor.ActReLU, tensor.Pooling{Max: true, Kernel: two, Stride: two})
			}},
		{"conv2d+avgpool 3x3", []*tensor.Tensor{randTensor(r, 1, 2, 7, 7), randTensor(r, 3, 2, 3, 3), randTensor(r, 3)},
			func(in []*tensor.Tensor) *tensor.Tensor {
				return tensor.Conv2dActPool(in[0], in[1], in[2], one, [2]int{}, tensor.ActNone, tensor.Pooling{Kernel: [2]int{3, 3}, Stride: two, Padding: one})
			}},
		// The pooling does the tanh's backward too, adding into a leaf's
		// gradient; and not where another operation reads the tanh.
		{"avgpool after tanh of a leaf", []*tensor.Tensor{randTensor(r, 2, 2, 4, 6)},
			func(in []*tensor.Tensor) *tensor.Tensor {
				return tensor.AvgPool2d(tensor.Tanh(in[0]), two, two, [2]int{})
			}},
		{"tanh read by two poolings", []*tensor.Tensor{randTensor(r, 1, 2, 4, 4)},
			func(in []*tensor.Tensor) *tensor.Tensor {
				h := tensor.Tanh(in[0])
				return tensor.Add(tensor.AvgPool2d(h, two, two, [2]int{}), tensor.AvgPool2d(h, two, two, [2]int{}))
			}},
		// The max pooling does the ReLU's backward too (ResNet's stem: 3×3,
		// stride 2, padding 1), adding into a leaf's gradient; and not
		// where another operation reads the ReLU.
		{"maxpool 3x3 after relu of a leaf", []*tensor.Tensor{spacedTensor(r, 2, 2, 7, 6)},
			func(in []*tensor.Tensor) *tensor.Tensor {
				return tensor.MaxPool2d(tensor.ReLU(in[0]), [2]int{3, 3}, two, one)
			}},
		{"relu read by maxpool and tanh", []*tensor.Tensor{spacedTensor(r, 1, 2, 4, 4)},
			func(in []*tensor.Tensor) *tensor.Tensor {
				h := tensor.ReLU(in[0])
				return tensor.Add(tensor.MaxPool2d(h, two, two, [2]int{}), tensor.AvgPool2d(tensor.Tanh(h), two, two, [2]int{}))
			}},
		{"odd avgpool after tanh", []*tensor.Tensor{randTensor(r, 1, 2, 5, 7)},
			func(in []*tensor.Tensor) *tensor.Tensor {
				return tensor.AvgPool2d(tensor.Tanh(in[0]), two, two, [2]int{})
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { gradCheck(t, r, c) })
	}
}

func TestNoGradRecordsNothing(t *testing.T) {
	x := tensor.Full(1, 2, 2).SetRequiresGrad(true)
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
	y := tensor.Tanh(s.Input(x))
	if y.RequiresGrad() {
		t.Error("an op in a scope without gradients requires gradients")
	}
	if y.Scope() != s {
		t.Error("an op's result is not in its input's scope")
	}
	if z := tensor.Tanh(x); !z.RequiresGrad() {
		t.Error("an op on a tensor of no scope is not recorded")
	}
}
