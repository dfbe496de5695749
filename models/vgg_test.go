package models_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/convnet/convnet/internal/testref"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

func TestVGGPrintAndParameterCounts(t *testing.T) {
	want, err := os.ReadFile(testref.Path(t, "vgg11.txt"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.NewVGG("vgg11", 3, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if got := nn.Format(m) + "\n"; got != string(want) {
		t.Errorf("vgg11 prints\n%s\nwant\n%s", got, want)
	}
	raw, err := os.ReadFile(testref.Path(t, "param_counts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var counts map[string]int
	if err := json.Unmarshal(raw, &counts); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"vgg11", "vgg13", "vgg16", "vgg19"} {
		m, err := models.NewVGG(name, 3, 1000)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range m.Parameters() {
			n += p.Numel()
		}
		if n != counts[name] {
			t.Errorf("%s has %d parameters, want %d", name, n, counts[name])
		}
	}
}

// TestVGGForwardShape runs the lesson's random test at a batch small
// enough for CI: (2,3,224,224) gives (2,1000).
func TestVGGForwardShape(t *testing.T) {
	if testing.Short() {
		t.Skip("VGG-11 forward takes a few seconds")
	}
	m, err := models.NewVGG("vgg11", 3, 1000)
	if err != nil {
		t.Fatal(err)
	}
	m.Eval()
	y := m.Call(tensor.NewScope(tensor.ScopeOptions{NoGrad: true}).Input(tensor.Full(0.1, 2, 3, 224, 224)))
	if s := y.Shape(); len(s) != 2 || s[0] != 2 || s[1] != 1000 {
		t.Errorf("output shape %v, want [2 1000]", s)
	}
}

// TestVGGVariants covers batch normalisation's layer names and the
// classifier sized for 32x32 images, on 1 and 3 input channels.
func TestVGGVariants(t *testing.T) {
	m, err := models.NewVGGFor("vgg11", true, models.Input{Channels: 1, Size: 32, Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	printed := nn.Format(m)
	for _, want := range []string{
		"(conv3-64): Conv2d(1, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n    (conv3-64-bn): BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n    (conv3-64-act): ReLU()",
		"(conv3-512-4-bn): BatchNorm2d(512,",
		"(fc-512-1): Linear(in_features=512, out_features=512, bias=True)",
		"(fc-10): Linear(in_features=512, out_features=10, bias=True)",
	} {
		if !strings.Contains(printed, want) {
			t.Errorf("vgg11_bn for 1x32x32 lacks %q:\n%s", want, printed)
		}
	}
	y := m.Call(tensor.Full(0.5, 2, 1, 32, 32))
	if s := y.Shape(); len(s) != 2 || s[0] != 2 || s[1] != 10 {
		t.Errorf("output shape %v, want [2 10]", s)
	}
	for _, in := range []models.Input{{Channels: 3, Size: 28, Classes: 10}, {Channels: 0, Size: 32, Classes: 10}} {
		if _, err := models.NewVGGFor("vgg11", false, in); err == nil {
			t.Errorf("NewVGGFor accepted %v", in)
		}
	}
	spec, err := models.Lookup("vgg16_bn")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := spec.Build(models.Input{Channels: 3, Size: 32, Classes: 10}); err != nil {
		t.Error(err)
	}
	lenet, _ := models.Lookup("lenet5")
	if _, err := lenet.Build(models.Input{Channels: 3, Size: 32, Classes: 10}); err == nil {
		t.Error("LeNet-5 accepted CIFAR-10's images")
	}
}
