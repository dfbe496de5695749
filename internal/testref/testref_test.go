package testref_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/convnet/convnet/internal/testref"
)

// TestDirIsModuleTestdata checks that Dir is the testdata folder beside
// go.mod, and that every file the project's tests read is in it.
func TestDirIsModuleTestdata(t *testing.T) {
	dir := testref.Dir(t)
	if filepath.Base(dir) != "testdata" {
		t.Errorf("Dir = %s, want a testdata folder", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "..", "go.mod")); err != nil {
		t.Errorf("no go.mod beside %s: %v", dir, err)
	}
	for _, name := range []string{
		"ops.safetensors", "lenet5.safetensors", "lenet5_attributes.txt",
		"lenet5_sequential.txt", "vgg11.txt", "param_counts.json", "make_reference.py",
	} {
		testref.Path(t, name)
	}
	ref := testref.Open(t, "lenet5.safetensors")
	if _, shape := ref.F32("init.feature.cnn1.weight"); len(shape) != 4 || shape[0] != 6 {
		t.Errorf("init.feature.cnn1.weight has shape %v, want [6 1 5 5]", shape)
	}
}
