package kernels

// Conv describes a 2-D convolution: input N×C×H×W, weights
// K×(C/Groups)×R×S, output N×K×OutH()×OutW(), with the given strides,
// zero padding and dilation.
type Conv struct {
	N, C, H, W       int
	K, R, S          int
	StrideH, StrideW int
	PadH, PadW       int
	// DilH and DilW space the kernel's taps (PyTorch's dilation): tap
	// (r, s) reads input (oy*StrideH-PadH+r*DilH, ox*StrideW-PadW+s*DilW).
	// 0 means 1, adjacent taps.
	DilH, DilW int
	// Groups splits the channels (PyTorch's groups): output channels
	// [g*K/Groups, (g+1)*K/Groups) see only input channels
	// [g*C/Groups, (g+1)*C/Groups). 0 means 1. With Groups == C the
	// convolution is depthwise and has its own kernel (depthwise.go).
	Groups int
	// BF16 makes the convolution's products bf16 (as GemmBF16) with
	// float32 sums, forward and backward: it runs as bf16 GEMMs, or as
	// the float32 algorithms on operands rounded to bf16 where those win
	// (the direct kernels, bf16ByRounding; Winograd's method without AMX,
	// bf16Winograd). A depthwise convolution, bound by memory rather
	// than arithmetic, stays float32.
	BF16 bool
	// Act is applied by Conv2d to each image's output as soon as it is
	// computed, while it is in cache. Conv2dBackward ignores it: the
	// caller turns the gradient of the activation's output into that of
	// the convolution's.
	Act Activation
	// Cache, if not 0, keeps the weights' packed and transformed forms
	// from one forward call to the next (see WeightCache); the caller
	// guarantees the weights do not change meanwhile. Backward ignores it.
	Cache WeightCacheID
	// post is what Conv2dPool and Conv2dResidual ask done to each image's
	// channels as soon as they are computed; nil: nothing.
	post *convPost
}

// outImage returns image i of the output y, K·OutH()·OutW() floats
// (Conv2dStrided's stride apart).
func (p Conv) outImage(y []float32, i int) []float32 {
	n := p.K * p.OutH() * p.OutW()
	stride := n
	if p.post != nil && p.post.outStride != 0 {
		stride = p.post.outStride
	}
	return y[i*stride : i*stride+n]
}

// stridedOutput reports whether Conv2d's path for p writes images
// Conv2dStrided's stride apart itself: float32's implicit and explicit
// GEMMs and Winograd, with no pooling or residual after them. Conv2d runs
// the others into scratch space and copies their images into place.
func (p Conv) stridedOutput() bool {
	return !p.BF16 && (p.post == nil || p.post.pool == nil && p.post.residual == nil) &&
		!p.depthwise() && !p.fullKernel() && !p.kvec() && !p.xvec()
}

// Conv2dStrided is Conv2d with image i of the output at y[i*stride:],
// stride at least K·OutH()·OutW(): a slice of a wider tensor's channels
// (an Inception block's concatenation), filled in place. It keeps no
// patches.
func Conv2dStrided(p Conv, x, w, b, y []float32, stride int) {
	post := convPosts.get()
	defer convPosts.put(post)
	post.outStride = stride
	p.post = post
	Conv2d(p, x, w, b, y, nil)
}

// convPost is the work a convolution's epilogue does beyond Act.
type convPost struct {
	// residual, if not nil, is added to the output (y's shape) before
	// act, which then stands for Act (Conv2dResidual).
	residual []float32
	act      Activation
	// pool is the pooling Conv2dPool asks for, done after the activation.
	pool *poolTask
	// fromProducts: pool is a 3×3 max pooling of an output nothing else
	// reads, which may run on the products before the bias and
	// activation (poolProducts).
	fromProducts bool
	// outStride, if not 0, is the distance between the output's images
	// (Conv2dStrided).
	outStride int
	// inputPool, if not nil, is the max pooling whose output is the
	// convolution's input, run on each image as it is read
	// (Conv2dPooledInput).
	inputPool *Pool
	// parts, if not nil, are where the output's channels go
	// (Conv2dParts), in place of y.
	parts []OutPart
}

// convPosts recycles the convPosts of calls.
var convPosts taskPool[convPost]

// OutH returns the output height.
func (p Conv) OutH() int { return (p.H+2*p.PadH-p.dilH()*(p.R-1)-1)/p.StrideH + 1 }

// OutW returns the output width.
func (p Conv) OutW() int { return (p.W+2*p.PadW-p.dilW()*(p.S-1)-1)/p.StrideW + 1 }

// dilH, dilW and groups are DilH, DilW and Groups, 0 read as 1.
func (p Conv) dilH() int   { return max(p.DilH, 1) }
func (p Conv) dilW() int   { return max(p.DilW, 1) }
func (p Conv) groups() int { return max(p.Groups, 1) }

// plain reports whether the convolution has one group and no dilation:
// the only kind the specialised kernels (fully connected, kvec, xvec,
// implicit GEMM) take.
func (p Conv) plain() bool { return p.groups() == 1 && p.dilH() == 1 && p.dilW() == 1 }

// depthwise reports whether every group has one input channel (Groups ==
// C): the convolution then runs plane by plane (depthwise.go), not as a
// GEMM.
func (p Conv) depthwise() bool { return p.groups() == p.C && p.C > 1 && !depthwiseOff }

