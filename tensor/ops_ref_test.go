package tensor_test

import (
	"fmt"
	"testing"

	"github.com/convnet/convnet/internal/testref"
	"github.com/convnet/convnet/tensor"
)

const rtol, atol = 1e-5, 1e-5

// param loads a reference tensor as a leaf that requires gradients.
func param(ref *testref.File, key string) *tensor.Tensor {
	v, shape := ref.F32(key)
	return tensor.New(v, shape...).SetRequiresGrad(true)
}

// backwardWith runs backward of sum(y*dy), which hands dy to y's creator.
func backwardWith(y *tensor.Tensor, dy []float32) {
	w := tensor.New(dy, y.Shape()...)
	tensor.Sum(tensor.Mul(y, w)).Backward()
}

func TestConv2dMatchesPyTorch(t *testing.T) {
	ref := testref.Open(t, "ops.safetensors")
	for _, c := range []string{"c1", "c2", "c3", "s2p1", "vgg", "rect"} {
		t.Run(c, func(t *testing.T) {
			var stride, pad int
			if _, err := fmt.Sscanf(ref.Metadata("conv."+c), "stride=%d padding=%d", &stride, &pad); err != nil {
				t.Fatal(err)
			}
			k := "conv." + c + "."
			x, w, b := param(ref, k+"x"), param(ref, k+"w"), param(ref, k+"b")
			y := tensor.Conv2d(x, w, b, [2]int{stride, stride}, [2]int{pad, pad})
			want, shape := ref.F32(k + "y")
			if fmt.Sprint(y.Shape()) != fmt.Sprint(shape) {
				t.Fatalf("shape %v, want %v", y.Shape(), shape)
			}
			testref.Check(t, "y", y.Data(), want, rtol, atol)
			dy, _ := ref.F32(k + "dy")
			backwardWith(y, dy)
			for name, g := range map[string]*tensor.Tensor{"dx": x, "dw": w, "db": b} {
				want, _ := ref.F32(k + name)
				testref.Check(t, name, g.Grad().Data(), want, rtol, 1e-4)
			}
		})
	}
}

func TestPoolingMatchesPyTorch(t *testing.T) {
	ref := testref.Open(t, "ops.safetensors")
	two := [2]int{2, 2}
	for name, op := range map[string]func(*tensor.Tensor) *tensor.Tensor{
		"avgpool": func(x *tensor.Tensor) *tensor.Tensor { return tensor.AvgPool2d(x, two, two, [2]int{}) },
		"maxpool": func(x *tensor.Tensor) *tensor.Tensor { return tensor.MaxPool2d(x, two, two, [2]int{}) },
	} {
		t.Run(name, func(t *testing.T) {
			checkUnary(t, ref, name, op)
		})
	}
}

func TestActivationsMatchPyTorch(t *testing.T) {
	ref := testref.Open(t, "ops.safetensors")
	for name, op := range map[string]func(*tensor.Tensor) *tensor.Tensor{
		"tanh":    tensor.Tanh,
		"relu":    tensor.ReLU,
		"softmax": func(x *tensor.Tensor) *tensor.Tensor { return tensor.Softmax(x, 1) },
	} {
		t.Run(name, func(t *testing.T) { checkUnary(t, ref, name, op) })
	}
}

// checkUnary compares op's output and input gradient with the reference
// keys <name>.{x,y,dy,dx}.
func checkUnary(t *testing.T, ref *testref.File, name string, op func(*tensor.Tensor) *tensor.Tensor) {
	t.Helper()
	x := param(ref, name+".x")
	y := op(x)
	want, _ := ref.F32(name + ".y")
	testref.Check(t, name+" y", y.Data(), want, rtol, atol)
	dy, _ := ref.F32(name + ".dy")
	backwardWith(y, dy)
	wantDx, _ := ref.F32(name + ".dx")
	testref.Check(t, name+" dx", x.Grad().Data(), wantDx, rtol, atol)
}

func TestLinearMatchesPyTorch(t *testing.T) {
	ref := testref.Open(t, "ops.safetensors")
	x, w, b := param(ref, "linear.x"), param(ref, "linear.w"), param(ref, "linear.b")
	y := tensor.Linear(x, w, b)
	want, _ := ref.F32("linear.y")
	testref.Check(t, "y", y.Data(), want, rtol, atol)
	dy, _ := ref.F32("linear.dy")
	backwardWith(y, dy)
	for name, g := range map[string]*tensor.Tensor{"dx": x, "dw": w, "db": b} {
		want, _ := ref.F32("linear." + name)
		testref.Check(t, name, g.Grad().Data(), want, rtol, atol)
	}
}

func TestCrossEntropyMatchesPyTorch(t *testing.T) {
	ref := testref.Open(t, "ops.safetensors")
	logits := param(ref, "xent.logits")
	loss := tensor.CrossEntropy(logits, ref.Ints("xent.target"))
	want, _ := ref.F32("xent.loss")
	testref.Check(t, "loss", loss.Data(), want, rtol, atol)
	loss.Backward()
	wantD, _ := ref.F32("xent.dlogits")
	testref.Check(t, "dlogits", logits.Grad().Data(), wantD, rtol, atol)
}
