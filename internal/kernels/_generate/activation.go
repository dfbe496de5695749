package main

import (
	"fmt"
	"math"
	"strings"
)

// Constants of tanh, each a float32 broadcast from memory.
var consts = []struct {
	name string
	v    float32
}{
	{"one", 1}, {"two", 2}, {"small", 0.625}, {"big", 9.1}, {"log2e", 1.44269504088896341},
	{"c1", 0.693359375}, {"c2", -2.12194440e-4},
	{"e0", 1.9875691500e-4}, {"e1", 1.3981999507e-3}, {"e2", 8.3334519073e-3},
	{"e3", 4.1665795894e-2}, {"e4", 1.6666665459e-1}, {"e5", 5.0000001201e-1},
	{"t0", -5.70498872745e-3}, {"t1", 2.06390887954e-2}, {"t2", -5.37397155531e-2},
	{"t3", 1.33314422036e-1}, {"t4", -3.33332819422e-1},
	{"log2e2", 2 * 1.44269504088896341}, {"ln2", 0.693147180559945309},
	// e^r - 1 = r + r²(p0 + p1 r + ... + p5 r⁵): Taylor's coefficients,
	// whose first term left out is below 6e-9 for |r| <= ln2/2.
	{"p0", 1.0 / 2}, {"p1", 1.0 / 6}, {"p2", 1.0 / 24}, {"p3", 1.0 / 120}, {"p4", 1.0 / 720}, {"p5", 1.0 / 5040},
}

// constOffset is the offset of constant name in tanhConsts.
func constOffset(name string) int {
	for i, c := range consts {
		if c.name == name {
			return 4 * i
		}
	}
	panic(name)
}

// constants writes tanhConsts, the constants of the tanh kernels: consts,
// then the mask of a float's absolute value and the exponent's bias.
func constants() {
	p("")
	p("// tanh constants: see Tanh32 in math32.go.")
	for i, c := range consts {
		p("DATA tanhConsts<>+%d(SB)/4, $0x%08x // %s = %g", 4*i, math.Float32bits(c.v), c.name, c.v)
	}
	p("DATA tanhConsts<>+%d(SB)/4, $0x7fffffff // abs mask", 4*len(consts))
	p("DATA tanhConsts<>+%d(SB)/4, $127 // exponent bias", 4*len(consts)+4)
	p("GLOBL tanhConsts<>(SB), RODATA|NOPTR, $%d", 4*len(consts)+8)
}

// tanhHeader starts a tanh kernel: x in SI, y in DI, and in CX the
// number of vectors, n >> shift.
func tanhHeader(name string, shift int) {
	f := start(name, "(x, y *float32, n int)", fmt.Sprintf(`
%s sets y to tanh of x, within 2e-7 as Tanh32 is (NaN stays NaN), for
the whole vectors of %d in n:

	for i := range n &^ %d {
		y[i] = float32(math.Tanh(float64(x[i])))
	}
`, name, 1<<shift, 1<<shift-1))
	p("\tMOVQ %s, SI", f.arg("x"))
	p("\tMOVQ %s, DI", f.arg("y"))
	p("\tMOVQ %s, CX", f.arg("n"))
	p("\tSHRQ $%d, CX", shift)
}

