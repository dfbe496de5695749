package kernels

// Gemm computes C = alpha*op(A)*op(B) + beta*C, where op(X) is X or its
// transpose. op(A) is m×k, op(B) is k×n and C is m×n; lda, ldb and ldc are
// the row strides of A, B and C as stored. With beta 0, C is overwritten
// and its old contents are never read (NaNs in it do not propagate).
//
// It is a blocked, packed GEMM in the manner of BLIS/GotoBLAS: panels of
// op(B) and blocks of op(A) are copied into contiguous, zero-padded
// micro-panels, and a register-tiled micro-kernel (assembly where the CPU
// allows, see microKernel) computes gemmMR×nr tiles of C. Large products are
// split across the worker pool by columns (or rows, when C is narrow).
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m <= 0 || n <= 0 {
		return
	}
	if k <= 0 || alpha == 0 {
		scaleRows(m, n, beta, c, ldc)
		return
	}
	g := gemmTasks.get()
	defer gemmTasks.put(g)
	*g = gemmArgs{transA: transA, transB: transB, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, kern: activeKernel}
	if n == 1 && !transA && k >= dotMinK && g.kern.dot.fn != nil && !transB {
		// A matrix-vector product: gather the column of B and take dot
		// products of A's rows with it.
		col := getScratchDirty(k)
		defer putScratch(col)
		for p := range *col {
			(*col)[p] = b[p*ldb]
		}
		g.b, g.ldb, g.transB = *col, k, true
		transB = true
	}
	if transB && !transA && k >= dotMinK && g.kern.dot.fn != nil && (m < dotMaxM || g.fewPanels(m, n, k)) {
		// Rows of A times rows of B: dot products need no packing, which
		// pays while A has few rows to share the cost of packing B. They
		// add into C.
		scaleRows(m, n, beta, c, ldc)
		if m == 1 {
			// One row of A (a batch of one): let the rows of B fill the
			// tall side of the dot kernel's tile, computing Cᵀ = B·Aᵀ,
			// which has C's layout when C is one row.
			// (g.b is B's gathered column when n is 1 too.)
			*g = gemmArgs{transB: true, k: k, alpha: alpha, a: g.b, lda: g.ldb, b: g.a, ldb: g.lda, c: c, ldc: 1, kern: g.kern}
			m, n = n, 1
		}
		mr, nr := g.kern.dot.mr, g.kern.dot.nr
		g.m, g.n = m, n
		if n == 1 && g.kern.gemv != nil {
			// One row of B: a matrix times a vector.
			if m*k < 1<<17 {
				g.gemv(0, m)
			} else {
				g.mode = gemvByRows
				parallelTask((m+gemvRows-1)/gemvRows, g)
			}
			return
		}
		switch {
		case m*n*k < 1<<17:
			g.dots(0, m, 0, n)
		case m >= 2*mr*Threads():
			g.mode = dotsByRows
			parallelTask((m+mr-1)/mr, g)
		default:
			// Few rows (a small batch times a big weight): split columns.
			g.mode = dotsByCols
			parallelTask((n+nr-1)/nr, g)
		}
		return
	}
	// With beta 0, C is cleared tile by tile as its first block of k
	// reaches it, while in cache, rather than in a pass of its own.
	if beta == 0 {
		g.zeroC = true
	} else {
		scaleRows(m, n, beta, c, ldc)
	}
	g.split(m, n)
}

// gemmTasks recycles the state of Gemm calls, which the workers share.
var gemmTasks taskPool[gemmArgs]

// gemmMode says how a Gemm's work is split into the ranges its run gets.
type gemmMode uint8

const (
	blockByCols gemmMode = iota // ranges of nr-column panels of C
	blockByRows                 // ranges of gemmMR-row tiles of C
	dotsByRows                  // ranges of the dot kernel's row tiles
	dotsByCols                  // ranges of the dot kernel's column tiles
	gemvByRows                  // ranges of gemvRows rows
	packPanels                  // ranges of B's panels, packed into packedB
)

