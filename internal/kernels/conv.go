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

// Conv2d computes y = conv(x, w) + b. b may be nil. y is overwritten.
func Conv2d(p Conv, x, w, b, y []float32) {
	inSize, outHW := p.C*p.H*p.W, p.OutH()*p.OutW()
	crs := p.colRows()
	ParallelChunks(p.N, func(_, lo, hi int) {
		var cols *[]float32
		if !p.direct() {
			cols = getScratch(crs * outHW)
			defer putScratch(cols)
		}
		for i := lo; i < hi; i++ {
			xi := x[i*inSize : (i+1)*inSize]
			yi := y[i*p.K*outHW : (i+1)*p.K*outHW]
			src := xi
			if cols != nil {
				Im2col(p, xi, *cols)
				src = *cols
			}
			Gemm(false, false, p.K, outHW, crs, 1, w, crs, src, outHW, 0, yi, outHW)
			if b != nil {
				for k := 0; k < p.K; k++ {
					addConst(b[k], yi[k*outHW:(k+1)*outHW])
				}
			}
		}
	})
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
		var cols *[]float32
		if !p.direct() {
			cols = getScratch(crs * outHW)
			defer putScratch(cols)
		}
		for i := lo; i < hi; i++ {
			xi := x[i*inSize : (i+1)*inSize]
			dyi := dy[i*p.K*outHW : (i+1)*p.K*outHW]
			if dw != nil {
				src := xi
				if cols != nil {
					Im2col(p, xi, *cols)
					src = *cols
				}
				Gemm(false, true, p.K, crs, outHW, 1, dyi, outHW, src, outHW, 1, pdw, crs)
			}
			if db != nil {
				for k := 0; k < p.K; k++ {
					pdb[k] += sum(dyi[k*outHW : (k+1)*outHW])
				}
			}
			if dx != nil {
				dxi := dx[i*inSize : (i+1)*inSize]
				if cols == nil {
					Gemm(true, false, crs, outHW, p.K, 1, w, crs, dyi, outHW, 1, dxi, outHW)
					continue
				}
				Gemm(true, false, crs, outHW, p.K, 1, w, crs, dyi, outHW, 0, *cols, outHW)
				Col2im(p, *cols, dxi)
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
func Im2col(p Conv, x, cols []float32) {
	oh, ow := p.OutH(), p.OutW()
	row := 0
	for c := 0; c < p.C; c++ {
		plane := x[c*p.H*p.W : (c+1)*p.H*p.W]
		for r := 0; r < p.R; r++ {
			for s := 0; s < p.S; s++ {
				dst := cols[row*oh*ow : (row+1)*oh*ow]
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

// Col2im adds a (C*R*S)×(OutH*OutW) matrix of patch gradients back into
// the image gradient dx: the adjoint of Im2col.
func Col2im(p Conv, cols, dx []float32) {
	oh, ow := p.OutH(), p.OutW()
	row := 0
	for c := 0; c < p.C; c++ {
		plane := dx[c*p.H*p.W : (c+1)*p.H*p.W]
		for r := 0; r < p.R; r++ {
			for s := 0; s < p.S; s++ {
				src := cols[row*oh*ow : (row+1)*oh*ow]
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
