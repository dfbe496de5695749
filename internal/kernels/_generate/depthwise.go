package main

import "fmt"

// depthwiseKernels writes the AVX-512 kernels of the 3×3 depthwise
// convolution with stride 1 along rows (depthwise.go): the forward pass,
// which the input gradient also runs (on the padded output gradient, with
// the weights reversed), and the weight gradient. Rows go in chunks of 16
// outputs; the last chunk (1 to 16) is read and written under mask.
func depthwiseKernels() {
	dwConv3x3Kernel()
	dwGrad3x3Kernel()
}

// dwRows loads the pointers of one output row: R12, R13 and R14 at the
// three input rows it reads (from SI, ldx bytes in R8 apart), R11 at the
// output (or output-gradient) row (from DI), and BX the whole chunks
// before the last; it jumps to <name>tail if there are none.
func dwRows(name string) {
	p("%srow:", name)
	p("\tMOVQ SI, R12")
	p("\tLEAQ (SI)(R8*1), R13")
	p("\tLEAQ (SI)(R8*2), R14")
	p("\tMOVQ DI, R11")
	p("\tMOVQ R10, BX")
	p("\tTESTQ BX, BX")
	p("\tJZ %stail", name)
	p("%schunk:", name)
}

// dwArgs loads a depthwise kernel's sizes: SI and DI at the input and
// the output (gradient), CX the rows, DX the columns, R8 the bytes between
// input rows, R9 the bytes between the first input rows of consecutive
// output rows, R10 the whole chunks before a row's last, K1 the last
// chunk's mask.
func dwArgs(f *function, out string) {
	p("\tMOVQ %s, SI", f.arg("x"))
	p("\tMOVQ %s, DI", f.arg(out))
	p("\tMOVQ %s, CX", f.arg("rows"))
	p("\tMOVQ %s, DX", f.arg("cols"))
	p("\tMOVQ %s, R8", f.arg("ldx"))
	p("\tSHLQ $2, R8")
	p("\tMOVQ %s, R9", f.arg("xstep"))
	p("\tSHLQ $2, R9")
	p("\tLEAQ -1(DX), R10") // whole chunks before the last: (cols-1)/16
	p("\tSHRQ $4, R10")
	p("\tKMOVW %s, K1", f.arg("mask"))
}

// dwTaps are the input row register and byte offset of each of the nine
// taps, in the weights' order.
var dwTaps = func() (taps [9]string) {
	for r, row := range []string{"R12", "R13", "R14"} {
		for s := 0; s < 3; s++ {
			taps[3*r+s] = fmt.Sprintf("%d(%s)", 4*s, row)
		}
	}
	return taps
}()

// dwNextRow ends a depthwise kernel's row loop: the pointers move to the
// next output row (SI by R9 bytes, DI by cols floats).
func dwNextRow(name string) {
	p("\tADDQ R9, SI")
	p("\tLEAQ (DI)(DX*4), DI")
	p("\tDECQ CX")
	p("\tJNZ %srow", name)
}

func dwConv3x3Kernel() {
	const name = "dwConv3x3AVX512"
	f := start(name, "(x *float32, ldx, xstep int, y *float32, rows, cols int, w *[10]float32, mask uint16)", `
dwConv3x3AVX512 sets y, rows rows of cols values, to the 3×3
correlation of x with w[:9], plus w[9]: output row i reads the three
input rows from i*xstep on, ldx apart. mask holds the lanes of a row's
last chunk of 16 outputs, dwMask(cols):

	for i := range rows {
		for j := range cols {
			s := w[9]
			for r := range 3 {
				for c := range 3 {
					s += w[3*r+c] * x[i*xstep+r*ldx+j+c]
				}
			}
			y[i*cols+j] = s
		}
	}
`)
	dwArgs(f, "y")
	p("\tMOVQ %s, AX", f.arg("w"))
	for k := 0; k < 10; k++ {
		p("\tVBROADCASTSS %d(AX), Z%d", 4*k, k)
	}
	dwRows(name)
	p("\tVMOVAPS Z9, Z10")
	for k, tap := range dwTaps {
		p("\tVFMADD231PS %s, Z%d, Z10", tap, k)
	}
	p("\tVMOVUPS Z10, (R11)")
	for _, reg := range []string{"R12", "R13", "R14", "R11"} {
		p("\tADDQ $64, %s", reg)
	}
	p("\tDECQ BX")
	p("\tJNZ %schunk", name)
	p("%stail:", name)
	p("\tVMOVAPS Z9, Z10")
	for k, tap := range dwTaps {
		p("\tVMOVUPS.Z %s, K1, Z%d", tap, 11+k%4)
		p("\tVFMADD231PS Z%d, Z%d, Z10", 11+k%4, k)
	}
	p("\tVMOVUPS Z10, K1, (R11)")
	dwNextRow(name)
	p("\tVZEROUPPER")
	p("\tRET")
}

func dwGrad3x3Kernel() {
	const name = "dwGrad3x3AVX512"
	f := start(name, "(x *float32, ldx, xstep int, dy *float32, rows, cols int, acc *[144]float32, mask uint16)", `
dwGrad3x3AVX512 adds into acc the weight gradient of
dwConv3x3AVX512, given dy, the gradient of its output: tap k's sum in
16 lanes, acc[16*k:16*k+16], lane l summing the columns j with j%16 ==
l. mask is dwMask(cols):

	for i := range rows {
		for j := range cols {
			g := dy[i*cols+j]
			for r := range 3 {
				for c := range 3 {
					acc[16*(3*r+c)+j%16] += g * x[i*xstep+r*ldx+j+c]
				}
			}
		}
	}
`)
	dwArgs(f, "dy")
	p("\tMOVQ %s, AX", f.arg("acc"))
	for k := 0; k < 9; k++ {
		p("\tVMOVUPS %d(AX), Z%d", 64*k, k)
	}
	dwRows(name)
	p("\tVMOVUPS (R11), Z9")
	for k, tap := range dwTaps {
		p("\tVFMADD231PS %s, Z9, Z%d", tap, k)
	}
	for _, reg := range []string{"R12", "R13", "R14", "R11"} {
		p("\tADDQ $64, %s", reg)
	}
	p("\tDECQ BX")
	p("\tJNZ %schunk", name)
	p("%stail:", name)
	p("\tVMOVUPS.Z (R11), K1, Z9")
	for k, tap := range dwTaps {
		p("\tVMOVUPS.Z %s, K1, Z%d", tap, 10+k%4)
		p("\tVFMADD231PS Z%d, Z9, Z%d", 10+k%4, k)
	}
	dwNextRow(name)
	for k := 0; k < 9; k++ {
		p("\tVMOVUPS Z%d, %d(AX)", k, 64*k)
	}
	p("\tVZEROUPPER")
	p("\tRET")
}
