package kernels

import (
	"math"
	"unsafe"
)

// bfloat16 mixed precision: products of operands rounded to bf16 (8 bits
// of mantissa), summed in float32, as torch.autocast does on CPUs. The
// product of two bf16 values is exact in float32, so every path — AMX,
// AVX512-BF16 or the pure-Go emulation — computes the same sums up to
// their order.
//
// A bf16 GEMM's operands are packed as pairs: one 32-bit word holds two
// bf16 values adjacent in k, the even step in its low half (the layout
// VDPBF16PS and AMX's TDPBF16PS read, "VNNI").

// bf16Bits rounds f to bfloat16, to nearest even, as VCVTNEPS2BF16 does:
// subnormal inputs and results become zeros of their sign, NaNs stay NaN
// (made quiet), and values past the largest bf16 become infinities.
func bf16Bits(f float32) uint32 {
	u := math.Float32bits(f)
	switch {
	case u&0x7f800000 == 0: // zero or subnormal
		return u >> 16 & 0x8000
	case u&0x7fffffff > 0x7f800000: // NaN
		return u>>16 | 0x40
	}
	return (u + 0x7fff + u>>16&1) >> 16
}

// bf16Float is the float32 of the bf16 value in the low half of h.
func bf16Float(h uint32) float32 { return math.Float32frombits(h << 16) }

// bf16Pair packs a and b, rounded to bf16, into one word, a in the low
// half.
func bf16Pair(a, b float32) uint32 { return bf16Bits(a) | bf16Bits(b)<<16 }

// RoundBF16 sets dst[i] to src[i] rounded to bfloat16 (as bf16Bits) and
// back: the value a bf16 product sees. dst may be src.
func RoundBF16(dst, src []float32) {
	done := 0
	if r := activeBF16.round; r != nil && len(src) >= 16 {
		done = len(src) &^ 15
		r(done/16, src, dst)
	}
	for i := done; i < len(src); i++ {
		dst[i] = bf16Float(bf16Bits(src[i]))
	}
}

// bf16Kernel is a bf16 GEMM micro-kernel: fn adds A·B into a gemmMR×nr
// tile of C, for kp steps of pairs: A packed, gemmMR pairs a step; B rows
// of nr pairs, ldb apart.
type bf16Kernel struct {
	name string
	nr   int
	fn   func(kp int, a, b []uint32, ldb int, c []float32, ldc int)
	// set is fn storing C = A·B: C is not read.
	set func(kp int, a, b []uint32, ldb int, c []float32, ldc int)
	// pairs, where not nil, sets dst[j] = bf16Pair(r0[j], r1[j]) for the
	// first 16*n columns.
	pairs func(n int, r0, r1 []float32, dst []uint32)
	// row, where not nil, sets dst[j] = bf16Pair(src[2j], src[2j+1]) for
	// the first 16*n words.
	row func(n int, src []float32, dst []uint32)
	// round, where not nil, sets dst[i] = bf16Float(bf16Bits(src[i])) for
	// the first 16*n values.
	round func(n int, src, dst []float32)
	// transpose, where not nil, is kvecKernels.transpose: 16×16 blocks of
	// words, moved as they are.
	transpose func(src []float32, lds, rows, cols int, dst []float32, ldd int)
}

// genericBF16Kernel is the pure-Go emulation, the reference for the
// others.
var genericBF16Kernel = bf16Kernel{name: "bf16-emulated", nr: 16, fn: kernelBF16Generic,
	set: func(kp int, a, b []uint32, ldb int, c []float32, ldc int) {
		for r := 0; r < gemmMR; r++ {
			clear(c[r*ldc : r*ldc+16])
		}
		kernelBF16Generic(kp, a, b, ldb, c, ldc)
	}}

// activeBF16 is the bf16 micro-kernel GemmBF16 uses: the best this CPU
// runs.
var activeBF16 = bf16KernelsAvailable()[0]

// BF16KernelName reports which kernel the bf16 GEMMs use: "amx",
// "avx512-bf16" or "bf16-emulated".
func BF16KernelName() string { return activeBF16.name }

