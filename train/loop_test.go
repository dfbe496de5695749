package train_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/datasets/mnist"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/train"
)

// lessonLoop is the lesson's run, cut to n training and n test images.
func lessonLoop(t testing.TB, n, epochs int) *train.Loop {
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
	return &train.Loop{
		Model:     model,
		Optimizer: optim.NewAdam(model.Parameters(), optim.DefaultAdam(1e-3)),
		Train:     data.NewLoader(mnist.Subset(trainSet, n), data.LoaderOptions{BatchSize: 64}),
		Test:      mnist.Subset(testSet, n),
		Epochs:    epochs,
		LR:        1e-3,
	}
}

func TestLoopHooks(t *testing.T) {
	loop := lessonLoop(t, 640, 2)
	var calls []string
	loop.OnStart(func(*train.Loop) error { calls = append(calls, "start"); return nil })
	steps := 0
	loop.OnStep(func(_ *train.Loop, s train.Step) error {
		if s.Batch != steps%10 || s.Batches != 10 {
			t.Errorf("step %+v, want batch %d of 10", s, steps%10)
		}
		steps++
		return nil
	})
	loop.OnEpoch(func(_ *train.Loop, r train.EpochResult) error {
		calls = append(calls, fmt.Sprintf("epoch %d", r.Epoch))
		if r.Test == nil || r.Test.Total != 640 || r.Samples != 640 {
			t.Errorf("epoch %d: %+v", r.Epoch, r)
		}
		return nil
	})
	loop.OnEnd(func(_ *train.Loop, err error) error { calls = append(calls, fmt.Sprint("end ", err)); return err })
	results, err := loop.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(calls); got != "[start epoch 0 epoch 1 end <nil>]" || steps != 20 || len(results) != 2 {
		t.Errorf("hooks called %s, %d steps, %d results", got, steps, len(results))
	}
}

func TestLoopStopsOnHook(t *testing.T) {
	cases := []struct {
		name    string
		hookErr error
		wantErr error
		steps   int
	}{
		{"ErrStop ends the run without an error", train.ErrStop, nil, 3},
		{"another error ends it with that error", errors.New("disk full"), errors.New("disk full"), 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			loop := lessonLoop(t, 640, 3)
			steps := 0
			loop.OnStep(func(*train.Loop, train.Step) error {
				steps++
				if steps == 3 {
					return c.hookErr
				}
				return nil
			})
			results, err := loop.Run(context.Background())
			if fmt.Sprint(err) != fmt.Sprint(c.wantErr) || steps != c.steps || len(results) != 0 {
				t.Errorf("error %v after %d steps and %d epochs, want %v after %d and none", err, steps, len(results), c.wantErr, c.steps)
			}
		})
	}
}

// TestLoopResume stops a run after its first epoch and resumes it from
// its checkpoint: the weights after the second epoch equal those of a run
// that never stopped.
func TestLoopResume(t *testing.T) {
	dir := t.TempDir()
	whole := lessonLoop(t, 320, 2)
	if _, err := whole.Run(context.Background()); err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(dir, "run.safetensors")
	first := lessonLoop(t, 320, 1)
	ckpts := &train.Checkpoints{Path: path, Optimizer: "adam", Metadata: map[string]string{checkpoint.ModelKey: "lenet5"}, Saved: -1}
	ckpts.Attach(first)
	if _, err := first.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ckpts.Saved != 0 {
		t.Fatalf("saved epoch %d, want 0", ckpts.Saved)
	}

	resumed := lessonLoop(t, 320, 2)
	done, err := checkpoint.ResumeRun(path, resumed.Model, resumed.Optimizer, map[string]string{checkpoint.ModelKey: "lenet5"})
	if err != nil {
		t.Fatal(err)
	}
	resumed.First = done + 1
	if _, err := resumed.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want, got := whole.Model.ModuleBase().StateDict(), resumed.Model.ModuleBase().StateDict()
	for i := range want {
		w, g := want[i].Tensor.Data(), got[i].Tensor.Data()
		for j := range w {
			if w[j] != g[j] {
				t.Fatalf("%s[%d] = %v after resuming, %v without stopping", want[i].Name, j, g[j], w[j])
			}
		}
	}

	_, err = checkpoint.ResumeRun(path, resumed.Model, resumed.Optimizer, map[string]string{checkpoint.ModelKey: "vgg11"})
	var mismatch *checkpoint.RunMismatchError
	if !errors.As(err, &mismatch) || mismatch.Key != checkpoint.ModelKey {
		t.Errorf("resuming as another model: %v, want a RunMismatchError on %q", err, checkpoint.ModelKey)
	}
}

// TestLoopStopsWhenDiverging trains with a learning rate that blows the
// weights up in the first step: the run stops at the next batch with
// ErrNonFinite, before any epoch hook (a checkpoint, say) sees the model.
func TestLoopStopsWhenDiverging(t *testing.T) {
	loop := lessonLoop(t, 640, 3)
	loop.LR = 1e300
	epochs := 0
	loop.OnEpoch(func(*train.Loop, train.EpochResult) error { epochs++; return nil })
	_, err := loop.Run(context.Background())
	var nf *train.NonFiniteError
	if !errors.Is(err, train.ErrNonFinite) || !errors.As(err, &nf) || nf.Epoch != 0 || epochs != 0 {
		t.Fatalf("error %v after %d epochs, want ErrNonFinite in epoch 0 before any epoch ended", err, epochs)
	}
	t.Log(err)
}

// TestLoopOneCycle checks that a per-batch schedule sets the rate and
// Adam's beta1 of every batch, across epochs and on a resumed run.
func TestLoopOneCycle(t *testing.T) {
	for _, first := range []int{0, 1} {
		loop := lessonLoop(t, 320, 2)
		loop.First = first
		sched := optim.NewOneCycleLR(2, 5)
		loop.Schedule = sched
		adam := loop.Optimizer.(*optim.Adam)
		want := func(step int) (float64, float64) { return sched.AtStep(1e-3, step) }
		lr, beta1 := want(first * 5)
		if adam.LR() != 1e-3 {
			t.Fatalf("the rate before the run is %v", adam.LR())
		}
		loop.OnStep(func(_ *train.Loop, s train.Step) error {
			// After batch b the rate is that of the next batch.
			if adam.LR() == lr && adam.Beta1 == beta1 {
				t.Errorf("epoch %d batch %d: the rate %v did not move", s.Epoch, s.Batch, lr)
			}
			lr, beta1 = want(s.Epoch*5 + s.Batch + 1)
			if adam.LR() != lr || adam.Beta1 != beta1 {
				t.Errorf("epoch %d batch %d: lr %v beta1 %v, want %v %v", s.Epoch, s.Batch, adam.LR(), adam.Beta1, lr, beta1)
			}
			return nil
		})
		if _, err := loop.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEarlyStopping(t *testing.T) {
	for _, c := range []struct {
		accs      []float64
		patience  int
		stopAfter int // the epoch after which it stops; -1 never
	}{
		{[]float64{0.5, 0.6, 0.6, 0.55, 0.7}, 2, 3},
		{[]float64{0.5, 0.6, 0.7}, 1, -1},
		{[]float64{0.5, 0.4}, 1, 1},
	} {
		e := train.NewEarlyStopping(c.patience)
		stopped := -1
		for i, a := range c.accs {
			e.Restore([]float64{a})
			if e.Waited >= e.Patience {
				stopped = i
				break
			}
		}
		if stopped != c.stopAfter {
			t.Errorf("%v patience %d: stopped after %d, want %d", c.accs, c.patience, stopped, c.stopAfter)
		}
	}
}
