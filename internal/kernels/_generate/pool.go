package main

import "fmt"

// poolConstants are the VPERMI2PS/VPERMPS index vectors of the 2×2
// average-pooling kernels: the even and odd elements of a pair of
// registers, and each of the low and high eight elements twice.
func poolConstants() {
	p("")
	p("// 2×2 pooling indices: evens, odds, low eight twice, high eight twice.")
	for v, index := range []func(i int) int{
		func(i int) int { return 2 * i }, func(i int) int { return 2*i + 1 },
		func(i int) int { return i / 2 }, func(i int) int { return 8 + i/2 },
	} {
		for i := 0; i < 16; i++ {
			p("DATA poolIdx<>+%d(SB)/4, $%d", 64*v+4*i, index(i))
		}
	}
	p("GLOBL poolIdx<>(SB), RODATA|NOPTR, $256")
}

// avgPool2Kernel writes, for each of pairs pairs of w-wide input rows (x
// rows 2i and 2i+1), the w/2 sums of their 2×2 windows times scale (y row
// i). Rows go in chunks of 32 inputs; the last chunk (1 to 32 inputs) is
// read and written under masks: masks[0] and masks[1] for the two
// 16-input halves, masks[2] for the outputs.
func avgPool2Kernel() {
	const name = "avgPool2AVX512"
	pool2Prologue(name, "x", "y", 0, "SI", `
avgPool2AVX512 sets y to the sums of the 2×2 windows of x times scale (a
quarter: their averages), for pairs pairs of w-wide rows, w even, and
masks holding pool2Masks(w); the results are exact:

	for i := range pairs {
		for j := range w / 2 {
			a, b := 2*i*w+2*j, (2*i+1)*w+2*j // the window's two rows
			y[i*w/2+j] = ((x[a] + x[b]) + (x[a+1] + x[b+1])) * scale
		}
	}
`)
	p("\tVMOVUPS (R12), Z0")
	p("\tVMOVUPS 64(R12), Z1")
	p("\tVADDPS (R13), Z0, Z0")
	p("\tVADDPS 64(R13), Z1, Z1")
	pairSums()
	p("\tVMOVUPS Z2, (R14)")
	pool2NextChunk(name)
	p("\tVMOVUPS.Z (R12), K4, Z0")
	p("\tVMOVUPS.Z 64(R12), K5, Z1")
	p("\tVMOVUPS.Z (R13), K4, Z4")
	p("\tVMOVUPS.Z 64(R13), K5, Z5")
	p("\tVADDPS Z4, Z0, Z0")
	p("\tVADDPS Z5, Z1, Z1")
	pairSums()
	p("\tVMOVUPS Z2, K6, (R14)")
	p("\tLEAQ (SI)(R9*2), SI") // the next pair of rows
	p("\tLEAQ (DI)(DX*2), DI") // the next output row: w/2 floats
	p("\tDECQ CX")
	p("\tJNZ %spair", name)
	p("\tVZEROUPPER")
	p("\tRET")
}

// pool2Prologue writes the start of a 2×2 pooling kernel named name, up to
// its chunk loop: arguments (src and dst named as given), the scale in
// Z29, the index vectors at poolIdx+idx in Z30 and Z31, the lane masks in
// K4-K6, the input row's bytes in R9 and the whole chunks before the last
// in R10. Each pair of rows starts with R12 and R13 at the two input rows
// (rows is the register of the input side, SI or DI), R14 at the output
// row and BX counting chunks. doc is the function's comment.
func pool2Prologue(name, src, dst string, idx int, rows, doc string) {
	sig := fmt.Sprintf("(%s, %s *float32, pairs, w int, masks *[4]uint16, scale float32)", src, dst)
	pool2Body(start(name, sig, doc), src, dst, idx, rows)
}

// pool2Body is pool2Prologue after the function's header, f.
func pool2Body(f *function, src, dst string, idx int, rows string) {
	name := f.name
	p("\tMOVQ %s, SI", f.arg(src))
	p("\tMOVQ %s, DI", f.arg(dst))
	p("\tMOVQ %s, CX", f.arg("pairs"))
	p("\tMOVQ %s, DX", f.arg("w"))
	p("\tMOVQ %s, AX", f.arg("masks"))
	p("\tVBROADCASTSS %s, Z29", f.arg("scale"))
	p("\tVMOVUPS poolIdx<>+%d(SB), Z30", idx)
	p("\tVMOVUPS poolIdx<>+%d(SB), Z31", idx+64)
	p("\tKMOVW 0(AX), K4")
	p("\tKMOVW 2(AX), K5")
	p("\tKMOVW 4(AX), K6")
	p("\tLEAQ (DX*4), R9")  // bytes in an input row
	p("\tLEAQ -1(DX), R10") // whole chunks before the last: (w-1)/32
	p("\tSHRQ $5, R10")
	p("%spair:", name)
	other := map[string]string{"SI": "DI", "DI": "SI"}[rows]
	p("\tMOVQ %s, R12", rows)
	p("\tLEAQ (%s)(R9*1), R13", rows)
	p("\tMOVQ %s, R14", other)
	p("\tMOVQ R10, BX")
	p("\tTESTQ BX, BX")
	p("\tJZ %stail", name)
	p("%schunk:", name)
}

