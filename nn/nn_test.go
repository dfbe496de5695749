package nn_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// seq builds a Sequential from alternating names and modules.
func seq(pairs ...any) *nn.Sequential {
	var cs []nn.Child
	for i := 0; i < len(pairs); i += 2 {
		cs = append(cs, nn.Child{Name: pairs[i].(string), Module: pairs[i+1].(nn.Module)})
	}
	return nn.NewSequential(cs...)
}

// lenetSeq is the lesson's LeNetSeq, built here from nn alone so that its
// printout can be checked against PyTorch's.
type lenetSeq struct {
	nn.Base
	feature, classifier *nn.Sequential
}

func newLenetSeq() *lenetSeq {
	m := &lenetSeq{}
	m.Init(m, "LeNetSeq")
	m.feature = nn.Add(&m.Base, "feature", seq(
		"cnn1", nn.NewConv2d(1, 6, 5, nn.Padding(2)),
		"cnn1_act", nn.NewTanh(),
		"avgpool1", nn.NewAvgPool2d(2, 2, 0),
		"cnn2", nn.NewConv2d(6, 16, 5),
		"cnn2_act", nn.NewTanh(),
		"avgpool2", nn.NewAvgPool2d(2, 2, 0),
		"cnn3", nn.NewConv2d(16, 120, 5),
		"cnn3_act", nn.NewTanh(),
	))
	m.classifier = nn.Add(&m.Base, "classifier", seq(
		"fc1", nn.NewLinear(120, 84),
		"fc1_act", nn.NewTanh(),
		"fc2", nn.NewLinear(84, 10),
	))
	return m
}

func (m *lenetSeq) Forward(x *tensor.Tensor) *tensor.Tensor {
	return m.classifier.Call(tensor.Flatten(m.feature.Call(x)))
}

// PyTorch 1.13's print(LeNetSeq()), from testdata/lenet5_sequential.txt.
const lenetSeqRef = `LeNetSeq(
  (feature): Sequential(
    (cnn1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
    (cnn1_act): Tanh()
    (avgpool1): AvgPool2d(kernel_size=2, stride=2, padding=0)
    (cnn2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))
    (cnn2_act): Tanh()
    (avgpool2): AvgPool2d(kernel_size=2, stride=2, padding=0)
    (cnn3): Conv2d(16, 120, kernel_size=(5, 5), stride=(1, 1))
    (cnn3_act): Tanh()
  )
  (classifier): Sequential(
    (fc1): Linear(in_features=120, out_features=84, bias=True)
    (fc1_act): Tanh()
    (fc2): Linear(in_features=84, out_features=10, bias=True)
  )
)`

// bare is a module with neither settings nor children.
type bare struct{ nn.Base }

func newBare() *bare { b := &bare{}; b.Init(b, "Bare"); return b }

func (b *bare) Forward(x *tensor.Tensor) *tensor.Tensor { return x }

// withBuffer owns a parameter and a buffer and may have children.
type withBuffer struct{ nn.Base }

func newWithBuffer() *withBuffer {
	m := &withBuffer{}
	m.Init(m, "WithBuffer")
	m.AddParameter("scale", tensor.Full(1, 3))
	m.AddBuffer("running_mean", tensor.Zeros(3))
	return m
}

func (m *withBuffer) Forward(x *tensor.Tensor) *tensor.Tensor { return x }

// settingsAndChild prints settings as well as a child, as PyTorch does for
// a module with both extra_repr and submodules.
type settingsAndChild struct{ nn.Base }

func (m *settingsAndChild) Forward(x *tensor.Tensor) *tensor.Tensor { return x }
func (m *settingsAndChild) ExtraRepr() string                       { return "depth=2" }

