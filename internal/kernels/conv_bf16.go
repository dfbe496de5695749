package kernels

// bf16 convolutions of stride 1 run as implicit GEMMs too (see
// conv_implicit.go), with the bf16 GEMM reading the padded image through
// the plan's offsets: its packing converts the patch matrix's rows to bf16
// pairs straight from the image, so no patch matrix is written or read.
// The images are split across the threads, as the float32 implicit GEMM's
// are; a batch of one splits its GEMM instead. Stride-2 forward passes in
// inference do the same on the image's phases, as float32's do.

// bf16Implicit reports whether a bf16 convolution runs as an implicit
// GEMM: stride 1, outputs of 14×14 and more (below that, the patches of
// several images share one explicit GEMM, which keeps the threads busier).
func (p Conv) bf16Implicit() bool {
	return p.BF16 && p.plain() && p.StrideH == 1 && p.StrideW == 1 && !p.fullKernel() && p.OutH()*p.OutW() >= 196
}

// bf16ImplicitFwd reports whether a bf16 convolution's forward pass runs
// as an implicit GEMM: where bf16Implicit does, and with stride 2 where
// cols, the patches Conv2d was given to keep, are too few to hold them
// (inference).
func (p Conv) bf16ImplicitFwd(cols []float32) bool {
	return p.bf16Implicit() || p.BF16 && p.phasesFwd(cols)
}

// bf16ImplicitForward computes Conv2d for bf16Implicit convolutions.
func (p Conv) bf16ImplicitForward(x, w, b, y []float32) {
	q := newImplicitPlan(p)
	defer q.release()
	crs, inSize := p.colRows(), p.C*p.H*p.W
	pa := p.packWeightGroups(w, p.K, crs, false)
	defer pa.release()
	q.y, q.b = y, b
	ParallelChunks(p.N, func(_, lo, hi int) {
		xp := getScratch(q.xpLen) // its padding stays zero (see pad)
		ce := getScratchDirty(p.K * q.cols)
		defer putScratch(xp)
		defer putScratch(ce)
		for i := lo; i < hi; i++ {
			q.pad(x[i*inSize:(i+1)*inSize], *xp)
			gemmBF16Offsets(false, p.K, q.ext, crs, pa.bf16, nil, 0, *xp, 0, q.offs[:crs], 0, *ce, q.cols)
			q.finishImage(i, *ce)
		}
	})
}