// pool2NextChunk moves a 2×2 pooling kernel's pointers past one chunk (32
// inputs, 16 outputs) and closes its chunk loop.
func pool2NextChunk(name string) {
	p("\tADDQ $128, R12")
	p("\tADDQ $128, R13")
	p("\tADDQ $64, R14")
	p("\tDECQ BX")
	p("\tJNZ %schunk", name)
	p("%stail:", name)
}

// pairSums sets Z2 to scale times the sums of adjacent elements of the 32
// values in Z0 and Z1.
func pairSums() {
	p("\tVMOVAPS Z30, Z2")
	p("\tVPERMI2PS Z1, Z0, Z2") // evens
	p("\tVMOVAPS Z31, Z3")
	p("\tVPERMI2PS Z1, Z0, Z3") // odds
	p("\tVADDPS Z3, Z2, Z2")
	p("\tVMULPS Z29, Z2, Z2")
}

// avgPool2BackwardKernel is the adjoint of avgPool2Kernel: each of the w/2
// values of dy row i, times scale, goes to the four inputs of its window
// in dx rows 2i and 2i+1, added (add) or stored.
func avgPool2BackwardKernel(add bool) {
	name := "avgPool2BackwardSetAVX512"
	if add {
		name = "avgPool2BackwardAVX512"
	}
	op, what := "=", "stores in"
	if add {
		op, what = "+=", "adds into"
	}
	pool2Prologue(name, "dy", "dx", 128, "DI", fmt.Sprintf(`
%s %s dx the gradient of avgPool2AVX512, given dy, the gradient of
its output: each dy times scale to the four inputs of its window, for
pairs pairs of w-wide rows, w even, and masks holding pool2Masks(w); the
results are exact:

	for i := range pairs {
		for j := range w / 2 {
			g := dy[i*w/2+j] * scale
			a, b := 2*i*w+2*j, (2*i+1)*w+2*j // the window's two rows
			for _, e := range [...]int{a, a + 1, b, b + 1} {
				dx[e] %s g
			}
		}
	}
`, name, what, op))
	p("\tVMULPS (R14), Z29, Z0")
	p("\tVPERMPS Z0, Z30, Z1")
	p("\tVPERMPS Z0, Z31, Z2")
	for _, row := range []string{"R12", "R13"} {
		for j, z := range []string{"Z1", "Z2"} {
			if add {
				p("\tVADDPS %d(%s), %s, Z3", 64*j, row, z)
				p("\tVMOVUPS Z3, %d(%s)", 64*j, row)
			} else {
				p("\tVMOVUPS %s, %d(%s)", z, 64*j, row)
			}
		}
	}
	pool2NextChunk(name)
	p("\tVMOVUPS.Z (R14), K6, Z0")
	p("\tVMULPS Z29, Z0, Z0")
	p("\tVPERMPS Z0, Z30, Z1")
	p("\tVPERMPS Z0, Z31, Z2")
	for _, row := range []string{"R12", "R13"} {
		for j, z := range []string{"Z1", "Z2"} {
			mask := []string{"K4", "K5"}[j]
			if add {
				p("\tVMOVUPS.Z %d(%s), %s, Z3", 64*j, row, mask)
				p("\tVADDPS Z3, %s, Z3", z)
				p("\tVMOVUPS Z3, %s, %d(%s)", mask, 64*j, row)
				continue
			}
			p("\tVMOVUPS %s, %s, %d(%s)", z, mask, 64*j, row)
		}
	}
	p("\tLEAQ (DI)(R9*2), DI")
	p("\tLEAQ (SI)(DX*2), SI")
	p("\tDECQ CX")
	p("\tJNZ %spair", name)
	p("\tVZEROUPPER")
	p("\tRET")
}

