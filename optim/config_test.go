package optim_test

import (
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
		{"schedule", func(c *optim.Config) { c.Schedule = "cyclic" }, `schedule must be none, step, cosine or onecycle, got "cyclic"`},
		{"onecycle without batches", func(c *optim.Config) { c.Schedule, c.Epochs = "onecycle", 2 }, "schedule onecycle needs the batches in an epoch, got 0"},
		{"onecycle without epochs", func(c *optim.Config) { c.Schedule, c.Batches = "onecycle", 5 }, "epochs must be at least 1 for the onecycle schedule, got 0"},
		{"step size", func(c *optim.Config) { c.StepSize = 0 }, "step-size must be at least 1, got 0"},
		{"gamma", func(c *optim.Config) { c.Gamma = 0 }, "gamma must be a positive number, got 0"},
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
