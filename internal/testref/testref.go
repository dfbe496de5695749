// Package testref gives tests access to PyTorch's reference outputs in the
// module's testdata/ folder, which testdata/make_reference.py writes.
package testref

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/convnet/convnet/safetensors"
)

// Regenerate says how to write the reference files again, from the module
// root.
const Regenerate = "/usr/bin/python3 testdata/make_reference.py (or make_conv_reference.py, make_zoo_reference.py; see testdata/README.md)"

// Dir returns the module's testdata folder, found by walking up from the
// working directory to go.mod. Where it cannot be found the test fails.
func Dir(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			ref := filepath.Join(dir, "testdata")
			if st, err := os.Stat(ref); err != nil || !st.IsDir() {
				t.Fatalf("reference folder %s missing: regenerate it with %s", ref, Regenerate)
			}
			return ref
		}
		if filepath.Dir(dir) == dir {
			t.Fatalf("no go.mod above %s: cannot find the reference folder testdata/", wd)
		}
	}
}

// Path returns the path of the named reference file in Dir, failing the
// test, with the command that regenerates it, when it is missing.
func Path(t testing.TB, name string) string {
	t.Helper()
	path := filepath.Join(Dir(t), name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("reference file %s missing: regenerate it with %s", path, Regenerate)
	}
	return path
}

// File is a loaded reference file.
type File struct {
	t testing.TB
	f *safetensors.File
}

// Open reads a safetensors file from the reference folder.
func Open(t testing.TB, name string) *File {
	t.Helper()
	return OpenFile(t, Path(t, name))
}

// OpenFile reads a safetensors file at path.
func OpenFile(t testing.TB, path string) *File {
	t.Helper()
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return &File{t: t, f: f}
}

// Metadata returns the file's __metadata__ value for key.
func (r *File) Metadata(key string) string { return r.f.Metadata[key] }

// F32 returns the float32 values and shape stored under key.
func (r *File) F32(key string) ([]float32, []int) {
	r.t.Helper()
	st, ok := r.f.Tensors[key]
	if !ok {
		r.t.Fatalf("reference key %q missing: regenerate the reference files with %s", key, Regenerate)
	}
	v, err := st.Float32s()
	if err != nil {
		r.t.Fatalf("reference key %q: %v", key, err)
	}
	return v, st.Shape
}

// Ints returns the I64 values stored under key as ints.
func (r *File) Ints(key string) []int {
	r.t.Helper()
	st, ok := r.f.Tensors[key]
	if !ok {
		r.t.Fatalf("reference key %q missing: regenerate the reference files with %s", key, Regenerate)
	}
	v, err := st.Int64s()
	if err != nil {
		r.t.Fatalf("reference key %q: %v", key, err)
	}
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// Close reports whether every element of got is within atol + rtol*|want|
// of want, and if not, the index of the first that is not (-1 when the
// lengths differ).
func Close(got, want []float32, rtol, atol float64) (bad int, ok bool) {
	if len(got) != len(want) {
		return -1, false
	}
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) || math.Abs(g-w) > atol+rtol*math.Abs(w) {
			return i, false
		}
	}
	return 0, true
}

// Check fails the test when got and want are not close (see Close).
func Check(t testing.TB, what string, got, want []float32, rtol, atol float64) {
	t.Helper()
	if i, ok := Close(got, want, rtol, atol); !ok {
		if i < 0 {
			t.Errorf("%s: %d values, want %d", what, len(got), len(want))
			return
		}
		t.Errorf("%s[%d] = %v, want %v (rtol %g, atol %g)", what, i, got[i], want[i], rtol, atol)
	}
}

// Scale returns the largest magnitude in v: the scale that deep networks'
// outputs are compared at (their sums run in another order).
func Scale(v []float32) float64 {
	scale := 0.0
	for _, x := range v {
		scale = max(scale, math.Abs(float64(x)))
	}
	return scale
}

// WithinScale says where got differs from want by more than tol times
// want's scale (see Scale), or has another length; a NaN differs.
func WithinScale(got, want []float32, tol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d values, want %d", len(got), len(want))
	}
	scale := Scale(want)
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); !(d <= tol*scale) {
			return fmt.Errorf("value %d is %g, want %g (scale %g)", i, got[i], want[i], scale)
		}
	}
	return nil
}

// Hashu is testdata/make_zoo_reference.py's hashu: n values in [-1, 1),
// exact in float32, from a 32-bit hash of (k, i), for references whose
// weights and inputs both sides compute rather than store.
func Hashu(k, n int) []float32 {
	out := make([]float32, n)
	c := uint32((k+1)*0x85EBCA77 + 0x165667B1)
	for i := range out {
		x := uint32(i)*0x9E3779B1 + c
		x ^= x >> 15
		x *= 0x2C1B3C6D
		x ^= x >> 12
		x *= 0x297A2D39
		x ^= x >> 15
		out[i] = float32(x>>8)*(1.0/(1<<23)) - 1
	}
	return out
}
