package kernels

// Depthwise convolutions (Groups == C: every output channel reads one
// input channel, MobileNet's 3×3 layers) do R*S multiply-adds per output,
// too few for a GEMM to pay: a GEMM per channel would have one row. They
// run plane by plane instead, split across threads by (image, input
// channel) planes. Each plane is copied into a zero-padded buffer (in
// cache: MobileNetV2's largest is 114×114, 52 KB), so that the loops over
// it need no bounds tests. The output channels of an input channel (K/C
// of them, the channel multiplier) are done together, so that the
// backward pass writes each input gradient plane from one thread.
//
// 3×3 kernels without dilation keep their nine weights in registers; with
// stride 1 along rows, their forward pass and weight gradient run with
// vectors where the CPU has them (dwConv3x3AVX512, dwGrad3x3AVX512,
// written by _generate/depthwise.go), and their input gradient with
// stride 1 is the forward pass over the padded output gradient with the
// weights reversed. Other kernels, strides and dilations run as loops over
// rows in Go.

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
	// gather: the input gradient is the correlation of the output
	// gradient, spread (by the strides) and padded to dypH×dypW, with the
	// weights reversed (3×3, padding at most 2), rather than scattered.
	gather     bool
	dypH, dypW int
	// wide: a 3×3 plane with a stride along rows other than 1 runs the
	// stride-1 vector kernels over every column, cw of them, and keeps
	// those it needs (forward), or spreads the output gradient over them
	// with zeros between (weight gradient).
	wide bool
	cw   int
	// A chunk's buffers: padded input, padded output gradient, input
	// gradient, wide rows.
	xpLen, dypLen, dxpLen, wideLen int
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
	if t.padded {
		t.xpLen = t.hp * t.wp
	}
	t.cw = (t.ow-1)*t.sw + 1
	t.wide = t.threeByThr && t.sw > 1 && dwVectors()
	if t.wide {
		t.wideLen = t.oh * t.cw
	}
	return t
}

// setBackward sets up t for the backward pass.
func (t *depthwiseTask) setBackward() {
	p := t.p
	t.backward = true
	if t.dx == nil {
		return
	}
	// With strides, the spread output gradient is mostly zeros: worth it
	// only with vectors.
	t.gather = t.threeByThr && p.PadH <= 2 && p.PadW <= 2 && (t.sh == 1 && t.sw == 1 || dwVectors())
	if t.gather {
		t.dypH, t.dypW = p.H+2, p.W+2
		t.dypLen, t.dxpLen = t.dypH*t.dypW, t.inHW
	} else {
		t.dxpLen = t.hp * t.wp
	}
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
	t.x, t.w, t.dy, t.dx, t.dxAdd, t.dw, t.db = x, w, dy, dx, dxAdd, dw, db
	t.setBackward()
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

// dwBuffers are a chunk's buffers (see depthwiseTask).
type dwBuffers struct{ xp, dyp, dxp, wide []float32 }

func (t *depthwiseTask) run(c, lo, hi int) {
	var b dwBuffers
	if n := t.xpLen + t.dypLen + t.dxpLen + t.wideLen; n > 0 {
		buf := getScratch(n) // zeroed: the borders stay zero
		defer putScratch(buf)
		rest := *buf
		for _, part := range []struct {
			to *[]float32
			n  int
		}{{&b.xp, t.xpLen}, {&b.dyp, t.dypLen}, {&b.dxp, t.dxpLen}, {&b.wide, t.wideLen}} {
			*part.to, rest = rest[:part.n:part.n], rest[part.n:]
		}
	}
	if t.backward {
		for i := lo; i < hi; i++ {
			t.backwardPlane(c, i, &b)
		}
		return
	}
	for i := lo; i < hi; i++ {
		t.forwardPlane(i, &b)
	}
}

// input returns plane i (image i/C, channel i%C) of x as a wp-wide plane
// with its padding: x itself when there is none, else a padded copy in
// buf.
func (t *depthwiseTask) input(i int, b *dwBuffers) []float32 {
	p := t.p
	x := t.x[i*t.inHW : (i+1)*t.inHW]
	if !t.padded {
		return x
	}
	xp := b.xp
	copyPlane(xp[p.PadH*t.wp+p.PadW:], t.wp, x, p.W, p.H, p.W)
	return xp
}

// forwardPlane computes the output planes of input plane i.
func (t *depthwiseTask) forwardPlane(i int, b *dwBuffers) {
	p := t.p
	n, c := i/p.C, i%p.C
	xp := t.input(i, b)
	for j := 0; j < t.mult; j++ {
		k := c*t.mult + j
		var bias float32
		if t.b != nil {
			bias = t.b[k]
		}
		y := t.y[(n*p.K+k)*t.outHW : (n*p.K+k+1)*t.outHW]
		w := t.w[k*t.rs : (k+1)*t.rs]
		if t.threeByThr {
			t.forward3x3(xp, w, bias, y, b.wide)
		} else {
			t.forwardAny(xp, w, bias, y)
		}
		p.epilogue(t.y, n, k, k+1)
	}
}

// forward3x3 sets y to the 3×3 correlation of the padded plane xp with w,
// plus bias. wide is room for the wide rows (if t.wide).
func (t *depthwiseTask) forward3x3(xp, w []float32, bias float32, y, wide []float32) {
	wp, sw, ow := t.wp, t.sw, t.ow
	if sw == 1 {
		var wb [10]float32
		copy(wb[:9], w)
		wb[9] = bias
		dwConv3x3(xp, wp, t.sh*wp, y, t.oh, ow, &wb)
		return
	}
	if t.wide {
		var wb [10]float32
		copy(wb[:9], w)
		wb[9] = bias
		tmp := wide
		dwConv3x3(xp, wp, t.sh*wp, tmp, t.oh, t.cw, &wb)
		for oy := 0; oy < t.oh; oy++ {
			src, dst := tmp[oy*t.cw:(oy+1)*t.cw], y[oy*ow:(oy+1)*ow]
			for ox := range dst {
				dst[ox] = src[ox*sw]
			}
		}
		return
	}
	w = w[:9]
	w0, w1, w2, w3, w4, w5, w6, w7, w8 := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8]
	span := (ow-1)*sw + 3 // the input columns an output row reads
	for oy := 0; oy < t.oh; oy++ {
		o := oy * t.sh * wp
		r0, r1, r2 := xp[o:o+span], xp[o+wp:o+wp+span], xp[o+2*wp:o+2*wp+span]
		dst := y[oy*ow : (oy+1)*ow]
		for ox := range dst {
			i := ox * sw
			a, b, c := r0[i:i+3:i+3], r1[i:i+3:i+3], r2[i:i+3:i+3]
			dst[ox] = bias + w0*a[0] + w1*a[1] + w2*a[2] + w3*b[0] + w4*b[1] + w5*b[2] + w6*c[0] + w7*c[1] + w8*c[2]
		}
	}
}

