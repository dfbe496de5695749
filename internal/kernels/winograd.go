package kernels

// Winograd F(2×2, 3×3) convolution (Lavin and Gray, 2015): a 3×3
// stride-1 convolution computed per 2×2 block of outputs from the 4×4
// block of inputs under it, in a transformed domain where the 9 products
// per output of the direct method become 16 per 4 outputs (2.25 times
// fewer). For each tile t of the output and channel c,
//
//	V[ξ][c][t] = (Bᵀ·d·B)[ξ]      the input tile d (4×4), transformed
//	U[ξ][k][c] = (G·g·Gᵀ)[ξ]      the 3×3 filter g of k and c, transformed
//	M[ξ]       = U[ξ]·V[ξ]         16 GEMMs, K×C by C×tiles
//	y tile     = Aᵀ·M[·][k][t]·A   the 2×2 outputs of k at t
//
// with ξ = 4·row + column of the 4×4 transformed tile. The transforms of
// the inputs and outputs run 16 tiles to a vector (winoInputF23AVX512,
// winoOutputF23AVX512); winoInputTile and winoOutputTile are their Go
// reference. The results differ from the direct method's by rounding
// only: the transforms add and subtract, and scale by halves.

// minWinogradGEMMTiles is the most tiles (GEMM columns) Winograd gathers
// from several images, where one image has fewer.
const minWinogradGEMMTiles = 512

// winoGroupTiles is the fewest tiles a group of images gives the GEMMs in
// the grouped schedule: no more, as a group's transformed tiles and
// products (36·(C+K) floats a tile) stay in cache only when few. ResNet-
// 18's layer1 (196 tiles an image) runs 1.3x faster in groups of one
// image than of three.
const winoGroupTiles = 196

// winogradOff turns the Winograd path off (tests compare it with the
// others).
var winogradOff = false

// winogradVariant returns the Winograd algorithm that runs the
// convolution, if one pays (BenchmarkConv3x3 measures them, with the
// weights transformed once, as a model prepared for inference keeps
// them): plain 3×3 stride-1 layers with the vector transforms, F(4×4,
// 3×3) on planes at least 12 wide (on 14×14 ones 12-20% faster than
// F(2×2), whose tiles are three times as many) but where C and K are few
// (below), and on planes 7 wide with K·C at least 2¹⁷ where the weights
// are kept (ResNet-18's layer4); F(2×2, 3×3) on other planes 7 wide with
// K·C at least 2¹⁵ (GoogLeNet's 160 to 320). On narrower planes the
// 16-tile vectors are mostly empty and the GEMMs small, and the other
// paths are faster; so they are with fewer than 32 channels.
func (p Conv) winogradVariant() (winoVariant, bool) {
	if winogradOff || p.BF16 && !bf16Winograd() || !winogradVectors() || !p.plain() || p.R != 3 || p.S != 3 || p.StrideH != 1 || p.StrideW != 1 || p.C < 32 || p.K < 32 {
		return winoVariant{}, false
	}
	switch ow := p.OutW(); {
	case ow >= 12 && ow < 28 && p.C*p.K <= 1<<12:
		// Few channels on planes this small: the transforms cost more
		// than the products save (GoogLeNet's 32·64 14×14 layer 0.23
		// ms by the implicit GEMM, 0.37 by F(4×4); 64·64 0.45 and 0.52).
		return winoVariant{}, false
	case ow >= 28 && ow < 56 && p.C < 64:
		// Fewer than 64 channels on planes 28 to 55 wide: F(2×2)'s
		// input transform, a third of F(4×4)'s work a tile, wins
		// (GoogLeNet's 32·96 28×28 layer 1.17 ms against 1.37; 32·64,
		// 48·96 and 32·128 6-16%).
		return winoF23, true
	case ow >= 12:
		return winoF43, true
	case ow >= 7 && p.C*p.K >= 1<<15:
		// F(4×4) transforms the weights into 36 matrices, F(2×2) into
		// 16: where they are transformed every call (training), that
		// costs what F(4×4)'s fewer products save on planes this small;
		// where they are kept (inference), reading them costs it too
		// below K·C = 2¹⁷ (GoogLeNet's 192·384 layer 6-13% faster by
		// F(2×2), its 160·320 1-2%; ResNet-18's 512·512 7-12% slower).
		if p.Cache != 0 && p.C*p.K >= 1<<17 {
			return winoF43, true
		}
		return winoF23, true
	}
	return winoVariant{}, false
}

