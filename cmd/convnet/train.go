package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"strconv"
	"strings"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/datasets"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/safetensors"
	"github.com/convnet/convnet/tensor"
	"github.com/convnet/convnet/train"
)

// evalBatch is the batch size of the test-set evaluation, as the lesson.
const evalBatch = 1000

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return finish(stderr, "train", guard(func() error { return trainCmd(ctx, args, stdout, stderr) }))
}

func trainCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmd("train", "",
		"Train a model with cross-entropy, printing one line per epoch and saving the checkpoint after\n"+
			"every epoch. With no flags it runs the lesson: LeNet-5 on MNIST, Adam, lr 0.001, batch 64,\n"+
			"3 epochs, no shuffling, seed 0. --resume continues a run from its last checkpoint.")
	fs := c.flags
	model := modelFlag(fs, "lenet5", "")
	dataset := fs.String("dataset", "mnist", "`NAME` of the data set: "+strings.Join(datasets.Names(), " or "))
	dataDir := dataFlag(fs)
	optimizer := fs.String("optimizer", "adam", "`NAME`: adam or sgd")
	lr := fs.Float64("lr", 0.001, "learning `RATE`")
	momentum := fs.Float64("momentum", 0, "SGD `MOMENTUM` (0: none; 0.9 is usual)")
	weightDecay := fs.Float64("weight-decay", 0, "L2 weight `DECAY` added to the gradients")
	schedule := fs.String("schedule", "none", "learning-rate `SCHEDULE` per epoch: none, step or cosine")
	stepSize := fs.Int("step-size", 30, "with --schedule step: multiply the rate by --gamma every `N` epochs")
	gamma := fs.Float64("gamma", 0.1, "with --schedule step: the `FACTOR`")
	clip := fs.Float64("clip-grad-norm", 0, "scale gradients to at most this L2 `NORM` before each step (0: off)")
	augment := fs.String("augment", "auto", "random crop (padding 4) and flip of training images: `on`, off or auto (on for cifar10)")
	batchSize := fs.Int("batch-size", 64, "`N` training images per batch")
	epochs := fs.Int("epochs", 3, "train until `N` epochs are done (counting those of a resumed run)")
	shuffle := fs.Bool("shuffle", false, "visit the training images in a new random order each epoch")
	seed := fs.Uint64("seed", 0, "`SEED` for the initial weights (nn.ManualSeed), shuffling and augmentation")
	threads := threadsFlag(fs)
	out := fs.String("out", "", "checkpoint `FILE` to write after every epoch (default: <model>.safetensors, or --resume's)")
	resume := fs.String("resume", "", "continue the run whose last checkpoint is `FILE` (its optimizer state is in FILE's .state.safetensors)")
	limit := fs.Int("limit", 0, "train on only the first `N` training images (0: all)")
	testLimit := fs.Int("test-limit", 0, "compute test_accr on only the first `N` test images (0: all)")
	plotOut := fs.String("plot", "", "after every epoch, draw the loss and accuracy curves to `FILE` (.png or .svg); the figures are also in <out without .safetensors>.metrics.jsonl")
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
	case !(*momentum >= 0 && *momentum < 1):
		return usagef("--momentum must be in [0, 1), got %v", *momentum)
	case !(*weightDecay >= 0) || *weightDecay > 1e300:
		return usagef("--weight-decay must be 0 or more, got %v", *weightDecay)
	case !(*clip >= 0) || *clip > 1e300:
		return usagef("--clip-grad-norm must be 0 (off) or more, got %v", *clip)
	case *stepSize < 1:
		return usagef("--step-size must be at least 1, got %d", *stepSize)
	case !(*gamma > 0) || *gamma > 1e300:
		return usagef("--gamma must be a positive number, got %v", *gamma)
	case *limit < 0:
		return usagef("--limit must be 0 (all) or more, got %d", *limit)
	case *testLimit < 0:
		return usagef("--test-limit must be 0 (all) or more, got %d", *testLimit)
	case *optimizer != "adam" && *optimizer != "sgd":
		return usagef("--optimizer must be adam or sgd, got %q", *optimizer)
	case *optimizer == "adam" && *momentum != 0:
		return usagef("--momentum applies to --optimizer sgd (Adam has its own moments)")
	}
	sched, err := parseSchedule(*schedule, *stepSize, *gamma, *epochs)
	if err != nil {
		return err
	}
	pipe, err := fitPipeline(spec, *dataset)
	if err != nil {
		return err
	}
	doAugment := *dataset == "cifar10"
	switch *augment {
	case "on":
		doAugment = true
	case "off":
		doAugment = false
	case "auto":
	default:
		return usagef("--augment must be on, off or auto, got %q", *augment)
	}
	if *out == "" {
		*out = spec.Name + ".safetensors"
		if *resume != "" {
			*out = *resume
		}
	}
	if err := checkOutPath("--out", *out); err != nil {
		return err
	}
	if *plotOut != "" {
		if err := checkPlotPath("--plot", *plotOut); err != nil {
			return err
		}
	}
	if err := checkData(*dataDir); err != nil {
		return err
	}
	if err := setThreads(*threads); err != nil {
		return err
	}
	trainSet, aug, err := pipe.TrainSet(*dataDir, *limit, doAugment, *seed)
	if err != nil {
		return err
	}
	testSet, err := pipe.TestSet(*dataDir, *testLimit)
	if err != nil {
		return err
	}

	nn.ManualSeed(*seed)
	m, err := pipe.Build(spec)
	if err != nil {
		return err
	}
	params := m.ModuleBase().Parameters()
	var opt optim.Optimizer = optim.NewAdam(params, optim.AdamOptions{LR: *lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: *weightDecay})
	if *optimizer == "sgd" {
		opt = optim.NewSGD(params, optim.SGDOptions{LR: *lr, Momentum: *momentum, WeightDecay: *weightDecay})
	}
	first := 0
	if *resume != "" {
		done, err := resumeRun(*resume, spec.Name, pipe, m, opt)
		if err != nil {
			return err
		}
		first = done + 1
		if first >= *epochs {
			return usagef("--resume %s already holds epoch %d: give --epochs more than %d", *resume, done, first)
		}
		fmt.Fprintf(stderr, "resuming after epoch %d of %s\n", done, *resume)
	}
	loader := data.NewLoader(trainSet, data.LoaderOptions{BatchSize: *batchSize, Shuffle: *shuffle, Seed: *seed})

	bar := newProgress(stderr)
	var evalBar train.Progress = train.Quiet{}
	if bar.term {
		eb := newProgress(stderr)
		eb.leave = false
		evalBar = eb
	}

	var losses, accs []float64
	saved := first - 1
	metrics := openMetrics(metricsPath(*out), first, *plotOut, runName(*out), stderr)
	for epoch := first; epoch < *epochs; epoch++ {
		loader.SetEpoch(epoch)
		if aug != nil {
			aug.SetEpoch(epoch)
		}
		opt.SetLR(sched.LR(*lr, epoch))
		stats, err := train.Epoch(ctx, m, opt, loader, epoch, bar, train.ClipGradNorm(*clip))
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
		meta := pipe.Metadata(spec.Name)
		meta["epoch"] = strconv.Itoa(epoch)
		meta["test_accuracy"] = fmt.Sprintf("%.4f", ev.Accuracy())
		// The optimizer's state first: a checkpoint is never newer than
		// the state that resumes it.
		if err := saveOptimizerState(*out, opt, *optimizer, meta); err != nil {
			return err
		}
		if err := checkpoint.Save(*out, m, meta); err != nil {
			return err
		}
		saved = epoch
		if err := metrics.add(epochMetrics{Epoch: epoch, Loss: stats.Loss(), MeanLoss: stats.MeanLoss(), TrainAccuracy: stats.Accuracy(),
			TestAccuracy: ev.Accuracy(), Seconds: stats.Duration.Seconds(), LR: opt.LR()}); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "losses: %s\n", formatFloats(losses))
	fmt.Fprintf(stdout, "accuracies: %s\n", formatFloats(accs))
	fmt.Fprintf(stdout, "saved %s\n", *out)
	if *plotOut != "" {
		fmt.Fprintf(stdout, "saved %s\n", *plotOut)
	}
	return nil
}