// depthwiseOff sends depthwise convolutions to the GEMM per group, for
// the benchmarks that compare the two.
var depthwiseOff bool

// colRows is the height of one image's im2col matrix: C*R*S.
func (p Conv) colRows() int { return p.C * p.R * p.S }

// wRow is the length of a row of the weights, an output channel's:
// (C/Groups)*R*S.
func (p Conv) wRow() int { return p.C / p.groups() * p.R * p.S }

// direct reports whether the input already is its own im2col matrix
// (a 1×1 kernel with stride 1 and no padding).
func (p Conv) direct() bool {
	return p.R == 1 && p.S == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadH == 0 && p.PadW == 0
}

// groupColumns is the least number of output columns a convolution GEMM
// gets: images whose outputs are small are handled several at a time, so
// that the packed weights are reused across enough columns.
const groupColumns = 512

// groupSize returns how many images one GEMM handles. It depends only on
// the shape, so forward and backward cut the batch the same way.
//
// Of the sizes that give at least groupColumns columns, it takes the
// least that cuts the batch into an even number of equal groups where
// there is one, so that two threads get the same work (10 images of
// 14×14: 5 and 5, not 3+3 and 3+1).
func (p Conv) groupSize() int {
	outHW := p.OutH() * p.OutW()
	least := max(1, min(p.N, (groupColumns+outHW-1)/outHW))
	for g := least; g <= p.N/2; g++ {
		if p.N%(2*g) == 0 {
			return g
		}
	}
	return least
}

// ColsSize returns the length of the patch matrix of the whole batch that
// Conv2d keeps for Conv2dBackward in their cols argument: 0 where the
// forward pass builds none. A layer that Winograd's method computes
// keeps none either: its backward pass builds the patches itself, as
// the forward pass by GEMM would have.
func (p Conv) ColsSize() int {
	if p.depthwise() || p.fullKernel() || p.kvec() || p.xvec() || p.implicitFwd() && !p.phases() || p.bf16Implicit() || p.bf16ByRounding() {
		return 0
	}
	if _, ok := p.winogradVariant(); ok {
		return 0
	}
	return p.patchesSize()
}

// patchesSize is the length of the patch matrix of the whole batch.
func (p Conv) patchesSize() int { return p.N * p.colRows() * p.OutH() * p.OutW() }

// forGroups calls fn for each group of images [i0, i0+n), split across
// threads, with a group's patch matrix: its slice of cols when cols holds
// the whole batch, else scratch space of the chunk.
func (p Conv) forGroups(cols []float32, fn func(chunk, i0, n int, groupCols []float32)) {
	g := p.groupSize()
	groups := (p.N + g - 1) / g
	groupLen := p.colRows() * g * p.OutH() * p.OutW()
	ParallelChunks(groups, func(c, lo, hi int) {
		var scratch *[]float32
		if len(cols) < p.patchesSize() {
			scratch = getScratchDirty(groupLen)
			defer putScratch(scratch)
		}
		for gi := lo; gi < hi; gi++ {
			i0 := gi * g
			n := min(g, p.N-i0)
			if scratch != nil {
				fn(c, i0, n, *scratch)
			} else {
				fn(c, i0, n, cols[i0*p.colRows()*p.OutH()*p.OutW():])
			}
		}
	})
}

// padInto copies one image, x, into the inside of the zero-padded
// buffer xp: C planes of (H+2*PadH)×(W+2*PadW). The borders are left as
// they are, for the caller to have zeroed.
func (p Conv) padInto(x, xp []float32) {
	wp := p.W + 2*p.PadW
	plane := (p.H + 2*p.PadH) * wp
	for c := 0; c < p.C; c++ {
		// A plane's rows in one call of the vector kernel: a copy a row
		// costs a call each (LeNet-5's 28 of 28 floats an image).
		dst, src := xp[c*plane+p.PadH*wp+p.PadW:], x[c*p.H*p.W:]
		if !moveRowsVector(dst, wp, src, p.W, p.H, p.W) {
			for y := 0; y < p.H; y++ {
				copy(dst[y*wp:][:p.W], src[y*p.W:])
			}
		}
	}
}

// patches writes the patch matrix of images [i0, i0+n) into cols, as a
// (C*R*S)×(n*OH*OW) matrix with the images side by side.
// The images are split across threads: a GEMM that takes the whole batch
// at once (small outputs) would otherwise wait on one thread's copies.
func (p Conv) patches(x []float32, i0, n int, cols []float32) {
	p.imagesTask(x, i0, n, cols, false)
}

// imagesTask runs im2col (or, back, col2im) on images [i0, i0+n) of x,
// their columns side by side in cols, split across threads.
func (p Conv) imagesTask(x []float32, i0, n int, cols []float32, back bool) {
	cost := p.colRows() * p.OutH() * p.OutW()
	if n == 1 || n*cost < minParallelWork {
		// On this thread, with no pooled task (see packWeightPanels).
		t := imageTask{p: p, x: x, cols: cols, i0: i0, ld: n * p.OutH() * p.OutW(), back: back}
		t.run(0, 0, n)
		return
	}
	t := imageTasks.get()
	*t = imageTask{p: p, x: x, cols: cols, i0: i0, ld: n * p.OutH() * p.OutW(), back: back}
	parallelForTask(n, cost, t)
	imageTasks.put(t)
}

