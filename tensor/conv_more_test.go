package tensor_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/convnet/convnet/internal/race"
	"github.com/convnet/convnet/tensor"
)

// distinctTensor is randTensor with values at least 0.01 apart, so that
// the finite differences of a maximum never cross a tie.
func distinctTensor(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := randTensor(r, shape...)
	for i, j := range r.Perm(len(t.Data())) {
		t.Data()[i] = float32(j)*0.01 - 1
	}
	return t
}

// TestConvPoolOptionsGradients checks the gradients of the convolution
// with groups, dilation and no bias, and of the poolings with padding,
// ceil mode, dilation, count_include_pad=False and adaptive sizes, against
// finite differences.
func TestConvPoolOptionsGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	conv := func(o tensor.ConvOptions) func(in []*tensor.Tensor) *tensor.Tensor {
		return func(in []*tensor.Tensor) *tensor.Tensor {
			var b *tensor.Tensor
			if len(in) > 2 {
				b = in[2]
			}
			return tensor.Conv2dWith(in[0], in[1], b, o)
		}
	}
	pool := func(p tensor.Pooling) func(in []*tensor.Tensor) *tensor.Tensor {
		return func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Pool2d(in[0], p) }
	}
	one, two, three := [2]int{1, 1}, [2]int{2, 2}, [2]int{3, 3}
	cases := []struct {
		name   string
		inputs []*tensor.Tensor
		op     func(in []*tensor.Tensor) *tensor.Tensor
	}{
		{"conv no bias stride 2", []*tensor.Tensor{randTensor(r, 2, 3, 7, 7), randTensor(r, 4, 3, 3, 3)},
			conv(tensor.ConvOptions{Stride: two, Padding: one})},
		{"conv groups 2", []*tensor.Tensor{randTensor(r, 2, 4, 5, 5), randTensor(r, 6, 2, 3, 3), randTensor(r, 6)},
			conv(tensor.ConvOptions{Padding: one, Groups: 2})},
		{"conv groups 1x1", []*tensor.Tensor{randTensor(r, 2, 6, 3, 4), randTensor(r, 3, 2, 1, 1)},
			conv(tensor.ConvOptions{Groups: 3})},
		{"depthwise 3x3", []*tensor.Tensor{randTensor(r, 2, 3, 6, 5), randTensor(r, 3, 1, 3, 3), randTensor(r, 3)},
			conv(tensor.ConvOptions{Padding: one, Groups: 3})},
		{"depthwise 3x3 stride 2", []*tensor.Tensor{randTensor(r, 2, 3, 7, 6), randTensor(r, 3, 1, 3, 3)},
			conv(tensor.ConvOptions{Stride: two, Padding: one, Groups: 3})},
		{"depthwise multiplier 2", []*tensor.Tensor{randTensor(r, 1, 2, 5, 5), randTensor(r, 4, 1, 3, 3), randTensor(r, 4)},
			conv(tensor.ConvOptions{Padding: one, Groups: 2})},
		{"depthwise 5x3 dilated", []*tensor.Tensor{randTensor(r, 1, 2, 8, 7), randTensor(r, 2, 1, 5, 3)},
			conv(tensor.ConvOptions{Stride: [2]int{1, 2}, Padding: [2]int{2, 1}, Dilation: [2]int{1, 2}, Groups: 2})},
		{"conv dilated", []*tensor.Tensor{randTensor(r, 2, 2, 7, 7), randTensor(r, 3, 2, 3, 3), randTensor(r, 3)},
			conv(tensor.ConvOptions{Padding: two, Dilation: two})},
		{"depthwise relu maxpool fused", []*tensor.Tensor{randTensor(r, 2, 3, 6, 6), randTensor(r, 3, 1, 3, 3), randTensor(r, 3)},
			conv(tensor.ConvOptions{Padding: one, Groups: 3, Act: tensor.ActReLU,
				Pool: &tensor.Pooling{Max: true, Kernel: three, Stride: two, CeilMode: true}})},
		{"grouped avgpool fused", []*tensor.Tensor{randTensor(r, 1, 4, 6, 6), randTensor(r, 4, 2, 3, 3)},
			conv(tensor.ConvOptions{Padding: one, Groups: 2,
				Pool: &tensor.Pooling{Kernel: three, Stride: two, Padding: one, CeilMode: true, ExcludePad: true}})},
		{"maxpool ceil", []*tensor.Tensor{distinctTensor(r, 2, 2, 7, 8)},
			pool(tensor.Pooling{Max: true, Kernel: three, Stride: two, CeilMode: true})},
		{"maxpool padded", []*tensor.Tensor{distinctTensor(r, 1, 2, 8, 7)},
			pool(tensor.Pooling{Max: true, Kernel: three, Stride: two, Padding: one})},
		{"maxpool dilated", []*tensor.Tensor{distinctTensor(r, 1, 2, 9, 9)},
			pool(tensor.Pooling{Max: true, Kernel: three, Stride: two, Padding: one, Dilation: two, CeilMode: true})},
		{"avgpool ceil", []*tensor.Tensor{randTensor(r, 1, 2, 7, 8)},
			pool(tensor.Pooling{Kernel: three, Stride: two, CeilMode: true})},
		{"avgpool exclude pad", []*tensor.Tensor{randTensor(r, 1, 2, 6, 5)},
			pool(tensor.Pooling{Kernel: three, Stride: one, Padding: one, ExcludePad: true})},
		{"avgpool ceil padded", []*tensor.Tensor{randTensor(r, 1, 2, 8, 8)},
			pool(tensor.Pooling{Kernel: three, Stride: two, Padding: one, CeilMode: true})},
		{"adaptive avg 1x1", []*tensor.Tensor{randTensor(r, 2, 3, 5, 4)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.GlobalAvgPool2d(in[0]) }},
		{"adaptive avg 3x2", []*tensor.Tensor{randTensor(r, 1, 2, 7, 5)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.AdaptiveAvgPool2d(in[0], [2]int{3, 2}) }},
		{"adaptive max 3x2", []*tensor.Tensor{distinctTensor(r, 1, 2, 7, 5)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.AdaptiveMaxPool2d(in[0], [2]int{3, 2}) }},
		{"adaptive max 1x1", []*tensor.Tensor{distinctTensor(r, 2, 2, 4, 3)},
			func(in []*tensor.Tensor) *tensor.Tensor { return tensor.AdaptiveMaxPool2d(in[0], one) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { gradCheck(t, r, gradCase{c.name, c.inputs, c.op}) })
	}
}

