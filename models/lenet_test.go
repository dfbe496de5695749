package models_test

import (
	"math"
	"os"
	"testing"

	"github.com/convnet/convnet/internal/testref"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/tensor"
)

func TestPrintMatchesPyTorch(t *testing.T) {
	for _, c := range []struct {
		model nn.Module
		file  string
	}{
		{models.NewLeNet(), "lenet5_attributes.txt"},
		{models.NewLeNetSeq(), "lenet5_sequential.txt"},
	} {
		want, err := os.ReadFile(testref.Path(t, c.file))
		if err != nil {
			t.Fatal(err)
		}
		if got := nn.Format(c.model) + "\n"; got != string(want) {
			t.Errorf("%s: print gives\n%s\nwant\n%s", c.file, got, want)
		}
	}
}

func TestRandomBatchShape(t *testing.T) {
	for _, name := range models.Names() {
		if spec, _ := models.Lookup(name); spec.Input.Size != 28 {
			continue // VGG has its own test: TestVGGForwardShape
		}
		m, err := models.New(name)
		if err != nil {
			t.Fatal(err)
		}
		y := m.ModuleBase().Call(tensor.Full(0.5, 10, 1, 28, 28))
		if got := y.Shape(); len(got) != 2 || got[0] != 10 || got[1] != 10 {
			t.Errorf("%s: output shape %v, want [10 10]", name, got)
		}
	}
}

func TestParameterCount(t *testing.T) {
	n := 0
	for _, p := range models.NewLeNetSeq().Parameters() {
		n += p.Numel()
	}
	if n != 61706 {
		t.Errorf("LeNet-5 has %d parameters, want 61706", n)
	}
}

// TestLeNetMatchesPyTorch checks, from PyTorch's initial weights, every
// named activation, the loss, the gradients and the weights after one and
// ten Adam steps.
func TestLeNetMatchesPyTorch(t *testing.T) {
	ref := testref.Open(t, "lenet5.safetensors")
	for _, fields := range []bool{false, true} {
		m := nn.Module(models.NewLeNetSeq())
		prefix := func(s string) string { return s }
		if fields {
			m = models.NewLeNet()
			// The fields version has the same parameters without the
			// feature./classifier. prefixes.
			prefix = func(s string) string {
				for _, block := range []string{"feature.", "classifier."} {
					if len(s) > len(block) && s[:len(block)] == block {
						return s[len(block):]
					}
				}
				return s
			}
		}
		byName := map[string]*tensor.Tensor{}
		for _, p := range m.ModuleBase().StateDict() {
			byName[p.Name] = p.Tensor
		}
		seqNames := models.NewLeNetSeq().StateDict()
		for _, p := range seqNames {
			v, _ := ref.F32("init." + p.Name)
			copy(byName[prefix(p.Name)].Data(), v)
		}

		acts := map[string]*tensor.Tensor{}
		for _, c := range m.ModuleBase().NamedModules() {
			name := c.Name
			c.Module.ModuleBase().RegisterForwardHook(func(_ nn.Module, out *tensor.Tensor) { acts[name] = out })
		}
		xv, xs := ref.F32("input")
		y := m.ModuleBase().Call(tensor.New(xv, xs...))
		for _, key := range []string{"feature.cnn1", "feature.cnn1_act", "feature.avgpool1", "feature.cnn2", "feature.cnn2_act",
			"feature.avgpool2", "feature.cnn3", "feature.cnn3_act", "classifier.fc1", "classifier.fc1_act", "classifier.fc2"} {
			got, ok := acts[prefix(key)]
			if !ok {
				t.Fatalf("fields=%v: no activation recorded for %s", fields, prefix(key))
			}
			want, _ := ref.F32("act." + key)
			testref.Check(t, "act."+key, got.Data(), want, 1e-5, 1e-5)
		}
		loss := tensor.CrossEntropy(y, ref.Ints("target"))
		wantLoss, _ := ref.F32("loss")
		testref.Check(t, "loss", loss.Data(), wantLoss, 1e-5, 1e-6)
		loss.Backward()
		for _, p := range seqNames {
			want, _ := ref.F32("grad." + p.Name)
			testref.Check(t, "grad."+p.Name, byName[prefix(p.Name)].Grad().Data(), want, 1e-4, 1e-6)
		}
		opt := optim.NewAdam(m.ModuleBase().Parameters(), optim.DefaultAdam(1e-3))
		opt.Step()
		for _, p := range seqNames {
			want, _ := ref.F32("step1." + p.Name)
			grad, _ := ref.F32("grad." + p.Name)
			got := byName[prefix(p.Name)].Data()
			for i := range want {
				// Adam's first step is lr*g/(|g|+eps): where |g| is near
				// eps (1e-8), float rounding of g moves it by up to lr.
				tol := 1e-6 + 1e-5*math.Abs(float64(want[i]))
				if math.Abs(float64(grad[i])) < 1e-6 {
					tol = 1e-3
				}
				if d := math.Abs(float64(got[i] - want[i])); d > tol {
					t.Errorf("step1.%s[%d] = %v, want %v", p.Name, i, got[i], want[i])
					break
				}
			}
		}

		// Ten steps from the initial weights, one per batch of 16.
		for _, p := range seqNames {
			v, _ := ref.F32("init." + p.Name)
			copy(byName[prefix(p.Name)].Data(), v)
		}
		opt = optim.NewAdam(m.ModuleBase().Parameters(), optim.DefaultAdam(1e-3))
		inputs, _ := ref.F32("train_inputs")
		targets := ref.Ints("train_targets")
		wantLosses, _ := ref.F32("losses")
		const batch, image = 16, 28 * 28
		for step := 0; step < 10; step++ {
			x := tensor.New(inputs[step*batch*image:(step+1)*batch*image], batch, 1, 28, 28)
			opt.ZeroGrad()
			loss := tensor.CrossEntropy(m.ModuleBase().Call(x), targets[step*batch:(step+1)*batch])
			testref.Check(t, "losses", loss.Data(), wantLosses[step:step+1], 1e-4, 1e-5)
			loss.Backward()
			opt.Step()
		}
		for _, p := range seqNames {
			want, _ := ref.F32("step10." + p.Name)
			testref.Check(t, "step10."+p.Name, byName[prefix(p.Name)].Data(), want, 1e-4, 1e-5)
		}
	}
}
