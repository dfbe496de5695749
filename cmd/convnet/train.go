package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/datasets/mnist"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/train"
)

// evalBatch is the batch size of the test-set evaluation, as the lesson.
const evalBatch = 1000

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return finish(stderr, "train", guard(func() error { return trainCmd(ctx, args, stdout, stderr) }))
}

func trainCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmd("train", "",
		"Train a model on MNIST with Adam and cross-entropy, as the lesson does, printing one line\n"+
			"per epoch and saving the checkpoint after every epoch. With no flags it runs the lesson:\n"+
			"LeNet-5, lr 0.001, batch 64, 3 epochs, no shuffling, seed 0.")
	fs := c.flags
	model := modelFlag(fs, "lenet5", "")
	dataDir := dataFlag(fs)
	lr := fs.Float64("lr", 0.001, "Adam learning `RATE`")
	batchSize := fs.Int("batch-size", 64, "`N` training images per batch")
	epochs := fs.Int("epochs", 3, "`N` passes over the training images")
	shuffle := fs.Bool("shuffle", false, "visit the training images in a new random order each epoch")
	seed := fs.Uint64("seed", 0, "`SEED` for the initial weights (nn.ManualSeed) and the shuffling")
	threads := threadsFlag(fs)
	out := fs.String("out", "", "checkpoint `FILE` to write after every epoch (default: <model>.safetensors)")
	limit := fs.Int("limit", 0, "train on only the first `N` training images (0: all)")
	testLimit := fs.Int("test-limit", 0, "compute test_accr on only the first `N` test images (0: all)")
	pos, err := c.parse(args, stdout)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	spec, err := lookupModel(*model)
	if err != nil {
		return err
	}
	switch {
	case *epochs < 1:
		return usagef("--epochs must be at least 1, got %d", *epochs)
	case *batchSize < 1:
		return usagef("--batch-size must be at least 1, got %d", *batchSize)
	case !(*lr > 0) || *lr > 1e300:
		return usagef("--lr must be a positive number, got %v", *lr)
	case *limit < 0:
		return usagef("--limit must be 0 (all) or more, got %d", *limit)
	case *testLimit < 0:
		return usagef("--test-limit must be 0 (all) or more, got %d", *testLimit)
	}
	if spec.Input != (models.Input{Channels: 1, Size: 28, Classes: 10}) {
		return usagef("--model %s takes %v images, not MNIST's", spec.Name, spec.Input)
	}
	if *out == "" {
		*out = spec.Name + ".safetensors"
	}
	if err := checkOutPath("--out", *out); err != nil {
		return err
	}
	if err := checkData(*dataDir); err != nil {
		return err
	}
	if err := setThreads(*threads); err != nil {
		return err
	}

	trainSet, err := loadMNIST(*dataDir, true)
	if err != nil {
		return err
	}
	testSet, err := loadMNIST(*dataDir, false)
	if err != nil {
		return err
	}
	if *limit > 0 {
		trainSet = mnist.Subset(trainSet, *limit)
	}
	if *testLimit > 0 {
		testSet = mnist.Subset(testSet, *testLimit)
	}

	nn.ManualSeed(*seed)
	m := spec.New()
	opt := optim.NewAdam(m.ModuleBase().Parameters(), optim.DefaultAdam(*lr))
	loader := data.NewLoader(trainSet, data.LoaderOptions{BatchSize: *batchSize, Shuffle: *shuffle, Seed: *seed})

	bar := newProgress(stderr)
	var evalBar train.Progress = train.Quiet{}
	if bar.term {
		eb := newProgress(stderr)
		eb.leave = false
		evalBar = eb
	}

	var losses, accs []float64
	saved := -1
	for epoch := range *epochs {
		stats, err := train.Epoch(ctx, m, opt, loader, epoch, bar)
		if err != nil {
			return interrupted(stderr, err, *out, saved)
		}
		ev, err := train.Evaluate(ctx, m, testSet, evalBatch, evalBar)
		if err != nil {
			return interrupted(stderr, err, *out, saved)
		}
		fmt.Fprintf(stdout, "epoch %d : loss=%.4f, accr=%.4f, mean_loss=%.4f, test_accr=%.4f\n",
			epoch, stats.Loss(), stats.Accuracy(), stats.MeanLoss(), ev.Accuracy())
		losses = append(losses, stats.Loss())
		accs = append(accs, stats.Accuracy())
		meta := map[string]string{
			checkpoint.ModelKey: spec.Name,
			"epoch":             strconv.Itoa(epoch),
			"dataset":           "mnist",
			"test_accuracy":     fmt.Sprintf("%.4f", ev.Accuracy()),
		}
		if err := checkpoint.Save(*out, m, meta); err != nil {
			return err
		}
		saved = epoch
	}
	fmt.Fprintf(stdout, "losses: %s\n", formatFloats(losses))
	fmt.Fprintf(stdout, "accuracies: %s\n", formatFloats(accs))
	fmt.Fprintf(stdout, "saved %s\n", *out)
	return nil
}

// interrupted reports a stop between batches: which epoch the checkpoint
// holds, if any. Errors other than cancellation pass through.
func interrupted(stderr io.Writer, err error, out string, saved int) error {
	if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if saved >= 0 {
		fmt.Fprintf(stderr, "convnet train: interrupted: %s holds epoch %d\n", out, saved)
	} else {
		fmt.Fprintf(stderr, "convnet train: interrupted before the first epoch finished: nothing saved to %s\n", out)
	}
	return errInterrupted
}
