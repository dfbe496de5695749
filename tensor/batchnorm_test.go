package tensor_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/convnet/convnet/internal/testref"
	"github.com/convnet/convnet/tensor"
)

// bnRef loads a reference tensor as a new tensor, requiring gradients
// if grad.
func bnRef(ref *testref.File, key string, grad bool) *tensor.Tensor {
	v, shape := ref.F32(key)
	return tensor.New(slices.Clone(v), shape...).SetRequiresGrad(grad)
}

// TestBatchNorm2dMatchesPyTorch runs one training step of BatchNorm2d(4)
// and then evaluation on the same x, as the reference does.
func TestBatchNorm2dMatchesPyTorch(t *testing.T) {
	ref := testref.Open(t, "ops.safetensors")
	x := bnRef(ref, "batchnorm.x", true)
	w, b := bnRef(ref, "batchnorm.w", true), bnRef(ref, "batchnorm.b", true)
	rm, rv := tensor.Zeros(4), tensor.Full(1, 4)

	y := tensor.BatchNorm2d(x, w, b, rm, rv, true, 0.1, 1e-5)
	want, shape := ref.F32("batchnorm.y")
	if !slices.Equal(y.Shape(), shape) {
		t.Fatalf("shape %v, want %v", y.Shape(), shape)
	}
	testref.Check(t, "y", y.Data(), want, 1e-5, 1e-5)
	for name, got := range map[string]*tensor.Tensor{"running_mean": rm, "running_var": rv} {
		want, _ := ref.F32("batchnorm." + name)
		testref.Check(t, name, got.Data(), want, 1e-5, 1e-5)
	}
	dy, _ := ref.F32("batchnorm.dy")
	tensor.Sum(tensor.Mul(y, tensor.New(dy, y.Shape()...))).Backward()
	for name, p := range map[string]*tensor.Tensor{"dx": x, "dw": w, "db": b} {
		want, _ := ref.F32("batchnorm." + name)
		testref.Check(t, name, p.Grad().Data(), want, 1e-5, 1e-5)
	}

	rmBefore, rvBefore := rm.Clone(), rv.Clone()
	yEval := tensor.BatchNorm2d(x, w, b, rm, rv, false, 0.1, 1e-5)
	want, _ = ref.F32("batchnorm.y_eval")
	testref.Check(t, "y_eval", yEval.Data(), want, 1e-5, 1e-5)
	if !slices.Equal(rm.Data(), rmBefore.Data()) || !slices.Equal(rv.Data(), rvBefore.Data()) {
		t.Error("evaluation changed the running statistics")
	}
}

// bnLoss returns sum(y*r) in float64.
func bnLoss(y, r *tensor.Tensor) float64 {
	var s float64
	for i, v := range y.Data() {
		s += float64(v) * float64(r.Data()[i])
	}
	return s
}

