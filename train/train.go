// Package train runs the lesson's training loop and evaluation for any
// classifier: one epoch of cross-entropy training with an optimizer, and
// accuracy with a confusion matrix on a dataset. It reports progress
// through an interface and never prints.
package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/tensor"
)

// Progress receives updates during long work; the command line draws them
// as a bar or as plain lines.
type Progress interface {
	// Start begins a task of total steps.
	Start(desc string, total int)
	// Update reports that done steps of the task are finished.
	Update(done int)
	// Finish ends the task.
	Finish()
}

// Quiet is a Progress that shows nothing.
type Quiet struct{}

func (Quiet) Start(string, int) {}
func (Quiet) Update(int)        {}
func (Quiet) Finish()           {}

// EpochStats are an epoch's figures, as the lesson prints them.
type EpochStats struct {
	Epoch    int
	LossSum  float64 // sum over batches of the batch's mean loss
	Correct  int     // training examples predicted right (before each step)
	Samples  int
	Batches  int
	Duration time.Duration
}

// Loss is the lesson's "loss": the sum of batch losses divided by the
// number of samples.
func (s EpochStats) Loss() float64 { return s.LossSum / float64(max(s.Samples, 1)) }

// MeanLoss is the mean of the batch losses.
func (s EpochStats) MeanLoss() float64 { return s.LossSum / float64(max(s.Batches, 1)) }

// Accuracy is the running training accuracy.
func (s EpochStats) Accuracy() float64 { return float64(s.Correct) / float64(max(s.Samples, 1)) }

// Option changes how Epoch trains.
type Option func(*options)

type options struct {
	clipGradNorm float64
	precision    tensor.Precision
}

// ClipGradNorm scales the gradients before each step so that their joint
// L2 norm is at most maxNorm (see optim.ClipGradNorm); 0 turns it off.
func ClipGradNorm(maxNorm float64) Option { return func(o *options) { o.clipGradNorm = maxNorm } }

// Precision sets the arithmetic of the model's convolutions, linear
// layers and matrix products (see tensor.Precision): tensor.BFloat16
// trains in mixed precision, as torch.autocast, with float32 weights,
// gradients and optimizer state. Epoch and Evaluate take it.
func Precision(p tensor.Precision) Option { return func(o *options) { o.precision = p } }

// Epoch trains model for one pass over loader with mean cross-entropy (or
// the model's own loss, where it is an nn.Losser) and opt, as the lesson's
// loop: zero the gradients, forward, loss, backward, step. It stops early with ctx's error when ctx is cancelled between
// batches.
func Epoch(ctx context.Context, model nn.Module, opt optim.Optimizer, loader *data.Loader, epoch int, p Progress, opts ...Option) (EpochStats, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	base := model.ModuleBase()
	params := base.Parameters()
	base.Train()
	stats := EpochStats{Epoch: epoch}
	start := time.Now()
	p.Start("epoch "+strconv.Itoa(epoch), loader.Len())
	defer p.Finish()
	// Every step makes the same tensors: recycle their storage.
	arena := tensor.NewArena()
	scope := tensor.NewScope(tensor.ScopeOptions{Arena: arena, Context: ctx, Precision: o.precision})
	for b := range loader.Batches() {
		if err := ctx.Err(); err != nil {
			return stats, err
		}
		arena.Reset()
		opt.ZeroGrad()
		out := base.Call(scope.Input(b.X))
		var loss *tensor.Tensor
		if l, ok := model.(nn.Losser); ok {
			loss = l.Loss(out, b.Y) // GoogLeNet's, with its auxiliary classifiers
		} else {
			loss = tensor.CrossEntropy(out, b.Y)
		}
		lossValue := float64(loss.Item())
		if math.IsNaN(lossValue) || math.IsInf(lossValue, 0) {
			return stats, &NonFiniteError{Epoch: epoch, Batch: stats.Batches, What: "the loss"}
		}
		stats.LossSum += lossValue
		loss.Backward()
		if o.clipGradNorm > 0 {
			optim.ClipGradNorm(params, o.clipGradNorm)
		}
		opt.Step()
		stats.Correct += countCorrect(out.ArgmaxRows(), b.Y)
		stats.Samples += len(b.Y)
		stats.Batches++
		p.Update(stats.Batches)
	}
	// The last step's weights are seen by no loss: check them, so that a
	// diverged model is never handed on (to a checkpoint, say).
	for _, p := range params {
		if nonFinite(p.Data()) {
			return stats, &NonFiniteError{Epoch: epoch, Batch: stats.Batches - 1, What: "a weight after the step"}
		}
	}
	stats.Duration = time.Since(start)
	return stats, nil
}

