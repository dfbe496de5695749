package main

import "fmt"

// The parameters of the direct convolutions' kernels, one list for each
// kind, so that the tables of kernels can hold them all.
const (
	kvecForwardParams    = "x *float32, offs *int, ncr, s, wp int, w, bias, y *float32, ldy int"
	xvecForwardParams    = "x *float32, offs *int, ncr, s, wp int, w, bias, y *float32, ldk, ldy, rows, mask int"
	xvecWeightGradParams = "x *float32, wp int, dy *float32, ldk, ldy, oh, mask int, dw, db *float32"
	inputGradParams      = "dy *float32, ldRow, dyKb, nkb, nr int, w *float32, wKb, wC, s, c int, out *float32, ldOut, mask, add int"
)

// directKernels writes the AVX-512 kernels of the direct convolutions:
// channel-vectorised (conv_kvec.go), in which one vector holds the 16
// output channels of a position, and column-vectorised (conv_xvec.go),
// in which it holds 16 output columns; and the tables that the Go code
// picks them from.
func directKernels() {
	for _, S := range []int{3, 5} {
		for w := 1; w <= maxWidth(S); w++ {
			forward(S, w)
		}
	}
	for _, bias := range []bool{false, true} {
		weightGrad(3, 3, bias)
		weightGrad(5, 5, bias)
	}
	for K := 1; K <= 6; K++ {
		xvecForward(K)
	}
	for _, S := range []int{3, 5} {
		for K := 1; K <= 3; K++ {
			xvecWeightGrad(K, S)
		}
	}
	inputGrad(0, 0)
	for _, S := range []int{3, 5} {
		for ow := 1; ow+S-1 <= 16; ow++ {
			inputGrad(S, ow)
		}
	}
	transpose()

	table := &cur.tail
	table.WriteString("\n// xvecForwardAVX512 holds the column-vectorised forward kernels by K-1.\n")
	fmt.Fprintf(table, "var xvecForwardAVX512 = [...]func(%s){\n", xvecForwardParams)
	for K := 1; K <= 6; K++ {
		fmt.Fprintf(table, "\txvecForward%dAVX512,\n", K)
	}
	table.WriteString("}\n")
	for _, S := range []int{3, 5} {
		fmt.Fprintf(table, "\n// xvecWeightGrad%dAVX512 holds the column-vectorised weight gradients for %d taps by K-1.\n", S, S)
		fmt.Fprintf(table, "var xvecWeightGrad%dAVX512 = [...]func(%s){\n", S, xvecWeightGradParams)
		for K := 1; K <= 3; K++ {
			fmt.Fprintf(table, "\txvecWeightGrad%dx%dAVX512,\n", K, S)
		}
		table.WriteString("}\n")
	}
	for _, S := range []int{3, 5} {
		fmt.Fprintf(table, "\n// kvecForward%dAVX512 holds the forward kernels for %d taps by width-1.\n", S, S)
		fmt.Fprintf(table, "var kvecForward%dAVX512 = [...]func(%s){\n", S, kvecForwardParams)
		for w := 1; w <= maxWidth(S); w++ {
			fmt.Fprintf(table, "\tkvecForward%dx2x%dAVX512,\n", S, w)
		}
		table.WriteString("}\n")
	}
	for _, S := range []int{3, 5} {
		fmt.Fprintf(table, "\n// kvecInputGrad%dAVX512 holds the input-gradient kernels for %d taps by output width-1.\n", S, S)
		fmt.Fprintf(table, "var kvecInputGrad%dAVX512 = [...]func(%s){\n", S, inputGradParams)
		for ow := 1; ow+S-1 <= 16; ow++ {
			fmt.Fprintf(table, "\tkvecInputGrad%dx%dAVX512,\n", S, ow)
		}
		table.WriteString("}\n")
	}
}

// loadForwardArgs loads the parameters the forward kernels f begin with
// (x, offs, ncr, s, wp, w, bias): x in SI, offs in R8, ncr in CX, wp's
// bytes in R9, w in DI and bias in AX.
func loadForwardArgs(f *function) {
	p("\tMOVQ %s, SI", f.arg("x"))
	p("\tMOVQ %s, R8", f.arg("offs"))
	p("\tMOVQ %s, CX", f.arg("ncr"))
	p("\tMOVQ %s, R9", f.arg("wp"))
	p("\tSHLQ $2, R9")
	p("\tMOVQ %s, DI", f.arg("w"))
	p("\tMOVQ %s, AX", f.arg("bias"))
}

// maxWidth is kvecMaxWidth: the widest forward tile for S taps a row,
// whose two rows of accumulators, S weight vectors and two broadcasts
// fill the 32 registers.
func maxWidth(S int) int { return (30 - S) / 2 }