func TestFormat(t *testing.T) {
	withChild := &settingsAndChild{}
	withChild.Init(withChild, "Block")
	withChild.AddModule("act", nn.NewReLU())

	tests := []struct {
		name string
		m    nn.Module
		want string
	}{
		{"conv padded", nn.NewConv2d(1, 6, 5, nn.Padding(2)),
			"Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))"},
		{"conv strided no bias", nn.NewConv2d(3, 4, 3, nn.Stride(2), nn.Padding(1), nn.NoBias()),
			"Conv2d(3, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)"},
		{"conv defaults", nn.NewConv2d(6, 16, 5),
			"Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))"},
		{"conv explicit zero padding", nn.NewConv2d(6, 16, 5, nn.Padding(0)),
			"Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))"},
		{"avgpool", nn.NewAvgPool2d(2, 2, 0), "AvgPool2d(kernel_size=2, stride=2, padding=0)"},
		{"avgpool padded", nn.NewAvgPool2d(3, 1, 1), "AvgPool2d(kernel_size=3, stride=1, padding=1)"},
		{"maxpool", nn.NewMaxPool2d(2, 2, 0),
			"MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"},
		{"linear", nn.NewLinear(120, 84), "Linear(in_features=120, out_features=84, bias=True)"},
		{"tanh", nn.NewTanh(), "Tanh()"},
		{"relu", nn.NewReLU(), "ReLU()"},
		{"flatten", nn.NewFlatten(), "Flatten(start_dim=1, end_dim=-1)"},
		{"custom bare", newBare(), "Bare()"},
		{"empty sequential", nn.NewSequential(), "Sequential()"},
		{"flat sequential", seq("fc", nn.NewLinear(4, 2), "act", nn.NewReLU()), `Sequential(
  (fc): Linear(in_features=4, out_features=2, bias=True)
  (act): ReLU()
)`},
		{"nested sequential", seq(
			"block", seq(
				"conv", nn.NewConv2d(3, 8, 3, nn.Padding(1)),
				"act", nn.NewReLU(),
				"pool", nn.NewMaxPool2d(2, 2, 0),
			),
			"flat", nn.NewFlatten(),
			"fc", nn.NewLinear(8*4*4, 10),
		), `Sequential(
  (block): Sequential(
    (conv): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    (act): ReLU()
    (pool): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
  )
  (flat): Flatten(start_dim=1, end_dim=-1)
  (fc): Linear(in_features=128, out_features=10, bias=True)
)`},
		{"empty sequential inside", seq("inner", nn.NewSequential()), `Sequential(
  (inner): Sequential()
)`},
		{"three levels", seq("a", seq("b", seq("c", nn.NewTanh()))), `Sequential(
  (a): Sequential(
    (b): Sequential(
      (c): Tanh()
    )
  )
)`},
		{"settings and child", withChild, `Block(
  depth=2
  (act): ReLU()
)`},
		{"lenet seq reference", newLenetSeq(), lenetSeqRef},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nn.Format(tt.m); got != tt.want {
				t.Errorf("Format:\n got: %s\nwant: %s", got, tt.want)
			}
			if got := fmt.Sprint(tt.m); got != tt.want {
				t.Errorf("fmt.Sprint:\n got: %s\nwant: %s", got, tt.want)
			}
			if got := tt.m.ModuleBase().String(); got != nn.Format(tt.m) {
				t.Errorf("String() = %q, Format = %q", got, nn.Format(tt.m))
			}
		})
	}
}

// allModules returns m and every descendant.
func allModules(m nn.Module) []nn.Child {
	out := []nn.Child{{Name: "(root)", Module: m}}
	return append(out, m.ModuleBase().NamedModules()...)
}

func TestTrainEvalReachEveryDescendant(t *testing.T) {
	models := []struct {
		name string
		m    nn.Module
	}{
		{"single layer", nn.NewLinear(3, 2)},
		{"nested sequential", seq("block", seq("conv", nn.NewConv2d(1, 2, 3), "act", seq("deep", nn.NewTanh())), "fc", nn.NewLinear(2, 1))},
		{"lenet seq", newLenetSeq()},
	}
	for _, tt := range models {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range allModules(tt.m) {
				if !c.Module.ModuleBase().Training() {
					t.Errorf("%s: new module not in training mode", c.Name)
				}
			}
			tt.m.ModuleBase().Eval()
			for _, c := range allModules(tt.m) {
				if c.Module.ModuleBase().Training() {
					t.Errorf("%s: Training() = true after Eval", c.Name)
				}
			}
			tt.m.ModuleBase().Train()
			for _, c := range allModules(tt.m) {
				if !c.Module.ModuleBase().Training() {
					t.Errorf("%s: Training() = false after Train", c.Name)
				}
			}
		})
	}
}

