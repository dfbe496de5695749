package optim_test

import (
	"math"
	"strconv"
	"testing"

	"github.com/convnet/convnet/optim"
)

// TestReduceLROnPlateauMatchesPyTorch feeds metrics to ReduceLROnPlateau
// and compares the rate after each step, and the state at the end, with
// PyTorch 1.13's:
//
//	from torch.optim.lr_scheduler import ReduceLROnPlateau
//	def run(lr, metrics, **kw):
//	    o = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
//	    s = ReduceLROnPlateau(o, **kw)
//	    for m in metrics:
//	        s.step(m); print(o.param_groups[0]["lr"])
//	    print({k: s.state_dict()[k] for k in ("best", "num_bad_epochs", "cooldown_counter", "last_epoch")})
//	run(0.1, [0.5, 0.6, 0.6, 0.60005, 0.6, 0.7, 0.69, 0.7, 0.7, 0.7, 0.7, 0.70007, 0.71, 0.7, 0.7, 0.7],
//	    mode="max", factor=0.5, patience=2)
//	run(1.0, [2.0, 1.5, 1.495, 1.49, 1.6, 1.2, 1.3, 1.3, 1.3, 1.3, float("nan"), 1.0, 1.1, 1.1, 1.1, 1.1, 1.1],
//	    mode="min", factor=0.1, patience=1, threshold=0.01, threshold_mode="abs", cooldown=2, min_lr=0.02)
//	run(1e-7, [1.0]*8, mode="min", factor=0.5, patience=0)
//	run(0.01, [1.0]*24)
func TestReduceLROnPlateauMatchesPyTorch(t *testing.T) {
	mode := func(mode string, edit func(*optim.PlateauOptions)) optim.PlateauOptions {
		o := optim.DefaultPlateau(mode)
		edit(&o)
		return o
	}
	repeat := func(v float64, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	cases := []struct {
		name    string
		lr      float64
		opts    optim.PlateauOptions
		metrics []float64
		want    []float64
		state   map[string]float64
	}{
		{"max, relative threshold", 0.1,
			mode("max", func(o *optim.PlateauOptions) { o.Factor, o.Patience = 0.5, 2 }),
			[]float64{0.5, 0.6, 0.6, 0.60005, 0.6, 0.7, 0.69, 0.7, 0.7, 0.7, 0.7, 0.70007, 0.71, 0.7, 0.7, 0.7},
			[]float64{0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125, 0.0125, 0.00625},
			map[string]float64{"best": 0.71, "num_bad_epochs": 0, "cooldown_counter": 0, "last_epoch": 16}},
		{"min, absolute threshold, cooldown, min lr, NaN", 1.0,
			mode("min", func(o *optim.PlateauOptions) {
				o.Patience, o.Threshold, o.ThresholdMode, o.Cooldown, o.MinLR = 1, 0.01, "abs", 2, 0.02
			}),
			[]float64{2.0, 1.5, 1.495, 1.49, 1.6, 1.2, 1.3, 1.3, 1.3, 1.3, math.NaN(), 1.0, 1.1, 1.1, 1.1, 1.1, 1.1},
			[]float64{1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.1, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02},
			map[string]float64{"best": 1.0, "num_bad_epochs": 1, "cooldown_counter": 0, "last_epoch": 17}},
		{"eps", 1e-7,
			mode("min", func(o *optim.PlateauOptions) { o.Factor, o.Patience = 0.5, 0 }),
			repeat(1, 8),
			[]float64{1e-07, 5e-08, 2.5e-08, 1.25e-08, 1.25e-08, 1.25e-08, 1.25e-08, 1.25e-08},
			map[string]float64{"best": 1.0, "num_bad_epochs": 0, "cooldown_counter": 0, "last_epoch": 8}},
		{"defaults", 0.01, optim.DefaultPlateau("min"), repeat(1, 24),
			append(append(repeat(0.01, 11), repeat(0.001, 11)...), 0.0001, 0.0001),
			map[string]float64{"best": 1.0, "num_bad_epochs": 1, "cooldown_counter": 0, "last_epoch": 24}},
	}
	for _, c := range cases {
		p, err := optim.NewReduceLROnPlateau(c.lr, c.opts)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for i, m := range c.metrics {
			if got := p.Step(m); got != c.want[i] || p.LR() != got {
				t.Errorf("%s: step %d (metric %v): lr %v (LR() %v), want %v", c.name, i, m, got, p.LR(), c.want[i])
			}
		}
		state := p.StateDict()
		for k, want := range c.state {
			if state[k] != want {
				t.Errorf("%s: state %s = %v, want %v", c.name, k, state[k], want)
			}
		}
		if state["lr"] != c.want[len(c.want)-1] {
			t.Errorf("%s: state lr = %v, want %v", c.name, state["lr"], c.want[len(c.want)-1])
		}
	}
}

// TestReduceLROnPlateauResumes checks that a scheduler rebuilt from
// another's state, written as text and read back, continues as the
// original would, also from the state before any step (best ±Inf).
func TestReduceLROnPlateauResumes(t *testing.T) {
	metrics := []float64{0.5, 0.6, 0.6, 0.6, 0.61, 0.6, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7}
	for _, mode := range []string{"max", "min"} {
		for cut := range 6 {
			opts := optim.DefaultPlateau(mode)
			opts.Patience, opts.Cooldown, opts.Factor = 1, 1, 0.5
			a, err := optim.NewReduceLROnPlateau(0.1, opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range metrics[:cut] {
				a.Step(m)
			}
			saved := map[string]string{}
			for k, v := range a.StateDict() {
				saved[k] = strconv.FormatFloat(v, 'g', -1, 64)
			}
			state := map[string]float64{}
			for k, v := range saved {
				if state[k], err = strconv.ParseFloat(v, 64); err != nil {
					t.Fatal(err)
				}
			}
			b, _ := optim.NewReduceLROnPlateau(1, opts)
			if err := b.LoadStateDict(state); err != nil {
				t.Fatal(err)
			}
			for i, m := range metrics[cut:] {
				if la, lb := a.Step(m), b.Step(m); la != lb {
					t.Errorf("%s, resumed after %d: step %d: lr %v, uninterrupted %v", mode, cut, cut+i, lb, la)
				}
			}
		}
	}
}

func TestReduceLROnPlateauErrors(t *testing.T) {
	cases := []struct {
		name string
		edit func(*optim.PlateauOptions)
		want string
	}{
		{"mode", func(o *optim.PlateauOptions) { o.Mode = "up" }, `optim: plateau mode must be min or max, got "up"`},
		{"threshold mode", func(o *optim.PlateauOptions) { o.ThresholdMode = "pct" }, `optim: plateau threshold mode must be rel or abs, got "pct"`},
		{"factor", func(o *optim.PlateauOptions) { o.Factor = 1 }, "optim: plateau factor must be in [0, 1), got 1"},
		{"patience", func(o *optim.PlateauOptions) { o.Patience = -1 }, "optim: plateau patience and cooldown must be 0 or more, got -1 and 0"},
		{"min lr", func(o *optim.PlateauOptions) { o.MinLR = math.NaN() }, "optim: plateau min lr must be 0 or more, got NaN"},
	}
	for _, c := range cases {
		o := optim.DefaultPlateau("min")
		c.edit(&o)
		if _, err := optim.NewReduceLROnPlateau(0.1, o); err == nil || err.Error() != c.want {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	p, _ := optim.NewReduceLROnPlateau(0.1, optim.DefaultPlateau("max"))
	good := p.StateDict()
	for k, bad := range map[string]float64{"lr": -1, "best": math.NaN(), "num_bad_epochs": 1.5, "last_epoch": -1} {
		state := map[string]float64{}
		for k, v := range good {
			state[k] = v
		}
		state[k] = bad
		if err := p.LoadStateDict(state); err == nil {
			t.Errorf("state %s = %v accepted", k, bad)
		}
	}
	delete(good, "cooldown_counter")
	if err := p.LoadStateDict(good); err == nil || err.Error() != `optim: plateau state "cooldown_counter" is missing` {
		t.Errorf("missing key: %v", err)
	}
}