// TestConv2dWithFusedMatchesSeparate checks that the activation and the
// pooling done by Conv2dWith, with the new options on both, give what the
// operations apart give, forward and backward.
func TestConv2dWithFusedMatchesSeparate(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, c := range []struct {
		o    tensor.ConvOptions
		x, w []int
	}{
		{tensor.ConvOptions{Padding: [2]int{1, 1}, Groups: 4}, []int{2, 4, 9, 9}, []int{4, 1, 3, 3}},
		{tensor.ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Groups: 4}, []int{2, 4, 12, 12}, []int{8, 1, 3, 3}},
		{tensor.ConvOptions{Padding: [2]int{2, 2}, Dilation: [2]int{2, 2}}, []int{2, 3, 9, 9}, []int{4, 3, 3, 3}},
		{tensor.ConvOptions{Padding: [2]int{1, 1}, Groups: 2}, []int{2, 4, 9, 9}, []int{6, 2, 3, 3}},
	} {
		for _, p := range []tensor.Pooling{
			{Max: true, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, CeilMode: true},
			{Max: true, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Dilation: [2]int{2, 2}},
			{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, CeilMode: true, ExcludePad: true},
			{Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}, CeilMode: true},
		} {
			for _, act := range []tensor.Activation{tensor.ActNone, tensor.ActReLU, tensor.ActTanh} {
				name := fmt.Sprintf("%+v %+v act %d", c.o, p, act)
				x, w := randTensor(r, c.x...), randTensor(r, c.w...)
				b := randTensor(r, c.w[0])
				o := c.o
				o.Act, o.Pool = act, &p
				fused := tensor.Conv2dWith(x, w, b, o)
				dy := randTensor(r, fused.Shape()...).SetRequiresGrad(false)
				tensor.Sum(tensor.Mul(fused, dy)).Backward()
				grads := [][]float32{x.Grad().Clone().Data(), w.Grad().Clone().Data(), b.Grad().Clone().Data()}
				x.ZeroGrad()
				w.ZeroGrad()
				b.ZeroGrad()
				o.Act, o.Pool = tensor.ActNone, nil
				y := tensor.Conv2dWith(x, w, b, o)
				switch act {
				case tensor.ActReLU:
					y = tensor.ReLU(y)
				case tensor.ActTanh:
					y = tensor.Tanh(y)
				}
				apart := tensor.Pool2d(y, p)
				if fmt.Sprint(apart.Shape()) != fmt.Sprint(fused.Shape()) {
					t.Fatalf("%s: fused shape %v, apart %v", name, fused.Shape(), apart.Shape())
				}
				closeData(t, name+" y", fused.Data(), apart.Data())
				tensor.Sum(tensor.Mul(apart, dy)).Backward()
				for i, g := range []*tensor.Tensor{x, w, b} {
					closeData(t, fmt.Sprintf("%s grad %d", name, i), grads[i], g.Grad().Data())
				}
			}
		}
	}
}

