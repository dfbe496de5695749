package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

func main() {
	prec, _ := tensor.ParsePrecision(os.Args[1])
	name := os.Args[2]
	nn.ManualSeed(0)
	spec, _ := models.Lookup(name)
	m := spec.New()
	m.ModuleBase().Eval()
	if len(os.Args) > 3 && os.Args[3] == "fold" {
		nn.FoldBatchNorm(m, tensor.Zeros(1, 3, 224, 224))
	}
	x := tensor.Zeros(10, 3, 224, 224)
	for i := range x.Data() {
		x.Data()[i] = float32(i%7) * 0.1
	}
	arena := tensor.NewArena()
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Arena: arena, Precision: prec})
	run := func() { arena.Reset(); m.ModuleBase().Call(s.Input(x)) }
	run()
	f, _ := os.Create("/tmp/fwd.prof")
	pprof.StartCPUProfile(f)
	var ts []time.Duration
	for i := 0; i < 5; i++ {
		t := time.Now()
		run()
		ts = append(ts, time.Since(t))
	}
	pprof.StopCPUProfile()
	fmt.Println(prec, name, ts)
}