// avgPool2TanhBackwardKernel is avgPool2BackwardKernel followed by
// tanhBackwardKernel, in one pass: the pooling's gradient, a quarter of
// dy over each window, is multiplied by 1 - y² for y the tanh output that
// the pooling read (y's rows lie as dx's), and stored in dx or added.
// The products are rounded as the two kernels round them.
func avgPool2TanhBackwardKernel(add bool) {
	name := "avgPool2TanhBackwardSetAVX512"
	if add {
		name = "avgPool2TanhBackwardAVX512"
	}
	op, what := "=", "stores in"
	if add {
		op, what = "+=", "adds into"
	}
	f := start(name, "(dy, dx *float32, pairs, w int, masks *[4]uint16, scale float32, y *float32)", fmt.Sprintf(`
%s %s dx the gradient of tanh then avgPool2AVX512, given y, tanh's
output (the pooling's input), and dy, the gradient of the pooling's
output, for pairs pairs of w-wide rows, w even, and masks holding
pool2Masks(w); 1 - y*y and the product are rounded as
tanhBackwardAVX512 rounds them:

	for i := range pairs {
		for j := range w / 2 {
			g := dy[i*w/2+j] * scale
			a, b := 2*i*w+2*j, (2*i+1)*w+2*j // the window's two rows
			for _, e := range [...]int{a, a + 1, b, b + 1} {
				dx[e] %s (1 - y[e]*y[e]) * g
			}
		}
	}
`, name, what, op))
	p("\tMOVQ %s, R8", f.arg("y"))
	p("\tSUBQ %s, R8", f.arg("dx")) // y's rows are R8 bytes past dx's
	p("\tVBROADCASTSS tanhConsts<>+%d(SB), Z28", constOffset("one"))
	pool2Body(f, "dy", "dx", 128, "DI")
	// row: a dx row register; z: the pooled gradient's vector; mask:
	// the lane mask, or "" for a whole vector.
	store := func(row string, j int, z, mask string) {
		load, kz, km := "VMOVUPS", "", ""
		if mask != "" {
			load, kz, km = "VMOVUPS.Z", mask+", ", mask+", "
		}
		p("\t%s %d(%s)(R8*1), %sZ3", load, 64*j, row, kz)
		p("\tVMOVAPS Z28, Z4")
		p("\tVFNMADD231PS Z3, Z3, Z4") // 1 - y*y
		if add {
			p("\t%s %d(%s), %sZ5", load, 64*j, row, kz)
			p("\tVFMADD231PS %s, Z4, Z5", z)
			p("\tVMOVUPS Z5, %s%d(%s)", km, 64*j, row)
		} else {
			p("\tVMULPS %s, Z4, Z4", z)
			p("\tVMOVUPS Z4, %s%d(%s)", km, 64*j, row)
		}
	}
	p("\tVMULPS (R14), Z29, Z0")
	p("\tVPERMPS Z0, Z30, Z1")
	p("\tVPERMPS Z0, Z31, Z2")
	for _, row := range []string{"R12", "R13"} {
		for j, z := range []string{"Z1", "Z2"} {
			store(row, j, z, "")
		}
	}
	pool2NextChunk(name)
	p("\tVMOVUPS.Z (R14), K6, Z0")
	p("\tVMULPS Z29, Z0, Z0")
	p("\tVPERMPS Z0, Z30, Z1")
	p("\tVPERMPS Z0, Z31, Z2")
	for _, row := range []string{"R12", "R13"} {
		for j, z := range []string{"Z1", "Z2"} {
			store(row, j, z, []string{"K4", "K5"}[j])
		}
	}
	p("\tLEAQ (DI)(R9*2), DI")
	p("\tLEAQ (SI)(DX*2), SI")
	p("\tDECQ CX")
	p("\tJNZ %spair", name)
	p("\tVZEROUPPER")
	p("\tRET")
}