// winoFilterStride is how far apart winoFilter and wino43Filter write a
// filter's transformed positions: winoPackWeights' block of columns, a
// panel's rows each.
const winoFilterStride = winoPackBlock * gemmMR

// winoFilter writes the transform U = G·g·Gᵀ of the 3×3 filter g to
// out[ξ*winoFilterStride], ξ < 16, with G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1].
func winoFilter(g *[9]float32, out []float32) {
	const s = winoFilterStride
	var t [4][3]float32 // G·g
	for j := 0; j < 3; j++ {
		g0, g1, g2 := g[j], g[3+j], g[6+j]
		t[0][j] = g0
		t[1][j] = (g0 + g1 + g2) * 0.5
		t[2][j] = (g0 - g1 + g2) * 0.5
		t[3][j] = g2
	}
	out = out[:15*s+1]
	for i := 0; i < 4; i++ {
		r0, r1, r2 := t[i][0], t[i][1], t[i][2]
		o := out[4*i*s : 4*i*s+3*s+1]
		o[0] = r0
		o[s] = (r0 + r1 + r2) * 0.5
		o[2*s] = (r0 - r1 + r2) * 0.5
		o[3*s] = r2
	}
}

// winoPackBlock is how many columns of a panel winoPackWeights
// transforms at a time in Go.
const winoPackBlock = 32

// winoPackWeights writes the Winograd transforms (v.filter) of the
// K×C×3×3 weights w straight into the layout packWeightsInto gives each
// transformed position's K×C matrix: position ξ's at dst[ξ*gp:], gp =
// packedSize(K, C). Filter (k, c) is w[(k*C+c)*9:], or with rot (an
// input gradient's convolution, dataGradConv) filter (c, k) of a C×K×3×3
// w turned half a circle.
//
// Filters are transformed a block at a time, 16 by the vector kernel
// (winoPackPanelVector) or winoPackBlock columns of a panel in Go, each
// position's values of the block side by side, then moved out in runs.
// Written filter by filter, the positions' matrices, a power of two
// apart for many shapes, fell in the same cache sets and evicted each
// other: ResNet-18's 128×128 weights took 3.1 ms in F(4×4), now 0.10
// with the vector kernels (0.22 in Go); its 512×512 in F(2×2) 7 ms, now
// 0.88 (2.2 in Go) (go test -bench WinogradWeights).
func winoPackWeights(v winoVariant, w []float32, K, C int, rot bool, dst []float32, gp int) {
	const block = winoPackBlock
	positions, rp := v.a*v.a, roundUp(K, gemmMR)
	w = w[:9*K*C]
	parallelFor(rp/gemmMR, gemmMR*C*positions, func(lo, hi int) {
		buf := getScratchDirty(positions * winoFilterStride)
		defer putScratch(buf)
		var g [9]float32
		for ir := lo * gemmMR; ir < hi*gemmMR; ir += gemmMR {
			if ir+gemmMR <= K && winoPackPanelVector(v, w, K, C, rot, dst, gp, ir, *buf) {
				continue
			}
			for pc := 0; pc < C; pc += gemmKC {
				kc := min(gemmKC, C-pc)
				for j0 := pc; j0 < pc+kc; j0 += block {
					n := min(block, pc+kc-j0)
					run := n * gemmMR
					for j := j0; j < j0+n; j++ {
						for r := 0; r < gemmMR; r++ {
							out := (*buf)[(j-j0)*gemmMR+r:]
							switch k := ir + r; {
							case k >= K:
								// The panel's rows past K are zeros, as packA's.
								g = [9]float32{}
							case rot:
								src := (*[9]float32)(w[(j*K+k)*9:])
								for i := range g {
									g[i] = src[8-i]
								}
							default:
								g = *(*[9]float32)(w[(k*C+j)*9:])
							}
							v.filter(&g, out)
						}
					}
					// Panel ir's step j of the k block at pc, as packA lays it.
					off := pc*rp + ir*kc + (j0-pc)*gemmMR
					for xi := range positions {
						copy(dst[xi*gp+off:xi*gp+off+run], (*buf)[xi*winoFilterStride:])
					}
				}
			}
		}
	})
}

