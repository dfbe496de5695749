package tensor_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/convnet/convnet/internal/testref"
	"github.com/convnet/convnet/tensor"
)

// Tests of MatMul, ConvTranspose2d, Pad2d, LocalResponseNorm and Gather
// beyond the PyTorch reference (onnx_ops_ref_test.go): finite
// differences, a direct transposed convolution on shapes that reach each
// convolution kernel, scopes, and shape errors.

func TestONNXOpsGradientsMatchFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	rt := func(shape ...int) *tensor.Tensor { return randTensor(r, shape...) }
	matmul := func(in []*tensor.Tensor) *tensor.Tensor { return tensor.MatMul(in[0], in[1]) }
	convT := func(o tensor.ConvTransposeOptions) func([]*tensor.Tensor) *tensor.Tensor {
		return func(in []*tensor.Tensor) *tensor.Tensor {
			var b *tensor.Tensor
			if len(in) > 2 {
				b = in[2]
			}
			return tensor.ConvTranspose2d(in[0], in[1], b, o)
		}
	}
	pad := func(pads [4]int, mode tensor.PadMode) func([]*tensor.Tensor) *tensor.Tensor {
		return func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Pad2d(in[0], pads, mode, 0.25) }
	}
	lrn := func(size int, alpha, beta, k float32) func([]*tensor.Tensor) *tensor.Tensor {
		return func(in []*tensor.Tensor) *tensor.Tensor { return tensor.LocalResponseNorm(in[0], size, alpha, beta, k) }
	}
	gather := func(dim int, idx, shape []int) func([]*tensor.Tensor) *tensor.Tensor {
		return func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Gather(in[0], dim, idx, shape) }
	}
	// through makes op's input an intermediate result (tanh of the
	// leaf), so that its gradient is stored fresh rather than added.
	through := func(op func([]*tensor.Tensor) *tensor.Tensor) func([]*tensor.Tensor) *tensor.Tensor {
		return func(in []*tensor.Tensor) *tensor.Tensor {
			h := make([]*tensor.Tensor, len(in))
			for i, x := range in {
				h[i] = tensor.Tanh(x)
			}
			return op(h)
		}
	}
	// twice applies op twice to one intermediate input and adds: the
	// second gradient adds to the first.
	twice := func(op func([]*tensor.Tensor) *tensor.Tensor) func([]*tensor.Tensor) *tensor.Tensor {
		return through(func(in []*tensor.Tensor) *tensor.Tensor { return tensor.Add(op(in), op(in)) })
	}
	cases := []gradCase{
		{"matmul dot", []*tensor.Tensor{rt(5), rt(5)}, matmul},
		{"matmul mm", []*tensor.Tensor{rt(3, 4), rt(4, 2)}, matmul},
		{"matmul vec mat", []*tensor.Tensor{rt(4), rt(4, 3)}, matmul},
		{"matmul mat vec", []*tensor.Tensor{rt(3, 4), rt(4)}, matmul},
		{"matmul batch times matrix", []*tensor.Tensor{rt(2, 3, 2, 4), rt(4, 3)}, matmul},
		{"matmul matrix times batch", []*tensor.Tensor{rt(2, 4), rt(3, 4, 2)}, matmul},
		{"matmul broadcast both", []*tensor.Tensor{rt(2, 1, 3, 2), rt(3, 2, 2)}, matmul},
		{"matmul vec batch", []*tensor.Tensor{rt(3), rt(2, 3, 2)}, matmul},
		{"matmul batch vec", []*tensor.Tensor{rt(2, 2, 3), rt(3)}, matmul},
		{"matmul fresh", []*tensor.Tensor{rt(2, 2, 3), rt(3, 2)}, through(matmul)},
		{"matmul fresh broadcast", []*tensor.Tensor{rt(2, 1, 2, 3), rt(2, 3, 2)}, through(matmul)},
		{"matmul twice", []*tensor.Tensor{rt(2, 2, 3), rt(2, 3, 2)}, twice(matmul)},
		{"convtranspose", []*tensor.Tensor{rt(2, 3, 3, 4), rt(3, 2, 3, 3), rt(2)}, convT(tensor.ConvTransposeOptions{})},
		{"convtranspose s2 p1 op1", []*tensor.Tensor{rt(1, 2, 3, 3), rt(2, 3, 3, 3), rt(3)},
			convT(tensor.ConvTransposeOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, OutputPadding: [2]int{1, 1}})},
		{"convtranspose grouped dilated", []*tensor.Tensor{rt(1, 4, 3, 3), rt(4, 1, 2, 3)},
			convT(tensor.ConvTransposeOptions{Stride: [2]int{2, 1}, Dilation: [2]int{1, 2}, Padding: [2]int{0, 1}, Groups: 2})},
		{"convtranspose depthwise", []*tensor.Tensor{rt(2, 3, 3, 3), rt(3, 1, 3, 3), rt(3)},
			convT(tensor.ConvTransposeOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Groups: 3})},
		{"convtranspose output padding past the stride", []*tensor.Tensor{rt(1, 2, 3, 3), rt(2, 2, 2, 2), rt(2)},
			convT(tensor.ConvTransposeOptions{OutputPadding: [2]int{2, 1}})},
		{"convtranspose fresh", []*tensor.Tensor{rt(1, 2, 3, 3), rt(2, 2, 3, 3), rt(2)},
			through(convT(tensor.ConvTransposeOptions{Stride: [2]int{2, 2}}))},
		{"convtranspose twice", []*tensor.Tensor{rt(1, 2, 3, 3), rt(2, 2, 3, 3), rt(2)},
			twice(convT(tensor.ConvTransposeOptions{Stride: [2]int{2, 2}, OutputPadding: [2]int{1, 0}}))},
		{"pad constant", []*tensor.Tensor{rt(2, 2, 3, 4)}, pad([4]int{1, 2, 2, 0}, tensor.PadConstant)},
		{"pad constant crop", []*tensor.Tensor{rt(2, 4, 5)}, pad([4]int{-1, 2, 1, -2}, tensor.PadConstant)},
		{"pad reflect", []*tensor.Tensor{rt(1, 2, 4, 5)}, pad([4]int{2, 4, 3, 1}, tensor.PadReflect)},
		{"pad reflect crop", []*tensor.Tensor{rt(2, 4, 5)}, pad([4]int{1, -1, 2, -1}, tensor.PadReflect)},
		{"pad replicate", []*tensor.Tensor{rt(2, 3, 4)}, pad([4]int{3, 1, 2, 2}, tensor.PadReplicate)},
		{"pad replicate crop", []*tensor.Tensor{rt(3, 4)}, pad([4]int{-2, 1, 0, -1}, tensor.PadReplicate)},
		{"pad fresh", []*tensor.Tensor{rt(1, 2, 3, 3)}, through(pad([4]int{1, 1, 2, 2}, tensor.PadReflect))},
		{"pad twice", []*tensor.Tensor{rt(1, 2, 3, 3)}, twice(pad([4]int{2, 0, 1, 1}, tensor.PadReplicate))},
		{"lrn", []*tensor.Tensor{rt(2, 5, 2, 3)}, lrn(3, 0.8, 0.75, 1)},
		{"lrn even", []*tensor.Tensor{rt(1, 6, 2, 2)}, lrn(4, 0.9, 0.6, 1.2)},
		{"lrn wide", []*tensor.Tensor{rt(2, 3, 3)}, lrn(5, 1, 0.75, 0.5)},
		{"lrn 2-D", []*tensor.Tensor{rt(3, 4)}, lrn(2, 0.7, 1, 1)},
		{"lrn fresh", []*tensor.Tensor{rt(1, 4, 2, 2)}, through(lrn(3, 0.8, 0.75, 1))},
		{"lrn twice", []*tensor.Tensor{rt(1, 4, 2, 2)}, twice(lrn(3, 0.8, 0.75, 1))},
		{"gather", []*tensor.Tensor{rt(4, 3)}, gather(0, []int{3, -4, 3}, []int{3})},
		{"gather matrix index", []*tensor.Tensor{rt(2, 5, 2)}, gather(1, []int{0, 4, 4, -1, 2, 2}, []int{2, 3})},
		{"gather scalar index", []*tensor.Tensor{rt(2, 3, 4)}, gather(-1, []int{-2}, nil)},
		{"gather fresh", []*tensor.Tensor{rt(3, 4)}, through(gather(1, []int{1, 1, 3}, []int{3}))},
		{"gather twice", []*tensor.Tensor{rt(3, 4)}, twice(gather(0, []int{2, 0}, []int{1, 2}))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { gradCheck(t, r, c) })
	}
}