func kernelBF16Generic(kp int, a, b []uint32, ldb int, c []float32, ldc int) {
	var acc [gemmMR * 16]float32
	a = a[:kp*gemmMR]
	for p := 0; p < kp; p++ {
		bp := b[p*ldb : p*ldb+16 : p*ldb+16]
		for r, x := range a[p*gemmMR : p*gemmMR+gemmMR] {
			x0, x1 := bf16Float(x), bf16Float(x>>16)
			row := acc[r*16 : r*16+16 : r*16+16]
			for j, y := range bp {
				// The odd step first, as VDPBF16PS: the products are
				// exact, the two sums rounded.
				row[j] += x1 * bf16Float(y>>16)
				row[j] += x0 * bf16Float(y)
			}
		}
	}
	for r := 0; r < gemmMR; r++ {
		row := c[r*ldc : r*ldc+16]
		for j, v := range acc[r*16 : r*16+16] {
			row[j] += v
		}
	}
}

// asWords is the memory of f seen as 32-bit words: the bf16 pairs' buffers
// come from the float32 scratch pools.
func asWords(f []float32) []uint32 {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&f[0])), len(f))
}

// asFloats is the memory of w seen as float32s, for kernels that move
// words without reading them as numbers (transpose).
func asFloats(w []uint32) []float32 {
	if len(w) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&w[0])), len(w))
}

// bf16Row sets dst[q] = bf16Pair(src[2q], src[2q+1]) for q < (len(src)+1)/2,
// a zero high half after an odd last value: a run of k converted to pairs.
func (bk *bf16Kernel) bf16Row(src []float32, dst []uint32) {
	done := 0
	if bk.row != nil && len(src) >= 32 {
		n := len(src) / 32
		bk.row(n, src, dst)
		done = 32 * n
	}
	for i := done; i < len(src); i += 2 {
		hi := float32(0)
		if i+1 < len(src) {
			hi = src[i+1]
		}
		dst[i/2] = bf16Pair(src[i], hi)
	}
}

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

// packedSizeBF16 is the number of words packWeightsBF16 writes for rows×k.
func packedSizeBF16(rows, k int) int { return roundUp(rows, gemmMR) * ((k + 1) / 2) }

// packWeightsBF16 packs the rows×k matrix a (row stride lda), or with
// trans the transpose of a k×rows one, into out (packedSizeBF16 words) as
// the bf16 GEMM's A: blocks of gemmKC steps of k, each rows rounded up to
// gemmMR, in panels of gemmMR pairs a step.
func packWeightsBF16(out []uint32, a []float32, lda, rows, k int, trans bool) {
	rp := roundUp(rows, gemmMR)
	g := gemmArgs{alpha: 1, a: a, lda: lda, transA: trans, bf16: &activeBF16}
	for pc := 0; pc < k; pc += gemmKC {
		kc := min(gemmKC, k-pc)
		kp := (kc + 1) / 2
		g.packABF16(out[pc/2*rp:pc/2*rp+rp*kp], 0, rows, pc, kc)
	}
}

// gemmPrepackedBF16 is gemmPrepacked for an A that packWeightsBF16
// packed.
func gemmPrepackedBF16(m, n, k int, pa []uint32, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m <= 0 || n <= 0 {
		return
	}
	if k <= 0 || beta != 0 {
		scaleRows(m, n, beta, c, ldc)
	}
	if k <= 0 {
		return
	}
	g := gemmTasks.get()
	defer gemmTasks.put(g)
	*g = gemmArgs{k: k, alpha: 1, b: b, ldb: ldb, c: c, ldc: ldc, kern: microKernel{name: activeBF16.name, nr: activeBF16.nr},
		bf16: &activeBF16, packedA16: pa, mPad: roundUp(m, gemmMR), zeroC: beta == 0}
	g.split(m, n)
}

