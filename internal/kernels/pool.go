package kernels

import "math"

// Pool describes a 2-D pooling window over an N×C×H×W input, giving
// N×C×OutH()×OutW(). Padding counts as zeros for averages (PyTorch's
// count_include_pad=True, unless ExcludePad) and as -Inf for maxima.
type Pool struct {
	N, C, H, W       int
	KH, KW           int
	StrideH, StrideW int
	PadH, PadW       int
	// DilH and DilW space a max pooling's taps (PyTorch's dilation): tap
	// (r, s) of output (oy, ox) is input (oy*StrideH-PadH+r*DilH,
	// ox*StrideW-PadW+s*DilW). 0 means 1. Averages take none.
	DilH, DilW int
	// CeilMode rounds the output size up rather than down (PyTorch's
	// ceil_mode), so that windows hanging over the bottom and right
	// edges count, as long as they start inside the input or its
	// leading padding.
	CeilMode bool
	// ExcludePad makes an average divide by the number of inputs in its
	// window that lie in the image, not counting padding (PyTorch's
	// count_include_pad=False).
	ExcludePad bool
	// OutputH and OutputW, when positive, make the pooling adaptive (as
	// PyTorch's AdaptiveAvgPool2d and AdaptiveMaxPool2d): the output is
	// OutputH×OutputW, and output row oy pools input rows
	// [floor(oy*H/OutputH), ceil((oy+1)*H/OutputH)), columns likewise.
	// The kernel, stride, padding and dilation are then unused.
	OutputH, OutputW int
}

// adaptive reports whether the pooling is adaptive (OutputH, OutputW).
func (p Pool) adaptive() bool { return p.OutputH > 0 }

func (p Pool) dilH() int { return max(p.DilH, 1) }
func (p Pool) dilW() int { return max(p.DilW, 1) }

// OutH returns the output height.
func (p Pool) OutH() int {
	if p.adaptive() {
		return p.OutputH
	}
	return poolOut(p.H, p.KH, p.StrideH, p.PadH, p.dilH(), p.CeilMode)
}

// OutW returns the output width.
func (p Pool) OutW() int {
	if p.adaptive() {
		return p.OutputW
	}
	return poolOut(p.W, p.KW, p.StrideW, p.PadW, p.dilW(), p.CeilMode)
}

// poolOut is PyTorch's pooling_output_shape: the number of windows of k
// taps dil apart, moved by stride over n inputs padded by pad, rounded
// down or (ceil) up, where the last window must start inside the input
// or its leading padding.
func poolOut(n, k, stride, pad, dil int, ceil bool) int {
	span := n + 2*pad - dil*(k-1) - 1
	if !ceil {
		return floorDiv(span, stride) + 1
	}
	out := floorDiv(span+stride-1, stride) + 1
	if (out-1)*stride >= n+pad {
		out--
	}
	return out
}

// floorDiv is a/b rounded down, for b > 0.
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// Valid reports whether the sizes make a pooling: positive sizes,
// kernel, stride and dilation, padding between 0 and half the kernel,
// and an output of at least one position.
func (p Pool) Valid() bool {
	if p.N < 0 || p.C < 1 || p.H < 1 || p.W < 1 {
		return false
	}
	if p.adaptive() {
		return p.OutputW > 0
	}
	return p.KH > 0 && p.KW > 0 && p.StrideH > 0 && p.StrideW > 0 && p.DilH >= 0 && p.DilW >= 0 &&
		p.PadH >= 0 && p.PadW >= 0 && 2*p.PadH <= p.KH && 2*p.PadW <= p.KW &&
		p.OutH() > 0 && p.OutW() > 0
}

// window returns the input rows [y0,y1) and columns [x0,x1) under output
// position (oy, ox), clipped to the image (undilated windows only).
func (p Pool) window(oy, ox int) (y0, y1, x0, x1 int) {
	if p.adaptive() {
		y0, y1 = oy*p.H/p.OutputH, ((oy+1)*p.H+p.OutputH-1)/p.OutputH
		x0, x1 = ox*p.W/p.OutputW, ((ox+1)*p.W+p.OutputW-1)/p.OutputW
		return y0, y1, x0, x1
	}
	y0, x0 = oy*p.StrideH-p.PadH, ox*p.StrideW-p.PadW
	y1, x1 = min(y0+p.KH, p.H), min(x0+p.KW, p.W)
	return max(y0, 0), y1, max(x0, 0), x1
}

