package kernels

// The input gradient of a 3×3 stride-1 convolution is itself a 3×3
// stride-1 convolution: of the output gradient (K channels, padded by
// 2-Pad), by the weights turned half a circle and with their two channel
// axes swapped. Where that convolution is wide enough for Winograd's
// method, the backward pass runs it so, as the forward pass does: 2.25x
// (F(2×2)) to 4x (F(4×4)) fewer products than the GEMM and no col2im.
// The weight gradient of some such layers runs by Winograd's method too
// (winogradWeightGrad).

// dataGradConv returns the forward convolution that computes p's input
// gradient from its output gradient, and whether p has one (3×3, stride
// 1, no dilation or groups, padding at most 2).
func (p Conv) dataGradConv() (Conv, bool) {
	if !p.plain() || p.R != 3 || p.S != 3 || p.StrideH != 1 || p.StrideW != 1 || p.PadH > 2 || p.PadW > 2 {
		return Conv{}, false
	}
	return Conv{N: p.N, C: p.K, H: p.OutH(), W: p.OutW(), K: p.C, R: 3, S: 3,
		StrideH: 1, StrideW: 1, PadH: 2 - p.PadH, PadW: 2 - p.PadW, BF16: p.BF16}, true
}

// dataGradWinograd returns dataGradConv's convolution and the Winograd
// algorithm that runs it, and whether p's input gradient takes one.
func (p Conv) dataGradWinograd() (Conv, winoVariant, bool) {
	t, ok := p.dataGradConv()
	if !ok {
		return Conv{}, winoVariant{}, false
	}
	v, ok := t.winogradVariant()
	return t, v, ok
}

// winogradDataGrad computes p's input gradient dx (adding to it if
// dxAdd) from dy by Winograd's method, and reports whether it did: false
// where dataGradConv's convolution does not take Winograd's method.
func (p Conv) winogradDataGrad(w, dy, dx []float32, dxAdd bool) bool {
	t, v, ok := p.dataGradWinograd()
	if !ok || winoDataGradOff {
		return false
	}
	out := dx
	if dxAdd {
		buf := getScratchDirty(p.N * p.C * p.H * p.W)
		defer putScratch(buf)
		out = *buf
	}
	t.winograd(v, dy, w, true, nil, out)
	if dxAdd {
		add(out[:p.N*p.C*p.H*p.W], dx)
	}
	return true
}

// winoDataGradOff sends input gradients to the GEMM paths, for the tests
// and benchmarks that compare the two.
var winoDataGradOff bool

// winogradWeightGrad adds p's weight gradient into dw by Winograd's
// method (F(2×2, 3×3) or F(4×4, 3×3), weightGradVariant), and reports
// whether it did: for the layers that weightGradWinograd picks.
//
// With U = G·g·Gᵀ and Y = Aᵀ·[Σ_c U ⊙ (Bᵀ·d·B)]·A a tile at a time,
//
//	dg = Gᵀ·[Σ_tiles (A·dY·Aᵀ) ⊙ (Bᵀ·d·B)]·G,
//
// the sum over tiles of each transformed position ξ one GEMM: K×tiles
// by tiles×C. 2.25x (F(2×2)) or 4x (F(4×4)) fewer products than the
// GEMM on the patch matrix.
// The batch goes in groups of images whose transformed tiles fit in
// winoGradGroupBytes, each group's GEMMs adding to the last's.
func (p Conv) winogradWeightGrad(x, dy, dw []float32) bool {
	if winoWeightGradOff || !p.weightGradWinograd() {
		return false
	}
	K, C, N := p.K, p.C, p.N
	v := p.weightGradVariant()
	g := p
	g.N = p.winoGradGroup(v)
	r := g.newWinoRun(v, nil, nil, nil)
	cols := g.N * r.ti
	plane, mplane := skewed(C*cols), skewed(K*cols)
	vb := getScratchDirty(r.planes*plane + 16)
	mb := getScratchDirty(r.planes * mplane) // gradTiles writes every column
	// Positions' K×C matrices a skewed stride apart: a power of two
	// apart, the final transform's 16 or 36 reads a filter fell in one
	// cache set.
	ldu := skewed(K * C)
	ub := getScratchDirty(r.planes * ldu)
	defer putScratches([]*[]float32{vb, mb, ub})
	inSize, outSize := C*p.H*p.W, K*r.oh*r.ow
	for i0 := 0; i0 < N; i0 += g.N {
		n := min(g.N, N-i0)
		if n < g.N {
			// The last group, smaller: its tiles' columns close up.
			g.N = n
			r = g.newWinoRun(v, nil, nil, nil)
			cols = n * r.ti
			plane, mplane = skewed(C*cols), skewed(K*cols)
		}
		r.x = x[i0*inSize:]
		// The inputs' tiles, Bᵀ·d·B, as the forward pass transforms them.
		r.inputs(*vb, cols)
		// The output gradient's tiles, A·dY·Aᵀ.
		dyg := dy[i0*outSize:]
		var grads itemCounter
		eachThread(n*K, func() {
			var rounded []float32 // a plane of dy rounded to bf16
			if p.BF16 {
				buf := getScratchDirty(r.oh * r.ow)
				defer putScratch(buf)
				rounded = *buf
			}
			grads.blocks(n*K, 16, func(lo, hi int) {
				for ik := lo; ik < hi; ik++ {
					r.gradTiles(dyg, *mb, cols, ik/K, ik%K, rounded)
				}
			})
		})
		beta := float32(1)
		if i0 == 0 {
			beta = 0
		}
		for xi := 0; xi < r.planes; xi++ {
			Gemm(false, true, K, C, cols, 1, (*mb)[xi*mplane:], cols, (*vb)[xi*plane:], cols, beta, (*ub)[xi*ldu:], C)
		}
	}
	v.gradFilters(*ub, ldu, K*C, dw)
	return true
}