// imageTask is im2col or col2im of some of a group's images.
type imageTask struct {
	p       Conv
	x, cols []float32
	i0, ld  int
	back    bool
}

var imageTasks taskPool[imageTask]

func (t *imageTask) run(_, lo, hi int) {
	p := t.p
	inSize, outHW := p.C*p.H*p.W, p.OutH()*p.OutW()
	for j := lo; j < hi; j++ {
		img := t.x[(t.i0+j)*inSize : (t.i0+j+1)*inSize]
		if t.back {
			p.col2im(t.cols[j*outHW:], t.ld, img)
		} else {
			p.im2col(img, t.cols[j*outHW:], t.ld)
		}
	}
}

// fullKernel reports whether the kernel covers the whole unpadded input,
// so that the convolution is a fully connected layer: y[n, k] = x[n, :]·w[k, :].
func (p Conv) fullKernel() bool {
	return p.plain() && p.R == p.H && p.S == p.W && p.PadH == 0 && p.PadW == 0
}

// Conv2d computes y = act(conv(x, w) + b), act being p.Act. b may be nil.
// y is overwritten.
//
// The batch is cut into groups of images (see groupSize), split across
// threads; each group's patches are laid side by side as one
// (C*R*S)×(G*OH*OW) matrix and multiplied by the K×(C*R*S) weights in one
// GEMM (one GEMM per channel group, with Groups > 1). If cols has
// ColsSize elements, the patches are kept there for Conv2dBackward;
// otherwise (nil) scratch space is used. Depthwise convolutions run plane
// by plane instead (depthwise.go).
func Conv2d(p Conv, x, w, b, y, cols []float32) {
	inSize, outHW := p.C*p.H*p.W, p.OutH()*p.OutW()
	crs := p.colRows()
	if p.post != nil && p.post.outStride != 0 && !p.stridedOutput() {
		dense := getScratchDirty(p.N * p.K * outHW)
		defer putScratch(dense)
		q := p
		q.post = nil // Conv2dStrided's, which holds the stride alone
		Conv2d(q, x, w, b, *dense, cols)
		spreadImages(y, p.post.outStride, *dense, p.N, p.K*outHW)
		return
	}
	if p.depthwise() {
		p.depthwiseForward(x, w, b, y)
		return
	}
	if p.fullKernel() {
		p.gemm(false, true, p.N, p.K, crs, 1, x, crs, w, crs, 0, y, p.K)
		if b != nil {
			AddBiasRows(b, y[:p.N*p.K])
		}
		p.Act.Apply(y[:p.N*p.K])
		return
	}
	if v, ok := p.winogradVariant(); ok && len(cols) == 0 {
		// No patch matrix is kept for a backward pass: Winograd's
		// transformed tiles serve the forward pass alone.
		p.winogradWith(v, x, w, b, y)
		return
	}
	if p.bf16ImplicitFwd(cols) && !p.bf16ByRounding() {
		p.bf16ImplicitForward(x, w, b, y)
		return
	}
	if p.bf16ByRounding() {
		rx, rw := roundedCopy(x[:p.N*p.C*p.H*p.W]), roundedCopy(w)
		defer putScratch(rx)
		defer putScratch(rw)
		q := p
		q.BF16 = false
		Conv2d(q, *rx, *rw, b, y, cols)
		return
	}
	if p.kvec() {
		p.kvecForward(x, w, b, y)
		return
	}
	if p.xvec() {
		p.xvecForward(x, w, b, y)
		return
	}
	if p.implicitFwd() && (!p.phases() || p.phasesFwd(cols)) {
		p.implicitForward(x, w, b, y)
		return
	}
	// The weights are packed once for every group's GEMM: one matrix per
	// channel group, kg rows of wr.
	G, kg, wr := p.groups(), p.K/p.groups(), p.wRow()
	pa := p.packWeightGroups(w, kg, wr, false)
	defer pa.release()
	var outs []*[]float32
	if p.groupSize() > 1 {
		outs = make([]*[]float32, Chunks((p.N+p.groupSize()-1)/p.groupSize()))
		for i := range outs {
			outs[i] = getScratchDirty(p.K * p.groupSize() * outHW)
		}
		defer putScratches(outs)
	}
	p.forGroups(cols, func(c, i0, n int, gcols []float32) {
		ld := n * outHW
		src := x[i0*inSize:]
		if !p.direct() || n > 1 {
			p.patches(x, i0, n, gcols)
			src = gcols
		}
		if n == 1 {
			yi := p.outImage(y, i0)
			for g := range G {
				pa.gemm(g, kg, outHW, wr, src[g*wr*ld:], ld, 0, yi[g*kg*outHW:], outHW)
			}
			addChannelBias(b, yi, outHW)
			p.epilogue(y, i0, 0, p.K)
			return
		}
		out := *outs[c]
		for g := range G {
			pa.gemm(g, kg, ld, wr, src[g*wr*ld:], ld, 0, out[g*kg*ld:], ld)
		}
		// A group that is the whole batch runs alone: its images are
		// finished on every thread.
		Parallel(n, func(lo, hi int) {
			for j := lo; j < hi; j++ {
				p.finish(y, i0+j, b, out[j*outHW:], ld, p.OutW())
			}
		})
	})
}