// winoPackPanelVector is winoPackWeights for the panel of rows
// [ir, ir+gemmMR), all below K, with the vector kernels, 16 filters at a
// time in the panel's order, each position's values of them transposed
// into place; it reports whether it ran (buf: scratch of 48·16 floats).
func winoPackPanelVector(v winoVariant, w []float32, K, C int, rot bool, dst []float32, gp, ir int, buf []float32) bool {
	tr := activeKernel.kvec
	lanes := len(v.taps) / 9
	if tr == nil || lanes == 0 {
		return false
	}
	taps := v.taps
	if rot {
		taps = v.tapsRot
	}
	positions, rp := v.a*v.a, roundUp(K, gemmMR)
	var offs [kvecLanes]int
	out := buf[:kvecLanes*lanes]
	for pc := 0; pc < C; pc += gemmKC {
		kc := min(gemmKC, C-pc)
		run, base := kc*gemmMR, pc*rp+ir*kc
		for e0 := 0; e0 < run; e0 += kvecLanes {
			n := min(kvecLanes, run-e0)
			for e := range n {
				j, k := pc+(e0+e)/gemmMR, ir+(e0+e)%gemmMR
				if rot {
					offs[e] = (j*K + k) * 9
				} else {
					offs[e] = (k*C + j) * 9
				}
			}
			if !winoFiltersVector(w, offs[:n], taps, lanes, out) {
				return false
			}
			for x0 := 0; x0 < positions; x0 += kvecLanes {
				tr.transpose(out[x0:], lanes, n, min(kvecLanes, positions-x0), dst[x0*gp+base+e0:], gp)
			}
		}
	}
	return true
}

// winoInputTile writes the transformed 4×4 tile at src (rows stride
// floats apart) to dst[ξ*plane]: Bᵀ·d·B with Bᵀ = [1 0 -1 0; 0 1 1 0;
// 0 -1 1 0; 0 1 0 -1].
func winoInputTile(src []float32, stride int, dst []float32, plane int) {
	var t [4][4]float32
	for j := 0; j < 4; j++ {
		d0, d1, d2, d3 := src[j], src[stride+j], src[2*stride+j], src[3*stride+j]
		t[0][j], t[1][j], t[2][j], t[3][j] = d0-d2, d1+d2, d2-d1, d1-d3
	}
	for i := 0; i < 4; i++ {
		r := t[i]
		dst[(4*i)*plane] = r[0] - r[2]
		dst[(4*i+1)*plane] = r[1] + r[2]
		dst[(4*i+2)*plane] = r[2] - r[1]
		dst[(4*i+3)*plane] = r[1] - r[3]
	}
}

// winoOutputTile writes the 2×2 outputs Aᵀ·m·A + bias of the tile whose
// 16 products are src[ξ*plane], with Aᵀ = [1 1 1 0; 0 1 -1 -1], to dst
// (rows stride floats apart): rows rows and at most cols columns of it.
func winoOutputTile(src []float32, plane int, dst []float32, stride, rows, cols int, bias float32, relu bool) {
	var s [2][4]float32
	for j := 0; j < 4; j++ {
		m0, m1, m2, m3 := src[j*plane], src[(4+j)*plane], src[(8+j)*plane], src[(12+j)*plane]
		s[0][j], s[1][j] = m0+m1+m2, m1-m2-m3
	}
	for i := 0; i < rows; i++ {
		r := s[i]
		y := [2]float32{r[0] + r[1] + r[2] + bias, r[1] - r[2] - r[3] + bias}
		for j := 0; j < min(cols, 2); j++ {
			v := y[j]
			if relu && !(v > 0) {
				v = 0
			}
			dst[i*stride+j] = v
		}
	}
}

