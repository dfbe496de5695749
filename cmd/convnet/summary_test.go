package main

import (
	"os"
	"strings"
	"testing"

	"github.com/convnet/convnet/internal/testref"
)

func TestSummaryMatchesPyTorchPrint(t *testing.T) {
	for _, c := range []struct{ model, file string }{
		{"lenet5", "lenet5_sequential.txt"},
		{"lenet5-fields", "lenet5_attributes.txt"},
	} {
		t.Run(c.model, func(t *testing.T) {
			want, err := os.ReadFile(testref.Path(t, c.file))
			if err != nil {
				t.Fatal(err)
			}
			stdout, stderr, code := runCmd(t, "summary", c.model)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.HasPrefix(stdout, string(want)) {
				t.Errorf("summary does not start with PyTorch's print:\n%s\nwant\n%s", stdout, want)
			}
		})
	}
}

func TestSummaryTable(t *testing.T) {
	stdout, stderr, code := runCmd(t, "summary", "lenet5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, table, ok := strings.Cut(stdout, "\n\n")
	if !ok {
		t.Fatalf("no table after the print:\n%s", stdout)
	}
	rule := strings.Repeat("-", 80)
	double := strings.Repeat("=", 80)
	want := rule + "\n" +
		"Layer (type)                  Output Shape              Param #           FLOPs\n" +
		double + "\n" +
		"feature.cnn1 (Conv2d)         [1, 6, 28, 28]                156         235,200\n" +
		"feature.cnn1_act (Tanh)       [1, 6, 28, 28]                  0               0\n" +
		"feature.avgpool1 (AvgPool2d)  [1, 6, 14, 14]                  0               0\n" +
		"feature.cnn2 (Conv2d)         [1, 16, 10, 10]             2,416         480,000\n" +
		"feature.cnn2_act (Tanh)       [1, 16, 10, 10]                 0               0\n" +
		"feature.avgpool2 (AvgPool2d)  [1, 16, 5, 5]                   0               0\n" +
		"feature.cnn3 (Conv2d)         [1, 120, 1, 1]             48,120          96,000\n" +
		"feature.cnn3_act (Tanh)       [1, 120, 1, 1]                  0               0\n" +
		"classifier.fc1 (Linear)       [1, 84]                    10,164          20,160\n" +
		"classifier.fc1_act (Tanh)     [1, 84]                         0               0\n" +
		"classifier.fc2 (Linear)       [1, 10]                       850           1,680\n" +
		double + "\n" +
		"Total params: 61,706\n" +
		"Trainable params: 61,706\n" +
		"FLOPs per example: 833 k (417 k multiply-adds)\n" +
		rule + "\n"
	if table != want {
		t.Errorf("table:\n%s\nwant:\n%s", table, want)
	}

	fields, _, _ := runCmd(t, "summary", "lenet5-fields")
	for _, s := range []string{"\ncnn1 (Conv2d)                 [1, 6, 28, 28]                156         235,200\n", "\nfc2 (Linear)                  [1, 10]                       850           1,680\n", "Total params: 61,706\n"} {
		if !strings.Contains(fields, s) {
			t.Errorf("lenet5-fields summary lacks %q:\n%s", s, fields)
		}
	}
}

// TestSummaryVGG11 shows 224 becoming 7 after five poolings, 25088 inputs
// to fc-4096-1, and the totals.
func TestSummaryVGG11(t *testing.T) {
	if testing.Short() {
		t.Skip("VGG-11 at 224x224 takes a moment")
	}
	stdout, stderr, code := runCmd(t, "summary", "vgg11")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"feature.maxpool5 (MaxPool2d)    [1, 512, 7, 7]",
		"(fc-4096-1): Linear(in_features=25088, out_features=4096, bias=True)",
		"Total params: 132,863,336",
		"FLOPs per example: 15.2 G (7.61 G multiply-adds)",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary vgg11 lacks %q:\n%s", want, stdout)
		}
	}
}
