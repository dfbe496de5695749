package main

import (
	"fmt"
	"math"
)

// copyRowsKernel copies rows of floats between strided matrices, adding
// a constant on the way, and returns the sum of what it read: the moves
// between a convolution's extended output grid and its dense output (with
// the bias), and back for the output gradient (whose sum is the bias
// gradient). A row is chunks whole vectors, then one under the mask tail.
func copyRowsKernel() {
	const name = "copyRowsAVX512"
	f := start(name, "(dst *float32, ldd int, src *float32, lds, rows, chunks, tail int, add, floor float32) float32", `
copyRowsAVX512 copies rows of 16*chunks + t values of src to dst, where
tail = 1<<t - 1 (t < 16) is the lane mask of the last vector, adding add
and raising what is below floor to it (NaN stays NaN), and returns the
sum of what it read; the copies are exact:

	var sum float32
	for r := range rows {
		for c := range 16*chunks + t {
			v := src[r*lds+c]
			sum += v
			v += add
			if floor > v {
				v = floor
			}
			dst[r*ldd+c] = v
		}
	}
	return sum
`)
	rowsLoop(f, name, func() {
		p("\tVBROADCASTSS %s, Z1", f.arg("add"))
		p("\tVBROADCASTSS %s, Z4", f.arg("floor"))
		p("\tVXORPS Z2, Z2, Z2")
	}, func(load, store string) {
		p("\t%s", load)
		p("\tVADDPS Z0, Z2, Z2")
		p("\tVADDPS Z1, Z0, Z0")
		p("\tVMAXPS Z0, Z4, Z0") // Z0 second: NaN stays NaN
		p("\t%s", store)
	})
	p("\tVEXTRACTF64X4 $1, Z2, Y3")
	p("\tVADDPS Y3, Y2, Y2")
	p("\tVEXTRACTF128 $1, Y2, X3")
	p("\tVADDPS X3, X2, X2")
	p("\tVMOVHLPS X2, X2, X3")
	p("\tVADDPS X3, X2, X2")
	p("\tVMOVSHDUP X2, X3")
	p("\tVADDSS X3, X2, X2")
	p("\tVMOVSS X2, %s", f.arg("ret"))
	p("\tVZEROUPPER")
	p("\tRET")
}

// bytesToUnitKernel writes dst[i] = float32(src[i])/255 for n a multiple
// of 16: bytes widened to int32, converted, and divided (not multiplied by
// a rounded 1/255), so that every value is the correctly rounded quotient.
func bytesToUnitKernel() {
	const name = "bytesToUnitAVX512"
	f := start(name, "(src *uint8, dst *float32, n int)", `
bytesToUnitAVX512 converts the whole vectors of 16 in n bytes to floats
in [0, 1]; the results are exact (the correctly rounded quotients):

	for i := range n &^ 15 {
		dst[i] = float32(src[i]) / 255
	}
`)
	p("\tMOVQ %s, SI", f.arg("src"))
	p("\tMOVQ %s, DI", f.arg("dst"))
	p("\tMOVQ %s, CX", f.arg("n"))
	p("\tSHRQ $4, CX")
	p("\tJZ %sdone", name)
	p("\tMOVL $0x%08x, AX // 255", math.Float32bits(255))
	p("\tVPBROADCASTD AX, Z1")
	p("%sloop:", name)
	p("\tVPMOVZXBD (SI), Z0")
	p("\tVCVTDQ2PS Z0, Z0")
	p("\tVDIVPS Z1, Z0, Z0")
	p("\tVMOVUPS Z0, (DI)")
	p("\tADDQ $16, SI")
	p("\tADDQ $64, DI")
	p("\tDECQ CX")
	p("\tJNZ %sloop", name)
	p("%sdone:", name)
	p("\tVZEROUPPER")
	p("\tRET")
}

