//go:build amd64 && !noasm

package kernels

// kvecAVX512 runs the channel-vectorised convolution's loops in the
// assembly of direct_amd64.s. Each function first touches the last element
// it reads or writes, so a bad size panics in Go, not in assembly.
var kvecAVX512 = kvecKernels{name: "avx512",
	forward: func(width int, x []float32, offs []int, S, wp int, w, bias, y []float32, ldy int) {
		_, _ = x[offs[len(offs)-1]+wp+width+S-2], w[len(offs)*S*kvecLanes-1]
		_ = y[ldy+width*kvecLanes-1]
		b := &zeroBias[0]
		if bias != nil {
			_ = bias[kvecLanes-1]
			b = &bias[0]
		}
		switch S {
		case 3:
			kvecForward3AVX512[width-1](&x[0], &offs[0], len(offs), S, wp, &w[0], b, &y[0], ldy)
		case 5:
			kvecForward5AVX512[width-1](&x[0], &offs[0], len(offs), S, wp, &w[0], b, &y[0], ldy)
		default:
			panic("kernels: no channel-vectorised forward for this kernel size")
		}
	},
	weightGrad: func(R, S int, x []float32, wp int, dy []float32, ldDy, oh, ow int, dw, db []float32) {
		_, _, _ = x[(oh+R-2)*wp+ow+S-2], dy[(oh-1)*ldDy+ow*kvecLanes-1], dw[R*S*kvecLanes-1]
		if db != nil {
			_ = db[kvecLanes-1]
		}
		switch {
		case R == 5 && S == 5 && db != nil:
			kvecWeightGrad5x5BiasAVX512(&x[0], wp, &dy[0], ldDy, oh, ow, &dw[0], &db[0])
		case R == 5 && S == 5:
			kvecWeightGrad5x5AVX512(&x[0], wp, &dy[0], ldDy, oh, ow, &dw[0])
		case R == 3 && S == 3 && db != nil:
			kvecWeightGrad3x3BiasAVX512(&x[0], wp, &dy[0], ldDy, oh, ow, &dw[0], &db[0])
		case R == 3 && S == 3:
			kvecWeightGrad3x3AVX512(&x[0], wp, &dy[0], ldDy, oh, ow, &dw[0])
		default:
			panic("kernels: no channel-vectorised weight gradient for this kernel size")
		}
	},
	inputGrad: func(a kvecInputRow) {
		_ = a.dy[(a.nkb-1)*a.dyKb+(a.nr-1)*a.ldRow+(kvecLanes+a.S-1)*kvecLanes-1]
		_ = a.w[(a.nkb-1)*a.wKb+(a.C-1)*a.wC+a.nr*a.S*kvecLanes-1]
		_ = a.out[(a.C-1)*a.ldOut+a.n-1]
		add := boolInt(a.add)
		kern := kvecInputGradAVX512
		switch {
		case a.ow > 0 && a.S == 3 && a.ow <= len(kvecInputGrad3AVX512):
			kern = kvecInputGrad3AVX512[a.ow-1]
		case a.ow > 0 && a.S == 5 && a.ow <= len(kvecInputGrad5AVX512):
			kern = kvecInputGrad5AVX512[a.ow-1]
		}
		kern(&a.dy[0], a.ldRow, a.dyKb, a.nkb, a.nr, &a.w[0], a.wKb, a.wC, a.S, a.C,
			&a.out[0], a.ldOut, 1<<a.n-1, add)
	},
	transpose: func(src []float32, lds, rows, cols int, dst []float32, ldd int) {
		_, _ = src[(rows-1)*lds+cols-1], dst[(cols-1)*ldd+rows-1]
		kvecTransposeAVX512(&src[0], lds, rows, cols, &dst[0], ldd)
	},
}
