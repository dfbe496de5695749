package kernels

// Column-vectorised convolution: for convolutions with few output
// channels over rows of 17 to 32 outputs (LeNet-5's conv1: 6 channels,
// 28 columns), two vectors hold an output row and the weights are
// broadcast. Every output channel's rows stay in registers, so the
// outputs are stored straight into their NCHW place, bias included, with
// no extended grid to copy out of. Only the forward pass and the weight
// gradient: an input gradient goes through the implicit GEMM.

// xvecMaxK is the most output channels a forward call holds: two rows of
// two vectors each, and a broadcast weight each, fill the registers.
const xvecMaxK = 6

// xvecGroup is how many output channels a weight-gradient call takes:
// its S taps each, the output gradient's vectors and an input's fit.
const xvecGroup = 3

// xvecKernels are the inner loops of the column-vectorised convolution,
// in assembly or in Go (xvecGo, their definition).
type xvecKernels struct {
	name string

	// forward sets, for the output rows t < rows (at most 2), channels
	// k < K (at most xvecMaxK) and columns j < width (17 to 32),
	//
	//	y[k*ldk + t*ldy + j] = bias[k] + Σ_{i<len(offs)} Σ_{s<S}
	//		x[offs[i] + t*wp + j + s] * w[(i*S+s)*K + k]
	//
	// It may read x up to column 31+S-1 of a row and rows t = 0, 1.
	forward func(K int, x []float32, offs []int, S, wp int, w, bias, y []float32, ldk, ldy, rows, width int)

	// weightGrad adds, for channels k < K (at most xvecGroup) and taps
	// s < S, to dw[(k*S+s)*16 + l] the sum over rows oy < oh and the
	// columns j = 16v+l < width (v < 2) of x[oy*wp + j + s] *
	// dy[k*ldk + oy*ldy + j]: lanes kept apart, summed later. With db
	// not nil, it adds dy[k*ldk + oy*ldy + j] to db[k*16 + l] too. It may
	// read x up to column 31+S-1 of a row.
	weightGrad func(K, S int, x []float32, wp int, dy []float32, ldk, ldy, oh, width int, dw, db []float32)
}

// xvecGo is the pure-Go xvecKernels.
var xvecGo = xvecKernels{name: "go",
	forward: func(K int, x []float32, offs []int, S, wp int, w, bias, y []float32, ldk, ldy, rows, width int) {
		for t := 0; t < rows; t++ {
			for k := 0; k < K; k++ {
				for j := 0; j < width; j++ {
					acc := bias[k]
					for i, off := range offs {
						for s := 0; s < S; s++ {
							acc += x[off+t*wp+j+s] * w[(i*S+s)*K+k]
						}
					}
					y[k*ldk+t*ldy+j] = acc
				}
			}
		}
	},
	weightGrad: func(K, S int, x []float32, wp int, dy []float32, ldk, ldy, oh, width int, dw, db []float32) {
		for k := 0; k < K; k++ {
			for oy := 0; oy < oh; oy++ {
				for j := 0; j < width; j++ {
					d := dy[k*ldk+oy*ldy+j]
					for s := 0; s < S; s++ {
						dw[(k*S+s)*kvecLanes+j%kvecLanes] += x[oy*wp+j+s] * d
					}
					if db != nil {
						db[k*kvecLanes+j%kvecLanes] += d
					}
				}
			}
		}
	},
}

// xvec reports whether the convolution's forward pass and weight
// gradient run column-vectorised.
func (p Conv) xvec() bool {
	return activeKernel.xvec != nil && !p.BF16 && p.plain() && p.StrideH == 1 && p.StrideW == 1 && !p.fullKernel() &&
		p.K <= xvecMaxK && p.OutW() > kvecLanes && p.OutW() <= 2*kvecLanes &&
		(p.S == 3 || p.S == 5) && p.C*p.R <= 64 && p.PadH < p.R && p.PadW < p.S
}

// xvecPlan is one column-vectorised convolution call.
type xvecPlan struct {
	Conv
	kern          *xvecKernels
	oh, ow        int
	hp, wp, plane int // the zero-padded input
	xpLen         int
	offs          []int // c*plane + r*wp for each (c, r)
	offsBuf       *[]int
	wt            []float32 // [c][r][s][k]
	wtBuf         *[]float32

	backward bool
	x, b, y  []float32
	dy       []float32
	src      TanhPoolGrad // if its Y is not nil, dy's source, image by image
	dw, db   []float32
	parts    []float32 // per chunk: dw's lanes [c][r][k][s][16], then db's [k][16]
	partLen  int
	groupLen int // a channel group's lanes in parts: xvecGroup*S*16
}

var xvecPlans taskPool[xvecPlan]

func (q *xvecPlan) run(c, lo, hi int) {
	if q.backward {
		q.weightGradChunk(c, lo, hi)
	} else {
		q.forwardChunk(lo, hi)
	}
}

func newXvecPlan(p Conv) *xvecPlan {
	q := xvecPlans.get()
	q.Conv, q.kern = p, activeKernel.xvec
	q.oh, q.ow = p.OutH(), p.OutW()
	q.hp, q.wp = p.H+2*p.PadH, p.W+2*p.PadW
	q.plane = q.hp * q.wp
	// Room for a second row past the last (an odd number of output
	// rows) and for the columns past the row that the last vector reads.
	q.xpLen = p.C*q.plane + 2*q.wp + 2*kvecLanes + p.S
	q.offsBuf = getInts(p.C * p.R)
	q.offs = *q.offsBuf
	for c := 0; c < p.C; c++ {
		for r := 0; r < p.R; r++ {
			q.offs[c*p.R+r] = c*q.plane + r*q.wp
		}
	}
	return q
}

