package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestKvecKernelsMatchGo compares every assembly kernel of the
// channel-vectorised convolution with its Go definition in kvecGo, on
// every forward width, both kernel sizes, and partial rows and columns.
func TestKvecKernelsMatchGo(t *testing.T) {
	for _, kern := range kernelsAvailable() {
		if kern.kvec == nil {
			continue
		}
		k := kern.kvec
		r := rand.New(rand.NewPCG(31, 32))
		t.Run(k.name, func(t *testing.T) {
			for _, S := range []int{3, 5} {
				for width := 1; width <= kvecMaxWidth(S); width++ {
					for _, withBias := range []bool{false, true} {
						const wp = 20
						offs := []int{0, 23, 50, 71}
						x := randSlice(r, offs[len(offs)-1]+wp+width+S-1)
						w, bias := randSlice(r, len(offs)*S*kvecLanes), randSlice(r, kvecLanes)
						if !withBias {
							bias = nil
						}
						const ldy = 14*kvecLanes + 5
						got, want := make([]float32, 2*ldy), make([]float32, 2*ldy)
						k.forward(width, x, offs, S, wp, w, bias, got, ldy)
						kvecGo.forward(width, x, offs, S, wp, w, bias, want, ldy)
						closeTo(t, fmt.Sprintf("forward S %d width %d bias %v", S, width, withBias), got, want, 1e-5)
					}
				}
			}
			for _, R := range []int{3, 5} {
				for _, withBias := range []bool{false, true} {
					const wp, ldDy, oh, ow = 13, 20 * kvecLanes, 7, 9
					x, dy := randSlice(r, (oh+R-1)*wp), randSlice(r, oh*ldDy)
					dw := randSlice(r, R*R*kvecLanes+kvecLanes)
					got, want := append([]float32(nil), dw...), append([]float32(nil), dw...)
					var gotDb, wantDb []float32
					if withBias {
						gotDb, wantDb = got[R*R*kvecLanes:], want[R*R*kvecLanes:]
					}
					k.weightGrad(R, R, x, wp, dy, ldDy, oh, ow, got[:R*R*kvecLanes], gotDb)
					kvecGo.weightGrad(R, R, x, wp, dy, ldDy, oh, ow, want[:R*R*kvecLanes], wantDb)
					closeTo(t, fmt.Sprintf("weight gradient %dx%d bias %v", R, R, withBias), got, want, 1e-4)
				}
			}
			for _, c := range []struct{ nkb, nr, S, C, n, ow int }{
				{1, 1, 1, 1, 16, 0}, {1, 5, 5, 6, 14, 0}, {2, 3, 3, 2, 1, 0}, {2, 2, 5, 3, 9, 0},
				{1, 5, 5, 6, 14, 10}, {1, 2, 5, 2, 16, 12}, {2, 3, 3, 3, 5, 3}, {1, 1, 3, 1, 16, 14},
			} {
				ldRow := (kvecLanes + c.S + 2) * kvecLanes
				dyKb := c.nr*ldRow + 7
				dy := randSlice(r, c.nkb*dyKb)
				if c.ow > 0 {
					// Zeros where the row has no output gradient.
					for b := 0; b < c.nkb; b++ {
						for i := 0; i < c.nr; i++ {
							row := dy[b*dyKb+i*ldRow : b*dyKb+(i+1)*ldRow]
							clear(row[:(c.S-1)*kvecLanes])
							clear(row[(c.S-1+c.ow)*kvecLanes:])
						}
					}
				}
				wC := c.nr*c.S*kvecLanes + 5
				wKb := c.C*wC + 3
				w := randSlice(r, c.nkb*wKb)
				const ldOut = kvecLanes + 3
				for _, add := range []bool{false, true} {
					before := randSlice(r, c.C*ldOut)
					got, want := append([]float32(nil), before...), append([]float32(nil), before...)
					a := kvecInputRow{dy: dy, ldRow: ldRow, dyKb: dyKb, nkb: c.nkb, nr: c.nr,
						w: w, wKb: wKb, wC: wC, S: c.S, C: c.C, ldOut: ldOut, n: c.n, add: add, ow: c.ow}
					a.out = got
					k.inputGrad(a)
					a.out = want
					kvecGo.inputGrad(a)
					closeTo(t, fmt.Sprintf("input gradient %+v add %v", c, add), got, want, 1e-4)
				}
			}
			for _, c := range [][2]int{{16, 16}, {1, 16}, {16, 1}, {10, 16}, {16, 10}, {7, 3}} {
				rows, cols := c[0], c[1]
				const lds, ldd = 19, 21
				src := randSlice(r, rows*lds)
				dst := randSlice(r, cols*ldd+1)
				got, want := append([]float32(nil), dst...), append([]float32(nil), dst...)
				k.transpose(src, lds, rows, cols, got, ldd)
				kvecGo.transpose(src, lds, rows, cols, want, ldd)
				closeTo(t, fmt.Sprintf("transpose %dx%d", rows, cols), got, want, 0)
			}
		})
	}
}

// BenchmarkKvecKernels times each channel-vectorised kernel on LeNet-5's
// conv2 sizes, on one thread, with its useful GFLOP/s.
func BenchmarkKvecKernels(b *testing.B) {
	k := activeKernel.kvec
	if k == nil {
		b.Skip("no channel-vectorised kernels on this CPU")
	}
	r := rand.New(rand.NewPCG(1, 1))
	const C, H, R, oh = 6, 14, 5, 10
	x, w := randSlice(r, C*H*H+H), randSlice(r, C*R*R*kvecLanes)
	offs := make([]int, C*R)
	for i := range offs {
		offs[i] = i/R*H*H + i%R*H
	}
	y := make([]float32, oh*oh*kvecLanes)
	dyp := randSlice(r, oh*20*kvecLanes)
	flops := func(b *testing.B, macs int) {
		b.ReportMetric(2*float64(macs)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
	b.Run("forward", func(b *testing.B) {
		for b.Loop() {
			for oy := 0; oy < oh; oy += 2 {
				k.forward(oh, x[oy*H:], offs, R, H, w, nil, y[oy*oh*kvecLanes:], oh*kvecLanes)
			}
		}
		flops(b, oh*oh*C*R*R*kvecLanes)
	})
	b.Run("weight-grad", func(b *testing.B) {
		dw := make([]float32, R*R*kvecLanes)
		for b.Loop() {
			for c := 0; c < C; c++ {
				k.weightGrad(R, R, x[c*H*H:], H, dyp[4*kvecLanes:], 20*kvecLanes, oh, oh, dw, nil)
			}
		}
		flops(b, oh*oh*C*R*R*kvecLanes)
	})
	b.Run("input-grad", func(b *testing.B) {
		out := make([]float32, C*H*H)
		a := kvecInputRow{ldRow: 20 * kvecLanes, nkb: 1, wC: R * R * kvecLanes, S: R, C: C,
			ldOut: H * H, n: H, ow: oh}
		for b.Loop() {
			for yp := 0; yp < H; yp++ {
				rlo, rhi := max(0, yp-oh+1), min(R-1, yp)
				a.dy, a.nr, a.w, a.out = dyp[(yp-rhi)*20*kvecLanes:], rhi-rlo+1, w, out[yp*H:]
				k.inputGrad(a)
			}
		}
		flops(b, oh*oh*C*R*R*kvecLanes)
	})
	b.Run("transpose", func(b *testing.B) {
		for b.Loop() {
			for oy := 0; oy < oh; oy++ {
				k.transpose(y[oy*oh:], oh*oh, kvecLanes, oh, dyp[oy*20*kvecLanes:], kvecLanes)
			}
		}
	})
}