// convTransposeDirect is ConvTranspose2d by its definition: every input
// element times every tap, added where the tap lands. It returns the
// output and, for an output gradient dy, the gradients of x, w and b.
func convTransposeDirect(x, w, b []float32, xs, ws []int, o tensor.ConvTransposeOptions, dy []float32) (y, dx, dw, db []float32, shape []int) {
	N, cin, H, W := xs[0], xs[1], xs[2], xs[3]
	coutG, R, S := ws[1], ws[2], ws[3]
	g := max(o.Groups, 1)
	cinG, cout := cin/g, coutG*g
	sh, sw := max(o.Stride[0], 1), max(o.Stride[1], 1)
	dh, dwl := max(o.Dilation[0], 1), max(o.Dilation[1], 1)
	OH := (H-1)*sh - 2*o.Padding[0] + dh*(R-1) + o.OutputPadding[0] + 1
	OW := (W-1)*sw - 2*o.Padding[1] + dwl*(S-1) + o.OutputPadding[1] + 1
	shape = []int{N, cout, OH, OW}
	y = make([]float32, N*cout*OH*OW)
	dx, dw, db = make([]float32, len(x)), make([]float32, len(w)), make([]float32, cout)
	for n := range N {
		for c := range cout {
			for i := range OH * OW {
				if b != nil {
					y[(n*cout+c)*OH*OW+i] = b[c]
				}
				db[c] += dy[(n*cout+c)*OH*OW+i]
			}
		}
		for ci := range cin {
			gr := ci / cinG
			for co := range coutG {
				c := gr*coutG + co
				for ih := range H {
					for iw := range W {
						xi := ((n*cin+ci)*H+ih)*W + iw
						for r := range R {
							oh := ih*sh - o.Padding[0] + r*dh
							if oh < 0 || oh >= OH {
								continue
							}
							for s := range S {
								ow := iw*sw - o.Padding[1] + s*dwl
								if ow < 0 || ow >= OW {
									continue
								}
								wi := ((ci*coutG+co)*R+r)*S + s
								yi := ((n*cout+c)*OH+oh)*OW + ow
								y[yi] += x[xi] * w[wi]
								dx[xi] += dy[yi] * w[wi]
								dw[wi] += dy[yi] * x[xi]
							}
						}
					}
				}
			}
		}
	}
	return y, dx, dw, db, shape
}

