package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/datasets"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/train"
	"github.com/convnet/convnet/viz"
)

// evalBatch is the batch size of the test-set evaluation, as the lesson.
const evalBatch = 1000

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
	schedule := fs.String("schedule", "none", "learning-rate `SCHEDULE`: none, step or cosine (per epoch), onecycle (PyTorch's OneCycleLR, per batch, peaking at --lr), or plateau (ReduceLROnPlateau on test_accr: times --gamma after --plateau-patience epochs without a better one)")
	plateauPatience := fs.Int("plateau-patience", 10, "with --schedule plateau: the `N` epochs without a better test_accr it waits before lowering the rate")
	warmup := fs.Int("warmup", 0, "a linear warm-up of the rate over the first `N` batches (LinearLR), before the schedule")
	warmupStart := fs.Float64("warmup-start", 1.0/3, "with --warmup: the `FACTOR` of the rate the warm-up starts from")
	lrBackbone := fs.Float64("lr-backbone", 0, "learning `RATE` of every parameter but the classifier's last layer, which learns at --lr (0: all at --lr)")
	stepSize := fs.Int("step-size", 30, "with --schedule step: multiply the rate by --gamma every `N` epochs")
	gamma := fs.Float64("gamma", 0.1, "with --schedule step or plateau: the `FACTOR`")
	clip := fs.Float64("clip-grad-norm", 0, "scale gradients to at most this L2 `NORM` before each step (0: off)")
	augment := fs.String("augment", "auto", "random crop (padding 4) of training images, and flips where they keep the class (cifar10, not digits); for a folder, torchvision's RandomResizedCrop and flip, and Resize(N*8/7)+CenterCrop(N) to test (off: Resize(N)+CenterCrop(N) for both): `on`, off or auto (on for cifar10 and folder)")
	batchSize := fs.Int("batch-size", 64, "`N` training images per batch")
	epochs := fs.Int("epochs", 3, "train until `N` epochs are done (counting those of a resumed run)")
	shuffle := fs.Bool("shuffle", false, "visit the training images in a new random order each epoch")
	seed := fs.Uint64("seed", 0, "`SEED` for the initial weights (nn.ManualSeed), shuffling and augmentation")
	threads := threadsFlag(fs)
	precision := precisionFlag(fs)
	out := fs.String("out", "", "checkpoint `FILE` to write after every epoch (default: <model>.safetensors, or --resume's)")
	resume := fs.String("resume", "", "continue the run whose last checkpoint is `FILE` (its optimizer state is in FILE's .state.safetensors)")
	limit := fs.Int("limit", 0, "train on only the first `N` training images (0: all)")
	testLimit := fs.Int("test-limit", 0, "compute test_accr on only the first `N` test images (0: all)")
	force := fs.Bool("force", false, "replace an existing --out checkpoint (and its state and metrics) with a new run")
	imageSize := fs.Int("image-size", 224, "with --dataset folder: the side `N` of the square pictures the model takes")
	valSplit := fs.Float64("val-split", 0.1, "with --dataset folder and no DIR/val: the `SHARE` of each class held out for test_accr")
	skipBad := fs.Bool("skip-bad", false, "with --dataset folder: leave out pictures that cannot be read, with a warning each, rather than stop")
	cache := fs.Bool("cache", false, "with --dataset folder: keep the decoded pictures in memory after the first epoch (up to 4 GiB of training pictures and as much of test ones; past that they are decoded every epoch)")
	workers := fs.Int("workers", runtime.NumCPU(), "`N` goroutines decoding and transforming a batch's pictures ahead of training")
	initFrom := fs.String("init", "", "start from the weights in `FILE` (a checkpoint, safetensors or PyTorch's .pth, even of another model's head): every tensor whose name and shape match is loaded, the rest keep their fresh values")
	numClasses := fs.Int("num-classes", 0, "`N` outputs of the model (0: the data set's classes)")
	freeze := fs.String("freeze", "", "`PREFIXES` of parameters not to train, comma-separated (\"layer1,layer2\"), or \"features\": all but the classifier's last layer")
	keep := fs.String("keep", "last", "`WHICH` weights besides --out's last epoch: last (none), or best: also the epoch of the best test_accr, in <out>.best.safetensors")
	patience := fs.Int("patience", 0, "stop after `N` epochs in a row without a better test_accr (0: never)")
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
	case !(*clip >= 0) || *clip > 1e300:
		return usagef("--clip-grad-norm must be 0 (off) or more, got %v", *clip)
	case *limit < 0:
		return usagef("--limit must be 0 (all) or more, got %d", *limit)
	case *testLimit < 0:
		return usagef("--test-limit must be 0 (all) or more, got %d", *testLimit)
	case *numClasses < 0:
		return usagef("--num-classes must be 0 (the data set's) or more, got %d", *numClasses)
	case *keep != "last" && *keep != "best":
		return usagef("--keep must be last or best, got %q", *keep)
	case *patience < 0:
		return usagef("--patience must be 0 (never stop early) or more, got %d", *patience)
	case *imageSize < 1 || *imageSize > 4096:
		return usagef("--image-size must be between 1 and 4096, got %d", *imageSize)
	case !(*valSplit > 0 && *valSplit < 1):
		return usagef("--val-split must be between 0 and 1, got %v", *valSplit)
	case *workers < 1 || *workers > maxThreads:
		return usagef("--workers must be between 1 and %d, got %d", maxThreads, *workers)
	case *initFrom != "" && *resume != "":
		return usagef("--init starts a run from weights; --resume continues one: give one of them")
	}
	optConfig := optim.Config{Optimizer: *optimizer, LR: *lr, Momentum: *momentum, WeightDecay: *weightDecay,
		Schedule: *schedule, StepSize: *stepSize, Gamma: *gamma, Epochs: *epochs,
		PlateauPatience: *plateauPatience, Warmup: *warmup, WarmupStart: *warmupStart, BackboneLR: *lrBackbone}
	if err := optConfig.Check(); err != nil {
		return usagef("--%v", err)
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
	var pipe datasets.Pipeline
	var skippedLater atomic.Int64 // pictures --skip-bad leaves out in training
	if *dataset == datasets.FolderName {
		if *dataDir == "" {
			return usagef("--dataset folder needs --data DIR, the folder of pictures")
		}
		if err := checkData(*dataDir); err != nil {
			return err
		}
		// Folder data come sorted by class: shuffled unless asked not to.
		if !flagSet(fs, "shuffle") {
			*shuffle = true
		}
		pipe, err = openFolder(stderr, spec, *dataDir, &skippedLater, datasets.FolderOptions{ImageSize: *imageSize,
			Augment: *augment != "off", ValSplit: *valSplit, Seed: *seed, SkipBad: *skipBad, Cache: cacheBytes(*cache)})
		doAugment = false // the folder's own transforms augment
	} else {
		pipe, err = fitPipeline(spec, *dataset)
	}
	if err != nil {
		return err
	}
	if *numClasses > 0 {
		if *numClasses < pipe.Input.Classes {
			return usagef("--num-classes %d is fewer than the %d classes of %s", *numClasses, pipe.Input.Classes, *dataset)
		}
		pipe.Input.Classes = *numClasses
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
	if _, err := os.Stat(*out); err == nil && *out != *resume && !*force {
		return usagef("--out %s already holds a checkpoint: give --resume %s to continue that run, --force to replace it, or another --out", *out, *out)
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
	prec, err := setPrecision(*precision, stderr)
	if err != nil {
		return err
	}
	trainSet, aug, err := pipe.TrainSet(*dataDir, *limit, doAugment, *seed)
	if err != nil {
		return err
	}
	if *batchSize > trainSet.Len() {
		return usagef("--batch-size %d is more than the %d training images: give at most %d", *batchSize, trainSet.Len(), trainSet.Len())
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
	if *initFrom != "" {
		if err := initWeights(stderr, *initFrom, m, pipe.Input.Classes); err != nil {
			return err
		}
	}
	if *freeze != "" {
		if err := freezeParameters(stderr, *freeze, m, pipe.Input.Classes); err != nil {
			return err
		}
	}
	optConfig.Batches = (trainSet.Len() + *batchSize - 1) / *batchSize
	if *lrBackbone > 0 {
		optConfig.Head = nn.HeadParameters(m, pipe.Input.Classes)
	}
	opt, sched, err := optConfig.New(m.ModuleBase().Parameters())
	if err != nil {
		return err
	}
	unlock, err := checkpoint.Lock(*out)
	if err != nil {
		return fmt.Errorf("--out %s: %v", *out, err)
	}
	defer unlock()
	ckpts := &train.Checkpoints{Path: *out, Optimizer: *optimizer, Metadata: pipe.Metadata(spec.Name), Saved: -1}
	first := 0
	if *resume != "" {
		done, err := resumeRun(*resume, pipe.Metadata(spec.Name), m, opt)
		if err != nil {
			return err
		}
		first, ckpts.Saved = done+1, done
		if first >= *epochs {
			return usagef("--resume %s already holds epoch %d: give --epochs more than %d", *resume, done, first)
		}
		fmt.Fprintf(stderr, "resuming after epoch %d of %s\n", done, *resume)
	}
	loop := &train.Loop{
		Model: m, Optimizer: opt, Test: testSet, EvalBatch: evalBatch,
		Train: data.NewLoader(trainSet, data.LoaderOptions{BatchSize: *batchSize, Shuffle: *shuffle, Seed: *seed,
			Workers: *workers, Prefetch: 2}),
		First: first, Epochs: *epochs, LR: *lr, Schedule: sched, ClipGradNorm: *clip, Precision: prec,
		Progress: train.NewBar(stderr),
	}
	if aug != nil {
		loop.SetEpoch = aug.SetEpoch
	}
	if dataErr := pipe.Source.Err; dataErr != nil {
		// A picture that fails to decode mid-run stops it, naming the
		// file: in training, or in the test after an epoch (before the
		// epoch is saved).
		loop.OnStep(func(*train.Loop, train.Step) error { return dataErr() })
		loop.OnEpoch(func(*train.Loop, train.EpochResult) error { return dataErr() })
	}
	if bar := train.NewBar(stderr); bar.Terminal {
		bar.Leave = false
		loop.EvalProgress = bar
	}
	var losses, accs []float64
	loop.OnEpoch(func(_ *train.Loop, r train.EpochResult) error {
		fmt.Fprintf(stdout, "epoch %d : loss=%.4f, accr=%.4f, mean_loss=%.4f, test_accr=%.4f\n",
			r.Epoch, r.Loss(), r.Accuracy(), r.MeanLoss(), r.Test.Accuracy())
		losses = append(losses, r.Loss())
		accs = append(accs, r.Accuracy())
		return nil
	})
	plateau, err := optConfig.NewPlateau("max")
	if err != nil {
		return usagef("--%v", err)
	}
	if plateau != nil {
		if err := attachPlateau(loop, plateau, ckpts, *resume); err != nil {
			return err
		}
	}
	if *keep == "best" {
		ckpts.Best, ckpts.BestAccuracy = bestPath(*out), -1
		if meta, err := checkpoint.Metadata(ckpts.Best); err == nil && first > 0 {
			ckpts.BestAccuracy = train.BestAccuracyOf(meta)
		}
	}
	ckpts.Attach(loop)
	metrics, warnings := train.OpenMetricsLog(train.MetricsPath(*out), first)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "convnet train: warning: %s\n", w)
	}
	metrics.Attach(loop)
	if *patience > 0 {
		stop := train.NewEarlyStopping(*patience)
		stop.Restore(train.TestAccuracies(metrics.Rows()))
		stop.Attach(loop)
	}
	if *plotOut != "" {
		title := runName(*out)
		loop.OnEpoch(func(*train.Loop, train.EpochResult) error {
			if err := viz.SaveCurves(*plotOut, title, metrics.Rows()); err != nil {
				return fmt.Errorf("--plot: %v", err)
			}
			return nil
		})
	}
	if _, err := loop.Run(ctx); err != nil {
		if errors.Is(err, train.ErrNonFinite) {
			return fmt.Errorf("%v; try a smaller --lr than %g; %s", err, *lr, holds(*out, ckpts.Saved))
		}
		return interrupted(stderr, err, *out, ckpts.Saved)
	}
	fmt.Fprintf(stdout, "losses: %s\n", formatFloats(losses))
	fmt.Fprintf(stdout, "accuracies: %s\n", formatFloats(accs))
	fmt.Fprintf(stdout, "saved %s\n", *out)
	if n := skippedLater.Load(); n > 0 {
		fmt.Fprintf(stderr, "convnet train: %d times a picture could not be read in training and was left out (--skip-bad)\n", n)
	}
	if ckpts.Best != "" && ckpts.BestAccuracy >= 0 {
		fmt.Fprintf(stdout, "saved %s (the best test_accr, %.4f)\n", ckpts.Best, ckpts.BestAccuracy)
	}
	if *plotOut != "" {
		fmt.Fprintf(stdout, "saved %s\n", *plotOut)
	}
	return nil
}

// resumeRun continues the run whose last checkpoint is path (see
// checkpoint.ResumeRun) and returns the last epoch it holds.
func resumeRun(path string, want map[string]string, m nn.Module, opt optim.Optimizer) (int, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("--resume: %s", pathError(err))
	}
	for _, k := range []string{datasets.PadKey} {
		delete(want, k) // not part of a run's identity
	}
	epoch, err := checkpoint.ResumeRun(path, m, opt, want)
	var mismatch *checkpoint.RunMismatchError
	switch {
	case errors.As(err, &mismatch):
		return 0, usagef("--resume %v", err)
	case err != nil:
		return 0, fmt.Errorf("--resume: %v", err)
	}
	return epoch, nil
}

