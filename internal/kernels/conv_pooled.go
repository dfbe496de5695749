package kernels

// Conv2dPooledInput computes the convolution p of the max pooling of x by
// pool: GoogLeNet's fourth Inception branch, a 3×3 stride-1 pooling and a
// 1×1 projection. pool's output is p's input (pool.OutH() × pool.OutW() =
// p.H × p.W, and the same images and channels). Image i of the output is
// at y[i*stride:] (stride 0: K·OutH()·OutW(), as Conv2d), as
// Conv2dStrided. It keeps no patches: inference only.
//
// Where p runs as an implicit GEMM on its unpadded input (a 1×1 stride-1
// convolution) and the pooling in maxPool3x3AVX512, each image is pooled
// into the buffer the GEMM reads, while in cache: the pooled batch is
// neither written out whole nor read back. Elsewhere the batch is pooled
// first, into scratch.
func Conv2dPooledInput(p Conv, pool Pool, x, w, b, y []float32, stride int) {
	checkInputPool("Conv2dPooledInput", p, pool)
	if stride == 0 {
		stride = p.K * p.OutH() * p.OutW()
	}
	if p.poolsInput(pool) {
		post := convPosts.get()
		defer convPosts.put(post)
		*post = convPost{outStride: stride, inputPool: &pool}
		p.post = post
		p.implicitForward(x, w, b, y)
		return
	}
	pooled := poolFirst(pool, x, p.N*p.C*p.H*p.W)
	defer putScratch(pooled)
	Conv2dStrided(p, *pooled, w, b, y, stride)
}

// Conv2dPooledInputPool is Conv2dPooledInput followed by out, a max
// pooling, as Conv2dPoolStrided: image i of out's output at
// pooled[i*stride:]. GoogLeNet's fourth Inception branch with the pooling
// after the block.
func Conv2dPooledInputPool(p Conv, in, out Pool, x, w, b, pooled []float32, stride int) {
	checkInputPool("Conv2dPooledInputPool", p, in)
	if p.poolsInput(in) && out.maxPool3x3(nil) {
		conv2dPool(p, out, true, x, w, b, nil, nil, pooled, nil, stride, &in)
		return
	}
	x1 := poolFirst(in, x, p.N*p.C*p.H*p.W)
	defer putScratch(x1)
	Conv2dPoolStrided(p, out, *x1, w, b, pooled, stride)
}

// checkInputPool panics unless pool's output is p's input: the same
// images and channels, pool.OutH() × pool.OutW() = p.H × p.W.
func checkInputPool(op string, p Conv, pool Pool) {
	if pool.N != p.N || pool.C != p.C || pool.OutH() != p.H || pool.OutW() != p.W {
		panic("kernels: " + op + " of a pooling whose output is not the convolution's input")
	}
}

// poolFirst returns x max-pooled by pool into scratch of n floats, for the
// caller to give back.
func poolFirst(pool Pool, x []float32, n int) *[]float32 {
	pooled := getScratchDirty(n)
	var argmax []int32
	if !MaxPoolWithoutIndex(pool) {
		argmax = make([]int32, n)
	}
	MaxPool2d(pool, x, *pooled, argmax)
	return pooled
}

// poolsInput reports whether Conv2dPooledInput pools each image as the
// implicit GEMM reads it.
func (p Conv) poolsInput(pool Pool) bool {
	return !p.BF16 && p.direct() && p.implicitFwd() && pool.maxPool3x3(nil) && !poolsInputOff
}

// poolsInputOff sends Conv2dPooledInput to its fallback, for the tests
// that compare the two.
var poolsInputOff bool

// poolImage pools image i of the plan's input (Conv2dPooledInput's x)
// into xp, C planes of H×W one after another, as the input of a 1×1
// convolution lies.
func (q *implicitPlan) poolImage(pool *Pool, i int, xp []float32) {
	p := q.Conv
	in := pool.H * pool.W
	maxPool3x3Vector(q.x[i*p.C*in:(i+1)*p.C*in], xp[:p.C*p.H*p.W], p.C, pool.H, pool.W, pool.W, p.H, p.W, pool.StrideH, pool.PadH)
}