func TestAddedChildTakesParentMode(t *testing.T) {
	parent := seq("fc", nn.NewLinear(2, 2))
	parent.Eval()
	child := seq("act", nn.NewReLU()) // a subtree in training mode
	parent.AddModule("tail", child)
	for _, c := range allModules(parent) {
		if c.Module.ModuleBase().Training() {
			t.Errorf("%s: in training mode after being added to a parent in eval mode", c.Name)
		}
	}

	parent.Train()
	evalChild := nn.NewTanh()
	evalChild.Eval()
	nn.Add(&parent.Base, "act2", evalChild)
	if !evalChild.Training() {
		t.Error("child in eval mode added to a training parent did not take training mode")
	}
}

func TestNamedParametersAndStateDict(t *testing.T) {
	root := newWithBuffer()
	root.AddModule("block", seq(
		"conv", nn.NewConv2d(1, 2, 3, nn.NoBias()),
		"act", nn.NewTanh(),
		"stats", newWithBuffer(),
	))
	root.AddModule("fc", nn.NewLinear(4, 3))

	type entry struct {
		name  string
		shape []int
	}
	wantParams := []entry{
		{"scale", []int{3}},
		{"block.conv.weight", []int{2, 1, 3, 3}},
		{"block.stats.scale", []int{3}},
		{"fc.weight", []int{3, 4}},
		{"fc.bias", []int{3}},
	}
	wantState := []entry{
		{"scale", []int{3}},
		{"running_mean", []int{3}},
		{"block.conv.weight", []int{2, 1, 3, 3}},
		{"block.stats.scale", []int{3}},
		{"block.stats.running_mean", []int{3}},
		{"fc.weight", []int{3, 4}},
		{"fc.bias", []int{3}},
	}
	check := func(what string, got []nn.Param, want []entry) {
		t.Helper()
		var names []string
		for _, p := range got {
			names = append(names, p.Name)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: got %d entries %v, want %d", what, len(got), names, len(want))
		}
		for i, w := range want {
			if got[i].Name != w.name || !slices.Equal(got[i].Tensor.Shape(), w.shape) {
				t.Errorf("%s[%d] = %s %v, want %s %v", what, i, got[i].Name, got[i].Tensor.Shape(), w.name, w.shape)
			}
		}
	}
	named := root.NamedParameters()
	check("NamedParameters", named, wantParams)
	check("StateDict", root.StateDict(), wantState)

	params := root.Parameters()
	if len(params) != len(wantParams) {
		t.Fatalf("len(Parameters()) = %d, want %d", len(params), len(wantParams))
	}
	for i, p := range params {
		if p != named[i].Tensor {
			t.Errorf("Parameters()[%d] is not NamedParameters()[%d].Tensor", i, i)
		}
		if !p.RequiresGrad() {
			t.Errorf("parameter %s does not require grad", named[i].Name)
		}
	}
	for _, b := range []string{"running_mean", "block.stats.running_mean"} {
		for _, p := range root.StateDict() {
			if p.Name == b && p.Tensor.RequiresGrad() {
				t.Errorf("buffer %s requires grad", b)
			}
		}
	}
}

func TestLeNetSeqParameters(t *testing.T) {
	m := newLenetSeq()
	want := []string{
		"feature.cnn1.weight", "feature.cnn1.bias",
		"feature.cnn2.weight", "feature.cnn2.bias",
		"feature.cnn3.weight", "feature.cnn3.bias",
		"classifier.fc1.weight", "classifier.fc1.bias",
		"classifier.fc2.weight", "classifier.fc2.bias",
	}
	var got []string
	total := 0
	for _, p := range m.NamedParameters() {
		got = append(got, p.Name)
		total += p.Tensor.Numel()
	}
	if !slices.Equal(got, want) {
		t.Errorf("NamedParameters names = %v, want %v", got, want)
	}
	// PyTorch: sum(p.numel() for p in LeNetSeq().parameters()) == 61706.
	if total != 61706 {
		t.Errorf("parameter count = %d, want 61706", total)
	}
	if n := len(m.Parameters()); n != len(want) {
		t.Errorf("len(Parameters()) = %d, want %d", n, len(want))
	}
}

