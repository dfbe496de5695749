package kernels

// Stride-1 convolutions run as implicit GEMMs: no patch matrix is built.
// Each image is copied once into a zero-padded buffer xp (C planes of
// Hp×Wp). Output position (oy, ox) is computed on an extended grid of
// width Wp, as column j = oy*Wp + ox, so that row (c, r, s) of the patch
// matrix is the contiguous run of xp starting at c*Hp*Wp + r*Wp + s. The
// micro-kernels read those rows through a table of offsets; the Wp-OW
// extra columns of each output row are computed and thrown away.
//
// Stride-2 forward passes in inference (where Conv2d is given no patches
// to keep) run the same way on the padded image split into
// its four phases (even or odd row, even or odd column), each a plane of
// ⌈Hp/2⌉×⌈Wp/2⌉: tap (r, s) of output (oy, ox) reads input (2oy+r,
// 2ox+s), which is (oy + r/2, ox + s/2) of phase (r%2, s%2), so each row
// of the patch matrix is again a contiguous run, now of one phase plane,
// and the grid is ⌈Wp/2⌉ wide.

// implicit reports whether the convolution runs as an implicit GEMM. It
// does for stride 1, unless the output is small and the weights large:
// the implicit GEMM handles one image at a time and reads all the weights
// for each, which pays only over enough output columns; otherwise the
// patches of several images go side by side into one explicit GEMM.
func (p Conv) implicit() bool {
	if p.BF16 || !p.plain() || p.StrideH != 1 || p.StrideW != 1 || p.fullKernel() {
		return false
	}
	return p.OutH()*p.OutW() >= 256 || p.K*p.colRows() <= 1<<16
}

// implicitFwd reports whether the forward pass runs as an implicit GEMM:
// where the backward does, and for stride-1 outputs of 14×14 and more,
// where the implicit GEMM forward beats the explicit one even with large
// weights (VGG's 14×14 layers at batch 10: 117 → 86 ms) but its weight
// gradient does not (121 → 165 ms).
func (p Conv) implicitFwd() bool {
	return p.implicit() || !p.BF16 && (p.plain() && p.StrideH == 1 && p.StrideW == 1 && !p.fullKernel() && p.OutH()*p.OutW() >= 196 || p.phases())
}

// phases reports whether a stride-2 forward pass, float32 or bf16, may run
// as an implicit GEMM on the image's phases: outputs of 14×14 and more, as
// for stride 1. Conv2d takes it only where it keeps no patches (phasesFwd).
func (p Conv) phases() bool {
	return p.plain() && p.StrideH == 2 && p.StrideW == 2 && !p.fullKernel() && p.OutH()*p.OutW() >= 196 && !implicitPhasesOff
}

// phasesFwd reports whether Conv2d, given cols to keep the patches in,
// runs a stride-2 forward pass on the image's phases: in inference, where
// cols cannot hold them. Training keeps its patches for the backward pass,
// which would otherwise build them again (1.05x slower).
func (p Conv) phasesFwd(cols []float32) bool { return p.phases() && len(cols) < p.patchesSize() }

// implicitPhasesOff sends stride-2 forward passes to im2col, for the
// tests that compare the two.
var implicitPhasesOff bool

// implicitPlan holds the sizes and offset tables of an implicit GEMM.
type implicitPlan struct {
	Conv
	kern      microKernel
	hp, wp    int  // padded input height and width (of a phase plane)
	plane     int  // hp*wp
	phases    bool // stride 2: xp holds the image's four phases (see above)
	ext       int  // columns of the extended output grid: OutH*wp
	cols      int  // ext rounded up to whole micro-panels
	xpLen     int  // length of a padded input buffer, with slack for the last panel
	offs      []int
	offsBuf   *[]int // where offs lives, for release
	kPad      int    // K rounded up to whole micro-kernel tiles
	dotRows   int    // K rounded up to whole dot tiles
	offsDotLn int    // len(offs) rounded up to whole dot tiles

	// The call's operands and the state its chunks share: the plan is the
	// task the workers run (run), so that a call allocates nothing.
	backward                bool
	images                  itemCounter // the forward pass's, taken by the chunks
	x, w, b, y, dy, dx, dw  []float32
	dxAdd                   bool
	pa, pa2, parts          []float32 // packed W, packed Wᵀ, per-chunk dw and db
	offs2                   []int     // dx's offsets into the padded gradient
	front, cols2, lp, cPad  int       // dx's padded-gradient layout
	keepLanes               bool      // dw's lanes summed once per chunk
	tiles, tileLen, partLen int
	xp1, ce1                []float32 // a single image's buffers, split by panels
}