// TestConvTranspose2dMatchesDefinition compares ConvTranspose2d with its
// definition on shapes that send the convolution it transposes to each of
// the convolution kernels (channel- and column-vectorised, implicit GEMM,
// fully connected, depthwise, grouped GEMM, batches of images in one
// GEMM), where the CPU has them.
func TestConvTranspose2dMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	type opts = tensor.ConvTransposeOptions
	cases := []struct {
		name   string
		x, w   []int
		o      opts
		noBias bool
	}{
		{"kvec", []int{2, 16, 6, 6}, []int{16, 4, 3, 3}, opts{Padding: [2]int{1, 1}}, false},
		{"kvec 5x5 32", []int{1, 32, 5, 5}, []int{32, 3, 5, 5}, opts{Padding: [2]int{2, 2}}, true},
		{"xvec", []int{1, 4, 5, 20}, []int{4, 3, 3, 3}, opts{Padding: [2]int{1, 1}}, false},
		{"implicit", []int{1, 3, 20, 20}, []int{3, 5, 3, 3}, opts{}, false},
		{"full kernel (DCGAN's first layer)", []int{3, 8, 1, 1}, []int{8, 5, 4, 4}, opts{}, false},
		{"depthwise", []int{2, 4, 6, 6}, []int{4, 1, 3, 3}, opts{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Groups: 4}, false},
		{"depthwise multiplier", []int{1, 4, 5, 5}, []int{4, 2, 3, 3}, opts{Padding: [2]int{1, 1}, Groups: 2}, false},
		{"grouped dilated", []int{2, 6, 5, 5}, []int{6, 2, 3, 3},
			opts{Stride: [2]int{2, 2}, Padding: [2]int{2, 2}, Dilation: [2]int{2, 2}, OutputPadding: [2]int{1, 1}, Groups: 3}, false},
		{"batch in one GEMM", []int{8, 3, 4, 4}, []int{3, 4, 3, 3}, opts{Stride: [2]int{2, 2}}, false},
		{"1x1 stride 1", []int{2, 5, 4, 3}, []int{5, 3, 1, 1}, opts{}, false},
		{"output padding past the stride", []int{1, 2, 4, 5}, []int{2, 3, 3, 3},
			opts{Padding: [2]int{1, 1}, Dilation: [2]int{3, 2}, OutputPadding: [2]int{2, 1}}, false},
		{"large", []int{2, 24, 9, 9}, []int{24, 16, 4, 4}, opts{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x, w := randTensor(r, c.x...), randTensor(r, c.w...)
			b := randTensor(r, c.w[1]*max(c.o.Groups, 1))
			var bData []float32
			if c.noBias {
				b = nil
			} else {
				bData = b.Data()
			}
			y := tensor.ConvTranspose2d(x, w, b, c.o)
			dy := randTensor(r, y.Shape()...).Data()
			want, dx, dw, db, shape := convTransposeDirect(x.Data(), w.Data(), bData, c.x, c.w, c.o, dy)
			if !slices.Equal(y.Shape(), shape) {
				t.Fatalf("shape %v, want %v", y.Shape(), shape)
			}
			testref.Check(t, "y", y.Data(), want, 1e-4, 1e-4)
			backwardWith(y, dy)
			testref.Check(t, "dx", x.Grad().Data(), dx, 1e-4, 1e-4)
			testref.Check(t, "dw", w.Grad().Data(), dw, 1e-4, 1e-4)
			if b != nil {
				testref.Check(t, "db", b.Grad().Data(), db, 1e-4, 1e-4)
			}
		})
	}
}