// TestBatchNorm2dFiniteDifferences checks the gradients of x, weight and
// bias against central differences of sum(y*r), in training mode (with
// and without an affine transform, and with x an intermediate result so
// that its gradient is stored fresh) and in evaluation mode, alone and
// with an activation in the same pass (BatchNorm2dAct).
func TestBatchNorm2dFiniteDifferences(t *testing.T) {
	cases := []struct {
		name      string
		training  bool
		affine    bool
		chained   bool // x passes through Tanh first
		running   bool // running statistics given
		shape     []int
		xScale    float32
		xOffset   float32
		tolerance float64
		act       tensor.Activation
	}{
		{"training", true, true, false, false, []int{2, 3, 3, 4}, 2, 1, 1e-2, tensor.ActNone},
		{"training with running stats", true, true, false, true, []int{3, 2, 2, 2}, 1, 0, 1e-2, tensor.ActNone},
		{"training no affine", true, false, false, false, []int{2, 3, 2, 3}, 1, -1, 1e-2, tensor.ActNone},
		{"training after tanh", true, true, true, false, []int{2, 2, 3, 3}, 1, 0, 1e-2, tensor.ActNone},
		{"evaluation", false, true, false, true, []int{2, 3, 2, 2}, 1, 0, 1e-2, tensor.ActNone},
		{"evaluation after tanh", false, true, true, true, []int{2, 3, 2, 2}, 1, 0, 1e-2, tensor.ActNone},
		{"training then relu", true, true, true, true, []int{2, 3, 3, 3}, 1, 0, 1e-2, tensor.ActReLU},
		{"training then tanh", true, false, false, false, []int{3, 2, 2, 3}, 1, 0, 1e-2, tensor.ActTanh},
		{"evaluation then relu", false, true, false, true, []int{2, 3, 2, 2}, 1, 0, 1e-2, tensor.ActReLU},
	}
	r := rand.New(rand.NewPCG(11, 12))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			channels := c.shape[1]
			x := tensor.Zeros(c.shape...)
			for i := range x.Data() {
				x.Data()[i] = (r.Float32()*2-1)*c.xScale + c.xOffset
			}
			x.SetRequiresGrad(true)
			inputs := []*tensor.Tensor{x}
			var w, b *tensor.Tensor
			if c.affine {
				w, b = tensor.Zeros(channels), tensor.Zeros(channels)
				for i := range w.Data() {
					w.Data()[i] = 0.5 + r.Float32()
					b.Data()[i] = r.Float32()*2 - 1
				}
				w.SetRequiresGrad(true)
				b.SetRequiresGrad(true)
				inputs = append(inputs, w, b)
			}
			var rm, rv *tensor.Tensor
			if c.running {
				rm, rv = tensor.Zeros(channels), tensor.Zeros(channels)
				for i := range rm.Data() {
					rm.Data()[i] = r.Float32() - 0.5
					rv.Data()[i] = 0.5 + r.Float32()
				}
			}
			rw := tensor.Zeros(c.shape...)
			for i := range rw.Data() {
				rw.Data()[i] = r.Float32()*2 - 1
			}
			// forward runs in s: nil to record, or a scope without
			// gradients for the finite differences.
			forward := func(s *tensor.Scope) *tensor.Tensor {
				in, w, b := x, w, b
				if s != nil {
					in = s.Input(x)
					if w != nil {
						w, b = s.Input(w), s.Input(b)
					}
				}
				if c.chained {
					in = tensor.Tanh(in)
				}
				var m, v *tensor.Tensor
				if rm != nil {
					// Fresh copies, so that training's updates do not
					// change later evaluations.
					m, v = rm.Clone(), rv.Clone()
				}
				return tensor.BatchNorm2dAct(in, w, b, m, v, c.training, 0.1, 1e-5, c.act)
			}
			tensor.Sum(tensor.Mul(forward(nil), rw)).Backward()
			noGrad := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
			const h = 1e-3
			for k, in := range inputs {
				for i := range in.Data() {
					v := in.Data()[i]
					in.Data()[i] = v + h
					plus := bnLoss(forward(noGrad), rw)
					in.Data()[i] = v - h
					minus := bnLoss(forward(noGrad), rw)
					in.Data()[i] = v
					numeric := (plus - minus) / (2 * h)
					analytic := float64(in.Grad().Data()[i])
					if math.Abs(numeric-analytic) > c.tolerance*(1+math.Abs(numeric)) {
						t.Errorf("input %d element %d: backward gives %.5f, finite differences %.5f", k, i, analytic, numeric)
					}
				}
			}
		})
	}
}

// TestBatchNorm2dActIsBatchNormThenAct checks that BatchNorm2dAct gives
// the outputs, running statistics and gradients of BatchNorm2d followed
// by ReLU or Tanh: the very same with ReLU; with Tanh within a few units
// in the last place (a plane's last elements take the scalar tanh, not
// the vector one).
func TestBatchNorm2dActIsBatchNormThenAct(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, act := range []tensor.Activation{tensor.ActReLU, tensor.ActTanh} {
		for _, training := range []bool{true, false} {
			shape := []int{3, 4, 5, 6}
			x0, w0, b0 := randTensor(r, shape...), randTensor(r, 4), randTensor(r, 4)
			rm0, rv0 := randTensor(r, 4), tensor.Full(0.7, 4)
			rw := randTensor(r, shape...)
			run := func(fused bool) (y, rm, gx, gw, gb *tensor.Tensor) {
				x, w, b := x0.Clone().SetRequiresGrad(true), w0.Clone().SetRequiresGrad(true), b0.Clone().SetRequiresGrad(true)
				rm, rv := rm0.Clone(), rv0.Clone()
				if fused {
					y = tensor.BatchNorm2dAct(x, w, b, rm, rv, training, 0.1, 1e-5, act)
				} else {
					y = act.Apply(tensor.BatchNorm2d(x, w, b, rm, rv, training, 0.1, 1e-5))
				}
				tensor.Sum(tensor.Mul(y, rw)).Backward()
				return y, rm, x.Grad(), w.Grad(), b.Grad()
			}
			y1, rm1, gx1, gw1, gb1 := run(true)
			y2, rm2, gx2, gw2, gb2 := run(false)
			for i, pair := range [][2]*tensor.Tensor{{y1, y2}, {rm1, rm2}, {gx1, gx2}, {gw1, gw2}, {gb1, gb2}} {
				for j, v := range pair[0].Data() {
					want := pair[1].Data()[j]
					if act == tensor.ActReLU && v != want || math.Abs(float64(v-want)) > 1e-6*(1+math.Abs(float64(want))) {
						t.Fatalf("act %v, training %v: result %d (output, running mean, dx, dw, db) element %d is %v, want %v", act, training, i, j, v, want)
					}
				}
			}
		}
	}
}

