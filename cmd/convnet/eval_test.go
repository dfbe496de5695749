package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
)

// writeCheckpointWithMeta saves a fresh LeNet-5 with the given metadata.
func writeCheckpointWithMeta(t *testing.T, path string, meta map[string]string) {
	t.Helper()
	nn.ManualSeed(0)
	m, err := models.New("lenet5")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.Save(path, m, meta); err != nil {
		t.Fatal(err)
	}
}

func TestEval(t *testing.T) {
	ckpt := sharedCheckpoint(t)
	stdout, stderr, code := runCmd(t, "eval", "--checkpoint", ckpt, "--limit", "1000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(stdout, "\n")
	if !regexp.MustCompile(`^test_accr=\d\.\d{4}$`).MatchString(lines[0]) {
		t.Errorf("first line %q", lines[0])
	}
	// The shared checkpoint's test_accr was computed on the same 1000 images.
	if want := regexp.MustCompile(`test_accr=\d\.\d{4}`).FindString(shared.stdout); lines[0] != want {
		t.Errorf("eval gives %q, training printed %q", lines[0], want)
	}
	classLine := regexp.MustCompile(`^class \d: \d\.\d{4} \(\d+ images\)$`)
	n, images := 0, 0
	for _, l := range lines {
		if classLine.MatchString(l) {
			n++
			var c, k int
			var acc float64
			if _, err := fmt.Sscanf(l, "class %d: %f (%d images)", &c, &acc, &k); err == nil {
				images += k
			}
		}
	}
	if n != 10 || images != 1000 {
		t.Errorf("%d class lines covering %d images, want 10 and 1000:\n%s", n, images, stdout)
	}
	if !strings.Contains(stdout, "confusion matrix") || !regexp.MustCompile(`\ntrue\\pred +0 +1 +2 +3 +4 +5 +6 +7 +8 +9\n( +\d( +\d+){10}\n){10}`).MatchString(stdout) {
		t.Errorf("no confusion matrix:\n%s", stdout)
	}

	// --model names the same model as the metadata: same result.
	stdout2, _, code := runCmd(t, "eval", "--checkpoint", ckpt, "--limit", "1000", "--model", "lenet5", "--threads", "1")
	if code != 0 || stdout2 != stdout {
		t.Errorf("with --model lenet5 --threads 1: exit %d\n%s", code, stdout2)
	}
}

func TestEvalNoModelInMetadata(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bare.safetensors")
	writeCheckpointWithMeta(t, path, nil)
	stdout, stderr, code := runCmd(t, "eval", "--checkpoint", path, "--model", "lenet5", "--limit", "100")
	if code != 0 || !strings.HasPrefix(stdout, "test_accr=") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
