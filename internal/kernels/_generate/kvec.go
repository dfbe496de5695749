package main

import "fmt"

// forward writes a kernel for two output rows of width positions and S
// taps a row: an accumulator a position, the S weight vectors of an
// input row (c, r) in registers, and each input value broadcast once and
// multiplied by every weight whose output lies in the tile. The two
// output rows take turns, so that consecutive updates of an accumulator
// lie far enough apart for the FMA's latency.
func forward(S, width int) {
	name := fmt.Sprintf("kvecForward%dx2x%dAVX512", S, width)
	f := start(name, "("+kvecForwardParams+")", fmt.Sprintf(`
%s computes two rows of %s of a convolution's output with 16
channels, each position's channels a vector, y's second row ldy after
its first: for ncr input rows x[offs[r]:] (the second output row's wp
further on), %d taps each, and weights w, 16 channels a tap (s, which it
does not read, is %d):

	for t := range 2 {
		for j := range %d {
			for k := range 16 {
				sum := bias[k]
				for r := range ncr {
					for q := range %d {
						sum += x[offs[r]+t*wp+j+q] * w[(r*%d+q)*16+k]
					}
				}
				y[t*ldy+j*16+k] = sum
			}
		}
	}
`, name, count(width, "position"), S, S, width, S, S))
	acc := func(t, j int) int { return t*width + j }
	wreg := func(s int) int { return 2*width + s }
	loadForwardArgs(f)
	p("\tMOVQ %s, R11", f.arg("y"))
	p("\tMOVQ %s, R12", f.arg("ldy"))
	p("\tSHLQ $2, R12")
	p("\tVMOVUPS (AX), Z31")
	for a := 0; a < 2*width; a++ {
		p("\tVMOVAPS Z31, Z%d", a)
	}
	p("%srow:", name)
	p("\tMOVQ (R8), R10")
	p("\tLEAQ (SI)(R10*4), R10")
	p("\tADDQ $8, R8")
	for s := 0; s < S; s++ {
		p("\tVMOVUPS %d(DI), Z%d", 64*s, wreg(s))
	}
	p("\tADDQ $%d, DI", 64*S)
	for i := 0; i < width+S-1; i++ {
		for t := 0; t < 2; t++ {
			b := 30 + t
			index := ""
			if t == 1 {
				index = "(R9*1)"
			}
			p("\tVBROADCASTSS %d(R10)%s, Z%d", 4*i, index, b)
			for s := 0; s < S; s++ {
				if j := i - s; j >= 0 && j < width {
					p("\tVFMADD231PS Z%d, Z%d, Z%d", wreg(s), b, acc(t, j))
				}
			}
		}
	}
	p("\tDECQ CX")
	p("\tJNZ %srow", name)
	for j := 0; j < width; j++ {
		p("\tVMOVUPS Z%d, %d(R11)", acc(0, j), 64*j)
	}
	p("\tADDQ R12, R11")
	for j := 0; j < width; j++ {
		p("\tVMOVUPS Z%d, %d(R11)", acc(1, j), 64*j)
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

// weightGrad writes the weight gradient's kernel for R×S taps: an
// accumulator a tap, Z31 the output gradient at one position. Input row
// r of a tap is addressed from the position's row as r times the row
// length: R9 is one row, R10 three.
//
// With bias, it also sums the output gradient into db, in one more
// accumulator.
func weightGrad(R, S int, bias bool) {
	name := fmt.Sprintf("kvecWeightGrad%dx%dAVX512", R, S)
	params := "x *float32, wp int, dy *float32, ldDy, oh, ow int, dw *float32"
	if bias {
		name = fmt.Sprintf("kvecWeightGrad%dx%dBiasAVX512", R, S)
		params += ", db *float32"
	}
	rowIndex := []string{"", "(R9*1)", "(R9*2)", "(R10*1)", "(R9*4)"}
	biasDoc, biasLine := "", ""
	if bias {
		biasDoc, biasLine = ", and into db the bias's gradient", "\n\t\t\t\tdb[k] += g"
	}
	doc := fmt.Sprintf(`
%s adds into dw the gradient of a convolution's %d×%d weights for 16
output channels, a tap's channels a vector, given x, rows wp apart, and
the output gradient dy over oh rows, ldDy apart, of ow positions of 16
channels%s:

	for i := range oh {
		for j := range ow {
			for k := range 16 {
				g := dy[i*ldDy+j*16+k]
				for r := range %d {
					for q := range %d {
						dw[(r*%d+q)*16+k] += x[(i+r)*wp+j+q] * g
					}
				}%s
			}
		}
	}
`, name, R, S, biasDoc, R, S, S, biasLine)
	f := start(name, "("+params+")", doc)
	p("\tMOVQ %s, SI", f.arg("x"))
	p("\tMOVQ %s, R9", f.arg("wp"))
	p("\tSHLQ $2, R9")
	p("\tLEAQ (R9)(R9*2), R10")
	p("\tMOVQ %s, DI", f.arg("dy"))
	p("\tMOVQ %s, R8", f.arg("ldDy"))
	p("\tSHLQ $2, R8")
	p("\tMOVQ %s, CX", f.arg("oh"))
	p("\tMOVQ %s, DX", f.arg("ow"))
	p("\tMOVQ %s, AX", f.arg("dw"))
	for t := 0; t < R*S; t++ {
		p("\tVMOVUPS %d(AX), Z%d", 64*t, t)
	}
	if bias {
		p("\tMOVQ %s, R13", f.arg("db"))
		p("\tVMOVUPS (R13), Z%d", R*S)
	}
	p("%srow:", name)
	p("\tMOVQ SI, R11")
	p("\tMOVQ DI, R12")
	p("\tMOVQ DX, BX")
	p("%scol:", name)
	p("\tVMOVUPS (R12), Z31")
	for r := 0; r < R; r++ {
		for s := 0; s < S; s++ {
			p("\tVFMADD231PS.BCST %d(R11)%s, Z31, Z%d", 4*s, rowIndex[r], r*S+s)
		}
	}
	if bias {
		p("\tVADDPS Z31, Z%d, Z%d", R*S, R*S)
	}
	p("\tADDQ $4, R11")
	p("\tADDQ $64, R12")
	p("\tDECQ BX")
	p("\tJNZ %scol", name)
	p("\tADDQ R9, SI")
	p("\tADDQ R8, DI")
	p("\tDECQ CX")
	p("\tJNZ %srow", name)
	for t := 0; t < R*S; t++ {
		p("\tVMOVUPS Z%d, %d(AX)", t, 64*t)
	}
	if bias {
		p("\tVMOVUPS Z%d, (R13)", R*S)
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

// inputGrad writes the input gradient's kernel for one input row of
// every channel: 16 columns, each an accumulator whose lanes are the 16
// output channels of its partial sum, then a tree of shuffles and adds
// that leaves column j's sum in lane j.
//
// With ow > 0 the kernel is for S taps, ow output columns and no padding
// (16 >= ow+S-1 input columns): tap t then only touches the columns j
// whose position j+t holds an output gradient, S-1 <= j+t < S-1+ow, and
// skips the products with the zeros around; and the weights stay in
// registers while each output gradient is loaded once. With ow == 0 it takes S at
// run time and multiplies every column by every tap.
func inputGrad(S, ow int) {
	name := "kvecInputGradAVX512"
	if ow > 0 {
		name = fmt.Sprintf("kvecInputGrad%dx%dAVX512", S, ow)
	}
	// Simulate the reduction on accumulators 0-15 to learn which
	// accumulator ends in which lane: column j is given that one.
	col, res := reduceTree(nil)
	doc := `
kvecInputGradAVX512 computes one row of 16 columns of a convolution's
input gradient for each of c channels, the sums over nkb blocks of 16
output channels of dy (dyKb apart), nr rows each (ldRow apart), and s
taps, dy holding a position's 16 channels in a vector and w a tap's 16
(blocks wKb apart, channels wC); it stores the n columns of mask =
1<<n - 1 in out (rows ldOut apart), or adds them if add is not 0:

	for ch := range c {
		for j := range n {
			var sum float32
			for b := range nkb {
				for r := range nr {
					for q := range s {
						for k := range 16 {
							sum += dy[b*dyKb+r*ldRow+(j+q)*16+k] * w[ch*wC+b*wKb+(r*s+q)*16+k]
						}
					}
				}
			}
			if add != 0 {
				out[ch*ldOut+j] += sum
			} else {
				out[ch*ldOut+j] = sum
			}
		}
	}
`
	if ow > 0 {
		doc = fmt.Sprintf(`
%s is kvecInputGradAVX512 for s = %d and dy rows of %s
between zeros: it skips the taps q of column j whose position u = j+q
lies outside [%d, %d), as if the innermost loop were

	if u := j + q; u >= %d && u < %d {
		for k := range 16 {
			sum += dy[b*dyKb+r*ldRow+u*16+k] * w[ch*wC+b*wKb+(r*s+q)*16+k]
		}
	}
`, name, S, count(ow, "output gradient"), S-1, S-1+ow, S-1, S-1+ow)
	}
	f := start(name, "("+inputGradParams+")", doc)
	p("\tMOVQ %s, SI", f.arg("dy"))
	p("\tMOVQ %s, R8", f.arg("ldRow"))
	p("\tSHLQ $2, R8")
	p("\tMOVQ %s, R9", f.arg("dyKb"))
	p("\tSHLQ $2, R9")
	p("\tMOVQ %s, DI", f.arg("w"))
	// A block's rows advance the weights by nr*s vectors: R10 takes
	// them on to the next block's.
	p("\tMOVQ %s, R10", f.arg("nr"))
	p("\tIMULQ %s, R10", f.arg("s"))
	p("\tSHLQ $6, R10")
	p("\tNEGQ R10")
	p("\tMOVQ %s, CX", f.arg("wKb"))
	p("\tLEAQ (R10)(CX*4), R10")
	p("\tMOVQ %s, AX", f.arg("c"))
	p("%schannel:", name)
	for a := 0; a < 16; a++ {
		p("\tVXORPS Z%d, Z%d, Z%d", a, a, a)
	}
	p("\tMOVQ SI, R14")
	p("\tMOVQ DI, R12")
	p("\tMOVQ %s, CX", f.arg("nkb"))
	p("%sblock:", name)
	p("\tMOVQ R14, R11")
	p("\tMOVQ %s, BX", f.arg("nr"))
	p("%srow:", name)
	if ow > 0 {
		// The row's S weight vectors in Z16 on, each output gradient
		// vector loaded once into Z21 or Z22 and multiplied by every
		// weight whose column lies in the row.
		for t := 0; t < S; t++ {
			p("\tVMOVUPS %d(R12), Z%d", 64*t, 16+t)
		}
		p("\tADDQ $%d, R12", 64*S)
		// The positions alternate between the halves of the row, so
		// that updates of one accumulator lie some FMAs apart.
		var order []int
		half := (ow + 1) / 2
		for k := 0; k < half; k++ {
			order = append(order, S-1+k)
			if k+half < ow {
				order = append(order, S-1+k+half)
			}
		}
		for n, u := range order {
			d := 21 + n%2
			p("\tVMOVUPS %d(R11), Z%d", 64*u, d)
			for t := 0; t < S; t++ {
				if j := u - t; j >= 0 && j < 16 {
					p("\tVFMADD231PS Z%d, Z%d, Z%d", 16+t, d, col[j])
				}
			}
		}
	} else {
		p("\tMOVQ R11, DX")
		p("\tMOVQ %s, R13", f.arg("s"))
		p("%stap:", name)
		p("\tVMOVUPS (R12), Z16")
		p("\tADDQ $64, R12")
		for j := 0; j < 16; j++ {
			p("\tVFMADD231PS %d(DX), Z16, Z%d", 64*j, col[j])
		}
		p("\tADDQ $64, DX")
		p("\tDECQ R13")
		p("\tJNZ %stap", name)
	}
	p("\tADDQ R8, R11")
	p("\tDECQ BX")
	p("\tJNZ %srow", name)
	p("\tADDQ R9, R14")
	p("\tADDQ R10, R12")
	p("\tDECQ CX")
	p("\tJNZ %sblock", name)
	reduceTree(p)
	p("\tMOVQ %s, DX", f.arg("out"))
	p("\tMOVQ %s, CX", f.arg("mask"))
	p("\tKMOVW CX, K1")
	p("\tMOVQ %s, CX", f.arg("add"))
	p("\tTESTQ CX, CX")
	p("\tJZ %sstore", name)
	p("\tVMOVUPS.Z (DX), K1, Z17")
	p("\tVADDPS Z17, Z%d, Z%d", res, res)
	p("%sstore:", name)
	p("\tVMOVUPS Z%d, K1, (DX)", res)
	// Next channel: its output row and its weights.
	p("\tMOVQ %s, CX", f.arg("ldOut"))
	p("\tLEAQ (DX)(CX*4), DX")
	p("\tMOVQ DX, %s", f.arg("out"))
	p("\tMOVQ %s, CX", f.arg("wC"))
	p("\tLEAQ (DI)(CX*4), DI")
	p("\tDECQ AX")
	p("\tJNZ %schannel", name)
	p("\tVZEROUPPER")
	p("\tRET")
}

// transpose writes the kernel that transposes a rows×cols block (both at
// most 16): rows loaded with a lane mask into Z0-Z15 (the rest zero),
// four rounds of shuffles, and cols rows stored with a lane mask.
func transpose() {
	name := "kvecTransposeAVX512"
	f := start(name, "(src *float32, lds, rows, cols int, dst *float32, ldd int)", `
kvecTransposeAVX512 transposes a block of rows×cols values, both at most
16; the results are exact:

	for i := range rows {
		for j := range cols {
			dst[j*ldd+i] = src[i*lds+j]
		}
	}
`)
	p("\tMOVQ %s, SI", f.arg("src"))
	p("\tMOVQ %s, R8", f.arg("lds"))
	p("\tSHLQ $2, R8")
	p("\tMOVQ %s, DX", f.arg("rows"))
	p("\tMOVQ %s, R11", f.arg("cols"))
	p("\tMOVQ %s, DI", f.arg("dst"))
	p("\tMOVQ %s, R9", f.arg("ldd"))
	p("\tSHLQ $2, R9")
	p("\tMOVQ R11, CX")
	p("\tMOVQ $1, AX")
	p("\tSHLQ CX, AX")
	p("\tDECQ AX")
	p("\tKMOVW AX, K1")
	p("\tMOVQ DX, CX")
	p("\tMOVQ $1, AX")
	p("\tSHLQ CX, AX")
	p("\tDECQ AX")
	p("\tKMOVW AX, K2")
	for r := 0; r < 16; r++ {
		p("\tVXORPS Z%d, Z%d, Z%d", r, r, r)
	}
	for r := 0; r < 16; r++ {
		p("\tCMPQ DX, $%d", r)
		p("\tJLE %sloaded", name)
		p("\tVMOVUPS.Z (SI), K1, Z%d", r)
		p("\tADDQ R8, SI")
	}
	p("%sloaded:", name)
	cols := transpose16()
	for l, reg := range cols {
		p("\tCMPQ R11, $%d", l)
		p("\tJLE %sdone", name)
		p("\tVMOVUPS Z%d, K2, (DI)", reg)
		p("\tADDQ R9, DI")
	}
	p("%sdone:", name)
	p("\tVZEROUPPER")
	p("\tRET")
}

// transpose16 writes the four rounds of shuffles that transpose Z0-Z15,
// row i of a 16×16 block in Zi, using Z16-Z31 as they go, and returns
// the register that holds each column: lane i of column l's is row i's
// lane l (the simulation checks it).
func transpose16() (cols [16]int) {
	sh := newShuffler(p)
	regs, op := sh.regs, sh.op
	unpckLo := func(a, b lanes) lanes { return unpck(a, b, false) }
	unpckHi := func(a, b lanes) lanes { return unpck(a, b, true) }
	shuf := func(imm int) func(a, b lanes) lanes {
		return func(a, b lanes) lanes { return shufps(a, b, imm) }
	}
	shuf4 := func(imm int) func(a, b lanes) lanes {
		return func(a, b lanes) lanes { return shuff32x4(a, b, imm) }
	}
	// Round 1: Z16+i from pairs of rows; round 2 back into Z0-Z15; rounds
	// 3 and 4 over 128-bit quarters, the same way.
	for i := 0; i < 8; i++ {
		op("VUNPCKLPS", -1, 2*i, 2*i+1, 16+2*i, unpckLo)
		op("VUNPCKHPS", -1, 2*i, 2*i+1, 16+2*i+1, unpckHi)
	}
	for g := 0; g < 4; g++ {
		b := 16 + 4*g
		op("VSHUFPS", 0x44, b, b+2, 4*g, shuf(0x44))
		op("VSHUFPS", 0xEE, b, b+2, 4*g+1, shuf(0xEE))
		op("VSHUFPS", 0x44, b+1, b+3, 4*g+2, shuf(0x44))
		op("VSHUFPS", 0xEE, b+1, b+3, 4*g+3, shuf(0xEE))
	}
	for h := 0; h < 2; h++ {
		for i := 0; i < 4; i++ {
			a := 8*h + i
			op("VSHUFF32X4", 0x88, a, a+4, 16+8*h+i, shuf4(0x88))
			op("VSHUFF32X4", 0xDD, a, a+4, 16+8*h+4+i, shuf4(0xDD))
		}
	}
	for i := 0; i < 8; i++ {
		op("VSHUFF32X4", 0x88, 16+i, 24+i, i, shuf4(0x88))
		op("VSHUFF32X4", 0xDD, 16+i, 24+i, 8+i, shuf4(0xDD))
	}
	for l := range cols {
		cols[l] = -1
		for r := 0; r < 16; r++ {
			ok := true
			for i := 0; i < 16; i++ {
				if regs[r][i] != single(i, l) {
					ok = false
				}
			}
			if ok {
				cols[l] = r
			}
		}
		if cols[l] < 0 {
			panic(fmt.Sprintf("no register holds column %d", l))
		}
	}
	return cols
}
