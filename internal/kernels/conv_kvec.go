package kernels

// Channel-vectorised convolution: for small images with a few multiples
// of 16 output channels (LeNet-5's conv2), one vector holds an output
// position's 16 channels, so every lane does useful work. The implicit
// GEMM's extended grid and its rounding of K up to the micro-kernel's
// rows would waste a third of its work there.
//
// Layouts, per block of 16 output channels ("kb"), lanes last:
//   - weights [kb][C][R][S][16], and flipped in (r, s) for the input
//     gradient, which is then a correlation too;
//   - the forward's output tile [position][16], transposed to NCHW;
//   - the output gradient [kb][oy][u][16], each row with S-1 zero
//     positions in front and zeros after, so that the input gradient's
//     loads never need a bounds test.

// kvecLanes is the width of one vector: output channels per block.
const kvecLanes = 16

// zeroBias is the bias of a convolution without one, for the direct
// kernels, which always add one.
var zeroBias [kvecLanes]float32

// kvecMaxWidth is the most output columns one forward call computes per
// row, for S taps a row: two rows of accumulators, S weight vectors and
// two broadcasts fill the 32 registers.
func kvecMaxWidth(S int) int { return (30 - S) / 2 }

// kvecKernels are the inner loops of the channel-vectorised convolution,
// in assembly or in Go (kvecGo, their definition).
type kvecKernels struct {
	name string

	// forward sets y[t*ldy + j*16 + l] = bias[l] + Σ_{i<len(offs)}
	// Σ_{s<S} x[offs[i] + t*wp + j + s] * w[(i*S+s)*16 + l] for the two
	// rows t < 2, the columns j < width (at most kvecMaxWidth(S)) and
	// l < 16.
	forward func(width int, x []float32, offs []int, S, wp int, w, bias, y []float32, ldy int)

	// weightGrad adds to dw[(r*S+s)*16 + l] the sum over oy < oh, ox < ow
	// of x[(oy+r)*wp + ox + s] * dy[oy*ldDy + ox*16 + l], for r < R, s < S;
	// and to db[l], if db is not nil, the sum of dy[oy*ldDy + ox*16 + l].
	weightGrad func(R, S int, x []float32, wp int, dy []float32, ldDy, oh, ow int, dw, db []float32)

	// inputGrad computes one row of the input gradient of every channel
	// (see kvecInputRow).
	inputGrad func(a kvecInputRow)

	// transpose sets dst[l*ldd + i] = src[i*lds + l] for i < rows and
	// l < cols, both at most 16.
	transpose func(src []float32, lds, rows, cols int, dst []float32, ldd int)
}

// kvecInputRow are the operands of kvecKernels.inputGrad, which
// computes, for each channel ch < C and column j < n, the sum over blocks
// b < nkb, rows i < nr, taps t < S and lanes l < 16 of
//
//	w[b*wKb + ch*wC + (i*S+t)*16 + l] * dy[b*dyKb + i*ldRow + (j+t)*16 + l]
//
// and stores it in out[ch*ldOut + j], or adds it there. ow, if not 0,
// promises that the row has no padding and that dy is zero outside
// positions S-1 <= j+t < S-1+ow, which a kernel may skip.
type kvecInputRow struct {
	dy                   []float32
	ldRow, dyKb, nkb, nr int
	w                    []float32
	wKb, wC, S, C        int
	out                  []float32
	ldOut, n             int
	add                  bool
	ow                   int
}