// bf16ImplicitBackward computes Conv2dBackward for bf16Implicit
// convolutions: per image, the weight gradient as the output gradient
// times the transposed patches (read through the offsets), and the input
// gradient as implicitBackward's product of the rearranged weights with
// the padded output gradient.
func (p Conv) bf16ImplicitBackward(x, w, dy, dx []float32, dxAdd bool, dw, db []float32) {
	q := newImplicitPlan(p)
	defer q.release()
	crs, inSize := p.colRows(), p.C*p.H*p.W
	oh, ow := p.OutH(), p.OutW()
	krs := p.K * p.R * p.S
	front := (p.R-1)*q.wp + p.S - 1
	lp := front + q.plane
	var offs2 []int
	var pa2 []uint32
	if dx != nil {
		wtBuf := getScratchDirty(p.C * krs)
		defer putScratch(wtBuf)
		wt := *wtBuf
		offsBuf := getInts(krs)
		defer putInts(offsBuf)
		offs2 = *offsBuf
		for k := 0; k < p.K; k++ {
			for c := 0; c < p.C; c++ {
				for rs := 0; rs < p.R*p.S; rs++ {
					wt[c*krs+k*p.R*p.S+rs] = w[(k*p.C+c)*p.R*p.S+rs]
				}
			}
			for r := 0; r < p.R; r++ {
				for s := 0; s < p.S; s++ {
					offs2[(k*p.R+r)*p.S+s] = k*lp + front - r*q.wp - s
				}
			}
		}
		pa2Buf := getScratchDirty(packedSizeBF16(p.C, krs))
		defer putScratch(pa2Buf)
		pa2 = asWords(*pa2Buf)
		packWeightsBF16(pa2, wt, krs, p.C, krs, false)
	}
	// Each chunk of images sums its weight and bias gradients on its own;
	// the partial sums are added in chunk order, so that results do not
	// depend on scheduling.
	chunks := Chunks(p.N)
	partLen := p.K*crs + p.K
	parts := getScratch(chunks * partLen)
	defer putScratch(parts)
	ParallelChunks(p.N, func(c, lo, hi int) {
		part := (*parts)[c*partLen : (c+1)*partLen]
		pdw, pdb := part[:p.K*crs], part[p.K*crs:]
		xp := getScratch(q.xpLen)       // its padding stays zero (see pad)
		dye := getScratch(p.K * q.cols) // zero past each row's outputs, once
		defer putScratch(xp)
		defer putScratch(dye)
		var dyp, dxe *[]float32
		if dx != nil {
			dyp = getScratch(p.K * lp)
			dxe = getScratchDirty(p.C * q.plane)
			defer putScratch(dyp)
			defer putScratch(dxe)
		}
		for i := lo; i < hi; i++ {
			q.spreadGrad(dy[i*p.K*oh*ow:(i+1)*p.K*oh*ow], *dye, dyp, lp, front, pdb)
			if dw != nil {
				q.pad(x[i*inSize:(i+1)*inSize], *xp)
				gemmBF16Offsets(true, p.K, crs, q.ext, nil, *dye, q.cols, *xp, 0, q.offs[:crs], 1, pdw, crs)
			}
			if dx == nil {
				continue
			}
			gemmBF16Offsets(false, p.C, q.plane, krs, pa2, nil, 0, *dyp, 0, offs2, 0, *dxe, q.plane)
			q.cropGrad(*dxe, q.plane, dx[i*inSize:(i+1)*inSize], dxAdd)
		}
	})
	for c := 0; c < chunks; c++ {
		part := (*parts)[c*partLen : (c+1)*partLen]
		if dw != nil {
			add(part[:p.K*crs], dw)
		}
		if db != nil {
			add(part[p.K*crs:], db)
		}
	}
}

// bf16ByRounding reports whether a bf16 convolution runs as the float32
// one on operands rounded to bf16, which gives the same sums (a product
// of two bf16 values is exact in float32): where the float32 convolution
// has a direct kernel for few channels (kvec, xvec), which beats any
// GEMM there.
func (p Conv) bf16ByRounding() bool {
	q := p
	q.BF16 = false
	return p.BF16 && (q.kvec() || q.xvec())
}

// bf16Winograd reports whether bf16 convolutions run by Winograd's
// method where float32 ones do (winogradVariant), on operands rounded to
// bf16 as they are copied in (the input planes, the weights before their
// transform; the output gradient's planes for a weight gradient). The
// transforms and products are float32's, so the result is that of bf16
// products summed in float32 but for Winograd's own rounding, 10⁻⁶ to
// 10⁻⁵ of the output's scale (TestWinogradMatchesDefinition), far below
// bf16's 2⁻⁹. Where a bf16 product costs at least half a float32 one
// (VDPBF16PS; the Go emulation costs more), the 2.25-4x fewer products
// win: ResNet-18's bf16 step on Zen 4 took 0.43-0.46 s by bf16 GEMMs,
// 0.39-0.40 s so, as its fp32 one. AMX's tiles, several times faster
// again, keep the GEMM.
func bf16Winograd() bool { return !activeBF16.matrixUnit }

// roundedCopy returns op rounded to bf16 in a scratch buffer, which the
// caller gives back with putScratch.
func roundedCopy(op []float32) *[]float32 {
	b := getScratchDirty(len(op))
	RoundBF16(*b, op)
	return b
}

// biasGrad adds the bias gradient of output gradient dy into db: each
// channel's sum over the batch.
func (p Conv) biasGrad(dy, db []float32) {
	hw := p.OutH() * p.OutW()
	for n := 0; n < p.N; n++ {
		for k := 0; k < p.K; k++ {
			db[k] += sum(dy[(n*p.K+k)*hw : (n*p.K+k+1)*hw])
		}
	}
}
