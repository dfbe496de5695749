package tensor_test

import (
	"math/rand/v2"
	"testing"

	"github.com/convnet/convnet/tensor"
)

// TestReLUOfReLUOutput checks that a ReLU of what a ReLU (or a
// convolution fused with one) made is that tensor itself when nothing is
// recorded, and a new one, with the graph, when something is.
func TestReLUOfReLUOutput(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x, w := randTensor(r, 2, 3, 8, 8), randTensor(r, 4, 3, 3, 3)
	infer := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
	for _, make := range []func(x *tensor.Tensor) *tensor.Tensor{
		tensor.ReLU,
		func(x *tensor.Tensor) *tensor.Tensor {
			return tensor.Conv2dWith(x, w, nil, tensor.ConvOptions{Padding: [2]int{1, 1}, Act: tensor.ActReLU})
		},
	} {
		y := make(infer.Input(x))
		if z := tensor.ReLU(y); z != y {
			t.Errorf("no grad: ReLU made a new tensor of a ReLU's output")
		}
		if z := tensor.ReLU(tensor.AddScalar(y, -1)); z.Data()[0] < 0 {
			t.Errorf("ReLU of a shifted ReLU output left a negative value")
		}
		g := make(x.Clone().SetRequiresGrad(true))
		if z := tensor.ReLU(g); z == g {
			t.Errorf("recording: ReLU returned its input")
		}
	}
	plain := tensor.Conv2dWith(infer.Input(x), w, nil, tensor.ConvOptions{Padding: [2]int{1, 1}})
	if z := tensor.ReLU(plain); z == plain {
		t.Errorf("ReLU returned a convolution's output that has no ReLU")
	}
}