// addKernel writes z = x + y for the whole vectors of 16 in n, four at a
// time while there are four.
func addKernel() {
	const name = "addAVX512"
	f := start(name, "(x, y, z *float32, n int)", `
addAVX512 sets z to the sums of x and y for the whole vectors of 16 in n;
z may be x or y; the results are exact:

	for i := range n &^ 15 {
		z[i] = x[i] + y[i]
	}
`)
	p("\tMOVQ %s, SI", f.arg("x"))
	p("\tMOVQ %s, DX", f.arg("y"))
	p("\tMOVQ %s, DI", f.arg("z"))
	p("\tMOVQ %s, CX", f.arg("n"))
	p("\tSHRQ $4, CX")
	p("\tJZ %sdone", name)
	p("%sfour:", name)
	p("\tCMPQ CX, $4")
	p("\tJL %sloop", name)
	for i := 0; i < 4; i++ {
		p("\tVMOVUPS %d(SI), Z%d", 64*i, i)
	}
	for i := 0; i < 4; i++ {
		p("\tVADDPS %d(DX), Z%d, Z%d", 64*i, i, i)
	}
	for i := 0; i < 4; i++ {
		p("\tVMOVUPS Z%d, %d(DI)", i, 64*i)
	}
	p("\tADDQ $256, SI")
	p("\tADDQ $256, DX")
	p("\tADDQ $256, DI")
	p("\tSUBQ $4, CX")
	p("\tJNZ %sfour", name)
	p("\tJMP %sdone", name)
	p("%sloop:", name)
	p("\tVMOVUPS (SI), Z0")
	p("\tVADDPS (DX), Z0, Z0")
	p("\tVMOVUPS Z0, (DI)")
	endLoop(name, 64, "SI", "DX", "DI")
}

// copyEvensKernel writes dst[i] = src[2*i] for the whole vectors of 16 in
// n, taking the even lanes of each 32 inputs with VPERMI2PS (the index
// vector of the 2×2 poolings): a stride-2 row of patches for im2col.
func copyEvensKernel() {
	const name = "copyEvensAVX512"
	f := start(name, "(src, dst *float32, n int)", `
copyEvensAVX512 copies every other element of src, from the first, for
the whole vectors of 16 in n; it reads src up to element 32*(n/16)-1:

	for i := range n &^ 15 {
		dst[i] = src[2*i]
	}
`)
	p("\tMOVQ %s, SI", f.arg("src"))
	p("\tMOVQ %s, DI", f.arg("dst"))
	p("\tMOVQ %s, CX", f.arg("n"))
	p("\tSHRQ $4, CX")
	p("\tJZ %sdone", name)
	p("\tVMOVUPS poolIdx<>+0(SB), Z30")
	p("%sloop:", name)
	p("\tVMOVUPS (SI), Z0")
	p("\tVMOVUPS 64(SI), Z1")
	p("\tVMOVAPS Z30, Z2")
	p("\tVPERMI2PS Z1, Z0, Z2")
	p("\tVMOVUPS Z2, (DI)")
	p("\tADDQ $128, SI")
	p("\tADDQ $64, DI")
	p("\tDECQ CX")
	p("\tJNZ %sloop", name)
	p("%sdone:", name)
	p("\tVZEROUPPER")
	p("\tRET")
}

// copyEvenRowsKernel writes copyEvenRowsAVX512: copyEvensAVX512 over
// rows, with masked loads and stores for a last part vector, so that a
// strided convolution's phase planes (rows of 28 or 14) are split out of
// an image in one call per plane rather than one per row and a scalar
// tail.
func copyEvenRowsKernel() {
	const name = "copyEvenRowsAVX512"
	f := start(name, "(src *float32, lds int, dst *float32, ldd, rows, n int)", `
copyEvenRowsAVX512 copies every other element of each of rows rows of
src, from the first; it reads no element past the last it copies:

	for r := range rows {
		for j := range n {
			dst[r*ldd+j] = src[r*lds+2*j]
		}
	}
`)
	evenRowsLoop(f, 128, 64, func() {
		p("\tVMOVUPS poolIdx<>+0(SB), Z30")
		// K1: the second load of a whole vector, all but its last (odd)
		// lane. The tail of t = n%16 elements reads elements 0 to 2t-2:
		// K2 and K3 the lanes of its two loads, K4 the t lanes it stores.
		p("\tMOVL $0x7fff, AX")
		p("\tKMOVW AX, K1")
		p("\tMOVQ R11, BX")
		p("\tANDQ $15, BX")
		p("\tLEAQ -1(BX)(BX*1), DX") // 2t-1 lanes in all
		p("\tTESTQ BX, BX")
		p("\tJNZ %stailmask", name)
		p("\tXORQ DX, DX")
		p("%stailmask:", name)
		laneMask("DX", "K2", name+"m2")
		p("\tSUBQ $16, DX")
		p("\tMOVL $0, AX")
		p("\tCMPQ DX, $0")
		p("\tJLE %sm3zero", name)
		laneMask("DX", "K3", name+"m3")
		p("\tJMP %sm3done", name)
		p("%sm3zero:", name)
		p("\tKMOVW AX, K3")
		p("%sm3done:", name)
		laneMask("BX", "K4", name+"m4")
	}, func() {
		p("\tVMOVUPS (R12), Z0")
		p("\tVMOVUPS.Z 64(R12), K1, Z1")
		p("\tVMOVAPS Z30, Z2")
		p("\tVPERMI2PS Z1, Z0, Z2")
		p("\tVMOVUPS Z2, (R13)")
	}, func() {
		p("\tVMOVUPS.Z (R12), K2, Z0")
		p("\tVMOVUPS.Z 64(R12), K3, Z1")
		p("\tVMOVAPS Z30, Z2")
		p("\tVPERMI2PS Z1, Z0, Z2")
		p("\tVMOVUPS Z2, K4, (R13)")
	})
}

