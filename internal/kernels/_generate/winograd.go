package main

import "fmt"

// Winograd F(2×2, 3×3): the input and output transforms of a 3×3
// stride-1 convolution, 16 tiles to a vector (see winograd.go in package
// kernels for the whole algorithm and its Go reference).

// winogradConstants are the VPERMI2PS index vectors that interleave two
// registers, a0 b0 a1 b1 ..., low eight pairs then high eight.
func winogradConstants() {
	p("")
	p("// Winograd output interleave: a0 b0 ... a7 b7, then a8 b8 ... a15 b15.")
	for v := 0; v < 2; v++ {
		for i := 0; i < 16; i++ {
			p("DATA winoIdx<>+%d(SB)/4, $%d", 64*v+4*i, 8*v+i/2+16*(i%2))
		}
	}
	p("GLOBL winoIdx<>(SB), RODATA|NOPTR, $128")
}

// winoOutputArgs loads the arguments common to the output transforms:
// SI src, R9 plane and R8 stride in bytes, DI dst, R14 n, R15 cols,
// R12 rows, R13 relu; Z30 the bias broadcast, Z27 zeros.
func winoOutputArgs(f *function) {
	p("\tMOVQ %s, SI", f.arg("src"))
	p("\tMOVQ %s, R9", f.arg("plane"))
	p("\tSHLQ $2, R9")
	p("\tMOVQ %s, DI", f.arg("dst"))
	p("\tMOVQ %s, R8", f.arg("stride"))
	p("\tSHLQ $2, R8")
	p("\tMOVQ %s, R14", f.arg("n"))
	p("\tMOVQ %s, R15", f.arg("cols"))
	p("\tMOVQ %s, R12", f.arg("rows"))
	p("\tMOVQ %s, R13", f.arg("relu"))
	p("\tVBROADCASTSS %s, Z30", f.arg("bias"))
	p("\tVXORPS Z27, Z27, Z27")
}

// winoRowMasks sets K1 to K(parts) to the masks of the 16-float parts of
// an output row of which R15 columns are left to write: the low
// min(R15-16q, 16) bits of part q, none once R15 runs out.
func winoRowMasks(name string, parts int) {
	p("\tMOVQ R15, R11")
	for q := 0; q < parts; q++ {
		k := fmt.Sprintf("K%d", q+1)
		lbl := fmt.Sprintf("%sq%d", name, q)
		p("\tMOVL $0, AX")
		p("\tTESTQ R11, R11")
		p("\tJLE %sset", lbl)
		laneMask("R11", k, lbl+"m")
		p("\tJMP %sdone", lbl)
		p("%sset:", lbl)
		p("\tKMOVW AX, %s", k)
		p("%sdone:", lbl)
		p("\tSUBQ $16, R11")
	}
}

// winoCombine applies the 1-D transform x0-x2, x1+x2, x2-x1, x1-x3 (Bᵀ of
// F(2, 3)) to registers r[0..3] in place, with Z28 and Z29 as temporaries.
func winoCombine(r [4]int) {
	p("\tVADDPS Z%d, Z%d, Z28", r[2], r[1])
	p("\tVSUBPS Z%d, Z%d, Z29", r[1], r[2])
	p("\tVSUBPS Z%d, Z%d, Z%d", r[2], r[0], r[0])
	p("\tVSUBPS Z%d, Z%d, Z%d", r[3], r[1], r[3])
	p("\tVMOVAPS Z28, Z%d", r[1])
	p("\tVMOVAPS Z29, Z%d", r[2])
}

