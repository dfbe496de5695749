package nn

import (
	"testing"

	"github.com/convnet/convnet/tensor"
)

// embedded is a module that embeds a Sequential, which FuseConvBlocks
// fuses too.
type embedded struct{ Sequential }

func TestFuseConvBlocksFindsBlocks(t *testing.T) {
	conv := func() Module { return NewConv2d(2, 2, 3, Padding(1)) }
	child := func(name string, m Module) Child { return Child{name, m} }
	inner := NewSequential(child("c", conv()), child("p", NewAvgPool2d(2, 2, 0)))
	emb := &embedded{}
	emb.Init(emb, "Embedded")
	emb.AddModule("c", conv())
	emb.AddModule("t", NewTanh())
	s := NewSequential(
		child("c1", conv()), child("a1", NewReLU()), child("p1", NewMaxPool2d(2, 2, 0)), // 0: conv, act, pool
		child("c2", conv()), child("c3", conv()), child("a3", NewTanh()), // 4: conv, act
		child("a", NewReLU()),                    // no convolution before it: alone
		child("inner", inner), child("emb", emb), // fused inside
		child("c4", conv()), // last: alone
	)
	if s.blocks != nil {
		t.Fatal("a Sequential has blocks before FuseConvBlocks")
	}
	if got := FuseConvBlocks(s); got != s {
		t.Fatal("FuseConvBlocks did not return its argument")
	}
	FuseConvBlocks(s) // again: the same blocks
	type want struct{ start, layers, actAt, poolAt int }
	for _, c := range []struct {
		name string
		s    *Sequential
		want []want
	}{
		{"outer", s, []want{{0, 3, 1, 2}, {4, 2, 1, 0}}},
		{"inner", inner, []want{{0, 2, 0, 1}}},
		{"embedded", &emb.Sequential, []want{{0, 2, 1, 0}}},
	} {
		var got []want
		for _, b := range c.s.blocks {
			got = append(got, want{b.start, len(b.layers), b.actAt, b.poolAt})
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: blocks %v, want %v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: blocks %v, want %v", c.name, got, c.want)
			}
		}
	}

	// A hook leaves the layers from the hooked one on to run apart.
	b := &s.blocks[0]
	if n := b.ready(s.children); n != 3 {
		t.Errorf("ready = %d without hooks, want 3", n)
	}
	for _, c := range []struct {
		layer string
		want  int
	}{{"c1", 0}, {"a1", 0}, {"p1", 2}} {
		remove := s.Child(c.layer).ModuleBase().RegisterForwardHook(func(Module, *tensor.Tensor) {})
		if n := b.ready(s.children); n != c.want {
			t.Errorf("ready = %d with a hook on %s, want %d", n, c.layer, c.want)
		}
		remove()
	}
	// A Sequential that is not what the pass saw runs its children apart.
	if n := b.ready(s.children[:2]); n != 0 {
		t.Errorf("ready = %d on fewer children, want 0", n)
	}
}