// winoInputRow transforms the n tiles of one tile row (see
// winoInputF23AVX512, which it calls where it can).
func winoInputRow(src []float32, stride int, dst []float32, plane, n int) {
	if winoInputVector(src, stride, dst, plane, n) {
		return
	}
	for t := 0; t < n; t++ {
		winoInputTile(src[2*t:], stride, dst[t:], plane)
	}
}

// winoOutputRow transforms the n tiles of one tile row into outputs (see
// winoOutputF23AVX512, which it calls where it can).
func winoOutputRow(src []float32, plane int, dst []float32, stride, n, rows, cols int, bias float32, relu bool) {
	if winoOutputVector(src, plane, dst, stride, n, rows, cols, bias, relu) {
		return
	}
	for t := 0; t < n; t++ {
		winoOutputTile(src[t:], plane, dst[2*t:], stride, rows, cols-2*t, bias, relu)
	}
}

// winoVariant is one of the Winograd algorithms: F(m×m, 3×3) over
// tiles of a = m+2 inputs a side.
type winoVariant struct {
	m, a int
	// filter writes the a² transformed values of one 3×3 filter g to
	// out[ξ*winoFilterStride].
	filter func(g *[9]float32, out []float32)
	// g is the transform's G (a×3); taps and tapsRot are G⊗G as the
	// vector kernel takes it (winoFiltersVector: column t, lanes of it,
	// zero past a²), for a filter's taps and for the taps turned half a
	// circle.
	g             [6][3]float64
	taps, tapsRot []float32
	inputRow      func(src []float32, stride int, dst []float32, plane, n int, tmp []float32)
	// inputPair is inputRow on two tile rows of n1 and n2 tiles, the
	// second off2 floats past src, their tiles side by side in dst: in
	// one vector where each row has 8 tiles or fewer.
	inputPair func(src []float32, stride int, dst []float32, plane, n1, n2, off2 int, tmp []float32)
	outputRow func(src []float32, plane int, dst []float32, stride, n, rows, cols int, bias float32, relu bool, tmp []float32)
	// outputPair is outputRow on two tile rows of n1 and n2 tiles, side
	// by side in src: the first's m output rows at dst, the second's
	// rows2 at dst[off2:].
	outputPair func(src []float32, plane int, dst []float32, stride, n1, n2, off2, rows2, cols int, bias float32, relu bool, tmp []float32)
	// gradRow transforms the n tiles of one tile row of an output
	// gradient, A·dy·Aᵀ, for the weight gradient (winoGradRow).
	gradRow func(src []float32, stride int, dst []float32, plane, n, rows, cols int)
	// gradFilters adds dg = Gᵀ·dU·G to dw for n filters whose a²
	// transformed positions lie ldu apart in u (winoGradFilters23).
	gradFilters func(u []float32, ldu, n int, dw []float32)
}

var (
	winoF23 = winoVariant{m: 2, a: 4, filter: winoFilter, g: [6][3]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}},
		inputRow: func(src []float32, stride int, dst []float32, plane, n int, _ []float32) {
			winoInputRow(src, stride, dst, plane, n)
		},
		inputPair: func(src []float32, stride int, dst []float32, plane, n1, n2, off2 int, _ []float32) {
			if !winoInputPairVector(src, stride, dst, plane, n1, n2, off2) {
				winoInputRow(src, stride, dst, plane, n1)
				winoInputRow(src[off2:], stride, dst[n1:], plane, n2)
			}
		},
		outputRow: func(src []float32, plane int, dst []float32, stride, n, rows, cols int, bias float32, relu bool, _ []float32) {
			winoOutputRow(src, plane, dst, stride, n, rows, cols, bias, relu)
		},
		outputPair: func(src []float32, plane int, dst []float32, stride, n1, n2, off2, rows2, cols int, bias float32, relu bool, _ []float32) {
			if !winoOutputPairVector(src, plane, dst, stride, n1, n2, off2, rows2, cols, bias, relu) {
				winoOutputRow(src, plane, dst, stride, n1, 2, cols, bias, relu)
				winoOutputRow(src[n1:], plane, dst[off2:], stride, n2, rows2, cols, bias, relu)
			}
		},
		gradRow: winoGradRow, gradFilters: winoGradFilters23}
	winoF43 = winoVariant{m: 4, a: 6, filter: wino43Filter, g: [6][3]float64{{0.25, 0, 0}, {-1.0 / 6, -1.0 / 6, -1.0 / 6},
		{-1.0 / 6, 1.0 / 6, -1.0 / 6}, {1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}}, inputRow: wino43InputRow, inputPair: wino43InputPair,
		outputRow: wino43OutputRow, outputPair: wino43OutputPair, gradRow: wino43GradRow,
		gradFilters: winoGradFilters43}
)

