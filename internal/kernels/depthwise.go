package kernels

// Depthwise convolutions (Groups == C: every output channel reads one
// input channel, MobileNet's 3×3 layers) do R*S multiply-adds per output,
// too few for a GEMM to pay: a GEMM per channel would have one row. They
// run plane by plane instead, split across threads by (image, input
// channel) planes. Each plane is copied into a zero-padded buffer (in
// cache: MobileNetV2's largest is 114×114, 52 KB), so that the loops over
// it need no bounds tests; 3×3 kernels without dilation keep their nine
// weights in registers. The output channels of an input channel (K/C of
// them, the channel multiplier) are done together, so that the backward
// pass writes each input gradient plane from one thread.

// depthwiseTask is one depthwise convolution call, forward or backward:
// its sizes, operands and the per-chunk partial weight gradients, shared
// by the workers.
type depthwiseTask struct {
	p                  Conv
	backward           bool
	x, w, b, y         []float32
	dy, dx, dw, db     []float32
	dxAdd              bool
	parts              []float32 // per chunk: the dw (K*R*S) and db (K) partial sums
	partLen            int
	mult               int // output channels per input channel
	oh, ow, hp, wp     int // output size; padded input size
	sh, sw, dh, dwl    int // strides and dilations
	rs, inHW, outHW    int
	padded, threeByThr bool // the input needs a padded copy; a 3×3 undilated kernel
}

var depthwiseTasks taskPool[depthwiseTask]

func (p Conv) newDepthwiseTask() *depthwiseTask {
	t := depthwiseTasks.get()
	t.p = p
	t.mult = p.K / p.C
	t.oh, t.ow = p.OutH(), p.OutW()
	t.hp, t.wp = p.H+2*p.PadH, p.W+2*p.PadW
	t.sh, t.sw, t.dh, t.dwl = p.StrideH, p.StrideW, p.dilH(), p.dilW()
	t.rs, t.inHW, t.outHW = p.R*p.S, p.H*p.W, t.oh*t.ow
	t.padded = p.PadH > 0 || p.PadW > 0
	t.threeByThr = p.R == 3 && p.S == 3 && t.dh == 1 && t.dwl == 1
	return t
}

// depthwiseForward is Conv2d for a depthwise convolution.
func (p Conv) depthwiseForward(x, w, b, y []float32) {
	t := p.newDepthwiseTask()
	t.x, t.w, t.b, t.y = x, w, b, y
	parallelForTask(p.N*p.C, t.inHW+t.mult*t.outHW*t.rs, t)
	depthwiseTasks.put(t)
}

// depthwiseBackward is Conv2dBackward for a depthwise convolution.
func (p Conv) depthwiseBackward(x, w, dy, dx []float32, dxAdd bool, dw, db []float32) {
	t := p.newDepthwiseTask()
	t.backward = true
	t.x, t.w, t.dy, t.dx, t.dxAdd, t.dw, t.db = x, w, dy, dx, dxAdd, dw, db
	planes := p.N * p.C
	cost := t.inHW + t.mult*t.outHW*t.rs
	chunks := 1
	if planes*cost >= minParallelWork {
		chunks = Chunks(planes)
	}
	var parts *[]float32
	if dw != nil || db != nil {
		t.partLen = p.K*t.rs + p.K
		parts = getScratch(chunks * t.partLen)
		t.parts = *parts
	}
	parallelForTask(planes, cost, t)
	if parts != nil {
		for c := 0; c < chunks; c++ {
			part := t.parts[c*t.partLen : (c+1)*t.partLen]
			if dw != nil {
				add(part[:p.K*t.rs], dw)
			}
			if db != nil {
				add(part[p.K*t.rs:], db)
			}
		}
		putScratch(parts)
	}
	depthwiseTasks.put(t)
}

func (t *depthwiseTask) run(c, lo, hi int) {
	var buf *[]float32
	if t.padded || t.backward {
		n := t.hp * t.wp
		if t.backward && t.dx != nil {
			n *= 2 // and the padded input gradient
		}
		buf = getScratch(n) // zeroed: the borders stay zero
		defer putScratch(buf)
	}
	if t.backward {
		for i := lo; i < hi; i++ {
			t.backwardPlane(c, i, buf)
		}
		return
	}
	for i := lo; i < hi; i++ {
		t.forwardPlane(i, buf)
	}
}