func TestConvNoBiasHasOnlyWeight(t *testing.T) {
	c := nn.NewConv2d(3, 4, 3, nn.NoBias())
	if c.Bias != nil {
		t.Error("Bias is not nil with NoBias")
	}
	ps := c.NamedParameters()
	if len(ps) != 1 || ps[0].Name != "weight" || ps[0].Tensor != c.Weight {
		t.Errorf("NamedParameters = %v, want only weight", ps)
	}
}

// stats returns min, max, mean and sample standard deviation.
func stats(x []float32) (lo, hi, mean, std float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range x {
		lo, hi = min(lo, float64(v)), max(hi, float64(v))
		mean += float64(v)
	}
	mean /= float64(len(x))
	for _, v := range x {
		d := float64(v) - mean
		std += d * d
	}
	return lo, hi, mean, math.Sqrt(std / float64(len(x)-1))
}

func TestDefaultInit(t *testing.T) {
	nn.ManualSeed(1)
	tests := []struct {
		name    string
		build   func() (w, b *tensor.Tensor)
		fanIn   int
		checkSD bool // the weight is big enough for its std to be near the uniform's
	}{
		{"linear small", func() (w, b *tensor.Tensor) { l := nn.NewLinear(3, 2); return l.Weight, l.Bias }, 3, false},
		{"linear big", func() (w, b *tensor.Tensor) { l := nn.NewLinear(400, 300); return l.Weight, l.Bias }, 400, true},
		{"conv lenet", func() (w, b *tensor.Tensor) { c := nn.NewConv2d(6, 16, 5); return c.Weight, c.Bias }, 6 * 25, true},
		{"conv big", func() (w, b *tensor.Tensor) { c := nn.NewConv2d(64, 64, 3); return c.Weight, c.Bias }, 64 * 9, true},
		{"conv no bias", func() (w, b *tensor.Tensor) { c := nn.NewConv2d(2, 3, 3, nn.NoBias()); return c.Weight, c.Bias }, 2 * 9, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, b := tt.build()
			bound := 1 / math.Sqrt(float64(tt.fanIn))
			for _, p := range []struct {
				name string
				t    *tensor.Tensor
			}{{"weight", w}, {"bias", b}} {
				if p.t == nil {
					continue
				}
				lo, hi, _, sd := stats(p.t.Data())
				if lo < -bound || hi > bound {
					t.Errorf("%s in [%g, %g], outside ±%g", p.name, lo, hi, bound)
				}
				if p.t.Numel() > 1 && lo == hi {
					t.Errorf("%s: all %d values equal %g", p.name, p.t.Numel(), lo)
				}
				if p.name == "weight" && tt.checkSD {
					want := bound / math.Sqrt(3)
					if math.Abs(sd-want) > 0.2*want {
						t.Errorf("weight std = %g, want %g ± 20%%", sd, want)
					}
				}
			}
		})
	}
}

func TestManualSeed(t *testing.T) {
	build := func(seed uint64) []float32 {
		nn.ManualSeed(seed)
		m := seq("conv", nn.NewConv2d(2, 3, 3), "fc", nn.NewLinear(5, 4))
		var all []float32
		for _, p := range m.Parameters() {
			all = append(all, p.Data()...)
		}
		return all
	}
	a, b, c := build(7), build(7), build(8)
	if !slices.Equal(a, b) {
		t.Error("ManualSeed(7) twice built different weights")
	}
	if slices.Equal(a, c) {
		t.Error("ManualSeed(7) and ManualSeed(8) built identical weights")
	}
	// Without reseeding, the next layer continues the sequence.
	nn.ManualSeed(7)
	l1 := nn.NewLinear(5, 4)
	l2 := nn.NewLinear(5, 4)
	if slices.Equal(l1.Weight.Data(), l2.Weight.Data()) {
		t.Error("two layers built one after the other have identical weights")
	}
}

