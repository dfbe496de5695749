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