// interrupted reports a stop between batches: which epoch the checkpoint
// holds, if any. Errors other than cancellation pass through.
func interrupted(stderr io.Writer, err error, out string, saved int) error {
	if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	sep := " "
	if saved >= 0 {
		sep = ": "
	}
	fmt.Fprintf(stderr, "convnet train: interrupted%s%s\n", sep, holds(out, saved))
	return errInterrupted
}

// holds says what the checkpoint of a stopped run holds.
func holds(out string, saved int) string {
	if saved >= 0 {
		return fmt.Sprintf("%s holds epoch %d", out, saved)
	}
	return "before the first epoch finished: nothing saved to " + out
}

// bestPath is where --keep best keeps the best epoch's weights of the run
// at out: <out without .safetensors>.best.safetensors.
func bestPath(out string) string {
	return strings.TrimSuffix(out, ".safetensors") + ".best.safetensors"
}

// initWeights loads the tensors of path that fit m (--init) and says what
// it did, naming a classifier head that is new because the classes differ.
func initWeights(stderr io.Writer, path string, m nn.Module, classes int) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("--init: %s", pathError(err))
	}
	r, err := models.LoadMatching(path, m)
	if err != nil {
		return fmt.Errorf("--init: %v", err)
	}
	if len(r.Loaded) == 0 {
		return fmt.Errorf("--init %s: no tensor of the file fits the model (%s)", path, r.Summary())
	}
	for _, head := range nn.Heads(m, classes) {
		for _, mm := range r.Mismatched {
			if strings.HasPrefix(mm, head+".") {
				fmt.Fprintf(stderr, "convnet train: --init: a new classifier head %s for %d classes (the file's is for others)\n", head, classes)
				break
			}
		}
	}
	fmt.Fprintf(stderr, "convnet train: --init %s: %s\n", path, r.Summary())
	return nil
}