// run does the part [lo, hi) of g's product that g.mode says.
func (g *gemmArgs) run(_, lo, hi int) {
	m, n := g.m, g.n
	switch g.mode {
	case blockByCols:
		nr := g.kern.nr
		g.block(0, m, lo*nr, min(hi*nr, n))
	case blockByRows:
		mr := g.rowTile()
		g.block(lo*mr, min(hi*mr, m), 0, n)
	case dotsByRows:
		mr := g.kern.dot.mr
		g.dots(lo*mr, min(hi*mr, m), 0, n)
	case dotsByCols:
		nr := g.kern.dot.nr
		g.dots(0, m, lo*nr, min(hi*nr, n))
	case gemvByRows:
		g.gemv(lo*gemvRows, min(hi*gemvRows, m))
	case packPanels:
		nr := g.kern.nr
		for jr := lo; jr < hi; jr++ {
			g.packPanelB(g.packedB[jr*nr*g.k:(jr+1)*nr*g.k], 0, g.k, jr*nr, min(nr, n-jr*nr))
		}
	}
}

// gemmPrepacked is Gemm without transposes and with alpha 1, for an A
// that packWeights packed (m rows, k columns): a convolution's weights,
// packed once for all the GEMMs of a batch.
func gemmPrepacked(m, n, k int, pa []float32, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if !scaleForPrepacked(m, n, k, beta, c, ldc) {
		return
	}
	g := gemmTasks.get()
	defer gemmTasks.put(g)
	// With beta 0, C is cleared tile by tile as its first block of k
	// reaches it, while in cache, rather than in a pass of its own.
	*g = gemmArgs{k: k, alpha: 1, b: b, ldb: ldb, c: c, ldc: ldc, kern: activeKernel, packedA: pa, mPad: roundUp(m, gemmMR), zeroC: beta == 0}
	g.split(m, n)
}

// scaleForPrepacked scales C by beta where the GEMM will not (beta 0 is
// left to the first block of k, which stores rather than adds), and
// reports whether there is a product to compute.
func scaleForPrepacked(m, n, k int, beta float32, c []float32, ldc int) bool {
	if m <= 0 || n <= 0 {
		return false
	}
	if k <= 0 || beta != 0 {
		scaleRows(m, n, beta, c, ldc)
	}
	return k > 0
}

// split computes the m×n product with the packed micro-kernel, split
// across the worker pool by columns or rows.
func (g *gemmArgs) split(m, n int) {
	nr, k := g.kern.nr, g.k
	g.m, g.n = m, n
	// Below this size waking workers costs more than the work.
	if m*n*k < 1<<17 || Chunks(2) < 2 {
		g.block(0, m, 0, n)
		return
	}
	mr := g.rowTile()
	if n >= 2*nr*Threads() || m < 2*mr {
		g.mode = blockByCols
		parallelTask((n+nr-1)/nr, g)
		return
	}
	if g.transB && k <= gemmKC && n <= gemmNC && g.bf16 == nil {
		// Every chunk of rows would pack all of the transposed B: pack
		// it once, its panels split across threads, for all of them.
		buf := getScratchDirty(k * roundUp(n, nr))
		defer putScratch(buf)
		g.packedB = *buf
		g.mode = packPanels
		parallelTask((n+nr-1)/nr, g)
	}
	g.mode = blockByRows
	parallelTask((m+mr-1)/mr, g)
}

// rowTile is the height of the micro-kernel's tiles: gemmMR, or the bf16
// kernel's.
func (g *gemmArgs) rowTile() int {
	if g.bf16 != nil {
		return g.bf16.mr
	}
	return gemmMR
}

// dotMinK is the least k for which a product with transposed B is done as
// dot products of rows rather than by packing.
const dotMinK = 64