// tanhKernel writes y[i] = tanh(x[i]) for n a multiple of lanes, by the
// method of Tanh32 without branches: both the polynomial for small |x| and
// 1 - 2/(e^2|x| + 1) are computed and the right one kept per lane.
func tanhKernel(isa, reg string, lanes int) {
	name := "tanh" + isa
	width := lanes * 4
	r := func(i int) string { return fmt.Sprintf("%s%d", reg, i) }
	c := func(n string) string { return fmt.Sprintf("tanhConsts<>+%d(SB)", constOffset(n)) }
	bc := func(n string, dst string) { p("\tVBROADCASTSS %s, %s", c(n), dst) }
	tanhHeader(name, map[int]int{16: 4, 8: 3}[lanes])
	p("\tJZ %sdone", name)
	// Registers: 0 x, 1 |x|, 2 z=x², 3 small result, 4 t=2|x| (then exp),
	// 5 n, 6 r, 7 poly, 8 tmp, 9 abs mask, 10 one, 11 sign bits, 12 mask.
	p("\tVBROADCASTSS tanhConsts<>+%d(SB), %s", 4*len(consts), r(9))
	bc("one", r(10))
	p("%sloop:", name)
	p("\tVMOVUPS (SI), %s", r(0))
	p("\tVANDPS %s, %s, %s", r(9), r(0), r(1))
	p("\tVANDNPS %s, %s, %s", r(0), r(9), r(11)) // sign bits of x
	// Small: ((((t0 z + t1) z + t2) z + t3) z + t4) z x + x.
	p("\tVMULPS %s, %s, %s", r(0), r(0), r(2))
	bc("t0", r(3))
	for _, k := range []string{"t1", "t2", "t3", "t4"} {
		bc(k, r(8))
		p("\tVFMADD213PS %s, %s, %s", r(8), r(2), r(3))
	}
	p("\tVMULPS %s, %s, %s", r(2), r(3), r(3))
	p("\tVFMADD213PS %s, %s, %s", r(0), r(0), r(3))
	// Large: t = 2 min(|x|, 9.1); e = exp(t); 1 - 2/(e+1).
	bc("big", r(8))
	p("\tVMINPS %s, %s, %s", r(8), r(1), r(4))
	p("\tVADDPS %s, %s, %s", r(4), r(4), r(4))
	bc("log2e", r(8))
	p("\tVMULPS %s, %s, %s", r(8), r(4), r(5))
	if reg == "Z" {
		p("\tVRNDSCALEPS $0, %s, %s", r(5), r(5)) // to nearest
	} else {
		p("\tVROUNDPS $0, %s, %s", r(5), r(5))
	}
	p("\tVMOVAPS %s, %s", r(4), r(6))
	bc("c1", r(8))
	p("\tVFNMADD231PS %s, %s, %s", r(8), r(5), r(6))
	bc("c2", r(8))
	p("\tVFNMADD231PS %s, %s, %s", r(8), r(5), r(6))
	bc("e0", r(7))
	for _, k := range []string{"e1", "e2", "e3", "e4", "e5"} {
		bc(k, r(8))
		p("\tVFMADD213PS %s, %s, %s", r(8), r(6), r(7))
	}
	// e^r = p r² + r + 1, then times 2^n built in the exponent bits.
	p("\tVMULPS %s, %s, %s", r(6), r(6), r(8))
	p("\tVFMADD213PS %s, %s, %s", r(6), r(8), r(7))
	p("\tVADDPS %s, %s, %s", r(10), r(7), r(7))
	p("\tVCVTPS2DQ %s, %s", r(5), r(5))
	p("\tVPBROADCASTD tanhConsts<>+%d(SB), %s", 4*len(consts)+4, r(8))
	p("\tVPADDD %s, %s, %s", r(8), r(5), r(5))
	p("\tVPSLLD $23, %s, %s", r(5), r(5))
	p("\tVMULPS %s, %s, %s", r(5), r(7), r(7))
	// 1 - 2/(e+1), with x's sign.
	p("\tVADDPS %s, %s, %s", r(10), r(7), r(7))
	bc("two", r(8))
	if reg == "Z" {
		// 2/(e+1) by VRCP14PS and one Newton step (28 bits) instead of
		// a division, which costs several times more.
		p("\tVRCP14PS %s, %s", r(7), r(13))
		p("\tVMOVAPS %s, %s", r(8), r(14))
		p("\tVFNMADD231PS %s, %s, %s", r(13), r(7), r(14)) // 2 - d*r
		p("\tVMULPS %s, %s, %s", r(14), r(13), r(13))      // r(2 - d*r)
		p("\tVADDPS %s, %s, %s", r(13), r(13), r(8))
	} else {
		p("\tVDIVPS %s, %s, %s", r(7), r(8), r(8))
	}
	p("\tVSUBPS %s, %s, %s", r(8), r(10), r(4))
	p("\tVORPS %s, %s, %s", r(11), r(4), r(4))
	// Keep the polynomial where |x| < 0.625, and x itself where x is NaN.
	bc("small", r(8))
	if reg == "Z" {
		p("\tVCMPPS $1, %s, %s, K1", r(8), r(1))
		p("\tVBLENDMPS %s, %s, K1, %s", r(3), r(4), r(4))
		p("\tVCMPPS $3, %s, %s, K2", r(0), r(0))
		p("\tVBLENDMPS %s, %s, K2, %s", r(0), r(4), r(4))
	} else {
		p("\tVCMPPS $1, %s, %s, %s", r(8), r(1), r(12))
		p("\tVBLENDVPS %s, %s, %s, %s", r(12), r(3), r(4), r(4))
		p("\tVCMPPS $3, %s, %s, %s", r(0), r(0), r(12))
		p("\tVBLENDVPS %s, %s, %s, %s", r(12), r(0), r(4), r(4))
	}
	p("\tVMOVUPS %s, (DI)", r(4))
	endLoop(name, width, "SI", "DI")
}