// evenRowsLoop writes the body of copyEvenRowsAVX512 and
// addEvenRowsAVX512, whose signature f has: the arguments in SI and R8
// (src, its row stride in bytes), DI and R9 (dst's), R10 (rows) and R11
// (n), then setup, which may use AX, BX, CX, DX and the mask registers;
// then for each row whole, run n/16 times with R12 and R13 at the row's
// vector of src and dst (advanced srcStep and dstStep bytes each), and
// tail where BX (n%16) is not 0.
func evenRowsLoop(f *function, srcStep, dstStep int, setup, whole, tail func()) {
	name := f.name
	p("\tMOVQ %s, SI", f.arg("src"))
	p("\tMOVQ %s, R8", f.arg("lds"))
	p("\tSHLQ $2, R8")
	p("\tMOVQ %s, DI", f.arg("dst"))
	p("\tMOVQ %s, R9", f.arg("ldd"))
	p("\tSHLQ $2, R9")
	p("\tMOVQ %s, R10", f.arg("rows"))
	p("\tMOVQ %s, R11", f.arg("n"))
	setup()
	p("\tSHRQ $4, R11") // whole vectors a row
	p("\tTESTQ R10, R10")
	p("\tJLE %sdone", name)
	p("%srow:", name)
	p("\tMOVQ SI, R12")
	p("\tMOVQ DI, R13")
	p("\tMOVQ R11, CX")
	p("\tTESTQ CX, CX")
	p("\tJZ %stail", name)
	p("%sloop:", name)
	whole()
	p("\tADDQ $%d, R12", srcStep)
	p("\tADDQ $%d, R13", dstStep)
	p("\tDECQ CX")
	p("\tJNZ %sloop", name)
	p("%stail:", name)
	p("\tTESTQ BX, BX")
	p("\tJZ %snext", name)
	tail()
	p("%snext:", name)
	p("\tADDQ R8, SI")
	p("\tADDQ R9, DI")
	p("\tDECQ R10")
	p("\tJNZ %srow", name)
	p("%sdone:", name)
	p("\tVZEROUPPER")
	p("\tRET")
}

// addEvenRowsKernel writes addEvenRowsAVX512, the adjoint of
// copyEvenRowsAVX512: a stride-2 convolution's col2im, each row of patch
// gradients added into every other element of an input row. Each 16
// values are spread to the even lanes of two vectors (VPERMPS, each of
// the low and high eight twice), added to dst under masks of those lanes.
func addEvenRowsKernel() {
	const name = "addEvenRowsAVX512"
	f := start(name, "(src *float32, lds int, dst *float32, ldd, rows, n int)", `
addEvenRowsAVX512 adds each of rows rows of n elements of src into every
other element of a row of dst, from the first; it reads and writes no
element of dst but those:

	for r := range rows {
		for j := range n {
			dst[r*ldd+2*j] += src[r*lds+j]
		}
	}
`)
	// spreadAdd spreads the 16 values of Z0 to the even lanes of two
	// vectors and adds them into dst's under the masks lo and hi.
	spreadAdd := func(lo, hi string) {
		p("\tVPERMPS Z0, Z30, Z1")
		p("\tVPERMPS Z0, Z31, Z2")
		p("\tVMOVUPS.Z (R13), %s, Z3", lo)
		p("\tVMOVUPS.Z 64(R13), %s, Z4", hi)
		p("\tVADDPS Z1, Z3, Z3")
		p("\tVADDPS Z2, Z4, Z4")
		p("\tVMOVUPS Z3, %s, (R13)", lo)
		p("\tVMOVUPS Z4, %s, 64(R13)", hi)
	}
	evenRowsLoop(f, 64, 128, func() {
		p("\tVMOVUPS poolIdx<>+128(SB), Z30")
		p("\tVMOVUPS poolIdx<>+192(SB), Z31")
		// K1: the even lanes. The tail of t = n%16 elements: K2 its t
		// lanes of src, K3 and K4 the even lanes of its first min(t, 8)
		// and next max(t-8, 0) elements in dst's two vectors.
		p("\tMOVL $0x5555, AX")
		p("\tKMOVW AX, K1")
		p("\tMOVQ R11, BX")
		p("\tANDQ $15, BX")
		laneMask("BX", "K2", name+"m2")
		for i, k := range []string{"K3", "K4"} {
			lbl := fmt.Sprintf("%sm%d", name, 3+i)
			p("\tMOVQ BX, DX")
			if i == 1 {
				p("\tSUBQ $8, DX")
				p("\tJGE %spos", lbl)
				p("\tXORQ DX, DX")
				p("%spos:", lbl)
			}
			p("\tCMPQ DX, $8")
			p("\tJLE %scap", lbl)
			p("\tMOVQ $8, DX")
			p("%scap:", lbl)
			p("\tSHLQ $1, DX")
			laneMask("DX", k, lbl+"m")
			p("\tKANDW K1, %s, %s", k, k)
		}
	}, func() {
		p("\tVMOVUPS (R12), Z0")
		spreadAdd("K1", "K1")
	}, func() {
		p("\tVMOVUPS.Z (R12), K2, Z0")
		spreadAdd("K3", "K4")
	})
}

