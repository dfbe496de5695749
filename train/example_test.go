package train_test

import (
	"context"
	"fmt"

	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/datasets/mnist"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/train"
)

// A training run with hooks: a custom one that stops early once the test
// accuracy is high enough, and the metrics log.
func ExampleLoop() {
	trainSet, _ := mnist.Train("")
	testSet, _ := mnist.Test("")
	nn.ManualSeed(0)
	model := models.NewLeNetSeq()
	loop := &train.Loop{
		Model:     model,
		Optimizer: optim.NewAdam(model.Parameters(), optim.DefaultAdam(1e-3)),
		Train:     data.NewLoader(mnist.Subset(trainSet, 2000), data.LoaderOptions{BatchSize: 64}),
		Test:      mnist.Subset(testSet, 500),
		Epochs:    10,
		LR:        1e-3,
	}
	loop.OnEpoch(func(_ *train.Loop, r train.EpochResult) error {
		fmt.Printf("epoch %d: %d batches\n", r.Epoch, r.Batches)
		if r.Test.Accuracy() > 0.5 {
			return train.ErrStop // good enough
		}
		return nil
	})
	results, err := loop.Run(context.Background())
	fmt.Println(len(results), "epoch(s), error:", err)
	// Output:
	// epoch 0: 32 batches
	// 1 epoch(s), error: <nil>
}