func init() {
	winoF23.taps, winoF23.tapsRot = winoTapMatrices(winoF23, 16)
	winoF43.taps, winoF43.tapsRot = winoTapMatrices(winoF43, 48)
}

// winoTapMatrices returns the matrices winoFiltersVector multiplies a
// filter's taps by to transform it with v: G⊗G, U[(i, j)] = Σ G[i][a]
// g[a][b] G[j][b], as column t = 3a+b of lanes floats; and the same for
// the taps turned half a circle (tap t read as 8-t).
func winoTapMatrices(v winoVariant, lanes int) (taps, rot []float32) {
	taps, rot = make([]float32, 9*lanes), make([]float32, 9*lanes)
	for i := 0; i < v.a; i++ {
		for j := 0; j < v.a; j++ {
			for t := 0; t < 9; t++ {
				c := float32(v.g[i][t/3] * v.g[j][t%3])
				taps[t*lanes+i*v.a+j] = c
				rot[(8-t)*lanes+i*v.a+j] = c
			}
		}
	}
	return taps, rot
}

// winoRun is one Winograd convolution: its sizes, its transformed and
// packed weights, and the steps each schedule runs (winogradWith).
type winoRun struct {
	p                  Conv
	v                  winoVariant
	oh, ow, th, tw, ti int // output size, tiles down and across, tiles an image
	planes, gp         int // transformed positions (a²), floats of a packed weight matrix
	wp, hp             int // the padded input plane
	u                  []float32
	x, b, y            []float32
	relu               bool
}

// winogradWith computes the convolution by the Winograd algorithm v.
func (p Conv) winogradWith(v winoVariant, x, w, b, y []float32) { p.winograd(v, x, w, false, b, y) }

// newWinoRun sets up a Winograd convolution's sizes.
func (p Conv) newWinoRun(v winoVariant, x, b, y []float32) winoRun {
	r := winoRun{p: p, v: v, x: x, b: b, y: y, relu: p.Act == ActReLU, oh: p.OutH(), ow: p.OutW()}
	r.th, r.tw = (r.oh+v.m-1)/v.m, (r.ow+v.m-1)/v.m
	r.ti, r.planes = r.th*r.tw, v.a*v.a
	// A zero-padded input plane, wide enough for the vector transform's
	// reads past the last tile.
	r.wp = 16*v.m*((r.tw+15)/16) + 8
	r.hp = v.m*r.th + 2
	r.gp = packedSize(p.K, p.C)
	return r
}

// winograd is winogradWith, with rot taking w as winoPackWeights does.
func (p Conv) winograd(v winoVariant, x, w []float32, rot bool, b, y []float32) {
	K, C := p.K, p.C
	r := p.newWinoRun(v, x, b, y)
	planes, gp := r.planes, r.gp
	packed, scratch := p.Cache.cache().form(weightForm{v.weightKind(p.BF16), K, C, activeKernel.name}, planes*gp, func(dst []float32) {
		if p.BF16 { // bf16Winograd: the weights rounded before their transform
			rw := roundedCopy(w[:9*K*C])
			defer putScratch(rw)
			w = *rw
		}
		winoPackWeights(v, w, K, C, rot, dst, gp)
	})
	if scratch != nil {
		defer putScratch(scratch)
	}
	r.u = packed
	// Where each thread's share of the batch has tiles enough for wide
	// GEMMs, each thread takes its images in small groups (grouped);
	// otherwise (a 14×14 plane has 49 tiles of F(2×2)) the whole batch
	// runs at once, each stage split across the threads (batched).
	g := min((minWinogradGEMMTiles+r.ti-1)/r.ti, (p.N+Threads()-1)/Threads())
	batched := g*r.ti < minWinogradGEMMTiles && Threads() > 1
	if winoSchedule != winoAuto {
		batched = winoSchedule == winoBatched
	}
	if batched {
		r.batched()
		return
	}
	r.grouped((winoGroupTiles + r.ti - 1) / r.ti)
}

