package train_test

import (
	"context"
	"testing"

	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/datasets/mnist"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/train"
)

// TestShortTrainingLearns trains LeNet-5 for one epoch on 2,000 MNIST
// images and expects accuracy far above chance on 1,000 test images.
func TestShortTrainingLearns(t *testing.T) {
	trainSet, err := mnist.Train("")
	if err != nil {
		t.Fatal(err)
	}
	testSet, err := mnist.Test("")
	if err != nil {
		t.Fatal(err)
	}
	nn.ManualSeed(0)
	model := models.NewLeNetSeq()
	opt := optim.NewAdam(model.Parameters(), optim.DefaultAdam(1e-3))
	loader := data.NewLoader(mnist.Subset(trainSet, 2000), data.LoaderOptions{BatchSize: 32})
	stats, err := train.Epoch(context.Background(), model, opt, loader, 0, train.Quiet{})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Batches != 63 || stats.Samples != 2000 {
		t.Errorf("%d batches of %d samples, want 63 and 2000", stats.Batches, stats.Samples)
	}
	ev, err := train.Evaluate(context.Background(), model, mnist.Subset(testSet, 1000), 500, train.Quiet{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("train loss %.4f accuracy %.3f, test accuracy %.3f", stats.MeanLoss(), stats.Accuracy(), ev.Accuracy())
	if ev.Accuracy() < 0.7 {
		t.Errorf("test accuracy %.3f after one short epoch, want >= 0.7", ev.Accuracy())
	}
	if model.Training() {
		t.Error("Evaluate left the model in training mode")
	}
}

func TestEpochStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	trainSet, err := mnist.Train("")
	if err != nil {
		t.Fatal(err)
	}
	model := models.NewLeNetSeq()
	opt := optim.NewAdam(model.Parameters(), optim.DefaultAdam(1e-3))
	loader := data.NewLoader(mnist.Subset(trainSet, 100), data.LoaderOptions{BatchSize: 10})
	if _, err := train.Epoch(ctx, model, opt, loader, 0, train.Quiet{}); err != context.Canceled {
		t.Errorf("error %v, want context.Canceled", err)
	}
}