// ErrNonFinite is wrapped by the error of Epoch (and Loop.Run) when the
// loss or a weight stops being a finite number: training has diverged,
// most often from too large a learning rate.
var ErrNonFinite = errors.New("training diverged: a value is not a finite number")

// NonFiniteError says where training diverged.
type NonFiniteError struct {
	Epoch, Batch int    // the batch's index in the epoch, from 0
	What         string // "the loss" or "a weight after the step"
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("%s is not a finite number at epoch %d, batch %d: training diverged", e.What, e.Epoch, e.Batch)
}

func (e *NonFiniteError) Unwrap() error { return ErrNonFinite }

// nonFinite reports whether v holds a NaN or an infinity.
func nonFinite(v []float32) bool {
	var sum float32
	for _, x := range v {
		sum += x - x // NaN for a NaN or an infinity, else 0
	}
	return sum != 0
}

// Evaluation is a model's result on a labelled dataset.
type Evaluation struct {
	Correct, Total int
	// Confusion[t][p] counts examples of true class t predicted as p.
	Confusion [][]int
	// Predicted holds the predicted class of every example, in order,
	// Confidence the probability (softmax) the model gave it, and Labels
	// the true classes.
	Predicted  []int
	Confidence []float32
	Labels     []int
}

// Accuracy is the fraction predicted right.
func (e Evaluation) Accuracy() float64 { return float64(e.Correct) / float64(max(e.Total, 1)) }

// ClassAccuracy returns, per true class, the fraction predicted right
// (0 for a class with no examples).
func (e Evaluation) ClassAccuracy() []float64 {
	acc := make([]float64, len(e.Confusion))
	for c, row := range e.Confusion {
		n := 0
		for _, v := range row {
			n += v
		}
		if n > 0 {
			acc[c] = float64(row[c]) / float64(n)
		}
	}
	return acc
}

// Evaluate runs model in evaluation mode, without recording gradients,
// over ds in batches, and counts its predictions. The model is left in
// evaluation mode.
func Evaluate(ctx context.Context, model nn.Module, ds data.Dataset, batchSize int, p Progress, opts ...Option) (Evaluation, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	base := model.ModuleBase()
	base.Eval()
	loader := data.NewLoader(ds, data.LoaderOptions{BatchSize: batchSize})
	var ev Evaluation
	p.Start("eval", loader.Len())
	defer p.Finish()
	arena := tensor.NewArena()
	scope := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Arena: arena, Context: ctx, Precision: o.precision})
	for b := range loader.Batches() {
		if err := ctx.Err(); err != nil {
			return ev, err
		}
		// The batch goes through the model evalChunk images at a time:
		// the same predictions, with a fraction of the activations alive
		// at once.
		n := len(b.Y)
		per := b.X.Numel() / max(n, 1)
		shape := slices.Clone(b.X.Shape())
		for lo := 0; lo < n; lo += evalChunk {
			hi := min(lo+evalChunk, n)
			arena.Reset()
			shape[0] = hi - lo
			ev.add(base.Call(scope.New(b.X.Data()[lo*per:hi*per], shape...)), b.Y[lo:hi])
		}
		p.Update(b.Index + 1)
	}
	return ev, nil
}

// evalChunk bounds the images Evaluate passes through the model at once.
const evalChunk = 250

// add counts the predictions of one chunk's output logits against labels.
func (ev *Evaluation) add(out *tensor.Tensor, labels []int) {
	if ev.Confusion == nil {
		classes := out.Size(1)
		ev.Confusion = make([][]int, classes)
		for i := range ev.Confusion {
			ev.Confusion[i] = make([]int, classes)
		}
	}
	pred := out.ArgmaxRows()
	for i, y := range labels {
		if y >= 0 && y < len(ev.Confusion) {
			ev.Confusion[y][pred[i]]++
		}
	}
	probs := tensor.Softmax(out, 1)
	for i, c := range pred {
		ev.Confidence = append(ev.Confidence, probs.Data()[i*probs.Size(1)+c])
	}
	ev.Correct += countCorrect(pred, labels)
	ev.Total += len(labels)
	ev.Predicted = append(ev.Predicted, pred...)
	ev.Labels = append(ev.Labels, labels...)
}

func countCorrect(pred, labels []int) int {
	n := 0
	for i, y := range labels {
		if pred[i] == y {
			n++
		}
	}
	return n
}