// TestONNXOpsInScopes runs each operation in a scope with an arena and
// checks it gives what it gives outside one, gradients too, and that a
// scope without gradients records nothing.
func TestONNXOpsInScopes(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	ops := []struct {
		name   string
		shapes [][]int
		op     func(in []*tensor.Tensor) *tensor.Tensor
	}{
		{"MatMul", [][]int{{2, 3, 4}, {4, 5}}, func(in []*tensor.Tensor) *tensor.Tensor { return tensor.MatMul(in[0], in[1]) }},
		{"ConvTranspose2d", [][]int{{2, 3, 4, 4}, {3, 2, 3, 3}, {2}}, func(in []*tensor.Tensor) *tensor.Tensor {
			return tensor.ConvTranspose2d(in[0], in[1], in[2], tensor.ConvTransposeOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}})
		}},
		{"Pad2d", [][]int{{2, 3, 4, 4}}, func(in []*tensor.Tensor) *tensor.Tensor {
			return tensor.Pad2d(in[0], [4]int{1, 2, 3, 0}, tensor.PadReflect, 0)
		}},
		{"LocalResponseNorm", [][]int{{2, 5, 3, 3}}, func(in []*tensor.Tensor) *tensor.Tensor {
			return tensor.LocalResponseNorm(in[0], 3, 0.5, 0.75, 1)
		}},
		{"Gather", [][]int{{2, 5, 3}}, func(in []*tensor.Tensor) *tensor.Tensor {
			return tensor.Gather(in[0], 1, []int{4, 0, 4}, []int{3})
		}},
	}
	for _, c := range ops {
		t.Run(c.name, func(t *testing.T) {
			in := make([]*tensor.Tensor, len(c.shapes))
			for i, s := range c.shapes {
				in[i] = randTensor(r, s...)
			}
			y := c.op(in)
			w := randTensor(r, y.Shape()...).SetRequiresGrad(false)
			tensor.Sum(tensor.Mul(y, w)).Backward()
			want := make([][]float32, len(in))
			for i, x := range in {
				want[i] = slices.Clone(x.Grad().Data())
				x.ZeroGrad()
			}

			arena := tensor.NewArena()
			s := tensor.NewScope(tensor.ScopeOptions{Arena: arena})
			for range 2 { // the second step reuses the arena's storage
				sin := make([]*tensor.Tensor, len(in))
				for i, x := range in {
					sin[i] = s.Input(x)
				}
				ys := c.op(sin)
				if ys.Scope() != s {
					t.Fatal("the result is not in its inputs' scope")
				}
				testref.Check(t, "y in a scope", ys.Data(), y.Data(), 0, 0)
				tensor.Sum(tensor.Mul(ys, s.Input(w))).Backward()
				for i, x := range in {
					testref.Check(t, fmt.Sprintf("gradient %d in a scope", i), x.Grad().Data(), want[i], 1e-6, 1e-6)
					x.ZeroGrad()
				}
				arena.Reset()
			}

			noGrad := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
			sin := make([]*tensor.Tensor, len(in))
			for i, x := range in {
				sin[i] = noGrad.Input(x)
			}
			yn := c.op(sin)
			if yn.RequiresGrad() {
				t.Error("the result requires gradients in a scope with NoGrad")
			}
			testref.Check(t, "y without gradients", yn.Data(), y.Data(), 0, 0)
		})
	}
}