// dotMaxM bounds the rows of A for which a product with transposed B is
// done as dot products: from about 32 rows on, packing B (transposed by
// 16×16 blocks where the kernel has vectors for it) costs less than the
// dot kernels' horizontal sums, the more so for short rows
// (BenchmarkGemmTransB).
const dotMaxM = 32

// fewPanels reports whether a product with transposed B of m < 4·dotMaxM
// rows still runs faster as dot products: with long rows (k ≥ 256) and B
// of fewer than four panels, which the threads would pack unevenly, one
// call after another. LeNet-5's third convolution in training (64×120,
// k 400): 24.4 against 27.5 µs on a quiet machine, one run after the
// other; its training step 0.9% faster, alternated in one process.
func (g *gemmArgs) fewPanels(m, n, k int) bool {
	return m < 4*dotMaxM && k >= 256 && n < 4*g.kern.nr
}

// dots computes C[i0:i1, j0:j1] += alpha*A·Bᵀ with the dot kernel; edge
// tiles use zero-padded copies of the last rows of A and B.
func (g *gemmArgs) dots(i0, i1, j0, j1 int) {
	d := g.kern.dot
	kv := g.k / d.lanes * d.lanes
	if d.anyK {
		kv = g.k
	}
	// Scratch rather than an array on the stack: the kernel is called
	// through a function value, so an array passed to it would be
	// allocated on the heap at every call.
	outBuf := getScratchDirty(24)
	defer putScratch(outBuf)
	out := *outBuf
	var padA, padB *[]float32
	if (i1-i0)%d.mr != 0 {
		padA = getScratch(d.mr * g.k)
		defer putScratch(padA)
		last := i1 - (i1-i0)%d.mr
		for r := last; r < i1; r++ {
			copy((*padA)[(r-last)*g.k:], g.a[r*g.lda:r*g.lda+g.k])
		}
	}
	if (j1-j0)%d.nr != 0 {
		padB = getScratch(d.nr * g.k)
		defer putScratch(padB)
		last := j1 - (j1-j0)%d.nr
		for j := last; j < j1; j++ {
			copy((*padB)[(j-last)*g.k:], g.b[j*g.ldb:j*g.ldb+g.k])
		}
	}
	for i := i0; i < i1; i += d.mr {
		rows := min(d.mr, i1-i)
		a, lda := g.a[i*g.lda:], g.lda
		if rows < d.mr {
			a, lda = *padA, g.k
		}
		for j := j0; j < j1; j += d.nr {
			cols := min(d.nr, j1-j)
			b, ldb := g.b[j*g.ldb:], g.ldb
			if cols < d.nr {
				b, ldb = *padB, g.k
			}
			d.fn(kv, a, lda, b, ldb, out)
			for r := 0; r < rows; r++ {
				crow := g.c[(i+r)*g.ldc+j:]
				for c := 0; c < cols; c++ {
					s := out[r*d.nr+c]
					if kv < g.k {
						s += dot(a[r*lda+kv:r*lda+g.k], b[c*ldb+kv:])
					}
					crow[c] += g.alpha * s
				}
			}
		}
	}
}

// gemv computes C[i0:i1, 0] += alpha*A[i0:i1, :]·B[0, :] with the
// kernel's gemv, gemvRows rows at a time. A last group that would run past
// i1 is moved back to end there (reading rows before i0 if need be), and
// only its rows not yet done are added; with fewer than gemvRows rows in A
// the rows take plain dot products.
func (g *gemmArgs) gemv(i0, i1 int) {
	x := g.b[:g.k]
	outBuf := getScratchDirty(gemvRows) // see dots
	defer putScratch(outBuf)
	out := *outBuf
	for i := i0; i < i1; i += gemvRows {
		start := min(i, i1-gemvRows)
		if start < 0 {
			for ; i < i1; i++ {
				g.c[i*g.ldc] += g.alpha * dot(g.a[i*g.lda:i*g.lda+g.k], x)
			}
			return
		}
		g.kern.gemv(g.k, g.a[start*g.lda:], g.lda, x, out)
		for r := i - start; r < gemvRows; r++ {
			g.c[(start+r)*g.ldc] += g.alpha * out[r]
		}
	}
}

