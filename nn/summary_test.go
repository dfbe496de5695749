package nn_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// lenet5 is the lesson's LeNet-5 built from nn layers alone: a feature
// Sequential, a flattening and a classifier Sequential.
func lenet5() *nn.Sequential {
	return nn.NewSequential(
		nn.Child{Name: "feature", Module: nn.NewSequential(
			nn.Child{Name: "cnn1", Module: nn.NewConv2d(1, 6, 5, nn.Padding(2))},
			nn.Child{Name: "cnn1_act", Module: nn.NewTanh()},
			nn.Child{Name: "avgpool1", Module: nn.NewAvgPool2d(2, 2, 0)},
			nn.Child{Name: "cnn2", Module: nn.NewConv2d(6, 16, 5)},
			nn.Child{Name: "cnn2_act", Module: nn.NewTanh()},
			nn.Child{Name: "avgpool2", Module: nn.NewAvgPool2d(2, 2, 0)},
			nn.Child{Name: "cnn3", Module: nn.NewConv2d(16, 120, 5)},
			nn.Child{Name: "cnn3_act", Module: nn.NewTanh()},
		)},
		nn.Child{Name: "flatten", Module: nn.NewFlatten()},
		nn.Child{Name: "classifier", Module: nn.NewSequential(
			nn.Child{Name: "fc1", Module: nn.NewLinear(120, 84)},
			nn.Child{Name: "fc1_act", Module: nn.NewTanh()},
			nn.Child{Name: "fc2", Module: nn.NewLinear(84, 10)},
		)},
	)
}

func ExampleSummary() {
	model := lenet5()
	table, err := nn.Summary(model, 1, 28, 28) // one 1×28×28 image
	if err != nil {
		panic(err)
	}
	fmt.Print(table)
	fmt.Println(table.Rows[0].Name, table.Rows[0].OutputShape, table.Rows[0].Params, table.FLOPs)
	// Output:
	// --------------------------------------------------------------------------------
	// Layer (type)                  Output Shape              Param #           FLOPs
	// ================================================================================
	// feature.cnn1 (Conv2d)         [1, 6, 28, 28]                156         235,200
	// feature.cnn1_act (Tanh)       [1, 6, 28, 28]                  0               0
	// feature.avgpool1 (AvgPool2d)  [1, 6, 14, 14]                  0               0
	// feature.cnn2 (Conv2d)         [1, 16, 10, 10]             2,416         480,000
	// feature.cnn2_act (Tanh)       [1, 16, 10, 10]                 0               0
	// feature.avgpool2 (AvgPool2d)  [1, 16, 5, 5]                   0               0
	// feature.cnn3 (Conv2d)         [1, 120, 1, 1]             48,120          96,000
	// feature.cnn3_act (Tanh)       [1, 120, 1, 1]                  0               0
	// flatten (Flatten)             [1, 120]                        0               0
	// classifier.fc1 (Linear)       [1, 84]                    10,164          20,160
	// classifier.fc1_act (Tanh)     [1, 84]                         0               0
	// classifier.fc2 (Linear)       [1, 10]                       850           1,680
	// ================================================================================
	// Total params: 61,706
	// Trainable params: 61,706
	// FLOPs per example: 833 k (417 k multiply-adds)
	// --------------------------------------------------------------------------------
	// feature.cnn1 [1 6 28 28] 156 833040
}

// TestSummaryLeavesModelAsItWas: the mode is restored, no hook is left,
// nothing is recorded and the parameters are unchanged.
func TestSummaryLeavesModelAsItWas(t *testing.T) {
	for _, training := range []bool{true, false} {
		model := lenet5()
		if !training {
			model.Eval()
		}
		before := slices.Clone(model.Parameters()[0].Data())
		if _, err := nn.Summary(model, 1, 28, 28); err != nil {
			t.Fatal(err)
		}
		if model.Training() != training {
			t.Errorf("training %v after Summary, want %v", model.Training(), training)
		}
		for _, c := range model.NamedModules() {
			if c.Module.ModuleBase().Training() != training {
				t.Errorf("%s: training %v after Summary, want %v", c.Name, c.Module.ModuleBase().Training(), training)
			}
		}
		if !slices.Equal(before, model.Parameters()[0].Data()) {
			t.Error("Summary changed a parameter")
		}
		for _, p := range model.Parameters() {
			if p.Grad() != nil {
				t.Fatal("Summary left a gradient")
			}
		}
		// No hook is left: a second summary has the same rows, once.
		calls := 0
		remove := model.ModuleBase().Child("flatten").ModuleBase().RegisterForwardHook(func(nn.Module, *tensor.Tensor) { calls++ })
		again, err := nn.Summary(model, 1, 28, 28)
		remove()
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Rows) != 12 || calls != 1 {
			t.Errorf("second summary: %d rows and %d calls of the user's hook, want 12 and 1", len(again.Rows), calls)
		}
	}
}

func TestSummaryBadInputShape(t *testing.T) {
	model := lenet5()
	_, err := nn.Summary(model, 3, 28, 28)
	if err == nil || !strings.Contains(err.Error(), "[3 28 28]") {
		t.Fatalf("Summary with 3 channels for 1: err %v, want one naming the shape", err)
	}
	if !model.Training() {
		t.Error("the model stays in evaluation mode after a failed Summary")
	}
	// The hooks are gone after the panic too.
	table, err := nn.Summary(model, 1, 28, 28)
	if err != nil || len(table.Rows) != 12 {
		t.Fatalf("Summary after a failed one: %v, %d rows", err, len(table.Rows))
	}
}

