package tensor

import (
	"math"
	"slices"
	"testing"
)

// TestUnaryParallelMatchesSerial checks the activations' passes split
// over threads (large tensors) against one serial pass, forward and
// backward, overwriting and adding.
func TestUnaryParallelMatchesSerial(t *testing.T) {
	n := 3*minParallel + 7
	x, g := make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(i%97)/8 - 6
		if x[i] == 0 {
			x[i] = 0.5
		}
		g[i] = float32(i%13) - 6
	}
	for op := opSigmoid; op <= opClamp; op++ {
		for _, add := range []bool{false, true} {
			want, got := make([]float32, n), make([]float32, n)
			serial := unaryTask{op: op, x: x, y: want, p0: 0.1, p1: 2}
			serial.do(0, n)
			runUnary(&unaryTask{op: op, x: x, y: got, p0: 0.1, p1: 2})
			if !sameBits(got, want) {
				t.Fatalf("op %d forward: parallel differs from serial", op)
			}
			y := want
			dwant, dgot := slices.Clone(g), slices.Clone(g)
			back := unaryTask{op: op, backward: true, add: add, x: x, y: y, g: g, dx: dwant, p0: 0.1, p1: 2}
			back.do(0, n)
			back.dx = dgot
			runUnary(&back)
			if !sameBits(dgot, dwant) {
				t.Fatalf("op %d backward (add %v): parallel differs from serial", op, add)
			}
		}
	}
}

// sameBits reports whether a and b hold the same float32s bit for bit
// (NaNs included).
func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}