// implicitPlans recycles plans: one is made per convolution call.
var implicitPlans taskPool[implicitPlan]

func (q *implicitPlan) run(c, lo, hi int) {
	if q.backward {
		q.backwardChunk(c, lo, hi)
	} else {
		q.forwardChunk()
	}
}

// indirectPanels is a task that runs a plan's forward GEMM for one image
// over ranges of its column panels.
type indirectPanels struct{ q *implicitPlan }

func (t indirectPanels) run(_, lo, hi int) {
	q := t.q
	gemmIndirect(q.kern, q.pa, q.kPad, q.colRows(), q.xp1, q.offs, q.ce1, q.ext, lo, hi)
}

func newImplicitPlan(p Conv) *implicitPlan {
	k := activeKernel
	q := implicitPlans.get()
	q.Conv, q.kern, q.hp, q.wp = p, k, p.H+2*p.PadH, p.W+2*p.PadW
	q.phases = p.StrideH == 2
	if q.phases {
		q.hp, q.wp = (q.hp+1)/2, (q.wp+1)/2
	}
	q.plane = q.hp * q.wp
	q.ext = p.OutH() * q.wp
	q.cols = roundUp(q.ext, k.nr)
	crs := p.colRows()
	q.offsDotLn = roundUp(crs, k.dot.nr)
	q.offsBuf = getInts(q.offsDotLn)
	q.offs = *q.offsBuf
	clear(q.offs)
	maxOff := 0
	for c := 0; c < p.C; c++ {
		for r := 0; r < p.R; r++ {
			for s := 0; s < p.S; s++ {
				off := c*q.plane + r*q.wp + s
				if q.phases {
					off = (4*c+2*(r%2)+s%2)*q.plane + r/2*q.wp + s/2
				}
				q.offs[(c*p.R+r)*p.S+s] = off
				maxOff = max(maxOff, off)
			}
		}
	}
	q.xpLen = maxOff + q.cols
	if q.phases {
		// Room for the last phase plane padPhases writes, whole.
		q.xpLen = max(q.xpLen, (4*(p.C-1)+2*min(p.R-1, 1)+min(p.S-1, 1)+1)*q.plane)
	}
	q.kPad = roundUp(p.K, gemmMR)
	q.dotRows = roundUp(p.K, k.dot.mr)
	return q
}

// release gives back the plan and its buffers.
func (q *implicitPlan) release() {
	putInts(q.offsBuf)
	implicitPlans.put(q)
}

// pad copies one image into xp (into its phases, for stride 2), a
// buffer of q.xpLen whose padding holds zeros: getScratch's, or those an
// earlier image left, as every image fills the same places. So the
// buffer is cleared once per chunk of images, not once per image.
func (q *implicitPlan) pad(x, xp []float32) {
	switch {
	case q.phases:
		q.padPhases(x, xp)
	case q.PadH == 0 && q.PadW == 0:
		copy(xp, x[:q.C*q.H*q.W])
	default:
		q.padInto(x, xp)
	}
}

// padPhases copies one image into the phase planes of xp, which hold
// zeros: channel c's four at planes 4c to 4c+3 (splitPhases).
func (q *implicitPlan) padPhases(x, xp []float32) {
	for c := 0; c < q.C; c++ {
		splitPhases(x[c*q.H*q.W:(c+1)*q.H*q.W], q.Conv, xp[4*c*q.plane:], q.plane, q.wp)
	}
}

