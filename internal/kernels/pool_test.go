package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// poolDef is PyTorch's definition of the poolings with every option,
// written out for comparison: the averages and maxima (with argmax) of x,
// and the input gradients of both for the output gradient dy.
func poolDef(p Pool, x, dy []float32) (avg, mx []float32, arg []int32, dAvg, dMax []float32) {
	oh, ow := p.OutH(), p.OutW()
	avg, mx, arg = make([]float32, p.N*p.C*oh*ow), make([]float32, p.N*p.C*oh*ow), make([]int32, p.N*p.C*oh*ow)
	dAvg, dMax = make([]float32, len(x)), make([]float32, len(x))
	for plane := 0; plane < p.N*p.C; plane++ {
		in := x[plane*p.H*p.W:]
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				o := (plane*oh+oy)*ow + ox
				// The taps, and the divisor of the average.
				var taps []int
				var div int
				if p.adaptive() {
					y0, y1 := int(math.Floor(float64(oy*p.H)/float64(oh))), int(math.Ceil(float64((oy+1)*p.H)/float64(oh)))
					x0, x1 := int(math.Floor(float64(ox*p.W)/float64(ow))), int(math.Ceil(float64((ox+1)*p.W)/float64(ow)))
					for iy := y0; iy < y1; iy++ {
						for ix := x0; ix < x1; ix++ {
							taps = append(taps, iy*p.W+ix)
						}
					}
					div = len(taps)
				} else {
					h0, w0 := oy*p.StrideH-p.PadH, ox*p.StrideW-p.PadW
					for r := 0; r < p.KH; r++ {
						for s := 0; s < p.KW; s++ {
							iy, ix := h0+r*p.dilH(), w0+s*p.dilW()
							if iy >= 0 && iy < p.H && ix >= 0 && ix < p.W {
								taps = append(taps, iy*p.W+ix)
							}
						}
					}
					div = (min(h0+p.KH, p.H+p.PadH) - h0) * (min(w0+p.KW, p.W+p.PadW) - w0)
					if p.ExcludePad {
						div = len(taps)
					}
				}
				var s float64
				best, at := float32(math.Inf(-1)), int32(-1)
				for _, i := range taps {
					s += float64(in[i])
					if in[i] > best || at < 0 {
						best, at = in[i], int32(i)
					}
				}
				avg[o] = float32(s / float64(div))
				mx[o], arg[o] = best, at
				for _, i := range taps {
					dAvg[plane*p.H*p.W+i] += dy[o] / float32(div)
				}
				if at >= 0 {
					dMax[plane*p.H*p.W+int(at)] += dy[o]
				}
			}
		}
	}
	return avg, mx, arg, dAvg, dMax
}