// weightKind is the form of the weights that v transforms, of weights
// rounded to bf16 where bf16.
func (v winoVariant) weightKind(bf16 bool) weightKind {
	switch {
	case v.m == 4 && bf16:
		return winogradF43BF16
	case v.m == 4:
		return winogradF43
	case bf16:
		return winogradF23BF16
	}
	return winogradF23
}

// winoPairsOff makes the transforms take one tile row at a time, for
// the tests and benchmarks that compare the two.
var winoPairsOff bool

// winoSchedule makes winogradWith take one schedule whatever the sizes,
// for the tests that check both.
var winoSchedule = winoAuto

const (
	winoAuto = iota
	winoGrouped
	winoBatched
)

// grouped runs the convolution in groups of g images, each thread
// taking whole groups, one after another as it is free (itemCounter):
// input transforms, GEMMs and output transforms of a group in one
// thread, while its tiles are in cache.
func (r *winoRun) grouped(g int) {
	p := r.p
	C, K := p.C, p.K
	groups := (p.N + g - 1) / g
	var next itemCounter
	eachThread(groups, func() {
		plane := getScratch(r.hp * r.wp)
		vb := getScratchDirty(r.planes*skewed(C*g*r.ti) + 16)
		mb := getScratchDirty(r.planes*skewed(K*g*r.ti) + 16)
		tmp := getScratchDirty(36 * 16)
		defer putScratches([]*[]float32{plane, vb, mb, tmp})
		for gi, ok := next.take(groups); ok; gi, ok = next.take(groups) {
			i0 := gi * g
			n := min(g, p.N-i0)
			cols := n * r.ti
			for j := 0; j < n; j++ {
				for c := 0; c < C; c++ {
					r.input(*vb, cols, i0, j, c, *plane, *tmp)
				}
			}
			for xi := 0; xi < r.planes; xi++ {
				r.gemm(xi, *vb, *mb, cols)
			}
			for j := 0; j < n; j++ {
				r.output(*mb, cols, i0, j, 0, K, *tmp)
			}
		}
	})
}

// batched runs the convolution on the whole batch at once, for batches
// too small to give each thread GEMMs wide enough: input transforms
// split by channel and image, the GEMMs by transformed position (each
// thread reading only its positions' weights), output transforms by
// filter and image (by image first where an image has fewer than 16
// tiles: see byChannel).
func (r *winoRun) batched() {
	p := r.p
	C, K := p.C, p.K
	cols := p.N * r.ti
	vb := getScratchDirty(r.planes*skewed(C*cols) + 16)
	mb := getScratchDirty(r.planes*skewed(K*cols) + 16)
	defer putScratches([]*[]float32{vb, mb})
	// Each stage's items go a block at a time to whichever thread is free
	// (itemCounter).
	var positions, outputs itemCounter
	r.inputs(*vb, cols)
	eachThread(r.planes, func() {
		positions.blocks(r.planes, 1, func(xi, _ int) { r.gemm(xi, *vb, *mb, cols) })
	})
	eachThread(p.N*K, func() {
		tmp := getScratchDirty(36 * 16)
		defer putScratch(tmp)
		if r.byChannel() {
			outputs.blocks(p.N*K, 32, func(lo, hi int) {
				for item := lo; item < hi; item++ {
					r.prefetchOutput(*mb, cols, item+2)
					r.output(*mb, cols, 0, item%p.N, item/p.N, item/p.N+1, *tmp)
				}
			})
			return
		}
		outputs.blocks(p.N*K, 32, func(lo, hi int) {
			for lo < hi {
				i, k0 := lo/K, lo%K
				k1 := min(K, k0+hi-lo)
				r.output(*mb, cols, 0, i, k0, k1, *tmp)
				lo += k1 - k0
			}
		})
	})
}

