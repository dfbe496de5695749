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

// minWinogradTiles is the fewest output tiles per call for which the
// Winograd path pays: its weights are transformed at each call.
const minWinogradTiles = 1024

// winogradOff turns the Winograd path off (tests compare it with the
// others).
var winogradOff = false

// winograd reports whether the convolution runs by Winograd F(2×2, 3×3):
// plain 3×3 stride-1 layers, wide enough for the GEMMs to dominate, with
// the vector transforms.
func (p Conv) winograd() bool {
	if winogradOff || !winogradVectors() || !p.plain() || p.R != 3 || p.S != 3 || p.StrideH != 1 || p.StrideW != 1 {
		return false
	}
	th, tw := (p.OutH()+1)/2, (p.OutW()+1)/2
	return p.C >= 16 && p.K >= 16 && p.N*th*tw >= minWinogradTiles
}

// winoWeights writes U[ξ][k][c] = (G·g·Gᵀ)[ξ] for the K×C×3×3 weights w,
// with G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1].
func winoWeights(w []float32, K, C int, u []float32) {
	plane := K * C
	for kc := 0; kc < plane; kc++ {
		g := w[9*kc : 9*kc+9]
		var t [4][3]float32 // G·g
		for j := 0; j < 3; j++ {
			g0, g1, g2 := g[j], g[3+j], g[6+j]
			t[0][j] = g0
			t[1][j] = (g0 + g1 + g2) / 2
			t[2][j] = (g0 - g1 + g2) / 2
			t[3][j] = g2
		}
		for i := 0; i < 4; i++ {
			r0, r1, r2 := t[i][0], t[i][1], t[i][2]
			base := 4 * i * plane
			u[base+kc] = r0
			u[base+plane+kc] = (r0 + r1 + r2) / 2
			u[base+2*plane+kc] = (r0 - r1 + r2) / 2
			u[base+3*plane+kc] = r2
		}
	}
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

// winogradForward computes the convolution y = x * w + b (with p.Act) by
// Winograd F(2×2, 3×3), the images split across threads.
func (p Conv) winogradForward(x, w, b, y []float32) {
	K, C := p.K, p.C
	oh, ow := p.OutH(), p.OutW()
	th, tw := (oh+1)/2, (ow+1)/2
	ti := th * tw
	// A zero-padded input plane, wide enough for the vector transform's
	// reads past the last tile.
	wp := 32*((tw+15)/16) + 4
	hp := 2*th + 2
	ubuf := getScratchDirty(16 * K * C)
	defer putScratch(ubuf)
	winoWeights(w, K, C, *ubuf)
	gp := packedSize(K, C)
	pbuf := getScratchDirty(16 * gp)
	defer putScratch(pbuf)
	for xi := 0; xi < 16; xi++ {
		packWeightsInto((*pbuf)[xi*gp:(xi+1)*gp], (*ubuf)[xi*K*C:], C, K, C)
	}
	relu := p.Act == ActReLU
	inSize, outSize := C*p.H*p.W, K*oh*ow
	ParallelChunks(p.N, func(_, lo, hi int) {
		plane := getScratchDirty(hp * wp)
		v := getScratchDirty(16*C*ti + 16)
		m := getScratchDirty(16*K*ti + 16)
		defer putScratches([]*[]float32{plane, v, m})
		for img := lo; img < hi; img++ {
			xi := x[img*inSize : (img+1)*inSize]
			for c := 0; c < C; c++ {
				pl := *plane
				clear(pl)
				src := xi[c*p.H*p.W:]
				for r := 0; r < p.H; r++ {
					copy(pl[(r+p.PadH)*wp+p.PadW:], src[r*p.W:(r+1)*p.W])
				}
				for ty := 0; ty < th; ty++ {
					winoInputRow(pl[2*ty*wp:], wp, (*v)[c*ti+ty*tw:], C*ti, tw)
				}
			}
			for xi := 0; xi < 16; xi++ {
				gemmPrepacked(K, ti, C, (*pbuf)[xi*gp:], (*v)[xi*C*ti:], ti, 0, (*m)[xi*K*ti:], ti)
			}
			yi := y[img*outSize : (img+1)*outSize]
			for k := 0; k < K; k++ {
				var bias float32
				if b != nil {
					bias = b[k]
				}
				yk := yi[k*oh*ow : (k+1)*oh*ow]
				for ty := 0; ty < th; ty++ {
					winoOutputRow((*m)[k*ti+ty*tw:], K*ti, yk[2*ty*ow:], ow, tw, min(2, oh-2*ty), ow, bias, relu)
				}
			}
			if !relu {
				p.Act.apply(yi)
			}
		}
	})
}