// winogradInputKernel writes winoInputF23AVX512, or with pair
// winoInputF23PairAVX512: two tile rows of at most 8 tiles in one
// vector, the first row's in lanes 0-7 and the second's in lanes 8-15,
// compressed together as they are stored. Planes 14 and 7 wide have 7
// and 4 tiles to a row, which alone would leave most lanes empty.
func winogradInputKernel(pair bool) {
	name, sig := "winoInputF23AVX512", "(src *float32, stride int, dst *float32, plane int, n int)"
	doc := `
winoInputF23AVX512 transforms the n 4×4 tiles of one tile row of a
zero-padded plane: tile t covers rows 0 to 3 (stride floats apart) and
columns 2t to 2t+3 of src, and its 16 values Bᵀ·d·B go to
dst[ξ*plane+t], ξ = 4·row + column. It reads up to column 32·⌈n/16⌉+2 of
each row, past the tiles; it writes only the n tiles:

	for t := range n {
		winoInputTile(src[2*t:], stride, dst[t:], plane)
	}
`
	if pair {
		name, sig = "winoInputF23PairAVX512", "(src *float32, stride int, dst *float32, plane int, n1, n2, off2 int)"
		doc = `
winoInputF23PairAVX512 is winoInputF23AVX512 on two tile rows at once,
n1 and n2 tiles (each at most 8), the second at src+off2; their tiles go
to dst side by side. It reads up to column 18 of each row:

	for t := range n1 {
		winoInputTile(src[2*t:], stride, dst[t:], plane)
	}
	for t := range n2 {
		winoInputTile(src[off2+2*t:], stride, dst[n1+t:], plane)
	}
`
	}
	f := start(name, sig, doc)
	p("\tMOVQ %s, SI", f.arg("src"))
	p("\tMOVQ %s, R8", f.arg("stride"))
	p("\tSHLQ $2, R8")
	p("\tMOVQ %s, DI", f.arg("dst"))
	p("\tMOVQ %s, R9", f.arg("plane"))
	p("\tSHLQ $2, R9")
	p("\tVMOVUPS poolIdx<>+0(SB), Z31")
	if pair {
		// R11: the second row's tiles, loaded as lanes 8-15 (columns
		// 16 on); K1 the n1+n2 lanes stored, K2 the lanes kept.
		p("\tMOVQ %s, R11", f.arg("off2"))
		p("\tLEAQ -64(SI)(R11*4), R11")
		winoPairMasks(f)
	} else {
		p("\tMOVQ %s, R14", f.arg("n"))
		p("%sloop:", name)
		p("\tTESTQ R14, R14")
		p("\tJLE %sdone", name)
		laneMask("R14", "K1", name+"mask")
	}
	// d[i][j] in Z(4i+j): the even lanes of the 32 floats from column j.
	p("\tMOVQ SI, R10")
	if pair {
		p("\tMOVQ R11, R12")
	}
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			r := 4*i + j
			p("\tVMOVUPS %d(R10), Z16", 4*j)
			if pair {
				p("\tVMOVUPS %d(R12), Z17", 4*j+64)
			} else {
				p("\tVMOVUPS %d(R10), Z17", 4*j+64)
			}
			p("\tVMOVAPS Z31, Z%d", r)
			p("\tVPERMI2PS Z17, Z16, Z%d", r)
		}
		p("\tADDQ R8, R10")
		if pair {
			p("\tADDQ R8, R12")
		}
	}
	// Bᵀ·d: down each column; then ·B: along each row.
	for j := 0; j < 4; j++ {
		winoCombine([4]int{j, 4 + j, 8 + j, 12 + j})
	}
	for i := 0; i < 4; i++ {
		winoCombine([4]int{4 * i, 4*i + 1, 4*i + 2, 4*i + 3})
	}
	p("\tMOVQ DI, R10")
	for r := 0; r < 16; r++ {
		if pair {
			p("\tVCOMPRESSPS Z%d, K2, Z16", r)
			p("\tVMOVUPS Z16, K1, (R10)")
		} else {
			p("\tVMOVUPS Z%d, K1, (R10)", r)
		}
		if r < 15 {
			p("\tADDQ R9, R10")
		}
	}
	if !pair {
		p("\tADDQ $128, SI")
		p("\tADDQ $64, DI")
		p("\tSUBQ $16, R14")
		p("\tJMP %sloop", name)
		p("%sdone:", name)
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

// winogradGradKernel writes winoGradF23AVX512: the output gradient's
// transform A·dy·Aᵀ of Winograd's weight gradient, 16 of the 2×2 tiles of
// a tile row to a vector. The tiles do not overlap: each row's 32 floats
// split into their even and odd columns (VPERMI2PS), the tiles' left and
// right values.
func winogradGradKernel() {
	const name = "winoGradF23AVX512"
	f := start(name, "(src *float32, stride int, dst *float32, plane int, n int, rows int, cols int)", `
winoGradF23AVX512 transforms the n 2×2 tiles of one tile row of an
output gradient: tile t covers columns 2t and 2t+1 of src's first row and,
if rows is 2, of the row stride floats on; it reads only the first cols
columns of each, zeros past them. Its 16 values A·dy·Aᵀ, with Aᵀ =
[1 1 1 0; 0 1 -1 -1], go to dst[ξ*plane+t], ξ = 4·row + column:

	winoGradRow(src, stride, dst, plane, n, rows, cols)
`)
	winoGradArgs(f)
	p("\tVMOVUPS poolIdx<>+0(SB), Z31")
	p("\tVMOVUPS poolIdx<>+64(SB), Z30")
	p("\tVXORPS Z27, Z27, Z27")
	p("%sloop:", name)
	p("\tTESTQ R14, R14")
	p("\tJLE %sdone", name)
	// K1, K2: the columns left in the two 16-float halves; K3 the tiles.
	winoRowMasks(name, 2)
	laneMask("R14", "K3", name+"tiles")
	// a, b (Z0, Z1): the first row's even and odd columns; c, d (Z2, Z3)
	// the second's, zero where rows is 1.
	for row := 0; row < 2; row++ {
		addr := "(SI)"
		if row == 1 {
			p("\tVXORPS Z2, Z2, Z2")
			p("\tVXORPS Z3, Z3, Z3")
			p("\tCMPQ R12, $2")
			p("\tJLT %sone", name)
			addr = "(SI)(R8*1)"
		}
		p("\tVMOVUPS.Z %s, K1, Z16", addr)
		p("\tVMOVUPS.Z 64%s, K2, Z17", addr)
		p("\tVMOVAPS Z31, Z%d", 2*row)
		p("\tVPERMI2PS Z17, Z16, Z%d", 2*row)
		p("\tVMOVAPS Z30, Z%d", 2*row+1)
		p("\tVPERMI2PS Z17, Z16, Z%d", 2*row+1)
	}
	p("%sone:", name)
	// A·dy down the columns: rows (a, b), (a+c, b+d), (a-c, b-d), (-c, -d)
	// in Z4-Z11; then each row (t0, t1) times Aᵀ: t0, t0+t1, t0-t1, -t1.
	p("\tVMOVAPS Z0, Z4")
	p("\tVMOVAPS Z1, Z5")
	p("\tVADDPS Z2, Z0, Z6")
	p("\tVADDPS Z3, Z1, Z7")
	p("\tVSUBPS Z2, Z0, Z8")
	p("\tVSUBPS Z3, Z1, Z9")
	p("\tVSUBPS Z2, Z27, Z10")
	p("\tVSUBPS Z3, Z27, Z11")
	p("\tMOVQ DI, R10")
	for row := 0; row < 4; row++ {
		t0, t1 := 4+2*row, 5+2*row
		p("\tVADDPS Z%d, Z%d, Z12", t1, t0)
		p("\tVSUBPS Z%d, Z%d, Z13", t1, t0)
		p("\tVSUBPS Z%d, Z27, Z14", t1)
		for j, r := range []int{t0, 12, 13, 14} {
			p("\tVMOVUPS Z%d, K3, (R10)", r)
			if row < 3 || j < 3 {
				p("\tADDQ R9, R10")
			}
		}
	}
	p("\tADDQ $128, SI")
	p("\tADDQ $64, DI")
	p("\tSUBQ $16, R14")
	p("\tSUBQ $32, R15")
	p("\tJMP %sloop", name)
	p("%sdone:", name)
	p("\tVZEROUPPER")
	p("\tRET")
}

// winoGradArgs loads the arguments of the output-gradient transforms
// (winoGradF23AVX512, winoGradF43AVX512): SI src, R8 stride and R9 plane
// in bytes, DI dst, R14 n, R12 rows, R15 cols.
func winoGradArgs(f *function) {
	p("\tMOVQ %s, SI", f.arg("src"))
	p("\tMOVQ %s, R8", f.arg("stride"))
	p("\tSHLQ $2, R8")
	p("\tMOVQ %s, DI", f.arg("dst"))
	p("\tMOVQ %s, R9", f.arg("plane"))
	p("\tSHLQ $2, R9")
	p("\tMOVQ %s, R14", f.arg("n"))
	p("\tMOVQ %s, R12", f.arg("rows"))
	p("\tMOVQ %s, R15", f.arg("cols"))
}

// winoPairMasks sets, for a pair kernel (arguments n1 and n2), K1 to the
// low n1+n2 lanes and K2 to lanes 0 to n1-1 and 8 to 7+n2: the lanes that
// hold the two rows' tiles, which VCOMPRESSPS under K2 packs into K1's.
func winoPairMasks(f *function) {
	p("\tMOVQ %s, R13", f.arg("n1"))
	p("\tMOVQ %s, R14", f.arg("n2"))
	p("\tLEAQ (R13)(R14*1), R15")
	laneMask("R15", "K1", f.name+"m1")
	winoPairLanes("R13", "R14", "K2", "K3", f.name+"m2")
}

// winoPairLanes sets k to lanes 0 to n1-1 and 8 to 7+n2, the lanes of a
// pair kernel's two tile rows, n1 and n2 in registers (not AX or CX),
// with tmp a second mask register it overwrites.
func winoPairLanes(n1, n2, k, tmp, label string) {
	laneMask(n2, k, label+"b")
	p("\tKSHIFTLW $8, %s, %s", k, k)
	laneMask(n1, tmp, label+"a")
	p("\tKORW %s, %s, %s", tmp, k, k)
}

// winogradOutputKernel writes winoOutputF23AVX512, or with pair
// winoOutputF23PairAVX512: two tile rows of at most 8 tiles, side by side
// in the products, spread to lanes 0-7 and 8-15 as they are loaded.
func winogradOutputKernel(pair bool) {
	name, sig := "winoOutputF23AVX512", "(src *float32, plane int, dst *float32, stride int, n int, rows int, cols int, bias float32, relu int)"
	doc := `
winoOutputF23AVX512 transforms the n tiles of one tile row of the
products m (m[ξ*plane+t], ξ = 4·row + column) into their 2×2 outputs
Aᵀ·m·A plus bias, with ReLU if relu is not 0: tile t's go to rows 0 and 1
(stride floats apart; only row 0 if rows is 1) and columns 2t and 2t+1 of
dst, of which only the first cols are written. It reads m up to tile
16·⌈n/16⌉-1:

	for t := range n {
		winoOutputTile(src[t:], plane, dst[2*t:], stride, rows, cols-2*t, bias, relu != 0)
	}
`
	if pair {
		name, sig = "winoOutputF23PairAVX512", "(src *float32, plane int, dst *float32, stride int, n1, n2, off2, rows2, cols int, bias float32, relu int)"
		doc = `
winoOutputF23PairAVX512 is winoOutputF23AVX512 on two tile rows at
once: n1 tiles (at most 8, both output rows written) then n2 (at most
8, rows2 output rows written) side by side in m, the second row's
outputs at dst+off2; cols is at most 16. It reads m up to tile 15:

	for t := range n1 {
		winoOutputTile(src[t:], plane, dst[2*t:], stride, 2, cols-2*t, bias, relu != 0)
	}
	for t := range n2 {
		winoOutputTile(src[n1+t:], plane, dst[off2+2*t:], stride, rows2, cols-2*t, bias, relu != 0)
	}
`
	}
	f := start(name, sig, doc)
	if pair {
		winoPairOutputArgs(f)
	} else {
		winoOutputArgs(f)
	}
	p("\tVMOVUPS winoIdx<>+0(SB), Z25")
	p("\tVMOVUPS winoIdx<>+64(SB), Z26")
	if !pair {
		p("%sloop:", name)
		p("\tTESTQ R14, R14")
		p("\tJLE %sdone", name)
		winoRowMasks(name, 2)
	}
	p("\tMOVQ SI, R10")
	for r := 0; r < 16; r++ {
		p("\tVMOVUPS (R10), Z%d", r)
		if pair {
			p("\tVEXPANDPS.Z Z%d, K5, Z%d", r, r)
		}
		if r < 15 {
			p("\tADDQ R9, R10")
		}
	}
	// Aᵀ·m down each column (rows 0 and 1 into Z(j) and Z(4+j)), then
	// ·A along those two rows: x0+x1+x2 and x1-x2-x3.
	for j := 0; j < 4; j++ {
		p("\tVADDPS Z%d, Z%d, Z16", 4+j, j)
		p("\tVADDPS Z%d, Z16, Z%d", 8+j, j)
		p("\tVSUBPS Z%d, Z%d, Z17", 8+j, 4+j)
		p("\tVSUBPS Z%d, Z17, Z%d", 12+j, 4+j)
	}
	for i := 0; i < 2; i++ {
		b := 4 * i
		p("\tVADDPS Z%d, Z%d, Z16", b+1, b)
		p("\tVADDPS Z%d, Z16, Z%d", b+2, 20+2*i)
		p("\tVSUBPS Z%d, Z%d, Z17", b+2, b+1)
		p("\tVSUBPS Z%d, Z17, Z%d", b+3, 21+2*i)
	}
	for r := 20; r < 24; r++ {
		p("\tVADDPS Z30, Z%d, Z%d", r, r)
	}
	p("\tTESTQ R13, R13")
	p("\tJZ %snorelu", name)
	for r := 20; r < 24; r++ {
		p("\tVMAXPS Z27, Z%d, Z%d", r, r)
	}
	p("%snorelu:", name)
	// Interleave each row's two columns and store: tiles 0-7 then 8-15,
	// side by side in the row, or in pair the first and second rows'.
	for i := 0; i < 2; i++ {
		if i == 1 && !pair {
			p("\tCMPQ R12, $2")
			p("\tJLT %snext", name)
		}
		a, b := 20+2*i, 21+2*i
		p("\tVMOVAPS Z25, Z18")
		p("\tVPERMI2PS Z%d, Z%d, Z18", b, a)
		p("\tVMOVAPS Z26, Z19")
		p("\tVPERMI2PS Z%d, Z%d, Z19", b, a)
		off := ""
		if i == 1 {
			off = "(R8*1)"
		}
		p("\tVMOVUPS Z18, K1, (DI)%s", off)
		if !pair {
			p("\tVMOVUPS Z19, K2, 64(DI)%s", off)
			continue
		}
		if i == 1 {
			p("\tCMPQ R12, $2")
			p("\tJLT %snext", name)
		}
		p("\tVMOVUPS Z19, K1, (R11)%s", off)
	}
	p("%snext:", name)
	if !pair {
		p("\tADDQ $64, SI")
		p("\tADDQ $128, DI")
		p("\tSUBQ $32, R15")
		p("\tSUBQ $16, R14")
		p("\tJMP %sloop", name)
		p("%sdone:", name)
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

// winoPairOutputArgs loads the arguments of a pair output transform as
// winoOutputArgs does (R12 rows2), with K1 and K2 the masks of cols's
// first two 16-float parts, K5 the lanes the two rows' tiles are spread
// to (0 to n1-1, 8 to 7+n2), and R11 the second row's dst.
func winoPairOutputArgs(f *function) {
	p("\tMOVQ %s, SI", f.arg("src"))
	p("\tMOVQ %s, R9", f.arg("plane"))
	p("\tSHLQ $2, R9")
	p("\tMOVQ %s, DI", f.arg("dst"))
	p("\tMOVQ %s, R8", f.arg("stride"))
	p("\tSHLQ $2, R8")
	p("\tMOVQ %s, R15", f.arg("cols"))
	p("\tMOVQ %s, R12", f.arg("rows2"))
	p("\tMOVQ %s, R13", f.arg("relu"))
	p("\tVBROADCASTSS %s, Z30", f.arg("bias"))
	p("\tVXORPS Z27, Z27, Z27")
	winoRowMasks(f.name, 2)
	p("\tMOVQ %s, R10", f.arg("n1"))
	p("\tMOVQ %s, BX", f.arg("n2"))
	winoPairLanes("R10", "BX", "K5", "K6", f.name+"m5")
	p("\tMOVQ %s, R11", f.arg("off2"))
	p("\tLEAQ (DI)(R11*4), R11")
}

// winograd43Constants are the VPERMI2PS/VPERMI2PD index vectors of
// F(4×4, 3×3): every fourth float of four registers (taken as two rounds
// of evens), and the 64-bit interleave of two registers, low and high
// four pairs.
func winograd43Constants() {
	p("")
	p("// Winograd F(4x4, 3x3): qword interleave, low then high; the transforms' constants.")
	for v := 0; v < 2; v++ {
		for i := 0; i < 8; i++ {
			p("DATA wino43Idx<>+%d(SB)/8, $%d", 64*v+8*i, 4*v+i/2+8*(i%2))
		}
	}
	p("GLOBL wino43Idx<>(SB), RODATA|NOPTR, $128")
	for i, c := range []string{"4.0", "5.0", "2.0", "8.0"} {
		p("DATA wino43K<>+%d(SB)/4, $%s", 4*i, c)
	}
	p("GLOBL wino43K<>(SB), RODATA|NOPTR, $16")
	p("")
	p("// Winograd F(4x4, 3x3) weight gradient: every fourth float of two registers from j, j = 0..3, in lanes 0-7.")
	for j := 0; j < 4; j++ {
		for i := 0; i < 16; i++ {
			p("DATA wino43GradIdx<>+%d(SB)/4, $%d", 64*j+4*i, j+4*(i%8))
		}
	}
	p("GLOBL wino43GradIdx<>(SB), RODATA|NOPTR, $256")
}

// wino43Grad6 applies the 1-D transform of F(4, 3)'s weight gradient,
// d·Aᵀ with Aᵀ = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1],
// to the four registers d, calling emit with each of the six results in
// turn (a register it may then reuse), with Z24 = 2, Z25 = 4, Z26 = 8 and
// t[0..2] free:
//
//	o0 = d0        o1 = (d0+d2) + (d1+d3)   o3 = (d0+4d2) + (2d1+8d3)
//	o5 = d3        o2 = (d0+d2) - (d1+d3)   o4 = (d0+4d2) - (2d1+8d3)
func wino43Grad6(d [4]int, t [3]int, emit func(o, reg int)) {
	emit(0, d[0])
	p("\tVADDPS Z%d, Z%d, Z%d", d[2], d[0], t[0])
	p("\tVADDPS Z%d, Z%d, Z%d", d[3], d[1], t[1])
	p("\tVADDPS Z%d, Z%d, Z%d", t[1], t[0], t[2])
	emit(1, t[2])
	p("\tVSUBPS Z%d, Z%d, Z%d", t[1], t[0], t[2])
	emit(2, t[2])
	p("\tVMOVAPS Z%d, Z%d", d[0], t[0])
	p("\tVFMADD231PS Z25, Z%d, Z%d", d[2], t[0])
	p("\tVMULPS Z24, Z%d, Z%d", d[1], t[1])
	p("\tVFMADD231PS Z26, Z%d, Z%d", d[3], t[1])
	p("\tVADDPS Z%d, Z%d, Z%d", t[1], t[0], t[2])
	emit(3, t[2])
	p("\tVSUBPS Z%d, Z%d, Z%d", t[1], t[0], t[2])
	emit(4, t[2])
	emit(5, d[3])
}

// winograd43GradKernel writes winoGradF43AVX512: winoGradF23AVX512 for
// F(4×4, 3×3), 8 of the 4×4 tiles of a tile row to a vector. The down
// transform (across rows, which are vectors) goes first on the raw rows;
// each of its six rows then splits into the tiles' four columns
// (VPERMI2PS, every fourth float) for the transform along them.
func winograd43GradKernel() {
	const name = "winoGradF43AVX512"
	f := start(name, "(src *float32, stride int, dst *float32, plane int, n int, rows int, cols int)", `
winoGradF43AVX512 transforms the n 4×4 tiles of one tile row of an
output gradient: tile t covers columns 4t to 4t+3 of src's first rows
rows (at most 4) rows, stride floats apart; it reads only the first cols
columns of each, zeros past them. Its 36 values A·dy·Aᵀ go to
dst[ξ*plane+t], ξ = 6·row + column:

	wino43GradRow(src, stride, dst, plane, n, rows, cols)
`)
	winoGradArgs(f)
	p("\tVBROADCASTSS wino43K<>+8(SB), Z24")
	p("\tVBROADCASTSS wino43K<>+0(SB), Z25")
	p("\tVBROADCASTSS wino43K<>+12(SB), Z26")
	for j := 0; j < 4; j++ {
		p("\tVMOVUPS wino43GradIdx<>+%d(SB), Z%d", 64*j, 28+j)
	}
	p("%sloop:", name)
	p("\tTESTQ R14, R14")
	p("\tJLE %sdone", name)
	// K1, K2: the columns left in the two 16-float halves; K3 the tiles
	// of this step, at most 8.
	winoRowMasks(name, 2)
	p("\tMOVQ $8, R11")
	p("\tCMPQ R14, R11")
	p("\tCMOVQLT R14, R11")
	laneMask("R11", "K3", name+"tiles")
	// Row y's 32 floats in Z(2y) and Z(2y+1), zero past rows.
	for y := 0; y < 4; y++ {
		p("\tVXORPS Z%d, Z%d, Z%d", 2*y, 2*y, 2*y)
		p("\tVXORPS Z%d, Z%d, Z%d", 2*y+1, 2*y+1, 2*y+1)
	}
	p("\tMOVQ SI, R10")
	for y := 0; y < 4; y++ {
		p("\tCMPQ R12, $%d", y+1)
		p("\tJLT %srows", name)
		p("\tVMOVUPS.Z (R10), K1, Z%d", 2*y)
		p("\tVMOVUPS.Z 64(R10), K2, Z%d", 2*y+1)
		if y < 3 {
			p("\tADDQ R8, R10")
		}
	}
	p("%srows:", name)
	p("\tMOVQ DI, R10")
	// Down the tile: each half's six rows; each row, split into its four
	// columns (Z18-Z21), along the tile; 36 stores in ξ order.
	stores := 0
	store := func(reg int) {
		p("\tVMOVUPS Z%d, K3, (R10)", reg)
		stores++
		if stores < 36 {
			p("\tADDQ R9, R10")
		}
	}
	// The down transform of both halves at once would need 12 registers
	// a row; instead each of its six rows is formed again from the raw
	// rows, two registers (its halves) at a time, in Z8 and Z9.
	down := func(i int) {
		for h := 0; h < 2; h++ {
			r := [4]int{h, 2 + h, 4 + h, 6 + h}
			dst := 8 + h
			switch i {
			case 0:
				p("\tVMOVAPS Z%d, Z%d", r[0], dst)
			case 5:
				p("\tVMOVAPS Z%d, Z%d", r[3], dst)
			case 1, 2:
				op := "VADDPS"
				if i == 2 {
					op = "VSUBPS"
				}
				p("\tVADDPS Z%d, Z%d, Z10", r[2], r[0])
				p("\tVADDPS Z%d, Z%d, Z11", r[3], r[1])
				p("\t%s Z11, Z10, Z%d", op, dst)
			case 3, 4:
				op := "VADDPS"
				if i == 4 {
					op = "VSUBPS"
				}
				p("\tVMOVAPS Z%d, Z10", r[0])
				p("\tVFMADD231PS Z25, Z%d, Z10", r[2])
				p("\tVMULPS Z24, Z%d, Z11", r[1])
				p("\tVFMADD231PS Z26, Z%d, Z11", r[3])
				p("\t%s Z11, Z10, Z%d", op, dst)
			}
		}
	}
	for i := 0; i < 6; i++ {
		down(i)
		for j := 0; j < 4; j++ {
			p("\tVMOVAPS Z%d, Z%d", 28+j, 18+j)
			p("\tVPERMI2PS Z9, Z8, Z%d", 18+j)
		}
		wino43Grad6([4]int{18, 19, 20, 21}, [3]int{12, 13, 14}, func(_, reg int) { store(reg) })
	}
	p("\tADDQ $128, SI")
	p("\tADDQ $32, DI")
	p("\tSUBQ $8, R14")
	p("\tSUBQ $32, R15")
	p("\tJMP %sloop", name)
	p("%sdone:", name)
	p("\tVZEROUPPER")
	p("\tRET")
}

// wino43In applies the 1-D input transform of F(4, 3), Bᵀ·x, to x in
// registers r[0..5], writing v0..v5 to registers out[0..5] (which may
// be r), with Z26 = 4, Z27 = 5, Z28 = 2 and Z20 to Z25 free:
//
//	v0 = 4x0 - 5x2 + x4            v3 = (x4 - x2) - 2(x1 - x3)
//	v1 = (x4 - 4x2) - (4x1 - x3)   v4 = (x4 - x2) + 2(x1 - x3)
//	v2 = (x4 - 4x2) + (4x1 - x3)   v5 = 4x1 - 5x3 + x5
func wino43In(r, out [6]int) {
	x := func(i int) string { return fmt.Sprintf("Z%d", r[i]) }
	o := func(i int) string { return fmt.Sprintf("Z%d", out[i]) }
	// Z20 = x4 - 4x2, Z21 = 4x1 - x3, Z22 = x4 - x2, Z23 = x1 - x3.
	p("\tVMOVAPS %s, Z20", x(4))
	p("\tVFNMADD231PS Z26, %s, Z20", x(2))
	p("\tVMOVAPS %s, Z21", x(3))
	p("\tVFMSUB231PS Z26, %s, Z21", x(1))
	p("\tVSUBPS %s, %s, Z22", x(2), x(4))
	p("\tVSUBPS %s, %s, Z23", x(3), x(1))
	// Z24 = v0 = 4x0 - 5x2 + x4, Z25 = v5 = 4x1 - 5x3 + x5.
	p("\tVMOVAPS %s, Z24", x(4))
	p("\tVFMADD231PS Z26, %s, Z24", x(0))
	p("\tVFNMADD231PS Z27, %s, Z24", x(2))
	p("\tVMOVAPS %s, Z25", x(5))
	p("\tVFMADD231PS Z26, %s, Z25", x(1))
	p("\tVFNMADD231PS Z27, %s, Z25", x(3))
	p("\tVSUBPS Z21, Z20, %s", o(1))
	p("\tVADDPS Z21, Z20, %s", o(2))
	p("\tVMOVAPS Z22, %s", o(3))
	p("\tVFNMADD231PS Z28, Z23, %s", o(3))
	p("\tVMOVAPS Z22, %s", o(4))
	p("\tVFMADD231PS Z28, Z23, %s", o(4))
	p("\tVMOVAPS Z24, %s", o(0))
	p("\tVMOVAPS Z25, %s", o(5))
}

// winograd43InputKernel writes winoInputF43AVX512, or with pair
// winoInputF43PairAVX512: two tile rows of at most 8 tiles in one
// vector, as winogradInputKernel's pair (28×28 planes have 7 tiles to a
// row).
func winograd43InputKernel(pair bool) {
	name, sig := "winoInputF43AVX512", "(src *float32, stride int, dst *float32, plane int, n int, tmp *float32)"
	doc := `
winoInputF43AVX512 transforms the n 6×6 tiles of one tile row of a
zero-padded plane for F(4×4, 3×3): tile t covers rows 0 to 5 (stride
floats apart) and columns 4t to 4t+5 of src, and its 36 values Bᵀ·d·B go
to dst[ξ*plane+t], ξ = 6·row + column. It reads up to column
64·⌈n/16⌉+4 of each row, past the tiles, and uses tmp (576 floats);
it writes only the n tiles:

	for t := range n {
		wino43InputTile(src[4*t:], stride, dst[t:], plane)
	}
`
	if pair {
		name, sig = "winoInputF43PairAVX512", "(src *float32, stride int, dst *float32, plane int, n1, n2, off2 int, tmp *float32)"
		doc = `
winoInputF43PairAVX512 is winoInputF43AVX512 on two tile rows at once,
n1 and n2 tiles (each at most 8), the second at src+off2; their tiles go
to dst side by side. It reads up to column 36 of each row:

	for t := range n1 {
		wino43InputTile(src[4*t:], stride, dst[t:], plane)
	}
	for t := range n2 {
		wino43InputTile(src[off2+4*t:], stride, dst[n1+t:], plane)
	}
`
	}
	f := start(name, sig, doc)
	p("\tMOVQ %s, SI", f.arg("src"))
	p("\tMOVQ %s, R8", f.arg("stride"))
	p("\tSHLQ $2, R8")
	p("\tMOVQ %s, DI", f.arg("dst"))
	p("\tMOVQ %s, R9", f.arg("plane"))
	p("\tSHLQ $2, R9")
	p("\tMOVQ %s, BX", f.arg("tmp"))
	p("\tVMOVUPS poolIdx<>+0(SB), Z31")
	p("\tVBROADCASTSS wino43K<>+0(SB), Z26")
	p("\tVBROADCASTSS wino43K<>+4(SB), Z27")
	p("\tVBROADCASTSS wino43K<>+8(SB), Z28")
	if pair {
		// R11: the second row's tiles, loaded as lanes 8-15 (columns
		// 32 on).
		p("\tMOVQ %s, R11", f.arg("off2"))
		p("\tLEAQ -128(SI)(R11*4), R11")
		winoPairMasks(f)
	} else {
		p("\tMOVQ %s, R14", f.arg("n"))
		p("%sloop:", name)
		p("\tTESTQ R14, R14")
		p("\tJLE %sdone", name)
		laneMask("R14", "K1", name+"mask")
	}
	// Down each column j: the six rows' values (every fourth float from
	// column j), transformed, to tmp[6*i+j].
	for j := 0; j < 6; j++ {
		p("\tMOVQ SI, R10")
		if pair {
			p("\tMOVQ R11, R12")
		}
		for i := 0; i < 6; i++ {
			for q := 0; q < 4; q++ {
				base := "R10"
				if pair && q >= 2 {
					base = "R12"
				}
				p("\tVMOVUPS %d(%s), Z%d", 4*j+64*q, base, 12+q)
			}
			p("\tVMOVAPS Z31, Z16")
			p("\tVPERMI2PS Z13, Z12, Z16")
			p("\tVMOVAPS Z31, Z17")
			p("\tVPERMI2PS Z15, Z14, Z17")
			p("\tVMOVAPS Z31, Z%d", i)
			p("\tVPERMI2PS Z17, Z16, Z%d", i)
			if i < 5 {
				p("\tADDQ R8, R10")
				if pair {
					p("\tADDQ R8, R12")
				}
			}
		}
		wino43In([6]int{0, 1, 2, 3, 4, 5}, [6]int{0, 1, 2, 3, 4, 5})
		for i := 0; i < 6; i++ {
			p("\tVMOVUPS Z%d, %d(BX)", i, 64*(6*i+j))
		}
	}
	// Along each row i: the transform of tmp[6*i..6*i+5], to dst.
	p("\tMOVQ DI, R10")
	for i := 0; i < 6; i++ {
		for j := 0; j < 6; j++ {
			p("\tVMOVUPS %d(BX), Z%d", 64*(6*i+j), j)
		}
		wino43In([6]int{0, 1, 2, 3, 4, 5}, [6]int{0, 1, 2, 3, 4, 5})
		for j := 0; j < 6; j++ {
			if pair {
				p("\tVCOMPRESSPS Z%d, K2, Z12", j)
				p("\tVMOVUPS Z12, K1, (R10)")
			} else {
				p("\tVMOVUPS Z%d, K1, (R10)", j)
			}
			if 6*i+j < 35 {
				p("\tADDQ R9, R10")
			}
		}
	}
	if !pair {
		p("\tADDQ $256, SI")
		p("\tADDQ $64, DI")
		p("\tSUBQ $16, R14")
		p("\tJMP %sloop", name)
		p("%sdone:", name)
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

// wino43Out applies the 1-D output transform of F(4, 3), Aᵀ·m, to m in
// registers r[0..5], writing y0..y3 to registers out[0..3], with Z28 = 2,
// Z29 = 8 and Z20 to Z25 free:
//
//	y0 = m0 + (m1 + m2) + (m3 + m4)   y2 = (m1 + m2) + 4(m3 + m4)
//	y1 = (m1 - m2) + 2(m3 - m4)       y3 = (m1 - m2) + 8(m3 - m4) + m5
func wino43Out(r [6]int, out [4]int) {
	m := func(i int) string { return fmt.Sprintf("Z%d", r[i]) }
	o := func(i int) string { return fmt.Sprintf("Z%d", out[i]) }
	p("\tVADDPS %s, %s, Z20", m(2), m(1))
	p("\tVSUBPS %s, %s, Z21", m(2), m(1))
	p("\tVADDPS %s, %s, Z22", m(4), m(3))
	p("\tVSUBPS %s, %s, Z23", m(4), m(3))
	p("\tVADDPS Z20, %s, Z24", m(0))
	p("\tVADDPS Z22, Z24, %s", o(0))
	p("\tVMOVAPS Z21, %s", o(1))
	p("\tVFMADD231PS Z28, Z23, %s", o(1))
	p("\tVADDPS Z22, Z22, Z25")
	p("\tVMOVAPS Z20, %s", o(2))
	p("\tVFMADD231PS Z28, Z25, %s", o(2))
	p("\tVADDPS Z21, %s, %s", m(5), o(3))
	p("\tVFMADD231PS Z29, Z23, %s", o(3))
}

// winograd43OutputKernel writes winoOutputF43AVX512, or with pair
// winoOutputF43PairAVX512, as winogradOutputKernel does.
func winograd43OutputKernel(pair bool) {
	name, sig := "winoOutputF43AVX512", "(src *float32, plane int, dst *float32, stride int, n int, rows int, cols int, bias float32, relu int, tmp *float32)"
	doc := `
winoOutputF43AVX512 transforms the n tiles of one tile row of the
products m (m[ξ*plane+t], ξ = 6·row + column) into their 4×4 outputs
Aᵀ·m·A plus bias, with ReLU if relu is not 0: tile t's go to rows 0 to
rows-1 (stride floats apart) and columns 4t to 4t+3 of dst, of which only
the first cols are written. It reads m up to tile 16·⌈n/16⌉-1 and uses
tmp (384 floats):

	for t := range n {
		wino43OutputTile(src[t:], plane, dst[4*t:], stride, rows, cols-4*t, bias, relu != 0)
	}
`
	if pair {
		name, sig = "winoOutputF43PairAVX512", "(src *float32, plane int, dst *float32, stride int, n1, n2, off2, rows2, cols int, bias float32, relu int, tmp *float32)"
		doc = `
winoOutputF43PairAVX512 is winoOutputF43AVX512 on two tile rows at
once: n1 tiles (at most 8, all four output rows written) then n2 (at
most 8, rows2 output rows written) side by side in m, the second row's
outputs at dst+off2; cols is at most 32. It reads m up to tile 15:

	for t := range n1 {
		wino43OutputTile(src[t:], plane, dst[4*t:], stride, 4, cols-4*t, bias, relu != 0)
	}
	for t := range n2 {
		wino43OutputTile(src[n1+t:], plane, dst[off2+4*t:], stride, rows2, cols-4*t, bias, relu != 0)
	}
`
	}
	f := start(name, sig, doc)
	if pair {
		winoPairOutputArgs(f)
	} else {
		winoOutputArgs(f)
	}
	p("\tMOVQ %s, BX", f.arg("tmp"))
	p("\tVBROADCASTSS wino43K<>+8(SB), Z28")
	p("\tVBROADCASTSS wino43K<>+12(SB), Z29")
	if !pair {
		p("%sloop:", name)
		p("\tTESTQ R14, R14")
		p("\tJLE %sdone", name)
		winoRowMasks(name, 4)
	}
	// Down each column j: Aᵀ of m[6i+j], to tmp[6r+j].
	for j := 0; j < 6; j++ {
		p("\tMOVQ SI, R10")
		if j > 0 {
			p("\tMOVQ R9, AX")
			p("\tIMULQ $%d, AX", j)
			p("\tADDQ AX, R10")
		}
		for i := 0; i < 6; i++ {
			p("\tVMOVUPS (R10), Z%d", i)
			if pair {
				p("\tVEXPANDPS.Z Z%d, K5, Z%d", i, i)
			}
			if i < 5 {
				p("\tMOVQ R9, AX")
				p("\tIMULQ $6, AX")
				p("\tADDQ AX, R10")
			}
		}
		wino43Out([6]int{0, 1, 2, 3, 4, 5}, [4]int{6, 7, 8, 9})
		for r := 0; r < 4; r++ {
			p("\tVMOVUPS Z%d, %d(BX)", 6+r, 64*(6*r+j))
		}
	}
	p("\tVMOVUPS winoIdx<>+0(SB), Z18")
	p("\tVMOVUPS winoIdx<>+64(SB), Z19")
	p("\tMOVQ DI, R10")
	for r := 0; r < 4; r++ {
		if r > 0 && !pair {
			p("\tCMPQ R12, $%d", r+1)
			p("\tJLT %snext", name)
		}
		for j := 0; j < 6; j++ {
			p("\tVMOVUPS %d(BX), Z%d", 64*(6*r+j), j)
		}
		wino43Out([6]int{0, 1, 2, 3, 4, 5}, [4]int{6, 7, 8, 9})
		for c := 6; c < 10; c++ {
			p("\tVADDPS Z30, Z%d, Z%d", c, c)
		}
		p("\tTESTQ R13, R13")
		p("\tJZ %snorelu%d", name, r)
		for c := 6; c < 10; c++ {
			p("\tVMAXPS Z27, Z%d, Z%d", c, c)
		}
		p("%snorelu%d:", name, r)
		// Interleave y0..y3: pairs (y0, y1) and (y2, y3), then the pairs.
		p("\tVMOVAPS Z18, Z10")
		p("\tVPERMI2PS Z7, Z6, Z10")
		p("\tVMOVAPS Z19, Z11")
		p("\tVPERMI2PS Z7, Z6, Z11")
		p("\tVMOVAPS Z18, Z12")
		p("\tVPERMI2PS Z9, Z8, Z12")
		p("\tVMOVAPS Z19, Z13")
		p("\tVPERMI2PS Z9, Z8, Z13")
		p("\tVMOVUPS wino43Idx<>+0(SB), Z14")
		p("\tVPERMI2PD Z12, Z10, Z14")
		p("\tVMOVUPS wino43Idx<>+64(SB), Z15")
		p("\tVPERMI2PD Z12, Z10, Z15")
		p("\tVMOVUPS wino43Idx<>+0(SB), Z16")
		p("\tVPERMI2PD Z13, Z11, Z16")
		p("\tVMOVUPS wino43Idx<>+64(SB), Z17")
		p("\tVPERMI2PD Z13, Z11, Z17")
		if !pair {
			for q := 0; q < 4; q++ {
				p("\tVMOVUPS Z%d, K%d, %d(R10)", 14+q, q+1, 64*q)
			}
		} else {
			// Tiles 0-7 to the first row's outputs, 8-15 to the
			// second's, while it has output row r.
			p("\tVMOVUPS Z14, K1, (R10)")
			p("\tVMOVUPS Z15, K2, 64(R10)")
			p("\tCMPQ R12, $%d", r+1)
			p("\tJLT %sskip%d", name, r)
			p("\tVMOVUPS Z16, K1, (R11)")
			p("\tVMOVUPS Z17, K2, 64(R11)")
			p("%sskip%d:", name, r)
		}
		if r < 3 {
			p("\tADDQ R8, R10")
			if pair {
				p("\tADDQ R8, R11")
			}
		}
	}
	p("%snext:", name)
	if !pair {
		p("\tADDQ $64, SI")
		p("\tADDQ $256, DI")
		p("\tSUBQ $64, R15")
		p("\tSUBQ $16, R14")
		p("\tJMP %sloop", name)
		p("%sdone:", name)
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

// winogradFilterKernel writes winoFilters16AVX512 (vecs 1, F(2×2)'s 16
// transformed positions) or winoFilters48AVX512 (vecs 3, F(4×4)'s 36,
// padded to 48): the transforms of n filters, each a linear map of its 9
// taps, with the map's 9 columns held in registers.
func winogradFilterKernel(vecs int) {
	lanes := 16 * vecs
	name := fmt.Sprintf("winoFilters%dAVX512", lanes)
	f := start(name, "(w *float32, offs *int, n int, m, out *float32)", fmt.Sprintf(`
%s writes the Winograd transforms of n filters of 3×3 taps, filter
e's at w[offs[e]:], as the products of the %d×9 matrix m (column t at
m[t*%d:]) by their taps: out[e*%d:] is filter e's transform:

	for e := range n {
		for l := range %d {
			var sum float32
			for t := range 9 {
				sum += m[t*%d+l] * w[offs[e]+t]
			}
			out[e*%d+l] = sum
		}
	}
`, name, lanes, lanes, lanes, lanes, lanes, lanes))
	p("\tMOVQ %s, DI", f.arg("w"))
	p("\tMOVQ %s, R9", f.arg("offs"))
	p("\tMOVQ %s, CX", f.arg("n"))
	p("\tMOVQ %s, SI", f.arg("m"))
	p("\tMOVQ %s, DX", f.arg("out"))
	col := func(t, v int) string { return fmt.Sprintf("Z%d", t*vecs+v) }
	acc := func(v int) string { return fmt.Sprintf("Z%d", 9*vecs+v) }
	tap := fmt.Sprintf("Z%d", 10*vecs)
	for t := 0; t < 9; t++ {
		for v := 0; v < vecs; v++ {
			p("\tVMOVUPS %d(SI), %s", (t*vecs+v)*64, col(t, v))
		}
	}
	p("\tTESTQ CX, CX")
	p("\tJZ %sdone", name)
	p("%sloop:", name)
	p("\tMOVQ (R9), R10")
	p("\tLEAQ (DI)(R10*4), R10")
	for t := 0; t < 9; t++ {
		p("\tVBROADCASTSS %d(R10), %s", 4*t, tap)
		for v := 0; v < vecs; v++ {
			if t == 0 {
				p("\tVMULPS %s, %s, %s", col(t, v), tap, acc(v))
			} else {
				p("\tVFMADD231PS %s, %s, %s", col(t, v), tap, acc(v))
			}
		}
	}
	for v := 0; v < vecs; v++ {
		p("\tVMOVUPS %s, %d(DX)", acc(v), 64*v)
	}
	p("\tADDQ $%d, DX", 64*vecs)
	p("\tADDQ $8, R9")
	p("\tDECQ CX")
	p("\tJNZ %sloop", name)
	p("%sdone:", name)
	p("\tVZEROUPPER")
	p("\tRET")
}

// winogradGradFiltersKernel writes winoGradFilters23AVX512, F(2×2)'s
// final transform of the weight gradient, 16 filters a vector: each
// filter's 16 transformed positions come from 16 planes (one vector load
// each), GᵀdU·G takes the reference's additions and halvings in its
// order, and the 9 taps of the 16 filters, transposed in registers
// (transpose16), are added into dw's 144 floats under a 9-lane mask.
func winogradGradFiltersKernel() {
	const name = "winoGradFilters23AVX512"
	f := start(name, "(u *float32, ldu, n int, dw *float32)", `
winoGradFilters23AVX512 adds Gᵀ·dU·G to dw for 16·n filters, filter e's
16 transformed positions at u[ξ*ldu+e], its 9 taps at dw[9*e:], with
F(2×2, 3×3)'s G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]; the results are the Go
loop's, exactly:

	winoGradFilters23(u, ldu, 16*n, dw) // without vectors
`)
	p("\tMOVQ %s, R10", f.arg("u"))
	p("\tMOVQ %s, R8", f.arg("ldu"))
	p("\tSHLQ $2, R8")
	p("\tMOVQ %s, CX", f.arg("n"))
	p("\tMOVQ %s, DX", f.arg("dw"))
	// R9: three planes on; R10-R13: the first of each row of four
	// positions.
	p("\tLEAQ (R8)(R8*2), R9")
	p("\tLEAQ (R10)(R8*4), R11")
	p("\tLEAQ (R11)(R8*4), R12")
	p("\tLEAQ (R12)(R8*4), R13")
	p("\tMOVL $0x3f000000, AX") // ½
	p("\tMOVL $0x1ff, BX")
	p("\tKMOVW BX, K1") // a filter's 9 taps
	p("\tTESTQ CX, CX")
	p("\tJZ %sdone", name)
	p("%sloop:", name)
	p("\tVPBROADCASTD AX, Z10")
	// dU·G row by row: t[i][b] in Z20+3i+b, from positions 4i..4i+3
	// (x0-x3 in Z16-Z19): x0 + (x1+x2)·½, (x1-x2)·½, (x1+x2)·½ + x3.
	for i, base := range []string{"R10", "R11", "R12", "R13"} {
		p("\tVMOVUPS (%s), Z16", base)
		p("\tVMOVUPS (%s)(R8*1), Z17", base)
		p("\tVMOVUPS (%s)(R8*2), Z18", base)
		p("\tVMOVUPS (%s)(R9*1), Z19", base)
		t := 20 + 3*i
		p("\tVADDPS Z18, Z17, Z9")
		p("\tVMULPS Z10, Z9, Z9")
		p("\tVADDPS Z9, Z16, Z%d", t)
		p("\tVSUBPS Z18, Z17, Z%d", t+1)
		p("\tVMULPS Z10, Z%d, Z%d", t+1, t+1)
		p("\tVADDPS Z19, Z9, Z%d", t+2)
	}
	// Gᵀ down each column b: taps b, 3+b and 6+b in Z0-Z8.
	for b := 0; b < 3; b++ {
		t0, t1, t2, t3 := 20+b, 23+b, 26+b, 29+b
		p("\tVADDPS Z%d, Z%d, Z9", t2, t1)
		p("\tVMULPS Z10, Z9, Z9")
		p("\tVADDPS Z9, Z%d, Z%d", t0, b)
		p("\tVSUBPS Z%d, Z%d, Z%d", t2, t1, 3+b)
		p("\tVMULPS Z10, Z%d, Z%d", 3+b, 3+b)
		p("\tVADDPS Z%d, Z9, Z%d", t3, 6+b)
	}
	gradFiltersStore(name, []string{"R10", "R11", "R12", "R13"})
}

// gradFiltersStore ends the loop of a final-transform kernel
// (winoGradFilters23AVX512, winoGradFilters43AVX512) once the 9 taps of
// its 16 filters are in Z0-Z8: it transposes Z0-Z15 (rows 9-15 hold
// leftovers, which land in the lanes past the mask), adds each filter's
// taps into its 9 floats at DX under K1, moves the position planes'
// pointers bases and DX on by 16 filters and counts CX down.
func gradFiltersStore(name string, bases []string) {
	cols := transpose16()
	used := map[int]bool{}
	for _, r := range cols {
		used[r] = true
	}
	tmp := -1
	for r := 31; r >= 0 && tmp < 0; r-- {
		if !used[r] {
			tmp = r
		}
	}
	for l, r := range cols {
		p("\tVMOVUPS.Z %d(DX), K1, Z%d", 36*l, tmp)
		p("\tVADDPS Z%d, Z%d, Z%d", tmp, r, r)
		p("\tVMOVUPS Z%d, K1, %d(DX)", r, 36*l)
	}
	for _, base := range bases {
		p("\tADDQ $64, %s", base)
	}
	p("\tADDQ $576, DX")
	p("\tDECQ CX")
	p("\tJNZ %sloop", name)
	p("%sdone:", name)
	p("\tVZEROUPPER")
	p("\tRET")
}

// winograd43GradFiltersKernel writes winoGradFilters43AVX512, F(4×4)'s
// final transform of the weight gradient, as winogradGradFiltersKernel
// does F(2×2)'s: 36 position planes, G's ¼, ⅙, 1/24 and 1/12 (float32,
// as Go rounds them) from wino43GK, the Go loop's products and sums in
// its order.
func winograd43GradFiltersKernel() {
	const name = "winoGradFilters43AVX512"
	p("")
	p("// F(4x4, 3x3)'s G: 1/4, 1/6, 1/24, 1/12 as float32.")
	for i, c := range []string{"0x3e800000", "0x3e2aaaab", "0x3d2aaaab", "0x3daaaaab"} {
		p("DATA wino43GK<>+%d(SB)/4, $%s", 4*i, c)
	}
	p("GLOBL wino43GK<>(SB), RODATA|NOPTR, $16")
	f := start(name, "(u *float32, ldu, n int, dw *float32)", `
winoGradFilters43AVX512 adds Gᵀ·dU·G to dw for 16·n filters, filter e's
36 transformed positions at u[ξ*ldu+e], its 9 taps at dw[9*e:], with
F(4×4, 3×3)'s G = [¼ 0 0; -⅙ -⅙ -⅙; -⅙ ⅙ -⅙; 1/24 1/12 ⅙; 1/24 -1/12 ⅙;
0 0 1]; the results are the Go loop's, exactly:

	winoGradFilters43(u, ldu, 16*n, dw) // without vectors
`)
	rows := []string{"SI", "DI", "R10", "R11", "R12", "R13"}
	p("\tMOVQ %s, SI", f.arg("u"))
	p("\tMOVQ %s, R8", f.arg("ldu"))
	p("\tSHLQ $2, R8")
	p("\tMOVQ %s, CX", f.arg("n"))
	p("\tMOVQ %s, DX", f.arg("dw"))
	// R9: three planes on, R15 five; SI, DI, R10-R13: the first of each
	// row of six positions.
	p("\tLEAQ (R8)(R8*2), R9")
	p("\tLEAQ (R8)(R8*4), R15")
	p("\tLEAQ (R9)(R9*1), AX") // six planes
	for i := 1; i < 6; i++ {
		p("\tLEAQ (%s)(AX*1), %s", rows[i-1], rows[i])
	}
	p("\tMOVL $0x1ff, BX")
	p("\tKMOVW BX, K1") // a filter's 9 taps
	p("\tTESTQ CX, CX")
	p("\tJZ %sdone", name)
	p("%sloop:", name)
	// Z10-Z13: ¼, ⅙, 1/24, 1/12.
	for i := 0; i < 4; i++ {
		p("\tVBROADCASTSS wino43GK<>+%d(SB), Z%d", 4*i, 10+i)
	}
	// gt (the Go loop's) of x0-x5 in registers x into o0-o2, with
	// a, b, c, d as it names them; x's registers are used up.
	gt := func(x [6]int, o [3]int) {
		p("\tVMULPS Z10, Z%d, Z%d", x[0], o[0])       // x0·¼
		p("\tVADDPS Z%d, Z%d, Z%d", x[2], x[1], x[0]) // a = x1+x2
		p("\tVSUBPS Z%d, Z%d, Z%d", x[2], x[1], x[2]) // b = x1-x2
		p("\tVADDPS Z%d, Z%d, Z%d", x[4], x[3], x[1]) // c = x3+x4
		p("\tVSUBPS Z%d, Z%d, Z%d", x[4], x[3], x[4]) // d = x3-x4
		a, b, c, d, t := x[0], x[2], x[1], x[4], x[3]
		p("\tVMULPS Z11, Z%d, Z%d", a, t) // x0·¼ - a·⅙ + c·1/24
		p("\tVSUBPS Z%d, Z%d, Z%d", t, o[0], o[0])
		p("\tVMULPS Z12, Z%d, Z%d", c, t)
		p("\tVADDPS Z%d, Z%d, Z%d", t, o[0], o[0])
		p("\tVMULPS Z13, Z%d, Z%d", d, o[1]) // d·1/12 - b·⅙
		p("\tVMULPS Z11, Z%d, Z%d", b, t)
		p("\tVSUBPS Z%d, Z%d, Z%d", t, o[1], o[1])
		p("\tVSUBPS Z%d, Z%d, Z%d", a, c, t) // (c-a)·⅙ + x5
		p("\tVMULPS Z11, Z%d, Z%d", t, t)
		p("\tVADDPS Z%d, Z%d, Z%d", x[5], t, o[2])
	}
	// dU·G row by row: t[i][b] in Z14+3i+b, from positions 6i..6i+5
	// loaded into Z0-Z5.
	for i, base := range rows {
		for j, idx := range []string{"", "(R8*1)", "(R8*2)", "(R9*1)", "(R8*4)", "(R15*1)"} {
			p("\tVMOVUPS (%s)%s, Z%d", base, idx, j)
		}
		t := 14 + 3*i
		gt([6]int{0, 1, 2, 3, 4, 5}, [3]int{t, t + 1, t + 2})
	}
	// Gᵀ down each column b: taps b, 3+b and 6+b in Z0-Z8.
	for b := 0; b < 3; b++ {
		var x [6]int
		for i := range x {
			x[i] = 14 + 3*i + b
		}
		gt(x, [3]int{b, 3 + b, 6 + b})
	}
	gradFiltersStore(name, rows)
}