// TestBatchNorm2dTrainingOutputIsNormalised checks that each channel of
// the output has mean b and standard deviation |w| (biased).
func TestBatchNorm2dTrainingOutputIsNormalised(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	x := tensor.Zeros(8, 3, 5, 5)
	for i := range x.Data() {
		x.Data()[i] = r.Float32()*10 + 100
	}
	w, b := tensor.New([]float32{2, -1, 0.5}, 3), tensor.New([]float32{0, 3, -2}, 3)
	y := tensor.BatchNorm2d(x, w, b, nil, nil, true, 0.1, 1e-5)
	for c := 0; c < 3; c++ {
		var s, ss float64
		var n int
		for i := 0; i < 8; i++ {
			for _, v := range y.Data()[(i*3+c)*25 : (i*3+c+1)*25] {
				s += float64(v)
				ss += float64(v) * float64(v)
				n++
			}
		}
		mean := s / float64(n)
		std := math.Sqrt(ss/float64(n) - mean*mean)
		if math.Abs(mean-float64(b.Data()[c])) > 1e-4 || math.Abs(std-math.Abs(float64(w.Data()[c]))) > 1e-3 {
			t.Errorf("channel %d: mean %v std %v, want %v and %v", c, mean, std, b.Data()[c], math.Abs(float64(w.Data()[c])))
		}
	}
}

func TestBatchNorm2dNoGradRecordsNothing(t *testing.T) {
	x := tensor.Full(1, 2, 1, 2, 2).SetRequiresGrad(true)
	x.Data()[0] = 3
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
	y := tensor.BatchNorm2d(s.Input(x), nil, nil, nil, nil, true, 0.1, 1e-5)
	if y.RequiresGrad() {
		t.Error("BatchNorm2d under NoGrad requires gradients")
	}
}

func TestBatchNorm2dPanics(t *testing.T) {
	x4 := tensor.Zeros(2, 3, 2, 2)
	c3 := tensor.Zeros(3)
	for _, c := range []struct {
		name, want string
		fn         func()
	}{
		{"3-D input", "4-D", func() { tensor.BatchNorm2d(tensor.Zeros(2, 3, 4), nil, nil, nil, nil, true, 0.1, 1e-5) }},
		{"weight shape", "weight", func() { tensor.BatchNorm2d(x4, tensor.Zeros(4), nil, nil, nil, true, 0.1, 1e-5) }},
		{"one running stat", "both", func() { tensor.BatchNorm2d(x4, nil, nil, c3, nil, true, 0.1, 1e-5) }},
		{"eval without stats", "running", func() { tensor.BatchNorm2d(x4, nil, nil, nil, nil, false, 0.1, 1e-5) }},
		{"one value per channel", "more than 1 value", func() {
			tensor.BatchNorm2d(tensor.Zeros(1, 3, 1, 1), nil, nil, nil, nil, true, 0.1, 1e-5)
		}},
		{"eps", "eps", func() { tensor.BatchNorm2d(x4, nil, nil, nil, nil, true, 0.1, -1) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, c.want) {
					t.Errorf("panic %q, want one mentioning %q", msg, c.want)
				}
			}()
			c.fn()
		})
	}
}
