package main

import (
	"fmt"
	"strings"
)

// Go's assembler knows no AVX512-BF16 or AMX mnemonics, so those
// instructions are written as BYTE sequences, each with its mnemonic in a
// comment beside it. The encodings follow the Intel SDM, volume 2 (EVEX:
// section 2.7; VEX: 2.3); bf16_amd64.s disassembles to the comments
// (objdump -d).

// gpr numbers Go's general registers as the encodings do.
var gpr = map[string]int{"AX": 0, "CX": 1, "DX": 2, "BX": 3, "SP": 4, "BP": 5, "SI": 6, "DI": 7,
	"R8": 8, "R9": 9, "R10": 10, "R11": 11, "R12": 12, "R13": 13, "R14": 14, "R15": 15}

// bytes writes code as one line of BYTE directives, comment after it.
func bytes(code []byte, comment string) {
	parts := make([]string, len(code))
	for i, b := range code {
		parts[i] = fmt.Sprintf("BYTE $0x%02x", b)
	}
	p("\t%s // %s", strings.Join(parts, "; "), comment)
}

// evex512 encodes a 512-bit EVEX instruction with no mask: opcode in map
// mm (1: 0F, 2: 0F38) with prefix pp (0: none, 1: 66, 2: F3, 3: F2),
// destination register dst (ModRM.reg) and first source src1 (EVEX.vvvv),
// both Z registers. The second source is Z register rm, or, where base
// names a general register, the memory at disp(base), a 32-bit element
// broadcast when bcast (disp is then compressed by 4, else by 64).
func evex512(mm, pp, opcode byte, dst, src1, rm int, base string, disp int, bcast bool) []byte {
	inv := func(bit int) byte { return byte(bit&1) ^ 1 }
	var x, b int
	mem := base != ""
	if mem {
		b = gpr[base] >> 3
		x = 0
		if r := gpr[base] & 7; r == 4 {
			panic("evex512: SP and R12 need a SIB byte")
		}
	} else {
		b, x = rm>>3, rm>>4
	}
	p0 := inv(dst>>3)<<7 | inv(x)<<6 | inv(b)<<5 | inv(dst>>4)<<4 | mm
	p1 := byte(0)<<7 | byte(^src1&15)<<3 | 1<<2 | pp
	p2 := byte(2) << 5 // L'L = 512 bits
	if bcast {
		p2 |= 1 << 4
	}
	p2 |= inv(src1>>4) << 3
	code := []byte{0x62, p0, p1, p2, opcode}
	if !mem {
		return append(code, 3<<6|byte(dst&7)<<3|byte(rm&7))
	}
	n := 64
	if bcast {
		n = 4
	}
	if disp%n != 0 || disp/n < -128 || disp/n > 127 {
		panic(fmt.Sprintf("evex512: displacement %d does not compress by %d", disp, n))
	}
	return append(code, 1<<6|byte(dst&7)<<3|byte(gpr[base]&7), byte(int8(disp/n)))
}

// vdpbf16ps writes VDPBF16PS: acc's 16 floats each add the dot product of
// a pair of bf16 values of src1 with the matching pair of the second
// source (register rm, or memory as evex512 takes it).
func vdpbf16ps(acc, src1, rm int, base string, disp int, bcast bool) {
	src := fmt.Sprintf("Z%d", rm)
	if base != "" {
		src = fmt.Sprintf("%d(%s)", disp, base)
		if bcast {
			src += "{1to16}"
		}
	}
	bytes(evex512(2, 2, 0x52, acc, src1, rm, base, disp, bcast),
		fmt.Sprintf("VDPBF16PS Z%d, Z%d, %s (Intel order)", acc, src1, src))
}

// bf16Kernels writes the AVX512-BF16 kernels of bf16_amd64.s.
func bf16Kernels() {
	bf16Constants()
	bf16PairsKernel()
	bf16RowKernel()
	roundBF16Kernel()
	gemmKernelBF16(false)
	gemmKernelBF16(true)
	amxConstants()
	gemmKernelAMX()
}

