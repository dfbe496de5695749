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
	scaleRows(m, n, beta, c, ldc)
	if k <= 0 || alpha == 0 {
		return
	}
	g := gemmArgs{transA, transB, k, alpha, a, lda, b, ldb, c, ldc, activeKernel}
	nr := g.kern.nr
	// Below this size waking workers costs more than the work.
	if m*n*k < 1<<17 || Chunks(2) < 2 {
		g.block(0, m, 0, n)
		return
	}
	if n >= 2*nr*Threads() || m < 2*gemmMR {
		panels := (n + nr - 1) / nr
		Parallel(panels, func(lo, hi int) { g.block(0, m, lo*nr, min(hi*nr, n)) })
		return
	}
	tiles := (m + gemmMR - 1) / gemmMR
	Parallel(tiles, func(lo, hi int) { g.block(lo*gemmMR, min(hi*gemmMR, m), 0, n) })
}

// gemmMR is the height of the micro-kernel's tile of C, the same for
// every kernel, so that packed A panels serve them all.
const gemmMR = 6

// Cache blocking: a kc×nr micro-panel of B stays in L1 while gemmMR×kc
// micro-panels of A stream from an mc×kc block kept in L2.
const (
	gemmKC = 192
	gemmMC = 96
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
}

// block computes rows [i0,i1) × columns [j0,j1) of C.
func (g *gemmArgs) block(i0, i1, j0, j1 int) {
	nr := g.kern.nr
	kc0 := min(gemmKC, g.k)
	nc0 := min(gemmNC, roundUp(j1-j0, nr))
	mc0 := min(gemmMC, roundUp(i1-i0, gemmMR))
	bufB := getScratch(kc0 * nc0)
	bufA := getScratch(kc0 * mc0)
	tile := getScratch(gemmMR * nr)
	defer putScratch(bufB)
	defer putScratch(bufA)
	defer putScratch(tile)
	for jc := j0; jc < j1; jc += gemmNC {
		nc := min(gemmNC, j1-jc)
		for pc := 0; pc < g.k; pc += gemmKC {
			kc := min(gemmKC, g.k-pc)
			g.packB(*bufB, pc, kc, jc, nc)
			for ic := i0; ic < i1; ic += gemmMC {
				mc := min(gemmMC, i1-ic)
				g.packA(*bufA, ic, mc, pc, kc)
				g.macroKernel(*bufA, *bufB, *tile, ic, mc, jc, nc, kc)
			}
		}
	}
}

// macroKernel multiplies a packed mc×kc block of A by a packed kc×nc panel
// of B into C[ic:ic+mc, jc:jc+nc].
func (g *gemmArgs) macroKernel(pa, pb, tile []float32, ic, mc, jc, nc, kc int) {
	nr := g.kern.nr
	for jr := 0; jr < nc; jr += nr {
		bp := pb[jr*kc : jr*kc+nr*kc]
		cols := min(nr, nc-jr)
		for ir := 0; ir < mc; ir += gemmMR {
			ap := pa[ir*kc : ir*kc+gemmMR*kc]
			rows := min(gemmMR, mc-ir)
			off := (ic+ir)*g.ldc + jc + jr
			if rows == gemmMR && cols == nr {
				g.kern.fn(kc, ap, bp, g.c[off:], g.ldc)
				continue
			}
			// An edge tile: compute it whole in scratch, add the part
			// that lies inside C.
			clear(tile)
			g.kern.fn(kc, ap, bp, tile, nr)
			for r := 0; r < rows; r++ {
				add(tile[r*nr:r*nr+cols], g.c[off+r*g.ldc:])
			}
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
		for r := 0; r < gemmMR; r++ {
			if r >= rows {
				for p := 0; p < kc; p++ {
					panel[p*gemmMR+r] = 0
				}
				continue
			}
			i := ic + ir + r
			if g.transA {
				for p := 0; p < kc; p++ {
					panel[p*gemmMR+r] = g.alpha * g.a[(pc+p)*g.lda+i]
				}
				continue
			}
			row := g.a[i*g.lda+pc : i*g.lda+pc+kc]
			for p, v := range row {
				panel[p*gemmMR+r] = g.alpha * v
			}
		}
	}
}

// packB copies op(B)[pc:pc+kc, jc:jc+nc] into micro-panels of nr columns:
// panel q holds, for each p, the nr values of columns q*nr..., zero past
// the last column.
func (g *gemmArgs) packB(dst []float32, pc, kc, jc, nc int) {
	nr := g.kern.nr
	for jr := 0; jr < nc; jr += nr {
		panel := dst[jr*kc : (jr+nr)*kc]
		cols := min(nr, nc-jr)
		if g.transB {
			// Read the nr source rows side by side, so that writes are
			// sequential; the rows' kc-long pieces stay in L1 meanwhile.
			base := jc + jr
			for p := 0; p < kc; p++ {
				d := panel[p*nr : (p+1)*nr]
				src := g.b[base*g.ldb+pc+p:]
				for c := 0; c < cols; c++ {
					d[c] = src[c*g.ldb]
				}
				clear(d[cols:])
			}
			continue
		}
		for p := 0; p < kc; p++ {
			src := g.b[(pc+p)*g.ldb+jc+jr:]
			d := panel[p*nr : (p+1)*nr]
			copy(d[:cols], src[:cols])
			clear(d[cols:])
		}
	}
}

func roundUp(n, m int) int { return (n + m - 1) / m * m }

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