// divisor returns what the average of output (oy, ox) divides by, as
// PyTorch's avg_pool2d: the window clipped to the padded input (for
// count_include_pad) or to the input itself (ExcludePad, and adaptive
// windows).
func (p Pool) divisor(oy, ox int) int {
	y0, y1, x0, x1 := p.window(oy, ox)
	if p.ExcludePad || p.adaptive() {
		return (y1 - y0) * (x1 - x0)
	}
	h0, w0 := oy*p.StrideH-p.PadH, ox*p.StrideW-p.PadW
	h1, w1 := min(h0+p.KH, p.H+p.PadH), min(w0+p.KW, p.W+p.PadW)
	return (h1 - h0) * (w1 - w0)
}

// uniform reports whether every average divides by KH*KW.
func (p Pool) uniform() bool {
	if p.adaptive() {
		return false
	}
	if p.ExcludePad && (p.PadH > 0 || p.PadW > 0) {
		return false
	}
	// The last window lies inside the padded input unless ceil mode
	// added it.
	return (p.OutH()-1)*p.StrideH+p.KH <= p.H+2*p.PadH && (p.OutW()-1)*p.StrideW+p.KW <= p.W+2*p.PadW
}

// poolTask is a pooling kernel's arguments and its work on one
// (image, channel) plane, which the workers share; plane is a plain
// function, so that starting a kernel allocates nothing.
type poolTask struct {
	p                Pool
	x, y, dy, dx     []float32
	argmax           []int32
	add              bool                           // backward: add into dx rather than store
	ranges3x3        bool                           // run: maxPool3x3Vector over the range of planes
	plane            func(t *poolTask, in, out int) // in, out: the plane's offsets
	inv              float32                        // 1 / window size
	oh, ow, inHW, hw int
	// yImage, if not 0, is the distance between the output's images
	// (Conv2dPoolStrided); 0: C planes of oh×ow.
	yImage int
}

// outPlane returns the offset in y of output plane k of image i, of K
// channels an image.
func (t *poolTask) outPlane(i, k, K int) int {
	if t.yImage != 0 {
		return i*t.yImage + k*t.hw
	}
	return (i*K + k) * t.hw
}

var poolTasks taskPool[poolTask]

// newPoolTask returns a task for p that runs plane.
func newPoolTask(p Pool, plane func(t *poolTask, in, out int)) *poolTask {
	t := poolTasks.get()
	t.p, t.plane, t.inv, t.ranges3x3, t.yImage = p, plane, 1/float32(p.KH*p.KW), false, 0
	t.oh, t.ow, t.inHW = p.OutH(), p.OutW(), p.H*p.W
	t.hw = t.oh * t.ow
	return t
}

func (t *poolTask) run(_, lo, hi int) {
	if t.ranges3x3 {
		p := t.p
		maxPool3x3Vector(t.x[lo*t.inHW:hi*t.inHW], t.y[lo*t.hw:hi*t.hw], hi-lo, p.H, p.W, p.W, t.oh, t.ow, p.StrideH, p.PadH)
		return
	}
	for i := lo; i < hi; i++ {
		t.plane(t, i*t.inHW, i*t.hw)
	}
}

// planes runs t over every plane, split across threads, and gives t back.
func (t *poolTask) planes() {
	parallelForTask(t.p.N*t.p.C, t.inHW, t)
	poolTasks.put(t)
}

// halving reports whether the window is the common 2×2, stride 2, no
// padding, which has its own loops.
func (p Pool) halving() bool {
	return p.KH == 2 && p.KW == 2 && p.StrideH == 2 && p.StrideW == 2 && p.PadH == 0 && p.PadW == 0 &&
		!p.adaptive() && p.dilH() == 1 && p.dilW() == 1 && p.OutH() == p.H/2 && p.OutW() == p.W/2
}