// TestONNXOpsShapes checks result shapes the reference cases do not.
func TestONNXOpsShapes(t *testing.T) {
	for _, c := range []struct {
		name string
		y    *tensor.Tensor
		want []int
	}{
		{"MatMul dot is 0-d", tensor.MatMul(tensor.Zeros(3), tensor.Zeros(3)), []int{}},
		{"MatMul batch broadcast", tensor.MatMul(tensor.Zeros(5, 1, 2, 3), tensor.Zeros(4, 3, 6)), []int{5, 4, 2, 6}},
		{"MatMul empty batch", tensor.MatMul(tensor.Zeros(0, 2, 3), tensor.Zeros(3, 4)), []int{0, 2, 4}},
		{"MatMul inner 0", tensor.MatMul(tensor.Zeros(2, 0), tensor.Zeros(0, 3)), []int{2, 3}},
		{"ConvTranspose2d DCGAN", tensor.ConvTranspose2d(tensor.Zeros(1, 8, 4, 4), tensor.Zeros(8, 4, 4, 4), nil,
			tensor.ConvTransposeOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}), []int{1, 4, 8, 8}},
		{"Pad2d to nothing", tensor.Pad2d(tensor.Zeros(2, 3, 4), [4]int{-2, -2, 0, 0}, tensor.PadConstant, 0), []int{2, 3, 0}},
		{"Gather 0-d index of 1-D", tensor.Gather(tensor.Zeros(4), 0, []int{1}, []int{}), []int{}},
		{"Gather no indices", tensor.Gather(tensor.Zeros(2, 4), 1, nil, []int{0}), []int{2, 0}},
	} {
		if !slices.Equal(c.y.Shape(), c.want) {
			t.Errorf("%s: shape %v, want %v", c.name, c.y.Shape(), c.want)
		}
	}
	// The dot product of a 0-d result reads with Item, and its values
	// (inner size 0 gives zeros).
	if got := tensor.MatMul(tensor.New([]float32{1, 2, 3}, 3), tensor.New([]float32{4, 5, 6}, 3)).Item(); got != 32 {
		t.Errorf("dot product %v, want 32", got)
	}
	if got := tensor.MatMul(tensor.Full(1, 2, 0), tensor.Full(1, 0, 3)).Data(); slices.ContainsFunc(got, func(v float32) bool { return v != 0 }) {
		t.Errorf("product over an inner size of 0: %v, want zeros", got)
	}
	if got := tensor.Pad2d(tensor.New([]float32{1, 2, 3}, 1, 3), [4]int{2, 2, 0, 0}, tensor.PadReflect, 0).Data(); fmt.Sprint(got) != "[3 2 1 2 3 2 1]" {
		t.Errorf("reflect of [1 2 3] by 2: %v", got)
	}
	idx := []int{2, -1}
	g := tensor.Gather(tensor.New([]float32{0, 1, 2, 3}, 4), 0, idx, []int{2})
	idx[0] = 0
	if fmt.Sprint(g.Data()) != "[2 3]" {
		t.Errorf("Gather [2 -1] of [0 1 2 3]: %v", g.Data())
	}
}

