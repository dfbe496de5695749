package kernels

// microKernel computes C[0:gemmMR, 0:nr] += A·B for a packed A micro-panel
// (kc steps of gemmMR values) and kc rows of nr values of B, ldb elements
// apart (nr when B is packed); C has row stride ldc.
type microKernel struct {
	name string
	nr   int
	fn   func(kc int, a, b []float32, ldb int, c []float32, ldc int)
	// set is fn storing C = A·B: C is neither cleared first nor read.
	set func(kc int, a, b []float32, ldb int, c []float32, ldc int)
	// aRows and aTrans, where not nil, are fn with A read in place: the
	// tile's row i at a[i*lda:] (aRows), or its 6 values of step p at
	// a[p*lda:] (aTrans, for a transposed A). Every row read must lie
	// inside a.
	aRows, aTrans func(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int)
	// aRowsSet and aTransSet are aRows and aTrans storing C = A·B: C is
	// neither cleared first nor read.
	aRowsSet, aTransSet func(kc int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int)
	// ind is fn with B row p at b[offs[p]:] (implicit im2col). The caller
	// guarantees every row it reads lies inside b.
	ind func(kc int, a, b []float32, offs []int, c []float32, ldc int)
	// indSet is ind storing C = A·B: C is not read.
	indSet func(kc int, a, b []float32, offs []int, c []float32, ldc int)
	// dot computes tiles of dot products of rows (see dotTile).
	dot dotTile
	// gemv, where not nil, sets out[i] = A[i, :k]·x[:k] for gemvRows rows
	// of A, lda apart: a matrix times a vector.
	gemv func(k int, a []float32, lda int, x, out []float32)
	// kvec, where not nil, runs the channel-vectorised convolutions
	// (see Conv.kvec).
	kvec *kvecKernels
	// xvec, where not nil, runs the column-vectorised convolutions
	// (see Conv.xvec).
	xvec *xvecKernels
	// narrow, where not nil, is a kernel of fewer columns (its fn, set,
	// ind and indSet) for a product's last panel when that panel has no
	// more than narrow.nr columns: this kernel would spend most of its
	// work there on columns that are thrown away.
	narrow *microKernel
	// tall, where not nil, is fn, set, ind and indSet over tall.panels
	// packed A panels at once (see tallKernel).
	tall *tallKernel
}

// tallKernel computes a tile of panels·gemmMR rows: panel q of A, packed
// as for microKernel, at a[q*gemmMR*kc:], and row i of C at c[i*ldc:].
// A narrow kernel's 6-row tile keeps too few sums in flight to keep the
// FMA units busy, and reads its B rows once for every 6 rows; a tall one
// does neither. Its sums are taken in the narrow kernel's order.
type tallKernel struct {
	panels      int
	fn, set     func(kc int, a, b []float32, ldb int, c []float32, ldc int)
	ind, indSet func(kc int, a, b []float32, offs []int, c []float32, ldc int)
}

// forCols returns the kernel that computes a panel of cols columns: k,
// or its narrow kernel where cols fit that.
func (k *microKernel) forCols(cols int) *microKernel {
	if k.narrow != nil && cols <= k.narrow.nr {
		return k.narrow
	}
	return k
}

// gemvRows is how many rows one call of a microKernel's gemv handles.
const gemvRows = 8

// dotTile computes out[i*nr+j] = A[i, :k]·B[j, :k] for mr rows of A (lda
// apart) and nr rows of B (ldb apart), k a multiple of lanes: the core of
// a product with transposed B and a long k, which needs no packing.
type dotTile struct {
	mr, nr, lanes int
	// anyK says fn takes any k, not only multiples of lanes.
	anyK bool
	fn   func(k int, a []float32, lda int, b []float32, ldb int, out []float32)
	// ind is fn with B row j at b[offs[j]:].
	ind func(k int, a []float32, lda int, b []float32, offs []int, out []float32)
	// indAcc is ind adding each lane's partial sums into
	// out[(i*nr+j)*lanes:][:lanes] instead of reducing them.
	indAcc func(k int, a []float32, lda int, b []float32, offs []int, out []float32)
}

