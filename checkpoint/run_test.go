package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/tensor"
)

// runModel is a small model with an Adam optimizer whose state holds one
// step, so that states of two epochs differ.
func runModel(t *testing.T, seed uint64) (nn.Module, optim.Optimizer) {
	t.Helper()
	nn.ManualSeed(seed)
	m := nn.NewLinear(3, 2)
	opt := optim.NewAdam(m.Parameters(), optim.DefaultAdam(1e-3))
	loss := tensor.Sum(m.Call(tensor.New([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 4, 3)))
	loss.Backward()
	opt.Step()
	return m, opt
}

func epochMeta(e string) map[string]string { return map[string]string{ModelKey: "linear", EpochKey: e} }

// TestSaveRunCrash stops SaveRun of epoch 1 at each point a kill could
// come, after a whole save of epoch 0, and resumes: the pair always loads,
// holding epoch 0 or epoch 1, and no temporary file is left once the next
// save runs.
func TestSaveRunCrash(t *testing.T) {
	for _, step := range []string{"state written", "checkpoint written"} {
		t.Run(step, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "run.safetensors")
			m, opt := runModel(t, 0)
			if err := SaveRun(path, m, opt, "adam", epochMeta("0")); err != nil {
				t.Fatal(err)
			}
			// A temporary file of a killed write.
			if err := os.WriteFile(filepath.Join(dir, ".run.safetensors.123.tmp"), []byte("half"), 0o644); err != nil {
				t.Fatal(err)
			}
			crash := errors.New("killed")
			crashHook = func(s string) error {
				if s == step {
					return crash
				}
				return nil
			}
			defer func() { crashHook = nil }()
			if err := SaveRun(path, m, opt, "adam", epochMeta("1")); !errors.Is(err, crash) {
				t.Fatalf("SaveRun: %v, want the injected crash", err)
			}
			crashHook = nil
			m2, opt2 := runModel(t, 1)
			epoch, err := ResumeRun(path, m2, opt2, map[string]string{ModelKey: "linear"})
			if err != nil {
				t.Fatalf("resume after a crash once the %s: %v", step, err)
			}
			want := map[string]int{"state written": 0, "checkpoint written": 1}[step]
			if epoch != want {
				t.Errorf("resumed epoch %d, want %d", epoch, want)
			}
			// The next epoch saves and resumes as usual.
			if err := SaveRun(path, m2, opt2, "adam", epochMeta("2")); err != nil {
				t.Fatal(err)
			}
			if epoch, err := ResumeRun(path, m2, opt2, nil); err != nil || epoch != 2 {
				t.Errorf("after the next save: epoch %d, %v", epoch, err)
			}
			entries, _ := os.ReadDir(dir)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if !slices.Equal(names, []string{"run.safetensors", "run.state.safetensors"}) {
				t.Errorf("folder holds %v", names)
			}
		})
	}
}