// tanhBackwardKernel writes dx[i] += dy[i]*(1 - y[i]²) (add) or
// dx[i] = dy[i]*(1 - y[i]²) for n a multiple of lanes.
func tanhBackwardKernel(isa, reg string, lanes int, add bool) {
	name := "tanhBackward" + isa
	if !add {
		name = "tanhBackwardSet" + isa
	}
	width := lanes * 4
	r := func(i int) string { return fmt.Sprintf("%s%d", reg, i) }
	op, what := "+=", "adds into"
	if !add {
		op, what = "=", "stores in"
	}
	gradHeader(name, lanes, fmt.Sprintf(`
%s %s dx tanh's gradient, given its output y and the gradient dy of
that output, for the whole vectors of %d in n:

	for i := range n &^ %d {
		dx[i] %s dy[i] * (1 - y[i]*y[i])
	}
`, name, what, lanes, lanes-1, op))
	p("\tVBROADCASTSS tanhConsts<>+%d(SB), %s", constOffset("one"), r(15))
	p("%sloop:", name)
	p("\tVMOVUPS (SI), %s", r(0))
	p("\tVMOVAPS %s, %s", r(15), r(1))
	p("\tVFNMADD231PS %s, %s, %s", r(0), r(0), r(1)) // 1 - y*y
	if add {
		p("\tVMOVUPS (DI), %s", r(2))
		p("\tVFMADD231PS (DX), %s, %s", r(1), r(2))
	} else {
		p("\tVMULPS (DX), %s, %s", r(1), r(2))
	}
	p("\tVMOVUPS %s, (DI)", r(2))
	endLoop(name, width, "SI", "DX", "DI")
}

// gradHeader starts an activation's backward kernel, func name(y, dy, dx
// *float32, n int), whose comment is doc: y in SI, dy in DX, dx in DI and
// the number of vectors of lanes in CX, returning at once if there are
// none.
func gradHeader(name string, lanes int, doc string) {
	f := start(name, "(y, dy, dx *float32, n int)", doc)
	p("\tMOVQ %s, SI", f.arg("y"))
	p("\tMOVQ %s, DX", f.arg("dy"))
	p("\tMOVQ %s, DI", f.arg("dx"))
	p("\tMOVQ %s, CX", f.arg("n"))
	p("\tSHRQ $%d, CX", map[int]int{16: 4, 8: 3}[lanes])
	p("\tJZ %sdone", name)
}