// copyPlane copies rows rows of w values from src (lds apart) to dst (ldd
// apart), in one call of the vector copy where there is one.
func copyPlane(dst []float32, ldd int, src []float32, lds, rows, w int) {
	if _, ok := copyRowsVector(dst, ldd, src, lds, rows, w, 0, noFloor); ok {
		return
	}
	for y := 0; y < rows; y++ {
		copy(dst[y*ldd:][:w], src[y*lds:][:w])
	}
}

// dwConv3x3 sets y, rows rows of cols values, to the 3×3 correlation of x
// with w[:9], plus w[9]: output row i reads the three input rows from
// i*xstep on, ldx apart (at least cols+2), with vectors where the CPU has
// them.
func dwConv3x3(x []float32, ldx, xstep int, y []float32, rows, cols int, w *[10]float32) {
	if !dwConv3x3Vector(x, ldx, xstep, y, rows, cols, w) {
		dwConv3x3Go(x, ldx, xstep, y, rows, cols, w)
	}
}

// dwConv3x3Go is dwConv3x3 in Go, the reference of dwConv3x3AVX512.
func dwConv3x3Go(x []float32, ldx, xstep int, y []float32, rows, cols int, w *[10]float32) {
	w0, w1, w2, w3, w4, w5, w6, w7, w8, bias := w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9]
	for oy := 0; oy < rows; oy++ {
		o := oy * xstep
		r0, r1, r2 := x[o:o+cols+2], x[o+ldx:o+ldx+cols+2], x[o+2*ldx:o+2*ldx+cols+2]
		dst := y[oy*cols : (oy+1)*cols]
		// Two outputs at a time share the loads of their columns.
		ox := 0
		for ; ox+2 <= cols; ox += 2 {
			a, b, c := r0[ox:ox+4:ox+4], r1[ox:ox+4:ox+4], r2[ox:ox+4:ox+4]
			s0 := bias + w0*a[0] + w1*a[1] + w2*a[2] + w3*b[0] + w4*b[1] + w5*b[2] + w6*c[0] + w7*c[1] + w8*c[2]
			s1 := bias + w0*a[1] + w1*a[2] + w2*a[3] + w3*b[1] + w4*b[2] + w5*b[3] + w6*c[1] + w7*c[2] + w8*c[3]
			d := dst[ox : ox+2 : ox+2]
			d[0], d[1] = s0, s1
		}
		if ox < cols {
			a, b, c := r0[ox:ox+3:ox+3], r1[ox:ox+3:ox+3], r2[ox:ox+3:ox+3]
			dst[ox] = bias + w0*a[0] + w1*a[1] + w2*a[2] + w3*b[0] + w4*b[1] + w5*b[2] + w6*c[0] + w7*c[1] + w8*c[2]
		}
	}
}

// dwGrad3x3 adds into dw[:9] the weight gradient of dwConv3x3, given dy,
// the gradient of its output, with vectors where the CPU has them.
func dwGrad3x3(x []float32, ldx, xstep int, dy []float32, rows, cols int, dw []float32) {
	if !dwGrad3x3Vector(x, ldx, xstep, dy, rows, cols, dw) {
		dwGrad3x3Go(x, ldx, xstep, dy, rows, cols, dw)
	}
}