// parseSchedule builds the --schedule.
func parseSchedule(name string, stepSize int, gamma float64, epochs int) (optim.Schedule, error) {
	switch name {
	case "none":
		return optim.Constant{}, nil
	case "step":
		return optim.StepLR{StepSize: stepSize, Gamma: gamma}, nil
	case "cosine":
		return optim.CosineLR{TMax: epochs}, nil
	}
	return nil, usagef("--schedule must be none, step or cosine, got %q", name)
}

// stateFile is where the optimizer state of checkpoint path is kept:
// beside it, so that the checkpoint itself stays a plain state_dict that
// PyTorch's load_state_dict accepts.
func stateFile(path string) string {
	return strings.TrimSuffix(path, ".safetensors") + ".state.safetensors"
}

// saveOptimizerState writes opt's state beside the checkpoint at path.
func saveOptimizerState(path string, opt optim.Optimizer, name string, meta map[string]string) error {
	f := &safetensors.File{Metadata: maps.Clone(meta), Tensors: map[string]safetensors.Tensor{}}
	f.Metadata["optimizer"] = name
	for _, s := range opt.StateDict() {
		f.Names = append(f.Names, s.Name)
		f.Tensors[s.Name] = safetensors.FromFloat32s(s.Tensor.Shape(), s.Tensor.Data())
	}
	return safetensors.WriteFile(stateFile(path), f)
}

