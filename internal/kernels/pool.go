package kernels

import "math"

// Pool describes a 2-D pooling window over an N×C×H×W input, giving
// N×C×OutH()×OutW(). Padding counts as zeros for averages (PyTorch's
// count_include_pad=True) and as -Inf for maxima.
type Pool struct {
	N, C, H, W       int
	KH, KW           int
	StrideH, StrideW int
	PadH, PadW       int
}

// OutH returns the output height (floor mode).
func (p Pool) OutH() int { return (p.H+2*p.PadH-p.KH)/p.StrideH + 1 }

// OutW returns the output width (floor mode).
func (p Pool) OutW() int { return (p.W+2*p.PadW-p.KW)/p.StrideW + 1 }

// window returns the input rows [y0,y1) and columns [x0,x1) under output
// position (oy, ox), clipped to the image.
func (p Pool) window(oy, ox int) (y0, y1, x0, x1 int) {
	y0, x0 = oy*p.StrideH-p.PadH, ox*p.StrideW-p.PadW
	y1, x1 = min(y0+p.KH, p.H), min(x0+p.KW, p.W)
	return max(y0, 0), y1, max(x0, 0), x1
}

// planes runs fn over every (image, channel) plane, split across threads.
func (p Pool) planes(fn func(in, out int)) {
	inHW, outHW := p.H*p.W, p.OutH()*p.OutW()
	parallelFor(p.N*p.C, inHW, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			fn(i*inHW, i*outHW)
		}
	})
}

// halving reports whether the window is the common 2×2, stride 2, no
// padding, which has its own loops.
func (p Pool) halving() bool {
	return p.KH == 2 && p.KW == 2 && p.StrideH == 2 && p.StrideW == 2 && p.PadH == 0 && p.PadW == 0
}

// AvgPool2d sets y to the window averages of x.
func AvgPool2d(p Pool, x, y []float32) {
	oh, ow := p.OutH(), p.OutW()
	inv := 1 / float32(p.KH*p.KW)
	if p.halving() {
		p.planes(func(in, out int) {
			if avgPool2Vector(x[in:in+p.H*p.W], y[out:out+oh*ow], oh, p.W) {
				return
			}
			for oy := 0; oy < oh; oy++ {
				r0 := x[in+2*oy*p.W : in+2*oy*p.W+2*ow]
				r1 := x[in+(2*oy+1)*p.W : in+(2*oy+1)*p.W+2*ow]
				dst := y[out+oy*ow : out+(oy+1)*ow]
				for ox := range dst {
					a, b := r0[2*ox:2*ox+2:2*ox+2], r1[2*ox:2*ox+2:2*ox+2]
					dst[ox] = ((a[0] + a[1]) + (b[0] + b[1])) * 0.25
				}
			}
		})
		return
	}
	p.planes(func(in, out int) {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				y0, y1, x0, x1 := p.window(oy, ox)
				var s float32
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						s += x[in+iy*p.W+ix]
					}
				}
				y[out+oy*ow+ox] = s * inv
			}
		}
	})
}

// AvgPool2dBackward computes the gradient of AvgPool2d and adds it into dx
// (add) or stores it.
func AvgPool2dBackward(p Pool, dy, dx []float32, add bool) {
	oh, ow := p.OutH(), p.OutW()
	inv := 1 / float32(p.KH*p.KW)
	if p.halving() && !add && p.H%2 == 0 && p.W%2 == 0 {
		// Every input lies in exactly one window: store.
		p.planes(func(in, out int) {
			if avgPool2BackwardVector(dy[out:out+oh*ow], dx[in:in+p.H*p.W], oh, p.W, false) {
				return
			}
			for oy := 0; oy < oh; oy++ {
				r0 := dx[in+2*oy*p.W : in+2*oy*p.W+2*ow]
				r1 := dx[in+(2*oy+1)*p.W : in+(2*oy+1)*p.W+2*ow]
				for ox, g := range dy[out+oy*ow : out+(oy+1)*ow] {
					g *= 0.25
					r0[2*ox], r0[2*ox+1], r1[2*ox], r1[2*ox+1] = g, g, g, g
				}
			}
		})
		return
	}
	if !add {
		Zero(dx[:p.N*p.C*p.H*p.W])
	}
	if p.halving() {
		p.planes(func(in, out int) {
			if avgPool2BackwardVector(dy[out:out+oh*ow], dx[in:in+p.H*p.W], oh, p.W, true) {
				return
			}
			for oy := 0; oy < oh; oy++ {
				r0 := dx[in+2*oy*p.W : in+2*oy*p.W+2*ow]
				r1 := dx[in+(2*oy+1)*p.W : in+(2*oy+1)*p.W+2*ow]
				for ox, g := range dy[out+oy*ow : out+(oy+1)*ow] {
					g *= 0.25
					r0[2*ox] += g
					r0[2*ox+1] += g
					r1[2*ox] += g
					r1[2*ox+1] += g
				}
			}
		})
		return
	}
	p.planes(func(in, out int) {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				y0, y1, x0, x1 := p.window(oy, ox)
				g := dy[out+oy*ow+ox] * inv
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						dx[in+iy*p.W+ix] += g
					}
				}
			}
		}
	})
}

// MaxPool2d sets y to the window maxima of x and argmax to the index of
// each maximum within its H×W plane (the first one on ties, as PyTorch).
// A NaN in a window wins, as in PyTorch.
func MaxPool2d(p Pool, x, y []float32, argmax []int32) {
	oh, ow := p.OutH(), p.OutW()
	if p.halving() {
		p.planes(func(in, out int) {
			for oy := 0; oy < oh; oy++ {
				i0, i1 := in+2*oy*p.W, in+(2*oy+1)*p.W
				r0, r1 := x[i0:i0+2*ow], x[i1:i1+2*ow]
				dst, at := y[out+oy*ow:out+(oy+1)*ow], argmax[out+oy*ow:out+(oy+1)*ow]
				for ox := range dst {
					// The first maximum in row-major order wins ties;
					// a NaN wins outright, as in PyTorch.
					best, k := r0[2*ox], 2*oy*p.W+2*ox
					if v := r0[2*ox+1]; (v > best || v != v) && best == best {
						best, k = v, 2*oy*p.W+2*ox+1
					}
					if v := r1[2*ox]; (v > best || v != v) && best == best {
						best, k = v, (2*oy+1)*p.W+2*ox
					}
					if v := r1[2*ox+1]; (v > best || v != v) && best == best {
						best, k = v, (2*oy+1)*p.W+2*ox+1
					}
					dst[ox], at[ox] = best, int32(k)
				}
			}
		})
		return
	}
	p.planes(func(in, out int) {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				y0, y1, x0, x1 := p.window(oy, ox)
				best, at := float32(math.Inf(-1)), int32(-1)
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						v := x[in+iy*p.W+ix]
						if v > best || v != v || at < 0 {
							best, at = v, int32(iy*p.W+ix)
							if v != v {
								iy = y1
								break
							}
						}
					}
				}
				y[out+oy*ow+ox], argmax[out+oy*ow+ox] = best, at
			}
		}
	})
}

// MaxPool2dBackward adds dy into dx at the positions MaxPool2d chose.
func MaxPool2dBackward(p Pool, dy []float32, argmax []int32, dx []float32) {
	outHW := p.OutH() * p.OutW()
	p.planes(func(in, out int) {
		for j := 0; j < outHW; j++ {
			if at := argmax[out+j]; at >= 0 {
				dx[in+int(at)] += dy[out+j]
			}
		}
	})
}