// input returns plane i (image i/C, channel i%C) of x as a wp-wide plane
// with its padding: x itself when there is none, else a padded copy in
// buf.
func (t *depthwiseTask) input(i int, buf *[]float32) []float32 {
	p := t.p
	x := t.x[i*t.inHW : (i+1)*t.inHW]
	if !t.padded {
		return x
	}
	xp := (*buf)[:t.hp*t.wp]
	for y := 0; y < p.H; y++ {
		copy(xp[(y+p.PadH)*t.wp+p.PadW:][:p.W], x[y*p.W:(y+1)*p.W])
	}
	return xp
}

// forwardPlane computes the output planes of input plane i.
func (t *depthwiseTask) forwardPlane(i int, buf *[]float32) {
	p := t.p
	n, c := i/p.C, i%p.C
	xp := t.input(i, buf)
	for j := 0; j < t.mult; j++ {
		k := c*t.mult + j
		var bias float32
		if t.b != nil {
			bias = t.b[k]
		}
		y := t.y[(n*p.K+k)*t.outHW : (n*p.K+k+1)*t.outHW]
		w := t.w[k*t.rs : (k+1)*t.rs]
		if t.threeByThr {
			t.forward3x3(xp, w, bias, y)
		} else {
			t.forwardAny(xp, w, bias, y)
		}
		p.Act.apply(y)
		p.poolPlanes(n, k, k+1)
	}
}

// forward3x3 sets y to the 3×3 correlation of the padded plane xp with w,
// plus bias.
func (t *depthwiseTask) forward3x3(xp, w []float32, bias float32, y []float32) {
	wp, sw, ow := t.wp, t.sw, t.ow
	w = w[:9]
	w0, w1, w2, w3, w4, w5, w6, w7, w8 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]
	span := (ow-1)*sw + 3 // the input columns an output row reads
	for oy := 0; oy < t.oh; oy++ {
		o := oy * t.sh * wp
		r0, r1, r2 := xp[o:o+span], xp[o+wp:o+wp+span], xp[o+2*wp:o+2*wp+span]
		dst := y[oy*ow : (oy+1)*ow]
		if sw == 1 {
			// Two outputs at a time share the loads of their columns.
			ox := 0
			for ; ox+2 <= ow; ox += 2 {
				a, b, c := r0[ox:ox+4:ox+4], r1[ox:ox+4:ox+4], r2[ox:ox+4:ox+4]
				s0 := bias + w0*a[0] + w1*a[1] + w2*a[2] + w3*b[0] + w4*b[1] + w5*b[2] + w6*c[0] + w7*c[1] + w8*c[2]
				s1 := bias + w0*a[1] + w1*a[2] + w2*a[3] + w3*b[1] + w4*b[2] + w5*b[3] + w6*c[1] + w7*c[2] + w8*c[3]
				d := dst[ox : ox+2 : ox+2]
				d[0], d[1] = s0, s1
			}
			if ox < ow {
				a, b, c := r0[ox:ox+3:ox+3], r1[ox:ox+3:ox+3], r2[ox:ox+3:ox+3]
				dst[ox] = bias + w0*a[0] + w1*a[1] + w2*a[2] + w3*b[0] + w4*b[1] + w5*b[2] + w6*c[0] + w7*c[1] + w8*c[2]
			}
			continue
		}
		for ox := range dst {
			i := ox * sw
			a, b, c := r0[i:i+3:i+3], r1[i:i+3:i+3], r2[i:i+3:i+3]
			dst[ox] = bias + w0*a[0] + w1*a[1] + w2*a[2] + w3*b[0] + w4*b[1] + w5*b[2] + w6*c[0] + w7*c[1] + w8*c[2]
		}
	}
}

