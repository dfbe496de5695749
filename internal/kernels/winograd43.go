package kernels

// Winograd F(4×4, 3×3): 36 products per 16 outputs where the direct
// method has 144 (4 times fewer), with the transforms (Lavin and Gray)
//
//	Bᵀ = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0;
//	      0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//	G  = [¼ 0 0; -⅙ -⅙ -⅙; -⅙ ⅙ -⅙; 1/24 1/12 ⅙; 1/24 -1/12 ⅙; 0 0 1]
//	Aᵀ = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]

// wino43In1 is Bᵀ·x for one column of six.
func wino43In1(x [6]float32) [6]float32 {
	return [6]float32{
		4*x[0] - 5*x[2] + x[4],
		(x[4] - 4*x[2]) - (4*x[1] - x[3]),
		(x[4] - 4*x[2]) + (4*x[1] - x[3]),
		(x[4] - x[2]) - 2*(x[1]-x[3]),
		(x[4] - x[2]) + 2*(x[1]-x[3]),
		4*x[1] - 5*x[3] + x[5],
	}
}

// wino43Out1 is Aᵀ·m for one column of six.
func wino43Out1(m [6]float32) [4]float32 {
	s, d, s2, d2 := m[1]+m[2], m[1]-m[2], m[3]+m[4], m[3]-m[4]
	return [4]float32{m[0] + s + s2, d + 2*d2, s + 4*s2, d + 8*d2 + m[5]}
}

// wino43G is G·g for one column of three, with multiplications (a
// division costs several).
func wino43G(g0, g1, g2 float32) (v0, v1, v2, v3, v4, v5 float32) {
	const sixth, twelfth, twentyFourth = 1.0 / 6, 1.0 / 12, 1.0 / 24
	even, odd := g0+g2, g1
	return g0 * 0.25, -(even + odd) * sixth, -(even - odd) * sixth,
		g0*twentyFourth + g1*twelfth + g2*sixth, g0*twentyFourth - g1*twelfth + g2*sixth, g2
}

// wino43Filter writes the transform U = G·g·Gᵀ of the 3×3 filter g to
// out[ξ*winoFilterStride], ξ < 36.
func wino43Filter(g *[9]float32, out []float32) {
	const s = winoFilterStride
	var t [6][3]float32 // G·g
	for j := 0; j < 3; j++ {
		t[0][j], t[1][j], t[2][j], t[3][j], t[4][j], t[5][j] = wino43G(g[j], g[3+j], g[6+j])
	}
	out = out[:35*s+1]
	for i := 0; i < 6; i++ {
		o := out[6*i*s : 6*i*s+5*s+1]
		o[0], o[s], o[2*s], o[3*s], o[4*s], o[5*s] = wino43G(t[i][0], t[i][1], t[i][2])
	}
}

// wino43InputTile writes the transformed 6×6 tile at src (rows stride
// floats apart) to dst[ξ*plane]: Bᵀ·d·B.
func wino43InputTile(src []float32, stride int, dst []float32, plane int) {
	var t [6][6]float32
	for j := 0; j < 6; j++ {
		col := wino43In1([6]float32{src[j], src[stride+j], src[2*stride+j], src[3*stride+j], src[4*stride+j], src[5*stride+j]})
		for i := range col {
			t[i][j] = col[i]
		}
	}
	for i := 0; i < 6; i++ {
		row := wino43In1(t[i])
		for j, v := range row {
			dst[(6*i+j)*plane] = v
		}
	}
}

// wino43OutputTile writes the 4×4 outputs Aᵀ·m·A + bias of the tile
// whose 36 products are src[ξ*plane] to dst (rows stride floats apart):
// rows rows and at most cols columns of it.
func wino43OutputTile(src []float32, plane int, dst []float32, stride, rows, cols int, bias float32, relu bool) {
	var s [4][6]float32
	for j := 0; j < 6; j++ {
		var m [6]float32
		for i := range m {
			m[i] = src[(6*i+j)*plane]
		}
		col := wino43Out1(m)
		for r := range col {
			s[r][j] = col[r]
		}
	}
	for r := 0; r < rows; r++ {
		y := wino43Out1(s[r])
		for j := 0; j < min(cols, 4); j++ {
			v := y[j] + bias
			if relu && !(v > 0) {
				v = 0
			}
			dst[r*stride+j] = v
		}
	}
}

// wino43InputRow transforms the n tiles of one tile row (see
// winoInputF43AVX512, which it calls where it can; tmp holds 576 floats).
func wino43InputRow(src []float32, stride int, dst []float32, plane, n int, tmp []float32) {
	if wino43InputVector(src, stride, dst, plane, n, tmp) {
		return
	}
	for t := 0; t < n; t++ {
		wino43InputTile(src[4*t:], stride, dst[t:], plane)
	}
}

// wino43InputPair is winoVariant.inputPair for F(4×4, 3×3).
func wino43InputPair(src []float32, stride int, dst []float32, plane, n1, n2, off2 int, tmp []float32) {
	if !wino43InputPairVector(src, stride, dst, plane, n1, n2, off2, tmp) {
		wino43InputRow(src, stride, dst, plane, n1, tmp)
		wino43InputRow(src[off2:], stride, dst[n1:], plane, n2, tmp)
	}
}

// wino43OutputPair is winoVariant.outputPair for F(4×4, 3×3).
func wino43OutputPair(src []float32, plane int, dst []float32, stride, n1, n2, off2, rows2, cols int, bias float32, relu bool, tmp []float32) {
	if !wino43OutputPairVector(src, plane, dst, stride, n1, n2, off2, rows2, cols, bias, relu, tmp) {
		wino43OutputRow(src, plane, dst, stride, n1, 4, cols, bias, relu, tmp)
		wino43OutputRow(src[n1:], plane, dst[off2:], stride, n2, rows2, cols, bias, relu, tmp)
	}
}

// wino43OutputRow transforms the n tiles of one tile row into outputs
// (see winoOutputF43AVX512, which it calls where it can).
func wino43OutputRow(src []float32, plane int, dst []float32, stride, n, rows, cols int, bias float32, relu bool, tmp []float32) {
	if wino43OutputVector(src, plane, dst, stride, n, rows, cols, bias, relu, tmp) {
		return
	}
	for t := 0; t < n; t++ {
		wino43OutputTile(src[t:], plane, dst[4*t:], stride, rows, cols-4*t, bias, relu)
	}
}
