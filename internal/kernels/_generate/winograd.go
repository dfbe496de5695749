package main

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

// winoMask sets mask register k to the low min(count, 16) bits, count in
// register reg (not CX, which it uses).
func winoMask(reg, k, label string) {
	p("\tMOVL $0xffff, AX")
	p("\tCMPQ %s, $16", reg)
	p("\tJGE %s", label)
	p("\tMOVQ %s, CX", reg)
	p("\tMOVL $1, AX")
	p("\tSHLL CX, AX")
	p("\tDECL AX")
	p("%s:", label)
	p("\tKMOVW AX, %s", k)
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

func winogradInputKernel() {
	const name = "winoInputF23AVX512"
	f := start(name, "(src *float32, stride int, dst *float32, plane int, n int)", `
winoInputF23AVX512 transforms the n 4×4 tiles of one tile row of a
zero-padded plane: tile t covers rows 0 to 3 (stride floats apart) and
columns 2t to 2t+3 of src, and its 16 values Bᵀ·d·B go to
dst[ξ*plane+t], ξ = 4·row + column. It reads up to column 32·⌈n/16⌉+2 of
each row, past the tiles; it writes only the n tiles:

	for t := range n {
		winoInputTile(src[2*t:], stride, dst[t:], plane)
	}
`)
	p("\tMOVQ %s, SI", f.arg("src"))
	p("\tMOVQ %s, R8", f.arg("stride"))
	p("\tSHLQ $2, R8")
	p("\tMOVQ %s, DI", f.arg("dst"))
	p("\tMOVQ %s, R9", f.arg("plane"))
	p("\tSHLQ $2, R9")
	p("\tMOVQ %s, R14", f.arg("n"))
	p("\tVMOVUPS poolIdx<>+0(SB), Z31")
	p("%sloop:", name)
	p("\tTESTQ R14, R14")
	p("\tJLE %sdone", name)
	winoMask("R14", "K1", name+"mask")
	// d[i][j] in Z(4i+j): the even lanes of the 32 floats from column j.
	p("\tMOVQ SI, R10")
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			r := 4*i + j
			p("\tVMOVUPS %d(R10), Z16", 4*j)
			p("\tVMOVUPS %d(R10), Z17", 4*j+64)
			p("\tVMOVAPS Z31, Z%d", r)
			p("\tVPERMI2PS Z17, Z16, Z%d", r)
		}
		p("\tADDQ R8, R10")
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
		p("\tVMOVUPS Z%d, K1, (R10)", r)
		if r < 15 {
			p("\tADDQ R9, R10")
		}
	}
	p("\tADDQ $128, SI")
	p("\tADDQ $64, DI")
	p("\tSUBQ $16, R14")
	p("\tJMP %sloop", name)
	p("%sdone:", name)
	p("\tVZEROUPPER")
	p("\tRET")
}

func winogradOutputKernel() {
	const name = "winoOutputF23AVX512"
	f := start(name, "(src *float32, plane int, dst *float32, stride int, n int, rows int, cols int, bias float32, relu int)", `
winoOutputF23AVX512 transforms the n tiles of one tile row of the
products m (m[ξ*plane+t], ξ = 4·row + column) into their 2×2 outputs
Aᵀ·m·A plus bias, with ReLU if relu is not 0: tile t's go to rows 0 and 1
(stride floats apart; only row 0 if rows is 1) and columns 2t and 2t+1 of
dst, of which only the first cols are written. It reads m up to tile
16·⌈n/16⌉-1:

	for t := range n {
		winoOutputTile(src[t:], plane, dst[2*t:], stride, rows, cols-2*t, bias, relu != 0)
	}
`)
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
	p("\tVMOVUPS winoIdx<>+0(SB), Z25")
	p("\tVMOVUPS winoIdx<>+64(SB), Z26")
	p("%sloop:", name)
	p("\tTESTQ R14, R14")
	p("\tJLE %sdone", name)
	// The masks of the two halves of each output row.
	winoMask("R15", "K1", name+"lo")
	p("\tMOVQ R15, R11")
	p("\tSUBQ $16, R11")
	p("\tMOVL $0, AX")
	p("\tTESTQ R11, R11")
	p("\tJLE %shiset", name)
	winoMask("R11", "K2", name+"hi")
	p("\tJMP %shidone", name)
	p("%shiset:", name)
	p("\tKMOVW AX, K2")
	p("%shidone:", name)
	p("\tMOVQ SI, R10")
	for r := 0; r < 16; r++ {
		p("\tVMOVUPS (R10), Z%d", r)
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
	// Interleave each row's two columns and store.
	for i := 0; i < 2; i++ {
		if i == 1 {
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
		p("\tVMOVUPS Z19, K2, 64(DI)%s", off)
	}
	p("%snext:", name)
	p("\tADDQ $64, SI")
	p("\tADDQ $128, DI")
	p("\tSUBQ $32, R15")
	p("\tSUBQ $16, R14")
	p("\tJMP %sloop", name)
	p("%sdone:", name)
	p("\tVZEROUPPER")
	p("\tRET")
}