// forwardAny is forward3x3 for any kernel, stride and dilation: each tap
// adds its weight times a row of inputs to the output row.
func (t *depthwiseTask) forwardAny(xp, w []float32, bias float32, y []float32) {
	p, wp, sw, ow := t.p, t.wp, t.sw, t.ow
	for oy := 0; oy < t.oh; oy++ {
		dst := y[oy*ow : (oy+1)*ow]
		for i := range dst {
			dst[i] = bias
		}
		for r := 0; r < p.R; r++ {
			row := xp[(oy*t.sh+r*t.dh)*wp:]
			for s := 0; s < p.S; s++ {
				v := w[r*p.S+s]
				src := row[s*t.dwl : s*t.dwl+(ow-1)*sw+1]
				if sw == 1 {
					src = src[:ow]
					for i, x := range src {
						dst[i] += v * x
					}
					continue
				}
				for i := range dst {
					dst[i] += v * src[i*sw]
				}
			}
		}
	}
}

// backwardPlane adds the gradients of the output planes of input plane i:
// into chunk c's partial dw and db, and into (or, unless dxAdd, stores in)
// dx's plane i.
func (t *depthwiseTask) backwardPlane(c, i int, buf *[]float32) {
	p := t.p
	n, ch := i/p.C, i%p.C
	var xp, dxp []float32
	if t.dw != nil {
		xp = t.input(i, buf)
	}
	if t.dx != nil {
		dxp = (*buf)[t.hp*t.wp : 2*t.hp*t.wp]
		clear(dxp)
	}
	var pdw, pdb []float32
	if t.parts != nil {
		part := t.parts[c*t.partLen : (c+1)*t.partLen]
		pdw, pdb = part[:p.K*t.rs], part[p.K*t.rs:]
	}
	for j := 0; j < t.mult; j++ {
		k := ch*t.mult + j
		dy := t.dy[(n*p.K+k)*t.outHW : (n*p.K+k+1)*t.outHW]
		if t.db != nil {
			pdb[k] += sum(dy)
		}
		if t.dw != nil {
			if t.threeByThr {
				t.weightGrad3x3(xp, dy, pdw[k*9:k*9+9])
			} else {
				t.weightGradAny(xp, dy, pdw[k*t.rs:(k+1)*t.rs])
			}
		}
		if t.dx != nil {
			w := t.w[k*t.rs : (k+1)*t.rs]
			if t.threeByThr {
				t.inputGrad3x3(dy, w, dxp)
			} else {
				t.inputGradAny(dy, w, dxp)
			}
		}
	}
	if t.dx == nil {
		return
	}
	dx := t.dx[i*t.inHW : (i+1)*t.inHW]
	for y := 0; y < p.H; y++ {
		src := dxp[(y+p.PadH)*t.wp+p.PadW:][:p.W]
		d := dx[y*p.W : (y+1)*p.W]
		if t.dxAdd {
			add(src, d)
		} else {
			copy(d, src)
		}
	}
}

// weightGrad3x3 adds into dw (9 values) the 3×3 weight gradient of one
// plane: the correlation of the padded input xp with the output gradient.
func (t *depthwiseTask) weightGrad3x3(xp, dy, dw []float32) {
	wp, sw, ow := t.wp, t.sw, t.ow
	var g0, g1, g2, g3, g4, g5, g6, g7, g8 float32
	span := (ow-1)*sw + 3
	for oy := 0; oy < t.oh; oy++ {
		o := oy * t.sh * wp
		r0, r1, r2 := xp[o:o+span], xp[o+wp:o+wp+span], xp[o+2*wp:o+2*wp+span]
		for ox, g := range dy[oy*ow : (oy+1)*ow] {
			i := ox * sw
			a, b, c := r0[i:i+3:i+3], r1[i:i+3:i+3], r2[i:i+3:i+3]
			g0 += g * a[0]
			g1 += g * a[1]
			g2 += g * a[2]
			g3 += g * b[0]
			g4 += g * b[1]
			g5 += g * b[2]
			g6 += g * c[0]
			g7 += g * c[1]
			g8 += g * c[2]
		}
	}
	dw = dw[:9]
	dw[0] += g0
	dw[1] += g1
	dw[2] += g2
	dw[3] += g3
	dw[4] += g4
	dw[5] += g5
	dw[6] += g6
	dw[7] += g7
	dw[8] += g8
}

