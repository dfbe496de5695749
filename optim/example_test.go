package optim_test

import (
	"fmt"

	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/tensor"
)

func ExampleNewAdam() {
	p := tensor.New([]float32{1, -2}, 2).SetRequiresGrad(true)
	opt := optim.NewAdam([]*tensor.Tensor{p}, optim.DefaultAdam(0.1))

	// Minimise sum(p*p), whose minimum is at p = 0.
	for step := 1; step <= 5; step++ {
		opt.ZeroGrad()
		loss := tensor.Sum(tensor.Mul(p, p))
		loss.Backward()
		opt.Step()
		fmt.Printf("step %d: loss %.4f, p = [%.4f %.4f]\n", step, loss.Item(), p.Data()[0], p.Data()[1])
	}
	// Output:
	// step 1: loss 5.0000, p = [0.9000 -1.9000]
	// step 2: loss 4.4200, p = [0.8004 -1.8002]
	// step 3: loss 3.8813, p = [0.7016 -1.7006]
	// step 4: loss 3.3843, p = [0.6039 -1.6015]
	// step 5: loss 2.9295, p = [0.5080 -1.5030]
}

// Fine-tuning: the pretrained backbone learns at a tenth of the new
// head's rate, and a schedule moves both.
func ExampleAdam_SetLRFactor() {
	backbone := tensor.New([]float32{1, 1}, 2).SetRequiresGrad(true)
	head := tensor.New([]float32{1}, 1).SetRequiresGrad(true)
	opt := optim.NewAdam([]*tensor.Tensor{backbone, head}, optim.DefaultAdam(0.1))
	if err := opt.SetLRFactor([]*tensor.Tensor{backbone}, 0.1); err != nil {
		panic(err)
	}
	sched := optim.StepLR{StepSize: 1, Gamma: 0.5}
	for epoch := range 2 {
		opt.SetLR(sched.LR(0.1, epoch))
		opt.ZeroGrad()
		tensor.Sum(tensor.Add(tensor.Sum(backbone), head)).Backward()
		opt.Step()
		fmt.Printf("epoch %d: backbone %.4f, head %.4f\n", epoch, backbone.Data()[0], head.Data()[0])
	}
	// Output:
	// epoch 0: backbone 0.9900, head 0.9000
	// epoch 1: backbone 0.9850, head 0.8500
}

// A linear warm-up over the first 4 batches of a step schedule (2
// batches an epoch), then the rate halves every epoch.
func ExampleWarmup() {
	s := optim.Warmup{Steps: 4, StartFactor: 0.2, Then: optim.StepLR{StepSize: 1, Gamma: 0.5}, EpochBatches: 2}
	for step := range 6 {
		lr, _ := s.AtStep(0.1, step)
		fmt.Printf("step %d (epoch %d): lr %.3f\n", step, step/s.Batches(), lr)
	}
	// Output:
	// step 0 (epoch 0): lr 0.020
	// step 1 (epoch 0): lr 0.040
	// step 2 (epoch 1): lr 0.030
	// step 3 (epoch 1): lr 0.040
	// step 4 (epoch 2): lr 0.025
	// step 5 (epoch 2): lr 0.025
}

// The rate halves when the test accuracy has not risen for more than
// one epoch.
func ExampleReduceLROnPlateau() {
	opts := optim.DefaultPlateau("max")
	opts.Factor, opts.Patience = 0.5, 1
	p, err := optim.NewReduceLROnPlateau(0.1, opts)
	if err != nil {
		panic(err)
	}
	for epoch, accuracy := range []float64{0.90, 0.95, 0.95, 0.94, 0.96, 0.96, 0.96} {
		fmt.Printf("epoch %d: accuracy %.2f, next lr %.3f\n", epoch, accuracy, p.Step(accuracy))
	}
	// Output:
	// epoch 0: accuracy 0.90, next lr 0.100
	// epoch 1: accuracy 0.95, next lr 0.100
	// epoch 2: accuracy 0.95, next lr 0.100
	// epoch 3: accuracy 0.94, next lr 0.050
	// epoch 4: accuracy 0.96, next lr 0.050
	// epoch 5: accuracy 0.96, next lr 0.050
	// epoch 6: accuracy 0.96, next lr 0.025
}