// genericKernel is the pure-Go micro-kernel, used where no assembly one
// applies and as the reference the assembly ones are tested against.
var genericKernel = microKernel{name: "generic", nr: 8, fn: kernelGeneric, ind: kernelGenericInd,
	set: func(kc int, a, b []float32, ldb int, c []float32, ldc int) {
		for r := 0; r < gemmMR; r++ {
			clear(c[r*ldc : r*ldc+8])
		}
		kernelGeneric(kc, a, b, ldb, c, ldc)
	},
	indSet: func(kc int, a, b []float32, offs []int, c []float32, ldc int) {
		for r := 0; r < gemmMR; r++ {
			clear(c[r*ldc : r*ldc+8])
		}
		kernelGenericInd(kc, a, b, offs, c, ldc)
	},
	dot: dotTile{mr: 2, nr: 4, lanes: 1, fn: dotGeneric, ind: dotGenericInd,
		indAcc: func(k int, a []float32, lda int, b []float32, offs []int, out []float32) {
			for i := 0; i < 2; i++ {
				for j := 0; j < 4; j++ {
					out[i*4+j] += dot(a[i*lda:i*lda+k], b[offs[j]:])
				}
			}
		}}}

// activeKernel is the micro-kernel Gemm uses: the best one this CPU runs.
var activeKernel = bestKernel()

// KernelName reports which micro-kernels Gemm and the element-wise
// functions use ("avx512", "avx2", "generic").
func KernelName() string { return activeKernel.name }

func kernelGeneric(kc int, a, b []float32, ldb int, c []float32, ldc int) {
	var acc [gemmMR * 8]float32
	a = a[:kc*gemmMR]
	for p := 0; p < kc; p++ {
		bp := b[p*ldb : p*ldb+8 : p*ldb+8]
		ap := a[p*gemmMR : p*gemmMR+gemmMR : p*gemmMR+gemmMR]
		for r, av := range ap {
			row := acc[r*8 : r*8+8 : r*8+8]
			row[0] += av * bp[0]
			row[1] += av * bp[1]
			row[2] += av * bp[2]
			row[3] += av * bp[3]
			row[4] += av * bp[4]
			row[5] += av * bp[5]
			row[6] += av * bp[6]
			row[7] += av * bp[7]
		}
	}
	addTile(&acc, c, ldc)
}

func kernelGenericInd(kc int, a, b []float32, offs []int, c []float32, ldc int) {
	var acc [gemmMR * 8]float32
	a = a[:kc*gemmMR]
	for p, off := range offs[:kc] {
		bp := b[off : off+8 : off+8]
		ap := a[p*gemmMR : p*gemmMR+gemmMR : p*gemmMR+gemmMR]
		for r, av := range ap {
			row := acc[r*8 : r*8+8 : r*8+8]
			for j, bv := range bp {
				row[j] += av * bv
			}
		}
	}
	addTile(&acc, c, ldc)
}

func dotGeneric(k int, a []float32, lda int, b []float32, ldb int, out []float32) {
	for i := 0; i < 2; i++ {
		for j := 0; j < 4; j++ {
			out[i*4+j] = dot(a[i*lda:i*lda+k], b[j*ldb:])
		}
	}
}

func dotGenericInd(k int, a []float32, lda int, b []float32, offs []int, out []float32) {
	for i := 0; i < 2; i++ {
		for j := 0; j < 4; j++ {
			out[i*4+j] = dot(a[i*lda:i*lda+k], b[offs[j]:])
		}
	}
}

// addTile adds the generic kernel's 6×8 accumulators into c (rows ldc
// apart). It is a plain loop: add would go through activeKernel, which
// the generic kernel's definition must not refer to.
func addTile(acc *[gemmMR * 8]float32, c []float32, ldc int) {
	for r := 0; r < gemmMR; r++ {
		row := c[r*ldc : r*ldc+8]
		for j, v := range acc[r*8 : r*8+8] {
			row[j] += v
		}
	}
}