// TestPoolOptionsMatchDefinition checks padding, ceil mode, dilation,
// count_include_pad=False and adaptive sizes, forward and backward.
func TestPoolOptionsMatchDefinition(t *testing.T) {
	defer SetThreads(2)
	r := rand.New(rand.NewPCG(9, 10))
	for _, p := range []Pool{
		// GoogLeNet's MaxPool2d(3, 2, ceil_mode=True) on odd and even sides.
		{N: 2, C: 3, H: 15, W: 16, KH: 3, KW: 3, StrideH: 2, StrideW: 2, CeilMode: true},
		// ResNet's MaxPool2d(3, 2, 1).
		{N: 2, C: 3, H: 16, W: 15, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		{N: 1, C: 2, H: 7, W: 8, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, CeilMode: true},
		{N: 1, C: 2, H: 7, W: 9, KH: 2, KW: 2, StrideH: 2, StrideW: 2, CeilMode: true},
		{N: 2, C: 2, H: 6, W: 6, KH: 2, KW: 2, StrideH: 2, StrideW: 2, CeilMode: true},
		{N: 1, C: 2, H: 8, W: 9, KH: 3, KW: 2, StrideH: 3, StrideW: 2, PadH: 1, PadW: 1, CeilMode: true, ExcludePad: true},
		{N: 1, C: 2, H: 7, W: 7, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, ExcludePad: true},
		{N: 1, C: 2, H: 9, W: 10, KH: 3, KW: 2, StrideH: 2, StrideW: 1, PadH: 1, PadW: 1, DilH: 2, DilW: 3},
		{N: 1, C: 2, H: 9, W: 10, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, DilH: 2, DilW: 2, CeilMode: true},
		// Adaptive: to 1×1 (global), to a divisor of the side, and to
		// sizes that make windows overlap, and larger than the input.
		{N: 2, C: 3, H: 7, W: 7, OutputH: 1, OutputW: 1},
		{N: 2, C: 3, H: 8, W: 6, OutputH: 4, OutputW: 3},
		{N: 1, C: 2, H: 10, W: 7, OutputH: 3, OutputW: 5},
		{N: 1, C: 2, H: 3, W: 2, OutputH: 5, OutputW: 4},
		{N: 40, C: 64, H: 7, W: 7, OutputH: 1, OutputW: 1},
	} {
		if !p.Valid() {
			t.Fatalf("%+v: not valid", p)
		}
		x := randSlice(r, p.N*p.C*p.H*p.W)
		dy := randSlice(r, p.N*p.C*p.OutH()*p.OutW())
		wantAvg, wantMax, wantArg, wantDAvg, wantDMax := poolDef(p, x, dy)
		for threads := 1; threads <= 2; threads++ {
			SetThreads(threads)
			name := fmt.Sprintf("%+v threads=%d", p, threads)
			avg, mx, arg := make([]float32, len(wantAvg)), make([]float32, len(wantMax)), make([]int32, len(wantArg))
			MaxPool2d(p, x, mx, arg)
			closeTo(t, name+" max", mx, wantMax, 0)
			for i := range arg {
				if arg[i] != wantArg[i] {
					t.Fatalf("%s: argmax[%d] = %d, want %d", name, i, arg[i], wantArg[i])
				}
			}
			dx := make([]float32, len(x))
			for i := range dx {
				dx[i] = float32(math.NaN()) // every element set
			}
			MaxPool2dBackward(p, dy, arg, dx, false)
			closeTo(t, name+" max dx", dx, wantDMax, 0)
			MaxPool2dBackward(p, dy, arg, dx, true) // added to: twice
			for i := range dx {
				dx[i] -= wantDMax[i]
			}
			closeTo(t, name+" max dx added", dx, wantDMax, 1e-6)
			if p.dilH() > 1 || p.dilW() > 1 {
				continue // averages take no dilation
			}
			AvgPool2d(p, x, avg)
			closeTo(t, name+" avg", avg, wantAvg, 1e-5)
			for i := range dx {
				dx[i] = float32(math.NaN())
			}
			AvgPool2dBackward(p, dy, dx, false)
			closeTo(t, name+" avg dx", dx, wantDAvg, 1e-5)
			AvgPool2dBackward(p, dy, dx, true)
			for i := range wantDAvg {
				wantDAvg[i] *= 2
			}
			closeTo(t, name+" avg dx added", dx, wantDAvg, 1e-5)
			for i := range wantDAvg {
				wantDAvg[i] /= 2
			}
		}
	}
}

// TestPoolOutputSizes checks OutH against PyTorch's output sizes.
func TestPoolOutputSizes(t *testing.T) {
	for _, c := range []struct {
		p    Pool
		want int
	}{
		{Pool{H: 112, KH: 3, StrideH: 2, CeilMode: true}, 56}, // GoogLeNet maxpool1
		{Pool{H: 56, KH: 3, StrideH: 2, CeilMode: true}, 28},  // maxpool2
		{Pool{H: 14, KH: 2, StrideH: 2, CeilMode: true}, 7},   // maxpool4
		{Pool{H: 14, KH: 3, StrideH: 1, PadH: 1, CeilMode: true}, 14},
		{Pool{H: 112, KH: 3, StrideH: 2, PadH: 1}, 56}, // ResNet
		{Pool{H: 5, KH: 2, StrideH: 2, CeilMode: true}, 3},
		{Pool{H: 5, KH: 2, StrideH: 2}, 2},
		{Pool{H: 5, KH: 2, StrideH: 2, PadH: 1, CeilMode: true}, 3}, // a 4th window would start in the padding: dropped
		{Pool{H: 6, KH: 3, StrideH: 3, PadH: 1, CeilMode: true}, 3},
		{Pool{H: 10, KH: 3, StrideH: 1, DilH: 2}, 6},
	} {
		if got := c.p.OutH(); got != c.want {
			t.Errorf("%+v: OutH %d, want %d", c.p, got, c.want)
		}
	}
}

// TestMaxPoolRowsMatchGo checks the vector kernel of max pooling
// (maxPlaneVector) against the Go loop of one window (maxWindow) on rows of every
// width around its 16-lane chunks, both strides, paddings, ceil mode, and
// inputs full of ties, NaNs and infinities.
func TestMaxPoolRowsMatchGo(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	values := []float32{-1, 0, 0.5, 1, float32(math.Inf(-1)), float32(math.Inf(1))}
	var cases []Pool
	for _, w := range []int{1, 2, 3, 5, 7, 14, 15, 16, 17, 31, 32, 33, 34, 35, 56, 57, 112} {
		for _, k := range []int{1, 2, 3, 5} {
			for stride := 1; stride <= 3; stride++ {
				for pad := 0; 2*pad <= k; pad++ {
					for _, ceil := range []bool{false, true} {
						p := Pool{N: 1, C: 2, H: 5, W: w, KH: k, KW: k, StrideH: 2, StrideW: stride,
							PadH: pad, PadW: pad, CeilMode: ceil}
						if p.Valid() {
							cases = append(cases, p)
						}
					}
				}
			}
		}
	}
	for _, p := range cases {
		x := make([]float32, p.N*p.C*p.H*p.W)
		for i := range x {
			x[i] = values[r.IntN(len(values))]
			if r.IntN(40) == 0 {
				x[i] = float32(math.NaN())
			}
		}
		n := p.N * p.C * p.OutH() * p.OutW()
		y, arg := make([]float32, n), make([]int32, n)
		MaxPool2d(p, x, y, arg)
		want := newPoolTask(p, nil)
		want.x, want.y, want.argmax = x, make([]float32, n), make([]int32, n)
		for plane := 0; plane < p.N*p.C; plane++ {
			for oy := 0; oy < want.oh; oy++ {
				for ox := 0; ox < want.ow; ox++ {
					maxWindow(want, plane*want.inHW, plane*want.hw, oy, ox)
				}
			}
		}
		for i := range y {
			same := y[i] == want.y[i] || (y[i] != y[i] && want.y[i] != want.y[i])
			if !same || arg[i] != want.argmax[i] {
				t.Fatalf("%+v: output %d = %v at %d, want %v at %d", p, i, y[i], arg[i], want.y[i], want.argmax[i])
			}
		}
	}
}

// TestMaxPoolWithoutIndex compares the maxima found without their places
// (inference) with those found with them, on planes with ties, NaN and
// infinities, padded and in ceil mode.
func TestMaxPoolWithoutIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, p := range []Pool{
		{N: 2, C: 3, H: 28, W: 28, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		// 3×3, stride 1, padding 1 (maxPlane3x3): the smallest planes,
		// ceil mode, rows around the vectors' 16 lanes and past the
		// kernel's stack buffer (64), one row or column.
		{N: 1, C: 3, H: 2, W: 2, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 2, C: 2, H: 7, W: 7, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, CeilMode: true},
		{N: 1, C: 2, H: 3, W: 17, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 1, C: 2, H: 14, W: 15, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 1, C: 2, H: 1, W: 9, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 1, C: 2, H: 9, W: 1, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 1, C: 2, H: 4, W: 16, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 1, C: 2, H: 5, W: 33, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 1, C: 1, H: 3, W: 70, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
		{N: 1, C: 4, H: 57, W: 57, KH: 3, KW: 3, StrideH: 2, StrideW: 2, CeilMode: true},
		{N: 1, C: 2, H: 13, W: 40, KH: 5, KW: 3, StrideH: 2, StrideW: 1, PadH: 2, PadW: 1},
		{N: 1, C: 1, H: 7, W: 7, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, CeilMode: true},
	} {
		if !MaxPoolWithoutIndex(p) {
			continue // no vector kernel here: the index is always kept
		}
		x := make([]float32, p.N*p.C*p.H*p.W)
		for i := range x {
			switch r := rng.IntN(20); r {
			case 0:
				x[i] = float32(math.NaN())
			case 1:
				x[i] = float32(math.Inf(-1))
			case 2:
				x[i] = float32(math.Inf(1))
			default:
				x[i] = float32(rng.IntN(5)) // ties
			}
		}
		n := p.N * p.C * p.OutH() * p.OutW()
		want, got := make([]float32, n), make([]float32, n)
		MaxPool2d(p, x, want, make([]int32, n))
		MaxPool2d(p, x, got, nil)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
				t.Fatalf("%+v: output %d is %v, want %v", p, i, got[i], want[i])
			}
		}
	}
}