// global reports whether each output averages or maximises a whole plane
// (adaptive to 1×1, GlobalAvgPool).
func (p Pool) global() bool { return p.adaptive() && p.OutputH == 1 && p.OutputW == 1 }

// forwardPlane returns the loop that pools one plane: the maxima (max) or
// the averages, with the 2×2 halving's own loops where they apply.
func (p Pool) forwardPlane(max bool) func(t *poolTask, in, out int) {
	switch {
	case max && p.halving():
		return maxPlaneHalving
	case max && (p.dilH() > 1 || p.dilW() > 1):
		return maxPlaneDilated
	case max:
		return maxPlane
	case p.halving():
		return avgPlaneHalving
	case p.global():
		return avgPlaneGlobal
	case !p.uniform():
		return avgPlaneDivisors
	}
	return avgPlane
}

// AvgPool2d sets y to the window averages of x.
func AvgPool2d(p Pool, x, y []float32) {
	t := newPoolTask(p, p.forwardPlane(false))
	t.x, t.y = x, y
	t.planes()
}

func avgPlaneHalving(t *poolTask, in, out int) {
	p, x, y, oh, ow := t.p, t.x, t.y, t.oh, t.ow
	if avgPool2Vector(x[in:in+p.H*p.W], y[out:out+oh*ow], oh, p.W) {
		return
	}
	for oy := 0; oy < oh; oy++ {
		r0 := x[in+2*oy*p.W : in+2*oy*p.W+2*ow]
		r1 := x[in+(2*oy+1)*p.W : in+(2*oy+1)*p.W+2*ow]
		dst := y[out+oy*ow : out+(oy+1)*ow]
		for ox := range dst {
			a, b := r0[2*ox:2*ox+2:2*ox+2], r1[2*ox:2*ox+2:2*ox+2]
			dst[ox] = ((a[0] + a[1]) + (b[0] + b[1])) * 0.25
		}
	}
}

func avgPlane(t *poolTask, in, out int) {
	p, x, y, oh, ow := t.p, t.x, t.y, t.oh, t.ow
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			y0, y1, x0, x1 := p.window(oy, ox)
			var s float32
			for iy := y0; iy < y1; iy++ {
				for ix := x0; ix < x1; ix++ {
					s += x[in+iy*p.W+ix]
				}
			}
			y[out+oy*ow+ox] = s * t.inv
		}
	}
}

// avgPlaneDivisors is avgPlane where windows divide by different counts.
func avgPlaneDivisors(t *poolTask, in, out int) {
	p, x, y, oh, ow := t.p, t.x, t.y, t.oh, t.ow
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			y0, y1, x0, x1 := p.window(oy, ox)
			var s float32
			for iy := y0; iy < y1; iy++ {
				for ix := x0; ix < x1; ix++ {
					s += x[in+iy*p.W+ix]
				}
			}
			if d := p.divisor(oy, ox); d > 0 {
				s /= float32(d)
			}
			y[out+oy*ow+ox] = s
		}
	}
}

// avgPlaneGlobal averages the whole plane.
func avgPlaneGlobal(t *poolTask, in, out int) {
	t.y[out] = sum(t.x[in:in+t.inHW]) / float32(t.inHW)
}

// AvgPool2dBackward computes the gradient of AvgPool2d and adds it into dx
// (add) or stores it.
func AvgPool2dBackward(p Pool, dy, dx []float32, add bool) {
	// With 2×2 windows on even sides every input lies in exactly one
	// window: the gradient can be stored. Otherwise it is added, into
	// zeros unless add.
	store := p.halving() && !add && p.H%2 == 0 && p.W%2 == 0
	if !add && !store {
		Zero(dx[:p.N*p.C*p.H*p.W])
	}
	t := newPoolTask(p, avgBackPlane)
	switch {
	case p.halving():
		t.plane = avgBackPlaneHalving
	case p.global():
		t.plane = avgBackPlaneGlobal
	case !p.uniform():
		t.plane = avgBackPlaneDivisors
	}
	t.dy, t.dx, t.add = dy, dx, !store
	t.planes()
}

