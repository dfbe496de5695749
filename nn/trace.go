package nn

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/convnet/convnet/tensor"
)

// Activation is the output of one module in a traced forward pass.
type Activation struct {
	// Name is the module's path, as state_dict keys name it
	// ("feature.cnn1", "layer1.0.conv1"); a module that runs again in the
	// same pass gets "#2", "#3"... after it.
	Name   string
	Output *tensor.Tensor
}

// Trace runs x through m in evaluation mode without recording, as the
// lesson inspects its "intermediate values", and returns the output of
// every module that has no children (every named module when all is set,
// containers included) in order of execution, and m's output. The model
// is left in evaluation mode; the hooks Trace adds are removed.
func Trace(m Module, x *tensor.Tensor, all bool) ([]Activation, *tensor.Tensor) {
	var acts []Activation
	calls := map[string]int{}
	base := m.ModuleBase()
	for _, c := range base.NamedModules() {
		if c.Name == "" || (!all && len(c.Module.ModuleBase().Children()) > 0) {
			continue // the model itself, or a container
		}
		name := c.Name
		remove := c.Module.ModuleBase().RegisterForwardHook(func(_ Module, out *tensor.Tensor) {
			calls[name]++
			key := name
			if n := calls[name]; n > 1 {
				key += "#" + strconv.Itoa(n)
			}
			acts = append(acts, Activation{key, out.Clone()})
		})
		defer remove()
	}
	base.Eval()
	infer := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
	if st, ok := m.(StepTracer); ok {
		steps, out := st.TraceSteps(infer.Input(x))
		return append(acts, steps...), out
	}
	return acts, base.Call(infer.Input(x))
}

// StepTracer is implemented by a module whose intermediate values are not
// the outputs of child modules: an imported ONNX graph, whose nodes are
// not modules. Trace asks it for them. TraceSteps runs the module on x
// as Forward does and returns the output of each of its steps (kept:
// they outlive the call), in order, and its own output.
type StepTracer interface {
	TraceSteps(x *tensor.Tensor) ([]Activation, *tensor.Tensor)
}

// FormatActivations prints one aligned line per activation: its name,
// shape, minimum, maximum, mean and standard deviation (with n-1, as
// PyTorch's std), under a header line.
func FormatActivations(acts []Activation) string {
	rows := [][]string{{"layer", "shape", "min", "max", "mean", "std"}}
	for _, a := range acts {
		lo, hi, mean, std := stats(a.Output.Data())
		rows = append(rows, []string{a.Name, tensor.FormatShape(a.Output.Shape()),
			fmt.Sprintf("%.4f", lo), fmt.Sprintf("%.4f", hi), fmt.Sprintf("%.4f", mean), fmt.Sprintf("%.4f", std)})
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, cell := range r {
			widths[i] = max(widths[i], len(cell))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		var line strings.Builder
		for i, cell := range r {
			if i > 0 {
				line.WriteString("  ")
			}
			if i >= 2 { // the figures align right
				fmt.Fprintf(&line, "%*s", widths[i], cell)
			} else {
				fmt.Fprintf(&line, "%-*s", widths[i], cell)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteString("\n")
	}
	return b.String()
}

// stats returns the minimum, maximum, mean and standard deviation (with
// n-1) of v; all zero for no values.
func stats(v []float32) (lo, hi, mean, std float64) {
	if len(v) == 0 {
		return 0, 0, 0, 0
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	sum := 0.0
	for _, x := range v {
		f := float64(x)
		lo, hi = min(lo, f), max(hi, f)
		sum += f
	}
	mean = sum / float64(len(v))
	if len(v) > 1 {
		ss := 0.0
		for _, x := range v {
			d := float64(x) - mean
			ss += d * d
		}
		std = math.Sqrt(ss / float64(len(v)-1))
	}
	return lo, hi, mean, std
}
