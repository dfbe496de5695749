package kernels

// The bf16 GEMM: Gemm's blocking (gemm.go) with operands packed as bf16
// pairs in the packing pass, in the tile shape of the active bf16 kernel
// (bf16Kernel: mr×nr tiles of C, k in blocks of kb pairs).

// GemmBF16 is Gemm with the products in bfloat16: C = alpha*op(A)*op(B) +
// beta*C where alpha*op(A) and op(B) are rounded to bf16 (bf16Bits) and
// their products summed in float32. beta 0 overwrites C.
func GemmBF16(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m <= 0 || n <= 0 {
		return
	}
	scaleRows(m, n, beta, c, ldc)
	if k <= 0 || alpha == 0 {
		return
	}
	g := gemmTasks.get()
	defer gemmTasks.put(g)
	*g = gemmArgs{transA: transA, transB: transB, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
		kern: microKernel{name: activeBF16.name, nr: activeBF16.nr}, bf16: &activeBF16}
	g.split(m, n)
}

// GemmIn is GemmBF16 if bf16, else Gemm: a product in the precision its
// caller runs in.
func GemmIn(bf16, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if bf16 {
		GemmBF16(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// pairsPadded is the number of pairs a block of kc steps of k takes in
// the kernel's packed panels: (kc+1)/2 rounded up to whole blocks of kb.
func (bk *bf16Kernel) pairsPadded(kc int) int { return roundUp((kc+1)/2, bk.kb) }

// aIndex is where pair q of row r lies in a packed panel of A of kp
// pairs: pair-major (mr words a pair) or, blocked, in blocks of kb pairs
// each holding mr rows of kb words (AMX's tiles).
func (bk *bf16Kernel) aIndex(q, r int) int {
	if bk.aBlocked {
		return (q/bk.kb)*bk.mr*bk.kb + r*bk.kb + q%bk.kb
	}
	return q*bk.mr + r
}

// packedSizeBF16 is the number of words packWeightsBF16 writes for rows×k
// with the active kernel.
func packedSizeBF16(rows, k int) int {
	bk := &activeBF16
	full := k / gemmKC * gemmKC
	size := full / 2
	if k > full {
		size += bk.pairsPadded(k - full)
	}
	return roundUp(rows, bk.mr) * size
}

// packWeightsBF16 packs the rows×k matrix a (row stride lda), or with
// trans the transpose of a k×rows one, into out (packedSizeBF16 words) as
// the active bf16 kernel's A: blocks of gemmKC steps of k, each rows
// rounded up to the kernel's mr, in panels of mr rows.
func packWeightsBF16(out []uint32, a []float32, lda, rows, k int, trans bool) {
	bk := &activeBF16
	rp := roundUp(rows, bk.mr)
	g := gemmArgs{alpha: 1, a: a, lda: lda, transA: trans, bf16: bk}
	for pc := 0; pc < k; pc += gemmKC {
		kc := min(gemmKC, k-pc)
		g.packABF16(out[pc/2*rp:pc/2*rp+rp*bk.pairsPadded(kc)], 0, rows, pc, kc)
	}
}

// gemmPrepackedBF16 is gemmPrepacked for an A that packWeightsBF16
// packed.
func gemmPrepackedBF16(m, n, k int, pa []uint32, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmBF16Offsets(false, m, n, k, pa, nil, 0, b, ldb, nil, beta, c, ldc)
}

// gemmBF16Offsets computes C = A·op(B) + beta*C in bf16, B read with row
// stride ldb or, if offs is not nil, through offsets (see gemmArgs.bOffs):
// an implicit convolution's product. A is m×k: packed by packWeightsBF16
// if pa is not nil, else a (row stride lda), not transposed.
func gemmBF16Offsets(transB bool, m, n, k int, pa []uint32, a []float32, lda int, b []float32, ldb int, offs []int, beta float32, c []float32, ldc int) {
	if !scaleForPrepacked(m, n, k, beta, c, ldc) {
		return
	}
	g := gemmTasks.get()
	defer gemmTasks.put(g)
	*g = gemmArgs{transB: transB, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb, bOffs: offs, c: c, ldc: ldc,
		kern: microKernel{name: activeBF16.name, nr: activeBF16.nr}, bf16: &activeBF16, zeroC: beta == 0}
	if pa != nil {
		g.packedA16, g.mPad = pa, roundUp(m, activeBF16.mr)
	}
	g.split(m, n)
}

// blockBF16 is block for a bf16 GEMM: B is always packed, as its
// conversion to pairs is needed anyway.
func (g *gemmArgs) blockBF16(i0, i1, j0, j1 int) {
	bk := g.bf16
	nr, mr := bk.nr, bk.mr
	kp0 := bk.pairsPadded(min(gemmKC, g.k))
	nc0 := min(gemmNC, roundUp(j1-j0, nr))
	mc0 := min(gemmMC, roundUp(i1-i0, mr))
	tile := getScratch(mr * nr)
	defer putScratch(tile)
	bufB := getScratchDirty(kp0 * nc0)
	defer putScratch(bufB)
	pb := asWords(*bufB)
	var pa []uint32
	if g.packedA16 == nil {
		bufA := getScratchDirty(kp0 * mc0)
		defer putScratch(bufA)
		pa = asWords(*bufA)
	}
	for jc := j0; jc < j1; jc += gemmNC {
		nc := min(gemmNC, j1-jc)
		for pc := 0; pc < g.k; pc += gemmKC {
			kc := min(gemmKC, g.k-pc)
			kp := bk.pairsPadded(kc)
			for jr := 0; jr < nc; jr += nr {
				g.packPanelBF16(pb[jr*kp:(jr+nr)*kp], pc, kc, jc+jr, min(nr, nc-jr))
			}
			for ic := i0; ic < i1; ic += gemmMC {
				mc := min(gemmMC, i1-ic)
				ap := pa
				if g.packedA16 != nil {
					ap = g.packedA16[pc/2*g.mPad+ic*kp:]
				} else {
					g.packABF16(pa, ic, mc, pc, kc)
				}
				g.macroKernelBF16(ap, pb, *tile, ic, mc, jc, nc, pc, kp)
			}
		}
	}
}

// macroKernelBF16 multiplies a packed mc×kp block of A by the packed panel
// of B at jc into C[ic:, jc:], as macroKernel.
func (g *gemmArgs) macroKernelBF16(pa, pb []uint32, tile []float32, ic, mc, jc, nc, pc, kp int) {
	bk := g.bf16
	nr, mr := bk.nr, bk.mr
	first := g.zeroC && pc == 0
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		bp := pb[jr*kp : (jr+nr)*kp]
		for ir := 0; ir < mc; ir += mr {
			ap := pa[ir*kp : (ir+mr)*kp]
			rows := min(mr, mc-ir)
			off := (ic+ir)*g.ldc + jc + jr
			if rows == mr && cols == nr {
				if first {
					bk.set(kp, ap, bp, nr, g.c[off:], g.ldc)
				} else {
					bk.fn(kp, ap, bp, nr, g.c[off:], g.ldc)
				}
				continue
			}
			// An edge tile: computed whole in scratch, the part inside C
			// stored or added.
			bk.set(kp, ap, bp, nr, tile, nr)
			g.storeEdge(tile, nr, rows, cols, off, first)
		}
	}
}

// packABF16 packs alpha*op(A)[ic:ic+mc, pc:pc+kc] into panels of the
// kernel's mr rows (see aIndex): zero past the last row, in the last
// pair's high half for odd kc, and in the pairs that pad kp to whole
// blocks.
func (g *gemmArgs) packABF16(dst []uint32, ic, mc, pc, kc int) {
	bk := g.bf16
	mr, kp := bk.mr, bk.pairsPadded(kc)
	// What no pair of A fills must be zero: every panel where k is padded
	// to whole blocks, else the rows past the end of a partial last one.
	switch {
	case kp > (kc+1)/2:
		clear(dst[:roundUp(mc, mr)*kp])
	case mc%mr != 0:
		last := mc / mr * mr
		clear(dst[last*kp : (last+mr)*kp])
	}
	if g.alpha == 1 {
		g.packABF16Vec(dst, ic, mc, pc, kc)
		return
	}
	at := func(i, p int) float32 {
		if p >= pc+kc {
			return 0
		}
		if g.transA {
			return g.alpha * g.a[p*g.lda+i]
		}
		return g.alpha * g.a[i*g.lda+p]
	}
	for ir := 0; ir < mc; ir += mr {
		panel := dst[ir*kp : (ir+mr)*kp]
		for r := 0; r < min(mr, mc-ir); r++ {
			for q := 0; q < (kc+1)/2; q++ {
				p := pc + 2*q
				panel[bk.aIndex(q, r)] = bf16Pair(at(ic+ir+r, p), at(ic+ir+r, p+1))
			}
		}
	}
}

// packABF16Vec is packABF16 for alpha 1 on a cleared dst, converting
// whole runs of A with the kernel's vector functions: a row of A along k
// (not transposed), or two rows of the stored A side by side (transposed),
// then moving the words into place.
func (g *gemmArgs) packABF16Vec(dst []uint32, ic, mc, pc, kc int) {
	bk := g.bf16
	mr, kp, pairs := bk.mr, bk.pairsPadded(kc), (kc+1)/2
	if !g.transA {
		buf := getScratchDirty(pairs)
		defer putScratch(buf)
		run := asWords(*buf)
		for ir := 0; ir < mc; ir += mr {
			panel := dst[ir*kp : (ir+mr)*kp]
			for r := 0; r < min(mr, mc-ir); r++ {
				i := ic + ir + r
				bk.bf16Row(g.a[i*g.lda+pc:i*g.lda+pc+kc], run)
				for q, w := range run {
					panel[bk.aIndex(q, r)] = w
				}
			}
		}
		return
	}
	buf := getScratchDirty(mc)
	defer putScratch(buf)
	row := asWords(*buf)
	for q := 0; q < pairs; q++ {
		p := pc + 2*q
		r0 := g.a[p*g.lda+ic : p*g.lda+ic+mc]
		if p+1 < pc+kc {
			bk.bf16Pairs(r0, g.a[(p+1)*g.lda+ic:(p+1)*g.lda+ic+mc], row)
		} else {
			for c, v := range r0 {
				row[c] = bf16Bits(v)
			}
		}
		for ir := 0; ir < mc; ir += mr {
			panel := dst[ir*kp : (ir+mr)*kp]
			for r, w := range row[ir:min(ir+mr, mc)] {
				panel[bk.aIndex(q, r)] = w
			}
		}
	}
}

// bStart is where the stored B's row i starts: i*ldb, or bOffs[i].
func (g *gemmArgs) bStart(i int) int {
	if g.bOffs != nil {
		return g.bOffs[i]
	}
	return i * g.ldb
}

// packPanelBF16 packs op(B)[pc:pc+kc, j0:j0+cols] into one panel of nr
// columns: for each pair of steps, nr pairs, zero past the last column,
// in the last pair's high half for odd kc, and in the pairs that pad kp
// to whole blocks.
func (g *gemmArgs) packPanelBF16(panel []uint32, pc, kc, j0, cols int) {
	bk := g.bf16
	nr, pairs := bk.nr, (kc+1)/2
	clear(panel[pairs*nr:])
	if g.transB && bk.transpose != nil {
		g.packPanelBF16Trans(panel, pc, kc, j0, cols)
		return
	}
	for q := 0; q < pairs; q++ {
		d := panel[q*nr : (q+1)*nr]
		p := pc + 2*q
		odd := p+1 < pc+kc
		switch {
		case g.transB:
			for c := 0; c < cols; c++ {
				src := g.b[g.bStart(j0+c)+p:]
				hi := float32(0)
				if odd {
					hi = src[1]
				}
				d[c] = bf16Pair(src[0], hi)
			}
		case odd:
			bk.bf16Pairs(g.b[g.bStart(p)+j0:g.bStart(p)+j0+cols], g.b[g.bStart(p+1)+j0:g.bStart(p+1)+j0+cols], d)
		default:
			for c, v := range g.b[g.bStart(p)+j0 : g.bStart(p)+j0+cols] {
				d[c] = bf16Bits(v)
			}
		}
		clear(d[cols:])
	}
}

// packPanelBF16Trans is packPanelBF16 for a transposed B, with the
// kernel's vector functions: each column of op(B) is a run of the stored
// B, converted to pairs, then transposed into place.
func (g *gemmArgs) packPanelBF16Trans(panel []uint32, pc, kc, j0, cols int) {
	bk := g.bf16
	nr, pairs := bk.nr, (kc+1)/2
	buf := getScratchDirty(cols * pairs)
	defer putScratch(buf)
	runs := asWords(*buf)
	for c := 0; c < cols; c++ {
		src := g.b[g.bStart(j0+c)+pc : g.bStart(j0+c)+pc+kc]
		bk.bf16Row(src, runs[c*pairs:(c+1)*pairs])
	}
	fr, fp := asFloats(runs), asFloats(panel)
	for c := 0; c < cols; c += 16 {
		for q := 0; q < pairs; q += 16 {
			bk.transpose(fr[c*pairs+q:], pairs, min(16, cols-c), min(16, pairs-q), fp[q*nr+c:], nr)
		}
	}
	if cols < nr {
		for q := 0; q < pairs; q++ {
			clear(panel[q*nr+cols : (q+1)*nr])
		}
	}
}

// LinearBF16 sets y (n×outF) = x (n×in) · wᵀ with bf16 products, w being
// outF×in, as GemmBF16(false, true, ...) does. With a cache (a weight that
// does not change), w's bf16 pairs are packed once and kept, and the
// product is taken as w·xᵀ, then transposed: a small batch then costs no
// conversion of the whole weight.
func LinearBF16(n, in, outF int, x, w, y []float32, cache WeightCacheID) {
	c := cache.cache()
	if c == nil || n > linearCachedMaxRows {
		GemmBF16(false, true, n, outF, in, 1, x, in, w, in, 0, y, outF)
		return
	}
	pa, _ := c.form(weightForm{packedBF16, outF, in, activeBF16.name}, packedSizeBF16(outF, in), func(dst []float32) {
		packWeightsBF16(asWords(dst), w, in, outF, in, false)
	})
	yt := getScratchDirty(outF * n)
	defer putScratch(yt)
	gemmBF16Offsets(true, outF, n, in, asWords(pa), nil, 0, x, in, nil, 0, *yt, n)
	Transpose(*yt, outF, n, y)
}

// linearCachedMaxRows is the largest batch LinearBF16 takes through the
// cached weight; a larger one amortises packing x·wᵀ's B itself.
const linearCachedMaxRows = 64