// bf16RowKernel writes the conversion of a run of floats into bf16
// pairs of consecutive values: a row of A, or of a transposed B, along k.
func bf16RowKernel() {
	const name = "bf16RowAVX512"
	f := start(name, "(n int, src *float32, dst *uint32)", `
bf16RowAVX512 rounds the first 32*n values of src to bfloat16, as
bf16PairsAVX512, and stores them in order, two to a word:

	for j := range 16 * n {
		dst[j] = bf16Bits(src[2*j]) | bf16Bits(src[2*j+1])<<16
	}
`)
	p("\tMOVQ %s, CX", f.arg("n"))
	p("\tMOVQ %s, SI", f.arg("src"))
	p("\tMOVQ %s, DI", f.arg("dst"))
	p("\tTESTQ CX, CX")
	p("\tJZ %sdone", name)
	p("%sloop:", name)
	p("\tVMOVUPS (SI), Z0")
	p("\tVMOVUPS 64(SI), Z1")
	// Z2's words 0-15 are src[0:16] (the r/m operand), 16-31 src[16:32].
	bytes(evex512(2, 3, 0x72, 2, 1, 0, "", 0, false), "VCVTNE2PS2BF16 Z2, Z1, Z0 (Intel order)")
	p("\tVMOVDQU32 Z2, (DI)")
	p("\tADDQ $128, SI")
	endLoop(name, 64, "DI")
}

// bf16Constants writes the word permutation that interleaves two rows
// converted by VCVTNE2PS2BF16 (row 0 in words 0-15, row 1 in 16-31) into
// pairs: word 2j takes word j, word 2j+1 takes word 16+j.
func bf16Constants() {
	p("")
	for i := 0; i < 32; i += 2 {
		lo, hi := i/2, 16+i/2
		p("DATA bf16Interleave<>+%d(SB)/4, $0x%04x%04x", 2*i, hi, lo)
	}
	p("GLOBL bf16Interleave<>(SB), RODATA|NOPTR, $64")
}

// bf16PairsKernel writes the conversion of two rows of floats into bf16
// pairs, as the packed B of the bf16 GEMM holds them.
func bf16PairsKernel() {
	const name = "bf16PairsAVX512"
	f := start(name, "(n int, r0, r1 *float32, dst *uint32)", `
bf16PairsAVX512 rounds the first 16*n values of the rows r0 and r1 to
bfloat16, to nearest even, with subnormals flushed to zero (as
VCVTNE2PS2BF16 does, and bf16Bits), and stores each column's pair in one
word, r0's value in its low half:

	for j := range 16 * n {
		dst[j] = bf16Bits(r0[j]) | bf16Bits(r1[j])<<16
	}
`)
	p("\tMOVQ %s, CX", f.arg("n"))
	p("\tMOVQ %s, SI", f.arg("r0"))
	p("\tMOVQ %s, BX", f.arg("r1"))
	p("\tMOVQ %s, DI", f.arg("dst"))
	p("\tVMOVDQU32 bf16Interleave<>(SB), Z4")
	p("\tTESTQ CX, CX")
	p("\tJZ %sdone", name)
	p("%sloop:", name)
	p("\tVMOVUPS (SI), Z0")
	p("\tVMOVUPS (BX), Z1")
	// Z2's words 0-15 are row 0 (the r/m operand), 16-31 row 1 (vvvv).
	bytes(evex512(2, 3, 0x72, 2, 1, 0, "", 0, false), "VCVTNE2PS2BF16 Z2, Z1, Z0 (Intel order)")
	p("\tVPERMW Z2, Z4, Z3")
	p("\tVMOVDQU32 Z3, (DI)")
	p("\tADDQ $64, SI")
	p("\tADDQ $64, BX")
	endLoop(name, 64, "DI")
}