// moveRowsKernel writes moveRowsAVX512: copyRowsAVX512 with no
// arithmetic, so that every bit is copied (-0 stays -0), and no sum.
func moveRowsKernel() {
	const name = "moveRowsAVX512"
	f := start(name, "(dst *float32, ldd int, src *float32, lds, rows, chunks, tail int)", `
moveRowsAVX512 copies rows of 16*chunks + t values of src to dst, bit for
bit, where tail = 1<<t - 1 (t < 16) is the lane mask of the last vector:

	for r := range rows {
		copy(dst[r*ldd:r*ldd+16*chunks+t], src[r*lds:])
	}
`)
	rowsLoop(f, name, func() {}, func(load, store string) {
		p("\t%s", load)
		p("\t%s", store)
	})
	p("\tVZEROUPPER")
	p("\tRET")
}

// rowsLoop writes the loops copyRowsAVX512 and moveRowsAVX512 share: with
// f's arguments dst, ldd, src, lds, rows, chunks and tail loaded, and then
// setup's lines, for each of rows rows its chunks whole vectors and, where
// tail is not 0, a last one of tail's lanes (K1), each by body(load,
// store): load takes the vector at (SI)(R10*1) into Z0 (zeroing the lanes
// past the last), store puts Z0 at (DI)(R10*1). It ends at the label
// name+"done", where the caller goes on.
func rowsLoop(f *function, name string, setup func(), body func(load, store string)) {
	p("\tMOVQ %s, DI", f.arg("dst"))
	p("\tMOVQ %s, R8", f.arg("ldd"))
	p("\tSHLQ $2, R8")
	p("\tMOVQ %s, SI", f.arg("src"))
	p("\tMOVQ %s, R9", f.arg("lds"))
	p("\tSHLQ $2, R9")
	p("\tMOVQ %s, CX", f.arg("rows"))
	p("\tMOVQ %s, DX", f.arg("chunks"))
	p("\tMOVQ %s, AX", f.arg("tail"))
	p("\tKMOVW AX, K1")
	setup()
	p("\tTESTQ CX, CX")
	p("\tJZ %sdone", name)
	p("%srow:", name)
	p("\tXORQ R10, R10")
	p("\tMOVQ DX, BX")
	p("\tTESTQ BX, BX")
	p("\tJZ %stail", name)
	p("%schunk:", name)
	body("VMOVUPS (SI)(R10*1), Z0", "VMOVUPS Z0, (DI)(R10*1)")
	p("\tADDQ $64, R10")
	p("\tDECQ BX")
	p("\tJNZ %schunk", name)
	p("%stail:", name)
	p("\tTESTQ AX, AX")
	p("\tJZ %snext", name)
	body("VMOVUPS.Z (SI)(R10*1), K1, Z0", "VMOVUPS Z0, K1, (DI)(R10*1)")
	p("%snext:", name)
	p("\tADDQ R9, SI")
	p("\tADDQ R8, DI")
	p("\tDECQ CX")
	p("\tJNZ %srow", name)
	p("%sdone:", name)
}