// skipper calls its first child twice and never its second.
type skipper struct {
	nn.Base
	twice, never *nn.Linear
}

func newSkipper() *skipper {
	m := &skipper{}
	m.Init(m, "Skipper")
	m.twice = nn.Add(&m.Base, "twice", nn.NewLinear(4, 4))
	m.never = nn.Add(&m.Base, "never", nn.NewLinear(4, 2))
	m.never.Weight.SetRequiresGrad(false)
	return m
}

func (m *skipper) Forward(x *tensor.Tensor) *tensor.Tensor { return m.twice.Call(m.twice.Call(x)) }

func TestSummaryRepeatedAndUnreachedLayers(t *testing.T) {
	table, err := nn.Summary(newSkipper(), 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []nn.SummaryRow{
		{Name: "twice", Type: "Linear", OutputShape: []int{1, 4}, Params: 20, FLOPs: 32},
		{Name: "twice", Type: "Linear", OutputShape: []int{1, 4}, Params: 0, FLOPs: 32},
		{Name: "never", Type: "Linear", Params: 10},
	}
	if len(table.Rows) != len(want) {
		t.Fatalf("rows %+v, want %+v", table.Rows, want)
	}
	for i, r := range table.Rows {
		w := want[i]
		if r.Name != w.Name || r.Type != w.Type || !slices.Equal(r.OutputShape, w.OutputShape) || r.Params != w.Params || r.FLOPs != w.FLOPs {
			t.Errorf("row %d: %+v, want %+v", i, r, w)
		}
	}
	if table.TotalParams != 30 || table.TrainableParams != 22 || table.FLOPs != 64 {
		t.Errorf("totals %d, %d trainable, %g FLOPs, want 30, 22, 64", table.TotalParams, table.TrainableParams, table.FLOPs)
	}
	s := table.String()
	for _, line := range []string{
		fmt.Sprintf("%-30s%-20s%13s%16s\n", "twice (Linear)", "[1, 4]", "20", "32"),
		fmt.Sprintf("%-30s%-20s%13s%16s\n", "twice (Linear)", "[1, 4]", "0", "32"),
		fmt.Sprintf("%-30s%-20s%13s%16s\n", "never (Linear)", "--", "10", "0"),
		"Trainable params: 22\n",
		"FLOPs per example: 64 (32 multiply-adds)\n",
	} {
		if !strings.Contains(s, line) {
			t.Errorf("table lacks %q:\n%s", line, s)
		}
	}
}

// A layer without children is its own one row; long names widen the
// columns.
func TestSummaryWidths(t *testing.T) {
	table, err := nn.Summary(nn.NewLinear(3, 2), 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(table.Rows) != 1 || table.Rows[0].Type != "Linear" || table.Rows[0].Params != 8 {
		t.Fatalf("rows %+v", table.Rows)
	}
	if !strings.Contains(table.String(), fmt.Sprintf("\n%-30s%-20s%13s%16s\n", "(Linear)", "[1, 2]", "8", "12")) {
		t.Errorf("table:\n%s", table)
	}

	long := strings.Repeat("x", 40)
	wide, err := nn.Summary(nn.NewSequential(nn.Child{Name: long, Module: nn.NewLinear(3, 2)}), 3)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(wide.String(), "\n")
	// name column 40 + " (Linear)" + 1 = 50, shape 20, params 13, FLOPs 16, +1.
	if len(lines[0]) != 100 || !strings.HasPrefix(lines[3], long+" (Linear) [1, 2]") {
		t.Errorf("wide table:\n%s", wide)
	}
}

func TestSummaryNumbers(t *testing.T) {
	// Counts above a billion and FLOPs in each SI range.
	table := &nn.SummaryTable{TotalParams: 1234567890, TrainableParams: -48120, FLOPs: 15.2e12}
	s := table.String()
	for _, want := range []string{"Total params: 1,234,567,890\n", "Trainable params: -48,120\n", "FLOPs per example: 15.2 T (7.6 T multiply-adds)\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("table lacks %q:\n%s", want, s)
		}
	}
	for v, want := range map[float64]string{999: "999", 1000: "1 k", 2.5e6: "2.5 M", 7.61e9: "7.61 G"} {
		if s := (&nn.SummaryTable{FLOPs: v}).String(); !strings.Contains(s, "FLOPs per example: "+want+" (") {
			t.Errorf("FLOPs %g: %s", v, s)
		}
	}
}

// TestSummaryGroupedFLOPs: a depthwise convolution multiplies each output
// by its own channel's kernel only, not by every input channel's.
func TestSummaryGroupedFLOPs(t *testing.T) {
	m := nn.NewSequential(nn.Child{Name: "dw", Module: nn.NewConv2d(8, 8, 3, nn.Padding(1), nn.Groups(8), nn.NoBias())})
	s, err := nn.Summary(m, 8, 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2.0 * 8 * 4 * 4 * 9; s.FLOPs != want {
		t.Errorf("FLOPs %v, want %v", s.FLOPs, want)
	}
}
