package nn_test

import (
	"math"
	"testing"

	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// TestConvPoolOptionsFormat checks the printouts of the convolution and
// pooling settings against PyTorch 1.13's.
func TestConvPoolOptionsFormat(t *testing.T) {
	for _, c := range []struct {
		m    nn.Module
		want string
	}{
		{nn.NewConv2d(32, 32, 3, nn.Padding(1), nn.Groups(32), nn.NoBias()),
			"Conv2d(32, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=32, bias=False)"},
		{nn.NewConv2d(32, 64, 3, nn.Stride(2), nn.Padding(2), nn.Dilation(2)),
			"Conv2d(32, 64, kernel_size=(3, 3), stride=(2, 2), padding=(2, 2), dilation=(2, 2))"},
		{nn.NewConv2d(3, 64, 7, nn.Stride(2), nn.Padding(3), nn.Bias(false)),
			"Conv2d(3, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), bias=False)"},
		{nn.NewConv2d(8, 8, 1, nn.Groups(1), nn.Dilation(1), nn.Bias(true)),
			"Conv2d(8, 8, kernel_size=(1, 1), stride=(1, 1))"},
		{nn.NewMaxPool2d(3, 2, 0, nn.CeilMode()),
			"MaxPool2d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=True)"},
		{nn.NewMaxPool2d(3, 2, 1),
			"MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)"},
		{nn.NewMaxPool2d(3, 2, 1, nn.PoolDilation(2)),
			"MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=False)"},
		{nn.NewAvgPool2d(3, 2, 1, nn.CeilMode(), nn.CountIncludePad(false)),
			"AvgPool2d(kernel_size=3, stride=2, padding=1)"},
		{nn.NewAdaptiveAvgPool2d(1, 1), "AdaptiveAvgPool2d(output_size=(1, 1))"},
		{nn.NewAdaptiveAvgPool2d(7, 7), "AdaptiveAvgPool2d(output_size=(7, 7))"},
		{nn.NewAdaptiveMaxPool2d(1, 1), "AdaptiveMaxPool2d(output_size=(1, 1))"},
	} {
		if got := nn.Format(c.m); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}

// TestConvGroupsShapes checks the weight shapes and outputs of grouped,
// depthwise and dilated layers, and the options' checks.
func TestConvGroupsShapes(t *testing.T) {
	dw := nn.NewConv2d(6, 12, 3, nn.Groups(6), nn.Padding(1), nn.Stride(2))
	if got := dw.Weight.Shape(); got[0] != 12 || got[1] != 1 || got[2] != 3 || got[3] != 3 {
		t.Errorf("depthwise weight %v, want [12 1 3 3]", got)
	}
	// PyTorch's bound: 1/sqrt(fan_in) with fan_in = (in/groups)*k*k = 9.
	for _, v := range dw.Weight.Data() {
		if math.Abs(float64(v)) > 1.0/3 {
			t.Fatalf("weight %g outside ±1/3", v)
		}
	}
	y := dw.Call(tensor.Zeros(2, 6, 9, 9))
	if s := y.Shape(); s[0] != 2 || s[1] != 12 || s[2] != 5 || s[3] != 5 {
		t.Errorf("depthwise output %v, want [2 12 5 5]", s)
	}
	d := nn.NewConv2d(2, 3, 3, nn.Dilation(2))
	if s := d.Call(tensor.Zeros(1, 2, 9, 8)).Shape(); s[2] != 5 || s[3] != 4 {
		t.Errorf("dilated output %v, want [1 3 5 4]", s)
	}
	for name, build := range map[string]func(){
		"groups not dividing in":  func() { nn.NewConv2d(6, 8, 3, nn.Groups(4)) },
		"groups not dividing out": func() { nn.NewConv2d(8, 6, 3, nn.Groups(4)) },
		"zero dilation":           func() { nn.NewConv2d(2, 2, 3, nn.Dilation(0)) },
		"pool dilation on avg":    func() { nn.NewAvgPool2d(3, 1, 1, nn.PoolDilation(2)) },
		"adaptive zero size":      func() { nn.NewAdaptiveAvgPool2d(0, 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			build()
		}()
	}
}

// TestFuseConvBlocksWithOptions checks that blocks whose convolution has
// groups or dilation and whose pooling has ceil mode, padding or
// count_include_pad=False run fused as they do apart (FuseConvBlocks
// passes every setting to tensor.Conv2dWith).
func TestFuseConvBlocksWithOptions(t *testing.T) {
	build := func() *nn.Sequential {
		nn.ManualSeed(3)
		return seq(
			"dw", nn.NewConv2d(4, 4, 3, nn.Padding(1), nn.Groups(4)), "act1", nn.NewReLU(),
			"pool1", nn.NewMaxPool2d(3, 2, 0, nn.CeilMode()),
			"grouped", nn.NewConv2d(4, 6, 3, nn.Padding(2), nn.Dilation(2), nn.Groups(2), nn.NoBias()),
			"pool2", nn.NewAvgPool2d(3, 2, 1, nn.CeilMode(), nn.CountIncludePad(false)),
			"conv", nn.NewConv2d(6, 4, 3, nn.Padding(1), nn.Stride(2)), "act3", nn.NewTanh(),
			"pool3", nn.NewMaxPool2d(2, 2, 1, nn.PoolDilation(2)),
		)
	}
	plain, fused := build(), nn.FuseConvBlocks(build())
	x := tensor.Zeros(2, 4, 15, 15)
	for i := range x.Data() {
		x.Data()[i] = float32(math.Sin(float64(i) * 0.37))
	}
	a, b := plain.Call(x), fused.Call(x)
	if len(a.Data()) != len(b.Data()) {
		t.Fatalf("fused output %v, apart %v", b.Shape(), a.Shape())
	}
	for i, v := range a.Data() {
		if math.Abs(float64(b.Data()[i]-v)) > 1e-5 {
			t.Fatalf("output[%d] = %g fused, %g apart", i, b.Data()[i], v)
		}
	}
}
