package optim_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/convnet/convnet/internal/testref"
	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/tensor"
)

// TestOptimizersMatchPyTorch runs three steps of each optimizer from the
// reference's p0 with gradients g1..g3 and compares with p1..p3.
func TestOptimizersMatchPyTorch(t *testing.T) {
	ref := testref.Open(t, "ops.safetensors")
	cases := []struct {
		key  string
		make func([]*tensor.Tensor) optim.Optimizer
	}{
		{"adam", func(p []*tensor.Tensor) optim.Optimizer { return optim.NewAdam(p, optim.DefaultAdam(1e-3)) }},
		{"sgd_momentum", func(p []*tensor.Tensor) optim.Optimizer {
			return optim.NewSGD(p, optim.SGDOptions{LR: 0.05, Momentum: 0.9})
		}},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			v, shape := ref.F32(c.key + ".p0")
			p := tensor.New(append([]float32(nil), v...), shape...).SetRequiresGrad(true)
			opt := c.make([]*tensor.Tensor{p})
			for step := 1; step <= 3; step++ {
				g, _ := ref.F32(fmt.Sprintf("%s.g%d", c.key, step))
				// Set the gradient through autograd: d/dp sum(p*g) = g.
				opt.ZeroGrad()
				tensor.Sum(tensor.Mul(p, tensor.New(g, shape...))).Backward()
				opt.Step()
				want, _ := ref.F32(fmt.Sprintf("%s.p%d", c.key, step))
				testref.Check(t, fmt.Sprintf("p%d", step), p.Data(), want, 1e-6, 1e-7)
			}
		})
	}
}

func TestSchedules(t *testing.T) {
	cases := []struct {
		name  string
		s     optim.Schedule
		epoch int
		want  float64
	}{
		{"constant", optim.Constant{}, 7, 0.1},
		{"step before", optim.StepLR{StepSize: 3, Gamma: 0.1}, 2, 0.1},
		{"step after", optim.StepLR{StepSize: 3, Gamma: 0.1}, 3, 0.01},
		{"step twice", optim.StepLR{StepSize: 3, Gamma: 0.1}, 7, 0.001},
		{"cosine start", optim.CosineLR{TMax: 10}, 0, 0.1},
		{"cosine middle", optim.CosineLR{TMax: 10}, 5, 0.05},
		{"cosine end", optim.CosineLR{TMax: 10, EtaMin: 0.001}, 10, 0.001},
	}
	for _, c := range cases {
		if got := c.s.LR(0.1, c.epoch); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: LR(0.1, %d) = %v, want %v", c.name, c.epoch, got, c.want)
		}
	}
}

func TestClipGradNorm(t *testing.T) {
	p := tensor.New([]float32{1, 1}, 2).SetRequiresGrad(true)
	q := tensor.New([]float32{1}, 1).SetRequiresGrad(true)
	// Gradients (3, 0) and (4): norm 5.
	tensor.Sum(tensor.Mul(p, tensor.New([]float32{3, 0}, 2))).Backward()
	tensor.Sum(tensor.Mul(q, tensor.New([]float32{4}, 1))).Backward()
	if n := optim.ClipGradNorm([]*tensor.Tensor{p, q}, 1); math.Abs(n-5) > 1e-6 {
		t.Errorf("norm %v, want 5", n)
	}
	if g := p.Grad().Data()[0]; math.Abs(float64(g)-0.6) > 1e-5 {
		t.Errorf("clipped gradient %v, want 0.6", g)
	}
	if n := optim.ClipGradNorm([]*tensor.Tensor{p, q}, 10); math.Abs(n-1) > 1e-5 {
		t.Errorf("norm after clipping %v, want 1", n)
	}
}

// TestStateDictResumes checks that an optimizer rebuilt from another's
// state continues exactly as the original would.
func TestStateDictResumes(t *testing.T) {
	for _, name := range []string{"adam", "sgd"} {
		mk := func(p *tensor.Tensor) optim.Optimizer {
			if name == "adam" {
				return optim.NewAdam([]*tensor.Tensor{p}, optim.DefaultAdam(0.1))
			}
			return optim.NewSGD([]*tensor.Tensor{p}, optim.SGDOptions{LR: 0.1, Momentum: 0.9})
		}
		step := func(o optim.Optimizer, p *tensor.Tensor) {
			o.ZeroGrad()
			tensor.Sum(tensor.Mul(p, p)).Backward()
			o.Step()
		}
		a := tensor.New([]float32{1, -2}, 2).SetRequiresGrad(true)
		oa := mk(a)
		step(oa, a)
		step(oa, a)
		b := tensor.New(append([]float32(nil), a.Data()...), 2).SetRequiresGrad(true)
		ob := mk(b)
		if err := ob.LoadStateDict(oa.StateDict()); err != nil {
			t.Fatal(err)
		}
		step(oa, a)
		step(ob, b)
		if a.Data()[0] != b.Data()[0] || a.Data()[1] != b.Data()[1] {
			t.Errorf("%s: resumed %v, uninterrupted %v", name, b.Data(), a.Data())
		}
	}
}

// TestOneCycleLRMatchesPyTorch checks the rate and momentum of each step
// against torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, epochs=2,
// steps_per_epoch=5) on Adam (lr and betas[0] before each opt.step(),
// PyTorch 1.13).
func TestOneCycleLRMatchesPyTorch(t *testing.T) {
	want := [][2]float64{
		{3.9999999999999996e-05, 0.95}, {0.00052000000000000006, 0.9}, {0.001, 0.85},
		{0.00095048463201347359, 0.85495155660487898}, {0.00081174565394976305, 0.86882550990706331},
		{0.00061126202193628916, 0.88887395330218422}, {0.00038874197806371076, 0.91112604669781572},
		{0.00018825834605023698, 0.93117449009293662}, {4.9519367986526286e-05, 0.94504844339512095},
		{4.0000000000000002e-09, 0.95},
	}
	s := optim.NewOneCycleLR(2, 5)
	for step, w := range want {
		lr, m := s.AtStep(1e-3, step)
		if math.Abs(lr-w[0]) > 1e-15 || math.Abs(m-w[1]) > 1e-15 {
			t.Errorf("step %d: lr %v momentum %v, want %v %v", step, lr, m, w[0], w[1])
		}
	}
	if got := s.LR(1e-3, 1); math.Abs(got-want[5][0]) > 1e-15 {
		t.Errorf("epoch 1 starts at %v, want %v", got, want[5][0])
	}
}
