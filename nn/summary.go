package nn

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/convnet/convnet/tensor"
)

// SummaryTable is what Summary measures of a model: a row per leaf layer
// call and the totals, as torchsummary's table. String prints it.
type SummaryTable struct {
	// Rows are the leaf layers (modules without children) in the order
	// the forward pass called them, a layer called twice on two rows,
	// then the leaves the pass did not reach, in registration order.
	Rows []SummaryRow
	// TotalParams counts the model's parameters, TrainableParams those
	// that require gradients.
	TotalParams, TrainableParams int
	// FLOPs is the floating-point operations of one example's forward
	// pass: the sum of the rows' FLOPs.
	FLOPs float64
}

// SummaryRow is one leaf layer's line of a SummaryTable.
type SummaryRow struct {
	// Name is the layer's dotted path ("feature.cnn1"), Type its type
	// name ("Conv2d").
	Name, Type string
	// OutputShape is the shape of the layer's output for a batch of one
	// example; nil if the forward pass did not reach the layer.
	OutputShape []int
	// Params counts the layer's parameters, on its first row only (the
	// rows' Params add up to the model's).
	Params int
	// FLOPs is the floating-point operations the layer spent on its
	// output: 2 per multiply-add of a Conv2d or a Linear, 0 for other
	// layers (element-wise work and pooling are negligible beside them).
	FLOPs float64
}

// Summary runs a zero batch of one example of inputShape (C×H×W for an
// image model, without the batch dimension) through m in evaluation mode
// without recording gradients, and records each leaf layer's output shape
// with forward hooks, as torchsummary.summary. m's mode is restored and
// its hooks removed afterwards; its parameters and buffers are unchanged.
// A forward pass that panics (an input shape that does not fit) is
// returned as an error.
func Summary(m Module, inputShape ...int) (t *SummaryTable, err error) {
	base := m.ModuleBase()
	layers := summaryLeaves(m)
	t = &SummaryTable{}
	ran := map[string]bool{}
	var removes []func()
	defer func() {
		for _, remove := range removes {
			remove()
		}
	}()
	for _, c := range layers {
		name, params := c.Name, paramCount(c.Module)
		removes = append(removes, c.Module.ModuleBase().RegisterForwardHook(func(mod Module, out *tensor.Tensor) {
			row := SummaryRow{Name: name, Type: mod.ModuleBase().TypeName(),
				OutputShape: append([]int(nil), out.Shape()...), FLOPs: layerFLOPs(mod, out)}
			if !ran[name] {
				row.Params = params // count a layer's parameters once
			}
			ran[name] = true
			t.Rows = append(t.Rows, row)
		}))
	}
	if err := summaryForward(base, inputShape); err != nil {
		return nil, err
	}
	// Layers that the forward pass did not reach still have parameters.
	for _, c := range layers {
		if !ran[c.Name] {
			t.Rows = append(t.Rows, SummaryRow{Name: c.Name, Type: c.Module.ModuleBase().TypeName(), Params: paramCount(c.Module)})
		}
	}
	for _, r := range t.Rows {
		t.FLOPs += r.FLOPs
	}
	for _, p := range base.Parameters() {
		t.TotalParams += p.Numel()
		if p.RequiresGrad() {
			t.TrainableParams += p.Numel()
		}
	}
	return t, nil
}

// summaryForward runs the zero batch through base in evaluation mode,
// without recording, and restores its mode.
func summaryForward(base *Base, inputShape []int) (err error) {
	wasTraining := base.Training()
	base.Eval()
	defer func() {
		if wasTraining {
			base.Train()
		}
		if r := recover(); r != nil {
			err = fmt.Errorf("nn.Summary: input shape %v: %v", inputShape, r)
		}
	}()
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
	base.Call(s.Input(tensor.Zeros(append([]int{1}, inputShape...)...)))
	return nil
}

// summaryLeaves returns the named modules of m that have no children, in
// registration order; m itself, with an empty name, if it has none.
func summaryLeaves(m Module) []Child {
	if len(m.ModuleBase().Children()) == 0 {
		return []Child{{Module: m}}
	}
	var out []Child
	for _, c := range m.ModuleBase().NamedModules() {
		if len(c.Module.ModuleBase().Children()) == 0 {
			out = append(out, c)
		}
	}
	return out
}

// paramCount returns the number of values in m's parameters.
func paramCount(m Module) int {
	n := 0
	for _, p := range m.ModuleBase().NamedParameters() {
		n += p.Tensor.Numel()
	}
	return n
}

// layerFLOPs returns the floating-point operations a layer spent to make
// out: 2 per multiply-add of convolutions and fully connected layers, 0 for
// the rest.
func layerFLOPs(m Module, out *tensor.Tensor) float64 {
	switch l := m.(type) {
	case *Conv2d:
		return 2 * float64(out.Numel()) * float64(l.InChannels/max(l.Groups, 1)*l.KernelSize[0]*l.KernelSize[1])
	case *Linear:
		return 2 * float64(out.Numel()) * float64(l.InFeatures)
	}
	return 0
}

// String prints the table as torchsummary does, with a FLOPs column and
// line: layer names with their type, output shapes as PyTorch prints
// lists ("--" for a layer the pass did not reach), counts with thousands
// separators, and the total FLOPs with an SI prefix.
func (t *SummaryTable) String() string {
	nameWidth, shapeWidth := 30, 20
	for _, r := range t.Rows {
		nameWidth = max(nameWidth, len(r.label())+1)
		shapeWidth = max(shapeWidth, len(tensor.FormatShape(r.OutputShape))+2)
	}
	const paramWidth, flopsWidth = 13, 16
	rule := func(ch string) string {
		return strings.Repeat(ch, nameWidth+shapeWidth+paramWidth+flopsWidth+1) + "\n"
	}
	var b strings.Builder
	b.WriteString(rule("-"))
	fmt.Fprintf(&b, "%-*s%-*s%*s%*s\n", nameWidth, "Layer (type)", shapeWidth, "Output Shape", paramWidth, "Param #", flopsWidth, "FLOPs")
	b.WriteString(rule("="))
	for _, r := range t.Rows {
		shape := "--"
		if r.OutputShape != nil {
			shape = tensor.FormatShape(r.OutputShape)
		}
		fmt.Fprintf(&b, "%-*s%-*s%*s%*s\n", nameWidth, r.label(), shapeWidth, shape, paramWidth, commas(r.Params),
			flopsWidth, commas(int(r.FLOPs)))
	}
	b.WriteString(rule("="))
	fmt.Fprintf(&b, "Total params: %s\n", commas(t.TotalParams))
	fmt.Fprintf(&b, "Trainable params: %s\n", commas(t.TrainableParams))
	fmt.Fprintf(&b, "FLOPs per example: %s (%s multiply-adds)\n", engineering(t.FLOPs), engineering(t.FLOPs/2))
	b.WriteString(rule("-"))
	return b.String()
}

// label is the row's first column: "feature.cnn1 (Conv2d)".
func (r SummaryRow) label() string {
	if r.Name == "" {
		return "(" + r.Type + ")"
	}
	return r.Name + " (" + r.Type + ")"
}

// commas prints n with thousands separators: 61,706.
func commas(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// engineering prints v to three significant digits with an SI prefix:
// 7.61 G.
func engineering(v float64) string {
	for _, u := range []struct {
		scale float64
		name  string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if v >= u.scale {
			return fmt.Sprintf("%.3g %s", v/u.scale, u.name)
		}
	}
	return fmt.Sprintf("%.3g", v)
}