// avgBackPlaneHalving spreads a quarter of each gradient over its 2×2
// window, added into dx or (t.add false) stored.
func avgBackPlaneHalving(t *poolTask, in, out int) {
	p, dy, dx, oh, ow := t.p, t.dy, t.dx, t.oh, t.ow
	if avgPool2BackwardVector(dy[out:out+oh*ow], dx[in:in+p.H*p.W], oh, p.W, t.add) {
		return
	}
	for oy := 0; oy < oh; oy++ {
		r0 := dx[in+2*oy*p.W : in+2*oy*p.W+2*ow]
		r1 := dx[in+(2*oy+1)*p.W : in+(2*oy+1)*p.W+2*ow]
		for ox, g := range dy[out+oy*ow : out+(oy+1)*ow] {
			g *= 0.25
			if t.add {
				r0[2*ox] += g
				r0[2*ox+1] += g
				r1[2*ox] += g
				r1[2*ox+1] += g
			} else {
				r0[2*ox], r0[2*ox+1], r1[2*ox], r1[2*ox+1] = g, g, g, g
			}
		}
	}
}

// FusesTanh reports whether AvgPool2dTanhBackward takes p: a 2×2
// pooling with stride 2 over even sides, where every input lies in
// exactly one window.
func (p Pool) FusesTanh() bool { return p.halving() && p.H%2 == 0 && p.W%2 == 0 }

// AvgPool2dTanhBackward is AvgPool2dBackward followed by TanhBackward,
// in one pass, for a pooling whose input y is the output of a tanh: it
// stores in dx (or adds, with add) the gradient of the tanh's input,
// given dy, the gradient of the pooling's output. p must be one that
// FusesTanh.
func AvgPool2dTanhBackward(p Pool, dy, y, dx []float32, add bool) {
	if !p.FusesTanh() {
		panic("kernels: AvgPool2dTanhBackward of a pooling that FusesTanh rejects")
	}
	t := newPoolTask(p, avgTanhBackPlane)
	t.dy, t.y, t.dx, t.add = dy, y, dx, add
	t.planes()
}

// avgTanhBackPlane is avgBackPlaneHalving times tanh's derivative 1 - y²,
// rounded as the two kernels apart round it.
func avgTanhBackPlane(t *poolTask, in, out int) {
	p := t.p
	avgTanhBackInto(t.dy[out:out+t.oh*t.ow], t.y[in:in+p.H*p.W], t.dx[in:in+p.H*p.W], t.oh, t.ow, p.W, t.add)
}

// avgTanhBackInto is avgTanhBackPlane on one plane: y and dx the pooling's
// input plane (w wide), dy its output's (oh×ow).
func avgTanhBackInto(dy, y, dx []float32, oh, ow, w int, add bool) {
	if avgPool2TanhBackwardVector(dy, y, dx, oh, w, add) {
		return
	}
	for oy := 0; oy < oh; oy++ {
		for ox, g := range dy[oy*ow : (oy+1)*ow] {
			g *= 0.25
			for _, i := range [4]int{2*oy*w + 2*ox, 2*oy*w + 2*ox + 1, (2*oy+1)*w + 2*ox, (2*oy+1)*w + 2*ox + 1} {
				d := g * (1 - y[i]*y[i])
				if add {
					dx[i] += d
				} else {
					dx[i] = d
				}
			}
		}
	}
}

// TanhPoolGrad stands for a convolution's output gradient that is not
// stored: that of a tanh then a 2×2 average pooling (one that FusesTanh)
// after the convolution, LeNet-5's pattern, given Y, the tanh's output,
// and DY, the gradient of the pooling's output.
// Conv2dBackwardTanhPool computes it one image at a time, where the
// convolution's backward reads it, so that it is never written out
// whole and read back.
type TanhPoolGrad struct {
	Pool  Pool
	Y, DY []float32
}

// imageGrads hands out a convolution's output gradient image by image:
// dy's, or, if src has a Y, src's, computed into buf.
type imageGrads struct {
	dy   []float32
	size int // floats an image
	src  *TanhPoolGrad
	buf  *[]float32
}

