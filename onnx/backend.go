package onnx

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Status is the outcome of one case of ONNX's backend tests.
type Status int

const (
	Pass        Status = iota // every output within tolerance
	Fail                      // an output differs, or the model did not run
	Unsupported               // the model uses what convnet does not run
)

func (s Status) String() string {
	return [...]string{"pass", "fail", "unsupported"}[s]
}

// CaseResult is the outcome of one case, with why it failed or what it
// uses that convnet does not run.
type CaseResult struct {
	Name   string
	Status Status
	Detail string
}

// Tolerances of the backend tests' comparison, as ONNX's own runner
// (onnx.backend.test) uses: |got - want| <= Atol + Rtol·|want|.
const (
	Rtol = 1e-3
	Atol = 1e-7
)

// RunCase runs one case of ONNX's backend tests: a folder holding
// model.onnx and test_data_set_N folders of input_K.pb and output_K.pb
// (TensorProto), as Debian's libonnx-testdata installs them under
// /usr/share/libonnx-testdata/data. The model runs in evaluation mode on
// each set's inputs, and its outputs are compared with the set's.
func RunCase(dir string) CaseResult {
	r := CaseResult{Name: filepath.Base(dir)}
	fail := func(err error) CaseResult {
		var u *UnsupportedError
		if errors.As(err, &u) {
			r.Status, r.Detail = Unsupported, u.Detail
			if u.Op != "" {
				r.Detail = strings.TrimSuffix("op "+u.Op+": "+u.Detail, ": ")
			}
			return r
		}
		r.Status, r.Detail = Fail, err.Error()
		return r
	}
	m, err := Load(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return fail(err)
	}
	m.Graph.Eval()
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		return fail(fmt.Errorf("no test_data_set_* folder in %s", dir))
	}
	for _, set := range sets {
		inputs, err := readSet(set, "input")
		if err != nil {
			return fail(err)
		}
		want, err := readSet(set, "output")
		if err != nil {
			return fail(err)
		}
		got, err := m.Graph.run(inputs, nil)
		if err != nil {
			return fail(err)
		}
		if len(got) != len(want) {
			return fail(fmt.Errorf("%s: %d outputs, want %d", filepath.Base(set), len(got), len(want)))
		}
		for i := range want {
			if err := compare(got[i], want[i]); err != nil {
				return fail(fmt.Errorf("%s output %d (%s): %v", filepath.Base(set), i, m.Graph.outputs[i].Name, err))
			}
		}
	}
	r.Status = Pass
	return r
}

// readSet reads a set's input_K.pb (or output_K.pb) files in order of K.
func readSet(set, kind string) ([]value, error) {
	paths, _ := filepath.Glob(filepath.Join(set, kind+"_*.pb"))
	index := func(p string) int {
		k, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), kind+"_"), ".pb"))
		return k
	}
	slices.SortFunc(paths, func(a, b string) int { return index(a) - index(b) })
	vals := make([]value, len(paths))
	for i, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if vals[i], err = decodeTensor(b); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return vals, nil
}

// compare says how got differs from want, if it does.
func compare(got, want value) error {
	if !slices.Equal(got.dims(), want.dims()) {
		return fmt.Errorf("shape %v, want %v", got.dims(), want.dims())
	}
	if want.t == nil {
		if got.t != nil {
			return fmt.Errorf("float values, want %s", typeName(want.typ))
		}
		for i := range want.ints {
			if got.ints[i] != want.ints[i] {
				return fmt.Errorf("value %d is %d, want %d", i, got.ints[i], want.ints[i])
			}
		}
		return nil
	}
	if got.t == nil {
		return fmt.Errorf("%s values, want float", typeName(got.typ))
	}
	g, w := got.t.Data(), want.t.Data()
	for i := range w {
		a, b := float64(g[i]), float64(w[i])
		if math.IsNaN(b) && math.IsNaN(a) || a == b {
			continue
		}
		if !(math.Abs(a-b) <= Atol+Rtol*math.Abs(b)) {
			return fmt.Errorf("value %d is %g, want %g", i, a, b)
		}
	}
	return nil
}

// Cases returns the case folders under each path: the path itself if it
// holds a model.onnx, else its subfolders that do, sorted.
func Cases(paths ...string) ([]string, error) {
	var cases []string
	for _, p := range paths {
		if _, err := os.Stat(filepath.Join(p, "model.onnx")); err == nil {
			cases = append(cases, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		found := 0
		for _, e := range entries {
			sub := filepath.Join(p, e.Name())
			if _, err := os.Stat(filepath.Join(sub, "model.onnx")); e.IsDir() && err == nil {
				cases = append(cases, sub)
				found++
			}
		}
		if found == 0 {
			return nil, fmt.Errorf("%s: neither a case (model.onnx and test_data_set_*) nor a folder of cases", p)
		}
	}
	return cases, nil
}
