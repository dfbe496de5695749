package optim_test

import (
	"math"
	"testing"

	"github.com/convnet/convnet/optim"
)

// closeTo reports whether got is within 1e-14 of want, relative.
func closeTo(got, want float64) bool { return math.Abs(got-want) <= 1e-14*math.Abs(want) }

// TestWarmupMatchesPyTorch checks the rate (and momentum) before each
// optimizer step against PyTorch 1.13's compositions, 3 batches an epoch
// where it matters:
//
//	from torch.optim import lr_scheduler as L
//	# A, B: LinearLR stepped after every batch, the main scheduler after every epoch.
//	w = L.LinearLR(o, start_factor=0.25, total_iters=7); e = L.StepLR(o, step_size=1, gamma=0.5)  # A, lr 0.1
//	w = L.LinearLR(o, start_factor=0.1, total_iters=5); e = L.CosineAnnealingLR(o, T_max=4)       # B, lr 0.1
//	for ep in range(4):
//	    for b in range(3):
//	        out.append(o.param_groups[0]["lr"]); o.step(); w.step()
//	    e.step()
//	# C, D: SequentialLR stepped after every batch.
//	w = L.LinearLR(o, start_factor=0.2, total_iters=4); c = L.CosineAnnealingLR(o, T_max=8)      # C, lr 0.1
//	s = L.SequentialLR(o, [w, c], milestones=[4])
//	w = L.LinearLR(o, start_factor=0.5, total_iters=3)                                            # D, Adam, lr 1e-3
//	c = L.OneCycleLR(o, max_lr=1e-3, total_steps=10); s = L.SequentialLR(o, [w, c], milestones=[3])
//	for k in range(12):  # 13 for D
//	    g = o.param_groups[0]; out.append((g["lr"], g["betas"][0])); o.step(); s.step()
func TestWarmupMatchesPyTorch(t *testing.T) {
	cases := []struct {
		name     string
		s        optim.StepSchedule
		base     float64
		lr, mom  []float64
		batches  int
		momentum bool
	}{
		{name: "A: then StepLR per epoch", base: 0.1, batches: 3,
			s: optim.Warmup{Steps: 7, StartFactor: 0.25, Then: optim.StepLR{StepSize: 1, Gamma: 0.5}, EpochBatches: 3},
			lr: []float64{0.025, 0.03571428571428572, 0.04642857142857144, 0.028571428571428577, 0.03392857142857143,
				0.03928571428571429, 0.022321428571428572, 0.025, 0.025, 0.0125, 0.0125, 0.0125}},
		{name: "B: then CosineAnnealingLR per epoch", base: 0.1, batches: 3,
			s: optim.Warmup{Steps: 5, StartFactor: 0.1, Then: optim.CosineLR{TMax: 4}, EpochBatches: 3},
			lr: []float64{0.010000000000000002, 0.028000000000000004, 0.046000000000000006, 0.05462741699796952,
				0.06999137802864844, 0.08535533905932736, 0.049999999999999996, 0.049999999999999996,
				0.049999999999999996, 0.014644660940672625, 0.014644660940672625, 0.014644660940672625}},
		{name: "C: SequentialLR with CosineAnnealingLR per batch", base: 0.1, batches: 3,
			s: optim.Warmup{Steps: 4, StartFactor: 0.2, Then: optim.PerBatch{Schedule: optim.CosineLR{TMax: 8}, EpochBatches: 3}},
			lr: []float64{0.020000000000000004, 0.04000000000000001, 0.06000000000000001, 0.08000000000000002, 0.1,
				0.09619397662556434, 0.08535533905932738, 0.0691341716182545, 0.05, 0.030865828381745515,
				0.014644660940672627, 0.0038060233744356634}},
		{name: "D: SequentialLR with OneCycleLR", base: 1e-3, batches: 5, momentum: true,
			s: optim.Warmup{Steps: 3, StartFactor: 0.5, Then: optim.NewOneCycleLR(2, 5)},
			lr: []float64{2e-05, 2.6666666666666667e-05, 3.3333333333333335e-05, 3.9999999999999996e-05,
				0.0005200000000000001, 0.001, 0.0009504846320134736, 0.000811745653949763, 0.0006112620219362892,
				0.00038874197806371076, 0.00018825834605023698, 4.9519367986526286e-05, 4e-09},
			mom: []float64{0.95, 0.95, 0.95, 0.95, 0.8999999999999999, 0.85, 0.854951556604879, 0.8688255099070633,
				0.8888739533021842, 0.9111260466978157, 0.9311744900929366, 0.945048443395121, 0.95}},
	}
	for _, c := range cases {
		if got := c.s.Batches(); got != c.batches {
			t.Errorf("%s: Batches() = %d, want %d", c.name, got, c.batches)
		}
		for step, want := range c.lr {
			lr, m := c.s.AtStep(c.base, step)
			wantM := 0.0
			if c.momentum {
				wantM = c.mom[step]
			}
			if !closeTo(lr, want) || !closeTo(m, wantM) {
				t.Errorf("%s: step %d: lr %v momentum %v, want %v %v", c.name, step, lr, m, want, wantM)
			}
			if step%c.batches == 0 {
				if got := c.s.LR(c.base, step/c.batches); got != lr {
					t.Errorf("%s: LR(epoch %d) = %v, want step %d's %v", c.name, step/c.batches, got, step, lr)
				}
			}
		}
	}
}

func TestWarmupFactor(t *testing.T) {
	cases := []struct {
		w    optim.Warmup
		step int
		want float64
	}{
		{optim.Warmup{Steps: 4}, 0, 0},
		{optim.Warmup{Steps: 4}, 1, 0.25},
		{optim.Warmup{Steps: 4}, 4, 1},
		{optim.Warmup{Steps: 4}, 100, 1},
		{optim.Warmup{Steps: 4, StartFactor: 0.5}, 2, 0.75},
		{optim.Warmup{}, 0, 1},
	}
	for _, c := range cases {
		if got := c.w.Factor(c.step); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%+v: Factor(%d) = %v, want %v", c.w, c.step, got, c.want)
		}
	}
	// Without Then the rate is the base's, warmed up.
	if lr, m := (optim.Warmup{Steps: 4, EpochBatches: 2}).AtStep(0.1, 2); math.Abs(lr-0.05) > 1e-15 || m != 0 {
		t.Errorf("constant: lr %v momentum %v, want 0.05 0", lr, m)
	}
}

func TestWarmupNeedsEpochBatches(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Error("Warmup over StepLR without EpochBatches did not panic")
		}
	}()
	optim.Warmup{Steps: 3, Then: optim.StepLR{StepSize: 1, Gamma: 0.5}}.AtStep(0.1, 5)
}
