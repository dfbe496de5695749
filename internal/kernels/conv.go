package kernels

// Conv describes a 2-D convolution: input N×C×H×W, weights K×C×R×S, output
// N×K×OutH()×OutW(), with the given strides and zero padding.
type Conv struct {
	N, C, H, W       int
	K, R, S          int
	StrideH, StrideW int
	PadH, PadW       int
}

// OutH returns the output height.
func (p Conv) OutH() int { return (p.H+2*p.PadH-p.R)/p.StrideH + 1 }

// OutW returns the output width.
func (p Conv) OutW() int { return (p.W+2*p.PadW-p.S)/p.StrideW + 1 }

// colRows is the height of one image's im2col matrix: C*R*S.
func (p Conv) colRows() int { return p.C * p.R * p.S }

// direct reports whether the input already is its own im2col matrix
// (a 1×1 kernel with stride 1 and no padding).
func (p Conv) direct() bool {
	return p.R == 1 && p.S == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadH == 0 && p.PadW == 0
}

// groupColumns is the least number of output columns a convolution GEMM
// gets: images whose outputs are small are handled several at a time, so
// that the packed weights are reused across enough columns.
const groupColumns = 512

// group returns how many images of a chunk of n images one GEMM handles.
func (p Conv) group(n int) int {
	outHW := p.OutH() * p.OutW()
	return max(1, min(n, (groupColumns+outHW-1)/outHW))
}

// Conv2d computes y = conv(x, w) + b. b may be nil. y is overwritten.
//
// Images are split across threads; each thread lays out the patches of a
// group of G images side by side as one (C*R*S)×(G*OH*OW) matrix and
// multiplies it by the K×(C*R*S) weights in one GEMM.
func Conv2d(p Conv, x, w, b, y []float32) {
	inSize, outHW := p.C*p.H*p.W, p.OutH()*p.OutW()
	crs := p.colRows()
	ParallelChunks(p.N, func(_, lo, hi int) {
		g := p.group(hi - lo)
		cols := getScratch(crs * g * outHW)
		defer putScratch(cols)
		var out *[]float32
		if g > 1 {
			out = getScratch(p.K * g * outHW)
			defer putScratch(out)
		}
		for i0 := lo; i0 < hi; i0 += g {
			n := min(g, hi-i0)
			ld := n * outHW
			src := x[i0*inSize:]
			if !p.direct() || n > 1 {
				for j := 0; j < n; j++ {
					p.im2col(x[(i0+j)*inSize:(i0+j+1)*inSize], (*cols)[j*outHW:], ld)
				}
				src = *cols
			}
			if n == 1 {
				yi := y[i0*p.K*outHW : (i0+1)*p.K*outHW]
				Gemm(false, false, p.K, outHW, crs, 1, w, crs, src, ld, 0, yi, outHW)
				addChannelBias(b, yi, outHW)
				continue
			}
			Gemm(false, false, p.K, ld, crs, 1, w, crs, src, ld, 0, *out, ld)
			for j := 0; j < n; j++ {
				yi := y[(i0+j)*p.K*outHW : (i0+j+1)*p.K*outHW]
				for k := 0; k < p.K; k++ {
					copy(yi[k*outHW:(k+1)*outHW], (*out)[k*ld+j*outHW:])
				}
				addChannelBias(b, yi, outHW)
			}
		}
	})
}

// addChannelBias adds b[k] to channel k of one image's K×hw output.
func addChannelBias(b, y []float32, hw int) {
	for k, v := range b {
		addConst(v, y[k*hw:(k+1)*hw])
	}
}