// reluBackwardKernel adds into dx (add) or stores there dy where y > 0,
// for n a multiple of 16; where not (NaN included), a stored dx is 0 and
// an added one unchanged. A masked load or add, under the mask of y > 0.
func reluBackwardKernel(add bool) {
	name := "reluBackwardAVX512"
	if !add {
		name = "reluBackwardSetAVX512"
	}
	doc := `
reluBackwardAVX512 adds into dx ReLU's gradient, given its output y and
the gradient dy of that output, for the whole vectors of 16 in n; the
results are exact:

	for i := range n &^ 15 {
		if y[i] > 0 {
			dx[i] += dy[i]
		}
	}
`
	if !add {
		doc = `
reluBackwardSetAVX512 stores in dx ReLU's gradient, given its output y
and the gradient dy of that output, for the whole vectors of 16 in n;
the results are exact:

	for i := range n &^ 15 {
		if y[i] > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
`
	}
	gradHeader(name, 16, doc)
	p("\tVXORPS Z15, Z15, Z15")
	p("%sloop:", name)
	p("\tVMOVUPS (SI), Z0")
	p("\tVCMPPS $0x1e, Z15, Z0, K1") // y > 0, ordered
	if add {
		p("\tVMOVUPS (DI), Z1")
		p("\tVADDPS (DX), Z1, K1, Z1")
	} else {
		p("\tVMOVUPS.Z (DX), K1, Z1")
	}
	p("\tVMOVUPS Z1, (DI)")
	endLoop(name, 64, "SI", "DX", "DI")
}

// tanhKernelAVX512 computes tanh by another method than tanhKernel's, with
// no branch and no second polynomial for small arguments: for a = |x|,
// tanh a = m/(m + 2) with m = e^2a - 1, and m is computed as expm1 is, so
// that it keeps its relative precision as a goes to 0 (where 1 - 2/(e^2a
// + 1) would lose it): 2a = n ln2 + r, |r| <= ln2/2, by one FMA; e^r - 1 =
// r + r²P(r), P of degree 5 in Estrin's scheme; m = 2^n(e^r - 1) + (2^n
// - 1), exact but for one rounding, with 2^n by VSCALEFPS. The division
// is a reciprocal and one Newton step, and x's sign is put back by one
// VPTERNLOGD. a is capped at 9.1, where tanh rounds to 1, by a VMINPS
// that lets NaN through. The main loop interleaves tanhUnroll vectors,
// the rest go one at a time.
func tanhKernelAVX512() {
	const name = "tanhAVX512"
	tanhHeader(name, 4)
	p("\tVBROADCASTSS tanhConsts<>+%d(SB), Z28", constOffset("big"))
	p("\tVBROADCASTSS tanhConsts<>+%d(SB), Z29", constOffset("one"))
	p("\tVBROADCASTSS tanhConsts<>+%d(SB), Z30", constOffset("two"))
	p("%sblocks:", name)
	p("\tCMPQ CX, $%d", tanhUnroll)
	p("\tJB %sone", name)
	tanhBodyAVX512(tanhUnroll)
	p("\tADDQ $%d, SI", 64*tanhUnroll)
	p("\tADDQ $%d, DI", 64*tanhUnroll)
	p("\tSUBQ $%d, CX", tanhUnroll)
	p("\tJMP %sblocks", name)
	p("%sone:", name)
	p("\tTESTQ CX, CX")
	p("\tJZ %sdone", name)
	tanhBodyAVX512(1)
	p("\tADDQ $64, SI")
	p("\tADDQ $64, DI")
	p("\tDECQ CX")
	p("\tJMP %sone", name)
	p("%sdone:", name)
	p("\tVZEROUPPER")
	p("\tRET")
}

// tanhUnroll is how many vectors one pass of tanhAVX512's main loop
// handles, their instructions interleaved: the chain of dependent
// instructions of one vector is long, so several hide each other's
// latency.
const tanhUnroll = 4

