package onnx_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convnet/convnet/internal/testref"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/onnx"
	"github.com/convnet/convnet/tensor"
)

// ortDir is where onnxruntime-node is installed: $CONVNET_ORT_DIR, else
// ~/.cache/convnet-ort (.ci/run installs it there with
// npm install --prefix DIR --ignore-scripts onnxruntime-node@1.30.0).
func ortDir() string {
	if d := os.Getenv("CONVNET_ORT_DIR"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "convnet-ort")
}

// requireORT returns the node_modules folder that holds onnxruntime-node,
// or skips the test where node or the package is missing, unless
// CONVNET_REQUIRE_ORT is set (as in CI).
func requireORT(t *testing.T) string {
	t.Helper()
	skip := func(format string, args ...any) {
		if os.Getenv("CONVNET_REQUIRE_ORT") != "" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	if _, err := exec.LookPath("node"); err != nil {
		skip("node is not installed: ONNX Runtime checks need Node.js")
	}
	modules := filepath.Join(ortDir(), "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "onnxruntime-node")); err != nil {
		skip("onnxruntime-node is not in %s: npm install --prefix %s --ignore-scripts onnxruntime-node@1.30.0", modules, ortDir())
	}
	return modules
}

// runORT runs the model file in ONNX Runtime on x and returns its output.
func runORT(t *testing.T, modules, model string, x *tensor.Tensor) ([]float32, []int) {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "x.f32"), filepath.Join(dir, "y.f32")
	b := make([]byte, 4*x.Numel())
	for i, v := range x.Data() {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	if err := os.WriteFile(in, b, 0o644); err != nil {
		t.Fatal(err)
	}
	dims := strings.Trim(strings.ReplaceAll(fmt.Sprint(x.Shape()), " ", ","), "[]")
	cmd := exec.Command("node", filepath.Join("testdata", "ort_run.js"), model, in, dims, out)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	stdout, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("ONNX Runtime: %v\n%s", err, stderr)
	}
	var info struct{ Dims []int }
	if err := json.Unmarshal(stdout, &info); err != nil {
		t.Fatalf("ort_run.js printed %q: %v", stdout, err)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	y := make([]float32, len(raw)/4)
	for i := range y {
		y[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return y, info.Dims
}

// closeTo says how got differs from want beyond 1e-4 of want's scale,
// or that want is all zeros, which would prove nothing.
func closeTo(got, want []float32) error {
	if testref.Scale(want) == 0 {
		return fmt.Errorf("every value is 0: the comparison would prove nothing")
	}
	return testref.WithinScale(got, want, 1e-4)
}

// exportable builds each registered model for 3×32×32 images and 10
// classes where it can take them (as CIFAR-10 trains it), else for its
// own input.
func exportable(t *testing.T, name string) (nn.Module, *tensor.Tensor) {
	t.Helper()
	spec, err := models.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	nn.ManualSeed(1)
	in := models.Input{Channels: 3, Size: 32, Classes: 10}
	if spec.Check(in) != nil {
		in = spec.Input
	}
	m, err := spec.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	// Running statistics away from 0 and 1, so that batch norms count.
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range m.ModuleBase().StateDict() {
		for i := range p.Tensor.Data() {
			switch {
			case strings.HasSuffix(p.Name, "running_mean"):
				p.Tensor.Data()[i] = 0.1 * float32(rng.NormFloat64())
			case strings.HasSuffix(p.Name, "running_var"):
				p.Tensor.Data()[i] = 0.5 + rng.Float32()
			}
		}
	}
	x := tensor.Zeros(2, in.Channels, in.Size, in.Size)
	for i := range x.Data() {
		x.Data()[i] = float32(rng.NormFloat64())
	}
	return m, x
}

// TestExportRunsInONNXRuntime exports every model convnet ships, runs it
// in ONNX Runtime and in convnet's own importer, and compares both with
// the model's own output; a batch of another size runs too (the batch
// is dynamic).
func TestExportRunsInONNXRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	modules := requireORT(t)
	for _, name := range models.Names() {
		t.Run(name, func(t *testing.T) {
			m, x := exportable(t, name)
			path := filepath.Join(t.TempDir(), name+".onnx")
			if err := onnx.WriteFile(path, m, x, onnx.ExportOptions{Metadata: map[string]string{"model": name}}); err != nil {
				t.Fatal(err)
			}
			s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
			want := m.ModuleBase().Call(s.Input(x)).Clone()
			got, dims := runORT(t, modules, path, x)
			if fmt.Sprint(dims) != fmt.Sprint(want.Shape()) {
				t.Fatalf("ONNX Runtime's output has shape %v, want %v", dims, want.Shape())
			}
			if err := closeTo(got, want.Data()); err != nil {
				t.Errorf("ONNX Runtime: %v", err)
			}
			imported, err := onnx.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if imported.Metadata["model"] != name {
				t.Errorf("metadata %v", imported.Metadata)
			}
			back, err := imported.Graph.Run(s.Input(x))
			if err != nil {
				t.Fatal(err)
			}
			if err := closeTo(back[0].Data(), want.Data()); err != nil {
				t.Errorf("imported: %v", err)
			}
			// One image: the batch size is not fixed.
			one := tensor.New(x.Data()[:x.Numel()/2], append([]int{1}, x.Shape()[1:]...)...)
			got1, _ := runORT(t, modules, path, one)
			if err := closeTo(got1, want.Data()[:want.Numel()/2]); err != nil {
				t.Errorf("ONNX Runtime, batch 1: %v", err)
			}
		})
	}
}