func TestForwardHook(t *testing.T) {
	l := nn.NewLinear(3, 2)
	x := tensor.Full(1, 4, 3)
	var calls int
	var gotModule nn.Module
	var gotOut *tensor.Tensor
	remove := l.RegisterForwardHook(func(m nn.Module, out *tensor.Tensor) {
		calls++
		gotModule, gotOut = m, out
	})
	out := l.Call(x)
	if calls != 1 {
		t.Fatalf("hook ran %d times for one Call, want 1", calls)
	}
	if gotModule != nn.Module(l) {
		t.Errorf("hook got module %v, want the layer", gotModule)
	}
	if gotOut != out {
		t.Error("hook got a different tensor than Call returned")
	}
	l.Forward(x)
	if calls != 1 {
		t.Errorf("hook ran on Forward (not Call): %d calls", calls)
	}
	l.Call(x)
	if calls != 2 {
		t.Errorf("hook ran %d times after two Calls, want 2", calls)
	}
	remove()
	l.Call(x)
	if calls != 2 {
		t.Errorf("hook ran after remove: %d calls", calls)
	}
	remove() // a second remove is harmless
}

func TestForwardHooksOrderAndRemoveOne(t *testing.T) {
	r := nn.NewReLU()
	var order []string
	removeA := r.RegisterForwardHook(func(nn.Module, *tensor.Tensor) { order = append(order, "a") })
	r.RegisterForwardHook(func(nn.Module, *tensor.Tensor) { order = append(order, "b") })
	r.Call(tensor.Zeros(1))
	removeA()
	r.Call(tensor.Zeros(1))
	if got := strings.Join(order, ""); got != "abb" {
		t.Errorf("hooks ran in order %q, want \"abb\"", got)
	}
}

func TestSequentialCallsChildHooks(t *testing.T) {
	conv := nn.NewConv2d(1, 2, 3)
	act := nn.NewTanh()
	pool := nn.NewAvgPool2d(2, 2, 0)
	inner := seq("act", act, "pool", pool)
	model := seq("conv", conv, "inner", inner, "flat", nn.NewFlatten())

	var order []string
	shapes := map[string][]int{}
	for _, c := range allModules(model) {
		name := c.Name
		c.Module.ModuleBase().RegisterForwardHook(func(_ nn.Module, out *tensor.Tensor) {
			order = append(order, name)
			shapes[name] = slices.Clone(out.Shape())
		})
	}
	model.Call(tensor.Full(0.5, 2, 1, 6, 6))
	want := []string{"conv", "inner.act", "inner.pool", "inner", "flat", "(root)"}
	if !slices.Equal(order, want) {
		t.Errorf("hooks ran in order %v, want %v", order, want)
	}
	wantShapes := map[string][]int{
		"conv": {2, 2, 4, 4}, "inner.act": {2, 2, 4, 4}, "inner.pool": {2, 2, 2, 2},
		"inner": {2, 2, 2, 2}, "flat": {2, 8}, "(root)": {2, 8},
	}
	for name, w := range wantShapes {
		if !slices.Equal(shapes[name], w) {
			t.Errorf("%s hook saw shape %v, want %v", name, shapes[name], w)
		}
	}
}

// panicValue runs fn and returns what it panicked with, or nil.
func panicValue(fn func()) (v any) {
	defer func() { v = recover() }()
	fn()
	return nil
}

func TestAddModulePanics(t *testing.T) {
	tests := []struct {
		name  string
		setup func(s *nn.Sequential)
	}{
		{"duplicate name", func(s *nn.Sequential) { s.AddModule("fc", nn.NewReLU()) }},
		{"duplicate via Add", func(s *nn.Sequential) { nn.Add(&s.Base, "fc", nn.NewTanh()) }},
		{"dotted name", func(s *nn.Sequential) { s.AddModule("a.b", nn.NewReLU()) }},
		{"empty name", func(s *nn.Sequential) { s.AddModule("", nn.NewReLU()) }},
		{"duplicate in NewSequential", func(*nn.Sequential) {
			seq("x", nn.NewReLU(), "x", nn.NewTanh())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := seq("fc", nn.NewLinear(2, 2))
			if v := panicValue(func() { tt.setup(s) }); v == nil {
				t.Error("no panic")
			}
		})
	}
	s := seq("fc", nn.NewLinear(2, 2))
	if v := panicValue(func() { s.AddModule("fc2", nn.NewReLU()) }); v != nil {
		t.Errorf("a new name panicked: %v", v)
	}
}