// finish moves image i's output from src into y, channel k's rows at
// src[k*ldk:], ldr apart (the first OutW() of each), adding the bias;
// then it activates the output, adds any residual and pools it, channel
// by channel while each is in cache.
func (p Conv) finish(y []float32, i int, b, src []float32, ldk, ldr int) {
	if p.poolProducts(i, b, src, ldk, ldr) {
		return
	}
	oh, ow := p.OutH(), p.OutW()
	// A plane whose rows lie end to end in src too is copied as one row:
	// rows as short as 7×7 planes' cost the vector kernel as much each.
	rows, w := oh, ow
	if ldr == ow {
		rows, w = 1, oh*ow
	}
	parts := p.post != nil && p.post.parts != nil
	for k := 0; k < p.K; k++ {
		var bias float32
		if b != nil {
			bias = b[k]
		}
		dst := p.outPlane(y, i, k)
		if p.Act == ActReLU {
			copyRows(dst, w, src[k*ldk:], ldr, rows, w, bias, 0)
			p.poolPlanes(i, k, k+1)
		} else {
			copyRows(dst, w, src[k*ldk:], ldr, rows, w, bias, noFloor)
			if !parts { // Conv2dParts has no activation for epilogue
				p.epilogue(y, i, k, k+1)
			}
		}
	}
}

// poolProducts is finish for a Conv2dPool whose output nothing reads and
// whose pooling is 3×3 max (ResNet's and GoogLeNet's stems): each
// channel is pooled straight from the products, and the bias and ReLU
// applied to the pooled plane, a quarter the size. Both are
// nondecreasing, so the maxima are the same; the output is not written,
// nor read back to pool. It reports whether it ran (it does only with
// the vector kernel).
func (p Conv) poolProducts(i int, b, src []float32, ldk, ldr int) bool {
	if p.post == nil || !p.post.fromProducts {
		return false
	}
	t := p.post.pool
	floor := noFloor
	if p.Act == ActReLU {
		floor = 0
	}
	for k := 0; k < p.K; k++ {
		o := t.outPlane(i, k, p.K)
		out := t.y[o : o+t.hw]
		if !maxPool3x3Vector(src[k*ldk:], out, 1, p.OutH(), p.OutW(), ldr, t.oh, t.ow, t.p.StrideH, t.p.PadH) {
			return false // at k 0: nothing is written
		}
		var bias float32
		if b != nil {
			bias = b[k]
		}
		copyRows(out, t.hw, out, t.hw, 1, t.hw, bias, floor)
	}
	return true
}

// putScratches gives back the buffers of bufs.
func putScratches(bufs []*[]float32) {
	for _, b := range bufs {
		putScratch(b)
	}
}

// epilogue finishes channels [k0, k1) of image i of the output y, once
// computed: it applies the activation and the pooling that follows, if
// any, while they are in cache.
func (p Conv) epilogue(y []float32, i, k0, k1 int) {
	hw := p.OutH() * p.OutW()
	seg := p.outImage(y, i)[k0*hw : k1*hw]
	if p.post != nil && p.post.residual != nil {
		add(p.post.residual[(i*p.K+k0)*hw:(i*p.K+k1)*hw], seg)
		p.post.act.apply(seg)
	} else {
		p.Act.apply(seg)
	}
	p.poolPlanes(i, k0, k1)
}

// poolPlanes does Conv2dPool's pooling of channels [k0, k1) of image i.
func (p Conv) poolPlanes(i, k0, k1 int) {
	if p.post == nil || p.post.pool == nil {
		return
	}
	t := p.post.pool
	for k := k0; k < k1; k++ {
		t.plane(t, (i*p.K+k)*t.inHW, t.outPlane(i, k, p.K))
	}
}

// Conv2dPool computes y = act(conv(x, w) + b) as Conv2d does, and pooled
// = pool(y) as AvgPool2d does or, if max, as MaxPool2d does (argmax its
// argmax): each image's channels are pooled as soon as they are computed,
// while they are in cache. pool's input must be y's shape. y may be nil
// when nothing will read it: it then lives in scratch space.
func Conv2dPool(p Conv, pool Pool, max bool, x, w, b, y, cols, pooled []float32, argmax []int32) {
	conv2dPool(p, pool, max, x, w, b, y, cols, pooled, argmax, 0, nil)
}

// Conv2dPoolStrided is Conv2dPool in inference for a max pooling, with
// the convolution's output not kept, no argmax, and image i of the pooled
// output at pooled[i*stride:] (a slice of a wider tensor's channels, as
// Conv2dStrided; 0: K planes apart): GoogLeNet's Inception block and the
// pooling after it, each branch pooling its channels as they are
// computed, so that the block's output is never written out whole.
func Conv2dPoolStrided(p Conv, pool Pool, x, w, b, pooled []float32, stride int) {
	if MaxPoolWithoutIndex(pool) || halvingWithoutIndex(pool) {
		conv2dPool(p, pool, true, x, w, b, nil, nil, pooled, nil, stride, nil)
		return
	}
	// Without the vector kernels: the pooling finds its argmax, into
	// scratch, and the images are copied into place.
	n := p.K * pool.OutH() * pool.OutW()
	if stride == 0 {
		stride = n
	}
	out := getScratchDirty(p.N * n)
	defer putScratch(out)
	conv2dPool(p, pool, true, x, w, b, nil, nil, *out, make([]int32, p.N*n), 0, nil)
	spreadImages(pooled, stride, *out, p.N, n)
}

