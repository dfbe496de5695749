package nn_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// TestFuseConvBlocksKeepsTheModel checks that the pass changes neither
// the printout, the state_dict keys, the parameters nor the named modules,
// and that a hook registered after it sees the layer's own output.
func TestFuseConvBlocksKeepsTheModel(t *testing.T) {
	build := func() *lenetSeq { nn.ManualSeed(5); return newLenetSeq() }
	plain, fused := build(), nn.FuseConvBlocks(build())
	if plain.String() != fused.String() {
		t.Errorf("printout changed:\n%s\nwant\n%s", fused, plain)
	}
	names := func(ps []nn.Param) (out []string) {
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	if a, b := names(plain.StateDict()), names(fused.StateDict()); !slices.Equal(a, b) {
		t.Errorf("state_dict keys %v, want %v", b, a)
	}
	if a, b := len(plain.Parameters()), len(fused.Parameters()); a != b {
		t.Errorf("%d parameters, want %d", b, a)
	}
	var modules []string
	for _, c := range fused.NamedModules() {
		modules = append(modules, c.Name)
	}
	var want []string
	for _, c := range plain.NamedModules() {
		want = append(want, c.Name)
	}
	if !slices.Equal(modules, want) {
		t.Errorf("named modules %v, want %v", modules, want)
	}

	x := tensor.Zeros(2, 1, 28, 28)
	for i := range x.Data() {
		x.Data()[i] = float32(math.Cos(float64(i) * 0.13))
	}
	outPlain, outFused := plain.Call(x), fused.Call(x)
	for i, v := range outPlain.Data() {
		if math.Abs(float64(outFused.Data()[i]-v)) > 1e-6 {
			t.Fatalf("output[%d] = %g fused, %g apart", i, outFused.Data()[i], v)
		}
	}
	// Hooks on the first block's activation, registered after the pass,
	// see what the layer computes apart.
	var seen [2]*tensor.Tensor
	for i, m := range []*lenetSeq{plain, fused} {
		m.feature.Child(featureAct(m)).ModuleBase().RegisterForwardHook(func(_ nn.Module, out *tensor.Tensor) { seen[i] = out })
		m.Call(x)
	}
	if seen[1] == nil || !slices.Equal(seen[0].Shape(), seen[1].Shape()) {
		t.Fatalf("hook after fusing saw %v, want shape %v", seen[1], seen[0].Shape())
	}
	for i, v := range seen[0].Data() {
		if math.Abs(float64(seen[1].Data()[i]-v)) > 1e-6 {
			t.Fatalf("hooked activation[%d] = %g fused, %g apart", i, seen[1].Data()[i], v)
		}
	}
}

// featureAct names the first activation of m's feature block.
func featureAct(m *lenetSeq) string {
	for _, c := range m.feature.Children() {
		switch c.Module.(type) {
		case *nn.ReLU, *nn.Tanh:
			return c.Name
		}
	}
	panic("no activation")
}

// FuseConvBlocks makes each convolution of a Sequential run with the
// activation and pooling after it as one operation. The model prints,
// computes and trains as before; hooks still see every layer.
func ExampleFuseConvBlocks() {
	nn.ManualSeed(1)
	model := nn.FuseConvBlocks(nn.NewSequential(
		nn.Child{Name: "conv", Module: nn.NewConv2d(1, 4, 3, nn.Padding(1))},
		nn.Child{Name: "act", Module: nn.NewReLU()},
		nn.Child{Name: "pool", Module: nn.NewMaxPool2d(2, 2, 0)},
		nn.Child{Name: "flat", Module: nn.NewFlatten()},
		nn.Child{Name: "fc", Module: nn.NewLinear(4*4*4, 10)},
	))
	fmt.Println(model)

	x := tensor.Full(0.5, 1, 1, 8, 8)
	fmt.Println(model.Call(x).Shape()) // conv, act and pool ran as one

	// A hook on a layer of the block, even one registered after the
	// pass, sees that layer's output: the layers from it on run apart.
	model.Child("act").ModuleBase().RegisterForwardHook(func(_ nn.Module, out *tensor.Tensor) {
		fmt.Println("act:", out.Shape())
	})
	fmt.Println(model.Call(x).Shape())
	// Output:
	// Sequential(
	//   (conv): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
	//   (act): ReLU()
	//   (pool): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
	//   (flat): Flatten(start_dim=1, end_dim=-1)
	//   (fc): Linear(in_features=64, out_features=10, bias=True)
	// )
	// [1 10]
	// act: [1 4 8 8]
	// [1 10]
}