// splitPhases copies one channel of p's input into its four phase planes
// in dst, plane floats apart, rows wp apart: element (y, x), at (py, px)
// = (y+PadH, x+PadW) once padded, goes to row py/2, column px/2 of plane
// 2(py%2) + px%2. Each phase takes every other row and column of the
// channel, from the first row y0 and column x0 that fall in it; a kernel
// one row high (or wide) reads only the even ones, which alone are
// filled then. The padding is left as it is.
func splitPhases(src []float32, p Conv, dst []float32, plane, wp int) {
	for a := 0; a < min(p.R, 2); a++ {
		y0 := (a - p.PadH) & 1
		rows := (p.H - y0 + 1) / 2
		for b := 0; b < min(p.S, 2); b++ {
			x0 := (b - p.PadW) & 1
			if n := (p.W - x0 + 1) / 2; rows > 0 && n > 0 {
				copyEvenRows(src[y0*p.W+x0:], 2*p.W, dst[(2*a+b)*plane+(y0+p.PadH)/2*wp+(x0+p.PadW)/2:], wp, rows, n)
			}
		}
	}
}

// copyEvenRows sets dst[r*ldd+j] = src[r*lds+2*j] for r < rows, j < n.
func copyEvenRows(src []float32, lds int, dst []float32, ldd, rows, n int) {
	if copyEvenRowsVector(src, lds, dst, ldd, rows, n) {
		return
	}
	for r := 0; r < rows; r++ {
		s, d := src[r*lds:], dst[r*ldd:r*ldd+n]
		for j := range d {
			d[j] = s[2*j]
		}
	}
}

// packWeights packs a rows×k row-major matrix (lda apart) into the layout
// gemmIndirect reads: for each block of gemmKC steps, gemmMR-row panels.
// Give the buffer back with putScratch.
func packWeights(a []float32, lda, rows, k int) *[]float32 {
	buf := getScratchDirty(packedSize(rows, k))
	packWeightsInto(*buf, a, lda, rows, k)
	return buf
}

// packedSize is the length of rows×k weights packed by packWeights.
func packedSize(rows, k int) int { return roundUp(rows, gemmMR) * k }

// packWeightsInto is packWeights into out, of packedSize(rows, k), its
// panels split across threads.
func packWeightsInto(out []float32, a []float32, lda, rows, k int) {
	packWeightPanels(out, a, lda, rows, k, false)
}

// packWeightPanels packs a, or with trans its transpose (the rows×k
// matrix whose row i is column i of a, k rows of stride lda), as
// packWeightsInto does.
func packWeightPanels(out []float32, a []float32, lda, rows, k int, trans bool) {
	panels := roundUp(rows, gemmMR) / gemmMR
	if panels*gemmMR*k < minParallelWork {
		// Small weights: on this thread, with no pooled task (a pool may
		// come back empty on another processor, and a step must not
		// allocate).
		t := packTask{out: out, a: a, lda: lda, rows: rows, k: k, trans: trans}
		t.run(0, 0, panels)
		return
	}
	t := packTasks.get()
	*t = packTask{out: out, a: a, lda: lda, rows: rows, k: k, trans: trans}
	parallelForTask(panels, gemmMR*k, t)
	packTasks.put(t)
}

// packTask packs the weights' panels of gemmMR rows [lo, hi).
type packTask struct {
	out, a       []float32
	lda, rows, k int
	trans        bool
}

var packTasks taskPool[packTask]

func (t *packTask) run(_, lo, hi int) {
	rp := roundUp(t.rows, gemmMR)
	g := gemmArgs{alpha: 1, a: t.a, lda: t.lda, transA: t.trans}
	r0, r1 := lo*gemmMR, min(hi*gemmMR, t.rows)
	for pc := 0; pc < t.k; pc += gemmKC {
		kc := min(gemmKC, t.k-pc)
		// packA zero-fills rows past the end of a panel.
		g.packA(t.out[pc*rp+r0*kc:pc*rp+rp*kc], r0, r1-r0, pc, kc)
	}
}