func TestChildLookup(t *testing.T) {
	fc := nn.NewLinear(2, 2)
	s := seq("fc", fc, "act", nn.NewReLU())
	if s.Child("fc") != nn.Module(fc) {
		t.Error("Child(\"fc\") is not the registered layer")
	}
	if s.Child("missing") != nil {
		t.Error("Child(\"missing\") is not nil")
	}
	cs := s.Children()
	if len(cs) != 2 || cs[0].Name != "fc" || cs[1].Name != "act" {
		t.Errorf("Children = %v", cs)
	}
}

func TestZeroGrad(t *testing.T) {
	nn.ManualSeed(3)
	model := seq("conv", nn.NewConv2d(1, 2, 3), "act", nn.NewTanh(), "flat", nn.NewFlatten(), "fc", nn.NewLinear(2*2*2, 3))
	x := tensor.New([]float32{
		1, 2, 3, 4,
		-1, 0, 1, 2,
		0.5, 0.25, -0.5, 1,
		2, -2, 1, 0,
	}, 1, 1, 4, 4)
	tensor.Sum(tensor.Tanh(model.Call(x))).Backward()
	for _, p := range model.NamedParameters() {
		if p.Tensor.Grad() == nil {
			t.Fatalf("%s has no gradient after Backward", p.Name)
		}
		if !slices.ContainsFunc(p.Tensor.Grad().Data(), func(v float32) bool { return v != 0 }) {
			t.Errorf("%s: gradient all zero after Backward", p.Name)
		}
	}
	model.ZeroGrad()
	for _, p := range model.NamedParameters() {
		if g := p.Tensor.Grad(); g != nil && slices.ContainsFunc(g.Data(), func(v float32) bool { return v != 0 }) {
			t.Errorf("%s: gradient %v not zero after ZeroGrad", p.Name, g.Data())
		}
	}
}

func TestSequentialForwardEqualsComposition(t *testing.T) {
	nn.ManualSeed(11)
	conv := nn.NewConv2d(2, 3, 3, nn.Padding(1))
	act := nn.NewTanh()
	pool := nn.NewAvgPool2d(2, 2, 0)
	conv2 := nn.NewConv2d(3, 4, 3, nn.Stride(2), nn.NoBias())
	relu := nn.NewReLU()
	mpool := nn.NewMaxPool2d(2, 2, 0)
	flat := nn.NewFlatten()
	fc := nn.NewLinear(4, 5)
	model := nn.FuseConvBlocks(seq(
		"block1", seq("conv", conv, "act", act, "pool", pool),
		"block2", seq("conv", conv2, "act", relu, "pool", mpool),
		"flat", flat, "fc", fc,
	))

	x := tensor.Zeros(2, 2, 12, 12)
	for i := range x.Data() {
		x.Data()[i] = float32(math.Sin(float64(i) * 0.37))
	}
	got := model.Call(x)

	h := tensor.Conv2d(x, conv.Weight, conv.Bias, [2]int{1, 1}, [2]int{1, 1})
	h = tensor.Tanh(h)
	h = tensor.AvgPool2d(h, [2]int{2, 2}, [2]int{2, 2}, [2]int{})
	h = tensor.Conv2d(h, conv2.Weight, nil, [2]int{2, 2}, [2]int{})
	h = tensor.ReLU(h)
	h = tensor.MaxPool2d(h, [2]int{2, 2}, [2]int{2, 2}, [2]int{})
	h = tensor.Flatten(h)
	want := tensor.Linear(h, fc.Weight, fc.Bias)

	if !slices.Equal(got.Shape(), []int{2, 5}) {
		t.Fatalf("output shape %v, want [2 5]", got.Shape())
	}
	if !slices.Equal(got.Shape(), want.Shape()) {
		t.Fatalf("shape %v, by hand %v", got.Shape(), want.Shape())
	}
	for i, v := range got.Data() {
		if w := want.Data()[i]; math.Abs(float64(v-w)) > 1e-6 {
			t.Errorf("output[%d] = %g, by hand %g", i, v, w)
		}
	}

	// The layers' own Forward, chained by hand, gives the same result.
	var byLayers *tensor.Tensor = x
	for _, l := range []nn.Module{conv, act, pool, conv2, relu, mpool, flat, fc} {
		byLayers = l.Forward(byLayers)
	}
	if !slices.Equal(got.Data(), byLayers.Data()) {
		t.Errorf("Sequential output %v differs from chained Forward %v", got.Data(), byLayers.Data())
	}
	// Without recording, the fused blocks keep no activation: the same.
	noGrad := model.Call(tensor.NewScope(tensor.ScopeOptions{NoGrad: true}).Input(x))
	if !slices.Equal(got.Data(), noGrad.Data()) {
		t.Errorf("Sequential output %v differs under NoGrad: %v", got.Data(), noGrad.Data())
	}
}