// weightGradAny is weightGrad3x3 for any kernel, stride and dilation.
func (t *depthwiseTask) weightGradAny(xp, dy, dw []float32) {
	p, wp, sw, ow := t.p, t.wp, t.sw, t.ow
	for r := 0; r < p.R; r++ {
		for s := 0; s < p.S; s++ {
			var acc float32
			for oy := 0; oy < t.oh; oy++ {
				src := xp[(oy*t.sh+r*t.dh)*wp+s*t.dwl:]
				g := dy[oy*ow : (oy+1)*ow]
				if sw == 1 {
					acc += dot(g, src)
					continue
				}
				src = src[:(ow-1)*sw+1]
				for i, v := range g {
					acc += v * src[i*sw]
				}
			}
			dw[r*p.S+s] += acc
		}
	}
}

// inputGrad3x3 adds into the padded plane dxp the input gradient of one
// 3×3 plane: each output's gradient times the weights, over its window.
func (t *depthwiseTask) inputGrad3x3(dy, w, dxp []float32) {
	wp, sw, sh, ow, oh := t.wp, t.sw, t.sh, t.ow, t.oh
	w = w[:9]
	w0, w1, w2, w3, w4, w5, w6, w7, w8 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]
	if sw == 1 && sh == 1 {
		// Gather: dxp[y][x] = Σ w[r][s]·dy[y-r][x-s], one input row from
		// three output rows, so that each element is written once.
		for y := 0; y < t.hp; y++ {
			d := dxp[y*wp : (y+1)*wp]
			for r := 0; r < 3; r++ {
				oy := y - r
				if oy < 0 || oy >= oh {
					continue
				}
				g := dy[oy*ow : (oy+1)*ow]
				a, b, c := w[3*r], w[3*r+1], w[3*r+2]
				// d[x] += a*g[x] + b*g[x-1] + c*g[x-2], g zero outside.
				d = d[:ow+2]
				if ow == 1 {
					d[0] += a * g[0]
					d[1] += b * g[0]
					d[2] += c * g[0]
					continue
				}
				d[0] += a * g[0]
				d[1] += a*g[1] + b*g[0]
				for x := 2; x < ow; x++ {
					gg := g[x-2 : x+1 : x+1]
					d[x] += a*gg[2] + b*gg[1] + c*gg[0]
				}
				d[ow] += b*g[ow-1] + c*g[ow-2]
				d[ow+1] += c * g[ow-1]
			}
		}
		return
	}
	span := (ow-1)*sw + 3
	for oy := 0; oy < oh; oy++ {
		o := oy * sh * wp
		r0, r1, r2 := dxp[o:o+span], dxp[o+wp:o+wp+span], dxp[o+2*wp:o+2*wp+span]
		for ox, g := range dy[oy*ow : (oy+1)*ow] {
			i := ox * sw
			a, b, c := r0[i:i+3:i+3], r1[i:i+3:i+3], r2[i:i+3:i+3]
			a[0] += g * w0
			a[1] += g * w1
			a[2] += g * w2
			b[0] += g * w3
			b[1] += g * w4
			b[2] += g * w5
			c[0] += g * w6
			c[1] += g * w7
			c[2] += g * w8
		}
	}
}

// inputGradAny is inputGrad3x3 for any kernel, stride and dilation.
func (t *depthwiseTask) inputGradAny(dy, w, dxp []float32) {
	p, wp, sw, ow := t.p, t.wp, t.sw, t.ow
	for oy := 0; oy < t.oh; oy++ {
		g := dy[oy*ow : (oy+1)*ow]
		for r := 0; r < p.R; r++ {
			row := dxp[(oy*t.sh+r*t.dh)*wp:]
			for s := 0; s < p.S; s++ {
				v := w[r*p.S+s]
				dst := row[s*t.dwl : s*t.dwl+(ow-1)*sw+1]
				if sw == 1 {
					dst = dst[:ow]
					for i, x := range g {
						dst[i] += v * x
					}
					continue
				}
				for i, x := range g {
					dst[i*sw] += v * x
				}
			}
		}
	}
}