// gemmMR is the height of the micro-kernel's tile of C, the same for
// every kernel, so that packed A panels serve them all.
const gemmMR = 6

// Cache blocking: a kc×nr micro-panel of B stays in L1 while gemmMR×kc
// micro-panels of A stream from an mc×kc block kept in L2.
const (
	gemmKC = 512
	gemmMC = 192
	gemmNC = 3072
)

type gemmArgs struct {
	transA, transB bool
	k              int
	alpha          float32
	a              []float32
	lda            int
	b              []float32
	ldb            int
	c              []float32
	ldc            int
	kern           microKernel
	// packedA, if not nil, is A as packWeights packs it, for mPad rows;
	// a is then unused.
	packedA []float32
	mPad    int
	// packedB, if not nil, is all of B packed in panels, for a B of one
	// cache block (k <= gemmKC, n <= gemmNC).
	packedB []float32
	// m, n and mode say how run splits the work.
	m, n int
	mode gemmMode
	// zeroC says C holds garbage: the first block of k (pc 0) sets its
	// tiles rather than adding to them.
	zeroC bool
	// bf16, if not nil, makes this a bf16 GEMM (GemmBF16) run by that
	// kernel; kern then only gives its nr. packedA16 is then the
	// prepacked A, if any.
	bf16      *bf16Kernel
	packedA16 []uint32
	// bOffs, if not nil, places B's rows for a bf16 GEMM (an implicit
	// convolution's patches): row p of B at b[bOffs[p]:], or with transB,
	// column j of op(B), a row of the stored B, at b[bOffs[j]:]; ldb is
	// then unused.
	bOffs []int
}

// block computes rows [i0,i1) × columns [j0,j1) of C.
func (g *gemmArgs) block(i0, i1, j0, j1 int) {
	if g.bf16 != nil {
		g.blockBF16(i0, i1, j0, j1)
		return
	}
	nr := g.kern.nr
	kc0 := min(gemmKC, g.k)
	nc0 := min(gemmNC, roundUp(j1-j0, nr))
	mc0 := min(gemmMC, roundUp(i1-i0, gemmMR))
	tile := getScratch(max(gemmMR*nr, tallTileSize))
	defer putScratch(tile)
	var pb []float32
	if g.packedB == nil {
		bufB := getScratchDirty(kc0 * nc0)
		defer putScratch(bufB)
		pb = *bufB
	}
	var bufA *[]float32
	if g.packedA == nil {
		bufA = getScratchDirty(kc0 * mc0)
		defer putScratch(bufA)
	}
	for jc := j0; jc < j1; jc += gemmNC {
		nc := min(gemmNC, j1-jc)
		for pc := 0; pc < g.k; pc += gemmKC {
			kc := min(gemmKC, g.k-pc)
			// A B that is not transposed is read in place where its
			// block fits in L2, or where A has so few rows that packing
			// would cost more than reading B's panels once per row tile;
			// only its last, partial panel is packed.
			direct := !g.transB && (kc*g.ldb <= directBLimit || i1-i0 <= directBRows)
			if g.packedB != nil {
				pb = g.packedB[j0*kc:]
			} else {
				for jr := 0; jr < nc; jr += nr {
					if !direct || nc-jr < nr {
						g.packPanelB(pb[jr*kc:(jr+nr)*kc], pc, kc, jc+jr, min(nr, nc-jr))
					}
				}
			}
			for ic := i0; ic < i1; ic += gemmMC {
				mc := min(gemmMC, i1-ic)
				var pa []float32
				switch {
				case g.packedA != nil:
					pa = g.packedA[pc*g.mPad+ic*kc:]
				case g.aInPlace():
					// Only a last tile of fewer rows is packed.
					pa = *bufA
					if rem := mc % gemmMR; rem != 0 {
						g.packA(pa[(mc-rem)*kc:], ic+mc-rem, rem, pc, kc)
					}
				default:
					g.packA(*bufA, ic, mc, pc, kc)
					pa = *bufA
				}
				g.macroKernel(pa, pb, *tile, ic, mc, jc, nc, pc, kc, direct)
			}
		}
	}
}