// maxPool2Kernel writes, for each of pairs pairs of w-wide input rows (x
// rows 2i and 2i+1), the w/2 maxima of their 2×2 windows (y row i) and
// where each lies in the plane (argmax row i), as maxPlaneHalving does:
// the first of equal maxima, and a NaN if there is one. Rows go in chunks
// of 32 inputs, the last under the masks of pool2Masks. Registers: Z30 the
// even lanes' indices, which are also 2*lane, Z31 the odd ones'; Z23, Z24,
// Z25 the offsets w+1, w and 1 of a window's other three inputs; R10 the
// plane index of the pair's first input, AX of the chunk's.
func maxPool2Kernel() {
	const name = "maxPool2AVX512"
	f := start(name, "(x, y *float32, pairs, w int, masks *[4]uint16, argmax *int32)", `
maxPool2AVX512 sets y to the maxima of the 2×2 windows of x, and argmax
to where in x each lies, for pairs pairs of w-wide rows, w even, and
masks holding pool2Masks(w): the first of equal maxima, and the first
NaN if there is one; the results are exact:

	for i := range pairs {
		for j := range w / 2 {
			a := 2*i*w + 2*j
			best, at := x[a], a
			for _, e := range [...]int{a + 1, a + w, a + w + 1} {
				if best == best && !(x[e] <= best) {
					best, at = x[e], e
				}
			}
			y[i*w/2+j], argmax[i*w/2+j] = best, int32(at)
		}
	}
`)
	p("\tMOVQ %s, SI", f.arg("x"))
	p("\tMOVQ %s, DI", f.arg("y"))
	p("\tMOVQ %s, CX", f.arg("pairs"))
	p("\tMOVQ %s, DX", f.arg("w"))
	p("\tMOVQ %s, AX", f.arg("masks"))
	p("\tMOVQ %s, R8", f.arg("argmax"))
	p("\tVMOVUPS poolIdx<>+0(SB), Z30")
	p("\tVMOVUPS poolIdx<>+64(SB), Z31")
	p("\tKMOVW 0(AX), K4")
	p("\tKMOVW 2(AX), K5")
	p("\tKMOVW 4(AX), K6")
	p("\tMOVL $1, AX")
	p("\tVPBROADCASTD AX, Z25")
	p("\tVPBROADCASTD DX, Z24")
	p("\tVPADDD Z25, Z24, Z23")
	p("\tLEAQ (DX*4), R9") // bytes in an input row
	p("\tXORQ R10, R10")
	p("%spair:", name)
	p("\tMOVQ SI, R12")
	p("\tLEAQ (SI)(R9*1), R13")
	p("\tMOVQ DI, R14")
	p("\tMOVQ R8, R11")
	p("\tMOVQ R10, AX")
	p("\tLEAQ -1(DX), BX") // whole chunks before the last: (w-1)/32
	p("\tSHRQ $5, BX")
	p("\tTESTQ BX, BX")
	p("\tJZ %stail", name)
	p("%schunk:", name)
	p("\tVMOVUPS (R12), Z0")
	p("\tVMOVUPS 64(R12), Z1")
	p("\tVMOVUPS (R13), Z4")
	p("\tVMOVUPS 64(R13), Z5")
	maxWindows()
	p("\tVMOVUPS Z2, (R14)")
	p("\tVMOVDQU32 Z27, (R11)")
	p("\tADDQ $128, R12")
	p("\tADDQ $128, R13")
	p("\tADDQ $64, R14")
	p("\tADDQ $64, R11")
	p("\tADDQ $32, AX")
	p("\tDECQ BX")
	p("\tJNZ %schunk", name)
	p("%stail:", name)
	p("\tVMOVUPS.Z (R12), K4, Z0")
	p("\tVMOVUPS.Z 64(R12), K5, Z1")
	p("\tVMOVUPS.Z (R13), K4, Z4")
	p("\tVMOVUPS.Z 64(R13), K5, Z5")
	maxWindows()
	p("\tVMOVUPS Z2, K6, (R14)")
	p("\tVMOVDQU32 Z27, K6, (R11)")
	p("\tLEAQ (SI)(R9*2), SI") // the next pair of rows
	p("\tLEAQ (DI)(DX*2), DI") // the next output row: w/2 floats
	p("\tLEAQ (R8)(DX*2), R8")
	p("\tLEAQ (R10)(DX*2), R10")
	p("\tDECQ CX")
	p("\tJNZ %spair", name)
	p("\tVZEROUPPER")
	p("\tRET")
}

// maxWindows sets Z2 to the maxima of the 16 2×2 windows of the two rows'
// 32 inputs in Z0, Z1 (upper) and Z4, Z5 (lower), and Z27 to their plane
// indices, AX being that of the first input. A window's inputs are taken
// in order, each replacing the best so far if it is greater or NaN, and
// the best so far is not NaN.
func maxWindows() {
	p("\tVMOVAPS Z30, Z2")
	p("\tVPERMI2PS Z1, Z0, Z2") // upper left: the best so far
	p("\tVMOVAPS Z31, Z3")
	p("\tVPERMI2PS Z1, Z0, Z3") // upper right
	p("\tVMOVAPS Z30, Z6")
	p("\tVPERMI2PS Z5, Z4, Z6") // lower left
	p("\tVMOVAPS Z31, Z7")
	p("\tVPERMI2PS Z5, Z4, Z7") // lower right
	p("\tVPXORD Z8, Z8, Z8")    // the best's offset in its window
	for _, c := range [][2]string{{"Z3", "Z25"}, {"Z6", "Z24"}, {"Z7", "Z23"}} {
		p("\tVCMPPS $7, Z2, Z2, K1")       // the best is not NaN
		p("\tVCMPPS $6, Z2, %s, K2", c[0]) // not v <= best: greater, or NaN
		p("\tKANDW K1, K2, K2")
		p("\tVBLENDMPS %s, Z2, K2, Z2", c[0])
		p("\tVPBLENDMD %s, Z8, K2, Z8", c[1])
	}
	p("\tVPBROADCASTD AX, Z27")
	p("\tVPADDD Z30, Z27, Z27")
	p("\tVPADDD Z8, Z27, Z27")
}

