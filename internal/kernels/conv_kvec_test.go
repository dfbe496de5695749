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

// TestXvecKernelsMatchGo compares the column-vectorised assembly kernels
// with their Go definitions in xvecGo, on every channel count, one and
// two rows, widths of 17 to 32, and with and without the bias lanes.
func TestXvecKernelsMatchGo(t *testing.T) {
	for _, kern := range kernelsAvailable() {
		if kern.xvec == nil {
			continue
		}
		k := kern.xvec
		r := rand.New(rand.NewPCG(33, 34))
		t.Run(k.name, func(t *testing.T) {
			for K := 1; K <= xvecMaxK; K++ {
				for _, rows := range []int{1, 2} {
					for _, width := range []int{17, 28, 32} {
						const S, wp = 5, 40
						offs := []int{0, 43, 90}
						x := randSlice(r, offs[len(offs)-1]+wp+2*kvecLanes+S)
						w, bias := randSlice(r, len(offs)*S*K), randSlice(r, K)
						const ldk, ldy = 100, 33
						got, want := randSlice(r, K*ldk), make([]float32, K*ldk)
						copy(want, got)
						k.forward(K, x, offs, S, wp, w, bias, got, ldk, ldy, rows, width)
						xvecGo.forward(K, x, offs, S, wp, w, bias, want, ldk, ldy, rows, width)
						closeTo(t, fmt.Sprintf("forward K %d rows %d width %d", K, rows, width), got, want, 1e-5)
					}
				}
			}
			for _, S := range []int{3, 5} {
				for K := 1; K <= xvecGroup; K++ {
					for _, width := range []int{17, 28, 32} {
						for _, withBias := range []bool{false, true} {
							const wp, ldk, ldy, oh = 40, 200, 35, 5
							x, dy := randSlice(r, (oh-1)*wp+2*kvecLanes+S), randSlice(r, K*ldk)
							got := randSlice(r, K*S*kvecLanes+K*kvecLanes)
							want := append([]float32(nil), got...)
							var gotDb, wantDb []float32
							if withBias {
								gotDb, wantDb = got[K*S*kvecLanes:], want[K*S*kvecLanes:]
							}
							k.weightGrad(K, S, x, wp, dy, ldk, ldy, oh, width, got[:K*S*kvecLanes], gotDb)
							xvecGo.weightGrad(K, S, x, wp, dy, ldk, ldy, oh, width, want[:K*S*kvecLanes], wantDb)
							closeTo(t, fmt.Sprintf("weight gradient S %d K %d width %d bias %v", S, K, width, withBias), got, want, 1e-4)
						}
					}
				}
			}
		})
	}
}

// BenchmarkXvecKernels times the column-vectorised kernels on LeNet-5's
// conv1 sizes for one image, on one thread, with their GFLOP/s.
func BenchmarkXvecKernels(b *testing.B) {
	k := activeKernel.xvec
	if k == nil {
		b.Skip("no column-vectorised kernels on this CPU")
	}
	r := rand.New(rand.NewPCG(1, 1))
	const K, R, hp, oh = 6, 5, 32, 28
	x, w, bias := randSlice(r, hp*hp+3*hp), randSlice(r, R*R*K), randSlice(r, K)
	offs := []int{0, hp, 2 * hp, 3 * hp, 4 * hp}
	y := make([]float32, K*oh*oh)
	flops := func(b *testing.B) {
		b.ReportMetric(2*float64(K*oh*oh*R*R)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
	b.Run("forward", func(b *testing.B) {
		for b.Loop() {
			for oy := 0; oy < oh; oy += 2 {
				k.forward(K, x[oy*hp:], offs, R, hp, w, bias, y[oy*oh:], oh*oh, oh, 2, oh)
			}
		}
		flops(b)
	})
	b.Run("weight-grad", func(b *testing.B) {
		dw := make([]float32, xvecGroup*R*kvecLanes)
		for b.Loop() {
			for _, off := range offs {
				for k0 := 0; k0 < K; k0 += xvecGroup {
					k.weightGrad(xvecGroup, R, x[off:], hp, y[k0*oh*oh:], oh*oh, oh, oh, oh, dw, nil)
				}
			}
		}
		flops(b)
	})
}