// byChannel reports whether the batched schedule's transforms take
// channel by channel (filter by filter), each image in turn, and fetch
// the tiles of the item two ahead while they work: where an image has 16
// tiles or more. An item reads (or writes) a few lines of each of the 36
// planes of transformed tiles, which lie hundreds of KB apart, too many
// streams at once for the hardware prefetchers; one item after another
// in this order goes on along the same lines. GoogLeNet's 14×14 output
// transforms took 20% less time for the order alone, 30-37% with the
// fetches. Smaller images (ResNet's 7×7 by F(4×4), 4 tiles) keep image
// by image, their items too small for the fetches to pay (25% slower).
func (r *winoRun) byChannel() bool { return r.ti >= 16 && !winoImageMajor }

// winoImageMajor makes the batched schedule's transforms take image by
// image (see byChannel), for the tests that compare the two orders.
var winoImageMajor bool

// prefetchTiles fetches into L1 the tiles of image i in row ch (a
// channel or a filter) of each plane of buf, planes between floats apart
// and rows cols (N·ti tiles) long.
func (r *winoRun) prefetchTiles(buf []float32, between, cols, ch, i int) {
	o := ch*cols + i*r.ti
	for l := 0; l < r.ti; l += 16 {
		prefetchPlanes(buf[o+l:], r.planes, between)
	}
}

// prefetchOutput fetches what the output transform of item (filter
// item/N, image item%N) reads and writes, where byChannel: its products,
// the output plane, and the residual's plane, if any.
func (r *winoRun) prefetchOutput(mt []float32, cols, item int) {
	p := r.p
	if item >= p.N*p.K {
		return
	}
	k, i := item/p.N, item%p.N
	r.prefetchTiles(mt, skewed(p.K*cols), cols, k, i)
	hw := r.oh * r.ow
	prefetch(p.outImage(r.y, i)[k*hw : (k+1)*hw])
	if p.post != nil && p.post.residual != nil {
		prefetch(p.post.residual[(i*p.K+k)*hw : (i*p.K+k+1)*hw])
	}
}

// inputs transforms every channel of every image into vt (cols = N·ti
// columns), (channel, image) pairs, or (image, channel) ones (see
// byChannel), handed out 16 at a time to whichever thread is free.
func (r *winoRun) inputs(vt []float32, cols int) {
	n, C := r.p.N*r.p.C, r.p.C
	var next itemCounter
	eachThread(n, func() {
		plane := getScratch(r.hp * r.wp)
		tmp := getScratchDirty(36 * 16)
		defer putScratches([]*[]float32{plane, tmp})
		if r.byChannel() {
			N := r.p.N
			next.blocks(n, 16, func(lo, hi int) {
				for item := lo; item < hi; item++ {
					if ahead := item + 2; ahead < n {
						r.prefetchTiles(vt, skewed(C*cols), cols, ahead/N, ahead%N)
					}
					r.input(vt, cols, 0, item%N, item/N, *plane, *tmp)
				}
			})
			return
		}
		next.blocks(n, 16, func(lo, hi int) {
			for ic := lo; ic < hi; ic++ {
				r.input(vt, cols, 0, ic/C, ic%C, *plane, *tmp)
			}
		})
	})
}