// maxPoolRowKernel writes the kernel of one output row of a max pooling
// whose windows lie inside its rows (a plane's, or the parts of them that
// maxPlaneVector clips to the plane): n outputs, 16 at a time (the last
// chunk under masks), each the first
// greatest (or first NaN) of its kh×kw taps taken in row-major order.
// Stride is 1 or 2 across; a stride-2 tap takes the even lanes of 32
// inputs with VPERMI2PS. Registers: Z0 the best so far, Z1 its tap's
// offset r*w+s, Z2 the tap, Z30 the even-lane indices (2*lane), Z29 the
// lanes' offsets from the chunk's first window (lane*stride); K1 the
// outputs of the chunk, K2 and K3 the two halves of a stride-2 tap's 32
// inputs; R13 the tap row's first input, R11 the tap's, R10 the tap
// row's index offset (r*wi), DX the tap's, R15 the chunk's first window's
// plane index.
func maxPoolRowKernel(indexed bool) {
	name, sig := "maxPoolRowAVX512", "(x, y *float32, argmax *int32, n, w, wi, kh, kw, stride, base int)"
	doc := `
maxPoolRowAVX512 sets y[j] to the maximum of the kh×kw window of x at
column j*stride (stride 1 or 2) of rows w apart, and argmax[j] to where it
lies, counting rows wi apart (the plane's width; w where x is the
plane) from base: the first of equal maxima in row-major order, and
the first NaN if there is one; the results are exact:

	for j := range n {
		best, at := x[j*stride], j*stride
		for r := range kh {
			for s := range kw {
				e := r*w + j*stride + s
				if best == best && !(x[e] <= best) {
					best, at = x[e], r*wi+j*stride+s
				}
			}
		}
		y[j], argmax[j] = best, int32(base+at)
	}
`
	if !indexed {
		name, sig = "maxPoolValuesAVX512", "(x, y *float32, n, w, kh, kw, stride int)"
		doc = `
maxPoolValuesAVX512 is maxPoolRowAVX512 without the argmax: y[j] is the
maximum of the kh×kw window of x at column j*stride (stride 1 or 2) of
rows w apart, the first NaN if there is one.
`
	}
	f := start(name, sig, doc)
	stride := f.arg("stride")
	// loadTap loads the tap at R11 into Z2: 16 inputs, or the even ones
	// of 32 for stride 2.
	loadTap := func(label string) {
		p("\tCMPQ %s, $2", stride)
		p("\tJEQ %s%s2", name, label)
		p("\tVMOVUPS.Z (R11), K1, Z2")
		p("\tJMP %s%sdone", name, label)
		p("%s%s2:", name, label)
		p("\tVMOVUPS.Z (R11), K2, Z4")
		p("\tVMOVUPS.Z 64(R11), K3, Z5")
		p("\tVMOVAPS Z30, Z2")
		p("\tVPERMI2PS Z5, Z4, Z2")
		p("%s%sdone:", name, label)
	}
	p("\tMOVQ %s, SI", f.arg("x"))
	p("\tMOVQ %s, DI", f.arg("y"))
	if indexed {
		p("\tMOVQ %s, R8", f.arg("argmax"))
	}
	p("\tMOVQ %s, CX", f.arg("n"))
	p("\tMOVQ %s, R9", f.arg("w"))
	if indexed {
		p("\tMOVQ %s, R15", f.arg("base"))
	}
	p("\tVMOVUPS poolIdx<>+0(SB), Z30") // 2*lane
	p("\tVMOVDQA32 Z30, Z29")
	p("\tCMPQ %s, $2", stride)
	p("\tJEQ %sstrided", name)
	p("\tVPSRLD $1, Z30, Z29") // lane
	p("%sstrided:", name)
	p("\tMOVL $0xffff, AX")
	p("\tKMOVW AX, K1")
	p("\tKMOVW AX, K2")
	p("\tMOVL $0x7fff, AX")
	p("\tKMOVW AX, K3")
	p("%schunk:", name)
	p("\tTESTQ CX, CX")
	p("\tJLE %sdone", name)
	p("\tCMPQ CX, $16")
	p("\tJGE %sfull", name)
	// The last chunk: CX < 16 outputs; a stride-2 tap needs 2*CX-1 inputs.
	p("\tMOVL $1, AX")
	p("\tSHLL CX, AX")
	p("\tDECL AX")
	p("\tKMOVW AX, K1")
	p("\tMOVQ CX, R10")
	p("\tLEAQ -1(CX)(R10*1), CX") // 2*CX-1, at most 29
	p("\tMOVL $1, AX")
	p("\tSHLQ CX, AX")
	p("\tDECQ AX")
	p("\tKMOVW AX, K2")
	p("\tSHRQ $16, AX")
	p("\tKMOVW AX, K3")
	p("\tMOVQ R10, CX")
	p("%sfull:", name)
	p("\tMOVQ SI, R11")
	loadTap("first")
	p("\tVMOVAPS Z2, Z0")
	if indexed {
		p("\tVPXORD Z1, Z1, Z1")
	}
	p("\tMOVQ SI, R13")
	p("\tXORQ R10, R10") // the tap row's offset r*w
	p("\tMOVQ %s, BX", f.arg("kh"))
	p("%srow:", name)
	p("\tMOVQ R13, R11")
	if indexed {
		p("\tMOVQ R10, DX")
	}
	p("\tMOVQ %s, R14", f.arg("kw"))
	p("%stap:", name)
	loadTap("load")
	p("\tVCMPPS $7, Z0, Z0, K4") // the best is not NaN
	p("\tVCMPPS $6, Z0, Z2, K5") // not tap <= best: greater, or NaN
	p("\tKANDW K4, K5, K5")
	p("\tVBLENDMPS Z2, Z0, K5, Z0")
	if indexed {
		p("\tVPBROADCASTD DX, Z3")
	}
	if indexed {
		p("\tVPBLENDMD Z3, Z1, K5, Z1")
	}
	p("\tADDQ $4, R11")
	if indexed {
		p("\tINCQ DX")
	}
	p("\tDECQ R14")
	p("\tJNZ %stap", name)
	p("\tLEAQ (R13)(R9*4), R13")
	if indexed {
		p("\tADDQ %s, R10", f.arg("wi"))
	}
	p("\tDECQ BX")
	p("\tJNZ %srow", name)
	if indexed {
		p("\tVPBROADCASTD R15, Z3")
	}
	if indexed {
		p("\tVPADDD Z29, Z3, Z3")
	}
	if indexed {
		p("\tVPADDD Z1, Z3, Z1")
	}
	p("\tVMOVUPS Z0, K1, (DI)")
	if indexed {
		p("\tVMOVDQU32 Z1, K1, (R8)")
	}
	p("\tADDQ $64, DI")
	if indexed {
		p("\tADDQ $64, R8")
	}
	p("\tSUBQ $16, CX")
	// The next chunk's first window is 16*stride inputs on.
	p("\tCMPQ %s, $2", stride)
	p("\tJEQ %snext2", name)
	p("\tADDQ $64, SI")
	if indexed {
		p("\tADDQ $16, R15")
	}
	p("\tJMP %schunk", name)
	p("%snext2:", name)
	p("\tADDQ $128, SI")
	if indexed {
		p("\tADDQ $32, R15")
	}
	p("\tJMP %schunk", name)
	p("%sdone:", name)
	p("\tVZEROUPPER")
	p("\tRET")
}

