package nn_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// containerRef is PyTorch 1.13's print of
//
//	nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, bias=False),
//	    nn.BatchNorm2d(4, eps=0.001), nn.ReLU(inplace=True), nn.Identity(),
//	    nn.Sequential(nn.Dropout(p=0.2), nn.Linear(4, 2)))
const containerRef = `Sequential(
  (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)
  (1): BatchNorm2d(4, eps=0.001, momentum=0.1, affine=True, track_running_stats=True)
  (2): ReLU(inplace=True)
  (3): Identity()
  (4): Sequential(
    (0): Dropout(p=0.2, inplace=False)
    (1): Linear(in_features=4, out_features=2, bias=True)
  )
)`

func inplaceReLU() *nn.ReLU { r := nn.NewReLU(); r.Inplace = true; return r }

func TestSequentialOfNumbersChildren(t *testing.T) {
	m := nn.NewSequentialOf(
		nn.NewConv2d(1, 4, 3, nn.Padding(1), nn.NoBias()),
		nn.NewBatchNorm2d(4, nn.Eps(0.001)),
		inplaceReLU(),
		nn.NewIdentity(),
		nn.NewSequentialOf(nn.NewDropout(0.2), nn.NewLinear(4, 2)),
	)
	if got := m.String(); got != containerRef {
		t.Errorf("print:\n%s\nwant (PyTorch):\n%s", got, containerRef)
	}
	var keys []string
	for _, p := range m.StateDict() {
		keys = append(keys, p.Name)
	}
	// PyTorch's list(m.state_dict().keys()).
	want := []string{"0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked", "4.1.weight", "4.1.bias"}
	if !slices.Equal(keys, want) {
		t.Errorf("state_dict keys %v, want %v", keys, want)
	}
	if m.Len() != 5 || m.At(3).ModuleBase().TypeName() != "Identity" {
		t.Errorf("Len %d, At(3) %s", m.Len(), m.At(3).ModuleBase().TypeName())
	}
	if got := nn.NewSequentialOf().String(); got != "Sequential()" {
		t.Errorf("empty Sequential prints %q, want Sequential()", got)
	}
}

func TestIdentityPassesThrough(t *testing.T) {
	x := tensor.New([]float32{-1, 2, -3, 4}, 1, 1, 2, 2)
	if y := nn.NewIdentity().Call(x); y != x {
		t.Error("Identity returned a new tensor")
	}
	y := nn.NewSequentialOf(nn.NewIdentity(), nn.NewReLU(), nn.NewIdentity()).Call(x)
	if !slices.Equal(y.Data(), []float32{0, 2, 0, 4}) {
		t.Errorf("Identity, ReLU, Identity gave %v", y.Data())
	}
}

func TestModuleListAndDict(t *testing.T) {
	l := nn.NewModuleList(nn.NewReLU(), nn.NewIdentity())
	if want := "ModuleList(\n  (0): ReLU()\n  (1): Identity()\n)"; l.String() != want {
		t.Errorf("ModuleList prints\n%s\nwant\n%s", l, want)
	}
	if l.Len() != 2 || len(l.Modules()) != 2 || l.At(1).ModuleBase().TypeName() != "Identity" {
		t.Error("ModuleList Len/Modules/At")
	}
	if got := nn.NewModuleList().String(); got != "ModuleList()" {
		t.Errorf("empty ModuleList prints %q", got)
	}
	d := nn.NewModuleDict(nn.Child{Name: "conv", Module: nn.NewConv2d(2, 2, 1)}).Set("act", nn.NewReLU())
	want := "ModuleDict(\n  (conv): Conv2d(2, 2, kernel_size=(1, 1), stride=(1, 1))\n  (act): ReLU()\n)"
	if d.String() != want {
		t.Errorf("ModuleDict prints\n%s\nwant\n%s", d, want)
	}
	if !slices.Equal(d.Keys(), []string{"conv", "act"}) || d.Get("act") == nil || d.Get("x") != nil {
		t.Error("ModuleDict Keys/Get")
	}
	var keys []string
	for _, p := range d.StateDict() {
		keys = append(keys, p.Name)
	}
	if !slices.Equal(keys, []string{"conv.weight", "conv.bias"}) {
		t.Errorf("ModuleDict state_dict %v", keys)
	}
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), "no Forward") {
				t.Errorf("ModuleList.Call: recovered %v, want a panic", r)
			}
		}()
		l.Call(tensor.Zeros(1))
	}()
}

func TestBatchNormOptionsPrint(t *testing.T) {
	// PyTorch: print(nn.BatchNorm2d(3, momentum=0.01)).
	want := "BatchNorm2d(3, eps=1e-05, momentum=0.01, affine=True, track_running_stats=True)"
	if got := nn.NewBatchNorm2d(3, nn.Momentum(0.01)).String(); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	bn := nn.NewBatchNorm2d(64, nn.Eps(0.001))
	if bn.Eps != 0.001 || bn.Momentum != 0.1 {
		t.Errorf("Eps %v, Momentum %v", bn.Eps, bn.Momentum)
	}
}

// TestBatchNormWithoutAffineOrStats checks the printouts and state_dict
// keys of PyTorch's BatchNorm2d(4, affine=..., track_running_stats=...),
// and that the layer runs.
func TestBatchNormWithoutAffineOrStats(t *testing.T) {
	for _, c := range []struct {
		affine, stats bool
		print         string
		keys          []string
	}{
		{false, true, "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=False, track_running_stats=True)", []string{"running_mean", "running_var", "num_batches_tracked"}},
		{true, false, "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=False)", []string{"weight", "bias"}},
		{false, false, "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)", nil},
	} {
		bn := nn.NewBatchNorm2d(4, nn.Affine(c.affine), nn.TrackRunningStats(c.stats))
		if got := bn.String(); got != c.print {
			t.Errorf("print %s, want %s", got, c.print)
		}
		var keys []string
		for _, p := range bn.StateDict() {
			keys = append(keys, p.Name)
		}
		if !slices.Equal(keys, c.keys) {
			t.Errorf("%s: state_dict keys %v, want %v", c.print, keys, c.keys)
		}
		x := tensor.New([]float32{1, 2, 3, 4, 5, 6, 7, 8, 1, 3, 5, 7, 2, 4, 6, 8}, 2, 4, 1, 2)
		for _, train := range []bool{true, false} {
			if train {
				bn.Train()
			} else {
				bn.Eval()
			}
			if y := bn.Call(x); !slices.Equal(y.Shape(), x.Shape()) {
				t.Errorf("%s: output shape %v", c.print, y.Shape())
			}
		}
	}
}