// TestMaxPool3x3Planes checks maxPool3x3Vector on several planes in one
// call against MaxPool2d with argmax, for each stride, padding and ceil
// mode it takes, on planes with NaN and infinities, dense and with rows
// further apart than their width.
func TestMaxPool3x3Planes(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, hw := range [][2]int{{7, 7}, {1, 17}, {6, 40}, {14, 14}, {3, 3}, {29, 70}, {112, 112}} {
		for _, c := range []struct{ stride, pad int }{{1, 1}, {2, 1}, {2, 0}, {1, 0}} {
			for _, ceil := range []bool{false, true} {
				h, w, n := hw[0], hw[1], 3
				p := Pool{N: 1, C: n, H: h, W: w, KH: 3, KW: 3, StrideH: c.stride, StrideW: c.stride, PadH: c.pad, PadW: c.pad, CeilMode: ceil}
				if !p.Valid() {
					continue
				}
				x := randSlice(rng, n*h*w)
				x[rng.IntN(len(x))] = float32(math.NaN())
				x[rng.IntN(len(x))] = float32(math.Inf(1))
				x[rng.IntN(len(x))] = float32(math.Inf(-1))
				oh, ow := p.OutH(), p.OutW()
				want := make([]float32, n*oh*ow)
				MaxPool2d(p, x, want, make([]int32, len(want)))
				// Rows as they lie, and rows 5 apart more with NaN between
				// (a convolution's extended output grid), which must not
				// be read.
				for _, ldx := range []int{w, w + 5} {
					xs := make([]float32, n*h*ldx)
					for i := range xs {
						xs[i] = float32(math.NaN())
					}
					for r := range n * h {
						copy(xs[r*ldx:], x[r*w:(r+1)*w])
					}
					got := make([]float32, n*oh*ow)
					if !maxPool3x3Vector(xs, got, n, h, w, ldx, oh, ow, c.stride, c.pad) {
						t.Skip("no vector kernel here")
					}
					for i := range want {
						if got[i] != want[i] && !(got[i] != got[i] && want[i] != want[i]) {
							t.Fatalf("%+v, rows %d apart: output %d is %v, want %v", p, ldx, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestMaxPoolReLUBackward checks MaxPool2dReLUBackward against the two
// passes it replaces, MaxPool2dBackward then ReluBackward, on the
// pooling of ReLU outputs with zeros, ties and padding, stored and
// added: the results must be identical.
func TestMaxPoolReLUBackward(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, p := range []Pool{
		{N: 2, C: 3, H: 112, W: 112, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
		{N: 1, C: 2, H: 7, W: 9, KH: 2, KW: 2, StrideH: 2, StrideW: 2},
		{N: 1, C: 2, H: 9, W: 7, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, CeilMode: true},
	} {
		for _, add := range []bool{false, true} {
			y := make([]float32, p.N*p.C*p.H*p.W)
			for i := range y {
				y[i] = max(0, float32(r.IntN(5)-2)) // a ReLU's output, often 0, with ties
			}
			out := p.N * p.C * p.OutH() * p.OutW()
			pooled, argmax, dy := make([]float32, out), make([]int32, out), randSlice(r, out)
			MaxPool2d(p, y, pooled, argmax)
			start := randSlice(r, len(y))
			want := append([]float32(nil), start...)
			gy := make([]float32, len(y))
			MaxPool2dBackward(p, dy, argmax, gy, false)
			ReluBackward(y, gy, want, add)
			got := append([]float32(nil), start...)
			MaxPool2dReLUBackward(p, dy, argmax, pooled, got, add)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%+v add %v: dx[%d] = %v, want %v", p, add, i, got[i], want[i])
				}
			}
		}
	}
}
