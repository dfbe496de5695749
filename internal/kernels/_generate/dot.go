package main

import "fmt"

// dotKernel writes out[i*nr+j] = sum over k*lanes elements of
// A[i,:]·B[j,:] for mr rows of A (lda apart) and nr rows of B (ldb apart):
// the inner loop of a product with a transposed B and a long k.
//
// With lanesOut (indirect only), the per-lane sums are added into
// out[(i*nr+j)*lanes ...] instead of reduced: a caller that takes many dot
// products into the same outputs reduces once at the end.
func dotKernel(isa, reg string, lanes, mr, nr int, indirect bool, lanesOut ...bool) {
	keepLanes := len(lanesOut) > 0 && lanesOut[0]
	// The AVX-512 kernel of plain rows also takes a last, partial vector
	// under a lane mask.
	tail := !indirect && reg == "Z"
	name := fmt.Sprintf("dotKernel%dx%d%s", mr, nr, isa)
	if indirect {
		name = fmt.Sprintf("dotKernel%dx%dInd%s", mr, nr, isa)
	}
	if keepLanes {
		name = fmt.Sprintf("dotKernel%dx%dIndAcc%s", mr, nr, isa)
	}
	width := lanes * 4
	var f *function
	switch {
	case keepLanes:
		f = start(name, "(k int, a *float32, lda int, b *float32, offs *int, out *float32)", fmt.Sprintf(`
%s adds the lanes' partial sums of the dot products of %d rows of A
with %d rows of B, row j at b[offs[j]:], each %d*k long, into out:

	for i := range %d {
		for j := range %d {
			for l := range %d * k {
				out[(i*%d+j)*%d+l%%%d] += a[i*lda+l] * b[offs[j]+l]
			}
		}
	}
`, name, mr, nr, lanes, mr, nr, lanes, nr, lanes, lanes),
			fmt.Sprintf("out[i*%d+j] = A[i,:k*%d]·B[j,:k*%d] for %d rows of A and %d rows of B,", nr, lanes, lanes, mr, nr),
			"B row j at b+offs[j] elements.")
	case indirect:
		f = start(name, "(k int, a *float32, lda int, b *float32, offs *int, out *float32)", fmt.Sprintf(`
%s computes the dot products of %d rows of A with %d rows of B,
row j at b[offs[j]:], each %d*k long:

	for i := range %d {
		for j := range %d {
			var sum float32
			for l := range %d * k {
				sum += a[i*lda+l] * b[offs[j]+l]
			}
			out[i*%d+j] = sum
		}
	}
`, name, mr, nr, lanes, mr, nr, lanes, nr),
			fmt.Sprintf("out[i*%d+j] = A[i,:k*%d]·B[j,:k*%d] for %d rows of A and %d rows of B,", nr, lanes, lanes, mr, nr),
			"B row j at b+offs[j] elements.")
	case tail:
		f = start(name, "(k int, a *float32, lda int, b *float32, ldb int, out *float32, tail int)", fmt.Sprintf(`
%s computes the dot products of %d rows of A with %d rows of B, each
%d*k + t long, where tail = 1<<t - 1 (t < %d) is the lane mask of the last
vector:

	for i := range %d {
		for j := range %d {
			var sum float32
			for l := range %d*k + t {
				sum += a[i*lda+l] * b[j*ldb+l]
			}
			out[i*%d+j] = sum
		}
	}
`, name, mr, nr, lanes, lanes, mr, nr, lanes, nr),
			fmt.Sprintf("out[i*%d+j] = A[i,:k*%d+t]·B[j,:k*%d+t] for %d rows of A and %d of B, where", nr, lanes, lanes, mr, nr),
			"the t elements past the k vectors are the lanes of the mask tail.")
	default:
		f = start(name, "(k int, a *float32, lda int, b *float32, ldb int, out *float32)", fmt.Sprintf(`
%s computes the dot products of %d rows of A with %d rows of B, each
%d*k long:

	for i := range %d {
		for j := range %d {
			var sum float32
			for l := range %d * k {
				sum += a[i*lda+l] * b[j*ldb+l]
			}
			out[i*%d+j] = sum
		}
	}
`, name, mr, nr, lanes, mr, nr, lanes, nr),
			fmt.Sprintf("out[i*%d+j] = A[i,:k*%d]·B[j,:k*%d] for %d rows of A and %d of B.", nr, lanes, lanes, mr, nr))
	}
	p("\tMOVQ %s, CX", f.arg("k"))
	p("\tMOVQ %s, SI", f.arg("a"))
	p("\tMOVQ %s, R8", f.arg("lda"))
	p("\tSHLQ $2, R8")
	p("\tMOVQ %s, DI", f.arg("b"))
	if indirect {
		p("\tMOVQ %s, R9", f.arg("offs"))
	} else {
		p("\tMOVQ %s, R9", f.arg("ldb"))
		p("\tSHLQ $2, R9")
	}
	// Row pointers: A rows in SI and the next registers, B rows in DI and
	// the ones after; R8 then serves as the offset along the rows.
	gpr := []string{"R10", "R11", "R12", "R13", "R14", "AX", "BX", "DX", "R15"}
	aRow := []string{"SI"}
	for i := 1; i < mr; i++ {
		r := gpr[0]
		gpr = gpr[1:]
		p("\tLEAQ (%s)(R8*1), %s", aRow[i-1], r)
		aRow = append(aRow, r)
	}
	var bRow []string
	if indirect {
		for j := 0; j < nr; j++ {
			r := gpr[0]
			gpr = gpr[1:]
			p("\tMOVQ %d(R9), %s", 8*j, r)
			p("\tLEAQ (DI)(%s*4), %s", r, r)
			bRow = append(bRow, r)
		}
	} else {
		bRow = []string{"DI"}
		for j := 1; j < nr; j++ {
			r := gpr[0]
			gpr = gpr[1:]
			p("\tLEAQ (%s)(R9*1), %s", bRow[j-1], r)
			bRow = append(bRow, r)
		}
	}
	acc := func(i, j int) string { return fmt.Sprintf("%s%d", reg, i*nr+j) }
	bReg := func(j int) string { return fmt.Sprintf("%s%d", reg, mr*nr+j) }
	aReg := fmt.Sprintf("%s%d", reg, mr*nr+nr)
	for i := 0; i < mr*nr; i++ {
		p("\tVXORPS %s%d, %s%d, %s%d", reg, i, reg, i, reg, i)
	}
	p("\tXORQ R8, R8")
	p("\tTESTQ CX, CX")
	if tail {
		p("\tJZ %stail", name)
	} else {
		p("\tJZ %sreduce", name)
	}
	p("%sloop:", name)
	for j := 0; j < nr; j++ {
		p("\tVMOVUPS (%s)(R8*1), %s", bRow[j], bReg(j))
	}
	for i := 0; i < mr; i++ {
		p("\tVMOVUPS (%s)(R8*1), %s", aRow[i], aReg)
		for j := 0; j < nr; j++ {
			p("\tVFMADD231PS %s, %s, %s", bReg(j), aReg, acc(i, j))
		}
	}
	p("\tADDQ $%d, R8", width)
	p("\tDECQ CX")
	p("\tJNZ %sloop", name)
	if tail {
		p("%stail:", name)
		p("\tMOVQ %s, CX", f.arg("tail"))
		p("\tTESTQ CX, CX")
		p("\tJZ %sreduce", name)
		p("\tKMOVW CX, K1")
		for j := 0; j < nr; j++ {
			p("\tVMOVUPS.Z (%s)(R8*1), K1, %s", bRow[j], bReg(j))
		}
		for i := 0; i < mr; i++ {
			p("\tVMOVUPS.Z (%s)(R8*1), K1, %s", aRow[i], aReg)
			for j := 0; j < nr; j++ {
				p("\tVFMADD231PS %s, %s, %s", bReg(j), aReg, acc(i, j))
			}
		}
	}
	p("%sreduce:", name)
	p("\tMOVQ %s, DX", f.arg("out"))
	if keepLanes {
		for i := 0; i < mr*nr; i++ {
			a := acc(i/nr, i%nr)
			p("\tVADDPS %d(DX), %s, %s", i*width, a, a)
			p("\tVMOVUPS %s, %d(DX)", a, i*width)
		}
		p("\tVZEROUPPER")
		p("\tRET")
		return
	}
	// Sum each accumulator's lanes: fold halves down to one float.
	for i := 0; i < mr*nr; i++ {
		a := acc(i/nr, i%nr)
		x := "X" + a[1:]
		if reg == "Z" {
			y := "Y" + a[1:]
			p("\tVEXTRACTF64X4 $1, %s, Y31", a)
			p("\tVADDPS Y31, %s, %s", y, y)
		}
		y := "Y" + a[1:]
		tmp := "X15"
		if reg == "Z" {
			tmp = "X31"
		}
		if reg == "Z" {
			p("\tVEXTRACTF32X4 $1, %s, %s", y, tmp)
		} else {
			p("\tVEXTRACTF128 $1, %s, %s", y, tmp)
		}
		p("\tVADDPS %s, %s, %s", tmp, x, x)
		p("\tVMOVHLPS %s, %s, %s", x, x, tmp)
		p("\tVADDPS %s, %s, %s", tmp, x, x)
		p("\tVPSHUFD $1, %s, %s", x, tmp)
		p("\tVADDSS %s, %s, %s", tmp, x, x)
		p("\tVMOVSS %s, %d(DX)", x, 4*i)
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

// gemvKernel writes out[i] = A[i, :]·x for 8 rows of A, lda elements
// apart: a matrix-vector product's rows, eight at a time, one accumulator
// each. The rows are k whole vectors long, then a last vector read under
// the lane mask tail (0: none). The eight accumulators are reduced together, by a
// tree of shuffles that halves the vectors at each level, rather than one
// by one.
func gemvKernel() {
	const name = "gemv8AVX512"
	rows := []string{"SI", "R10", "R11", "R12", "R13", "R14", "AX", "BX"}
	f := start(name, "(k, tail int, a *float32, lda int, x, out *float32)", `
gemv8AVX512 computes 8 rows of A times x, each 16*k + t long, where
tail = 1<<t - 1 (t < 16) is the lane mask of the last vector:

	for i := range 8 {
		var sum float32
		for l := range 16*k + t {
			sum += a[i*lda+l] * x[l]
		}
		out[i] = sum
	}
`)
	p("\tMOVQ %s, CX", f.arg("k"))
	p("\tMOVQ %s, SI", f.arg("a"))
	p("\tMOVQ %s, R8", f.arg("lda"))
	p("\tSHLQ $2, R8")
	p("\tMOVQ %s, DI", f.arg("x"))
	p("\tMOVQ %s, DX", f.arg("out"))
	for i := 1; i < len(rows); i++ {
		p("\tLEAQ (%s)(R8*1), %s", rows[i-1], rows[i])
	}
	for i := range rows {
		p("\tVXORPS Z%d, Z%d, Z%d", i, i, i)
	}
	p("\tXORQ R9, R9")
	p("\tTESTQ CX, CX")
	p("\tJZ %sreduce", name)
	p("%sloop:", name)
	p("\tVMOVUPS (DI)(R9*1), Z8")
	for i, r := range rows {
		p("\tVFMADD231PS (%s)(R9*1), Z8, Z%d", r, i)
	}
	p("\tADDQ $64, R9")
	p("\tDECQ CX")
	p("\tJNZ %sloop", name)
	p("%sreduce:", name)
	p("\tMOVQ %s, CX", f.arg("tail"))
	p("\tTESTQ CX, CX")
	p("\tJZ %ssums", name)
	p("\tKMOVW CX, K1")
	p("\tVMOVUPS.Z (DI)(R9*1), K1, Z8")
	for i, r := range rows {
		p("\tVMOVUPS.Z (%s)(R9*1), K1, Z9", r)
		p("\tVFMADD231PS Z9, Z8, Z%d", i)
	}
	p("%ssums:", name)
	// Level 1: rows 2j and 2j+1 into Z(8+j): 256-bit halves added, row 2j
	// in the low half, 2j+1 in the high.
	for j := 0; j < 4; j++ {
		p("\tVSHUFF32X4 $0x44, Z%d, Z%d, Z16", 2*j+1, 2*j)
		p("\tVSHUFF32X4 $0xee, Z%d, Z%d, Z17", 2*j+1, 2*j)
		p("\tVADDPS Z17, Z16, Z%d", 8+j)
	}
	// Level 2: 128-bit lane l of Z(12+j) holds four partial sums of row 4j+l.
	for j := 0; j < 2; j++ {
		p("\tVSHUFF32X4 $0x88, Z%d, Z%d, Z16", 9+2*j, 8+2*j)
		p("\tVSHUFF32X4 $0xdd, Z%d, Z%d, Z17", 9+2*j, 8+2*j)
		p("\tVADDPS Z17, Z16, Z%d", 12+j)
	}
	// Level 3: within each lane l, sums of rows l (elements 0, 1) and l+4
	// (elements 2, 3).
	p("\tVSHUFPS $0x44, Z13, Z12, Z16")
	p("\tVSHUFPS $0xee, Z13, Z12, Z17")
	p("\tVADDPS Z17, Z16, Z16")
	p("\tVSHUFPS $0xb1, Z16, Z16, Z17")
	p("\tVADDPS Z17, Z16, Z16")
	p("\tVMOVUPS gemvIdx<>(SB), Z17")
	p("\tVPERMPS Z16, Z17, Z16")
	p("\tVMOVUPS Y16, (DX)")
	p("\tVZEROUPPER")
	p("\tRET")
}

// gemvConstants is the index that gathers gemvKernel's eight sums in order.
func gemvConstants() {
	p("")
	p("// gemv8AVX512's final order: rows 0-3 at elements 0, 4, 8, 12; rows 4-7 at 2, 6, 10, 14.")
	for i, v := range []int{0, 4, 8, 12, 2, 6, 10, 14, 0, 0, 0, 0, 0, 0, 0, 0} {
		p("DATA gemvIdx<>+%d(SB)/4, $%d", 4*i, v)
	}
	p("GLOBL gemvIdx<>(SB), RODATA|NOPTR, $64")
}
