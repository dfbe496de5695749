package optim_test

import (
	"math"
	"testing"

	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/tensor"
)

func TestConfig(t *testing.T) {
	good := optim.Config{Optimizer: "sgd", LR: 0.1, Momentum: 0.9, Schedule: "step", StepSize: 2, Gamma: 0.5}
	cases := []struct {
		name string
		edit func(*optim.Config)
		want string
	}{
		{"good", func(*optim.Config) {}, ""},
		{"optimizer", func(c *optim.Config) { c.Optimizer = "rmsprop" }, `optimizer must be adam or sgd, got "rmsprop"`},
		{"lr", func(c *optim.Config) { c.LR = -1 }, "lr must be a positive number, got -1"},
		{"momentum for adam", func(c *optim.Config) { c.Optimizer = "adam" }, "momentum applies to the sgd optimizer (Adam has its own moments)"},
		{"momentum", func(c *optim.Config) { c.Momentum = 1 }, "momentum must be in [0, 1), got 1"},
		{"schedule", func(c *optim.Config) { c.Schedule = "cyclic" }, `schedule must be none, step, cosine, onecycle or plateau, got "cyclic"`},
		{"onecycle without batches", func(c *optim.Config) { c.Schedule, c.Epochs = "onecycle", 2 }, "schedule onecycle needs the batches in an epoch, got 0"},
		{"onecycle without epochs", func(c *optim.Config) { c.Schedule, c.Batches = "onecycle", 5 }, "epochs must be at least 1 for the onecycle schedule, got 0"},
		{"step size", func(c *optim.Config) { c.StepSize = 0 }, "step-size must be at least 1, got 0"},
		{"gamma", func(c *optim.Config) { c.Gamma = 0 }, "gamma must be a positive number, got 0"},
		{"plateau gamma", func(c *optim.Config) { c.Schedule = "plateau"; c.Gamma = 1 }, "gamma must be in (0, 1) for the plateau schedule, got 1"},
		{"plateau patience", func(c *optim.Config) { c.Schedule, c.PlateauPatience = "plateau", -1 }, "plateau-patience must be 0 or more, got -1"},
		{"warmup", func(c *optim.Config) { c.Warmup = -1 }, "warmup must be 0 (none) or more batches, got -1"},
		{"warmup start", func(c *optim.Config) { c.Warmup, c.Batches, c.WarmupStart = 10, 5, 1.5 }, "warmup-start must be in [0, 1], got 1.5"},
		{"warmup with onecycle", func(c *optim.Config) { c.Schedule, c.Epochs, c.Batches, c.Warmup = "onecycle", 2, 5, 3 },
			"warmup does not apply to the onecycle schedule, which warms up itself"},
		{"warmup without batches", func(c *optim.Config) { c.Warmup = 3 }, "warmup needs the batches in an epoch, got 0"},
		{"backbone lr", func(c *optim.Config) { c.BackboneLR = -1 }, "backbone-lr must be 0 (lr) or a positive number, got -1"},
		{"backbone lr without head", func(c *optim.Config) { c.BackboneLR = 0.01 }, "backbone-lr needs the head's parameters (Config.Head)"},
		{"head not among the parameters", func(c *optim.Config) { c.BackboneLR, c.Head = 0.01, []*tensor.Tensor{tensor.Zeros(1)} },
			"backbone-lr needs the head's parameters among the model's: optim: parameter 0 of the group is not among the optimizer's 1"},
	}
	p := tensor.Zeros(3)
	p.SetRequiresGrad(true)
	for _, c := range cases {
		cfg := good
		c.edit(&cfg)
		opt, sched, err := cfg.New([]*tensor.Tensor{p})
		if c.want == "" {
			if err != nil || opt.LR() != 0.1 || sched.LR(0.1, 2) != 0.05 {
				t.Errorf("%s: %v, lr %v", c.name, err, sched.LR(0.1, 2))
			}
			continue
		}
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// TestConfigBuilds checks what New builds from the warm-up, plateau and
// backbone settings.
func TestConfigBuilds(t *testing.T) {
	backbone := tensor.New([]float32{1}, 1).SetRequiresGrad(true)
	head := tensor.New([]float32{1}, 1).SetRequiresGrad(true)
	params := []*tensor.Tensor{backbone, head}

	cfg := optim.Config{Optimizer: "sgd", LR: 0.1, Schedule: "step", StepSize: 1, Gamma: 0.5, Warmup: 4, WarmupStart: 0.5, Batches: 2}
	_, sched, err := cfg.New(params)
	if err != nil {
		t.Fatal(err)
	}
	want := optim.Warmup{Steps: 4, StartFactor: 0.5, Then: optim.StepLR{StepSize: 1, Gamma: 0.5}, EpochBatches: 2}
	if sched != optim.Schedule(want) {
		t.Errorf("warm-up schedule %#v, want %#v", sched, want)
	}

	cfg = optim.Config{Optimizer: "adam", LR: 0.1, Schedule: "plateau", Gamma: 0.5, PlateauPatience: 0}
	if _, sched, err = cfg.New(params); err != nil || sched != optim.Schedule(optim.Constant{}) {
		t.Errorf("plateau: schedule %#v, %v", sched, err)
	}
	p, err := cfg.NewPlateau("max")
	if err != nil {
		t.Fatal(err)
	}
	if lr0, lr1, lr2 := p.Step(0.5), p.Step(0.5), p.Step(0.5); lr0 != 0.1 || lr1 != 0.05 || lr2 != 0.025 {
		t.Errorf("plateau rates %v %v %v, want 0.1 0.05 0.025", lr0, lr1, lr2)
	}
	if _, err := cfg.NewPlateau("up"); err == nil {
		t.Error("plateau mode up accepted")
	}
	cfg.Schedule = "none"
	if p, err := cfg.NewPlateau("max"); p != nil || err != nil {
		t.Errorf("NewPlateau without the plateau schedule: %v, %v", p, err)
	}

	// The backbone learns at BackboneLR, the head at LR: one SGD step of
	// gradient 1 moves each by its rate.
	cfg = optim.Config{Optimizer: "sgd", LR: 0.1, Schedule: "none", BackboneLR: 0.01, Head: []*tensor.Tensor{head}}
	opt, _, err := cfg.New(params)
	if err != nil {
		t.Fatal(err)
	}
	tensor.Sum(tensor.Add(backbone, head)).Backward()
	opt.Step()
	if b, h := backbone.Data()[0], head.Data()[0]; math.Abs(float64(b)-0.99) > 1e-7 || math.Abs(float64(h)-0.9) > 1e-7 {
		t.Errorf("after a step: backbone %v, head %v; want 0.99, 0.9", b, h)
	}
}