// images returns the output gradients of a convolution backward's chunk,
// size floats an image: dy's, or, if g has a Y, g's. Give them back with
// release.
func (g *TanhPoolGrad) images(dy []float32, size int) imageGrads {
	if g.Y == nil {
		return imageGrads{dy: dy, size: size}
	}
	return imageGrads{size: size, src: g, buf: getScratchDirty(size)}
}

// image returns image i's gradient, valid until the next call.
func (s imageGrads) image(i int) []float32 {
	if s.src == nil {
		return s.dy[i*s.size : (i+1)*s.size]
	}
	s.src.image(i, *s.buf)
	return *s.buf
}

func (s imageGrads) release() {
	if s.buf != nil {
		putScratch(s.buf)
	}
}

// image stores image i's gradient, the pooling's input shape (C planes
// of H×W), in dx.
func (g *TanhPoolGrad) image(i int, dx []float32) {
	p := g.Pool
	oh, ow, hw := p.OutH(), p.OutW(), p.H*p.W
	for c := 0; c < p.C; c++ {
		in, out := (i*p.C+c)*hw, (i*p.C+c)*oh*ow
		avgTanhBackInto(g.DY[out:out+oh*ow], g.Y[in:in+hw], dx[c*hw:(c+1)*hw], oh, ow, p.W, false)
	}
	if i+1 < p.N {
		// The caller's work on this image runs while the next one's
		// inputs come into cache: they were written in the forward pass
		// and have left it since.
		prefetch(g.Y[(i+1)*p.C*hw : (i+2)*p.C*hw])
		prefetch(g.DY[(i+1)*p.C*oh*ow : (i+2)*p.C*oh*ow])
	}
}

// Conv2dBackwardTanhPool is Conv2dBackward with the output gradient g
// rather than stored. The channel- and column-vectorised convolutions
// (LeNet-5's) take it image by image; others get it whole first.
func Conv2dBackwardTanhPool(p Conv, g TanhPoolGrad, x, w, dx []float32, dxAdd bool, dw, db, cols []float32) {
	if pp := g.Pool; !pp.FusesTanh() || pp.N != p.N || pp.C != p.K || pp.H != p.OutH() || pp.W != p.OutW() {
		panic("kernels: Conv2dBackwardTanhPool of a pooling that does not fit the convolution or FusesTanh rejects")
	}
	switch {
	case p.kvec():
		p.kvecBackwardFrom(x, w, nil, g, dx, dxAdd, dw, db)
		return
	case p.xvec() && dx == nil:
		p.xvecWeightGradFrom(x, nil, g, dw, db)
		return
	}
	dy := getScratchDirty(p.N * p.K * p.OutH() * p.OutW())
	defer putScratch(dy)
	AvgPool2dTanhBackward(g.Pool, g.DY, g.Y, *dy, false)
	Conv2dBackward(p, x, w, *dy, dx, dxAdd, dw, db, cols)
}

func avgBackPlane(t *poolTask, in, out int) {
	p, dy, dx, oh, ow := t.p, t.dy, t.dx, t.oh, t.ow
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			y0, y1, x0, x1 := p.window(oy, ox)
			g := dy[out+oy*ow+ox] * t.inv
			for iy := y0; iy < y1; iy++ {
				for ix := x0; ix < x1; ix++ {
					dx[in+iy*p.W+ix] += g
				}
			}
		}
	}
}

// avgBackPlaneDivisors is avgBackPlane where windows divide by
// different counts.
func avgBackPlaneDivisors(t *poolTask, in, out int) {
	p, dy, dx, oh, ow := t.p, t.dy, t.dx, t.oh, t.ow
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			y0, y1, x0, x1 := p.window(oy, ox)
			d := p.divisor(oy, ox)
			if d == 0 {
				continue
			}
			g := dy[out+oy*ow+ox] / float32(d)
			for iy := y0; iy < y1; iy++ {
				for ix := x0; ix < x1; ix++ {
					dx[in+iy*p.W+ix] += g
				}
			}
		}
	}
}