// aInPlace reports whether the micro-kernel reads whole tiles of A where
// they lie, unpacked: A is not packed already, alpha is 1 (packing
// scales), and the kernel has a variant for A's layout.
func (g *gemmArgs) aInPlace() bool {
	if g.packedA != nil || g.alpha != 1 {
		return false
	}
	if g.transA {
		return g.kern.aTrans != nil
	}
	return g.kern.aRows != nil
}

// kernelAInPlace runs the micro-kernel on the tile of A at rows i, steps
// [pc, pc+kc), read in place, adding into C.
func (g *gemmArgs) kernelAInPlace(i, pc, kc int, b []float32, ldb int, c []float32, ldc int) {
	if g.transA {
		g.kern.aTrans(kc, g.a[pc*g.lda+i:], g.lda, b, ldb, c, ldc)
	} else {
		g.kern.aRows(kc, g.a[i*g.lda+pc:], g.lda, b, ldb, c, ldc)
	}
}

// setAInPlace is kernelAInPlace storing C = A·B, and reports whether the
// kernel has the variant that does.
func (g *gemmArgs) setAInPlace(i, pc, kc int, b []float32, ldb int, c []float32, ldc int) bool {
	switch {
	case g.transA && g.kern.aTransSet != nil:
		g.kern.aTransSet(kc, g.a[pc*g.lda+i:], g.lda, b, ldb, c, ldc)
	case !g.transA && g.kern.aRowsSet != nil:
		g.kern.aRowsSet(kc, g.a[i*g.lda+pc:], g.lda, b, ldb, c, ldc)
	default:
		return false
	}
	return true
}

// directBLimit bounds, in elements, the block of B read without packing,
// and directBRows the rows of C above which it is packed all the same.
const (
	directBLimit = 96 << 10
	directBRows  = 2 * gemmMR
)

// macroKernel multiplies a packed mc×kc block of A by the kc×nc panel of B
// at (pc, jc) — packed, or in place where direct — into C[ic:, jc:].
func (g *gemmArgs) macroKernel(pa, pb, tile []float32, ic, mc, jc, nc, pc, kc int, direct bool) {
	nr := g.kern.nr
	for jr := 0; jr < nc; jr += nr {
		cols := min(nr, nc-jr)
		bp, ldb := pb[jr*kc:jr*kc+nr*kc], nr
		if direct && cols == nr {
			bp, ldb = g.b[pc*g.ldb+jc+jr:], g.ldb
		}
		inPlace := g.aInPlace()
		first := g.zeroC && pc == 0
		// A last panel of few columns takes the narrow kernel, if any
		// (with A packed: it has no variant reading A in place).
		kern, knr := &g.kern, nr
		if !inPlace {
			kern = g.kern.forCols(cols)
			knr = kern.nr
		}
		ir := 0
		if kern.tall != nil && !inPlace {
			ir = g.tallTiles(kern, pa, bp, ldb, tile, ic, mc, jc+jr, cols, kc, first)
		}
		for ; ir < mc; ir += gemmMR {
			ap := pa[ir*kc : ir*kc+gemmMR*kc]
			rows := min(gemmMR, mc-ir)
			off := (ic+ir)*g.ldc + jc + jr
			if rows == gemmMR && cols == knr {
				if first && !inPlace && kern.set != nil {
					// The first block of k stores its tile: C is not read.
					kern.set(kc, ap, bp, ldb, g.c[off:], g.ldc)
					continue
				}
				// So with A in place (ResNet-18's 7×7 weight gradients by
				// Winograd's method, 16 products of 512×160 by 160×512:
				// clearing their tiles a row at a time took 9% of them).
				if first && inPlace && g.setAInPlace(ic+ir, pc, kc, bp, ldb, g.c[off:], g.ldc) {
					continue
				}
				if first {
					for r := 0; r < gemmMR; r++ {
						clear(g.c[off+r*g.ldc : off+r*g.ldc+knr])
					}
				}
				if inPlace {
					g.kernelAInPlace(ic+ir, pc, kc, bp, ldb, g.c[off:], g.ldc)
				} else {
					kern.fn(kc, ap, bp, ldb, g.c[off:], g.ldc)
				}
				continue
			}
			// An edge tile: compute it whole in scratch, add the part
			// that lies inside C.
			clear(tile)
			if inPlace && rows == gemmMR {
				g.kernelAInPlace(ic+ir, pc, kc, bp, ldb, tile, nr)
			} else {
				kern.fn(kc, ap, bp, ldb, tile, nr)
			}
			g.storeEdge(tile, nr, rows, cols, off, first)
		}
	}
}