// kvecGo is the pure-Go kvecKernels.
var kvecGo = kvecKernels{name: "go",
	forward: func(width int, x []float32, offs []int, S, wp int, w, bias, y []float32, ldy int) {
		for t := 0; t < 2; t++ {
			for j := 0; j < width; j++ {
				var acc [kvecLanes]float32
				if bias != nil {
					copy(acc[:], bias)
				}
				for i, off := range offs {
					for s := 0; s < S; s++ {
						v := x[off+t*wp+j+s]
						wv := w[(i*S+s)*kvecLanes:][:kvecLanes]
						for l := range acc {
							acc[l] += v * wv[l]
						}
					}
				}
				copy(y[t*ldy+j*kvecLanes:], acc[:])
			}
		}
	},
	weightGrad: func(R, S int, x []float32, wp int, dy []float32, ldDy, oh, ow int, dw, db []float32) {
		if db != nil {
			kvecSumGrad(dy, ldDy, oh, ow, db)
		}
		for r := 0; r < R; r++ {
			for s := 0; s < S; s++ {
				acc := dw[(r*S+s)*kvecLanes:][:kvecLanes]
				for oy := 0; oy < oh; oy++ {
					for ox := 0; ox < ow; ox++ {
						v := x[(oy+r)*wp+ox+s]
						d := dy[oy*ldDy+ox*kvecLanes:][:kvecLanes]
						for l := range acc {
							acc[l] += v * d[l]
						}
					}
				}
			}
		}
	},
	inputGrad: func(a kvecInputRow) {
		for ch := 0; ch < a.C; ch++ {
			for j := 0; j < a.n; j++ {
				var acc float32
				for b := 0; b < a.nkb; b++ {
					for i := 0; i < a.nr; i++ {
						for t := 0; t < a.S; t++ {
							wv := a.w[b*a.wKb+ch*a.wC+(i*a.S+t)*kvecLanes:][:kvecLanes]
							d := a.dy[b*a.dyKb+i*a.ldRow+(j+t)*kvecLanes:][:kvecLanes]
							for l := range wv {
								acc += wv[l] * d[l]
							}
						}
					}
				}
				if a.add {
					a.out[ch*a.ldOut+j] += acc
				} else {
					a.out[ch*a.ldOut+j] = acc
				}
			}
		}
	},
	transpose: func(src []float32, lds, rows, cols int, dst []float32, ldd int) {
		for i := 0; i < rows; i++ {
			for l := 0; l < cols; l++ {
				dst[l*ldd+i] = src[i*lds+l]
			}
		}
	},
}

// kvecSumGrad adds to db[l] the sum of dy[oy*ldDy + ox*16 + l] over
// oy < oh, ox < ow.
func kvecSumGrad(dy []float32, ldDy, oh, ow int, db []float32) {
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			d := dy[oy*ldDy+ox*kvecLanes:][:kvecLanes]
			for l := range d {
				db[l] += d[l]
			}
		}
	}
}

// kvec reports whether the convolution runs channel-vectorised: stride
// 1, whole blocks of 16 output channels, a kernel the weight gradient's
// registers hold, and small images. (A batch of one runs on one thread,
// and still sooner than an implicit GEMM split across two.)
func (p Conv) kvec() bool {
	k := activeKernel.kvec
	return k != nil && !p.BF16 && p.plain() && p.StrideH == 1 && p.StrideW == 1 && !p.fullKernel() &&
		p.K%kvecLanes == 0 && p.K <= 2*kvecLanes && p.C <= 32 &&
		p.OutH()*p.OutW() <= 256 && kvecTaps(p.R, p.S) &&
		p.PadH < p.R && p.PadW < p.S
}

// kvecTaps reports whether the weight gradient has a kernel for R×S taps:
// one accumulator a tap, and rows addressed as multiples of the row length.
func kvecTaps(R, S int) bool { return (R == 3 && S == 3) || (R == 5 && S == 5) }

// kvecPlan is one channel-vectorised convolution call: its sizes, its
// rearranged weights and the state its chunks share.
type kvecPlan struct {
	Conv
	kern          *kvecKernels
	nkb           int // blocks of 16 output channels
	oh, ow        int
	hp, wp, plane int // the zero-padded input
	xpLen         int
	offs          []int // c*plane + r*wp for each (c, r)
	offsBuf       *[]int
	wt, bias      []float32 // weights and bias by blocks, lanes last
	wtBuf, biasB  *[]float32
	rl            int // positions in a row of the padded output gradient
	segs          int // 16-column segments of an input gradient row

	backward   bool
	x, y       []float32
	dy, dx, dw []float32
	src        TanhPoolGrad // if its Y is not nil, dy's source, image by image
	dxAdd      bool
	parts      []float32 // per chunk: dw by blocks, lanes last, then db
	partLen    int
}