// gemmIndirect sets C[0:rowsPad, 0:n] = A·B, for A packed by
// packWeights (rowsPad rows), B row p at b[offs[p]:] and C with row stride
// ldc = len(c)/rowsPad, a multiple of the kernel's nr and at least n.
// Column panels [lo, hi) only. Columns past n up to the end of their
// panel are computed or left as they were.
func gemmIndirect(kern microKernel, pa []float32, rowsPad, k int, b []float32, offs []int, c []float32, n, lo, hi int) {
	nr, ldc := kern.nr, len(c)/rowsPad
	for pc := 0; pc < k; pc += gemmKC {
		kc := min(gemmKC, k-pc)
		block := pa[pc*rowsPad:]
		for jr := lo; jr < hi; jr++ {
			kj := kern.forCols(n - jr*nr)
			fn := kj.ind
			if pc == 0 {
				fn = kj.indSet // the first block overwrites C: no need to zero it
			}
			ir := 0
			if t := kj.tall; t != nil {
				tfn := t.ind
				if pc == 0 {
					tfn = t.indSet
				}
				for rows := t.panels * gemmMR; ir+rows <= rowsPad; ir += rows {
					tfn(kc, block[ir*kc:], b[jr*nr:], offs[pc:pc+kc], c[ir*ldc+jr*nr:], ldc)
				}
			}
			for ; ir < rowsPad; ir += gemmMR {
				fn(kc, block[ir*kc:], b[jr*nr:], offs[pc:pc+kc], c[ir*ldc+jr*nr:], ldc)
			}
		}
	}
}

// implicitForward computes Conv2d for implicitFwd() convolutions.
func (p Conv) implicitForward(x, w, b, y []float32) {
	q := newImplicitPlan(p)
	defer q.release()
	pa := p.packWeightGroups(w, p.K, p.colRows(), false)
	defer pa.release()
	q.x, q.b, q.y, q.pa = x, b, y, pa.f32
	// A chunk a thread, each taking images as it goes from q.images (zero,
	// as the plan comes from its pool).
	parallelTask(Chunks(p.N), q)
}

// forwardChunk computes the outputs of the images it takes from
// q.images until none are left.
func (q *implicitPlan) forwardChunk() {
	p := q.Conv
	crs, inSize := p.colRows(), p.C*p.H*p.W
	panels := q.cols / q.kern.nr
	xp := getScratch(q.xpLen) // its padding stays zero (see pad)
	ce := getScratchDirty(q.kPad * q.cols)
	defer putScratch(xp)
	defer putScratch(ce)
	for i, ok := q.images.take(p.N); ok; i, ok = q.images.take(p.N) {
		src := *xp
		if p.post != nil && p.post.inputPool != nil {
			q.poolImage(p.post.inputPool, i, src)
		} else if p.direct() && i*inSize+q.xpLen <= len(q.x) {
			// A 1×1 kernel over an unpadded image reads the image as it
			// lies: the last panel's reads past its end fall in the
			// next image, and give columns that are thrown away.
			src = q.x[i*inSize:]
		} else {
			q.pad(q.x[i*inSize:(i+1)*inSize], src)
		}
		if p.N == 1 {
			// A batch of one: split its columns across threads. (Only
			// then: the plan's xp1 and ce1 serve one chunk at a time.)
			q.xp1, q.ce1 = src, *ce
			parallelForTask(panels, q.kern.nr*crs*p.K/64, indirectPanels{q})
		} else {
			gemmIndirect(q.kern, q.pa, q.kPad, crs, src, q.offs, *ce, q.ext, 0, panels)
		}
		q.finishImage(i, *ce)
	}
}

// finishImage moves image i's output from the extended grid ce (rows
// q.cols apart) into q.y, adding the bias, then activates and pools it.
func (q *implicitPlan) finishImage(i int, ce []float32) {
	q.Conv.finish(q.y, i, q.b, ce, q.cols, q.wp)
}