// tallTileSize bounds the scratch tile of tallTiles.
const tallTileSize = 4 * gemmMR * 16

// tallTiles computes the tiles of rows [0, r) of a macro-block's panel
// of cols columns at column jc with kern's tall kernel, for the largest r
// its tiles fill, and returns r. Panels narrower than the kernel go through
// tile, as edge tiles do.
func (g *gemmArgs) tallTiles(kern *microKernel, pa, bp []float32, ldb int, tile []float32, ic, mc, jc, cols, kc int, first bool) int {
	t, knr := kern.tall, kern.nr
	rows := t.panels * gemmMR
	ir := 0
	for ; ir+rows <= mc; ir += rows {
		ap := pa[ir*kc : ir*kc+rows*kc]
		off := (ic+ir)*g.ldc + jc
		switch {
		case cols < knr:
			t.set(kc, ap, bp, ldb, tile, knr)
			g.storeEdge(tile, knr, rows, cols, off, first)
		case first:
			t.set(kc, ap, bp, ldb, g.c[off:], g.ldc)
		default:
			t.fn(kc, ap, bp, ldb, g.c[off:], g.ldc)
		}
	}
	return ir
}

// storeEdge stores (first) or adds the rows×cols corner of an edge tile,
// computed whole in tile (rows nr apart), into C at off.
func (g *gemmArgs) storeEdge(tile []float32, nr, rows, cols, off int, first bool) {
	for r := 0; r < rows; r++ {
		if first {
			copy(g.c[off+r*g.ldc:off+r*g.ldc+cols], tile[r*nr:r*nr+cols])
		} else {
			add(tile[r*nr:r*nr+cols], g.c[off+r*g.ldc:])
		}
	}
}

// packA copies alpha*op(A)[ic:ic+mc, pc:pc+kc] into micro-panels of gemmMR
// rows: panel q holds, for each p, the gemmMR values of rows q*gemmMR...,
// zero past the last row.
func (g *gemmArgs) packA(dst []float32, ic, mc, pc, kc int) {
	for ir := 0; ir < mc; ir += gemmMR {
		panel := dst[ir*kc : (ir+gemmMR)*kc]
		rows := min(gemmMR, mc-ir)
		if rows == gemmMR && g.alpha == 1 {
			// A whole panel unscaled (a convolution's weights, packed
			// every training step): plain copies, in the panel's order.
			g.packWholePanel(panel, ic+ir, pc, kc)
			continue
		}
		if g.transA {
			// Row p of the stored A holds the panel's gemmMR values side
			// by side: copy them, one contiguous run per step.
			for p := 0; p < kc; p++ {
				d := panel[p*gemmMR : (p+1)*gemmMR]
				src := g.a[(pc+p)*g.lda+ic+ir:]
				for r := 0; r < rows; r++ {
					d[r] = g.alpha * src[r]
				}
				clear(d[rows:])
			}
			continue
		}
		for r := 0; r < gemmMR; r++ {
			if r >= rows {
				for p := 0; p < kc; p++ {
					panel[p*gemmMR+r] = 0
				}
				continue
			}
			i := ic + ir + r
			row := g.a[i*g.lda+pc : i*g.lda+pc+kc]
			for p, v := range row {
				panel[p*gemmMR+r] = g.alpha * v
			}
		}
	}
}

