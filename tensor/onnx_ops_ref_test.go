package tensor_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/convnet/convnet/internal/testref"
	"github.com/convnet/convnet/tensor"
)

// The cases of testdata/onnx_ops.safetensors, which
// testdata/make_onnx_ops_reference.py writes: MatMul, ConvTranspose2d,
// Pad2d, LocalResponseNorm and Gather against PyTorch, forward and
// backward.

// openONNXOpsRef opens testdata/onnx_ops.safetensors, failing with the
// command that writes it when it is missing.
func openONNXOpsRef(t *testing.T) *testref.File {
	t.Helper()
	path := filepath.Join(testref.Dir(t), "onnx_ops.safetensors")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("reference file %s missing: regenerate it with /usr/bin/python3 testdata/make_onnx_ops_reference.py", path)
	}
	return testref.OpenFile(t, path)
}

// checkRef compares y's shape and values with the reference key
// <prefix>y, runs backward with <prefix>dy and compares the gradient of
// each input with <prefix><name>.
func checkRef(t *testing.T, ref *testref.File, prefix string, y *tensor.Tensor, grads map[string]*tensor.Tensor, tol float64) {
	t.Helper()
	want, shape := ref.F32(prefix + "y")
	if fmt.Sprint(y.Shape()) != fmt.Sprint(shape) {
		t.Fatalf("shape %v, want %v", y.Shape(), shape)
	}
	testref.Check(t, "y", y.Data(), want, rtol, tol)
	dy, _ := ref.F32(prefix + "dy")
	backwardWith(y, dy)
	for name, x := range grads {
		want, _ := ref.F32(prefix + name)
		if x.Grad() == nil {
			t.Errorf("%s: no gradient", name)
			continue
		}
		testref.Check(t, name, x.Grad().Data(), want, rtol, tol)
	}
}

// refMeta decodes the JSON settings of a case.
func refMeta(t *testing.T, ref *testref.File, key string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(ref.Metadata(key)), v); err != nil {
		t.Fatalf("metadata of %s: %v", key, err)
	}
}

func TestMatMulMatchesPyTorch(t *testing.T) {
	ref := openONNXOpsRef(t)
	for _, c := range []string{"dot", "mm", "vec_mat", "mat_vec", "batched", "batch_times_matrix",
		"matrix_times_batch", "broadcast_both", "broadcast_ones", "vec_batched", "batched_vec"} {
		t.Run(c, func(t *testing.T) {
			k := "matmul." + c + "."
			a, b := param(ref, k+"a"), param(ref, k+"b")
			checkRef(t, ref, k, tensor.MatMul(a, b), map[string]*tensor.Tensor{"da": a, "db": b}, 1e-5)
		})
	}
}

func TestConvTranspose2dMatchesPyTorch(t *testing.T) {
	ref := openONNXOpsRef(t)
	for _, c := range []string{"basic", "s2_p1_op1", "k4_s2_p1", "grouped", "depthwise", "dilated_rect", "op_ge_stride", "1x1_s2"} {
		t.Run(c, func(t *testing.T) {
			var m struct {
				Stride, Padding, Dilation [2]int
				OutputPadding             [2]int `json:"output_padding"`
				Groups                    int
				Bias                      bool
			}
			refMeta(t, ref, "convt."+c, &m)
			k := "convt." + c + "."
			x, w := param(ref, k+"x"), param(ref, k+"w")
			grads := map[string]*tensor.Tensor{"dx": x, "dw": w}
			var b *tensor.Tensor
			if m.Bias {
				b = param(ref, k+"b")
				grads["db"] = b
			}
			o := tensor.ConvTransposeOptions{Stride: m.Stride, Padding: m.Padding, OutputPadding: m.OutputPadding,
				Dilation: m.Dilation, Groups: m.Groups}
			checkRef(t, ref, k, tensor.ConvTranspose2d(x, w, b, o), grads, 1e-4)
		})
	}
}

func TestPad2dMatchesPyTorch(t *testing.T) {
	ref := openONNXOpsRef(t)
	modes := map[string]tensor.PadMode{"constant": tensor.PadConstant, "reflect": tensor.PadReflect, "replicate": tensor.PadReplicate}
	for _, c := range []string{"constant", "constant_crop", "constant_2d", "reflect", "reflect_crop", "reflect_3d", "replicate", "replicate_crop"} {
		t.Run(c, func(t *testing.T) {
			var m struct {
				Pads  [4]int
				Mode  string
				Value float32
			}
			refMeta(t, ref, "pad."+c, &m)
			mode, ok := modes[m.Mode]
			if !ok {
				t.Fatalf("mode %q", m.Mode)
			}
			if mode.String() != m.Mode {
				t.Errorf("PadMode %d String() = %q, want %q", mode, mode, m.Mode)
			}
			k := "pad." + c + "."
			x := param(ref, k+"x")
			checkRef(t, ref, k, tensor.Pad2d(x, m.Pads, mode, m.Value), map[string]*tensor.Tensor{"dx": x}, 1e-5)
		})
	}
}

func TestLocalResponseNormMatchesPyTorch(t *testing.T) {
	ref := openONNXOpsRef(t)
	for _, c := range []string{"alexnet", "strong", "even", "size1", "wide", "3d", "5d"} {
		t.Run(c, func(t *testing.T) {
			var m struct {
				Size           int
				Alpha, Beta, K float32
			}
			refMeta(t, ref, "lrn."+c, &m)
			k := "lrn." + c + "."
			x := param(ref, k+"x")
			y := tensor.LocalResponseNorm(x, m.Size, m.Alpha, m.Beta, m.K)
			checkRef(t, ref, k, y, map[string]*tensor.Tensor{"dx": x}, 1e-5)
		})
	}
}

func TestGatherMatchesPyTorch(t *testing.T) {
	ref := openONNXOpsRef(t)
	for _, c := range []string{"rows", "matrix_index", "scalar_index", "repeats", "last_dim"} {
		t.Run(c, func(t *testing.T) {
			var m struct {
				Dim        int
				IndexShape []int `json:"index_shape"`
			}
			refMeta(t, ref, "gather."+c, &m)
			k := "gather." + c + "."
			x := param(ref, k+"x")
			y := tensor.Gather(x, m.Dim, ref.Ints(k+"indices"), m.IndexShape)
			checkRef(t, ref, k, y, map[string]*tensor.Tensor{"dx": x}, 1e-5)
		})
	}
}
