package viz_test

import (
	"bytes"
	"fmt"
	"image/png"

	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
	"github.com/convnet/convnet/train"
	"github.com/convnet/convnet/viz"
)

// Draw the six feature maps that LeNet-5's first convolution makes of an
// image: a forward hook on feature.cnn1 keeps its output.
func ExampleFeatureGrid() {
	nn.ManualSeed(1)
	model := models.NewLeNetSeq()
	var maps *tensor.Tensor
	for _, c := range model.NamedModules() {
		if c.Name == "feature.cnn1" {
			remove := c.Module.ModuleBase().RegisterForwardHook(func(_ nn.Module, out *tensor.Tensor) { maps = out.Clone() })
			defer remove()
		}
	}
	// A stroke like a 1: a bright bar on black.
	pixels := make([]float32, 28*28)
	for y := 4; y < 24; y++ {
		pixels[y*28+13], pixels[y*28+14] = 1, 1
	}
	model.Eval()
	infer := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
	model.Call(infer.Input(tensor.New(pixels, 1, 1, 28, 28)))

	shape := maps.Shape() // [1, 6, 28, 28]
	head := viz.Header{Title: "feature.cnn1", Lines: []string{"6 feature maps of 28×28"}}
	img := viz.FeatureGrid(head, maps.Data(), shape[1], shape[2], shape[3])
	fmt.Println(shape, img.Bounds()) // viz.SavePNG("cnn1.png", img) would write it
	// Output: [1 6 28 28] (0,0)-(596,177)
}

// Pick the answers a model got wrong with the most confidence.
func ExampleMostWrong() {
	ev := train.Evaluation{
		Labels:     []int{7, 2, 1, 0, 4},
		Predicted:  []int{7, 3, 1, 6, 9},
		Confidence: []float32{0.99, 0.62, 0.97, 0.91, 0.55},
	}
	wrong, total := viz.MostWrong(ev, 2)
	for _, a := range wrong {
		fmt.Printf("test image %d: %d taken for %d (%.2f)\n", a.Index, a.Label, a.Predicted, a.Probability)
	}
	fmt.Println(total, "wrong")
	// Output:
	// test image 3: 0 taken for 6 (0.91)
	// test image 1: 2 taken for 3 (0.62)
	// 3 wrong
}

// Draw a training run's loss and accuracy curves as PNG.
func ExampleCurves() {
	rows := []train.EpochMetrics{
		{Epoch: 0, Loss: 0.0090, MeanLoss: 0.58, TrainAccuracy: 0.84, TestAccuracy: 0.93},
		{Epoch: 1, Loss: 0.0034, MeanLoss: 0.22, TrainAccuracy: 0.94, TestAccuracy: 0.96},
		{Epoch: 2, Loss: 0.0021, MeanLoss: 0.13, TrainAccuracy: 0.96, TestAccuracy: 0.97},
	}
	var b bytes.Buffer
	if err := viz.Curves(&b, viz.PNG, "lenet5", rows); err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := png.DecodeConfig(&b)
	fmt.Println(cfg.Width, cfg.Height, err)
	// Output: 1056 408 <nil>
}