// tanhBodyAVX512 computes tanh of u vectors at SI into DI, interleaving
// their instructions; vector j uses Z7j to Z7j+6, and Z28, Z29, Z30 hold
// 9.1, 1 and 2. Registers of a vector: 0 x; 1 |x|, then 2a, then r, then
// the reciprocal; 2 n; 3 r², then 2^n; 4, 5, 6 Estrin's terms, then 4
// 2^n - 1, 5 d = m + 2, e and the result, 6 e^r - 1 and m; K(j+1) the
// lanes where |x| >= 0.625.
func tanhBodyAVX512(u int) {
	c := func(n string) string { return fmt.Sprintf("tanhConsts<>+%d(SB)", constOffset(n)) }
	abs := fmt.Sprintf("tanhConsts<>+%d(SB)", 4*len(consts))
	// each writes one instruction per vector; {n} in the format is
	// register n of the vector, {k} its mask, {off} its offset.
	each := func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		for j := 0; j < u; j++ {
			l := line
			for r := 6; r >= 0; r-- {
				l = strings.ReplaceAll(l, fmt.Sprintf("{%d}", r), fmt.Sprintf("Z%d", 7*j+r))
			}
			l = strings.ReplaceAll(l, "{off}", fmt.Sprint(64*j))
			l = strings.ReplaceAll(l, "{k}", fmt.Sprintf("K%d", j+1))
			p("\t%s", l)
		}
	}
	each("VMOVUPS {off}(SI), {0}")
	each("VANDPS.BCST %s, {0}, {1}", abs)
	each("VCMPPS.BCST $13, %s, {1}, {k}", c("small")) // a >= 0.625
	each("VMINPS {1}, Z28, {1}")                      // min(9.1, a), a if NaN
	each("VADDPS {1}, {1}, {1}")
	each("VMULPS.BCST %s, {1}, {2}", c("log2e"))
	each("VRNDSCALEPS $0, {2}, {2}") // to nearest
	each("VFNMADD231PS.BCST %s, {2}, {1}", c("ln2"))
	// e^r - 1 = r + r²((p0 + p1 r) + r²(p2 + p3 r) + r⁴(p4 + p5 r)).
	each("VMULPS {1}, {1}, {3}")
	each("VBROADCASTSS %s, {4}", c("p1"))
	each("VFMADD213PS.BCST %s, {1}, {4}", c("p0"))
	each("VBROADCASTSS %s, {5}", c("p3"))
	each("VFMADD213PS.BCST %s, {1}, {5}", c("p2"))
	each("VBROADCASTSS %s, {6}", c("p5"))
	each("VFMADD213PS.BCST %s, {1}, {6}", c("p4"))
	each("VFMADD213PS {5}, {3}, {6}") // (p4 + p5 r) r² + (p2 + p3 r)
	each("VFMADD213PS {4}, {3}, {6}") // P
	each("VFMADD213PS {1}, {3}, {6}") // e^r - 1
	// m = 2^n (e^r - 1) + (2^n - 1).
	each("VSCALEFPS {2}, Z29, {3}")
	each("VSUBPS Z29, {3}, {4}")
	each("VFMADD213PS {4}, {3}, {6}")
	// d = m + 2, y = 1/d to 14 bits, e = 1 - d y, then 1/d ≈ y + y e.
	// The result is m/d where that is small, and 1 - 2/d where it is
	// near 1: the rounding error of d changes each by less than an ulp.
	each("VADDPS Z30, {6}, {5}")
	each("VRCP14PS {5}, {1}")
	each("VFNMADD213PS Z29, {1}, {5}")
	each("VFMADD213PS {1}, {5}, {1}")
	each("VMULPS {1}, {6}, {5}")
	each("VFNMADD213PS Z29, Z30, {1}")
	each("VBLENDMPS {1}, {5}, {k}, {5}")
	// x's sign: result | (x &^ abs mask).
	each("VPTERNLOGD.BCST $0xf4, %s, {0}, {5}", abs)
	each("VMOVUPS {5}, {off}(DI)")
}