// weightGradWinograd reports whether p's weight gradient runs by
// winogradWeightGrad: a layer that takes Winograd's method forward, on
// planes 12 wide or more with K·C at least 2¹², and on planes 7 to 11
// wide with K·C at least 2¹⁵ where the CPU's vectors are half-width
// (halfWidthVectors).
func (p Conv) weightGradWinograd() bool {
	// Against the implicit or explicit GEMM, at batch 10, alternated in
	// one process (2 cores of an AMD EPYC, Zen 4): ResNet-18's 64·64
	// 56×56 layer 11.3 against 12.9 ms, its 128·128 28×28 one 9.8
	// against 14.5; GoogLeNet's 128→192 28×28 15.5 against 24.6, its
	// 96→208 14×14 3.4 against 5.4; VGG-11's 256·256 56×56 and 512·512
	// 28×28 117 and 132 against 199 and 228. With fewer weights the
	// transforms cost what the products save (GoogLeNet's 32→96 28×28:
	// even). On 7×7 planes (16 tiles an image) the GEMMs' sums are
	// short, and the GEMM keeps ResNet-18's layer4 on a CPU with
	// full-width AVX-512 (Zen 5: 11.5 against 12.9 ms); on Zen 4, whose
	// products cost twice as much, Winograd's third fewer wins, caches
	// flushed before each call as in training: ResNet-18's 512·512 11.6
	// against 13.9 ms, GoogLeNet's 192→384 3.5 against 4.3, its 160→320
	// 3.0 against 3.3, 128→256 2.1 against 2.2 (ResNet-18's step 2.7%
	// faster).
	switch ow, ck := p.OutW(), p.C*p.K; {
	case ow >= 12 && ck >= 1<<12:
	case ow >= 7 && ck >= 1<<15 && halfWidthVectors:
	default:
		return false
	}
	_, ok := p.winogradVariant()
	return ok
}

// winoGradGroupBytes bounds the transformed tiles that
// winogradWeightGrad keeps at once: a group of images' 16 or 36 planes
// of their inputs' and output gradients' tiles. Fewer, larger groups
// pay, though they leave the L3 cache: ResNet-18's 64·64 56×56 layers in
// one group of ten images (36 MB) rather than three of up to four (16
// MB) made its step 1-2% faster, alternated in one process (Zen 4, 32 MB
// of L3), most at busy moments; 64 MB no more. The buffers stay in the
// scratch pool: VGG-11's 56×56 layers take two images a group (29 MB).
const winoGradGroupBytes = 40 << 20

// winoGradGroup is the number of images winogradWeightGrad takes at once:
// as many as fit winoGradGroupBytes, at least one.
func (p Conv) winoGradGroup(v winoVariant) int {
	tiles := ((p.OutH() + v.m - 1) / v.m) * ((p.OutW() + v.m - 1) / v.m)
	perImage := v.a * v.a * (p.C + p.K) * tiles * 4
	return max(1, min(p.N, winoGradGroupBytes/perImage))
}

