package tensor_test

import (
	"testing"

	"github.com/convnet/convnet/tensor"
)

// benchmarkBinary times op on two same-shape 64×64×14×14 tensors (a
// ResNet block's residual sum), forward and backward, in a scope with an
// arena.
func benchmarkBinary(b *testing.B, op func(x, y *tensor.Tensor) *tensor.Tensor) {
	x := tensor.Full(0.5, 64, 64, 14, 14).SetRequiresGrad(true)
	y := tensor.Full(0.25, 64, 64, 14, 14).SetRequiresGrad(true)
	arena := tensor.NewArena()
	s := tensor.NewScope(tensor.ScopeOptions{Arena: arena})
	step := func() {
		arena.Reset()
		tensor.Sum(op(s.Input(x), s.Input(y))).Backward()
	}
	step()
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
}

func BenchmarkAddSameShape(b *testing.B) { benchmarkBinary(b, tensor.Add) }
func BenchmarkMulSameShape(b *testing.B) { benchmarkBinary(b, tensor.Mul) }

// benchmarkBinaryForward times op alone on the same tensors, in a scope
// without gradients (inference).
func benchmarkBinaryForward(b *testing.B, op func(x, y *tensor.Tensor) *tensor.Tensor) {
	x := tensor.Full(0.5, 64, 64, 14, 14)
	y := tensor.Full(0.25, 64, 64, 14, 14)
	arena := tensor.NewArena()
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Arena: arena})
	step := func() {
		arena.Reset()
		op(s.Input(x), s.Input(y))
	}
	step()
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
}

func BenchmarkAddSameShapeForward(b *testing.B) { benchmarkBinaryForward(b, tensor.Add) }
func BenchmarkMulSameShapeForward(b *testing.B) { benchmarkBinaryForward(b, tensor.Mul) }