// roundBF16Kernel writes the rounding of floats to bf16 values, kept as
// floats: the operands of a bf16 product that float32 kernels compute.
func roundBF16Kernel() {
	const name = "roundBF16AVX512"
	f := start(name, "(n int, src, dst *float32)", `
roundBF16AVX512 rounds the first 16*n values of src to bfloat16, as
bf16Bits, and stores them in dst as float32 (exactly):

	for i := range 16 * n {
		dst[i] = bf16Float(bf16Bits(src[i]))
	}
`)
	p("\tMOVQ %s, CX", f.arg("n"))
	p("\tMOVQ %s, SI", f.arg("src"))
	p("\tMOVQ %s, DI", f.arg("dst"))
	p("\tTESTQ CX, CX")
	p("\tJZ %sdone", name)
	p("%sloop:", name)
	p("\tVMOVUPS (SI), Z0")
	bytes(evex512(2, 2, 0x72, 1, 0, 0, "", 0, false), "VCVTNEPS2BF16 Y1, Z0 (Intel order)")
	p("\tVPMOVZXWD Y1, Z2")
	p("\tVPSLLD $16, Z2, Z2")
	p("\tVMOVUPS Z2, (DI)")
	p("\tADDQ $64, SI")
	endLoop(name, 64, "DI")
}

