package tensor_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/convnet/convnet/internal/testref"
	"github.com/convnet/convnet/tensor"
)

// roundBF16 is x rounded to bfloat16, to nearest even (as the kernels
// round), back in float32.
func roundBF16(x []float32) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		u := math.Float32bits(v)
		if u&0x7f800000 != 0 {
			u = (u + 0x7fff + u>>16&1) &^ 0xffff
		} else {
			u &= 0x80000000
		}
		out[i] = math.Float32frombits(u)
	}
	return out
}

// normals returns normal random values for a tensor of the given shape.
func normals(r *rand.Rand, shape ...int) []float32 {
	v := make([]float32, tensor.Numel(shape))
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// TestBF16ScopeIsFP32OnRoundedOperands pins what BFloat16 means, op by
// op: the result and the gradients of the weights and inputs are what
// float32 gives on operands rounded to bf16 (the output gradient too),
// up to the order of the sums. Depthwise convolutions stay float32.
func TestBF16ScopeIsFP32OnRoundedOperands(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	rnd := func(shape ...int) []float32 { return normals(r, shape...) }
	for _, c := range []struct {
		name      string
		x, w      []int
		op        func(x, w *tensor.Tensor) *tensor.Tensor
		depthwise bool
	}{
		{"conv3x3", []int{2, 5, 16, 15}, []int{7, 5, 3, 3}, func(x, w *tensor.Tensor) *tensor.Tensor {
			return tensor.Conv2d(x, w, nil, [2]int{1, 1}, [2]int{1, 1})
		}, false},
		{"conv-stride2", []int{3, 4, 9, 11}, []int{6, 4, 3, 3}, func(x, w *tensor.Tensor) *tensor.Tensor {
			return tensor.Conv2d(x, w, nil, [2]int{2, 2}, [2]int{1, 1})
		}, false},
		{"conv-groups-dilation", []int{2, 6, 10, 10}, []int{9, 2, 3, 3}, func(x, w *tensor.Tensor) *tensor.Tensor {
			return tensor.Conv2dWith(x, w, nil, tensor.ConvOptions{Padding: [2]int{2, 2}, Dilation: [2]int{2, 2}, Groups: 3})
		}, false},
		{"conv-few-channels", []int{3, 1, 28, 28}, []int{6, 1, 5, 5}, func(x, w *tensor.Tensor) *tensor.Tensor {
			return tensor.Conv2d(x, w, nil, [2]int{1, 1}, [2]int{2, 2})
		}, false},
		{"depthwise", []int{2, 8, 9, 9}, []int{8, 1, 3, 3}, func(x, w *tensor.Tensor) *tensor.Tensor {
			return tensor.Conv2dWith(x, w, nil, tensor.ConvOptions{Padding: [2]int{1, 1}, Groups: 8})
		}, true},
		{"conv-transpose", []int{2, 4, 7, 6}, []int{4, 3, 3, 3}, func(x, w *tensor.Tensor) *tensor.Tensor {
			return tensor.ConvTranspose2d(x, w, nil, tensor.ConvTransposeOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}})
		}, false},
		{"linear", []int{5, 37}, []int{11, 37}, func(x, w *tensor.Tensor) *tensor.Tensor {
			return tensor.Linear(x, w, nil)
		}, false},
		{"matmul", []int{2, 3, 19}, []int{19, 7}, tensor.MatMul, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			xv, wv := rnd(c.x...), rnd(c.w...)
			run := func(prec tensor.Precision, xv, wv []float32, dyOf func(shape []int) []float32) (y, dx, dw []float32) {
				x := tensor.New(xv, c.x...).SetRequiresGrad(true)
				w := tensor.New(wv, c.w...).SetRequiresGrad(true)
				s := tensor.NewScope(tensor.ScopeOptions{Precision: prec})
				out := c.op(s.Input(x), w)
				tensor.Sum(tensor.Mul(out, tensor.New(dyOf(out.Shape()), out.Shape()...))).Backward()
				return out.Data(), x.Grad().Data(), w.Grad().Data()
			}
			var dy []float32
			dyOf := func(shape []int) []float32 {
				if dy == nil {
					dy = rnd(shape...)
				}
				return dy
			}
			y, dx, dw := run(tensor.BFloat16, xv, wv, dyOf)
			rx, rw := roundBF16(xv), roundBF16(wv)
			roundedDy := func([]int) []float32 { return roundBF16(dy) }
			if c.depthwise {
				rx, rw, roundedDy = xv, wv, func([]int) []float32 { return dy }
			}
			wantY, wantDx, wantDw := run(tensor.Float32, rx, rw, roundedDy)
			for _, v := range []struct {
				what      string
				got, want []float32
			}{{"output", y, wantY}, {"input gradient", dx, wantDx}, {"weight gradient", dw, wantDw}} {
				if err := testref.WithinScale(v.got, v.want, 1e-5); err != nil {
					t.Errorf("%s: %v", v.what, err)
				}
			}
			if !c.depthwise {
				// And bf16 is not float32: the plain float32 output differs.
				plain, _, _ := run(tensor.Float32, xv, wv, func([]int) []float32 { return dy })
				if testref.WithinScale(y, plain, 1e-5) == nil {
					t.Error("the bf16 output is float32's within 1e-5: nothing was rounded")
				}
			}
		})
	}
}