var kvecPlans taskPool[kvecPlan]

func (q *kvecPlan) run(c, lo, hi int) {
	if q.backward {
		q.backwardChunk(c, lo, hi)
	} else {
		q.forwardChunk(lo, hi)
	}
}

// newKvecPlan sizes the call and rearranges w, if not nil: into blocks
// of 16 output channels, lanes last, flipped in (r, s) for the input
// gradient.
func newKvecPlan(p Conv, w, b []float32, flip bool) *kvecPlan {
	q := kvecPlans.get()
	q.Conv, q.kern = p, activeKernel.kvec
	q.nkb = p.K / kvecLanes
	q.oh, q.ow = p.OutH(), p.OutW()
	q.hp, q.wp = p.H+2*p.PadH, p.W+2*p.PadW
	q.plane = q.hp * q.wp
	// The forward computes rows in pairs: an odd last row reads one row
	// past the image.
	q.xpLen = p.C*q.plane + q.wp
	q.offsBuf = getInts(p.C * p.R)
	q.offs = *q.offsBuf
	for c := 0; c < p.C; c++ {
		for r := 0; r < p.R; r++ {
			q.offs[c*p.R+r] = c*q.plane + r*q.wp
		}
	}
	if w != nil {
		q.arrangeWeights(w, flip)
	}
	if b != nil {
		q.biasB = getScratchDirty(p.K)
		q.bias = *q.biasB
		copy(q.bias, b[:p.K])
	}
	q.segs = (p.W + kvecLanes - 1) / kvecLanes
	q.rl = max(p.PadW+q.segs*kvecLanes+p.S-1, q.ow+p.S-1)
	return q
}

// arrangeWeights sets q.wt[kb][c][r][s][l] = w[kb*16+l][c][r][s], or
// w[kb*16+l][c][R-1-r][S-1-s] with flip: a block of 16 output channels is
// a 16×(C*R*S) matrix, transposed by 16×16 blocks; flipping then reverses
// the order of each input channel's R*S vectors.
func (q *kvecPlan) arrangeWeights(w []float32, flip bool) {
	p := q.Conv
	rs, crs := p.R*p.S, p.C*p.R*p.S
	q.wtBuf = getScratchDirty(p.K * crs)
	q.wt = *q.wtBuf
	for kb := 0; kb < q.nkb; kb++ {
		src, dst := w[kb*kvecLanes*crs:], q.wt[kb*crs*kvecLanes:]
		for j := 0; j < crs; j += kvecLanes {
			q.kern.transpose(src[j:], crs, kvecLanes, min(kvecLanes, crs-j), dst[j*kvecLanes:], kvecLanes)
		}
		if !flip {
			continue
		}
		for c := 0; c < p.C; c++ {
			block := dst[c*rs*kvecLanes : (c+1)*rs*kvecLanes]
			for a, b := 0, rs-1; a < b; a, b = a+1, b-1 {
				va, vb := block[a*kvecLanes:(a+1)*kvecLanes], block[b*kvecLanes:(b+1)*kvecLanes]
				for l := range va {
					va[l], vb[l] = vb[l], va[l]
				}
			}
		}
	}
}

func (q *kvecPlan) release() {
	q.src = TanhPoolGrad{}
	putInts(q.offsBuf)
	if q.wtBuf != nil {
		putScratch(q.wtBuf)
	}
	if q.biasB != nil {
		putScratch(q.biasB)
	}
	kvecPlans.put(q)
}

// padded returns image i of x zero-padded: the image itself when the
// convolution has no padding and reads no row past it (an odd number of
// output rows makes the forward's last pair do), else its copy in xp,
// whose borders and slack row the caller zeroed.
func (q *kvecPlan) padded(x []float32, i int, xp *[]float32, forward bool) []float32 {
	size := q.C * q.H * q.W
	if q.PadH == 0 && q.PadW == 0 && (!forward || q.oh%2 == 0) {
		return x[i*size : (i+1)*size]
	}
	q.padInto(x[i*size:(i+1)*size], *xp)
	return *xp
}