// gemmBF16Offsets computes C = A·op(B) + beta*C in bf16 with B read
// through offsets (see gemmArgs.bOffs): an implicit convolution's
// product. A is m×k: packed by packWeightsBF16 if pa is not nil, else a
// (row stride lda), not transposed.
func gemmBF16Offsets(transB bool, m, n, k int, pa []uint32, a []float32, lda int, b []float32, offs []int, beta float32, c []float32, ldc int) {
	if m <= 0 || n <= 0 {
		return
	}
	if k <= 0 || beta != 0 {
		scaleRows(m, n, beta, c, ldc)
	}
	if k <= 0 {
		return
	}
	g := gemmTasks.get()
	defer gemmTasks.put(g)
	*g = gemmArgs{transB: transB, k: k, alpha: 1, a: a, lda: lda, b: b, bOffs: offs, c: c, ldc: ldc,
		kern: microKernel{name: activeBF16.name, nr: activeBF16.nr}, bf16: &activeBF16, zeroC: beta == 0}
	if pa != nil {
		g.packedA16, g.mPad = pa, roundUp(m, gemmMR)
	}
	g.split(m, n)
}

// blockBF16 is block for a bf16 GEMM: B is always packed, as its
// conversion to pairs is needed anyway.
func (g *gemmArgs) blockBF16(i0, i1, j0, j1 int) {
	nr := g.bf16.nr
	kp0 := (min(gemmKC, g.k) + 1) / 2
	nc0 := min(gemmNC, roundUp(j1-j0, nr))
	mc0 := min(gemmMC, roundUp(i1-i0, gemmMR))
	tile := getScratch(gemmMR * nr)
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
			kp := (kc + 1) / 2
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
	nr, fn, set := g.bf16.nr, g.bf16.fn, g.bf16.set
	first := g.zeroC && pc == 0
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		bp := pb[jr*kp : (jr+nr)*kp]
		for ir := 0; ir < mc; ir += gemmMR {
			ap := pa[ir*kp : (ir+gemmMR)*kp]
			rows := min(gemmMR, mc-ir)
			off := (ic+ir)*g.ldc + jc + jr
			if rows == gemmMR && cols == nr {
				if first {
					set(kp, ap, bp, nr, g.c[off:], g.ldc)
				} else {
					fn(kp, ap, bp, nr, g.c[off:], g.ldc)
				}
				continue
			}
			set(kp, ap, bp, nr, tile, nr)
			for r := 0; r < rows; r++ {
				if first {
					copy(g.c[off+r*g.ldc:off+r*g.ldc+cols], tile[r*nr:r*nr+cols])
				} else {
					add(tile[r*nr:r*nr+cols], g.c[off+r*g.ldc:])
				}
			}
		}
	}
}

