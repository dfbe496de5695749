package tensor_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/convnet/convnet/internal/testref"
	"github.com/convnet/convnet/tensor"
)

// The cases of testdata/conv_more.safetensors, which
// testdata/make_conv_reference.py writes.

func TestConvOptionsMatchPyTorch(t *testing.T) {
	ref := testref.Open(t, "conv_more.safetensors")
	cases := []string{"nobias_s2", "nobias_1x1_s2", "grouped", "grouped_1x1", "depthwise_s1", "depthwise_s2",
		"depthwise_mult", "depthwise_5x5", "dilated", "dilated_depthwise", "rect"}
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			var m struct {
				Stride, Padding, Dilation [2]int
				Groups                    int
				Bias                      bool
			}
			if err := json.Unmarshal([]byte(ref.Metadata("conv."+c)), &m); err != nil {
				t.Fatalf("metadata of conv.%s: %v", c, err)
			}
			k := "conv." + c + "."
			x, w := param(ref, k+"x"), param(ref, k+"w")
			var b *tensor.Tensor
			if m.Bias {
				b = param(ref, k+"b")
			}
			o := tensor.ConvOptions{Stride: m.Stride, Padding: m.Padding, Dilation: m.Dilation, Groups: m.Groups}
			y := tensor.Conv2dWith(x, w, b, o)
			want, shape := ref.F32(k + "y")
			if fmt.Sprint(y.Shape()) != fmt.Sprint(shape) {
				t.Fatalf("shape %v, want %v", y.Shape(), shape)
			}
			testref.Check(t, "y", y.Data(), want, rtol, 1e-4)
			dy, _ := ref.F32(k + "dy")
			backwardWith(y, dy)
			grads := map[string]*tensor.Tensor{"dx": x, "dw": w}
			if m.Bias {
				grads["db"] = b
			}
			for name, g := range grads {
				want, _ := ref.F32(k + name)
				testref.Check(t, name, g.Grad().Data(), want, rtol, 1e-4)
			}
		})
	}
}

func TestPoolOptionsMatchPyTorch(t *testing.T) {
	ref := testref.Open(t, "conv_more.safetensors")
	cases := []string{"max_ceil", "max_ceil_s1", "max_pad", "max_pad_ceil", "max_2x2_ceil", "max_dilated", "max_dilated_ceil",
		"avg_ceil", "avg_pad", "avg_pad_exclude", "avg_pad_ceil", "avg_pad_ceil_exclude",
		"adaptive_avg_1", "adaptive_avg_4", "adaptive_avg_3x5", "adaptive_avg_up",
		"adaptive_max_1", "adaptive_max_3x5", "adaptive_max_up"}
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			var m struct {
				Op                                string
				Kernel, Stride, Padding, Dilation [2]int
				OutputSize                        [2]int `json:"output_size"`
				CeilMode                          bool   `json:"ceil_mode"`
				CountIncludePad                   bool   `json:"count_include_pad"`
			}
			if err := json.Unmarshal([]byte(ref.Metadata("pool."+c)), &m); err != nil {
				t.Fatalf("metadata of pool.%s: %v", c, err)
			}
			var op func(x *tensor.Tensor) *tensor.Tensor
			switch m.Op {
			case "max_pool2d", "avg_pool2d":
				p := tensor.Pooling{Max: m.Op == "max_pool2d", Kernel: m.Kernel, Stride: m.Stride, Padding: m.Padding,
					Dilation: m.Dilation, CeilMode: m.CeilMode, ExcludePad: !m.CountIncludePad}
				op = func(x *tensor.Tensor) *tensor.Tensor { return tensor.Pool2d(x, p) }
			case "adaptive_avg_pool2d":
				op = func(x *tensor.Tensor) *tensor.Tensor { return tensor.AdaptiveAvgPool2d(x, m.OutputSize) }
			case "adaptive_max_pool2d":
				op = func(x *tensor.Tensor) *tensor.Tensor { return tensor.AdaptiveMaxPool2d(x, m.OutputSize) }
			default:
				t.Fatalf("unknown op %q", m.Op)
			}
			x := param(ref, "pool."+c+".x")
			y := op(x)
			want, shape := ref.F32("pool." + c + ".y")
			if fmt.Sprint(y.Shape()) != fmt.Sprint(shape) {
				t.Fatalf("shape %v, want %v", y.Shape(), shape)
			}
			testref.Check(t, "y", y.Data(), want, rtol, atol)
			dy, _ := ref.F32("pool." + c + ".dy")
			backwardWith(y, dy)
			wantDx, _ := ref.F32("pool." + c + ".dx")
			testref.Check(t, "dx", x.Grad().Data(), wantDx, rtol, atol)
		})
	}
}
