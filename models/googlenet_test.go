package models_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/convnet/convnet/internal/testref"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

func TestInceptionBlockMatchesPyTorch(t *testing.T) {
	runBlock(t, zooRef(t), "inception", models.NewInception(16, 4, 4, 8, 2, 4, 4))
}

// TestGoogLeNetTrainingMatchesPyTorch runs GoogLeNet in training mode
// (batch statistics; dropout off on both sides, so that the outputs are
// comparable) and compares the main and auxiliary logits and the training
// loss, main + 0.3 × each auxiliary, with torchvision's; the loss's
// backward reaches both auxiliary classifiers. In evaluation mode the
// auxiliary classifiers do not run.
func TestGoogLeNetTrainingMatchesPyTorch(t *testing.T) {
	ref := zooRef(t)
	m, err := models.NewGoogLeNet(models.Input{Channels: 3, Size: 64, Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	fill(m)
	m.Train()
	for _, c := range m.NamedModules() {
		if d, ok := c.Module.(*nn.Dropout); ok {
			d.Eval()
		}
	}
	xd, xs := testref.Hashu(996, 4*3*64*64), []int{4, 3, 64, 64} // make_zoo_reference.py's inputs(996, ...)
	y := m.Call(tensor.New(xd, xs...))
	checkZoo(t, ref, "googlenet_train.y", y, 1e-3, 1e-3)
	aux1, aux2 := m.AuxLogits()
	if aux1 == nil || aux2 == nil {
		t.Fatal("no auxiliary logits after a Forward in training mode")
	}
	checkZoo(t, ref, "googlenet_train.aux1", aux1, 1e-3, 1e-3)
	checkZoo(t, ref, "googlenet_train.aux2", aux2, 1e-3, 1e-3)
	var _ nn.Losser = m
	loss := m.Loss(y, ref.Ints("googlenet_train.target"))
	checkZoo(t, ref, "googlenet_train.loss", loss, 1e-4, 1e-4)
	loss.Backward()
	for _, p := range []*tensor.Tensor{m.Aux1.FC2.Weight, m.Aux2.Conv.Conv.Weight, m.FC.Weight, m.Conv1.Conv.Weight} {
		if g := p.Grad(); g == nil || !slices.ContainsFunc(g.Data(), func(v float32) bool { return v != 0 }) {
			t.Errorf("no gradient reached a %v weight", p.Shape())
		}
	}

	// In evaluation mode the auxiliary classifiers do not run, nothing of
	// the model changes, and the loss is the main cross-entropy alone.
	m.Eval()
	var calls int
	remove := m.Aux1.RegisterForwardHook(func(nn.Module, *tensor.Tensor) { calls++ })
	defer remove()
	yEval := m.Call(tensor.New(xd, xs...))
	if a, _ := m.AuxLogits(); a != aux1 || calls != 0 {
		t.Errorf("evaluation mode ran aux1 %d times or changed AuxLogits", calls)
	}
	targets := ref.Ints("googlenet_train.target")
	if got, want := m.Loss(yEval, targets).Item(), tensor.CrossEntropy(yEval, targets).Item(); got != want {
		t.Errorf("evaluation loss %v, want the main cross-entropy %v", got, want)
	}
}

func TestGoogLeNetAccepts(t *testing.T) {
	spec, err := models.Lookup("googlenet")
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{15, 28, 32, 224} {
		if err := spec.Check(models.Input{Channels: 1, Size: size, Classes: 10}); err != nil {
			t.Errorf("size %d refused: %v", size, err)
		}
	}
	if err := spec.Check(models.Input{Channels: 1, Size: 14, Classes: 10}); err == nil {
		t.Error("a 14x14 image accepted")
	}
}

// TestGoogLeNetWithoutAux checks GoogLeNet built as torchvision's
// aux_logits=False (its pretrained model's form): the print is
// torchvision's without the aux1 and aux2 blocks, the state_dict its
// without their keys, 6,624,904 parameters (torchvision's num_params for
// the pretrained weights); training gives no auxiliary logits.
func TestGoogLeNetWithoutAux(t *testing.T) {
	m, err := models.NewGoogLeNet(models.Input{Channels: 3, Size: 224, Classes: 1000}, models.WithoutAux())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(zooFile(t, "googlenet.txt")), "\n"), "\n")
	i := slices.Index(lines, "  (aux1): InceptionAux(")
	j := slices.Index(lines, "  (avgpool): AdaptiveAvgPool2d(output_size=(1, 1))")
	if i < 0 || j < i {
		t.Fatal("googlenet.txt has no aux1 block before avgpool")
	}
	if got, want := m.String(), strings.Join(append(lines[:i:i], lines[j:]...), "\n"); got != want {
		t.Errorf("print:\n%s\nwant torchvision's without aux:\n%s", got, want)
	}
	var keys map[string][][3]any
	if err := json.Unmarshal(zooFile(t, "state_dict_keys.json"), &keys); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, k := range keys["googlenet"] {
		if name := k[0].(string); !strings.HasPrefix(name, "aux1.") && !strings.HasPrefix(name, "aux2.") {
			want = append(want, name)
		}
	}
	var got []string
	for _, p := range m.StateDict() {
		got = append(got, p.Name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("state_dict keys differ from torchvision's without aux: %d keys, want %d", len(got), len(want))
	}
	n := 0
	for _, p := range m.Parameters() {
		n += p.Numel()
	}
	if n != 6624904 {
		t.Errorf("%d parameters, want 6624904", n)
	}

	small, _ := models.NewGoogLeNet(models.Input{Channels: 1, Size: 32, Classes: 10}, models.WithoutAux())
	small.Train()
	y := small.Call(tensor.Full(0.5, 2, 1, 32, 32))
	if a, b := small.AuxLogits(); a != nil || b != nil {
		t.Error("auxiliary logits without auxiliary classifiers")
	}
	targets := []int{1, 2}
	if got, want := small.Loss(y, targets).Item(), tensor.CrossEntropy(y, targets).Item(); got != want {
		t.Errorf("loss %v, want the cross-entropy %v", got, want)
	}
}

// TestInceptionJoinedMatchesCat: a block prepared for inference writes
// each branch's channels in place (Inception.joined); its output is what
// the branches joined by Cat give, as they run when a hook is in the way
// or gradients are recorded.
func TestInceptionJoinedMatchesCat(t *testing.T) {
	nn.ManualSeed(3)
	m := models.NewInception(24, 8, 6, 12, 4, 8, 8)
	x := tensor.Zeros(2, 24, 9, 11)
	for i := range x.Data() {
		x.Data()[i] = float32(i%17)/8 - 1
	}
	forward := foldedForward(t, m, x)
	joined := forward()
	remove := m.Branch3.RegisterForwardHook(func(nn.Module, *tensor.Tensor) {})
	cat := forward()
	remove()
	if !slices.Equal(joined, cat) {
		t.Errorf("joined in place: %v...\nwith Cat: %v...", joined[:8], cat[:8])
	}
	if len(joined) != 2*(8+12+8+8)*9*11 {
		t.Errorf("%d outputs", len(joined))
	}
}

// TestGoogLeNetPooledBlockMatches: prepared for inference, inception3b
// and maxpool3, and inception4e and maxpool4, run as one operation each,
// each branch pooling its channels as they are computed; a hook on a
// block, which must see its output, makes them run one after the other.
// The logits must be the same.
func TestGoogLeNetPooledBlockMatches(t *testing.T) {
	nn.ManualSeed(4)
	m, err := models.NewGoogLeNet(models.Input{Channels: 3, Size: 64, Classes: 10}, models.WithoutAux())
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.Zeros(2, 3, 64, 64)
	for i := range x.Data() {
		x.Data()[i] = float32(i%23)/11 - 1
	}
	forward := foldedForward(t, m, x)
	fused := forward()
	var seen3b, seen4e []int
	remove3b := m.Inception3b.RegisterForwardHook(func(_ nn.Module, out *tensor.Tensor) { seen3b = out.Shape() })
	remove4e := m.Inception4e.RegisterForwardHook(func(_ nn.Module, out *tensor.Tensor) { seen4e = out.Shape() })
	apart := forward()
	remove3b()
	remove4e()
	if !slices.Equal(seen3b, []int{2, 480, 8, 8}) || !slices.Equal(seen4e, []int{2, 832, 4, 4}) {
		t.Errorf("the blocks' hooks saw %v and %v", seen3b, seen4e)
	}
	if !slices.Equal(fused, apart) {
		t.Errorf("fused: %v...\napart: %v...", fused[:4], apart[:4])
	}
}

// foldedForward prepares m for inference (Eval, FoldBatchNorm with x) and
// returns a function that runs it on x with no gradients and returns a
// copy of its output.
func foldedForward(t *testing.T, m nn.Module, x *tensor.Tensor) func() []float32 {
	t.Helper()
	m.ModuleBase().Eval()
	if _, err := nn.FoldBatchNorm(m, x); err != nil {
		t.Fatal(err)
	}
	return func() []float32 {
		s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
		return m.ModuleBase().Call(s.Input(x)).Clone().Data()
	}
}
