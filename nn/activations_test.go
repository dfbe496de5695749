package nn_test

import (
	"slices"
	"testing"

	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// TestActivationsPrintAsPyTorch compares the printouts with PyTorch
// 1.13's print(module) of the same layers.
func TestActivationsPrintAsPyTorch(t *testing.T) {
	relu6 := nn.NewReLU6()
	relu6.Inplace = true
	ht := nn.NewHardtanh(-2, 3)
	ht.Inplace = true
	leaky := nn.NewLeakyReLU(0.2)
	leaky.Inplace = true
	silu := nn.NewSiLU()
	silu.Inplace = true
	hs := nn.NewHardswish()
	hs.Inplace = true
	for _, c := range []struct {
		m    nn.Module
		want string
	}{
		{nn.NewSigmoid(), "Sigmoid()"},
		{nn.NewReLU6(), "ReLU6()"},
		{relu6, "ReLU6(inplace=True)"},
		{nn.NewHardtanh(-1, 1), "Hardtanh(min_val=-1.0, max_val=1.0)"},
		{ht, "Hardtanh(min_val=-2.0, max_val=3.0, inplace=True)"},
		{nn.NewLeakyReLU(0.01), "LeakyReLU(negative_slope=0.01)"},
		{leaky, "LeakyReLU(negative_slope=0.2, inplace=True)"},
		{nn.NewLeakyReLU(1e-5), "LeakyReLU(negative_slope=1e-05)"},
		{nn.NewHardsigmoid(), "Hardsigmoid()"},
		{hs, "Hardswish()"},
		{nn.NewSiLU(), "SiLU()"},
		{silu, "SiLU(inplace=True)"},
		{nn.NewGELU(""), "GELU(approximate='none')"},
		{nn.NewGELU("tanh"), "GELU(approximate='tanh')"},
		{nn.NewSoftmax(1), "Softmax(dim=1)"},
		{nn.NewLogSoftmax(-1), "LogSoftmax(dim=-1)"},
	} {
		if got := nn.Format(c.m); got != c.want {
			t.Errorf("got %s, want %s", got, c.want)
		}
	}
}

// TestActivationLayersForward checks that each layer computes its tensor
// operation.
func TestActivationLayersForward(t *testing.T) {
	x := tensor.New([]float32{-4, -1, -0.25, 0, 0.5, 2, 7}, 1, 7)
	for _, c := range []struct {
		m    nn.Module
		want *tensor.Tensor
	}{
		{nn.NewSigmoid(), tensor.Sigmoid(x)},
		{nn.NewReLU6(), tensor.ReLU6(x)},
		{nn.NewHardtanh(-0.5, 1), tensor.Hardtanh(x, -0.5, 1)},
		{nn.NewLeakyReLU(0.1), tensor.LeakyReLU(x, 0.1)},
		{nn.NewHardsigmoid(), tensor.Hardsigmoid(x)},
		{nn.NewHardswish(), tensor.Hardswish(x)},
		{nn.NewSiLU(), tensor.SiLU(x)},
		{nn.NewGELU("none"), tensor.GELU(x)},
		{nn.NewGELU("tanh"), tensor.GELUTanh(x)},
		{nn.NewSoftmax(1), tensor.Softmax(x, 1)},
		{nn.NewLogSoftmax(1), tensor.LogSoftmax(x, 1)},
	} {
		if got := c.m.ModuleBase().Call(x); !slices.Equal(got.Data(), c.want.Data()) {
			t.Errorf("%s: %v, want %v", nn.Format(c.m), got.Data(), c.want.Data())
		}
	}
	if got := tensor.ReLU6(x).Data(); !slices.Equal(got, []float32{0, 0, 0, 0, 0.5, 2, 6}) {
		t.Errorf("ReLU6 %v", got)
	}
}