// spreadImages copies n images of size floats, one after another in src,
// into dst, stride apart.
func spreadImages(dst []float32, stride int, src []float32, n, size int) {
	for i := 0; i < n; i++ {
		copy(dst[i*stride:i*stride+size], src[i*size:(i+1)*size])
	}
}

// conv2dPool is Conv2dPool with the pooled images stride apart (0: K
// planes of the pooling's output) and, with in, the convolution's input
// max-pooled by in as its implicit GEMM reads each image
// (Conv2dPooledInputPool, where poolsInput(in) holds).
func conv2dPool(p Conv, pool Pool, max bool, x, w, b, y, cols, pooled []float32, argmax []int32, stride int, in *Pool) {
	if pool.N != p.N || pool.C != p.K || pool.H != p.OutH() || pool.W != p.OutW() {
		panic("kernels: Conv2dPool of a pooling whose input is not the convolution's output")
	}
	keepless := y == nil
	if y == nil {
		buf := getScratchDirty(p.N * p.K * p.OutH() * p.OutW())
		defer putScratch(buf)
		y = *buf
	}
	if p.fullKernel() { // one output per channel: nothing to gain
		Conv2d(p, x, w, b, y, cols)
		out := pooled
		if stride != 0 {
			buf := getScratchDirty(p.N * p.K * pool.OutH() * pool.OutW())
			defer putScratch(buf)
			out = *buf
		}
		if max {
			MaxPool2d(pool, y, out, argmax)
		} else {
			AvgPool2d(pool, y, out)
		}
		if stride != 0 {
			spreadImages(pooled, stride, out, p.N, p.K*pool.OutH()*pool.OutW())
		}
		return
	}
	plane := pool.forwardPlane(max)
	max3x3 := max && pool.maxPool3x3(argmax)
	if max3x3 {
		plane = maxPlane3x3 // a stem's pooling in inference
	}
	t := newPoolTask(pool, plane)
	t.x, t.y, t.argmax, t.yImage = y, pooled, argmax, stride
	post := convPosts.get()
	*post = convPost{pool: t, inputPool: in}
	post.fromProducts = max3x3 && keepless && (p.Act == Identity || p.Act == ActReLU)
	p.post = post
	if in != nil {
		p.implicitForward(x, w, b, y)
	} else {
		Conv2d(p, x, w, b, y, cols)
	}
	poolTasks.put(t)
	convPosts.put(post)
}

// Conv2dResidual computes y = act(conv(x, w) + b + residual), act being
// p.Act, residual of y's shape (ResNet's block end: its shortcut and
// ReLU): the residual is added to each image's output, and the activation
// applied, as soon as it is computed, while it is in cache. y is
// overwritten; it may not be residual.
func Conv2dResidual(p Conv, x, w, b, residual, y []float32) {
	n := p.N * p.K * p.OutH() * p.OutW()
	if len(residual) < n {
		panic("kernels: Conv2dResidual's residual is smaller than the output")
	}
	post := convPosts.get()
	defer convPosts.put(post)
	post.residual, post.act = residual[:n], p.Act
	p.post, p.Act = post, Identity
	if p.fullKernel() {
		// Conv2d's full-kernel path has no per-image epilogue.
		p.post = nil
		Conv2d(p, x, w, b, y, nil)
		add(residual[:n], y[:n])
		post.act.Apply(y[:n])
		return
	}
	Conv2d(p, x, w, b, y, nil)
}

// addChannelBias adds b[k] to channel k of one image's K×hw output.
func addChannelBias(b, y []float32, hw int) {
	for k, v := range b {
		addConst(v, y[k*hw:(k+1)*hw])
	}
}

