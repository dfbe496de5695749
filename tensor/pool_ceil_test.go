package tensor

import (
	"math"
	"testing"
)

// TestPoolCeilOverhang pools maps smaller than the window in ceil mode,
// which PyTorch allows (GoogLeNet's last max pooling of MNIST's 1×1 map):
// the one window covers what there is. Without ceil mode it is an error.
func TestPoolCeilOverhang(t *testing.T) {
	cases := []struct {
		name  string
		p     Pooling
		x     []float32
		shape []int
		want  []float32
	}{
		{"max 1x1 by 2", Pooling{Max: true, Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}, CeilMode: true}, []float32{3, -1}, []int{1, 2, 1, 1}, []float32{3, -1}},
		{"avg 1x1 by 2", Pooling{Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}, CeilMode: true}, []float32{3, -1}, []int{1, 2, 1, 1}, []float32{3, -1}},
		{"max 3x3 stride 2: a NaN wins its windows", Pooling{Max: true, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}},
			[]float32{1, 9, 9, 0, 2, 2, 3, 0, 1, 0, float32(math.NaN()), 5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 1, 1, 1}, []int{1, 1, 5, 5},
			[]float32{float32(math.NaN()), 9, float32(math.NaN()), 8}},
		{"max 2x2 by 3", Pooling{Max: true, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, CeilMode: true}, []float32{1, 5, 2, 4}, []int{1, 1, 2, 2}, []float32{5}},
	}
	for _, c := range cases {
		x := New(c.x, c.shape...)
		x.SetRequiresGrad(true)
		y := Pool2d(x, c.p)
		if !equalNaN(y.Data(), c.want) {
			t.Errorf("%s: %v, want %v", c.name, y.Data(), c.want)
		}
		Sum(y).Backward()
		if x.Grad() == nil {
			t.Errorf("%s: no gradient", c.name)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a 1x1 map by a 2x2 window without ceil mode did not panic")
		}
	}()
	MaxPool2d(New([]float32{1}, 1, 1, 1, 1), [2]int{2, 2}, [2]int{2, 2}, [2]int{})
}

// equalNaN is slices.Equal with NaN equal to NaN.
func equalNaN(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(a[i] != a[i] && b[i] != b[i]) {
			return false
		}
	}
	return true
}

// TestPoolingOutputSize: OutputSize gives Pool2d's output height and
// width, in ceil mode and not.
func TestPoolingOutputSize(t *testing.T) {
	for _, c := range []struct {
		p    Pooling
		h, w int
	}{
		{Pooling{Max: true, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, CeilMode: true}, 28, 28},
		{Pooling{Max: true, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}}, 28, 27},
		{Pooling{Max: true, Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}, CeilMode: true}, 14, 9},
		{Pooling{Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}, CeilMode: true}, 7, 1},
	} {
		oh, ow := c.p.OutputSize(c.h, c.w)
		got := Pool2d(Zeros(1, 1, c.h, c.w), c.p).Shape()
		if got[2] != oh || got[3] != ow {
			t.Errorf("%+v on %dx%d: OutputSize %dx%d, Pool2d %v", c.p, c.h, c.w, oh, ow, got)
		}
	}
}
