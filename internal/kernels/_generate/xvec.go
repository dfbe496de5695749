package main

import "fmt"

// xvecForward writes the column-vectorised forward kernel for K output
// channels: two output rows of two vectors for each channel in Z0-Z23,
// the K weights of a tap broadcast into Z24 on, an input vector in Z30
// or Z31. The second vector of a row is stored under a lane mask.
func xvecForward(K int) {
	name := fmt.Sprintf("xvecForward%dAVX512", K)
	f := start(name, "("+xvecForwardParams+")", fmt.Sprintf(`
%s computes %s (ldk apart) of rows (1 or 2) rows
(ldy apart) of 16 + m columns of a convolution, 16 columns a vector,
where mask = 1<<m - 1 (m <= 16) is the lane mask of the second vector:
for ncr input rows x[offs[r]:] (the second output row's wp further on),
s taps each, and weights w, %s a tap:

	for t := range rows {
		for k := range %d {
			for c := range 16 + m {
				sum := bias[k]
				for r := range ncr {
					for q := range s {
						sum += x[offs[r]+t*wp+c+q] * w[(r*s+q)*%d+k]
					}
				}
				y[k*ldk+t*ldy+c] = sum
			}
		}
	}

It reads all 32 columns' inputs.
`, name, count(K, "output channel"), count(K, "channel"), K, K))
	acc := func(t, k, v int) int { return t*2*K + 2*k + v }
	loadForwardArgs(f)
	for k := 0; k < K; k++ {
		p("\tVBROADCASTSS %d(AX), Z%d", 4*k, acc(0, k, 0))
		p("\tVMOVAPS Z%d, Z%d", acc(0, k, 0), acc(0, k, 1))
		p("\tVMOVAPS Z%d, Z%d", acc(0, k, 0), acc(1, k, 0))
		p("\tVMOVAPS Z%d, Z%d", acc(0, k, 0), acc(1, k, 1))
	}
	p("%srow:", name)
	p("\tMOVQ (R8), R10")
	p("\tLEAQ (SI)(R10*4), R10")
	p("\tADDQ $8, R8")
	p("\tMOVQ %s, BX", f.arg("s"))
	p("%stap:", name)
	for k := 0; k < K; k++ {
		p("\tVBROADCASTSS %d(DI), Z%d", 4*k, 24+k)
	}
	p("\tADDQ $%d, DI", 4*K)
	n := 0
	for t := 0; t < 2; t++ {
		for v := 0; v < 2; v++ {
			index := ""
			if t == 1 {
				index = "(R9*1)"
			}
			x := 30 + n%2
			n++
			p("\tVMOVUPS %d(R10)%s, Z%d", 64*v, index, x)
			for k := 0; k < K; k++ {
				p("\tVFMADD231PS Z%d, Z%d, Z%d", 24+k, x, acc(t, k, v))
			}
		}
	}
	p("\tADDQ $4, R10")
	p("\tDECQ BX")
	p("\tJNZ %stap", name)
	p("\tDECQ CX")
	p("\tJNZ %srow", name)
	p("\tMOVQ %s, AX", f.arg("mask"))
	p("\tKMOVW AX, K1")
	p("\tMOVQ %s, R11", f.arg("y"))
	p("\tMOVQ %s, R12", f.arg("ldk"))
	p("\tSHLQ $2, R12")
	p("\tMOVQ %s, R13", f.arg("ldy"))
	p("\tSHLQ $2, R13")
	for t := 0; t < 2; t++ {
		if t == 1 {
			p("\tCMPQ %s, $2", f.arg("rows"))
			p("\tJLT %sdone", name)
			p("\tMOVQ %s, R11", f.arg("y"))
			p("\tADDQ R13, R11")
		}
		for k := 0; k < K; k++ {
			p("\tVMOVUPS Z%d, (R11)", acc(t, k, 0))
			p("\tVMOVUPS Z%d, K1, 64(R11)", acc(t, k, 1))
			if k < K-1 {
				p("\tADDQ R12, R11")
			}
		}
	}
	p("%sdone:", name)
	p("\tVZEROUPPER")
	p("\tRET")
}

