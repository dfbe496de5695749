package main

import (
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/safetensors"
	"github.com/convnet/convnet/tensor"
)

var seqLayers = []string{"feature.cnn1", "feature.cnn1_act", "feature.avgpool1", "feature.cnn2", "feature.cnn2_act",
	"feature.avgpool2", "feature.cnn3", "feature.cnn3_act", "classifier.fc1", "classifier.fc1_act", "classifier.fc2"}

func TestInspect(t *testing.T) {
	ckpt := sharedCheckpoint(t)
	out := filepath.Join(t.TempDir(), "acts.safetensors")
	stdout, stderr, code := runCmd(t, "inspect", "--checkpoint", ckpt, "--index", "0", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(stdout, "\n")
	// Test image 0 is a 7.
	if !strings.HasPrefix(lines[0], "test image 0: label 7, predicted ") {
		t.Errorf("first line %q", lines[0])
	}
	// Header, input, then the layers in order of execution, aligned.
	table := lines[2 : 2+2+len(seqLayers)]
	if f := strings.Fields(table[0]); !slices.Equal(f, []string{"layer", "shape", "min", "max", "mean", "std"}) {
		t.Errorf("header %q", table[0])
	}
	wantNames := append([]string{"input"}, seqLayers...)
	for i, name := range wantNames {
		if f := strings.Fields(table[i+1]); len(f) == 0 || f[0] != name {
			t.Errorf("row %d is %q, want layer %s", i, table[i+1], name)
		}
		if len(table[i+1]) != len(table[1]) {
			t.Errorf("row %q not aligned with %q", table[i+1], table[1])
		}
	}
	if !strings.Contains(table[1+3], "[1, 6, 14, 14]") || !strings.Contains(table[len(table)-1], "[1, 10]") {
		t.Errorf("shapes:\n%s", strings.Join(table, "\n"))
	}

	f, err := safetensors.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.Names, wantNames) {
		t.Errorf("file holds %q, want %q", f.Names, wantNames)
	}
	if f.Metadata["label"] != "7" || f.Metadata["index"] != "0" || f.Metadata[checkpoint.ModelKey] != "lenet5" {
		t.Errorf("metadata %v", f.Metadata)
	}
	// The saved input and last layer are what the model gives directly.
	m, _ := models.New("lenet5")
	if _, err := checkpoint.Load(ckpt, m); err != nil {
		t.Fatal(err)
	}
	m.ModuleBase().Eval()
	x, _ := f.Tensors["input"].Float32s()
	if got := f.Tensors["input"].Shape; !slices.Equal(got, []int{1, 1, 28, 28}) {
		t.Errorf("input shape %v", got)
	}
	var want []float32
	want = m.ModuleBase().Call(tensor.NewScope(tensor.ScopeOptions{NoGrad: true}).Input(tensor.New(x, 1, 1, 28, 28))).Data()
	got, _ := f.Tensors["classifier.fc2"].Float32s()
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-6 {
			t.Fatalf("classifier.fc2[%d] = %v, model gives %v", i, got[i], want[i])
		}
	}
}

func TestInspectFields(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "fields.safetensors")
	if _, stderr, code := runCmd(t, "train", "--model", "lenet5-fields", "--limit", "64", "--epochs", "1",
		"--test-limit", "100", "--out", ckpt); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	out := filepath.Join(dir, "acts.safetensors")
	stdout, stderr, code := runCmd(t, "inspect", "--checkpoint", ckpt, "--index", "9999", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "test image 9999: label ") {
		t.Errorf("stdout:\n%s", stdout)
	}
	f, err := safetensors.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, n := range seqLayers {
		want = append(want, n[strings.Index(n, ".")+1:])
	}
	if !slices.Equal(f.Names, append([]string{"input"}, want...)) {
		t.Errorf("keys %q", f.Names)
	}
}

// TestInspectInput runs a ResNet-18 checkpoint that records only its model
// (as one saved from PyTorch) on a tensor of one's own: --out holds every
// named module's output and the model's, which equals a direct call.
func TestInspectInput(t *testing.T) {
	dir := t.TempDir()
	nn.ManualSeed(3)
	m, err := models.New("resnet18")
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, "resnet18.safetensors")
	if err := checkpoint.Save(ckpt, m, map[string]string{checkpoint.ModelKey: "resnet18"}); err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 2*3*32*32)
	for i := range x {
		x[i] = float32(i%17)/17 - 0.5
	}
	in := filepath.Join(dir, "x.safetensors")
	if err := safetensors.WriteFile(in, &safetensors.File{Names: []string{"input"},
		Tensors: map[string]safetensors.Tensor{"input": safetensors.FromFloat32s([]int{2, 3, 32, 32}, x)}}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "acts.safetensors")
	stdout, stderr, code := runCmd(t, "inspect", "--checkpoint", ckpt, "--input", in, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f, err := safetensors.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"input", "conv1", "layer1", "layer1.0.conv1", "layer4.1.bn2", "fc", "output"} {
		if _, ok := f.Tensors[key]; !ok {
			t.Errorf("--out lacks %q (has %d tensors)", key, len(f.Names))
		}
	}
	got, _ := f.Tensors["output"].Float32s()
	m.ModuleBase().Eval()
	want := m.ModuleBase().Call(tensor.NewScope(tensor.ScopeOptions{NoGrad: true}).Input(tensor.New(x, 2, 3, 32, 32))).Data()
	if !slices.Equal(got, want) {
		t.Errorf("output differs from a direct call: %v... against %v...", got[:3], want[:3])
	}
	if !regexp.MustCompile(`\noutput +\[2, 1000\] `).MatchString(stdout) {
		t.Errorf("the output is not printed:\n%s", stdout)
	}
	if _, stderr, code := runCmd(t, "inspect", "--checkpoint", ckpt, "--input", ckpt); code == 0 || !strings.Contains(stderr, `no tensor named "input"`) {
		t.Errorf("a file without input: exit %d, %s", code, stderr)
	}
}