// gemmKernelBF16 writes the AVX512-BF16 micro-kernel: a 6×48 tile of C,
// as the fp32 AVX-512 kernel, each VDPBF16PS taking two steps of k. With
// store, C = A·B: C is written without being read.
func gemmKernelBF16(store bool) {
	name, op, what := "gemmKernelBF16x6x48AVX512", "+=", "adds A·B into"
	if store {
		name, op, what = "gemmKernelBF16x6x48SetAVX512", "=", "stores A·B in"
	}
	f := start(name, "(kp int, a, b *uint32, c *float32, ldb, ldc int)", fmt.Sprintf(`
%s %s a 6×48 tile of C, A and B in
bf16 pairs (bf16Pair): A packed, 6 pairs a step of kp; B rows of 48
pairs, ldb apart; C rows ldc apart. Each pair's products are exact in
float32 and added into float32 sums:

	for i := range 6 {
		for j := range 48 {
			var sum float32
			for p := range kp {
				x, y := a[p*6+i], b[p*ldb+j]
				sum += bf16Float(x>>16) * bf16Float(y>>16)
				sum += bf16Float(x) * bf16Float(y)
			}
			c[i*ldc+j] %s sum
		}
	}
`, name, what, op))
	p("\tMOVQ %s, CX", f.arg("kp"))
	p("\tMOVQ %s, SI", f.arg("a"))
	p("\tMOVQ %s, DI", f.arg("b"))
	p("\tMOVQ %s, DX", f.arg("c"))
	p("\tMOVQ %s, R9", f.arg("ldb"))
	p("\tSHLQ $2, R9")
	p("\tMOVQ %s, R8", f.arg("ldc"))
	p("\tSHLQ $2, R8")
	if !store {
		p("\tMOVQ DX, R11")
		for r := 0; r < 6; r++ {
			for j := 0; j < 3*64; j += 64 {
				p("\tPREFETCHT0 %d(R11)", j)
			}
			if r < 5 {
				p("\tADDQ R8, R11")
			}
		}
	}
	for i := 0; i < 18; i++ {
		p("\tVXORPS Z%d, Z%d, Z%d", i, i, i)
	}
	p("\tTESTQ CX, CX")
	p("\tJZ %sstore", name)
	p("%sloop:", name)
	for j := 0; j < 3; j++ {
		p("\tVMOVDQU32 %d(DI), Z%d", 64*j, 18+j)
	}
	for r := 0; r < 6; r++ {
		for j := 0; j < 3; j++ {
			// acc(r, j) += pairs of B's vector j · row r's pair, broadcast.
			vdpbf16ps(3*r+j, 18+j, 0, "SI", 4*r, true)
		}
	}
	p("\tADDQ $24, SI")
	p("\tADDQ R9, DI")
	p("\tDECQ CX")
	p("\tJNZ %sloop", name)
	p("%sstore:", name)
	for r := 0; r < 6; r++ {
		for j := 0; j < 3; j++ {
			if !store {
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

// vex0F38 encodes a VEX instruction of opcode map 0F38, W0, 128 bits (the
// AMX instructions): prefix pp (0: none, 2: F3, 3: F2), second source
// vvvv (a tile, or 0 where unused), then ModRM and what follows it. r, x
// and b are the high bits of ModRM.reg, SIB.index and ModRM.rm or
// SIB.base.
func vex0F38(pp byte, vvvv int, opcode byte, r, x, b int, modrm ...byte) []byte {
	inv := func(bit int) byte { return byte(bit&1) ^ 1 }
	byte1 := inv(r)<<7 | inv(x)<<6 | inv(b)<<5 | 0x02
	byte2 := byte(^vvvv&15)<<3 | pp
	return append([]byte{0xc4, byte1, byte2, opcode}, modrm...)
}

// tileMem encodes TILELOADD (load) or TILESTORED of tile tmm at the
// rows base, base+stride, ...: the memory operand (base)(stride*1).
func tileMem(load bool, tmm int, base, stride string) {
	bs, ix := gpr[base], gpr[stride]
	if bs&7 == 5 {
		panic("tileMem: BP and R13 need a displacement")
	}
	pp, name := byte(2), fmt.Sprintf("TILESTORED (%s)(%s*1), TMM%d", base, stride, tmm)
	if load {
		pp, name = 3, fmt.Sprintf("TILELOADD TMM%d, (%s)(%s*1)", tmm, base, stride)
	}
	bytes(vex0F38(pp, 0, 0x4b, 0, ix>>3, bs>>3, byte(tmm)<<3|4, byte(ix&7)<<3|byte(bs&7)), name)
}

// amxConstants writes the tile configuration of the AMX kernel: palette
// 1, tiles 0-7 each 16 rows of 64 bytes (C's four 16×16 float32 tiles,
// A's two 16×32 bf16 tiles, B's two 16-pair×16 tiles).
func amxConstants() {
	p("")
	p("DATA amxTileConfig<>+0(SB)/8, $1 // palette 1, start row 0")
	p("DATA amxTileConfig<>+8(SB)/8, $0")
	p("DATA amxTileConfig<>+16(SB)/8, $0x0040004000400040 // tiles 0-3: 64 bytes a row")
	p("DATA amxTileConfig<>+24(SB)/8, $0x0040004000400040 // tiles 4-7: 64 bytes a row")
	p("DATA amxTileConfig<>+32(SB)/8, $0")
	p("DATA amxTileConfig<>+40(SB)/8, $0")
	p("DATA amxTileConfig<>+48(SB)/8, $0x1010101010101010 // tiles 0-7: 16 rows")
	p("DATA amxTileConfig<>+56(SB)/8, $0")
	p("GLOBL amxTileConfig<>(SB), RODATA|NOPTR, $64")
}

// gemmKernelAMX writes the AMX micro-kernel: a 32×32 tile of C in four
// tiles, 16 pairs of k a step. It configures the tiles, computes and
// releases them within the one function, so that no goroutine switch
// falls between.
func gemmKernelAMX() {
	const name = "gemmKernelBF16x32x32AMX"
	f := start(name, "(blocks int, a, b *uint32, c *float32, ldb, ldc, set int)", `
gemmKernelBF16x32x32AMX adds A·B into (or, with set 1, stores A·B in) a
32×32 tile of C with AMX, over blocks of 16 pairs of k: A packed in
blocks of 32 rows of 16 pairs (bf16Kernel.aIndex, blocked); B rows of
pairs, ldb apart; C rows ldc apart. The products are exact in float32,
and their sums float32:

	for i := range 32 {
		for j := range 32 {
			var sum float32
			for p := range 16 * blocks {
				x := a[(p/16)*512+i*16+p%16]
				y := b[p*ldb+j]
				sum += bf16Float(x)*bf16Float(y) + bf16Float(x>>16)*bf16Float(y>>16)
			}
			if set == 1 {
				c[i*ldc+j] = sum
			} else {
				c[i*ldc+j] += sum
			}
		}
	}
`)
	p("\tMOVQ %s, CX", f.arg("blocks"))
	p("\tMOVQ %s, SI", f.arg("a"))
	p("\tMOVQ %s, DI", f.arg("b"))
	p("\tMOVQ %s, DX", f.arg("c"))
	p("\tMOVQ %s, R10", f.arg("ldb"))
	p("\tSHLQ $2, R10") // B's row stride in bytes
	p("\tMOVQ %s, R8", f.arg("ldc"))
	p("\tSHLQ $2, R8")  // C's row stride in bytes
	p("\tMOVQ $64, R9") // A's row stride: 16 words
	p("\tLEAQ amxTileConfig<>(SB), AX")
	bytes(vex0F38(0, 0, 0x49, 0, 0, 0, 0x00), "LDTILECFG (AX)")
	// C's four tiles: rows 0-15 at DX, 16-31 at R12; columns 16-31 at
	// +64 bytes (BX, R11).
	p("\tMOVQ R8, R12")
	p("\tSHLQ $4, R12")
	p("\tADDQ DX, R12")
	p("\tLEAQ 64(DX), BX")
	p("\tLEAQ 64(R12), R11")
	p("\tMOVQ %s, AX", f.arg("set"))
	p("\tTESTQ AX, AX")
	p("\tJNZ %szero", name)
	tileMem(true, 0, "DX", "R8")
	tileMem(true, 1, "BX", "R8")
	tileMem(true, 2, "R12", "R8")
	tileMem(true, 3, "R11", "R8")
	p("\tJMP %sloop", name)
	p("%szero:", name)
	for t := 0; t < 4; t++ {
		bytes(vex0F38(3, 0, 0x49, 0, 0, 0, 0xc0|byte(t)<<3), fmt.Sprintf("TILEZERO TMM%d", t))
	}
	p("%sloop:", name)
	p("\tTESTQ CX, CX")
	p("\tJZ %sstore", name)
	tileMem(true, 4, "SI", "R9") // A rows 0-15
	p("\tLEAQ 1024(SI), AX")
	tileMem(true, 5, "AX", "R9")  // A rows 16-31
	tileMem(true, 6, "DI", "R10") // B columns 0-15
	p("\tLEAQ 64(DI), AX")
	tileMem(true, 7, "AX", "R10") // B columns 16-31
	for t, ab := range [][2]int{{4, 6}, {4, 7}, {5, 6}, {5, 7}} {
		bytes(vex0F38(2, ab[1], 0x5c, 0, 0, 0, 0xc0|byte(t)<<3|byte(ab[0])),
			fmt.Sprintf("TDPBF16PS TMM%d, TMM%d, TMM%d", t, ab[0], ab[1]))
	}
	p("\tADDQ $2048, SI")
	p("\tMOVQ R10, AX")
	p("\tSHLQ $4, AX")
	p("\tADDQ AX, DI")
	p("\tDECQ CX")
	p("\tJMP %sloop", name)
	p("%sstore:", name)
	tileMem(false, 0, "DX", "R8")
	tileMem(false, 1, "BX", "R8")
	tileMem(false, 2, "R12", "R8")
	tileMem(false, 3, "R11", "R8")
	bytes(vex0F38(0, 0, 0x49, 0, 0, 0, 0xc0), "TILERELEASE")
	p("\tRET")
}
