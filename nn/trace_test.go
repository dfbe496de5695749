package nn

import (
	"math"
	"strings"
	"testing"

	"github.com/convnet/convnet/tensor"
)

func TestStats(t *testing.T) {
	lo, hi, mean, std := stats([]float32{1, 2, 3, 4})
	if lo != 1 || hi != 4 || mean != 2.5 || math.Abs(std-math.Sqrt(5.0/3)) > 1e-12 {
		t.Errorf("stats = %v %v %v %v", lo, hi, mean, std)
	}
	if lo, hi, mean, std := stats([]float32{-2}); lo != -2 || hi != -2 || mean != -2 || std != 0 {
		t.Errorf("one value: %v %v %v %v", lo, hi, mean, std)
	}
}

func TestTrace(t *testing.T) {
	ManualSeed(0)
	m := NewSequential(
		Child{Name: "fc1", Module: NewLinear(3, 4)},
		Child{Name: "act", Module: NewTanh()},
		Child{Name: "fc2", Module: NewLinear(4, 2)},
	)
	x := tensor.New([]float32{1, 2, 3, -1, 0, 1}, 2, 3)
	acts, out := Trace(m, x, false)
	var names []string
	for _, a := range acts {
		names = append(names, a.Name)
	}
	if strings.Join(names, " ") != "fc1 act fc2" || !equalData(acts[2].Output.Data(), out.Data()) || out.RequiresGrad() {
		t.Errorf("Trace: %v, output %v (recorded %v)", names, out.Data(), out.RequiresGrad())
	}
	if len(m.ModuleBase().hooks) != 0 || len(m.ModuleBase().children[0].Module.ModuleBase().hooks) != 0 {
		t.Error("Trace left its hooks")
	}
	table := FormatActivations(acts)
	if lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[0], "layer  shape") || !strings.HasPrefix(lines[1], "fc1    [2, 4]") {
		t.Errorf("table:\n%s", table)
	}
}

func equalData(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