// maxPool3x3Kernel writes maxPool3x3AVX512: 3×3 max pooling with stride
// 1 or 2 and padding 0 or 1 (GoogLeNet's branches and the pooling between
// its stages, ResNet's after its stem), without argmax, a plane in two
// passes: first the maxima of each window's three rows down, 16 columns
// a vector, go to a row of tmp bordered with -Inf (the padding, and what
// ceil mode reaches past the row), one row of tmp per output row; then
// the maxima of three columns across each, every second one's for stride
// 2, go to y. Reading a row of tmp right after writing it, at one and
// two floats off the stores, stalled every row until the stores reached
// the cache (GoogLeNet's 14×14 branch pooling ran at half the speed). A
// window's NaN wins: each maximum keeps its accumulator's NaN (VMAXPS
// returns its second source where either is NaN) and takes the new
// value's (a blend on the unordered compare).
func maxPool3x3Kernel() {
	const name = "maxPool3x3AVX512"
	f := start(name, "(x, y, tmp *float32, planes, h, w, ldx, oh, ow, stride, pad, ldt int)", `
maxPool3x3AVX512 sets y to the maxima of the 3×3 windows, stride apart
(1 or 2) and padding pad (0 or 1) on each side, of planes h×w planes of
x one after another, rows ldx apart (ldx ≥ w; y's oh×ow, dense), or to
a NaN where a window holds one.
tmp holds oh rows of ldt ≥ 16+max(16⌈w/16⌉, 32⌈ow/16⌉)+48 floats,
which it overwrites; each window must hold an element of x:

	for i := range planes {
		for r := range oh {
			for c := range ow {
				best := float32(math.Inf(-1))
				for _, e := range window(r, c) { // rows r*stride-pad to +2, columns alike, clipped
					if v := x[i*h*ldx+e]; v > best || v != v { // e: row*ldx + column
						best = v
					}
					if best != best {
						break
					}
				}
				y[i*oh*ow+r*ow+c] = best
			}
		}
	}
`)
	maxNaN := func(src, acc string) {
		p("\tVMAXPS %s, %s, %s", acc, src, acc)
		p("\tVCMPPS $3, %s, %s, K3", src, src) // unordered: src is NaN
		p("\tVBLENDMPS %s, %s, K3, %s", src, acc, acc)
	}
	// chunkMask sets K2 to the lanes of the chunk R14 counts down to: all
	// but in the last, tail's.
	chunkMask := func(tail, label string) {
		p("\tKMOVW K4, K2")
		p("\tCMPQ R14, $1")
		p("\tJNE %s", label)
		p("\tKMOVW %s, K2", tail)
		p("%s:", label)
	}
	// tailMask sets k to the lanes of the last of the chunks of n (a
	// register) columns, leaving their count in R10.
	tailMask := func(n, k, label string) {
		p("\tMOVQ %s, R10", n)
		p("\tADDQ $15, R10")
		p("\tSHRQ $4, R10")
		p("\tMOVQ R10, R15")
		p("\tDECQ R15")
		p("\tSHLQ $4, R15")
		p("\tNEGQ R15")
		p("\tADDQ %s, R15", n) // the last chunk's columns, 1 to 16
		laneMask("R15", k, label)
	}
	// nextTmpRow moves BX to the next row of tmp.
	nextTmpRow := func() {
		p("\tMOVQ %s, R15", f.arg("ldt"))
		p("\tLEAQ (BX)(R15*4), BX")
	}
	p("\tMOVQ %s, R8", f.arg("ow"))
	tailMask("R8", "K5", name+"outmask")
	p("\tMOVQ %s, R8", f.arg("w"))
	tailMask("R8", "K1", name+"inmask") // R10: the input row's chunks
	p("\tMOVL $0xffff, AX")
	p("\tKMOVW AX, K4")
	p("\tMOVQ %s, R8", f.arg("ldx"))
	p("\tSHLQ $2, R8") // an input row's bytes
	p("\tMOVL $0xff800000, AX")
	p("\tVPBROADCASTD AX, Z31")         // -Inf
	p("\tVMOVUPS poolIdx<>+0(SB), Z30") // evens
	p("\tMOVQ %s, SI", f.arg("x"))
	p("\tMOVQ %s, DI", f.arg("y"))
	p("\tMOVQ %s, R9", f.arg("h"))
	p("\tMOVQ %s, CX", f.arg("planes"))
	p("\tTESTQ CX, CX")
	p("\tJLE %sdone", name)
	p("\tCMPQ %s, $0", f.arg("oh"))
	p("\tJLE %sdone", name)
	p("%splane:", name)
	// Fetch the plane after the next into L1 while this one is pooled,
	// where planes are small (4 KiB or less: GoogLeNet's 14×14 and
	// 28×28 ones): x comes from memory a short row at a time, too
	// little for the hardware prefetchers to run ahead of.
	p("\tMOVQ R9, AX")
	p("\tIMULQ R8, AX") // a plane's bytes
	p("\tCMPQ AX, $4096")
	p("\tJA %snofetch", name)
	p("\tLEAQ (SI)(AX*2), R11")
	p("%sfetch:", name)
	p("\tPREFETCHT0 (R11)")
	p("\tADDQ $64, R11")
	p("\tSUBQ $64, AX")
	p("\tJG %sfetch", name)
	p("%snofetch:", name)
	// Down: BX at the output row's row of tmp, DX its index.
	p("\tMOVQ %s, BX", f.arg("tmp"))
	p("\tXORQ DX, DX")
	p("%srow:", name)
	// The borders: -Inf before the row's first column and after its last.
	p("\tVMOVUPS Z31, (BX)")
	p("\tMOVQ %s, AX", f.arg("w"))
	p("\tVMOVUPS Z31, 64(BX)(AX*4)")
	// AX: the window's first row; R11: its address (used where it lies
	// inside the plane).
	p("\tMOVQ DX, AX")
	p("\tIMULQ %s, AX", f.arg("stride"))
	p("\tSUBQ %s, AX", f.arg("pad"))
	p("\tMOVQ AX, R11")
	p("\tIMULQ R8, R11")
	p("\tADDQ SI, R11")
	p("\tXORQ R13, R13")
	p("\tMOVQ R10, R14")
	// A window wholly inside the plane, as most are, takes its three
	// rows without a test each: the first row starts the maxima.
	p("\tTESTQ AX, AX")
	p("\tJLT %sdown", name)
	p("\tLEAQ 2(AX), R15")
	p("\tCMPQ R15, R9")
	p("\tJGE %sdown", name)
	p("\tLEAQ (R11)(R8*1), R15")
	p("\tLEAQ (R11)(R8*2), AX")
	p("%sinside:", name)
	chunkMask("K1", name+"insidemask")
	p("\tVMOVUPS.Z (R11)(R13*1), K2, Z0")
	p("\tVMOVUPS.Z (R15)(R13*1), K2, Z1")
	maxNaN("Z1", "Z0")
	p("\tVMOVUPS.Z (AX)(R13*1), K2, Z1")
	maxNaN("Z1", "Z0")
	p("\tVMOVUPS Z0, K2, 64(BX)(R13*1)")
	p("\tADDQ $64, R13")
	p("\tDECQ R14")
	p("\tJNZ %sinside", name)
	p("\tJMP %snextrow", name)
	p("%sdown:", name)
	chunkMask("K1", name+"downmask")
	p("\tVMOVAPS Z31, Z0")
	for k := 0; k < 3; k++ {
		skip := fmt.Sprintf("%sskip%d", name, k)
		p("\tLEAQ %d(AX), R15", k)
		p("\tTESTQ R15, R15")
		p("\tJLT %s", skip)
		p("\tCMPQ R15, R9")
		p("\tJGE %s", skip)
		switch k {
		case 0:
			p("\tMOVQ R11, R15")
		case 1:
			p("\tLEAQ (R11)(R8*1), R15")
		case 2:
			p("\tLEAQ (R11)(R8*2), R15")
		}
		p("\tVMOVUPS.Z (R15)(R13*1), K2, Z1")
		maxNaN("Z1", "Z0")
		p("%s:", skip)
	}
	p("\tVMOVUPS Z0, K2, 64(BX)(R13*1)")
	p("\tADDQ $64, R13")
	p("\tDECQ R14")
	p("\tJNZ %sdown", name)
	p("%snextrow:", name)
	nextTmpRow()
	p("\tINCQ DX")
	p("\tCMPQ DX, %s", f.arg("oh"))
	p("\tJLT %srow", name)
	// Across: BX at the row of tmp, R12 at the output row, DX its index.
	p("\tMOVQ %s, BX", f.arg("tmp"))
	p("\tMOVQ DI, R12")
	p("\tXORQ DX, DX")
	p("%sacross:", name)
	// R15 at tmp's column -pad, the window's first.
	p("\tMOVQ %s, R15", f.arg("pad"))
	p("\tSHLQ $2, R15")
	p("\tNEGQ R15")
	p("\tLEAQ 64(BX)(R15*1), R15")
	p("\tXORQ R13, R13") // the output chunk's bytes
	p("\tMOVQ %s, R14", f.arg("ow"))
	p("\tADDQ $15, R14")
	p("\tSHRQ $4, R14")
	p("\tCMPQ %s, $2", f.arg("stride"))
	p("\tJEQ %sacross2", name)
	p("%sacross1:", name)
	chunkMask("K5", name+"across1mask")
	p("\tVMOVUPS (R15)(R13*1), Z0")
	for k := 1; k < 3; k++ {
		p("\tVMOVUPS %d(R15)(R13*1), Z1", 4*k)
		maxNaN("Z1", "Z0")
	}
	p("\tVMOVUPS Z0, K2, (R12)(R13*1)")
	p("\tADDQ $64, R13")
	p("\tDECQ R14")
	p("\tJNZ %sacross1", name)
	p("\tJMP %snextout", name)
	p("%sacross2:", name)
	chunkMask("K5", name+"across2mask")
	for k := 0; k < 3; k++ {
		dst := "Z0"
		if k > 0 {
			dst = "Z1"
		}
		p("\tVMOVUPS %d(R15)(R13*2), Z12", 4*k)
		p("\tVMOVUPS %d(R15)(R13*2), Z13", 4*k+64)
		p("\tVMOVAPS Z30, %s", dst)
		p("\tVPERMI2PS Z13, Z12, %s", dst) // the even columns of the 32
		if k > 0 {
			maxNaN("Z1", "Z0")
		}
	}
	p("\tVMOVUPS Z0, K2, (R12)(R13*1)")
	p("\tADDQ $64, R13")
	p("\tDECQ R14")
	p("\tJNZ %sacross2", name)
	p("%snextout:", name)
	p("\tMOVQ %s, R15", f.arg("ow"))
	p("\tLEAQ (R12)(R15*4), R12")
	nextTmpRow()
	p("\tINCQ DX")
	p("\tCMPQ DX, %s", f.arg("oh"))
	p("\tJLT %sacross", name)
	p("\tMOVQ R9, R15")
	p("\tIMULQ R8, R15")
	p("\tADDQ R15, SI")
	p("\tMOVQ R12, DI")
	p("\tDECQ CX")
	p("\tJNZ %splane", name)
	p("%sdone:", name)
	p("\tVZEROUPPER")
	p("\tRET")
}