// TestSequentialFusedConvBlockGradients checks that a convolution and the
// activation and pooling after it, run as one operation after
// FuseConvBlocks, give the gradients they give apart: without the pass,
// and with a hook, registered after fusing, on one of the block's layers.
func TestSequentialFusedConvBlockGradients(t *testing.T) {
	for _, c := range []struct {
		name     string
		layers   func() []any
		features int // after the layers
	}{
		{"tanh avgpool", func() []any { return []any{"act", nn.NewTanh(), "pool", nn.NewAvgPool2d(2, 2, 0)} }, 12},
		{"relu maxpool", func() []any { return []any{"act", nn.NewReLU(), "pool", nn.NewMaxPool2d(2, 2, 0)} }, 12},
		{"relu", func() []any { return []any{"act", nn.NewReLU()} }, 48},
		{"maxpool", func() []any { return []any{"pool", nn.NewMaxPool2d(2, 2, 0)} }, 12},
	} {
		t.Run(c.name, func(t *testing.T) {
			build := func(fuse bool) *nn.Sequential {
				nn.ManualSeed(12)
				layers := append([]any{"conv", nn.NewConv2d(2, 3, 3, nn.Padding(1))}, c.layers()...)
				layers = append(layers, "flat", nn.NewFlatten(), "fc", nn.NewLinear(c.features, 2))
				if fuse {
					return nn.FuseConvBlocks(seq(layers...))
				}
				return seq(layers...)
			}
			x := tensor.Zeros(2, 2, 4, 4).SetRequiresGrad(true)
			for i := range x.Data() {
				x.Data()[i] = float32(math.Sin(float64(i) * 0.61))
			}
			grads := func(model *nn.Sequential) [][]float32 {
				model.ZeroGrad()
				x.ZeroGrad()
				tensor.Sum(model.Call(x)).Backward()
				out := [][]float32{slices.Clone(x.Grad().Data())}
				for _, p := range model.Parameters() {
					out = append(out, slices.Clone(p.Grad().Data()))
				}
				return out
			}
			compare := func(what string, got, want [][]float32) {
				t.Helper()
				for i := range want {
					for j, v := range want[i] {
						if math.Abs(float64(got[i][j]-v)) > 1e-6 {
							t.Errorf("%s: gradient %d[%d]: fused %g, apart %g", what, i, j, got[i][j], v)
						}
					}
				}
			}
			model := build(true)
			fused := grads(model)
			compare("without the pass", fused, grads(build(false)))
			// A hook on any layer of the block, registered after the
			// pass, runs, and the gradients stay the same.
			for _, name := range []string{"conv", "act", "pool"} {
				layer := model.Child(name)
				if layer == nil {
					continue
				}
				calls := 0
				remove := layer.ModuleBase().RegisterForwardHook(func(nn.Module, *tensor.Tensor) { calls++ })
				compare("hook on "+name, fused, grads(model))
				remove()
				if calls != 1 {
					t.Errorf("a hook on %s ran %d times, want 1", name, calls)
				}
			}
		})
	}
}

func TestEmptySequentialIsIdentity(t *testing.T) {
	x := tensor.Full(2, 3, 4)
	if got := nn.NewSequential().Call(x); got != x {
		t.Errorf("empty Sequential returned %v, want its input", got)
	}
}

