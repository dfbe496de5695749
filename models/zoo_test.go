package models_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/internal/testref"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/safetensors"
	"github.com/convnet/convnet/tensor"
)

// regenerateZoo is the command that writes testdata/zoo/ and
// testdata/zoo.safetensors.
const regenerateZoo = "/usr/bin/python3 testdata/make_zoo_reference.py"

// zooFile returns the contents of testdata/zoo/name.
func zooFile(t *testing.T, name string) []byte {
	t.Helper()
	path := filepath.Join(testref.Dir(t), "zoo", name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: regenerate it with %s", err, regenerateZoo)
	}
	return b
}

// zooRef opens testdata/zoo.safetensors.
func zooRef(t *testing.T) *testref.File {
	t.Helper()
	path := filepath.Join(testref.Dir(t), "zoo.safetensors")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%v: regenerate it with %s", err, regenerateZoo)
	}
	return testref.OpenFile(t, path)
}

// fill is make_zoo_reference.py's fill: every entry of m's state_dict
// from the formula over its index, batch norm's counters left at 0.
func fill(m nn.Module) {
	sd := m.ModuleBase().StateDict()
	names := map[string]bool{}
	for _, p := range sd {
		names[p.Name] = true
	}
	for k, p := range sd {
		if strings.HasSuffix(p.Name, "num_batches_tracked") {
			continue
		}
		prefix, leaf := "", p.Name
		if i := strings.LastIndexByte(p.Name, '.'); i >= 0 {
			prefix, leaf = p.Name[:i+1], p.Name[i+1:]
		}
		d, shape := p.Tensor.Data(), p.Tensor.Shape()
		u := testref.Hashu(k, len(d))
		switch {
		case names[prefix+"running_mean"]:
			for i, v := range u {
				switch leaf {
				case "weight":
					d[i] = 1 + float32(v*0.25)
				case "running_var":
					d[i] = 1 + float32(v*0.5)
				default:
					d[i] = float32(v * 0.25)
				}
			}
		case len(shape) >= 2:
			a := float32(math.Sqrt(6 / float64(len(d)/shape[0])))
			for i, v := range u {
				d[i] = float32(v * a)
			}
		default:
			for i, v := range u {
				d[i] = float32(v * 0.1)
			}
		}
	}
}

