package optim_test

import (
	"math"
	"testing"

	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/tensor"
)

// setGrad gives p the gradient g through autograd: d/dp sum(p*g) = g.
func setGrad(p *tensor.Tensor, g []float32) {
	p.ZeroGrad()
	tensor.Sum(tensor.Mul(p, tensor.New(g, p.Shape()...))).Backward()
}

// TestParamGroupsMatchPyTorch checks a backbone at a tenth of the head's
// rate, both halved after every step, against torch.optim param groups
// (PyTorch 1.13):
//
//	p = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)   # backbone
//	q = torch.tensor([1.5, -0.25], requires_grad=True)       # head
//	gp = [[0.1, -0.2, 0.3], [0.05, 0.4, -0.6], [-0.3, 0.2, 0.1]]
//	gq = [[1.0, -2.0], [0.5, 0.25], [-1.0, 3.0]]
//	opt = torch.optim.Adam([{"params": [p], "lr": 1e-4}, {"params": [q]}], lr=1e-3)
//	# or SGD([{"params": [p], "lr": 1e-2}, {"params": [q]}], lr=1e-1, momentum=0.9)
//	sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
//	for k in range(3):
//	    p.grad = torch.tensor(gp[k]); q.grad = torch.tensor(gq[k])
//	    opt.step(); sched.step()
//	    print([float(x) for x in p.detach()], [float(x) for x in q.detach()])
func TestParamGroupsMatchPyTorch(t *testing.T) {
	gp := [][]float32{{0.1, -0.2, 0.3}, {0.05, 0.4, -0.6}, {-0.3, 0.2, 0.1}}
	gq := [][]float32{{1.0, -2.0}, {0.5, 0.25}, {-1.0, 3.0}}
	cases := []struct {
		name string
		base float64
		make func([]*tensor.Tensor, float64) optim.Optimizer
		p, q [][]float32 // after each step
	}{
		{"adam", 1e-3,
			func(ps []*tensor.Tensor, lr float64) optim.Optimizer { return optim.NewAdam(ps, optim.DefaultAdam(lr)) },
			[][]float32{{0.4999000132083893, -0.9998999834060669, 1.999899983406067},
				{0.4998534023761749, -0.9999182820320129, 1.9999183416366577},
				{0.49986207485198975, -0.999931275844574, 1.9999229907989502}},
			[][]float32{{1.4989999532699585, -0.24899999797344208},
				{1.498533844947815, -0.24871373176574707},
				{1.4985061883926392, -0.24878467619419098}}},
		{"sgd", 1e-1,
			func(ps []*tensor.Tensor, lr float64) optim.Optimizer {
				return optim.NewSGD(ps, optim.SGDOptions{LR: lr, Momentum: 0.9})
			},
			[][]float32{{0.49900001287460327, -0.9980000257492065, 1.996999979019165},
				{0.4983000159263611, -0.9991000294685364, 1.9986499547958374},
				{0.4987350106239319, -1.000095009803772, 1.9991424083709717}},
			[][]float32{{1.399999976158142, -0.04999999701976776},
				{1.3299999237060547, 0.027500001713633537},
				{1.3234999179840088, -0.012625002302229404}}},
	}
	for _, c := range cases {
		p := tensor.New([]float32{0.5, -1, 2}, 3).SetRequiresGrad(true)
		q := tensor.New([]float32{1.5, -0.25}, 2).SetRequiresGrad(true)
		opt := c.make([]*tensor.Tensor{p, q}, c.base)
		if err := opt.(optim.ParamGroups).SetLRFactor([]*tensor.Tensor{p}, 0.1); err != nil {
			t.Fatal(err)
		}
		sched := optim.StepLR{StepSize: 1, Gamma: 0.5}
		for k := range 3 {
			opt.SetLR(sched.LR(c.base, k))
			setGrad(p, gp[k])
			setGrad(q, gq[k])
			opt.Step()
			for i, v := range p.Data() {
				if d := math.Abs(float64(v - c.p[k][i])); d > 1e-6*math.Abs(float64(c.p[k][i])) {
					t.Errorf("%s step %d: backbone %v, want %v", c.name, k, p.Data(), c.p[k])
					break
				}
			}
			for i, v := range q.Data() {
				if d := math.Abs(float64(v - c.q[k][i])); d > 1e-6*math.Abs(float64(c.q[k][i])) {
					t.Errorf("%s step %d: head %v, want %v", c.name, k, q.Data(), c.q[k])
					break
				}
			}
		}
	}
}