// Conv2dBackward adds the gradients of conv(x, w) + b, given the output
// gradient dy, into dw and db, and into dx if dxAdd, else stores it there.
// Any of dx, dw, db may be nil. cols is what Conv2d kept (or nil to
// recompute the patches); it is overwritten. A 3×3 stride-1 layer's dx
// is computed by Winograd's method where the forward pass would use it
// on the same shape (winogradDataGrad).
func Conv2dBackward(p Conv, x, w, dy, dx []float32, dxAdd bool, dw, db, cols []float32) {
	inSize, outHW := p.C*p.H*p.W, p.OutH()*p.OutW()
	crs := p.colRows()
	if p.depthwise() {
		p.depthwiseBackward(x, w, dy, dx, dxAdd, dw, db)
		return
	}
	if p.fullKernel() {
		if dx != nil {
			beta := float32(1)
			if !dxAdd {
				beta = 0
			}
			p.gemm(false, false, p.N, crs, p.K, 1, dy, p.K, w, crs, beta, dx, crs)
		}
		if dw != nil {
			p.gemm(true, false, p.K, crs, p.N, 1, dy, p.K, x, crs, 1, dw, crs)
		}
		if db != nil {
			SumRows(dy[:p.N*p.K], db)
		}
		return
	}
	if p.bf16ByRounding() {
		var xr []float32 // x is nil where only dx is wanted (ConvTranspose2d)
		if x != nil {
			rx := roundedCopy(x[:p.N*p.C*p.H*p.W])
			defer putScratch(rx)
			xr = *rx
		}
		rw, rdy := roundedCopy(w), roundedCopy(dy[:p.N*p.K*outHW])
		defer putScratch(rw)
		defer putScratch(rdy)
		// The bias gradient sums the unrounded output gradient.
		if db != nil {
			p.biasGrad(dy, db)
			db = nil
		}
		q := p
		q.BF16 = false
		Conv2dBackward(q, xr, *rw, *rdy, dx, dxAdd, dw, db, cols)
		return
	}
	if dx != nil && p.winogradDataGrad(w, dy, dx, dxAdd) {
		if dw == nil && db == nil {
			return
		}
		dx = nil
	}
	if dw != nil && p.winogradWeightGrad(x, dy, dw) {
		if db != nil {
			p.biasGrad(dy, db)
		}
		if dx == nil {
			return
		}
		dw, db = nil, nil
	}
	if p.bf16Implicit() {
		p.bf16ImplicitBackward(x, w, dy, dx, dxAdd, dw, db)
		return
	}
	if p.kvec() {
		p.kvecBackward(x, w, dy, dx, dxAdd, dw, db)
		return
	}
	if p.xvec() && dx == nil {
		p.xvecWeightGrad(x, dy, dw, db)
		return
	}
	if p.implicit() {
		p.implicitBackward(x, w, dy, dx, dxAdd, dw, db)
		return
	}
	if dx != nil && !dxAdd {
		Zero(dx[:p.N*inSize])
	}
	G, kg, wr := p.groups(), p.K/p.groups(), p.wRow()
	kept := len(cols) >= p.patchesSize()
	g := p.groupSize()
	chunks := Chunks((p.N + g - 1) / g)
	// Each chunk sums its groups' weight and bias gradients on its own;
	// the partial sums are added in chunk order, so results do not depend
	// on scheduling. A chunk also needs room for its group's gradient as a
	// K×(G*OH*OW) matrix.
	partSize := p.K*wr + p.K + p.K*g*outHW
	// One chunk (a batch of small planes in one group, or any batch on
	// one thread) sums straight into dw and db: its part would be
	// cleared, summed into and added, three more passes over a gradient
	// of up to 9 MB (ResNet-18's layer4).
	direct := chunks == 1
	var parts *[]float32
	if direct {
		parts = getScratchDirty(p.K * g * outHW)
	} else {
		parts = getScratch(chunks * partSize)
	}
	defer putScratch(parts)
	// dx's GEMM multiplies by Wᵀ (each channel group's): transpose and
	// pack it once here for every group's GEMM.
	var pwt weightPack
	if dx != nil {
		pwt = p.packWeightGroups(w, wr, kg, true)
		defer pwt.release()
	}
	p.forGroups(cols, func(c, i0, n int, gcols []float32) {
		var pdw, pdb, grad []float32
		if direct {
			pdw, pdb, grad = dw, db, *parts
		} else {
			part := (*parts)[c*partSize : (c+1)*partSize]
			pdw, pdb, grad = part[:p.K*wr], part[p.K*wr:p.K*wr+p.K], part[p.K*wr+p.K:]
		}
		ld := n * outHW
		// dyg is the group's output gradient as K×(n*OH*OW).
		dyg := dy[i0*p.K*outHW : (i0+1)*p.K*outHW]
		if n > 1 {
			for j := 0; j < n; j++ {
				dyi := dy[(i0+j)*p.K*outHW:]
				for k := 0; k < p.K; k++ {
					copy(grad[k*ld+j*outHW:k*ld+(j+1)*outHW], dyi[k*outHW:])
				}
			}
			dyg = grad
		}
		if db != nil {
			for k := 0; k < p.K; k++ {
				pdb[k] += sum(dyg[k*ld : (k+1)*ld])
			}
		}
		if dw != nil {
			src := x[i0*inSize:]
			if !p.direct() || n > 1 {
				if !kept {
					p.patches(x, i0, n, gcols)
				}
				src = gcols
			}
			for gr := range G {
				p.gemm(false, true, kg, wr, ld, 1, dyg[gr*kg*ld:], ld, src[gr*wr*ld:], ld, 1, pdw[gr*kg*wr:], wr)
			}
		}
		if dx == nil {
			return
		}
		if p.direct() && n == 1 {
			dxi := dx[i0*inSize : (i0+1)*inSize]
			for gr := range G {
				pwt.gemm(gr, wr, outHW, kg, dyg[gr*kg*ld:], ld, 1, dxi[gr*wr*outHW:], outHW)
			}
			return
		}
		// The group's patches are no longer needed: their space takes
		// the patch gradients.
		for gr := range G {
			pwt.gemm(gr, wr, ld, kg, dyg[gr*kg*ld:], ld, 0, gcols[gr*wr*ld:], ld)
		}
		p.imagesTask(dx, i0, n, gcols, true)
	})
	for c := 0; c < chunks && !direct; c++ {
		part := (*parts)[c*partSize : (c+1)*partSize]
		if dw != nil {
			add(part[:p.K*wr], dw)
		}
		if db != nil {
			add(part[p.K*wr:p.K*wr+p.K], db)
		}
	}
}

// Im2col writes one image's patches as a (C*R*S)×(OutH*OutW) matrix:
// row (c*R+r)*S+s holds x[c, oh*StrideH-PadH+r*DilH, ow*StrideW-PadW+s*DilW]
// for every output position, zero where that falls in the padding.
func Im2col(p Conv, x, cols []float32) { p.im2col(x, cols, p.OutH()*p.OutW()) }