// TestONNXOpsShapeErrors checks that bad shapes and settings panic with a
// message naming the operation.
func TestONNXOpsShapeErrors(t *testing.T) {
	x4 := tensor.Zeros(1, 2, 3, 3)
	w := tensor.Zeros(2, 3, 3, 3)
	ct := func(x, w, b *tensor.Tensor, o tensor.ConvTransposeOptions) func() {
		return func() { tensor.ConvTranspose2d(x, w, b, o) }
	}
	for _, c := range []struct {
		name, op string
		f        func()
	}{
		{"MatMul 0-d", "MatMul", func() { tensor.MatMul(tensor.Zeros(), tensor.Zeros(2)) }},
		{"MatMul inner sizes", "MatMul", func() { tensor.MatMul(tensor.Zeros(2, 3), tensor.Zeros(2, 3)) }},
		{"MatMul vectors", "MatMul", func() { tensor.MatMul(tensor.Zeros(3), tensor.Zeros(4)) }},
		{"MatMul batch", "MatMul", func() { tensor.MatMul(tensor.Zeros(2, 2, 3), tensor.Zeros(3, 3, 2)) }},
		{"ConvTranspose2d 3-D", "ConvTranspose2d", ct(tensor.Zeros(2, 3, 3), w, nil, tensor.ConvTransposeOptions{})},
		{"ConvTranspose2d channels", "ConvTranspose2d", ct(tensor.Zeros(1, 3, 3, 3), w, nil, tensor.ConvTransposeOptions{})},
		{"ConvTranspose2d groups", "ConvTranspose2d", ct(x4, w, nil, tensor.ConvTransposeOptions{Groups: 3})},
		{"ConvTranspose2d bias", "ConvTranspose2d", ct(x4, w, tensor.Zeros(2), tensor.ConvTransposeOptions{})},
		{"ConvTranspose2d grouped bias", "ConvTranspose2d", ct(x4, w, tensor.Zeros(3), tensor.ConvTransposeOptions{Groups: 2})},
		{"ConvTranspose2d stride", "ConvTranspose2d", ct(x4, w, nil, tensor.ConvTransposeOptions{Stride: [2]int{-1, 1}})},
		{"ConvTranspose2d padding", "ConvTranspose2d", ct(x4, w, nil, tensor.ConvTransposeOptions{Padding: [2]int{0, -1}})},
		{"ConvTranspose2d output padding", "ConvTranspose2d", ct(x4, w, nil, tensor.ConvTransposeOptions{OutputPadding: [2]int{-1, 0}})},
		{"ConvTranspose2d no output", "ConvTranspose2d", ct(x4, w, nil, tensor.ConvTransposeOptions{Padding: [2]int{3, 0}})},
		{"Pad2d 1-D", "Pad2d", func() { tensor.Pad2d(tensor.Zeros(3), [4]int{}, tensor.PadConstant, 0) }},
		{"Pad2d mode", "Pad2d", func() { tensor.Pad2d(x4, [4]int{}, tensor.PadMode(7), 0) }},
		{"Pad2d negative size", "Pad2d", func() { tensor.Pad2d(x4, [4]int{0, 0, -2, -2}, tensor.PadConstant, 0) }},
		{"Pad2d reflect too far", "Pad2d", func() { tensor.Pad2d(x4, [4]int{0, 3, 0, 0}, tensor.PadReflect, 0) }},
		{"Pad2d replicate empty", "Pad2d", func() { tensor.Pad2d(tensor.Zeros(1, 0, 3), [4]int{0, 0, 1, 0}, tensor.PadReplicate, 0) }},
		{"LocalResponseNorm 1-D", "LocalResponseNorm", func() { tensor.LocalResponseNorm(tensor.Zeros(3), 3, 1, 1, 1) }},
		{"LocalResponseNorm size", "LocalResponseNorm", func() { tensor.LocalResponseNorm(x4, 0, 1, 1, 1) }},
		{"Gather 0-d", "Gather", func() { tensor.Gather(tensor.Zeros(), 0, []int{0}, []int{1}) }},
		{"Gather dim", "Gather", func() { tensor.Gather(x4, 4, []int{0}, []int{1}) }},
		{"Gather index count", "Gather", func() { tensor.Gather(x4, 1, []int{0, 1}, []int{3}) }},
		{"Gather negative index shape", "Gather", func() { tensor.Gather(x4, 1, nil, []int{-1}) }},
		{"Gather index too large", "Gather", func() { tensor.Gather(x4, 1, []int{0, 2}, []int{2}) }},
		{"Gather index too small", "Gather", func() { tensor.Gather(x4, -1, []int{-4}, []int{1}) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatal("no panic")
				}
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "tensor."+c.op+":") {
					t.Errorf("panic %v does not name tensor.%s", r, c.op)
				} else {
					t.Log(s)
				}
			}()
			c.f()
		})
	}
}
