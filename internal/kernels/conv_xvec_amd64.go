//go:build amd64 && !noasm

package kernels

// xvecAVX512 runs the column-vectorised convolution's loops in the
// assembly of direct_amd64.s. Each function first touches the last element
// it reads or writes, so a bad size panics in Go, not in assembly.
var xvecAVX512 = xvecKernels{name: "avx512",
	forward: func(K int, x []float32, offs []int, S, wp int, w, bias, y []float32, ldk, ldy, rows, width int) {
		_, _ = x[offs[len(offs)-1]+wp+2*kvecLanes+S-2], w[len(offs)*S*K-1]
		_, _ = bias[K-1], y[(K-1)*ldk+(rows-1)*ldy+width-1]
		mask := 1<<(width-kvecLanes) - 1
		xvecForwardAVX512[K-1](&x[0], &offs[0], len(offs), S, wp, &w[0], &bias[0], &y[0], ldk, ldy, rows, mask)
	},
	weightGrad: func(K, S int, x []float32, wp int, dy []float32, ldk, ldy, oh, width int, dw, db []float32) {
		_, _ = x[(oh-1)*wp+2*kvecLanes+S-2], dy[(K-1)*ldk+(oh-1)*ldy+width-1]
		_ = dw[K*S*kvecLanes-1]
		var pdb *float32
		if db != nil {
			_ = db[K*kvecLanes-1]
			pdb = &db[0]
		}
		mask := 1<<(width-kvecLanes) - 1
		switch S {
		case 3:
			xvecWeightGrad3AVX512[K-1](&x[0], wp, &dy[0], ldk, ldy, oh, mask, &dw[0], pdb)
		case 5:
			xvecWeightGrad5AVX512[K-1](&x[0], wp, &dy[0], ldk, ldy, oh, mask, &dw[0], pdb)
		default:
			panic("kernels: no column-vectorised weight gradient for this kernel size")
		}
	},
}
