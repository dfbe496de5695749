package datasets

import (
	"testing"

	"github.com/convnet/convnet/models"
)

func TestPipelineFromMetadata(t *testing.T) {
	vgg, _ := models.Lookup("vgg11")
	lenet, _ := models.Lookup("lenet5")
	cases := []struct {
		name string
		spec models.Spec
		meta map[string]string
		want models.Input
		pad  int
		ok   bool
	}{
		{"lesson checkpoint without data fields", lenet, map[string]string{}, models.Input{Channels: 1, Size: 28, Classes: 10}, 0, true},
		{"vgg on mnist", vgg, map[string]string{"dataset": "mnist", "input": "1x32x32", "classes": "10", "pad": "2"}, models.Input{Channels: 1, Size: 32, Classes: 10}, 2, true},
		{"vgg on cifar10", vgg, map[string]string{"dataset": "cifar10", "input": "3x32x32", "classes": "10", "pad": "0"}, models.Input{Channels: 3, Size: 32, Classes: 10}, 0, true},
		{"padding that does not fit", vgg, map[string]string{"dataset": "mnist", "input": "1x32x32", "pad": "40"}, models.Input{}, 0, false},
		{"wrong channels", vgg, map[string]string{"dataset": "mnist", "input": "3x32x32", "pad": "2"}, models.Input{}, 0, false},
		{"not CxHxW", vgg, map[string]string{"dataset": "mnist", "input": "big"}, models.Input{}, 0, false},
		{"unknown data set", vgg, map[string]string{"dataset": "imagenet"}, models.Input{}, 0, false},
		{"lenet on cifar10", lenet, map[string]string{"dataset": "cifar10"}, models.Input{}, 0, false},
	}
	for _, c := range cases {
		p, err := FromMetadata(c.spec, c.meta)
		if (err == nil) != c.ok {
			t.Errorf("%s: error %v, want ok=%v", c.name, err, c.ok)
			continue
		}
		if c.ok && (p.Input != c.want || p.Pad != c.pad) {
			t.Errorf("%s: input %v pad %d, want %v pad %d", c.name, p.Input, p.Pad, c.want, c.pad)
		}
	}
}

func TestBlank(t *testing.T) {
	for _, c := range []struct {
		x    []float32
		want bool
	}{{[]float32{0, 0, 0}, true}, {[]float32{0.5, 0.5}, true}, {nil, true}, {[]float32{0, 0, 1}, false}} {
		if got := Blank(c.x); got != c.want {
			t.Errorf("Blank(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}

func TestForCheckpoint(t *testing.T) {
	resnet, _ := models.Lookup("resnet18")
	lenet, _ := models.Lookup("lenet5")
	cases := []struct {
		name string
		ck   models.Checkpoint
		ok   bool
	}{
		{"a lesson checkpoint", models.Checkpoint{Spec: lenet, Input: models.Input{Channels: 1, Size: 28, Classes: 10}, Metadata: map[string]string{}}, true},
		{"torchvision's 3x224 with 1000 classes", models.Checkpoint{Spec: resnet, Input: resnet.Input, Metadata: map[string]string{"model": "resnet18"}}, false},
	}
	for _, c := range cases {
		if _, err := ForCheckpoint(&c.ck); (err == nil) != c.ok {
			t.Errorf("%s: error %v, want ok=%v", c.name, err, c.ok)
		}
	}
}