// packABF16 packs alpha*op(A)[ic:ic+mc, pc:pc+kc] into panels of gemmMR
// rows: panel q holds, for each pair of steps, gemmMR pairs; zero past the
// last row and, for odd kc, in the last pair's high half.
func (g *gemmArgs) packABF16(dst []uint32, ic, mc, pc, kc int) {
	kp := (kc + 1) / 2
	if g.alpha == 1 && g.bf16 != nil {
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
	for ir := 0; ir < mc; ir += gemmMR {
		panel := dst[ir*kp : (ir+gemmMR)*kp]
		rows := min(gemmMR, mc-ir)
		for q := 0; q < kp; q++ {
			d := panel[q*gemmMR : (q+1)*gemmMR]
			p := pc + 2*q
			for r := 0; r < rows; r++ {
				d[r] = bf16Pair(at(ic+ir+r, p), at(ic+ir+r, p+1))
			}
			clear(d[rows:])
		}
	}
}

// packABF16Vec is packABF16 for alpha 1, converting whole runs of A with
// the kernel's vector functions: a row of A along k (not transposed), or
// two rows of the stored A side by side (transposed), then moving the
// words into place.
func (g *gemmArgs) packABF16Vec(dst []uint32, ic, mc, pc, kc int) {
	kp := (kc + 1) / 2
	bk := g.bf16
	if !g.transA {
		buf := getScratchDirty(kp)
		defer putScratch(buf)
		run := asWords(*buf)
		for ir := 0; ir < mc; ir += gemmMR {
			panel := dst[ir*kp : (ir+gemmMR)*kp]
			rows := min(gemmMR, mc-ir)
			for r := 0; r < gemmMR; r++ {
				if r >= rows {
					for q := 0; q < kp; q++ {
						panel[q*gemmMR+r] = 0
					}
					continue
				}
				i := ic + ir + r
				bk.bf16Row(g.a[i*g.lda+pc:i*g.lda+pc+kc], run)
				for q, w := range run {
					panel[q*gemmMR+r] = w
				}
			}
		}
		return
	}
	buf := getScratchDirty(roundUp(mc, gemmMR))
	defer putScratch(buf)
	pairs := asWords(*buf)
	clear(pairs[mc:])
	for q := 0; q < kp; q++ {
		p := pc + 2*q
		r0 := g.a[p*g.lda+ic : p*g.lda+ic+mc]
		if p+1 < pc+kc {
			r1 := g.a[(p+1)*g.lda+ic : (p+1)*g.lda+ic+mc]
			done := 0
			if bk.pairs != nil && mc >= 16 {
				done = mc &^ 15
				bk.pairs(done/16, r0, r1, pairs)
			}
			for c := done; c < mc; c++ {
				pairs[c] = bf16Pair(r0[c], r1[c])
			}
		} else {
			for c, v := range r0 {
				pairs[c] = bf16Bits(v)
			}
		}
		for ir := 0; ir < mc; ir += gemmMR {
			copy(dst[ir*kp+q*gemmMR:ir*kp+(q+1)*gemmMR], pairs[ir:ir+gemmMR])
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

// packPanelBF16Trans is packPanelBF16 for a transposed B, with the
// kernel's vector functions.
func (g *gemmArgs) packPanelBF16Trans(panel []uint32, pc, kc, j0, cols int) {
	nr, bk := g.bf16.nr, g.bf16
	kp := (kc + 1) / 2
	// Each column of op(B) is a run of the stored B: convert the panel's
	// columns to runs of pairs, then transpose them into place.
	buf := getScratchDirty(cols * kp)
	defer putScratch(buf)
	runs := asWords(*buf)
	for c := 0; c < cols; c++ {
		src := g.b[g.bStart(j0+c)+pc : g.bStart(j0+c)+pc+kc]
		bk.bf16Row(src, runs[c*kp:(c+1)*kp])
	}
	fr, fp := asFloats(runs), asFloats(panel)
	for c := 0; c < cols; c += 16 {
		for q := 0; q < kp; q += 16 {
			bk.transpose(fr[c*kp+q:], kp, min(16, cols-c), min(16, kp-q), fp[q*nr+c:], nr)
		}
	}
	if cols < nr {
		for q := 0; q < kp; q++ {
			clear(panel[q*nr+cols : (q+1)*nr])
		}
	}
}

// packPanelBF16 packs op(B)[pc:pc+kc, j0:j0+cols] into one panel of nr
// columns: for each pair of steps, nr pairs, zero past the last column
// and, for odd kc, in the last pair's high half.
func (g *gemmArgs) packPanelBF16(panel []uint32, pc, kc, j0, cols int) {
	nr := g.bf16.nr
	kp := (kc + 1) / 2
	for q := 0; q < kp; q++ {
		d := panel[q*nr : (q+1)*nr]
		p := pc + 2*q
		odd := p+1 < pc+kc
		switch {
		case g.transB && g.bf16.transpose != nil:
			g.packPanelBF16Trans(panel, pc, kc, j0, cols)
			return
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
			r0 := g.b[g.bStart(p)+j0 : g.bStart(p)+j0+cols]
			r1 := g.b[g.bStart(p+1)+j0 : g.bStart(p+1)+j0+cols]
			done := 0
			if pairs := g.bf16.pairs; pairs != nil && cols >= 16 {
				done = cols &^ 15
				pairs(done/16, r0, r1, d)
			}
			for c := done; c < cols; c++ {
				d[c] = bf16Pair(r0[c], r1[c])
			}
		default:
			for c, v := range g.b[g.bStart(p)+j0 : g.bStart(p)+j0+cols] {
				d[c] = bf16Bits(v)
			}
		}
		clear(d[cols:])
	}
}