// implicitBackward computes Conv2dBackward for implicit() convolutions.
func (p Conv) implicitBackward(x, w, dy, dx []float32, dxAdd bool, dw, db []float32) {
	q := newImplicitPlan(p)
	defer q.release()
	crs := p.colRows()
	d := q.kern.dot
	chunks := Chunks(p.N)
	q.partLen = p.K*crs + p.K
	parts := getScratch(chunks * q.partLen)
	defer putScratch(parts)
	q.backward, q.x, q.dy, q.dx, q.dxAdd, q.dw, q.parts = true, x, dy, dx, dxAdd, dw, *parts

	// For dx: the product of W arranged C×(K*R*S) with rows of the padded
	// output gradient: dyp holds, per output channel, front zeros, the
	// gradient on the extended grid, and zeros after.
	q.front = (p.R-1)*q.wp + p.S - 1
	q.cols2 = roundUp(q.plane, q.kern.nr)
	q.lp = q.front + q.cols2
	q.cPad = roundUp(p.C, gemmMR)
	if dx != nil {
		wtBuf := getScratchDirty(p.C * p.K * p.R * p.S)
		defer putScratch(wtBuf)
		wt := *wtBuf
		offsBuf := getInts(p.K * p.R * p.S)
		defer putInts(offsBuf)
		q.offs2 = *offsBuf
		for k := 0; k < p.K; k++ {
			for c := 0; c < p.C; c++ {
				for rs := 0; rs < p.R*p.S; rs++ {
					wt[c*p.K*p.R*p.S+k*p.R*p.S+rs] = w[(k*p.C+c)*p.R*p.S+rs]
				}
			}
			for r := 0; r < p.R; r++ {
				for s := 0; s < p.S; s++ {
					q.offs2[(k*p.R+r)*p.S+s] = k*q.lp + q.front - r*q.wp - s
				}
			}
		}
		pa2Buf := packWeights(wt, p.K*p.R*p.S, p.C, p.K*p.R*p.S)
		defer putScratch(pa2Buf)
		q.pa2 = *pa2Buf
	}

	// With short rows (small images) and small weights, dw's dot products
	// run over every image of a chunk before their lanes are summed: each
	// tile's lanes accumulate in lanes. Otherwise they reduce per image,
	// which costs little beside long rows and needs no buffer the size of
	// dw times the lanes.
	q.tileLen = d.mr * d.nr * d.lanes
	q.tiles = (q.dotRows / d.mr) * (q.offsDotLn / d.nr)
	q.keepLanes = q.cols <= 2048 && q.tiles*q.tileLen <= 1<<20
	parallelTask(p.N, q)
	for c := 0; c < chunks; c++ {
		part := q.parts[c*q.partLen : (c+1)*q.partLen]
		if dw != nil {
			add(part[:p.K*crs], dw)
		}
		if db != nil {
			add(part[p.K*crs:], db)
		}
	}
}