func zooModel(t *testing.T, name string, in models.Input) nn.Module {
	t.Helper()
	spec, err := models.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := spec.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// zooNames are the torchvision networks with reference files.
var zooNames = []string{"resnet18", "resnet34", "resnet50", "mobilenet_v2", "googlenet"}

// TestZooStructure checks, for each network built for torchvision's
// 3×224×224 input and 1000 classes, that print(model) is torchvision's
// byte for byte, that the parameter count is its, and that the state_dict
// holds its keys in its order with its shapes and dtypes (int64 for
// num_batches_tracked, as checkpoint.Save writes it).
func TestZooStructure(t *testing.T) {
	var counts map[string]int
	if err := json.Unmarshal(zooFile(t, "param_counts.json"), &counts); err != nil {
		t.Fatal(err)
	}
	var keys map[string][][3]any
	if err := json.Unmarshal(zooFile(t, "state_dict_keys.json"), &keys); err != nil {
		t.Fatal(err)
	}
	for _, name := range zooNames {
		t.Run(name, func(t *testing.T) {
			if _, err := models.Lookup(name); err != nil {
				t.Skipf("not registered yet: %v", err)
			}
			m := zooModel(t, name, models.Input{Channels: 3, Size: 224, Classes: 1000})
			want := strings.TrimSuffix(string(zooFile(t, name+".txt")), "\n")
			if got := m.ModuleBase().String(); got != want {
				gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
				for i := range min(len(gl), len(wl)) {
					if gl[i] != wl[i] {
						t.Fatalf("print differs from torchvision's at line %d:\n got %s\nwant %s", i+1, gl[i], wl[i])
					}
				}
				t.Fatalf("print has %d lines, torchvision's %d", len(gl), len(wl))
			}
			total := 0
			for _, p := range m.ModuleBase().Parameters() {
				total += p.Numel()
			}
			if total != counts[name] {
				t.Errorf("%d parameters, torchvision has %d", total, counts[name])
			}
			sd := m.ModuleBase().StateDict()
			ref := keys[name]
			if len(sd) != len(ref) {
				t.Errorf("state_dict has %d entries, torchvision's %d", len(sd), len(ref))
			}
			for i := range min(len(sd), len(ref)) {
				key, dtype := ref[i][0].(string), ref[i][2].(string)
				var shape []int
				for _, d := range ref[i][1].([]any) {
					shape = append(shape, int(d.(float64)))
				}
				gotDtype := "float32"
				if strings.HasSuffix(sd[i].Name, "num_batches_tracked") {
					gotDtype = "int64" // checkpoint.Save's conversion, checked in TestZooCheckpointDtypes
				}
				if sd[i].Name != key || !slices.Equal(sd[i].Tensor.Shape(), shape) || gotDtype != dtype {
					t.Fatalf("state_dict entry %d is %s %v %s, torchvision's %s %v %s",
						i, sd[i].Name, sd[i].Tensor.Shape(), gotDtype, key, shape, dtype)
				}
			}
		})
	}
}

// TestZooCheckpointDtypes saves a residual block with checkpoint.Save and
// checks the dtypes PyTorch's state_dict has: I64 for the batch counts,
// F32 for the rest; and that the file loads back.
func TestZooCheckpointDtypes(t *testing.T) {
	b := models.NewBasicBlock(8, 16, 2)
	path := filepath.Join(t.TempDir(), "block.safetensors")
	if err := checkpoint.Save(path, b, nil); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range b.StateDict() {
		want := "F32"
		if strings.HasSuffix(p.Name, "num_batches_tracked") {
			want = "I64"
		}
		if got := f.Tensors[p.Name].DType; got != want {
			t.Errorf("%s saved as %s, PyTorch's state_dict has %s", p.Name, got, want)
		}
	}
	if _, err := checkpoint.Load(path, models.NewBasicBlock(8, 16, 2)); err != nil {
		t.Error(err)
	}
}

// TestZooLoadsTorchvisionState loads a state_dict that torchvision left
// (a BasicBlock with downsample after two training forwards, saved with
// int64 batch counts, as safetensors.torch writes) into NewBasicBlock with
// checkpoint.Load, no key renamed, and compares the eval output.
func TestZooLoadsTorchvisionState(t *testing.T) {
	b := models.NewBasicBlock(8, 16, 2)
	if _, err := checkpoint.Load(filepath.Join(testref.Dir(t), "zoo_basicblock_state.safetensors"), b); err != nil {
		t.Fatalf("%v (regenerate with %s)", err, regenerateZoo)
	}
	if n := b.BN1.NumBatchesTracked.Item(); n != 2 {
		t.Errorf("bn1.num_batches_tracked = %v, want 2", n)
	}
	ref := zooRef(t)
	b.Eval()
	xd, xs := ref.F32("tvstate.basicblock.x")
	checkZoo(t, ref, "tvstate.basicblock.y", b.Call(tensor.New(xd, xs...)), 1e-5, 1e-5)
}

// checkZoo compares got with the reference under key.
func checkZoo(t *testing.T, ref *testref.File, key string, got *tensor.Tensor, rtol, atol float64) {
	t.Helper()
	want, shape := ref.F32(key)
	if !slices.Equal(got.Shape(), shape) {
		t.Errorf("%s: shape %v, want %v", key, got.Shape(), shape)
		return
	}
	testref.Check(t, key, got.Data(), want, rtol, atol)
}

// runBlock runs a block case of make_zoo_reference.py: formula weights,
// forward in training mode, backward of sum(y*dy), compared with PyTorch's
// output, input gradient, parameter gradients and running statistics;
// then the output in evaluation mode.
func runBlock(t *testing.T, ref *testref.File, c string, m nn.Module) {
	t.Helper()
	b := m.ModuleBase()
	if want := ref.Metadata(c + ".print"); b.String() != want {
		t.Errorf("%s prints\n%s\nwant (torchvision)\n%s", c, b.String(), want)
	}
	fill(m)
	b.Train()
	xd, xs := ref.F32(c + ".x")
	x := tensor.New(slices.Clone(xd), xs...).SetRequiresGrad(true)
	y := b.Call(x)
	checkZoo(t, ref, c+".y", y, 1e-4, 1e-4)
	dyd, dys := ref.F32(c + ".dy")
	tensor.Sum(tensor.Mul(y, tensor.New(dyd, dys...))).Backward()
	checkZoo(t, ref, c+".dx", x.Grad(), 1e-3, 1e-3)
	for _, p := range b.NamedParameters() {
		checkZoo(t, ref, c+".grad."+p.Name, p.Tensor.Grad(), 1e-3, 1e-3)
	}
	for _, p := range b.StateDict() {
		if strings.HasSuffix(p.Name, "running_mean") || strings.HasSuffix(p.Name, "running_var") {
			checkZoo(t, ref, c+".state."+p.Name, p.Tensor, 1e-4, 1e-5)
		}
	}
	b.Eval()
	checkZoo(t, ref, c+".y_eval", b.Call(tensor.New(xd, xs...)), 1e-4, 1e-4)
}

func TestResNetBlocksMatchPyTorch(t *testing.T) {
	ref := zooRef(t)
	runBlock(t, ref, "basicblock", models.NewBasicBlock(8, 16, 2))
	runBlock(t, ref, "basicblock_id", models.NewBasicBlock(8, 8, 1))
	runBlock(t, ref, "bottleneck", models.NewBottleneck(16, 4, 2))
	runBlock(t, ref, "bottleneck_id", models.NewBottleneck(16, 4, 1))
}

// zooCases are make_zoo_reference.py's MODEL_CASES.
var zooCases = []struct {
	key, name string
	in        models.Input
}{
	{"resnet18", "resnet18", models.Input{Channels: 3, Size: 32, Classes: 10}},
	{"resnet18_mnist", "resnet18", models.Input{Channels: 1, Size: 28, Classes: 10}},
	{"resnet34", "resnet34", models.Input{Channels: 3, Size: 32, Classes: 10}},
	{"resnet50", "resnet50", models.Input{Channels: 3, Size: 32, Classes: 10}},
	{"mobilenet_v2", "mobilenet_v2", models.Input{Channels: 3, Size: 32, Classes: 10}},
	{"mobilenet_v2_mnist", "mobilenet_v2", models.Input{Channels: 1, Size: 28, Classes: 10}},
	{"googlenet", "googlenet", models.Input{Channels: 3, Size: 32, Classes: 10}},
	{"googlenet_mnist", "googlenet", models.Input{Channels: 1, Size: 28, Classes: 10}},
}

// TestZooEvalMatchesPyTorch builds each network for a small input, sets
// its weights and statistics from the formula both sides share, and
// compares its evaluation-mode output with torchvision's.
func TestZooEvalMatchesPyTorch(t *testing.T) {
	ref := zooRef(t)
	for _, c := range zooCases {
		t.Run(c.key, func(t *testing.T) {
			if _, err := models.Lookup(c.name); err != nil {
				t.Skipf("not registered yet: %v", err)
			}
			m := zooModel(t, c.name, c.in)
			fill(m)
			m.ModuleBase().Eval()
			xd, xs := ref.F32("model." + c.key + ".x")
			s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
			// (GoogLeNet on 28×28 reaches maxpool4, kernel 2 in ceil mode,
			// with a 1×1 map, which PyTorch pools to 1×1.)
			y := m.ModuleBase().Call(s.Input(tensor.New(xd, xs...)))
			want, _ := ref.F32("model." + c.key + ".y")
			// Deep stacks sum in another order: relative to the largest logit.
			checkZoo(t, ref, "model."+c.key+".y", y, 1e-3, 1e-4*testref.Scale(want))
		})
	}
}

// zooTrainCases are make_zoo_reference.py's TRAIN_CASES.
var zooTrainCases = []struct {
	key, name string
	in        models.Input
	batch     int
	params    []string
}{
	{"resnet18", "resnet18", models.Input{Channels: 3, Size: 64, Classes: 10}, 4,
		[]string{"conv1.weight", "bn1.weight", "layer2.0.downsample.0.weight", "layer4.1.bn2.bias", "fc.weight"}},
	{"mobilenet_v2", "mobilenet_v2", models.Input{Channels: 1, Size: 64, Classes: 10}, 4,
		[]string{"features.0.0.weight", "features.2.conv.1.0.weight", "features.18.1.weight", "classifier.1.weight"}},
}

// TestZooTrainingStepMatchesPyTorch runs one training forward (batch
// statistics, dropout off on both sides) and backward of the
// cross-entropy through whole networks, in a scope with an arena as
// train.Epoch does, and compares the loss and gradients with PyTorch's.
func TestZooTrainingStepMatchesPyTorch(t *testing.T) {
	ref := zooRef(t)
	for _, c := range zooTrainCases {
		t.Run(c.key, func(t *testing.T) {
			m := zooModel(t, c.name, c.in)
			fill(m)
			b := m.ModuleBase()
			b.Train()
			for _, d := range b.NamedModules() {
				if d, ok := d.Module.(*nn.Dropout); ok {
					d.Eval()
				}
			}
			shape := []int{c.batch, c.in.Channels, c.in.Size, c.in.Size}
			x := tensor.New(testref.Hashu(995, c.batch*c.in.Channels*c.in.Size*c.in.Size), shape...)
			key := "train." + c.key
			s := tensor.NewScope(tensor.ScopeOptions{Arena: tensor.NewArena()})
			loss := tensor.CrossEntropy(b.Call(s.Input(x)), ref.Ints(key+".target"))
			checkZoo(t, ref, key+".loss", loss, 1e-4, 1e-5)
			loss.Backward()
			params := map[string]*tensor.Tensor{}
			for _, p := range b.NamedParameters() {
				params[p.Name] = p.Tensor
			}
			for _, name := range c.params {
				want, _ := ref.F32(key + ".grad." + name)
				checkZoo(t, ref, key+".grad."+name, params[name].Grad(), 1e-3, 1e-3*testref.Scale(want))
			}
		})
	}
}

// TestZooConcurrentInference runs networks in evaluation mode from
// four goroutines at once, each in a scope with an arena of its own, and
// checks the answers against a single goroutine's: evaluation changes
// nothing of the model (GoogLeNet's auxiliary logits included). Run it
// with -race.
func TestZooConcurrentInference(t *testing.T) {
	// One network per kind of block (ResNet-34/50 repeat ResNet-18's ways).
	for _, name := range []string{"resnet18", "mobilenet_v2", "googlenet"} {
		t.Run(name, func(t *testing.T) {
			m := zooModel(t, name, models.Input{Channels: 3, Size: 32, Classes: 10})
			fill(m)
			b := m.ModuleBase()
			b.Train()
			b.Call(tensor.New(testref.Hashu(994, 2*3*32*32), 2, 3, 32, 32)) // a training forward first
			b.Eval()
			x := tensor.New(testref.Hashu(993, 3*32*32), 1, 3, 32, 32)
			want := slices.Clone(b.Call(tensor.NewScope(tensor.ScopeOptions{NoGrad: true}).Input(x)).Data())
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					arena := tensor.NewArena()
					s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Arena: arena})
					for range 2 {
						arena.Reset()
						if got := b.Call(s.Input(x)).Data(); !slices.Equal(got, want) {
							t.Errorf("a concurrent answer %v differs from the single one %v", got[:3], want[:3])
						}
					}
				})
			}
			wg.Wait()
		})
	}
}
