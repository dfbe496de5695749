package nn_test

import (
	"slices"
	"testing"

	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// heads is three conv, batch norm and ReLU stacks on one input, their
// outputs joined along the channels: an Inception block's 1×1 stages.
type heads struct {
	nn.Base
	convs    []*nn.Conv2d
	norms    []*nn.BatchNorm2d
	siblings *nn.Siblings
	joined   bool // Forward runs the convolutions as one (Siblings.Into)
	ran      bool // and the last Forward did
}

func newHeads(in int, kernel []int, outs ...int) *heads {
	m := &heads{}
	m.Init(m, "heads")
	for i, out := range outs {
		c := nn.Add(&m.Base, "conv"+string(rune('a'+i)), nn.NewConv2d(in, out, kernel[i], nn.Padding(kernel[i]/2)))
		bn := nn.Add(&m.Base, "bn"+string(rune('a'+i)), nn.NewBatchNorm2d(out))
		m.convs, m.norms = append(m.convs, c), append(m.norms, bn)
	}
	m.siblings = nn.NewSiblings(m.convs, m.norms)
	return m
}

func (m *heads) Forward(x *tensor.Tensor) *tensor.Tensor {
	shape, width := x.Shape(), 0
	var parts []tensor.ChannelPart
	for _, c := range m.convs {
		parts = append(parts, tensor.ChannelPart{Channel: width, Channels: c.OutChannels})
		width += c.OutChannels
	}
	m.ran = false
	if m.joined {
		if y, ok := tensor.JoinChannels(x, shape[0], width, shape[2], shape[3]); ok {
			for i := range parts {
				parts[i].Dst = y
			}
			if m.siblings.Into(x, tensor.ActReLU, parts, m) {
				m.ran = true
				return y
			}
		}
	}
	var outs []*tensor.Tensor
	for i, c := range m.convs {
		outs = append(outs, tensor.ReLU(m.norms[i].Call(c.Call(x))))
	}
	return tensor.Cat(outs, 1)
}

// TestSiblings: three folded 1×1 convolutions run as one give exactly
// what they give one by one, also after new statistics are folded in;
// a convolution of another shape among them, or a hook, makes Into
// decline.
func TestSiblings(t *testing.T) {
	nn.ManualSeed(5)
	m := newHeads(12, []int{1, 1, 1}, 8, 5, 3)
	x := tensor.Zeros(2, 12, 9, 7)
	for i := range x.Data() {
		x.Data()[i] = float32(i%19)/9 - 1
	}
	forward := func(joined bool) []float32 {
		m.joined = joined
		s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
		return m.Call(s.Input(x)).Clone().Data()
	}
	m.Eval()
	for round := range 2 {
		for _, bn := range m.norms {
			for i := range bn.RunningVar.Data() {
				bn.RunningVar.Data()[i] = float32(1 + round + i%3)
				bn.RunningMean.Data()[i] = float32(i%5)/10 - float32(round)
			}
		}
		if _, err := nn.FoldBatchNorm(m, x); err != nil {
			t.Fatal(err)
		}
		got := forward(true)
		if !m.ran {
			t.Fatalf("round %d: the folded convolutions did not run as one", round)
		}
		if want := forward(false); !slices.Equal(got, want) {
			t.Errorf("round %d: joined %v...\none by one %v...", round, got[:6], want[:6])
		}
	}
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true})
	y, _ := tensor.JoinChannels(s.Input(x), 2, 16, 9, 7)
	parts := []tensor.ChannelPart{{Dst: y, Channels: 8}, {Dst: y, Channel: 8, Channels: 5}, {Dst: y, Channel: 13, Channels: 3}}
	remove := m.norms[1].RegisterForwardHook(func(nn.Module, *tensor.Tensor) {})
	if m.siblings.Into(s.Input(x), tensor.ActReLU, parts, m) {
		t.Error("Into ran past a hook on a batch norm")
	}
	remove()

	mixed := newHeads(12, []int{1, 3, 1}, 8, 5, 3)
	mixed.Eval()
	if _, err := nn.FoldBatchNorm(mixed, x); err != nil {
		t.Fatal(err)
	}
	if mixed.siblings.Into(s.Input(x), tensor.ActReLU, parts, mixed) {
		t.Error("Into ran convolutions of different kernels as one")
	}
}
