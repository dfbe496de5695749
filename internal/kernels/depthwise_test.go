package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestDepthwiseMatchesGroupedGemm compares the depthwise kernel with the
// GEMM per group on MobileNetV2's shapes, forward and backward.
func TestDepthwiseMatchesGroupedGemm(t *testing.T) {
	defer func() { depthwiseOff = false }()
	r := rand.New(rand.NewPCG(3, 4))
	for _, p := range []Conv{
		{N: 2, C: 32, H: 28, W: 28, K: 32, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, Groups: 32},
		{N: 2, C: 24, H: 29, W: 27, K: 24, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Groups: 24},
		{N: 3, C: 16, H: 7, W: 7, K: 32, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, Groups: 16},
	} {
		x, w, b := randSlice(r, p.N*p.C*p.H*p.W), randSlice(r, p.K*p.R*p.S), randSlice(r, p.K)
		dy := randSlice(r, p.N*p.K*p.OutH()*p.OutW())
		var res [2][4][]float32
		for i, off := range []bool{false, true} {
			depthwiseOff = off
			y, dx, dw, db := make([]float32, len(dy)), make([]float32, len(x)), make([]float32, len(w)), make([]float32, p.K)
			cols := make([]float32, p.ColsSize())
			Conv2d(p, x, w, b, y, cols)
			Conv2dBackward(p, x, w, dy, dx, false, dw, db, cols)
			res[i] = [4][]float32{y, dx, dw, db}
		}
		for j, what := range []string{"y", "dx", "dw", "db"} {
			closeTo(t, fmt.Sprintf("%+v %s", p, what), res[0][j], res[1][j], 1e-4)
		}
	}
}

// BenchmarkDepthwise times MobileNet's depthwise 3×3 convolution, 32
// channels of 112×112 at batch 10, stride 1 and 2, with the depthwise
// kernel and with a GEMM per group (as a grouped convolution runs).
func BenchmarkDepthwise(b *testing.B) {
	defer func() { depthwiseOff = false }()
	r := rand.New(rand.NewPCG(1, 1))
	for _, stride := range []int{1, 2} {
		p := Conv{N: 10, C: 32, H: 112, W: 112, K: 32, R: 3, S: 3, StrideH: stride, StrideW: stride, PadH: 1, PadW: 1, Groups: 32}
		x, w, bias := randSlice(r, p.N*p.C*p.H*p.W), randSlice(r, p.K*p.R*p.S), randSlice(r, p.K)
		y := make([]float32, p.N*p.K*p.OutH()*p.OutW())
		dx, dw, db := make([]float32, len(x)), make([]float32, len(w)), make([]float32, p.K)
		for _, way := range []string{"depthwise", "grouped-gemm"} {
			depthwiseOff = way == "grouped-gemm"
			cols := make([]float32, p.ColsSize())
			name := fmt.Sprintf("stride%d/%s", stride, way)
			b.Run(name+"/forward", func(b *testing.B) {
				depthwiseOff = way == "grouped-gemm"
				for b.Loop() {
					Conv2d(p, x, w, bias, y, cols)
				}
				b.ReportMetric(float64(4*(len(x)+len(y)))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
			b.Run(name+"/backward", func(b *testing.B) {
				depthwiseOff = way == "grouped-gemm"
				Conv2d(p, x, w, bias, y, cols)
				for b.Loop() {
					Conv2dBackward(p, x, w, y, dx, false, dw, db, cols)
				}
			})
		}
	}
}

// TestDwConv3x3VectorMatchesGo compares the vector kernels of the 3×3
// depthwise rows with their Go loops, for row lengths around the chunks
// of 16, row steps of 1 and 2 rows, and padded rows.
func TestDwConv3x3VectorMatchesGo(t *testing.T) {
	defer func(k microKernel) { activeKernel = k }(activeKernel)
	r := rand.New(rand.NewPCG(7, 8))
	for _, kern := range kernelsAvailable() {
		activeKernel = kern
		for _, cols := range []int{1, 2, 5, 15, 16, 17, 31, 32, 33, 56, 112} {
			for _, rows := range []int{1, 3, 7} {
				for _, step := range []int{1, 2} {
					for _, extra := range []int{0, 3} {
						ldx := cols + 2 + extra
						x := randSlice(r, ((rows-1)*step+3)*ldx)
						var w [10]float32
						copy(w[:], randSlice(r, 10))
						got, want := make([]float32, rows*cols), make([]float32, rows*cols)
						if !dwConv3x3Vector(x, ldx, step*ldx, got, rows, cols, &w) {
							dwConv3x3Go(x, ldx, step*ldx, got, rows, cols, &w)
						}
						dwConv3x3Go(x, ldx, step*ldx, want, rows, cols, &w)
						name := fmt.Sprintf("%s cols=%d rows=%d step=%d ldx=%d", kern.name, cols, rows, step, ldx)
						closeTo(t, name+" y", got, want, 1e-5)
						dy := randSlice(r, rows*cols)
						gotDw, wantDw := randSlice(r, 9), make([]float32, 9)
						copy(wantDw, gotDw)
						dwGrad3x3(x, ldx, step*ldx, dy, rows, cols, gotDw)
						dwGrad3x3Go(x, ldx, step*ldx, dy, rows, cols, wantDw)
						closeTo(t, name+" dw", gotDw, wantDw, 1e-4)
					}
				}
			}
		}
	}
}