// avgBackPlaneGlobal spreads the gradient of a plane's average over it.
func avgBackPlaneGlobal(t *poolTask, in, out int) {
	addConst(t.dy[out]/float32(t.inHW), t.dx[in:in+t.inHW])
}

// MaxPool2d sets y to the window maxima of x and argmax to the index of
// each maximum within its H×W plane (the first one on ties, as PyTorch).
// A NaN in a window wins, as in PyTorch. argmax may be nil where
// MaxPoolWithoutIndex(p) (inference: no backward pass reads it).
func MaxPool2d(p Pool, x, y []float32, argmax []int32) {
	if argmax == nil && !MaxPoolWithoutIndex(p) {
		panic("kernels: MaxPool2d without argmax for a pooling that needs it")
	}
	t := newPoolTask(p, p.forwardPlane(true))
	t.x, t.y, t.argmax = x, y, argmax
	// 3×3 windows in inference (GoogLeNet's branches and stages, ResNet's
	// stem): each thread's planes in one call of the vector kernel.
	t.ranges3x3 = p.maxPool3x3(argmax)
	t.planes()
}

// maxHalvingScratch bounds the outputs of a plane that a 2×2 halving max
// pooling without argmax takes (halvingWithoutIndex).
const maxHalvingScratch = 1024

// halvingWithoutIndex reports whether p is a 2×2 halving max pooling
// whose planes the vector kernel takes with no argmax kept (its own on
// the stack): Conv2dPoolStrided's pooling after GoogLeNet's seventh
// Inception block.
func halvingWithoutIndex(p Pool) bool {
	return p.halving() && p.W%2 == 0 && p.OutH()*p.OutW() <= maxHalvingScratch && activeKernel.name == "avx512"
}

// MaxPoolWithoutIndex reports whether MaxPool2d (and Conv2dPool's max
// pooling) of p may be given a nil argmax: its windows go to the vector
// kernel that then finds the maxima alone.
func MaxPoolWithoutIndex(p Pool) bool {
	return maxRowVectors(p) && !p.halving() && p.dilH() == 1 && p.dilW() == 1
}

// argmaxRow returns the argmax of outputs [o, o+n), or nil if the task
// has none (MaxPoolWithoutIndex).
func (t *poolTask) argmaxRow(o, n int) []int32 {
	if t.argmax == nil {
		return nil
	}
	return t.argmax[o : o+n]
}

func maxPlaneHalving(t *poolTask, in, out int) {
	p, x, y, argmax, oh, ow := t.p, t.x, t.y, t.argmax, t.oh, t.ow
	if argmax == nil {
		// No argmax wanted (halvingWithoutIndex): the kernel's goes to
		// scratch on the stack.
		var at [maxHalvingScratch]int32
		if !maxPool2Vector(x[in:in+p.H*p.W], y[out:out+oh*ow], at[:oh*ow], oh, p.W) {
			panic("kernels: a halving max pooling without argmax and without the vector kernel")
		}
		return
	}
	if maxPool2Vector(x[in:in+p.H*p.W], y[out:out+oh*ow], argmax[out:out+oh*ow], oh, p.W) {
		return
	}
	for oy := 0; oy < oh; oy++ {
		i0, i1 := in+2*oy*p.W, in+(2*oy+1)*p.W
		r0, r1 := x[i0:i0+2*ow], x[i1:i1+2*ow]
		dst, at := y[out+oy*ow:out+(oy+1)*ow], argmax[out+oy*ow:out+(oy+1)*ow]
		for ox := range dst {
			// The first maximum in row-major order wins ties;
			// a NaN wins outright, as in PyTorch.
			best, k := r0[2*ox], 2*oy*p.W+2*ox
			if v := r0[2*ox+1]; (v > best || v != v) && best == best {
				best, k = v, 2*oy*p.W+2*ox+1
			}
			if v := r1[2*ox]; (v > best || v != v) && best == best {
				best, k = v, (2*oy+1)*p.W+2*ox
			}
			if v := r1[2*ox+1]; (v > best || v != v) && best == best {
				best, k = v, (2*oy+1)*p.W+2*ox+1
			}
			dst[ox], at[ox] = best, int32(k)
		}
	}
}

