package onnx

import (
	"os"
	"path/filepath"
	"testing"
)

// backendData is where Debian's libonnx-testdata installs ONNX's backend
// tests; .ci/run installs it.
const backendData = "/usr/share/libonnx-testdata/data"

// TestBackendCases runs ONNX's own backend tests: no case may fail, and
// at least as many pass per folder as did when this was written (a case
// that became unsupported is a regression too).
func TestBackendCases(t *testing.T) {
	if _, err := os.Stat(backendData); err != nil {
		if os.Getenv("CONVNET_REQUIRE_ONNX_TESTDATA") != "" {
			t.Fatalf("%s is missing: apt-get install libonnx-testdata", backendData)
		}
		t.Skipf("%s is missing (apt-get install libonnx-testdata runs ONNX's backend tests)", backendData)
	}
	if testing.Short() {
		t.Skip("-short")
	}
	minPass := map[string]int{"node": 256, "pytorch-converted": 65, "pytorch-operator": 21, "simple": 1}
	for folder, want := range minPass {
		t.Run(folder, func(t *testing.T) {
			cases, err := Cases(filepath.Join(backendData, folder))
			if err != nil {
				t.Fatal(err)
			}
			passed := 0
			for _, dir := range cases {
				r := RunCase(dir)
				switch r.Status {
				case Pass:
					passed++
				case Fail:
					t.Errorf("fail %s: %s", r.Name, r.Detail)
				}
			}
			if passed < want {
				t.Errorf("%d of %d cases pass, want at least %d", passed, len(cases), want)
			}
			t.Logf("%d of %d cases pass", passed, len(cases))
		})
	}
}