// resumeRun loads the checkpoint at path into m and its optimizer state
// into opt, after checking that they belong to this run, and returns the
// last epoch they hold.
func resumeRun(path, model string, pipe datasets.Pipeline, m nn.Module, opt optim.Optimizer) (int, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("--resume: %s", pathError(err))
	}
	meta, err := checkpoint.Load(path, m)
	if err != nil {
		return 0, fmt.Errorf("--resume: %v", err)
	}
	want := pipe.Metadata(model)
	for _, k := range []string{checkpoint.ModelKey, "dataset", "input", "classes"} {
		if meta[k] != want[k] {
			return 0, usagef("--resume %s holds %s=%s, but this run has %s=%s", path, k, meta[k], k, want[k])
		}
	}
	epoch, err := strconv.Atoi(meta["epoch"])
	if err != nil {
		return 0, fmt.Errorf("--resume %s: its metadata has no epoch", path)
	}
	sf := stateFile(path)
	st, err := safetensors.ReadFile(sf)
	if err != nil {
		return 0, fmt.Errorf("--resume: the optimizer state beside the checkpoint: %v", err)
	}
	if st.Metadata["epoch"] != meta["epoch"] {
		return 0, fmt.Errorf("--resume: %s holds epoch %s but %s holds epoch %s", sf, st.Metadata["epoch"], path, meta["epoch"])
	}
	var state []optim.NamedTensor
	for _, name := range st.Names {
		v, err := st.Tensors[name].Float32s()
		if err != nil {
			return 0, fmt.Errorf("--resume: %s: %s: %v", sf, name, err)
		}
		state = append(state, optim.NamedTensor{Name: name, Tensor: tensor.New(v, st.Tensors[name].Shape...)})
	}
	if err := opt.LoadStateDict(state); err != nil {
		return 0, fmt.Errorf("--resume: %s: %v (was it written by another --optimizer?)", sf, err)
	}
	return epoch, nil
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