// xvecWeightGrad writes the column-vectorised weight gradient's kernel for
// K (at most 3) output channels and S taps: an accumulator of lanes for
// each (k, s) in Z0-Z14 and the bias's in Z15-Z17, the output gradient's
// vectors in Z20 on (the second of a row under a lane mask, zero past
// it), the input's in Z23.
func xvecWeightGrad(K, S int) {
	name := fmt.Sprintf("xvecWeightGrad%dx%dAVX512", K, S)
	f := start(name, "("+xvecWeightGradParams+")", fmt.Sprintf(`
%s adds into dw, and into db if it is not nil, the lanes of the
gradients of a convolution's weights, %d taps, and biases for %s
(ldk apart), given x, rows wp apart, and the output gradient
dy over oh rows (ldy apart) of 16 + m columns, where mask = 1<<m - 1
(m <= 16) is the lane mask of the second vector:

	for k := range %d {
		for i := range oh {
			for c := range 16 + m {
				g := dy[k*ldk+i*ldy+c]
				for q := range %d {
					dw[(k*%d+q)*16+c%%16] += x[i*wp+c+q] * g
				}
				if db != nil {
					db[k*16+c%%16] += g
				}
			}
		}
	}

It reads all 32 columns' inputs, multiplying those past 16 + m by 0.
`, name, S, count(K, "output channel"), K, S, S))
	acc := func(k, s int) int { return k*S + s }
	dyRow := []string{"R11", "R12", "R13"}
	p("\tMOVQ %s, SI", f.arg("x"))
	p("\tMOVQ %s, R9", f.arg("wp"))
	p("\tSHLQ $2, R9")
	p("\tMOVQ %s, R11", f.arg("dy"))
	p("\tMOVQ %s, R8", f.arg("ldk"))
	p("\tSHLQ $2, R8")
	for k := 1; k < K; k++ {
		p("\tLEAQ (%s)(R8*1), %s", dyRow[k-1], dyRow[k])
	}
	p("\tMOVQ %s, R10", f.arg("ldy"))
	p("\tSHLQ $2, R10")
	p("\tMOVQ %s, CX", f.arg("oh"))
	p("\tMOVQ %s, AX", f.arg("mask"))
	p("\tKMOVW AX, K1")
	p("\tMOVQ %s, AX", f.arg("dw"))
	p("\tMOVQ %s, DX", f.arg("db"))
	for k := 0; k < K; k++ {
		for s := 0; s < S; s++ {
			p("\tVMOVUPS %d(AX), Z%d", 64*acc(k, s), acc(k, s))
		}
	}
	// The bias lanes, when db is not nil: a flag in BX.
	p("\tXORQ BX, BX")
	p("\tTESTQ DX, DX")
	p("\tJZ %srow", name)
	p("\tMOVQ $1, BX")
	for k := 0; k < K; k++ {
		p("\tVMOVUPS %d(DX), Z%d", 64*k, 15+k)
	}
	p("%srow:", name)
	for v := 0; v < 2; v++ {
		for k := 0; k < K; k++ {
			if v == 0 {
				p("\tVMOVUPS (%s), Z%d", dyRow[k], 20+k)
			} else {
				p("\tVMOVUPS.Z 64(%s), K1, Z%d", dyRow[k], 20+k)
			}
		}
		for s := 0; s < S; s++ {
			p("\tVMOVUPS %d(SI), Z23", 64*v+4*s)
			for k := 0; k < K; k++ {
				p("\tVFMADD231PS Z%d, Z23, Z%d", 20+k, acc(k, s))
			}
		}
		p("\tTESTQ BX, BX")
		p("\tJZ %snobias%d", name, v)
		for k := 0; k < K; k++ {
			p("\tVADDPS Z%d, Z%d, Z%d", 20+k, 15+k, 15+k)
		}
		p("%snobias%d:", name, v)
	}
	p("\tADDQ R9, SI")
	for k := 0; k < K; k++ {
		p("\tADDQ R10, %s", dyRow[k])
	}
	p("\tDECQ CX")
	p("\tJNZ %srow", name)
	for k := 0; k < K; k++ {
		for s := 0; s < S; s++ {
			p("\tVMOVUPS Z%d, %d(AX)", acc(k, s), 64*acc(k, s))
		}
	}
	p("\tTESTQ BX, BX")
	p("\tJZ %sdone", name)
	for k := 0; k < K; k++ {
		p("\tVMOVUPS Z%d, %d(DX)", 15+k, 64*k)
	}
	p("%sdone:", name)
	p("\tVZEROUPPER")
	p("\tRET")
}