// kvecForward computes Conv2d for kvec() convolutions.
func (p Conv) kvecForward(x, w, b, y []float32) {
	q := newKvecPlan(p, w, b, false)
	defer q.release()
	q.x, q.y = x, y
	parallelTask(p.N, q)
}

// forwardChunk computes the outputs of images [lo, hi).
func (q *kvecPlan) forwardChunk(lo, hi int) {
	p := q.Conv
	oh, ow, P := q.oh, q.ow, q.oh*q.ow
	crs := p.C * p.R * p.S
	xp := getScratch(q.xpLen)
	defer putScratch(xp)
	tile := getScratchDirty(roundUp(oh, 2) * ow * kvecLanes)
	defer putScratch(tile)
	segs := (ow + kvecMaxWidth(p.S) - 1) / kvecMaxWidth(p.S)
	for i := lo; i < hi; i++ {
		xi := q.padded(q.x, i, xp, true)
		yi := q.y[i*p.K*P : (i+1)*p.K*P]
		for kb := 0; kb < q.nkb; kb++ {
			wt := q.wt[kb*crs*kvecLanes : (kb+1)*crs*kvecLanes]
			var bias []float32
			if q.bias != nil {
				bias = q.bias[kb*kvecLanes : (kb+1)*kvecLanes]
			}
			for oy := 0; oy < oh; oy += 2 {
				for g := 0; g < segs; g++ {
					x0, x1 := ow*g/segs, ow*(g+1)/segs
					q.kern.forward(x1-x0, xi[oy*q.wp+x0:], q.offs, p.S, q.wp, wt, bias,
						(*tile)[(oy*ow+x0)*kvecLanes:], ow*kvecLanes)
				}
			}
			for p0 := 0; p0 < P; p0 += kvecLanes {
				q.kern.transpose((*tile)[p0*kvecLanes:], kvecLanes, min(kvecLanes, P-p0), kvecLanes,
					yi[kb*kvecLanes*P+p0:], P)
			}
			p.epilogue(q.y, i, kb*kvecLanes, (kb+1)*kvecLanes)
		}
	}
}

// kvecBackward computes Conv2dBackward for kvec() convolutions.
func (p Conv) kvecBackward(x, w, dy, dx []float32, dxAdd bool, dw, db []float32) {
	p.kvecBackwardFrom(x, w, dy, TanhPoolGrad{}, dx, dxAdd, dw, db)
}

// kvecBackwardFrom is kvecBackward with the output gradient dy, or, if
// src's Y is not nil, src's.
func (p Conv) kvecBackwardFrom(x, w, dy []float32, src TanhPoolGrad, dx []float32, dxAdd bool, dw, db []float32) {
	var wFlip []float32
	if dx != nil {
		wFlip = w
	}
	q := newKvecPlan(p, wFlip, nil, true)
	defer q.release()
	chunks := Chunks(p.N)
	crs := p.C * p.R * p.S
	q.partLen = p.K*crs + p.K
	parts := getScratch(chunks * q.partLen)
	defer putScratch(parts)
	q.backward, q.x, q.dy, q.src, q.dx, q.dxAdd, q.dw, q.parts = true, x, dy, src, dx, dxAdd, dw, *parts
	parallelTask(p.N, q)
	for c := 0; c < chunks; c++ {
		part := q.parts[c*q.partLen : (c+1)*q.partLen]
		if dw != nil {
			for k := 0; k < p.K; k++ {
				kb, l := k/kvecLanes, k%kvecLanes
				for j := 0; j < crs; j++ {
					dw[k*crs+j] += part[(kb*crs+j)*kvecLanes+l]
				}
			}
		}
		if db != nil {
			add(part[p.K*crs:], db)
		}
	}
}

