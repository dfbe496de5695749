package models_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/convnet/convnet/internal/testref"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

func TestVGGPrintAndParameterCounts(t *testing.T) {
	dir := testref.Dir(t)
	want, err := os.ReadFile(filepath.Join(dir, "vgg11.txt"))
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
	raw, err := os.ReadFile(filepath.Join(dir, "param_counts.json"))
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
	var y *tensor.Tensor
	tensor.NoGrad(func() { y = m.Call(tensor.Full(0.1, 2, 3, 224, 224)) })
	if s := y.Shape(); len(s) != 2 || s[0] != 2 || s[1] != 1000 {
		t.Errorf("output shape %v, want [2 1000]", s)
	}
}