func maxPlane(t *poolTask, in, out int) {
	if maxPlaneVector(t, in, out) {
		return
	}
	for oy := 0; oy < t.oh; oy++ {
		for ox := 0; ox < t.ow; ox++ {
			maxWindow(t, in, out, oy, ox)
		}
	}
}

// maxPlaneVector does maxPlane's work with the vector kernel, if the
// active kernel has it for the pooling, and reports whether it did. Where
// windows reach into the padding (or past the end, in ceil mode), they
// run clipped to the plane, as PyTorch takes them: a row's windows whose
// columns lie inside the plane in one call, the few at its ends one at a
// time, the rows at the top and bottom with fewer rows. (A copy of the
// plane bordered with -Inf, which the kernel read whole, took 40% of the
// time of ResNet-18's stem pooling.)
func maxPlaneVector(t *poolTask, in, out int) bool {
	p, oh, ow := t.p, t.oh, t.ow
	if !maxRowVectors(p) {
		return false
	}
	// Windows [oxA, oxB) of each row lie inside the plane's columns.
	oxA := min(ow, (p.PadW+p.StrideW-1)/p.StrideW)
	oxB := oxA
	if last := p.W - p.KW + p.PadW; last >= 0 {
		oxB = max(oxA, min(ow, last/p.StrideW+1))
	}
	for oy := 0; oy < oh; oy++ {
		o := out + oy*ow
		// windows runs the windows [ox0, ox1) of row oy, which the
		// padding clips alike.
		windows := func(ox0, ox1 int) {
			y0, y1, x0, x1 := p.window(oy, ox0)
			kh, kw, n := y1-y0, x1-x0, ox1-ox0
			if kh <= 0 || kw <= 0 {
				for ox := ox0; ox < ox1; ox++ {
					maxWindow(t, in, out, oy, ox)
				}
				return
			}
			r0 := in + y0*p.W + x0
			maxPoolRowVector(t.x[r0:r0+(kh-1)*p.W+(n-1)*p.StrideW+kw], t.y[o+ox0:o+ox1], t.argmaxRow(o+ox0, n),
				p.W, p.W, kh, kw, p.StrideW, y0*p.W+x0)
		}
		for ox := 0; ox < oxA; ox++ {
			windows(ox, ox+1)
		}
		if oxB > oxA {
			windows(oxA, oxB)
		}
		for ox := oxB; ox < ow; ox++ {
			windows(ox, ox+1)
		}
	}
	return true
}

// maxPool3x3 reports whether p's max pooling without argmax runs in
// maxPool3x3AVX512: a 3×3 window with stride 1 or 2 and padding 0 or 1,
// alike on both axes, on a CPU with the vector kernels.
func (p Pool) maxPool3x3(argmax []int32) bool {
	return argmax == nil && p.KH == 3 && p.KW == 3 && p.StrideH == p.StrideW && (p.StrideH == 1 || p.StrideH == 2) &&
		p.PadH == p.PadW && (p.PadH == 0 || p.PadH == 1) && !p.adaptive() && p.dilH() == 1 && p.dilW() == 1 && maxRowVectors(p)
}

// maxPlane3x3 is maxPlane for maxPool3x3 windows, one plane
// at a time (Conv2dPool's pooling of each channel as it is computed): the
// plane in one call of maxPool3x3AVX512.
func maxPlane3x3(t *poolTask, in, out int) {
	p := t.p
	if !maxPool3x3Vector(t.x[in:in+p.H*p.W], t.y[out:out+t.hw], 1, p.H, p.W, p.W, t.oh, t.ow, p.StrideH, p.PadH) {
		maxPlane(t, in, out)
	}
}

