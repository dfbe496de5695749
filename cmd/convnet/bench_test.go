package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBenchUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bench", "--reps", "0"}, 2, "convnet bench: --reps must be at least 1, got 0\n"},
		{[]string{"bench", "--only", "gemm,nope"}, 2, `convnet bench: --only: unknown figure "nope" (known: lenet-train, lenet-infer, vgg11, resnet18, googlenet, onnx-resnet18, gemm, folder)` + "\n"},
		{[]string{"bench", "extra"}, 2, "convnet bench: unexpected argument \"extra\" (this command takes only flags)\n"},
	} {
		stdout, stderr, code := runCmd(t, c.args...)
		if code != c.code || !strings.HasSuffix(stderr, c.want) || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", c.args, code, stdout, stderr, c.code, c.want)
		}
	}
}

// TestBenchMissingData: --data is checked when a LeNet-5 figure reads it.
func TestBenchMissingData(t *testing.T) {
	stdout, stderr, code := runCmd(t, "bench", "--reps", "1", "--only", "lenet-infer", "--data", t.TempDir()+"/none")
	if code != 1 || stdout != "" || !strings.Contains(stderr, "lenet-infer: LeNet-5 inference") ||
		!strings.HasSuffix(stderr, "/none: no such file or directory\n") || !strings.Contains(stderr, "convnet bench: --data: ") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestBenchGEMM(t *testing.T) {
	if testing.Short() {
		t.Skip("two 4096×4096 products take seconds")
	}
	stdout, stderr, code := runCmd(t, "bench", "--reps", "1", "--threads", "2", "--only", "gemm")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(stderr, "\n")
	if !strings.HasPrefix(lines[0], "convnet bench: 2 threads, fp32 on the ") || !strings.HasSuffix(lines[0], ", 1 runs per figure") ||
		lines[1] != "gemm: GEMM 4096x4096 (fp32, or bf16 with --precision bf16)" || !strings.HasPrefix(lines[2], "  fp32 GEMM 4096x4096: ") || !strings.HasSuffix(lines[2], " GFLOP/s") {
		t.Errorf("stderr:\n%s", stderr)
	}
	out := strings.Split(stdout, "\n")
	if len(out) != 3 || out[0] != "figure                                           convnet (median)" ||
		!strings.HasPrefix(out[1], "fp32 GEMM 4096x4096                              ") || out[1][49:] != strings.TrimPrefix(lines[2], "  fp32 GEMM 4096x4096: ") {
		t.Errorf("stdout:\n%s", stdout)
	}

	stdout, stderr, code = runCmd(t, "bench", "--reps", "1", "--threads", "2", "--only", "gemm", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var f struct {
		Key, Name, Unit string
		Value           float64
		Runs            []float64
		Threads         int
	}
	if err := json.Unmarshal([]byte(stdout), &f); err != nil || f.Key != "gemm-4096" || f.Unit != "GFLOP/s" || len(f.Runs) != 1 || f.Threads != 2 || f.Value <= 0 {
		t.Errorf("JSON %q: %+v, %v", stdout, f, err)
	}
}

// TestBenchCPUProfile: --cpuprofile writes a profile of the measurements,
// which go tool pprof reads (runtime/pprof's gzipped protocol buffer).
func TestBenchCPUProfile(t *testing.T) {
	if testing.Short() {
		t.Skip("LeNet-5 over MNIST's test set takes a second or two")
	}
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	_, stderr, code := runCmd(t, "bench", "--reps", "1", "--only", "lenet-infer", "--json", "--cpuprofile", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("profile %q: %d bytes, %v", path, len(b), err)
	}

	_, stderr, code = runCmd(t, "bench", "--only", "gemm", "--cpuprofile", filepath.Join(t.TempDir(), "no", "cpu.pprof"))
	if code != 1 || !strings.Contains(stderr, "convnet bench: --cpuprofile: open ") {
		t.Errorf("an unwritable profile: exit %d, stderr %q", code, stderr)
	}
}