// dwGrad3x3Go is dwGrad3x3 in Go, the reference of dwGrad3x3AVX512.
func dwGrad3x3Go(x []float32, ldx, xstep int, dy []float32, rows, cols int, dw []float32) {
	dwGrad3x3Strided(x, ldx, xstep, 1, dy, rows, cols, dw)
}

// dwGrad3x3Strided adds into dw (9 values) the correlation of x with dy
// for windows sw columns and xstep elements (rows of ldx) apart: the 3×3
// weight gradient of one plane.
func dwGrad3x3Strided(x []float32, ldx, xstep, sw int, dy []float32, rows, cols int, dw []float32) {
	var g0, g1, g2, g3, g4, g5, g6, g7, g8 float32
	span := (cols-1)*sw + 3
	for oy := 0; oy < rows; oy++ {
		o := oy * xstep
		r0, r1, r2 := x[o:o+span], x[o+ldx:o+ldx+span], x[o+2*ldx:o+2*ldx+span]
		for ox, g := range dy[oy*cols : (oy+1)*cols] {
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
func (t *depthwiseTask) backwardPlane(c, i int, b *dwBuffers) {
	p := t.p
	n, ch := i/p.C, i%p.C
	var xp []float32
	if t.dw != nil {
		xp = t.input(i, b)
	}
	dyp, dxp := b.dyp, b.dxp
	var dx []float32
	if t.dx != nil {
		dx = t.dx[i*t.inHW : (i+1)*t.inHW]
		if !t.gather {
			clear(dxp)
		}
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
			if t.threeByThr && t.sw == 1 {
				dwGrad3x3(xp, t.wp, t.sh*t.wp, dy, t.oh, t.ow, pdw[k*9:k*9+9])
			} else if t.wide {
				// dy spread over every column, zeros between (whose
				// places are the same for every plane: zero from run).
				for oy := 0; oy < t.oh; oy++ {
					src, dst := dy[oy*t.ow:(oy+1)*t.ow], b.wide[oy*t.cw:(oy+1)*t.cw]
					for ox, g := range src {
						dst[ox*t.sw] = g
					}
				}
				dwGrad3x3(xp, t.wp, t.sh*t.wp, b.wide, t.oh, t.cw, pdw[k*9:k*9+9])
			} else if t.threeByThr {
				t.weightGrad3x3(xp, dy, pdw[k*9:k*9+9])
			} else {
				t.weightGradAny(xp, dy, pdw[k*t.rs:(k+1)*t.rs])
			}
		}
		if t.dx == nil {
			continue
		}
		w := t.w[k*t.rs : (k+1)*t.rs]
		switch {
		case t.gather:
			t.inputGradGather(dy, w, dyp, dx, dxp, t.dxAdd || j > 0)
		case t.threeByThr:
			t.inputGrad3x3(dy, w, dxp)
		default:
			t.inputGradAny(dy, w, dxp)
		}
	}
	if t.dx == nil || t.gather {
		return
	}
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

// inputGradGather sets (or, with accumulate, adds into) dx the input
// gradient of a 3×3 plane: the correlation of dy, spread by the strides
// and padded into dyp (zero elsewhere), with the weights reversed. tmp is
// room for a plane.
func (t *depthwiseTask) inputGradGather(dy, w, dyp, dx, tmp []float32, accumulate bool) {
	p := t.p
	top, left := 2-p.PadH, 2-p.PadW
	for oy := 0; oy < t.oh; oy++ {
		row := dyp[(oy*t.sh+top)*t.dypW+left:]
		if t.sw == 1 && t.sh == 1 {
			copyPlane(row, t.dypW, dy, t.ow, t.oh, t.ow)
			break
		}
		if t.sw == 1 {
			copy(row[:t.ow], dy[oy*t.ow:(oy+1)*t.ow])
			continue
		}
		// With strides, the gradient goes every sw columns of every sh
		// rows; the places between stay zero (the same for every plane).
		for ox, g := range dy[oy*t.ow : (oy+1)*t.ow] {
			row[ox*t.sw] = g
		}
	}
	var wr [10]float32 // reversed, no bias
	for k := range 9 {
		wr[k] = w[8-k]
	}
	if !accumulate {
		dwConv3x3(dyp, t.dypW, t.dypW, dx, p.H, p.W, &wr)
		return
	}
	dwConv3x3(dyp, t.dypW, t.dypW, tmp, p.H, p.W, &wr)
	add(tmp, dx)
}

// weightGrad3x3 adds into dw (9 values) the 3×3 weight gradient of one
// plane of stride along rows other than 1: the correlation of the padded
// input xp with the output gradient.
func (t *depthwiseTask) weightGrad3x3(xp, dy, dw []float32) {
	dwGrad3x3Strided(xp, t.wp, t.sh*t.wp, t.sw, dy, t.oh, t.ow, dw)
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