// Col2im adds a (C*R*S)×(OutH*OutW) matrix of patch gradients back into
// the image gradient dx: the adjoint of Im2col.
func Col2im(p Conv, cols, dx []float32) { p.col2im(cols, p.OutH()*p.OutW(), dx) }

// im2col is Im2col into a matrix with row stride ld. Output rows are short
// (LeNet's are 28 and 10 wide), so the copies are plain loops rather than
// calls to copy and clear.
func (p Conv) im2col(x, cols []float32, ld int) {
	if p.smallPlanes() {
		p.im2colPadded(x, cols, ld)
		return
	}
	if p.halving() {
		p.im2colPhases(x, cols, ld)
		return
	}
	oh, ow := p.OutH(), p.OutW()
	if p.direct() {
		// Each row of patches is a whole plane.
		for c := 0; c < p.C; c++ {
			copy(cols[c*ld:c*ld+oh*ow], x[c*oh*ow:])
		}
		return
	}
	dh, dw := p.dilH(), p.dilW()
	row := 0
	for c := 0; c < p.C; c++ {
		plane := x[c*p.H*p.W : (c+1)*p.H*p.W]
		for r := 0; r < p.R; r++ {
			for s := 0; s < p.S; s++ {
				dst := cols[row*ld : row*ld+oh*ow]
				lo, hi := validRange(ow, p.W, p.StrideW, p.PadW, s*dw)
				for y := 0; y < oh; y++ {
					d := dst[y*ow : (y+1)*ow : (y+1)*ow]
					iy := y*p.StrideH - p.PadH + r*dh
					if iy < 0 || iy >= p.H || lo >= hi {
						clear(d)
						continue
					}
					clear(d[:lo])
					clear(d[hi:])
					ix := lo*p.StrideW - p.PadW + s*dw
					if p.StrideW == 1 {
						copy(d[lo:hi], plane[iy*p.W+ix:])
						continue
					}
					src := plane[iy*p.W:]
					if p.StrideW == 2 {
						x := lo + copyEvensVector(src[ix:p.W], d[lo:hi])
						ix += 2 * (x - lo)
						for ; x < hi; x, ix = x+1, ix+2 {
							d[x] = src[ix]
						}
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

// smallPlanes reports whether im2col and col2im go through a zero-padded
// copy of each plane (im2colPadded, col2imPadded): for stride-1,
// undilated windows over rows so short that clipping each copied row to
// the image would cost more than the copies.
func (p Conv) smallPlanes() bool {
	return p.StrideH == 1 && p.StrideW == 1 && p.dilH() == 1 && p.dilW() == 1 && p.OutW() <= 32 &&
		(p.PadH > 0 || p.PadW > 0)
}

// halving reports whether im2col goes through the four phase planes of
// each channel (im2colPhases): for undilated windows of stride 2.
func (p Conv) halving() bool {
	return p.StrideH == 2 && p.StrideW == 2 && p.dilH() == 1 && p.dilW() == 1
}

// im2colPhases is im2col for halving convolutions. Each channel, zero-
// padded, is split into its phases (splitPhases): plane 2a+b holds the
// padded rows of parity a and columns of parity b. Output (y, x) reads padded (2y+r,
// 2x+s), which is row y+r/2, column x+s/2 of phase (r%2, s%2): every
// (r, s) row of patches is a block of whole rows of one phase plane,
// copied in one call. (Row by row, ResNet-18's last halving layer, 7×7
// outputs, spent a third of its time here.)
func (p Conv) im2colPhases(x, cols []float32, ld int) {
	oh, ow := p.OutH(), p.OutW()
	hp, wp := (p.H+2*p.PadH+1)/2, (p.W+2*p.PadW+1)/2
	plane := hp * wp
	buf := getScratch(4 * plane) // the padding stays zero: every channel fills the same places
	defer putScratch(buf)
	phases := *buf
	row := 0
	for c := 0; c < p.C; c++ {
		splitPhases(x[c*p.H*p.W:(c+1)*p.H*p.W], p, phases, plane, wp)
		for r := 0; r < p.R; r++ {
			for s := 0; s < p.S; s++ {
				copyRows(cols[row*ld:], ow, phases[(2*(r%2)+s%2)*plane+r/2*wp+s/2:], wp, oh, ow, 0, noFloor)
				row++
			}
		}
	}
}

// im2colPadded is im2col for smallPlanes: each channel is copied into a
// zero-padded plane, from which every (r, s) row of patches is whole rows.
func (p Conv) im2colPadded(x, cols []float32, ld int) {
	oh, ow := p.OutH(), p.OutW()
	wp := p.W + 2*p.PadW
	buf := getScratch((p.H + 2*p.PadH) * wp)
	defer putScratch(buf)
	padded := *buf
	row := 0
	for c := 0; c < p.C; c++ {
		for y := 0; y < p.H; y++ { // the inside; the border stays zero
			copy(padded[(y+p.PadH)*wp+p.PadW:][:p.W], x[(c*p.H+y)*p.W:])
		}
		for r := 0; r < p.R; r++ {
			for s := 0; s < p.S; s++ {
				dst := cols[row*ld : row*ld+oh*ow]
				for y := 0; y < oh; y++ {
					copy(dst[y*ow:(y+1)*ow], padded[(y+r)*wp+s:])
				}
				row++
			}
		}
	}
}

// col2imPadded is col2im for smallPlanes, the adjoint of im2colPadded:
// each channel's patch gradients are summed into a padded plane, whose
// inside is added into dx.
func (p Conv) col2imPadded(cols []float32, ld int, dx []float32) {
	oh, ow := p.OutH(), p.OutW()
	wp := p.W + 2*p.PadW
	buf := getScratchDirty((p.H + 2*p.PadH) * wp)
	defer putScratch(buf)
	padded := *buf
	row := 0
	for c := 0; c < p.C; c++ {
		clear(padded)
		for r := 0; r < p.R; r++ {
			for s := 0; s < p.S; s++ {
				src := cols[row*ld : row*ld+oh*ow]
				for y := 0; y < oh; y++ {
					d := padded[(y+r)*wp+s : (y+r)*wp+s+ow]
					for i, v := range src[y*ow : (y+1)*ow] {
						d[i] += v
					}
				}
				row++
			}
		}
		plane := dx[c*p.H*p.W : (c+1)*p.H*p.W]
		for y := 0; y < p.H; y++ {
			d := plane[y*p.W : (y+1)*p.W]
			for i, v := range padded[(y+p.PadH)*wp+p.PadW : (y+p.PadH)*wp+p.PadW+p.W] {
				d[i] += v
			}
		}
	}
}

// col2im is Col2im from a matrix with row stride ld.
func (p Conv) col2im(cols []float32, ld int, dx []float32) {
	if p.smallPlanes() {
		p.col2imPadded(cols, ld, dx)
		return
	}
	oh, ow := p.OutH(), p.OutW()
	dh, dw := p.dilH(), p.dilW()
	row := 0
	for c := 0; c < p.C; c++ {
		plane := dx[c*p.H*p.W : (c+1)*p.H*p.W]
		for r := 0; r < p.R; r++ {
			for s := 0; s < p.S; s++ {
				src := cols[row*ld : row*ld+oh*ow]
				lo, hi := validRange(ow, p.W, p.StrideW, p.PadW, s*dw)
				if p.StrideW == 2 && lo < hi {
					// The rows whose input row lies in the plane, added
					// into every other column in one call.
					y0, y1 := 0, oh
					for y0 < y1 && y0*p.StrideH-p.PadH+r*dh < 0 {
						y0++
					}
					for y1 > y0 && (y1-1)*p.StrideH-p.PadH+r*dh >= p.H {
						y1--
					}
					iy, ix := y0*p.StrideH-p.PadH+r*dh, lo*2-p.PadW+s*dw
					if y0 < y1 && addEvenRowsVector(src[y0*ow+lo:], ow, plane[iy*p.W+ix:], p.StrideH*p.W, y1-y0, hi-lo) {
						row++
						continue
					}
				}
				for y := 0; y < oh && lo < hi; y++ {
					iy := y*p.StrideH - p.PadH + r*dh
					if iy < 0 || iy >= p.H {
						continue
					}
					d := plane[iy*p.W:]
					ix := lo*p.StrideW - p.PadW + s*dw
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

// gemm is Gemm, or GemmBF16 for a bf16 convolution.
func (p Conv) gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	GemmIn(p.BF16, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// weightPack is a convolution's weights packed once for all the GEMMs of
// a batch, one matrix per channel group: float32 panels (packWeightsInto)
// or, for a bf16 convolution, bf16 pairs (packWeightsBF16).
type weightPack struct {
	f32     []float32
	bf16    []uint32
	size    int        // of one group's matrix, in floats or words
	scratch *[]float32 // where they live, unless cached
}

// release gives the packed weights' scratch space back.
func (wp weightPack) release() {
	if wp.scratch != nil {
		putScratch(wp.scratch)
	}
}

// packWeightGroups packs each channel group's kg×wr weights (the
// convolution's A) or, with trans, their transpose (backward's A), as a
// rows×k matrix: kept in p.Cache for the forward pass, if there is one.
func (p Conv) packWeightGroups(w []float32, rows, k int, trans bool) weightPack {
	G, kg, wr := p.groups(), p.K/p.groups(), p.wRow()
	cache := p.Cache.cache()
	if trans {
		cache = nil
	}
	var wp weightPack
	if p.BF16 {
		wp.size = packedSizeBF16(rows, k)
		f, scratch := cache.form(weightForm{packedBF16, rows, k, activeBF16.name}, G*wp.size, func(dst []float32) {
			words := asWords(dst)
			for g := range G {
				packWeightsBF16(words[g*wp.size:(g+1)*wp.size], w[g*kg*wr:], wr, rows, k, trans)
			}
		})
		wp.bf16, wp.scratch = asWords(f), scratch
		return wp
	}
	wp.size = packedSize(rows, k)
	wp.f32, wp.scratch = cache.form(weightForm{packedFP32, rows, k, activeKernel.name}, G*wp.size, func(dst []float32) {
		for g := range G {
			packWeightPanels(dst[g*wp.size:(g+1)*wp.size], w[g*kg*wr:], wr, rows, k, trans)
		}
	})
	return wp
}

// gemm computes C = A·B + beta*C with group g's packed weights as the
// m×k A (gemmPrepacked).
func (wp weightPack) gemm(g, m, n, k int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if wp.bf16 != nil {
		gemmPrepackedBF16(m, n, k, wp.bf16[g*wp.size:], b, ldb, beta, c, ldc)
		return
	}
	gemmPrepacked(m, n, k, wp.f32[g*wp.size:], b, ldb, beta, c, ldc)
}