// packWholePanel is packA for one panel of gemmMR rows from row i, with
// alpha 1: panel[p*gemmMR+r] = op(A)[i+r, pc+p], written in order. It
// names the six rows (see panelRowsAreSix).
func (g *gemmArgs) packWholePanel(panel []float32, i, pc, kc int) {
	panel = panel[:kc*gemmMR]
	if g.transA {
		// Step p's six values lie side by side in row pc+p of A.
		for p := range kc {
			src := g.a[(pc+p)*g.lda+i : (pc+p)*g.lda+i+gemmMR : (pc+p)*g.lda+i+gemmMR]
			d := panel[p*gemmMR : p*gemmMR+gemmMR : p*gemmMR+gemmMR]
			d[0], d[1], d[2], d[3], d[4], d[5] = src[0], src[1], src[2], src[3], src[4], src[5]
		}
		return
	}
	row := func(r int) []float32 { return g.a[(i+r)*g.lda+pc : (i+r)*g.lda+pc+kc] }
	r0, r1, r2, r3, r4, r5 := row(0), row(1), row(2), row(3), row(4), row(5)
	for p := range kc {
		d := panel[p*gemmMR : p*gemmMR+gemmMR : p*gemmMR+gemmMR]
		d[0], d[1], d[2], d[3], d[4], d[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
	}
}

// packPanelB copies op(B)[pc:pc+kc, j0:j0+cols] into one micro-panel of
// nr columns: for each p, nr values, zero past the last column.
func (g *gemmArgs) packPanelB(panel []float32, pc, kc, j0, cols int) {
	nr := g.kern.nr
	if g.transB && g.kern.kvec != nil {
		// Transpose 16×16 blocks with vectors.
		tr := g.kern.kvec.transpose
		for c := 0; c < cols; c += kvecLanes {
			for p := 0; p < kc; p += kvecLanes {
				tr(g.b[(j0+c)*g.ldb+pc+p:], g.ldb, min(kvecLanes, cols-c), min(kvecLanes, kc-p), panel[p*nr+c:], nr)
			}
		}
		if cols < nr {
			for p := 0; p < kc; p++ {
				clear(panel[p*nr+cols : (p+1)*nr])
			}
		}
		return
	}
	if g.transB {
		// Read the source rows side by side, so that writes are
		// sequential; the rows' kc-long pieces stay in L1 meanwhile.
		for p := 0; p < kc; p++ {
			d := panel[p*nr : (p+1)*nr]
			src := g.b[j0*g.ldb+pc+p:]
			for c := 0; c < cols; c++ {
				d[c] = src[c*g.ldb]
			}
			clear(d[cols:])
		}
		return
	}
	for p := 0; p < kc; p++ {
		d := panel[p*nr : (p+1)*nr]
		copy(d[:cols], g.b[(pc+p)*g.ldb+j0:])
		clear(d[cols:])
	}
}

func roundUp(n, m int) int { return (n + m - 1) / m * m }

// panelRowsAreSix fails to compile unless gemmMR is 6, as packWholePanel
// and the assembly kernels assume.
const panelRowsAreSix = uint(gemmMR-6) + uint(6-gemmMR)

// scaleRows sets C = beta*C for an m×n matrix with row stride ldc.
func scaleRows(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}