// weightGradVariant is the Winograd algorithm of winogradWeightGrad:
// F(4×4), 36 products for 16 outputs rather than F(2×2)'s 16 for 4, on
// planes 28 wide or more. At batch 10, alternated: ResNet-18's 64·64
// 56×56 layer 7.2 against 9.5 ms, its 128·128 28×28 one 7.1 against 8.9,
// VGG-11's 256·256 56×56 75 against 108; but its 256·256 14×14 one 9.4
// against 7.9, four tiles of four covering 16 columns of 14. Its
// rounding error is 3-13·10⁻⁶ of the gradient's scale (F(2×2)'s 4-9·10⁻⁷).
func (p Conv) weightGradVariant() winoVariant {
	if p.OutW() >= 28 {
		return winoF43
	}
	return winoF23
}

// gradTiles writes A·dy·Aᵀ for every tile (2×2, or 4×4 in F(4×4)) of
// channel k of image i's output gradient into column block i of mt
// (position ξ's K×cols matrix at mt[ξ*skewed(K*cols):]), with r.v's Aᵀ
// (F(2×2)'s [1 1 1 0; 0 1 -1 -1]); tiles past the plane's edge read
// zeros. For a bf16 convolution, the plane is first rounded to bf16 into
// rounded (bf16Winograd).
func (r *winoRun) gradTiles(dy, mt []float32, cols, i, k int, rounded []float32) {
	K, oh, ow, m := r.p.K, r.oh, r.ow, r.v.m
	mplane := skewed(K * cols)
	src := dy[(i*K+k)*oh*ow : (i*K+k+1)*oh*ow]
	if r.p.BF16 {
		RoundBF16(rounded[:oh*ow], src)
		src = rounded[:oh*ow]
	}
	for ty := 0; ty < r.th; ty++ {
		off := k*cols + i*r.ti + ty*r.tw
		r.v.gradRow(src[m*ty*ow:], ow, mt[off:], mplane, r.tw, min(m, oh-m*ty), ow)
	}
}

// winoGradRow writes A·dy·Aᵀ for the n 2×2 tiles of one tile row to
// dst[ξ*plane+t]: tile t covers columns 2t and 2t+1 of src's first row
// and, if rows is 2, of the row stride floats on; columns from cols on
// read zeros (see winoGradF23AVX512, which it calls where it can).
func winoGradRow(src []float32, stride int, dst []float32, plane, n, rows, cols int) {
	if winoGradVector(src, stride, dst, plane, n, rows, cols) {
		return
	}
	at := func(y, x int) float32 {
		if y < rows && x < cols {
			return src[y*stride+x]
		}
		return 0
	}
	for t := 0; t < n; t++ {
		a, b := at(0, 2*t), at(0, 2*t+1)
		c, d := at(1, 2*t), at(1, 2*t+1)
		// A·dy, four rows of two; then each row times Aᵀ.
		m := [4][2]float32{{a, b}, {a + c, b + d}, {a - c, b - d}, {-c, -d}}
		for row := 0; row < 4; row++ {
			t0, t1 := m[row][0], m[row][1]
			dst[(4*row)*plane+t] = t0
			dst[(4*row+1)*plane+t] = t0 + t1
			dst[(4*row+2)*plane+t] = t0 - t1
			dst[(4*row+3)*plane+t] = -t1
		}
	}
}

// wino43GradRow is winoGradRow for F(4×4, 3×3): the n 4×4 tiles of one
// tile row, rows rows of src (at most 4) and cols columns, zeros past
// them, to their 36 values A·dy·Aᵀ, with Aᵀ = [1 1 1 1 1 0; 0 1 -1 2 -2
// 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1], at dst[ξ*plane+t], ξ = 6·row + column
// (see winoGradF43AVX512, which it calls where it can).
func wino43GradRow(src []float32, stride int, dst []float32, plane, n, rows, cols int) {
	if wino43GradVector(src, stride, dst, plane, n, rows, cols) {
		return
	}
	// grad6 is the 1-D transform of four values: Σ_b d_b·Aᵀ[b][j].
	grad6 := func(d0, d1, d2, d3 float32) [6]float32 {
		p, q := d0+d2, d1+d3
		r, s := d0+4*d2, 2*d1+8*d3
		return [6]float32{d0, p + q, p - q, r + s, r - s, d3}
	}
	for t := 0; t < n; t++ {
		var e [4][6]float32 // each row of the tile, transformed
		for y := 0; y < rows; y++ {
			var d [4]float32
			row := src[y*stride:]
			for x := 0; x < 4 && 4*t+x < cols; x++ {
				d[x] = row[4*t+x]
			}
			e[y] = grad6(d[0], d[1], d[2], d[3])
		}
		for j := 0; j < 6; j++ {
			c := grad6(e[0][j], e[1][j], e[2][j], e[3][j])
			for i := 0; i < 6; i++ {
				dst[(6*i+j)*plane+t] = c[i]
			}
		}
	}
}

