package models_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/convnet/convnet/models"
)

// TestTorchvisionNames checks the map from the lesson's VGG names to
// torchvision's for all eight networks against the keys and shapes
// torchvision's state_dict has (testdata/make_vgg_keys.py), in order. The
// networks are built for 32×32 images, which changes only the shapes of
// the classifier (and keeps the test quick).
func TestTorchvisionNames(t *testing.T) {
	b, err := os.ReadFile("../testdata/vgg_torchvision_keys.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string][][2]json.RawMessage
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"} {
		t.Run(name, func(t *testing.T) {
			spec, _ := models.Lookup(name)
			m, err := spec.Build(models.Input{Channels: 3, Size: 32, Classes: 1000})
			if err != nil {
				t.Fatal(err)
			}
			names := models.TorchvisionNames(m)
			state := m.ModuleBase().StateDict()
			if len(state) != len(want[name]) || len(names) != len(state) {
				t.Fatalf("%d keys, %d names, torchvision has %d", len(state), len(names), len(want[name]))
			}
			for i, p := range state {
				var key string
				var shape []int
				json.Unmarshal(want[name][i][0], &key)
				json.Unmarshal(want[name][i][1], &shape)
				smaller := strings.HasPrefix(key, "classifier.")
				if names[p.Name] != key || !smaller && !slices.Equal(p.Tensor.Shape(), shape) {
					t.Errorf("%s %v -> %q, torchvision's key %d is %s %v", p.Name, p.Tensor.Shape(), names[p.Name], i, key, shape)
				}
			}
			if !models.HasTorchvisionNames([]string{names[state[0].Name]}) || models.HasTorchvisionNames([]string{state[0].Name}) {
				t.Error("HasTorchvisionNames does not tell the two apart")
			}
		})
	}
	r, _ := models.New("resnet18")
	if models.TorchvisionNames(r) != nil {
		t.Error("resnet18 has names to map")
	}
}
