package nn_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/convnet/convnet/internal/testref"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// TestBatchNorm2dLayerMatchesPyTorch runs the reference's BatchNorm2d(4):
// one training step, then evaluation on the same x.
func TestBatchNorm2dLayerMatchesPyTorch(t *testing.T) {
	ref := testref.Open(t, "ops.safetensors")
	get := func(key string) *tensor.Tensor {
		v, shape := ref.F32("batchnorm." + key)
		return tensor.New(slices.Clone(v), shape...)
	}
	bn := nn.NewBatchNorm2d(4)
	bn.Weight.CopyFrom(get("w"))
	bn.Bias.CopyFrom(get("b"))
	x := get("x").SetRequiresGrad(true)

	y := bn.Call(x)
	check := func(what string, got *tensor.Tensor, key string) {
		t.Helper()
		want, _ := ref.F32("batchnorm." + key)
		testref.Check(t, what, got.Data(), want, 1e-5, 1e-5)
	}
	check("y", y, "y")
	check("running_mean", bn.RunningMean, "running_mean")
	check("running_var", bn.RunningVar, "running_var")
	if n := bn.NumBatchesTracked.Item(); n != 1 {
		t.Errorf("num_batches_tracked = %v after one training step, want 1", n)
	}
	tensor.Sum(tensor.Mul(y, get("dy"))).Backward()
	check("dx", x.Grad(), "dx")
	check("dw", bn.Weight.Grad(), "dw")
	check("db", bn.Bias.Grad(), "db")

	bn.Eval()
	rm := bn.RunningMean.Clone()
	yEval := bn.Call(x)
	check("y_eval", yEval, "y_eval")
	if !slices.Equal(rm.Data(), bn.RunningMean.Data()) || bn.NumBatchesTracked.Item() != 1 {
		t.Error("evaluation changed the running statistics or num_batches_tracked")
	}

	// Back to training: batch statistics again, and the count goes on.
	bn.Train()
	testref.Check(t, "y after Train()", bn.Call(x).Data(), func() []float32 { v, _ := ref.F32("batchnorm.y"); return v }(), 1e-5, 1e-5)
	if n := bn.NumBatchesTracked.Item(); n != 2 {
		t.Errorf("num_batches_tracked = %v after two training steps, want 2", n)
	}
}

func TestBatchNorm2dStateDict(t *testing.T) {
	bn := nn.NewBatchNorm2d(3)
	want := []struct {
		name  string
		shape []int
		value float32
		grad  bool
	}{
		{"weight", []int{3}, 1, true},
		{"bias", []int{3}, 0, true},
		{"running_mean", []int{3}, 0, false},
		{"running_var", []int{3}, 1, false},
		{"num_batches_tracked", []int{}, 0, false},
	}
	sd := bn.StateDict()
	if len(sd) != len(want) {
		t.Fatalf("%d state_dict entries, want %d", len(sd), len(want))
	}
	for i, w := range want {
		p := sd[i]
		if p.Name != w.name || !slices.Equal(p.Tensor.Shape(), w.shape) || p.Tensor.RequiresGrad() != w.grad {
			t.Errorf("state_dict[%d] = %s %v (grad %v), want %s %v (grad %v)", i, p.Name, p.Tensor.Shape(), p.Tensor.RequiresGrad(), w.name, w.shape, w.grad)
		}
		for _, v := range p.Tensor.Data() {
			if v != w.value {
				t.Errorf("%s starts with %v, want %v", w.name, v, w.value)
				break
			}
		}
	}
	if np := bn.NamedParameters(); len(np) != 2 || np[0].Name != "weight" || np[1].Name != "bias" {
		t.Errorf("parameters %v, want weight and bias", np)
	}
	// Nested, with dotted names.
	m := seq("conv", nn.NewConv2d(1, 3, 3), "bn", bn)
	var names []string
	for _, p := range m.StateDict() {
		names = append(names, p.Name)
	}
	wantNames := []string{"conv.weight", "conv.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("state_dict keys %v, want %v", names, wantNames)
	}
}