// Conv2dBackward adds the gradients of conv(x, w) + b, given the output
// gradient dy, into dx, dw and db. Any of dx, dw, db may be nil.
func Conv2dBackward(p Conv, x, w, dy, dx, dw, db []float32) {
	inSize, outHW := p.C*p.H*p.W, p.OutH()*p.OutW()
	crs := p.colRows()
	chunks := Chunks(p.N)
	// Each chunk sums its images' weight and bias gradients on its own;
	// the partial sums are added in chunk order, so results do not depend
	// on scheduling.
	partSize := p.K*crs + p.K
	parts := getScratch(chunks * partSize)
	defer putScratch(parts)
	ParallelChunks(p.N, func(c, lo, hi int) {
		part := (*parts)[c*partSize : (c+1)*partSize]
		pdw, pdb := part[:p.K*crs], part[p.K*crs:]
		g := p.group(hi - lo)
		cols := getScratch(crs * g * outHW)
		defer putScratch(cols)
		var grad *[]float32
		if g > 1 {
			grad = getScratch(p.K * g * outHW)
			defer putScratch(grad)
		}
		for i0 := lo; i0 < hi; i0 += g {
			n := min(g, hi-i0)
			ld := n * outHW
			// dyg is the output gradient of the group as K×(n*OH*OW).
			dyg := dy[i0*p.K*outHW : (i0+1)*p.K*outHW]
			if n > 1 {
				for j := 0; j < n; j++ {
					dyi := dy[(i0+j)*p.K*outHW:]
					for k := 0; k < p.K; k++ {
						copy((*grad)[k*ld+j*outHW:k*ld+(j+1)*outHW], dyi[k*outHW:])
					}
				}
				dyg = *grad
			}
			if db != nil {
				for k := 0; k < p.K; k++ {
					pdb[k] += sum(dyg[k*ld : (k+1)*ld])
				}
			}
			if dw != nil {
				src := x[i0*inSize:]
				if !p.direct() || n > 1 {
					for j := 0; j < n; j++ {
						p.im2col(x[(i0+j)*inSize:(i0+j+1)*inSize], (*cols)[j*outHW:], ld)
					}
					src = *cols
				}
				Gemm(false, true, p.K, crs, ld, 1, dyg, ld, src, ld, 1, pdw, crs)
			}
			if dx == nil {
				continue
			}
			if p.direct() && n == 1 {
				dxi := dx[i0*inSize : (i0+1)*inSize]
				Gemm(true, false, crs, outHW, p.K, 1, w, crs, dyg, ld, 1, dxi, outHW)
				continue
			}
			Gemm(true, false, crs, ld, p.K, 1, w, crs, dyg, ld, 0, *cols, ld)
			for j := 0; j < n; j++ {
				p.col2im((*cols)[j*outHW:], ld, dx[(i0+j)*inSize:(i0+j+1)*inSize])
			}
		}
	})
	for c := 0; c < chunks; c++ {
		part := (*parts)[c*partSize : (c+1)*partSize]
		if dw != nil {
			add(part[:p.K*crs], dw)
		}
		if db != nil {
			add(part[p.K*crs:], db)
		}
	}
}

// Im2col writes one image's patches as a (C*R*S)×(OutH*OutW) matrix:
// row (c*R+r)*S+s holds x[c, oh*StrideH-PadH+r, ow*StrideW-PadW+s] for
// every output position, zero where that falls in the padding.
func Im2col(p Conv, x, cols []float32) { p.im2col(x, cols, p.OutH()*p.OutW()) }

// Col2im adds a (C*R*S)×(OutH*OutW) matrix of patch gradients back into
// the image gradient dx: the adjoint of Im2col.
func Col2im(p Conv, cols, dx []float32) { p.col2im(cols, p.OutH()*p.OutW(), dx) }

// im2col is Im2col into a matrix with row stride ld.
func (p Conv) im2col(x, cols []float32, ld int) {
	oh, ow := p.OutH(), p.OutW()
	row := 0
	for c := 0; c < p.C; c++ {
		plane := x[c*p.H*p.W : (c+1)*p.H*p.W]
		for r := 0; r < p.R; r++ {
			for s := 0; s < p.S; s++ {
				dst := cols[row*ld : row*ld+oh*ow]
				lo, hi := validRange(ow, p.W, p.StrideW, p.PadW, s)
				for y := 0; y < oh; y++ {
					d := dst[y*ow : (y+1)*ow]
					iy := y*p.StrideH - p.PadH + r
					if iy < 0 || iy >= p.H || lo >= hi {
						clear(d)
						continue
					}
					clear(d[:lo])
					clear(d[hi:])
					src := plane[iy*p.W:]
					ix := lo*p.StrideW - p.PadW + s
					if p.StrideW == 1 {
						copy(d[lo:hi], src[ix:ix+hi-lo])
						continue
					}
					for x := lo; x < hi; x, ix = x+1, ix+p.StrideW {
						d[x] = src[ix]
					}
				}
				row++
			}
		}
	}
}

// col2im is Col2im from a matrix with row stride ld.
func (p Conv) col2im(cols []float32, ld int, dx []float32) {
	oh, ow := p.OutH(), p.OutW()
	row := 0
	for c := 0; c < p.C; c++ {
		plane := dx[c*p.H*p.W : (c+1)*p.H*p.W]
		for r := 0; r < p.R; r++ {
			for s := 0; s < p.S; s++ {
				src := cols[row*ld : row*ld+oh*ow]
				lo, hi := validRange(ow, p.W, p.StrideW, p.PadW, s)
				for y := 0; y < oh && lo < hi; y++ {
					iy := y*p.StrideH - p.PadH + r
					if iy < 0 || iy >= p.H {
						continue
					}
					d := plane[iy*p.W:]
					ix := lo*p.StrideW - p.PadW + s
					if p.StrideW == 1 {
						add(src[y*ow+lo:y*ow+hi], d[ix:ix+hi-lo])
						continue
					}
					for x := lo; x < hi; x, ix = x+1, ix+p.StrideW {
						d[ix] += src[y*ow+x]
					}
				}
				row++
			}
		}
	}
}

// validRange returns the output columns [lo, hi) whose input column
// x*stride-pad+s lies inside [0, w).
func validRange(outW, w, stride, pad, s int) (lo, hi int) {
	// lo = ceil((pad-s)/stride) for pad > s, else 0.
	if pad > s {
		lo = (pad - s + stride - 1) / stride
	}
	// hi-1 = floor((w-1+pad-s)/stride).
	if last := w - 1 + pad - s; last >= 0 {
		hi = min(last/stride+1, outW)
	}
	return lo, max(hi, lo)
}
