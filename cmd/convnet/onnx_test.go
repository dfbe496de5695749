package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/convnet/convnet/internal/testref"
	"github.com/convnet/convnet/safetensors"
)

// requireTorch skips the test where Debian's PyTorch and torchvision are
// missing, unless CONVNET_REQUIRE_TORCH is set (as .ci/run sets it).
func requireTorch(t *testing.T) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import torch, torchvision").Run(); err != nil {
		if os.Getenv("CONVNET_REQUIRE_TORCH") != "" {
			t.Fatalf("/usr/bin/python3 cannot import torch and torchvision: %v", err)
		}
		t.Skip("needs /usr/bin/python3 with torch and torchvision (Debian's python3-torchvision)")
	}
}

// TestInspectTorchvisionONNX runs torchvision's resnet18, googlenet and
// mobilenet_v2, exported by torch.onnx.export, through convnet inspect
// --input, and compares the output with torchvision's.
func TestInspectTorchvisionONNX(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	requireTorch(t)
	dir := t.TempDir()
	script := filepath.Join("..", "..", "onnx", "testdata", "make_torchvision_onnx.py")
	if out, err := exec.Command("/usr/bin/python3", script, dir).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	for _, name := range []string{"resnet18", "googlenet", "mobilenet_v2"} {
		t.Run(name, func(t *testing.T) {
			io := filepath.Join(dir, name+"_io.safetensors")
			got := filepath.Join(dir, name+"_got.safetensors")
			stdout, stderr, code := runCmd(t, "inspect", "--checkpoint", filepath.Join(dir, name+".onnx"), "--input", io, "--out", got)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !regexp.MustCompile(`(?m)^output +\[2, 1000\]`).MatchString(stdout) {
				t.Errorf("stdout lacks the output's line:\n%s", stdout)
			}
			if err := testref.WithinScale(readOutput(t, got), readOutput(t, io), 1e-4); err != nil {
				t.Errorf("beside torchvision's output: %v", err)
			}
		})
	}
}

func readOutput(t *testing.T, path string) []float32 {
	t.Helper()
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.Tensors["output"].Float32s()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestONNXTestCommand runs three of ONNX's backend cases: two that pass,
// one that uses 3-D pooling.
func TestONNXTestCommand(t *testing.T) {
	const data = "/usr/share/libonnx-testdata/data/node"
	if _, err := os.Stat(data); err != nil {
		t.Skipf("%s is missing (apt-get install libonnx-testdata)", data)
	}
	stdout, stderr, code := runCmd(t, "onnx-test", data+"/test_relu", data+"/test_conv_with_strides_padding", data+"/test_maxpool_3d_default")
	want := "pass test_relu\npass test_conv_with_strides_padding\nunsupported test_maxpool_3d_default: op MaxPool: 3-D pooling\n2 passed, 0 failed, 1 unsupported\n"
	if code != 0 || stdout != want {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s\nstderr: %s", code, stdout, want, stderr)
	}
	_, stderr, code = runCmd(t, "onnx-test", t.TempDir())
	if code != 1 || !strings.Contains(stderr, "neither a case") {
		t.Errorf("an empty folder: exit %d, stderr %q", code, stderr)
	}
}

// TestConvertONNX exports a checkpoint to ONNX, then evaluates,
// inspects and fine-tunes the exported model as a checkpoint of its own.
func TestConvertONNX(t *testing.T) {
	ckpt := sharedCheckpoint(t)
	dir := t.TempDir()
	model := filepath.Join(dir, "lenet5.onnx")
	stdout, stderr, code := runCmd(t, "convert", ckpt, "--out", model)
	if code != 0 || !strings.Contains(stdout, "lenet5 as ONNX opset 13, input dynamic x 1x28x28, 10 classes") {
		t.Fatalf("convert: exit %d\n%s%s", code, stdout, stderr)
	}
	want, _, _ := runCmd(t, "eval", "--checkpoint", ckpt, "--limit", "500")
	got, stderr, code := runCmd(t, "eval", "--checkpoint", model, "--limit", "500")
	if code != 0 || firstLine(got) != firstLine(want) {
		t.Errorf("eval of the .onnx: exit %d, %q, want %q (%s)", code, firstLine(got), firstLine(want), stderr)
	}
	stdout, stderr, code = runCmd(t, "inspect", "--checkpoint", model)
	if code != 0 || !strings.Contains(stdout, "Conv_0 ") || !strings.Contains(stdout, "Gemm_1 ") {
		t.Errorf("inspect of the .onnx: exit %d\n%s%s", code, stdout, stderr)
	}
	tuned := filepath.Join(dir, "tuned.safetensors")
	_, stderr, code = runCmd(t, "train", "--model", model, "--limit", "128", "--epochs", "1", "--test-limit", "100", "--out", tuned)
	if code != 0 {
		t.Fatalf("train --model %s: exit %d: %s", model, code, stderr)
	}
	if _, stderr, code = runCmd(t, "eval", "--checkpoint", tuned, "--limit", "100"); code != 0 {
		t.Errorf("eval of the fine-tuned imported model: exit %d: %s", code, stderr)
	}
	for _, bad := range [][]string{{"--opset", "12"}, {"--batch", "0"}, {"--batch", "many"}} {
		_, stderr, code := runCmd(t, append([]string{"convert", ckpt, "--force", "--out", model}, bad...)...)
		if code != 2 || !strings.Contains(stderr, bad[0]) {
			t.Errorf("convert %v: exit %d, %q", bad, code, stderr)
		}
	}
}