func TestBatchNormAndDropoutPrinting(t *testing.T) {
	bn := nn.NewBatchNorm2d(4)
	for _, c := range []struct{ got, want string }{
		{bn.String(), "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"},
		{nn.NewDropout(0.5).String(), "Dropout(p=0.5, inplace=False)"},
		{nn.NewDropout(0).String(), "Dropout(p=0.0, inplace=False)"},
		{nn.NewDropout(1).String(), "Dropout(p=1.0, inplace=False)"},
		{nn.NewDropout(0.25).String(), "Dropout(p=0.25, inplace=False)"},
		{seq("bn", bn, "drop", nn.NewDropout(0.2)).String(), "Sequential(\n" +
			"  (bn): BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n" +
			"  (drop): Dropout(p=0.2, inplace=False)\n)"},
	} {
		if c.got != c.want {
			t.Errorf("got\n%s\nwant\n%s", c.got, c.want)
		}
	}
	// Python's float repr, through the settings.
	for _, c := range []struct {
		eps, momentum float64
		want          string
	}{
		{1e-3, 0.01, "8, eps=0.001, momentum=0.01, affine=True, track_running_stats=True"},
		{1e-4, 1, "8, eps=0.0001, momentum=1.0, affine=True, track_running_stats=True"},
		{2.5e-7, 1e16, "8, eps=2.5e-07, momentum=1e+16, affine=True, track_running_stats=True"},
		{0.1, 123456.5, "8, eps=0.1, momentum=123456.5, affine=True, track_running_stats=True"},
	} {
		m := nn.NewBatchNorm2d(8)
		m.Eps, m.Momentum = c.eps, c.momentum
		if got := m.ExtraRepr(); got != c.want {
			t.Errorf("ExtraRepr() = %q, want %q", got, c.want)
		}
	}
	m := nn.NewBatchNorm2d(2)
	m.Weight, m.Bias, m.RunningMean, m.RunningVar = nil, nil, nil, nil
	if got, want := m.ExtraRepr(), "2, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False"; got != want {
		t.Errorf("ExtraRepr() = %q, want %q", got, want)
	}
}

func TestDropoutLayerTrainEval(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	x := tensor.Zeros(4, 1000)
	for i := range x.Data() {
		x.Data()[i] = r.Float32() + 0.5
	}
	d := nn.NewDropout(0.5)
	if !d.Training() {
		t.Fatal("a new Dropout is not in training mode")
	}
	y := d.Call(x)
	zeros := 0
	for i, v := range y.Data() {
		switch v {
		case 0:
			zeros++
		case 2 * x.Data()[i]:
		default:
			t.Fatalf("y[%d] = %v, neither 0 nor 2x = %v", i, v, 2*x.Data()[i])
		}
	}
	if zeros < 1800 || zeros > 2200 {
		t.Errorf("%d of 4000 zeroed with p=0.5", zeros)
	}
	if y2 := d.Call(x); slices.Equal(y.Data(), y2.Data()) {
		t.Error("two training calls drew the same mask")
	}
	m := seq("drop", d)
	m.Eval()
	if y := m.Call(x); y != x {
		t.Error("Dropout in evaluation mode is not the identity")
	}
	m.Train()
	if y := m.Call(x); y == x {
		t.Error("Dropout after Train() returned its input")
	}
}

func TestDropoutLayerSeeded(t *testing.T) {
	x := tensor.Full(1, 64)
	masks := func(seed uint64) []float32 {
		nn.ManualSeed(seed)
		return nn.NewDropout(0.5).Call(x).Data()
	}
	if a, b := masks(3), masks(3); !slices.Equal(a, b) {
		t.Error("the same ManualSeed gave different dropout masks")
	}
	if a, b := masks(3), masks(4); slices.Equal(a, b) {
		t.Error("different seeds gave the same dropout mask")
	}
	nn.ManualSeed(3)
	d1, d2 := nn.NewDropout(0.5), nn.NewDropout(0.5)
	if slices.Equal(d1.Call(x).Data(), d2.Call(x).Data()) {
		t.Error("two Dropout layers built one after the other draw the same masks")
	}
}

func TestBatchNorm2dEvalUsesRunningStats(t *testing.T) {
	bn := nn.NewBatchNorm2d(2)
	copy(bn.RunningMean.Data(), []float32{1, -1})
	copy(bn.RunningVar.Data(), []float32{4, 0.25})
	bn.Eps = 0
	bn.Eval()
	x := tensor.New([]float32{3, 5, 0, 1}, 1, 2, 1, 2)
	y := bn.Call(x)
	want := []float32{1, 2, 2, 4} // (3-1)/2, (5-1)/2, (0+1)/0.5, (1+1)/0.5
	if !slices.Equal(y.Data(), want) {
		t.Errorf("eval y = %v, want %v", y.Data(), want)
	}
}