func closeData(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestConvPoolOptionsRefused checks that settings PyTorch refuses panic.
func TestConvPoolOptionsRefused(t *testing.T) {
	x := tensor.Zeros(1, 4, 6, 6)
	for name, op := range map[string]func(){
		"groups not dividing the input": func() {
			tensor.Conv2dWith(x, tensor.Zeros(3, 1, 3, 3), nil, tensor.ConvOptions{Groups: 3})
		},
		"groups not dividing the output": func() {
			tensor.Conv2dWith(x, tensor.Zeros(3, 2, 3, 3), nil, tensor.ConvOptions{Groups: 2})
		},
		"weight channels not the group's": func() {
			tensor.Conv2dWith(x, tensor.Zeros(4, 4, 3, 3), nil, tensor.ConvOptions{Groups: 2})
		},
		"negative dilation": func() {
			tensor.Conv2dWith(x, tensor.Zeros(4, 4, 3, 3), nil, tensor.ConvOptions{Dilation: [2]int{-1, 1}})
		},
		"dilated kernel larger than the input": func() {
			tensor.Conv2dWith(x, tensor.Zeros(4, 4, 3, 3), nil, tensor.ConvOptions{Dilation: [2]int{3, 3}})
		},
		"zero stride": func() { tensor.Conv2d(x, tensor.Zeros(4, 4, 3, 3), nil, [2]int{}, [2]int{}) },
		"average with dilation": func() {
			tensor.Pool2d(x, tensor.Pooling{Kernel: [2]int{2, 2}, Stride: [2]int{1, 1}, Dilation: [2]int{2, 2}})
		},
		"padding over half the kernel": func() {
			tensor.Pool2d(x, tensor.Pooling{Max: true, Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{2, 2}})
		},
		"adaptive to zero": func() { tensor.AdaptiveAvgPool2d(x, [2]int{0, 1}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			op()
		}()
	}
}

// TestConvPoolOptionsAllocateNothing checks that, once warm, a training
// step through the new settings (a depthwise convolution fused with its
// activation and a ceil-mode max pooling, a strided depthwise one, an
// average pooling without the padding, an adaptive pooling) in a scope
// with an arena allocates nothing. (Convolutions that run as im2col and
// GEMM, grouped or not, allocate their closures: they are not in it.)
func TestConvPoolOptionsAllocateNothing(t *testing.T) {
	if race.Enabled {
		t.Skip("race detector on: sync.Pool drops buffers")
	}
	r := rand.New(rand.NewPCG(15, 16))
	x := randTensor(r, 4, 8, 20, 20).SetRequiresGrad(false)
	w1, b1 := randTensor(r, 8, 1, 3, 3), randTensor(r, 8)
	w2 := randTensor(r, 16, 1, 3, 3)
	arena := tensor.NewArena()
	s := tensor.NewScope(tensor.ScopeOptions{Arena: arena})
	pool := tensor.Pooling{Max: true, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, CeilMode: true}
	step := func() {
		arena.Reset()
		for _, p := range []*tensor.Tensor{w1, b1, w2} {
			p.ZeroGrad()
		}
		h := tensor.Conv2dWith(s.Input(x), w1, b1, tensor.ConvOptions{Padding: [2]int{1, 1}, Groups: 8, Act: tensor.ActReLU, Pool: &pool})
		h = tensor.Conv2dWith(h, w2, nil, tensor.ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Groups: 8})
		h = tensor.Pool2d(h, tensor.Pooling{Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}, ExcludePad: true})
		tensor.Sum(tensor.AdaptiveAvgPool2d(h, [2]int{3, 3})).Backward()
	}
	for range 3 {
		step()
	}
	if n := testing.AllocsPerRun(20, step); n != 0 {
		t.Errorf("a step allocates %v times", n)
	}
}