// maxWindow sets output (oy, ox) of the plane at in, out to its window's
// first maximum, or first NaN, in row-major order, and its argmax.
func maxWindow(t *poolTask, in, out, oy, ox int) {
	p, x := t.p, t.x
	y0, y1, x0, x1 := p.window(oy, ox)
	best, at := float32(math.Inf(-1)), int32(-1)
	for iy := y0; iy < y1; iy++ {
		for ix := x0; ix < x1; ix++ {
			v := x[in+iy*p.W+ix]
			if v > best || v != v || at < 0 {
				best, at = v, int32(iy*p.W+ix)
				if v != v {
					iy = y1
					break
				}
			}
		}
	}
	t.y[out+oy*t.ow+ox] = best
	if t.argmax != nil {
		t.argmax[out+oy*t.ow+ox] = at
	}
}

// maxPlaneDilated is maxPlane for windows of spaced taps.
func maxPlaneDilated(t *poolTask, in, out int) {
	p, x, y, argmax, oh, ow := t.p, t.x, t.y, t.argmax, t.oh, t.ow
	dh, dw := p.dilH(), p.dilW()
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			h0, w0 := oy*p.StrideH-p.PadH, ox*p.StrideW-p.PadW
			best, at := float32(math.Inf(-1)), int32(-1)
		window:
			for r := 0; r < p.KH; r++ {
				iy := h0 + r*dh
				if iy < 0 || iy >= p.H {
					continue
				}
				for s := 0; s < p.KW; s++ {
					ix := w0 + s*dw
					if ix < 0 || ix >= p.W {
						continue
					}
					v := x[in+iy*p.W+ix]
					if v > best || v != v || at < 0 {
						best, at = v, int32(iy*p.W+ix)
						if v != v {
							break window
						}
					}
				}
			}
			y[out+oy*ow+ox], argmax[out+oy*ow+ox] = best, at
		}
	}
}

// MaxPool2dBackward adds dy into dx (add) at the positions MaxPool2d
// chose, or sets dx to that (!add): each plane of dx is cleared just
// before it is filled, while in cache, rather than all of dx in a pass of
// its own (the caller's).
func MaxPool2dBackward(p Pool, dy []float32, argmax []int32, dx []float32, add bool) {
	t := newPoolTask(p, maxBackPlane)
	t.dy, t.argmax, t.dx, t.add = dy, argmax, dx, add
	t.planes()
}

// MaxPool2dReLUBackward is MaxPool2dBackward for a pooling of a ReLU's
// output (ResNet's stem), through the ReLU too: dx is the gradient of the
// ReLU's input, dy routed to each window's maximum where that is
// positive, as ReLU's backward after the pooling's would give, in one
// pass over dx rather than three. y is the pooling's output: each
// window's maximum, so the ReLU's output at argmax.
func MaxPool2dReLUBackward(p Pool, dy []float32, argmax []int32, y, dx []float32, add bool) {
	t := newPoolTask(p, maxReLUBackPlane)
	t.dy, t.argmax, t.y, t.dx, t.add = dy, argmax, y, dx, add
	t.planes()
}

func maxReLUBackPlane(t *poolTask, in, out int) {
	dy, argmax, y := t.dy[out:out+t.hw], t.argmax[out:out+t.hw], t.y[out:out+t.hw]
	dx := t.dx[in : in+t.inHW]
	if t.add {
		// A window's gradients are summed before they are added, as
		// the two passes would.
		buf := getScratchDirty(t.inHW)
		defer putScratch(buf)
		dx = *buf
	}
	clear(dx)
	for j, at := range argmax {
		g := dy[j]
		if !(y[j] > 0) {
			// Zeroed rather than skipped: every window stores, and the
			// branch on the ReLU's zeros guards one instruction (the
			// stem's pass 3.2 → 2.4 ms against skipping the store).
			g = 0
		}
		if at >= 0 {
			dx[at] += g
		}
	}
	if t.add {
		add(dx, t.dx[in:in+t.inHW])
	}
}

func maxBackPlane(t *poolTask, in, out int) {
	dy, argmax, dx := t.dy, t.argmax, t.dx
	if !t.add {
		clear(dx[in : in+t.inHW])
	}
	for j := 0; j < t.hw; j++ {
		if at := argmax[out+j]; at >= 0 {
			dx[in+int(at)] += dy[out+j]
		}
	}
}
