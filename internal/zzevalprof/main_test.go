package evalprof

import (
	"context"
	"os"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/convnet/convnet/datasets/mnist"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
	"github.com/convnet/convnet/train"
)

func TestEvalProf(t *testing.T) {
	set, err := mnist.Test("")
	if err != nil {
		t.Fatal(err)
	}
	nn.ManualSeed(0)
	m := models.NewLeNetSeq()
	ctx := context.Background()
	train.Evaluate(ctx, m, set, 1000, train.Quiet{})
	f, _ := os.Create("/tmp/eval.prof")
	pprof.StartCPUProfile(f)
	best := time.Hour
	for i := 0; i < 20; i++ {
		s := time.Now()
		train.Evaluate(ctx, m, set, 1000, train.Quiet{})
		best = min(best, time.Since(s))
	}
	pprof.StopCPUProfile()
	t.Logf("evaluate best %v = %.0f img/s", best, 10000/best.Seconds())
	// raw forward over the same data in chunks
	for _, chunk := range []int{250, 1000} {
		x := tensor.Zeros(chunk, 1, 28, 28)
		arena := tensor.NewArena()
		prev := tensor.UseArena(arena)
		best = time.Hour
		tensor.NoGrad(func() {
			for i := 0; i < 20; i++ {
				s := time.Now()
				for j := 0; j < 10000/chunk; j++ {
					arena.Reset()
					m.Call(x).ArgmaxRows()
				}
				best = min(best, time.Since(s))
			}
		})
		tensor.UseArena(prev)
		t.Logf("raw chunk %d best %v = %.0f img/s", chunk, best, 10000/best.Seconds())
	}
}
