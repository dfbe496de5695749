package main

import "fmt"

// gemmKernel writes C[6×(vecs*lanes)] += A·B for a packed A micro-panel
// (kc steps of 6) and B rows of vecs*lanes values: ldb elements apart, or,
// indirect, at the element offsets in a table (implicit im2col).
// Accumulator for row r, vector j is register vecs*r+j.
//
// With store, C = A·B instead: C is written without being read.
func gemmKernel(isa, reg string, lanes, vecs int, indirect, store bool) {
	nr := lanes * vecs
	name := fmt.Sprintf("gemmKernel6x%d%s", nr, isa)
	if indirect {
		name = fmt.Sprintf("gemmKernel6x%dInd%s", nr, isa)
	}
	if store {
		name = fmt.Sprintf("gemmKernel6x%dSet%s", nr, isa)
		if indirect {
			name = fmt.Sprintf("gemmKernel6x%dIndSet%s", nr, isa)
		}
	}
	width := lanes * 4
	sig, bRow := "(kc int, a, b, c *float32, ldb, ldc int)", "p*ldb"
	note := []string{
		fmt.Sprintf("C[6×%d] += A·B over kc steps: A packed (6 values a step), B rows", nr),
		"ldb elements apart, C rows ldc elements apart.",
	}
	if indirect {
		sig, bRow = "(kc int, a, b *float32, offs *int, c *float32, ldc int)", "offs[p]"
		note = []string{
			fmt.Sprintf("C[6×%d] += A·B over kc steps: A packed (6 values a step), B row p", nr),
			"at b+offs[p] elements, C rows ldc elements apart.",
		}
	}
	op, what := "+=", "adds A·B into"
	if store {
		op, what = "=", "stores A·B in"
	}
	f := start(name, sig, fmt.Sprintf(`
%s %s a 6×%d tile of C, A packed (6 values a step of kc):

	for i := range 6 {
		for j := range %d {
			var sum float32
			for p := range kc {
				sum += a[p*6+i] * b[%s+j]
			}
			c[i*ldc+j] %s sum
		}
	}
`, name, what, nr, nr, bRow, op), note...)
	p("\tMOVQ %s, CX", f.arg("kc"))
	p("\tMOVQ %s, SI", f.arg("a"))
	p("\tMOVQ %s, DI", f.arg("b"))
	if indirect {
		p("\tMOVQ %s, R9", f.arg("offs"))
		p("\tMOVQ %s, DX", f.arg("c"))
	} else {
		p("\tMOVQ %s, DX", f.arg("c"))
		p("\tMOVQ %s, R9", f.arg("ldb"))
		p("\tSHLQ $2, R9")
	}
	p("\tMOVQ %s, R8", f.arg("ldc"))
	p("\tSHLQ $2, R8")
	acc := func(r, j int) string { return fmt.Sprintf("%s%d", reg, r*vecs+j) }
	// Fetch the C tile into cache now: it is read only after the loop,
	// and its rows are far apart, so it is rarely cached already.
	if !store {
		p("\tMOVQ DX, R11")
		for r := 0; r < 6; r++ {
			for j := 0; j < vecs*width; j += 64 {
				p("\tPREFETCHT0 %d(R11)", j)
			}
			if r < 5 {
				p("\tADDQ R8, R11")
			}
		}
	}
	for i := 0; i < 6*vecs; i++ {
		p("\tVXORPS %s%d, %s%d, %s%d", reg, i, reg, i, reg, i)
	}
	bReg := func(j int) string { return fmt.Sprintf("%s%d", reg, 6*vecs+j) }
	bcast := func(r int) string { return fmt.Sprintf("%s%d", reg, 6*vecs+vecs+r%2) }
	// step is one step of k: B's row, then six rows of A broadcast
	// against it, and both pointers moved on.
	step := func() {
		if indirect {
			p("\tMOVQ (R9), R10")
			p("\tLEAQ (DI)(R10*4), R10")
			for j := 0; j < vecs; j++ {
				p("\tVMOVUPS %d(R10), %s", j*width, bReg(j))
			}
		} else {
			for j := 0; j < vecs; j++ {
				p("\tVMOVUPS %d(DI), %s", j*width, bReg(j))
			}
		}
		for r := 0; r < 6; r++ {
			p("\tVBROADCASTSS %d(SI), %s", 4*r, bcast(r))
			for j := 0; j < vecs; j++ {
				p("\tVFMADD231PS %s, %s, %s", bReg(j), bcast(r), acc(r, j))
			}
		}
		p("\tADDQ $24, SI")
		if indirect {
			p("\tADDQ $8, R9")
		} else {
			p("\tADDQ R9, DI")
		}
	}
	var fetch func()
	if indirect && isa == "AVX512" && vecs == 3 {
		fetch = func() {
			p("\tLEAQ (DI)(R11*4), R11")
			for j := 0; j < vecs*width; j += 64 {
				p("\tPREFETCHT0 %d(R11)", j)
			}
		}
	}
	kLoop(name, fetch, step)
	for r := 0; r < 6; r++ {
		for j := 0; j < vecs; j++ {
			if !store {
				p("\tVADDPS %d(DX), %s, %s", j*width, acc(r, j), acc(r, j))
			}
			p("\tVMOVUPS %s, %d(DX)", acc(r, j), j*width)
		}
		if r < 5 {
			p("\tADDQ R8, DX")
		}
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

// gemmKernelInPlaceA writes the AVX-512 6×48 kernel with A read where it
// lies rather than packed: with rows, row i of the tile at a + i*lda
// elements (A not transposed); otherwise the tile's 6 values of step p at
// a + p*lda (A transposed). C += A·B, as gemmKernel; with set, C = A·B,
// C not read (the first block of k of a product whose C holds garbage).
func gemmKernelInPlaceA(rows, set bool) {
	name, aElem, how := "gemmKernel6x48ATrans", "a[p*lda+i]", "A transposed: the tile's 6 values of step p at a[p*lda:]"
	if rows {
		name, aElem, how = "gemmKernel6x48ARows", "a[i*lda+p]", "row i of the tile at a[i*lda:]"
	}
	verb, into, op := "adds", "into", "+="
	if set {
		name += "Set"
		verb, into, op = "stores", "in", "="
	}
	name += "AVX512"
	f := start(name, "(kc int, a, b, c *float32, ldb, ldc, lda int)", fmt.Sprintf(`
%s %s A·B %s a 6×48 tile of C, A read where it lies (%s):

	for i := range 6 {
		for j := range 48 {
			var sum float32
			for p := range kc {
				sum += %s * b[p*ldb+j]
			}
			c[i*ldc+j] %s sum
		}
	}
`, name, verb, into, how, aElem, op))
	p("\tMOVQ %s, CX", f.arg("kc"))
	p("\tMOVQ %s, SI", f.arg("a"))
	p("\tMOVQ %s, DI", f.arg("b"))
	p("\tMOVQ %s, DX", f.arg("c"))
	p("\tMOVQ %s, R9", f.arg("ldb"))
	p("\tSHLQ $2, R9")
	p("\tMOVQ %s, R8", f.arg("ldc"))
	p("\tSHLQ $2, R8")
	p("\tMOVQ %s, R10", f.arg("lda"))
	p("\tSHLQ $2, R10")
	// Rows 0-2 from SI, rows 3-5 from R11, three rows on.
	aAddr := []string{"0(SI)", "0(SI)(R10*1)", "0(SI)(R10*2)", "0(R11)", "0(R11)(R10*1)", "0(R11)(R10*2)"}
	if rows {
		p("\tLEAQ (SI)(R10*2), R11")
		p("\tADDQ R10, R11")
	} else {
		for r := range aAddr {
			aAddr[r] = fmt.Sprintf("%d(SI)", 4*r)
		}
	}
	for i := 0; i < 18; i++ {
		p("\tVXORPS Z%d, Z%d, Z%d", i, i, i)
	}
	p("\tTESTQ CX, CX")
	p("\tJZ %sstore", name)
	p("%sloop:", name)
	for j := 0; j < 3; j++ {
		p("\tVMOVUPS %d(DI), Z%d", 64*j, 18+j)
	}
	for r := 0; r < 6; r++ {
		b := 21 + r%2
		p("\tVBROADCASTSS %s, Z%d", aAddr[r], b)
		for j := 0; j < 3; j++ {
			p("\tVFMADD231PS Z%d, Z%d, Z%d", 18+j, b, 3*r+j)
		}
	}
	if rows {
		p("\tADDQ $4, SI")
		p("\tADDQ $4, R11")
	} else {
		p("\tADDQ R10, SI")
	}
	p("\tADDQ R9, DI")
	p("\tDECQ CX")
	p("\tJNZ %sloop", name)
	p("%sstore:", name)
	for r := 0; r < 6; r++ {
		for j := 0; j < 3; j++ {
			if !set {
				p("\tVADDPS %d(DX), Z%d, Z%d", 64*j, 3*r+j, 3*r+j)
			}
			p("\tVMOVUPS Z%d, %d(DX)", 3*r+j, 64*j)
		}
		if r < 5 {
			p("\tADDQ R8, DX")
		}
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

// indirectPrefetch is how many steps ahead the AVX-512 6×48 indirect
// kernels fetch B's rows into L1. The rows lie at offsets from a table,
// a plane apart, which the hardware prefetchers do not follow: GoogLeNet's
// forward, whose 1×1 convolutions run on these kernels, 1-4% faster
// (alternated in one process); 4 and 16 steps did no better.
const indirectPrefetch = 8

// kLoop writes a GEMM kernel's loop over the CX steps of k, each step's
// code written by step, ending at the label name+"store", where the caller
// goes on. With fetch (indirect kernels, B row p at DI+4·offs[p], R9 at
// offs[p]), the steps that have a row indirectPrefetch steps ahead load
// its offset into R11 and fetch its lines by fetch's code; the last
// indirectPrefetch steps run in the plain loop.
func kLoop(name string, fetch, step func()) {
	p("\tTESTQ CX, CX")
	p("\tJZ %sstore", name)
	if fetch != nil {
		p("\tCMPQ CX, $%d", indirectPrefetch+1)
		p("\tJLT %sloop", name)
		p("%spfloop:", name)
		p("\tMOVQ %d(R9), R11", 8*indirectPrefetch)
		fetch()
		step()
		p("\tDECQ CX")
		p("\tCMPQ CX, $%d", indirectPrefetch)
		p("\tJGT %spfloop", name)
	}
	p("%sloop:", name)
	step()
	p("\tDECQ CX")
	p("\tJNZ %sloop", name)
	p("%sstore:", name)
}

// tallPanels is how many packed A panels (6 rows each) the tall AVX-512
// kernels take at once.
const tallPanels = 4

// gemmKernelTall writes an AVX-512 kernel of tallPanels·6 rows by 16
// columns: the narrow 6×16 kernel's work for four A panels in one pass.
// The 6×16 kernel keeps 6 sums in flight, fewer than the FMA units'
// latency times their throughput, and reloads its B row for each panel;
// this one keeps 24 and loads each B row once. Each A value is broadcast
// by the FMA itself. Its sums are taken in the 6×16 kernel's order, so a
// column's result does not depend on which one computed it.
func gemmKernelTall(indirect, store bool) {
	rows := 6 * tallPanels
	name := fmt.Sprintf("gemmKernel%dx16", rows)
	if indirect {
		name += "Ind"
	}
	if store {
		name += "Set"
	}
	name += "AVX512"
	sig, bRow := "(kc int, a, b, c *float32, ldb, ldc int)", "p*ldb"
	if indirect {
		sig, bRow = "(kc int, a, b *float32, offs *int, c *float32, ldc int)", "offs[p]"
	}
	op, what := "+=", "adds A·B into"
	if store {
		op, what = "=", "stores A·B in"
	}
	f := start(name, sig, fmt.Sprintf(`
%s %s a %d×16 tile of C, A %d panels packed one after
another (each 6 values a step of kc, 6·kc values a panel):

	for i := range %d {
		q, r := i/6, i%%6 // the panel, and the row in it
		for j := range 16 {
			var sum float32
			for p := range kc {
				sum += a[q*6*kc+p*6+r] * b[%s+j]
			}
			c[i*ldc+j] %s sum
		}
	}
`, name, what, rows, tallPanels, rows, bRow, op))
	p("\tMOVQ %s, CX", f.arg("kc"))
	p("\tMOVQ %s, SI", f.arg("a"))
	p("\tMOVQ %s, DI", f.arg("b"))
	p("\tMOVQ %s, DX", f.arg("c"))
	if indirect {
		p("\tMOVQ %s, R9", f.arg("offs"))
	} else {
		p("\tMOVQ %s, R9", f.arg("ldb"))
		p("\tSHLQ $2, R9")
	}
	p("\tMOVQ %s, R8", f.arg("ldc"))
	p("\tSHLQ $2, R8")
	// R12: the distance between panels in bytes; R13: panel 2.
	p("\tMOVQ CX, R12")
	p("\tIMULQ $24, R12")
	p("\tLEAQ (SI)(R12*2), R13")
	if !store {
		p("\tMOVQ DX, R11")
		for r := 0; r < rows; r++ {
			p("\tPREFETCHT0 (R11)")
			if r < rows-1 {
				p("\tADDQ R8, R11")
			}
		}
	}
	for i := 0; i < rows; i++ {
		p("\tVXORPS Z%d, Z%d, Z%d", i, i, i)
	}
	panel := []string{"(SI)", "(SI)(R12*1)", "(R13)", "(R13)(R12*1)"}
	step := func() {
		if indirect {
			p("\tMOVQ (R9), R10")
			p("\tVMOVUPS (DI)(R10*4), Z24")
		} else {
			p("\tVMOVUPS (DI), Z24")
		}
		for i := 0; i < rows; i++ {
			p("\tVFMADD231PS.BCST %d%s, Z24, Z%d", 4*(i%6), panel[i/6], i)
		}
		p("\tADDQ $24, SI")
		p("\tADDQ $24, R13")
		if indirect {
			p("\tADDQ $8, R9")
		} else {
			p("\tADDQ R9, DI")
		}
	}
	var fetch func()
	if indirect {
		fetch = func() { // both lines the row may span
			p("\tPREFETCHT0 (DI)(R11*4)")
			p("\tPREFETCHT0 60(DI)(R11*4)")
		}
	}
	kLoop(name, fetch, step)
	for i := 0; i < rows; i++ {
		if !store {
			p("\tVADDPS (DX), Z%d, Z%d", i, i)
		}
		p("\tVMOVUPS Z%d, (DX)", i)
		if i < rows-1 {
			p("\tADDQ R8, DX")
		}
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

// prefetchKernel writes prefetchLines, which fetches n cache lines from
// p on into L1, and prefetchStrided, which fetches one line of each of n
// planes: for data a loop reads next that the hardware prefetchers would
// fetch only once the reads begin. A prefetch never faults.
func prefetchKernel() {
	f := start("prefetchLines", "(p *float32, n int)", `
prefetchLines fetches into L1 the n cache lines from p on, n > 0. It
changes nothing in memory.
`)
	p("\tMOVQ %s, SI", f.arg("p"))
	p("\tMOVQ %s, CX", f.arg("n"))
	p("prefetchLinesloop:")
	p("\tPREFETCHT0 (SI)")
	p("\tADDQ $64, SI")
	p("\tDECQ CX")
	p("\tJNZ prefetchLinesloop")
	p("\tRET")

	f = start("prefetchStrided", "(p *float32, n, stride int)", `
prefetchStrided fetches into L1 the cache line of each of n addresses,
p and then stride floats apart, n > 0: one line of each of n planes, as
Winograd's output transform reads them. It changes nothing in memory.
`)
	p("\tMOVQ %s, SI", f.arg("p"))
	p("\tMOVQ %s, CX", f.arg("n"))
	p("\tMOVQ %s, DX", f.arg("stride"))
	p("\tSHLQ $2, DX")
	p("prefetchStridedloop:")
	p("\tPREFETCHT0 (SI)")
	p("\tADDQ DX, SI")
	p("\tDECQ CX")
	p("\tJNZ prefetchStridedloop")
	p("\tRET")
}