// backwardChunk computes the gradients of images [lo, hi), summing the
// weight and bias gradients in chunk c's part.
func (q *kvecPlan) backwardChunk(c, lo, hi int) {
	p := q.Conv
	oh, ow, P := q.oh, q.ow, q.oh*q.ow
	crs, rs := p.C*p.R*p.S, p.R*p.S
	part := q.parts[c*q.partLen : (c+1)*q.partLen]
	pdw, pdb := part[:p.K*crs], part[p.K*crs:]
	rowLen := q.rl * kvecLanes
	dyKb := oh * rowLen
	// dyp's zeros are written once, here; every image fills the same
	// places.
	dyp := getScratch(q.nkb * dyKb)
	defer putScratch(dyp)
	xp := getScratch(q.xpLen)
	defer putScratch(xp)
	front := (p.S - 1) * kvecLanes
	grads := q.src.images(q.dy, p.K*P)
	defer grads.release()
	for i := lo; i < hi; i++ {
		if i+1 < hi {
			// The next image's input, and the input gradient it writes,
			// come into cache while this one's work runs.
			size := p.C * p.H * p.W
			if q.dw != nil {
				prefetch(q.x[(i+1)*size : (i+2)*size])
			}
			if q.dx != nil {
				prefetch(q.dx[(i+1)*size : (i+2)*size])
			}
		}
		dyi := grads.image(i)
		for kb := 0; kb < q.nkb; kb++ {
			for oy := 0; oy < oh; oy++ {
				for x0 := 0; x0 < ow; x0 += kvecLanes {
					q.kern.transpose(dyi[kb*kvecLanes*P+oy*ow+x0:], P, kvecLanes, min(kvecLanes, ow-x0),
						(*dyp)[kb*dyKb+oy*rowLen+front+x0*kvecLanes:], kvecLanes)
				}
			}
		}
		for kb := 0; kb < q.nkb; kb++ {
			// The bias gradient comes with the first channel's weights.
			db := pdb[kb*kvecLanes : (kb+1)*kvecLanes]
			if q.dw == nil {
				kvecSumGrad((*dyp)[kb*dyKb+front:], rowLen, oh, ow, db)
				continue
			}
			xi := q.padded(q.x, i, xp, false)
			for ch := 0; ch < p.C; ch++ {
				q.kern.weightGrad(p.R, p.S, xi[ch*q.plane:], q.wp, (*dyp)[kb*dyKb+front:], rowLen, oh, ow,
					pdw[(kb*p.C+ch)*rs*kvecLanes:(kb*p.C+ch+1)*rs*kvecLanes], db)
				db = nil
			}
		}
		if q.dx != nil {
			q.inputGrad(i, *dyp)
		}
	}
}

// inputGrad computes image i's input gradient from its output gradient,
// laid out in dyp: a kernel call a row of every channel, and 16 columns.
func (q *kvecPlan) inputGrad(i int, dyp []float32) {
	p := q.Conv
	rowLen := q.rl * kvecLanes
	dxi := q.dx[i*p.C*p.H*p.W : (i+1)*p.C*p.H*p.W]
	a := kvecInputRow{ldRow: rowLen, dyKb: q.oh * rowLen, nkb: q.nkb,
		wKb: p.C * p.R * p.S * kvecLanes, wC: p.R * p.S * kvecLanes, S: p.S, C: p.C,
		ldOut: p.H * p.W, add: q.dxAdd}
	if p.PadW == 0 && q.segs == 1 {
		a.ow = q.ow
	}
	for y := 0; y < p.H; y++ {
		// Padded row yp takes output rows yp-r for the r that fall inside
		// the output: r in [rlo, rhi].
		yp := y + p.PadH
		rlo, rhi := max(0, yp-q.oh+1), min(p.R-1, yp)
		if rlo > rhi {
			if !q.dxAdd {
				for ch := 0; ch < p.C; ch++ {
					clear(dxi[(ch*p.H+y)*p.W : (ch*p.H+y+1)*p.W])
				}
			}
			continue
		}
		// The flipped weights run from r = rhi down, as the output rows
		// run up from yp-rhi.
		a.w, a.nr = q.wt[(p.R-1-rhi)*p.S*kvecLanes:], rhi-rlo+1
		for g := 0; g < q.segs; g++ {
			x0 := p.PadW + g*kvecLanes
			a.dy = dyp[((yp-rhi)*q.rl+x0)*kvecLanes:]
			a.out, a.n = dxi[y*p.W+g*kvecLanes:], min(kvecLanes, p.W-g*kvecLanes)
			q.kern.inputGrad(a)
		}
	}
}