// input transforms channel c of image i0+j into column block j of the
// transformed inputs vt (cols columns in all), through the zero-padded
// plane pl.
func (r *winoRun) input(vt []float32, cols, i0, j, c int, pl, tmp []float32) {
	p, v := &r.p, &r.v // not copies: 392 bytes a plane
	src := r.x[((i0+j)*p.C+c)*p.H*p.W:]
	if p.BF16 { // bf16Winograd: the inputs rounded as they are copied in
		// The whole plane at once: rows of 7 or 14 would be rounded
		// mostly by the scalar loop.
		buf := getScratchDirty(p.H * p.W)
		defer putScratch(buf)
		RoundBF16(*buf, src[:p.H*p.W])
		src = *buf
	}
	// Only the image's rows are written: the padding stays 0.
	for row := 0; row < p.H; row++ {
		copy(pl[(row+p.PadH)*r.wp+p.PadW:], src[row*p.W:(row+1)*p.W])
	}
	for ty := 0; ty < r.th; ty++ {
		dst := vt[c*cols+j*r.ti+ty*r.tw:]
		if r.paired(ty) {
			v.inputPair(pl[v.m*ty*r.wp:], r.wp, dst, skewed(p.C*cols), r.tw, r.tw, v.m*r.wp, tmp)
			ty++
			continue
		}
		v.inputRow(pl[v.m*ty*r.wp:], r.wp, dst, skewed(p.C*cols), r.tw, tmp)
	}
}

// gemm multiplies the weights of transformed position xi by its inputs.
func (r *winoRun) gemm(xi int, vt, mt []float32, cols int) {
	K, C := r.p.K, r.p.C
	gemmPrepacked(K, cols, C, r.u[xi*r.gp:], vt[xi*skewed(C*cols):], cols, 0, mt[xi*skewed(K*cols):], cols)
}

// output transforms filters [k0, k1) of image i0+j (column block j of
// the products mt) into the output, then runs the epilogue.
func (r *winoRun) output(mt []float32, cols, i0, j, k0, k1 int, tmp []float32) {
	p, v := &r.p, &r.v
	K := p.K
	yi := p.outImage(r.y, i0+j)
	done := k0 // planes before done have had their epilogue
	for k := k0; k < k1; k++ {
		var bias float32
		if r.b != nil {
			bias = r.b[k]
		}
		yk := yi[k*r.oh*r.ow:]
		for ty := 0; ty < r.th; ty++ {
			src := mt[k*cols+j*r.ti+ty*r.tw:]
			if r.paired(ty) {
				rows2 := min(v.m, r.oh-v.m*(ty+1))
				v.outputPair(src, skewed(K*cols), yk[v.m*ty*r.ow:], r.ow, r.tw, r.tw, v.m*r.ow, rows2, r.ow, bias, r.relu, tmp)
				ty++
				continue
			}
			v.outputRow(src, skewed(K*cols), yk[v.m*ty*r.ow:], r.ow, r.tw, min(v.m, r.oh-v.m*ty), r.ow, bias, r.relu, tmp)
		}
		// The epilogue (Conv2dPool's pooling, if any) runs on 16 KiB of
		// planes at a time, while they are in cache: a 56×56 image's
		// 192 planes fill 2.4 MB.
		if k+1 == k1 || (k+1-done)*r.oh*r.ow >= 4096 {
			if r.relu {
				p.poolPlanes(i0+j, done, k+1)
			} else {
				p.epilogue(r.y, i0+j, done, k+1)
			}
			done = k + 1
		}
	}
}

// paired reports whether the transforms take tile rows ty and ty+1 in
// one vector: where there is a row ty+1 and each row has 8 tiles or fewer
// (28×28 planes by F(4×4), 14×14 and 7×7 by F(2×2): 7 or 4 tiles a row),
// which alone would leave half the lanes or more empty.
func (r *winoRun) paired(ty int) bool { return ty+1 < r.th && r.tw <= 8 && !winoPairsOff }

// skewed returns the distance, in floats, between the planes of the
// transformed inputs or products, n floats each: n rounded up to whole
// 4 KiB pages, and one cache line more. The transforms write (and read)
// a row of tiles in all 16 or 36 planes at once; at a distance that is a
// multiple of 1 KiB, as 64 channels of 588 tiles make it, those rows fall
// in a few sets of the caches, which then evict each other (ResNet-18's
// 7×7 layers: 8.8 → 7.6 ms, alternated in one process).
func skewed(n int) int { return (n+1023)/1024*1024 + 16 }