// backwardChunk computes the gradients of images [lo, hi), summing the
// weight and bias gradients in chunk c's part.
func (q *implicitPlan) backwardChunk(c, lo, hi int) {
	p := q.Conv
	crs, inSize := p.colRows(), p.C*p.H*p.W
	oh, ow := p.OutH(), p.OutW()
	d := q.kern.dot
	dy, dx, dw := q.dy, q.dx, q.dw
	front, cols2, lp, cPad := q.front, q.cols2, q.lp, q.cPad
	tiles, tileLen, keepLanes := q.tiles, q.tileLen, q.keepLanes
	part := q.parts[c*q.partLen : (c+1)*q.partLen]
	pdw, pdb := part[:p.K*crs], part[p.K*crs:]
	var lanes *[]float32
	if dw != nil && keepLanes {
		lanes = getScratch(tiles * tileLen)
		defer putScratch(lanes)
	}
	outBuf := getScratchDirty(24) // see gemmArgs.dots
	defer putScratch(outBuf)
	out := *outBuf
	// dye and dyp hold each image's output gradient on the extended
	// grid, zero elsewhere: the zeros are written once, here, and
	// every image then fills the same places.
	xp := getScratch(q.xpLen) // its padding stays zero (see pad)
	dye := getScratch(q.dotRows * q.cols)
	defer putScratch(xp)
	defer putScratch(dye)
	var dyp, dxe *[]float32
	if dx != nil {
		dyp = getScratch(p.K * lp)
		dxe = getScratchDirty(cPad * cols2)
		defer putScratch(dyp)
		defer putScratch(dxe)
	}
	for i := lo; i < hi; i++ {
		q.spreadGrad(dy[i*p.K*oh*ow:(i+1)*p.K*oh*ow], *dye, dyp, lp, front, pdb)
		if dw != nil {
			q.pad(q.x[i*inSize:(i+1)*inSize], *xp)
			t := 0
			for kt := 0; kt < q.dotRows; kt += d.mr {
				for pt := 0; pt < q.offsDotLn; pt += d.nr {
					if keepLanes {
						d.indAcc(q.cols, (*dye)[kt*q.cols:], q.cols, *xp, q.offs[pt:pt+d.nr], (*lanes)[t*tileLen:(t+1)*tileLen])
						t++
						continue
					}
					d.ind(q.cols, (*dye)[kt*q.cols:], q.cols, *xp, q.offs[pt:pt+d.nr], out)
					for r := 0; r < d.mr && kt+r < p.K; r++ {
						for s := 0; s < d.nr && pt+s < crs; s++ {
							pdw[(kt+r)*crs+pt+s] += out[r*d.nr+s]
						}
					}
				}
			}
		}
		if dx != nil {
			gemmIndirect(q.kern, q.pa2, cPad, p.K*p.R*p.S, *dyp, q.offs2, *dxe, q.plane, 0, cols2/q.kern.nr)
			q.cropGrad(*dxe, cols2, dx[i*inSize:(i+1)*inSize], q.dxAdd)
		}
	}
	if dw == nil || !keepLanes {
		return
	}
	t := 0
	for kt := 0; kt < q.dotRows; kt += d.mr {
		for pt := 0; pt < q.offsDotLn; pt += d.nr {
			tile := (*lanes)[t*tileLen : (t+1)*tileLen]
			t++
			for r := 0; r < d.mr && kt+r < p.K; r++ {
				for s := 0; s < d.nr && pt+s < crs; s++ {
					pdw[(kt+r)*crs+pt+s] += sum(tile[(r*d.nr+s)*d.lanes : (r*d.nr+s+1)*d.lanes])
				}
			}
		}
	}
}

// spreadGrad lays one image's output gradient dyi out on the extended
// grid: into dye (rows q.cols apart, for the weight gradient) and, if dyp
// is not nil, into dyp after front zeros (rows lp apart, for the input
// gradient); it adds each channel's sum into db. What lies between the
// outputs stays as it was: zero.
func (q *implicitPlan) spreadGrad(dyi, dye []float32, dyp *[]float32, lp, front int, db []float32) {
	oh, ow := q.OutH(), q.OutW()
	for k := 0; k < q.K; k++ {
		db[k] += copyRows(dye[k*q.cols:], q.wp, dyi[k*oh*ow:], ow, oh, ow, 0, noFloor)
		if dyp != nil {
			copyRows((*dyp)[k*lp+front:], q.wp, dyi[k*oh*ow:], ow, oh, ow, 0, noFloor)
		}
	}
}

// cropGrad moves one image's input gradient from the padded grid dxe
// (channels ld apart, rows q.wp) into dxi, adding if accumulate, else
// storing.
func (q *implicitPlan) cropGrad(dxe []float32, ld int, dxi []float32, accumulate bool) {
	p := q.Conv
	for ch := 0; ch < p.C; ch++ {
		for y := 0; y < p.H; y++ {
			src := dxe[ch*ld+(y+p.PadH)*q.wp+p.PadW:]
			dst := dxi[(ch*p.H+y)*p.W : (ch*p.H+y+1)*p.W]
			if accumulate {
				add(src[:p.W], dst)
			} else {
				copy(dst, src[:p.W])
			}
		}
	}
}
