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
	if !p.plain() || p.R != 3 || p.S != 3 || p.StrideH != 1 || p.StrideW != 1 || p.PadH > 2 || p.PadW > 2 || p.BF16 {
		return Conv{}, false
	}
	return Conv{N: p.N, C: p.K, H: p.OutH(), W: p.OutW(), K: p.C, R: 3, S: 3,
		StrideH: 1, StrideW: 1, PadH: 2 - p.PadH, PadW: 2 - p.PadW}, true
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
// method F(2×2, 3×3), and reports whether it did: for layers whose
// backward pass would otherwise run an explicit GEMM (small planes, many
// weights), planes 12 wide or more and K·C at least 2¹⁶, that take
// Winograd's method forward.
//
// With U = G·g·Gᵀ and Y = Aᵀ·[Σ_c U ⊙ (Bᵀ·d·B)]·A a tile at a time,
//
//	dg = Gᵀ·[Σ_tiles (A·dY·Aᵀ) ⊙ (Bᵀ·d·B)]·G,
//
// the sum over tiles of each transformed position ξ one GEMM: K×tiles
// by tiles×C. 2.25x fewer products than the GEMM on the patch matrix.
func (p Conv) winogradWeightGrad(x, dy, dw []float32) bool {
	if winoWeightGradOff || !p.weightGradWinograd() {
		return false
	}
	K, C, N := p.K, p.C, p.N
	r := p.newWinoRun(winoF23, x, nil, nil)
	cols := N * r.ti
	vb := getScratchDirty(r.planes*skewed(C*cols) + 16)
	mplane := skewed(K * cols)
	mb := getScratchDirty(r.planes * mplane) // gradTiles writes every column
	// Positions' K×C matrices a skewed stride apart: a power of two
	// apart, the final transform's 16 reads a filter fell in one cache
	// set.
	ldu := skewed(K * C)
	ub := getScratchDirty(r.planes * ldu)
	defer putScratches([]*[]float32{vb, mb, ub})
	// The inputs' tiles, Bᵀ·d·B, as the forward pass transforms them.
	r.inputs(*vb, cols)
	// The output gradient's tiles, A·dY·Aᵀ.
	var grads itemCounter
	eachThread(N*K, func() {
		grads.blocks(N*K, 16, func(lo, hi int) {
			for ik := lo; ik < hi; ik++ {
				r.gradTiles(dy, *mb, cols, ik/K, ik%K)
			}
		})
	})
	plane := skewed(C * cols)
	for xi := 0; xi < r.planes; xi++ {
		Gemm(false, true, K, C, cols, 1, (*mb)[xi*mplane:], cols, (*vb)[xi*plane:], cols, 0, (*ub)[xi*ldu:], C)
	}
	// dg = Gᵀ·dU·G, G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1].
	u := *ub
	parallelFor(K*C, 64, func(lo, hi int) {
		for kc := lo; kc < hi; kc++ {
			var t [4][3]float32 // dU·G
			for i := 0; i < 4; i++ {
				u0, u1, u2, u3 := u[(4*i)*ldu+kc], u[(4*i+1)*ldu+kc], u[(4*i+2)*ldu+kc], u[(4*i+3)*ldu+kc]
				t[i] = [3]float32{u0 + (u1+u2)*0.5, (u1 - u2) * 0.5, (u1+u2)*0.5 + u3}
			}
			g := dw[kc*9 : kc*9+9]
			for b := 0; b < 3; b++ {
				g[b] += t[0][b] + (t[1][b]+t[2][b])*0.5
				g[3+b] += (t[1][b] - t[2][b]) * 0.5
				g[6+b] += (t[1][b]+t[2][b])*0.5 + t[3][b]
			}
		}
	})
	return true
}

// weightGradWinograd reports whether p's weight gradient runs by
// winogradWeightGrad: a layer that takes Winograd's method forward and
// whose backward pass would run an explicit GEMM, on planes 12 wide or
// more with K·C at least 2¹⁶.
func (p Conv) weightGradWinograd() bool {
	// On 7×7 planes (16 tiles an image) the GEMMs' sums are too short
	// for the packing they need, and with fewer channels the transforms
	// cost what the products save: ResNet-18's layer4 12.9 against 11.5
	// ms by the GEMM, GoogLeNet's 96→208 3.8 against 3.85 ms; ResNet-18's
	// layer3 9.9 against 13.0 ms, VGG-11's 14×14 layers 29 against 46 ms.
	if p.implicit() || p.OutW() < 12 || p.C*p.K < 1<<16 {
		return false
	}
	_, ok := p.winogradVariant()
	return ok
}

// gradTiles writes A·dy·Aᵀ for every 2×2 tile of channel k of image i's
// output gradient into column block i of mt (position ξ's K×cols
// matrix at mt[ξ*skewed(K*cols):]), with Aᵀ = [1 1 1 0; 0 1 -1 -1]; tiles
// past the plane's edge read zeros.
func (r *winoRun) gradTiles(dy, mt []float32, cols, i, k int) {
	K, oh, ow := r.p.K, r.oh, r.ow
	mplane := skewed(K * cols)
	src := dy[(i*K+k)*oh*ow : (i*K+k+1)*oh*ow]
	at := func(y, x int) float32 {
		if y < oh && x < ow {
			return src[y*ow+x]
		}
		return 0
	}
	for ty := 0; ty < r.th; ty++ {
		for tx := 0; tx < r.tw; tx++ {
			a, b := at(2*ty, 2*tx), at(2*ty, 2*tx+1)
			c, d := at(2*ty+1, 2*tx), at(2*ty+1, 2*tx+1)
			// t = A·dy, four rows of two; then each row times Aᵀ.
			t := [4][2]float32{{a, b}, {a + c, b + d}, {a - c, b - d}, {-c, -d}}
			off := k*cols + i*r.ti + ty*r.tw + tx
			for row := 0; row < 4; row++ {
				t0, t1 := t[row][0], t[row][1]
				mt[(4*row)*mplane+off] = t0
				mt[(4*row+1)*mplane+off] = t0 + t1
				mt[(4*row+2)*mplane+off] = t0 - t1
				mt[(4*row+3)*mplane+off] = -t1
			}
		}
	}
}

// winoWeightGradOff sends weight gradients to the GEMM paths, for the
// tests and benchmarks that compare the two.
var winoWeightGradOff bool