func TestHookRemovingItselfDuringCall(t *testing.T) {
	// A one-shot hook that removes itself while hooks are running. PyTorch
	// 1.13 copies the hooks before running them, so every hook registered at
	// the time of the call runs exactly once: "abc".
	r := nn.NewReLU()
	var order []string
	var removeA func()
	removeA = r.RegisterForwardHook(func(nn.Module, *tensor.Tensor) { order = append(order, "a"); removeA() })
	r.RegisterForwardHook(func(nn.Module, *tensor.Tensor) { order = append(order, "b") })
	r.RegisterForwardHook(func(nn.Module, *tensor.Tensor) { order = append(order, "c") })
	r.Call(tensor.Zeros(1))
	first := strings.Join(order, "")
	order = nil
	r.Call(tensor.Zeros(1))
	second := strings.Join(order, "")
	if first != "abc" || second != "bc" {
		t.Errorf("hooks ran %q then %q, want \"abc\" then \"bc\"", first, second)
	}
}

func TestFreezeByPrefix(t *testing.T) {
	m := nn.NewSequentialOf(nn.NewLinear(4, 8), nn.NewReLU(), nn.NewLinear(8, 3))
	for _, c := range []struct {
		name, prefix string
		want         bool
	}{
		{"0.weight", "0", true}, {"0.weight", "0.weight", true}, {"10.weight", "1", false}, {"2.bias", "", false},
	} {
		if got := nn.UnderPrefix(c.name, c.prefix); got != c.want {
			t.Errorf("UnderPrefix(%q, %q) = %v", c.name, c.prefix, got)
		}
	}
	if heads := nn.Heads(m, 3); len(heads) != 1 || heads[0] != "2" {
		t.Errorf("heads %q", heads)
	}
	if n := nn.SetRequiresGrad(m, false, func(name string) bool { return nn.UnderPrefix(name, "0") }); n != 2 {
		t.Errorf("froze %d tensors, want 2", n)
	}
	for _, p := range m.NamedParameters() {
		if p.Tensor.RequiresGrad() != !nn.UnderPrefix(p.Name, "0") {
			t.Errorf("%s requires grad: %v", p.Name, p.Tensor.RequiresGrad())
		}
	}
}

func TestFreeze(t *testing.T) {
	build := func() *nn.Sequential { return nn.NewSequentialOf(nn.NewLinear(4, 8), nn.NewReLU(), nn.NewLinear(8, 3)) }
	for _, c := range []struct {
		prefixes []string
		frozen   int
		err      string
	}{
		{[]string{"features"}, 2, ""}, // all but the head "2"
		{[]string{"0"}, 2, ""},
		{[]string{"0", "2"}, 4, ""},
		{[]string{"3"}, 0, `no parameter of the model lies under "3"`},
		{[]string{""}, 0, "an empty prefix"},
	} {
		m := build()
		n, err := nn.Freeze(m, 3, c.prefixes...)
		if n != c.frozen || (err == nil) != (c.err == "") || err != nil && err.Error() != c.err {
			t.Errorf("Freeze %q: %d frozen, %v; want %d, %q", c.prefixes, n, err, c.frozen, c.err)
		}
		if head := nn.HeadParameters(m, 3); len(head) != 2 || head[0] != m.NamedParameters()[2].Tensor {
			t.Errorf("HeadParameters: %d tensors", len(head))
		}
	}
}

func TestReplace(t *testing.T) {
	m := nn.NewSequentialOf(nn.NewLinear(4, 8), nn.NewReLU(), nn.NewLinear(8, 3))
	m.Eval()
	head := nn.Replace(&m.Base, "2", nn.NewLinear(8, 5))
	if head.OutFeatures != 5 || m.Child("2") != head || head.Training() {
		t.Errorf("the child is not the new head in eval mode")
	}
	if out := m.Forward(tensor.Zeros(2, 4)); out.Shape()[1] != 5 {
		t.Errorf("output shape %v", out.Shape())
	}
	if names := m.StateDict(); names[len(names)-2].Name != "2.weight" || names[len(names)-2].Tensor.Shape()[0] != 5 {
		t.Errorf("state_dict ends with %s %v", names[len(names)-2].Name, names[len(names)-2].Tensor.Shape())
	}
	defer func() {
		if recover() == nil {
			t.Error("replacing a child that is not there did not panic")
		}
	}()
	nn.Replace(&m.Base, "9", nn.NewReLU())
}