// winoGradFilters23 adds dg = Gᵀ·dU·G to dw for each of the n filters
// whose 16 transformed positions are u[ξ*ldu+f], with F(2×2, 3×3)'s G =
// [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]; 16 filters at a time by
// winoGradFilters23AVX512 where it can (ResNet-18's 512·512 layer's
// weight gradient 12.3 → 11.8 ms, caches flushed: its Go loop took 4.4
// ms of the two cores' time).
func winoGradFilters23(u []float32, ldu, n int, dw []float32) {
	// gt applies G's transpose down a column of four: Σ_i x_i·G[i][·].
	gt := func(x0, x1, x2, x3 float32) (float32, float32, float32) {
		return x0 + (x1+x2)*0.5, (x1 - x2) * 0.5, (x1+x2)*0.5 + x3
	}
	parallelFor(n, 64, func(lo, hi int) {
		lo += winoGradFiltersVector(16, u[lo:], ldu, hi-lo, dw[9*lo:])
		for f := lo; f < hi; f++ {
			var t [4][3]float32 // dU·G, row by row
			for i := 0; i < 4; i++ {
				r := u[4*i*ldu+f:]
				t[i][0], t[i][1], t[i][2] = gt(r[0], r[ldu], r[2*ldu], r[3*ldu])
			}
			out := dw[f*9 : f*9+9]
			for b := 0; b < 3; b++ {
				g0, g1, g2 := gt(t[0][b], t[1][b], t[2][b], t[3][b])
				out[b] += g0
				out[3+b] += g1
				out[6+b] += g2
			}
		}
	})
}

// winoGradFilters43 adds dg = Gᵀ·dU·G to dw for each of the n filters
// whose 36 transformed positions are u[ξ*ldu+f], with F(4×4, 3×3)'s G =
// [¼ 0 0; -⅙ -⅙ -⅙; -⅙ ⅙ -⅙; 1/24 1/12 ⅙; 1/24 -1/12 ⅙; 0 0 1]; 16
// filters at a time by winoGradFilters43AVX512 where it can (VGG-11's
// 512·512 28×28 weight gradient 76.6 → 72.4 ms, caches flushed).
func winoGradFilters43(u []float32, ldu, n int, dw []float32) {
	// gt applies G's transpose down a column of six: Σ_i x_i·G[i][·].
	gt := func(x0, x1, x2, x3, x4, x5 float32) (float32, float32, float32) {
		a, b := x1+x2, x1-x2
		c, d := x3+x4, x3-x4
		return x0*0.25 - a*(1.0/6) + c*(1.0/24), d*(1.0/12) - b*(1.0/6), (c-a)*(1.0/6) + x5
	}
	parallelFor(n, 64, func(lo, hi int) {
		lo += winoGradFiltersVector(36, u[lo:], ldu, hi-lo, dw[9*lo:])
		for f := lo; f < hi; f++ {
			var t [6][3]float32 // dU·G, row by row
			for i := 0; i < 6; i++ {
				r := u[6*i*ldu+f:]
				t[i][0], t[i][1], t[i][2] = gt(r[0], r[ldu], r[2*ldu], r[3*ldu], r[4*ldu], r[5*ldu])
			}
			out := dw[f*9 : f*9+9]
			for b := 0; b < 3; b++ {
				g0, g1, g2 := gt(t[0][b], t[1][b], t[2][b], t[3][b], t[4][b], t[5][b])
				out[b] += g0
				out[3+b] += g1
				out[6+b] += g2
			}
		}
	})
}

// winoWeightGradOff sends weight gradients to the GEMM paths, for the
// tests and benchmarks that compare the two.
var winoWeightGradOff bool