func (q *xvecPlan) release() {
	q.src = TanhPoolGrad{}
	putInts(q.offsBuf)
	if q.wtBuf != nil {
		putScratch(q.wtBuf)
	}
	xvecPlans.put(q)
}

// pad copies image i of x into the zero-padded buffer xp, whose borders
// and slack the caller zeroed.
func (q *xvecPlan) pad(x []float32, i int, xp []float32) {
	size := q.C * q.H * q.W
	q.padInto(x[i*size:(i+1)*size], xp)
}

// xvecForward computes Conv2d for xvec() convolutions.
func (p Conv) xvecForward(x, w, b, y []float32) {
	q := newXvecPlan(p)
	defer q.release()
	crs := p.C * p.R * p.S
	q.wtBuf = getScratchDirty(crs * p.K)
	q.wt = *q.wtBuf
	for k := 0; k < p.K; k++ {
		for j := 0; j < crs; j++ {
			q.wt[j*p.K+k] = w[k*crs+j]
		}
	}
	q.x, q.b, q.y = x, b, y
	if b == nil {
		q.b = zeroBias[:p.K]
	}
	parallelTask(p.N, q)
}

// forwardChunk computes the outputs of images [lo, hi).
func (q *xvecPlan) forwardChunk(lo, hi int) {
	p := q.Conv
	P := q.oh * q.ow
	xp := getScratch(q.xpLen)
	defer putScratch(xp)
	for i := lo; i < hi; i++ {
		q.pad(q.x, i, *xp)
		yi := q.y[i*p.K*P : (i+1)*p.K*P]
		for oy := 0; oy < q.oh; oy += 2 {
			q.kern.forward(p.K, (*xp)[oy*q.wp:], q.offs, p.S, q.wp, q.wt, q.b, yi[oy*q.ow:], P, q.ow,
				min(2, q.oh-oy), q.ow)
		}
		p.epilogue(q.y, i, 0, p.K)
	}
}

// xvecWeightGrad computes the weight and bias gradients of Conv2dBackward
// for xvec() convolutions.
func (p Conv) xvecWeightGrad(x, dy, dw, db []float32) {
	p.xvecWeightGradFrom(x, dy, TanhPoolGrad{}, dw, db)
}

// xvecWeightGradFrom is xvecWeightGrad with the output gradient dy, or,
// if src's Y is not nil, src's.
func (p Conv) xvecWeightGradFrom(x, dy []float32, src TanhPoolGrad, dw, db []float32) {
	q := newXvecPlan(p)
	defer q.release()
	groups := (p.K + xvecGroup - 1) / xvecGroup
	q.groupLen = xvecGroup * p.S * kvecLanes
	q.partLen = p.C*p.R*groups*q.groupLen + groups*xvecGroup*kvecLanes
	chunks := Chunks(p.N)
	parts := getScratch(chunks * q.partLen)
	defer putScratch(parts)
	q.backward, q.x, q.dy, q.src, q.dw, q.db, q.parts = true, x, dy, src, dw, db, *parts
	parallelTask(p.N, q)
	crs, dbAt := p.C*p.R*p.S, p.C*p.R*groups*q.groupLen
	for c := 0; c < chunks; c++ {
		part := q.parts[c*q.partLen : (c+1)*q.partLen]
		for k := 0; k < p.K; k++ {
			g, kg := k/xvecGroup, k%xvecGroup
			if dw != nil {
				for cr := 0; cr < p.C*p.R; cr++ {
					lanes := part[(cr*groups+g)*q.groupLen:]
					for s := 0; s < p.S; s++ {
						dw[k*crs+cr*p.S+s] += sum(lanes[(kg*p.S+s)*kvecLanes:][:kvecLanes])
					}
				}
			}
			if db != nil {
				db[k] += sum(part[dbAt+k*kvecLanes:][:kvecLanes])
			}
		}
	}
}

// weightGradChunk sums the lanes of the gradients of images [lo, hi) in
// chunk c's part.
func (q *xvecPlan) weightGradChunk(c, lo, hi int) {
	p := q.Conv
	P := q.oh * q.ow
	groups := (p.K + xvecGroup - 1) / xvecGroup
	part := q.parts[c*q.partLen : (c+1)*q.partLen]
	dbLanes := part[p.C*p.R*groups*q.groupLen:]
	xp := getScratch(q.xpLen)
	defer putScratch(xp)
	grads := q.src.images(q.dy, p.K*P)
	defer grads.release()
	for i := lo; i < hi; i++ {
		q.pad(q.x, i, *xp)
		dyi := grads.image(i)
		for cr, off := range q.offs {
			for g := 0; g < groups; g++ {
				k0 := g * xvecGroup
				var db []float32
				if cr == 0 && q.db != nil {
					db = dbLanes[k0*kvecLanes:]
				}
				q.kern.weightGrad(min(xvecGroup, p.K-k0), p.S, (*xp)[off:], q.wp, dyi[k0*P:], P, q.ow, q.oh, q.ow,
					part[(cr*groups+g)*q.groupLen:(cr*groups+g+1)*q.groupLen], db)
			}
		}
	}
}