// TestParamGroupsAreSeparateOptimizers checks that each group steps
// bit for bit as an optimizer of its own at its rate, and that factors of
// 1 step as an optimizer without groups.
func TestParamGroupsAreSeparateOptimizers(t *testing.T) {
	for _, name := range []string{"adam", "sgd"} {
		mk := func(ps []*tensor.Tensor, lr float64) optim.Optimizer {
			if name == "adam" {
				return optim.NewAdam(ps, optim.AdamOptions{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-2})
			}
			return optim.NewSGD(ps, optim.SGDOptions{LR: lr, Momentum: 0.9, WeightDecay: 1e-2, Nesterov: true})
		}
		params := func() []*tensor.Tensor {
			return []*tensor.Tensor{
				tensor.New([]float32{0.5, -1, 2}, 3).SetRequiresGrad(true),
				tensor.New([]float32{1.5, -0.25}, 2).SetRequiresGrad(true),
				tensor.New([]float32{0.3, 0.7, -0.9, 0.1}, 4).SetRequiresGrad(true),
			}
		}
		step := func(o optim.Optimizer, ps []*tensor.Tensor, k int) {
			for _, p := range ps {
				g := make([]float32, p.Numel()) // the sizes tell the parameters apart
				for i := range g {
					g[i] = float32(math.Sin(float64(1 + i + 3*p.Numel() + 7*k)))
				}
				setGrad(p, g)
			}
			o.Step()
		}
		const lr, factor = 0.03, 0.37
		grouped, apart, plain, ones := params(), params(), params(), params()
		og := mk(grouped, lr)
		if err := og.(optim.ParamGroups).SetLRFactor([]*tensor.Tensor{grouped[0], grouped[2]}, factor); err != nil {
			t.Fatal(err)
		}
		backbone, head := mk([]*tensor.Tensor{apart[0], apart[2]}, lr*factor), mk(apart[1:2], lr)
		op, o1 := mk(plain, lr), mk(ones, lr)
		if err := o1.(optim.ParamGroups).SetLRFactor(ones, 1); err != nil {
			t.Fatal(err)
		}
		for k := range 4 {
			step(og, grouped, k)
			step(backbone, []*tensor.Tensor{apart[0], apart[2]}, k)
			step(head, apart[1:2], k)
			step(op, plain, k)
			step(o1, ones, k)
		}
		for j := range grouped {
			for i := range grouped[j].Data() {
				if grouped[j].Data()[i] != apart[j].Data()[i] || plain[j].Data()[i] != ones[j].Data()[i] {
					t.Errorf("%s: parameter %d: grouped %v, apart %v; plain %v, factors of 1 %v", name, j,
						grouped[j].Data(), apart[j].Data(), plain[j].Data(), ones[j].Data())
					break
				}
			}
		}
	}
}

func TestSetLRFactorErrors(t *testing.T) {
	p := tensor.New([]float32{1}, 1).SetRequiresGrad(true)
	other := tensor.New([]float32{1}, 1).SetRequiresGrad(true)
	for _, opt := range []optim.ParamGroups{
		optim.NewAdam([]*tensor.Tensor{p}, optim.DefaultAdam(1e-3)),
		optim.NewSGD([]*tensor.Tensor{p}, optim.SGDOptions{LR: 0.1}),
	} {
		if err := opt.SetLRFactor([]*tensor.Tensor{other}, 0.5); err == nil || err.Error() != "optim: parameter 0 of the group is not among the optimizer's 1" {
			t.Errorf("%T, a stranger: %v", opt, err)
		}
		for _, f := range []float64{-1, math.NaN(), math.Inf(1)} {
			if err := opt.SetLRFactor([]*tensor.Tensor{p}, f); err == nil {
				t.Errorf("%T: factor %v accepted", opt, f)
			}
		}
		if err := opt.SetLRFactor([]*tensor.Tensor{p}, 0); err != nil {
			t.Errorf("%T: factor 0: %v", opt, err)
		}
	}
}

// TestParamGroupsResume checks that an optimizer with groups, rebuilt
// with the same groups from another's state, continues exactly as the
// original would.
func TestParamGroupsResume(t *testing.T) {
	for _, name := range []string{"adam", "sgd"} {
		mk := func(ps []*tensor.Tensor) optim.Optimizer {
			var o optim.Optimizer = optim.NewAdam(ps, optim.DefaultAdam(0.1))
			if name == "sgd" {
				o = optim.NewSGD(ps, optim.SGDOptions{LR: 0.1, Momentum: 0.9})
			}
			if err := o.(optim.ParamGroups).SetLRFactor(ps[:1], 0.1); err != nil {
				t.Fatal(err)
			}
			return o
		}
		step := func(o optim.Optimizer, ps []*tensor.Tensor) {
			o.ZeroGrad()
			for _, p := range ps {
				tensor.Sum(tensor.Mul(p, p)).Backward()
			}
			o.Step()
		}
		a := []*tensor.Tensor{tensor.New([]float32{1, -2}, 2).SetRequiresGrad(true), tensor.New([]float32{3}, 1).SetRequiresGrad(true)}
		oa := mk(a)
		step(oa, a)
		step(oa, a)
		b := []*tensor.Tensor{
			tensor.New(append([]float32(nil), a[0].Data()...), 2).SetRequiresGrad(true),
			tensor.New(append([]float32(nil), a[1].Data()...), 1).SetRequiresGrad(true),
		}
		ob := mk(b)
		if err := ob.LoadStateDict(oa.StateDict()); err != nil {
			t.Fatal(err)
		}
		step(oa, a)
		step(ob, b)
		for j := range a {
			for i := range a[j].Data() {
				if a[j].Data()[i] != b[j].Data()[i] {
					t.Errorf("%s: parameter %d resumed %v, uninterrupted %v", name, j, b[j].Data(), a[j].Data())
				}
			}
		}
	}
}