// TestConv2dAdd: the fused residual block end gives what a convolution,
// an addition and a ReLU give, without gradients and with them.
func TestConv2dAdd(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	rnd := func(shape ...int) *tensor.Tensor { return tensor.New(normals(r, shape...), shape...) }
	x, w, b, res := rnd(2, 16, 12, 12), rnd(16, 16, 3, 3), rnd(16), rnd(2, 16, 12, 12)
	o := tensor.ConvOptions{Padding: [2]int{1, 1}, Act: tensor.ActReLU}
	plain := o
	plain.Act = tensor.ActNone
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
	want := tensor.ReLU(tensor.Add(tensor.Conv2dWith(s.Input(x), w, b, plain), res))
	got := tensor.Conv2dAdd(s.Input(x), w, b, res, o)
	if err := testref.WithinScale(got.Data(), want.Data(), 1e-6); err != nil {
		t.Errorf("without gradients: %v", err)
	}
	// With gradients: the same values, and the gradients of the ops.
	grads := func(fused bool) [][]float32 {
		xs, ws, rs := x.Clone().SetRequiresGrad(true), w.Clone().SetRequiresGrad(true), res.Clone().SetRequiresGrad(true)
		var y *tensor.Tensor
		if fused {
			y = tensor.Conv2dAdd(xs, ws, b, rs, o)
		} else {
			y = tensor.ReLU(tensor.Add(tensor.Conv2dWith(xs, ws, b, plain), rs))
		}
		tensor.Sum(tensor.Mul(y, y)).Backward()
		return [][]float32{y.Data(), xs.Grad().Data(), ws.Grad().Data(), rs.Grad().Data()}
	}
	g, wg := grads(true), grads(false)
	for i, what := range []string{"output", "input gradient", "weight gradient", "residual gradient"} {
		if err := testref.WithinScale(g[i], wg[i], 1e-6); err != nil {
			t.Errorf("with gradients, %s: %v", what, err)
		}
	}
}

// TestLinearCachedBF16: a bf16 linear layer with a weight cache, at small
// and large batches, gives what it gives without.
func TestLinearCachedBF16(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	rnd := func(shape ...int) *tensor.Tensor { return tensor.New(normals(r, shape...), shape...) }
	w, b := rnd(37, 301), rnd(37)
	cache := tensor.NewWeightCache()
	defer cache.Drop()
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Precision: tensor.BFloat16})
	for _, n := range []int{1, 5, 100} {
		x := rnd(n, 301)
		want := tensor.Linear(s.Input(x), w, b)
		for run := range 2 {
			got := tensor.LinearCached(s.Input(x), w, b, cache)
			if err := testref.WithinScale(got.Data(), want.Data(), 1e-5); err != nil {
				t.Errorf("batch %d, call %d: %v", n, run, err)
			}
		}
	}
}