// freezeParameters stops the parameters --freeze names from training.
func freezeParameters(stderr io.Writer, prefixes string, m nn.Module, classes int) error {
	n, err := nn.Freeze(m, classes, strings.Split(prefixes, ",")...)
	if err != nil {
		return usagef("--freeze: %v", err)
	}
	fmt.Fprintf(stderr, "convnet train: --freeze %s: %d of %d parameter tensors frozen\n", prefixes, n, len(m.ModuleBase().NamedParameters()))
	return nil
}

// openFolder opens --data as a folder of pictures and fits the model to
// it, warning of each picture --skip-bad leaves out.
// Pictures that fail to decode later, in training, are counted into
// skipped, for the count at the end.
func openFolder(stderr io.Writer, spec models.Spec, dir string, skipped *atomic.Int64, o datasets.FolderOptions) (datasets.Pipeline, error) {
	// Warn is called while listing, and then by the loader's workers.
	var mu sync.Mutex
	o.Warn = func(path string, err error) {
		skipped.Add(1)
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stderr, "convnet train: warning: skipping %s\n", oneLine(err.Error()))
	}
	src, err := datasets.OpenFolder(dir, o)
	if err != nil {
		return datasets.Pipeline{}, fmt.Errorf("--data: %v", err)
	}
	if n := skipped.Swap(0); n > 0 {
		fmt.Fprintf(stderr, "convnet train: %d pictures left out of %s (--skip-bad)\n", n, dir)
	}
	pipe, err := datasets.FitSource(spec, src)
	return pipe, fitError(err)
}

// flagSet reports whether the command line set the named flag.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// attachPlateau steps plateau after each epoch (train.Plateau), its
// state restored from resume's checkpoint.
func attachPlateau(loop *train.Loop, plateau *optim.ReduceLROnPlateau, ckpts *train.Checkpoints, resume string) error {
	p := &train.Plateau{Scheduler: plateau}
	if resume != "" {
		meta, err := checkpoint.Metadata(resume)
		if err == nil {
			err = p.Restore(loop, meta)
		}
		if err != nil {
			return fmt.Errorf("--resume %s: %v", resume, err)
		}
	}
	p.Attach(loop, ckpts)
	return nil
}

// cacheBytes is the memory --cache may fill with decoded pictures.
func cacheBytes(on bool) int64 {
	if on {
		return 4 << 30
	}
	return 0
}
