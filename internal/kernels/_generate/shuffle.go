package main

// The simulation of AVX-512 shuffles by which kvec.go's kernels learn where
// their values land: the input gradient's reduction tree and the
// transpose.

// lanes is a register's contents in a simulation of the shuffles: lane i
// holds the set of (register, lane) pairs of the inputs summed there,
// each a bit of a 256-bit set.
type lanes [16][4]uint64

// single is the set of one input: lane lane of register reg.
func single(reg, lane int) (s [4]uint64) {
	b := reg*16 + lane
	s[b/64] |= 1 << (b % 64)
	return s
}

// inputs is Z0-Z15 before any shuffle: each lane holds its own input.
func inputs() (regs [16]lanes) {
	for r := range regs {
		for l := range regs[r] {
			regs[r][l] = single(r, l)
		}
	}
	return regs
}

// shuffler writes instructions that combine registers Z0-Z31 and runs
// them on its simulation regs, which starts with Z0-Z15 holding inputs().
type shuffler struct {
	regs map[int]lanes
	emit func(string, ...any)
}

func newShuffler(emit func(string, ...any)) *shuffler {
	sh := &shuffler{regs: map[int]lanes{}, emit: emit}
	for r, l := range inputs() {
		sh.regs[r] = l
	}
	return sh
}

// op writes "ins $imm, Zb, Za, Zd" (no immediate when imm < 0), which sets
// Zd to f(Za, Zb).
func (sh *shuffler) op(ins string, imm, a, b, d int, f func(a, b lanes) lanes) {
	if imm >= 0 {
		sh.emit("\t%s $%d, Z%d, Z%d, Z%d", ins, imm, b, a, d)
	} else {
		sh.emit("\t%s Z%d, Z%d, Z%d", ins, b, a, d)
	}
	sh.regs[d] = f(sh.regs[a], sh.regs[b])
}

// The shuffles' definitions, as the simulation runs them.
func shufps(a, b lanes, imm int) (d lanes) {
	for c := 0; c < 4; c++ {
		d[4*c], d[4*c+1] = a[4*c+imm&3], a[4*c+imm>>2&3]
		d[4*c+2], d[4*c+3] = b[4*c+imm>>4&3], b[4*c+imm>>6&3]
	}
	return d
}

func shuff32x4(a, b lanes, imm int) (d lanes) {
	src := [4]lanes{a, a, b, b}
	for c := 0; c < 4; c++ {
		sel := imm >> (2 * c) & 3
		copy(d[4*c:4*c+4], src[c][4*sel:4*sel+4])
	}
	return d
}

func unpck(a, b lanes, high bool) (d lanes) {
	h := 0
	if high {
		h = 2
	}
	for c := 0; c < 4; c++ {
		d[4*c], d[4*c+1], d[4*c+2], d[4*c+3] = a[4*c+h], b[4*c+h], a[4*c+h+1], b[4*c+h+1]
	}
	return d
}

func addLanes(a, b lanes) (d lanes) {
	for l := range d {
		for w := range d[l] {
			if a[l][w]&b[l][w] != 0 {
				panic("a lane summed twice")
			}
			d[l][w] = a[l][w] | b[l][w]
		}
	}
	return d
}

// reduceTree sums each of Z0-Z15 across its lanes into one register,
// emitting the instructions with emit (nil: only simulate). It returns,
// for each lane j, the register whose sum lands there, and the register
// that holds the sums. Z17-Z31 are scratch.
func reduceTree(emit func(string, ...any)) (col [16]int, res int) {
	if emit == nil {
		emit = func(string, ...any) {}
	}
	sh := newShuffler(emit)
	regs, op := sh.regs, sh.op
	// pair combines a and b into d, halving their lanes: lo and hi pick
	// the two halves with one shuffle each, then they are added.
	pair := func(ins string, loImm, hiImm, a, b, d int) {
		sh := func(imm int) func(a, b lanes) lanes {
			if ins == "VSHUFF32X4" {
				return func(a, b lanes) lanes { return shuff32x4(a, b, imm) }
			}
			return func(a, b lanes) lanes { return shufps(a, b, imm) }
		}
		op(ins, loImm, a, b, 30, sh(loImm))
		op(ins, hiImm, a, b, 31, sh(hiImm))
		op("VADDPS", -1, 30, 31, d, addLanes)
	}
	// 16 -> 8: 256-bit halves; 8 -> 4: 128-bit quarters; then within
	// each quarter, pairs and single lanes.
	for j := 0; j < 8; j++ {
		pair("VSHUFF32X4", 0x44, 0xEE, j, j+8, 17+j)
	}
	for j := 0; j < 4; j++ {
		pair("VSHUFF32X4", 0x88, 0xDD, 17+j, 21+j, 25+j)
	}
	for j := 0; j < 2; j++ {
		pair("VSHUFPS", 0x44, 0xEE, 25+j, 27+j, 17+j)
	}
	pair("VSHUFPS", 0x88, 0xDD, 17, 18, 19)
	res = 19
	for l, set := range regs[res] {
		found := -1
		for r := 0; r < 16; r++ {
			var all [4]uint64
			for i := 0; i < 16; i++ {
				s := single(r, i)
				for w := range all {
					all[w] |= s[w]
				}
			}
			if set == all {
				found = r
			}
		}
		if found < 0 {
			panic("the reduction mixes registers")
		}
		col[l] = found
	}
	return col, res
}
