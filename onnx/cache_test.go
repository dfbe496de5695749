package onnx_test

import (
	"slices"
	"testing"

	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/onnx"
	"github.com/convnet/convnet/tensor"
)

// TestGraphCachesWeights: an imported graph whose Conv nodes keep their
// weights packed (nn.CacheWeights) answers as it does without, and drops
// the caches once it trains, so that new weights count.
func TestGraphCachesWeights(t *testing.T) {
	nn.ManualSeed(3)
	spec, err := models.Lookup("resnet18")
	if err != nil {
		t.Fatal(err)
	}
	m := spec.Construct(models.Input{Channels: 3, Size: 32, Classes: 10})
	file, err := onnx.Export(m, tensor.Zeros(1, 3, 32, 32), onnx.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	model, err := onnx.Decode(file, "")
	if err != nil {
		t.Fatal(err)
	}
	g := model.Graph
	x := tensor.Zeros(2, 3, 32, 32)
	for i := range x.Data() {
		x.Data()[i] = float32(i%17)/17 - 0.5
	}
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
	want := g.Forward(s.Input(x)).Clone()
	nn.CacheWeights(g)
	for run := range 2 {
		if got := g.Forward(s.Input(x)); !slices.Equal(got.Data(), want.Data()) {
			t.Fatalf("run %d with cached weights differs", run)
		}
	}
	g.Train()
	g.Forward(x) // a training-mode run drops the caches
	g.Eval()
	w := g.Parameters()[0]
	for i := range w.Data() {
		w.Data()[i] *= 2
	}
	if got := g.Forward(s.Input(x)); slices.Equal(got.Data(), want.Data()) {
		t.Error("after training and new weights, the graph still runs on the old packed ones")
	}
}
