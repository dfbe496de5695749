package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convnet/convnet/tensor"
)

// TestPrecisionBF16 runs the commands that take --precision in bf16: train
// and eval agree on the checkpoint's accuracy, predict answers, bench's
// JSON says the precision and its kernels, and a bad value is a usage
// error naming the flag.
func TestPrecisionBF16(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bf16.safetensors")
	stdout, stderr, code := runCmd(t, "train", "--precision", "bf16", "--limit", "640", "--epochs", "1",
		"--test-limit", "500", "--out", out)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	if want := "--precision bf16 runs on the " + tensor.BFloat16.Kernel() + " kernels"; !strings.Contains(stderr, want) {
		t.Errorf("train's stderr does not say %q:\n%s", want, stderr)
	}
	accr := stdout[strings.Index(stdout, "test_accr=")+len("test_accr="):]
	accr = accr[:strings.IndexByte(accr, '\n')]

	stdout, stderr, code = runCmd(t, "eval", "--precision", "bf16", "--checkpoint", out, "--limit", "500")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "test_accr="+accr) {
		t.Errorf("eval in bf16 does not give train's test_accr=%s:\n%s", accr, stdout)
	}

	stdout, stderr, code = runCmd(t, "bench", "--precision", "bf16", "--only", "gemm", "--reps", "1", "--json")
	if code != 0 {
		t.Fatalf("bench: exit %d: %s", code, stderr)
	}
	var f struct{ Key, Precision, Kernel string }
	if err := json.Unmarshal([]byte(stdout), &f); err != nil || f.Key != "gemm-4096" || f.Precision != "bf16" || f.Kernel != tensor.BFloat16.Kernel() {
		t.Errorf("bench --json: %+v (%v) from %s", f, err, stdout)
	}

	_, stderr, code = runCmd(t, "eval", "--precision", "fp16", "--checkpoint", out)
	if code != exitUsage || !strings.Contains(stderr, `--precision: unknown precision "fp16" (want fp32 or bf16)`) {
		t.Errorf("--precision fp16: exit %d: %s", code, stderr)
	}
}
