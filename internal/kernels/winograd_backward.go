package kernels

// The input gradient of a 3×3 stride-1 convolution is itself a 3×3
// stride-1 convolution: of the output gradient (K channels, padded by
// 2-Pad), by the weights turned half a circle and with their two channel
// axes swapped. Where that convolution is wide enough for Winograd's
// method, the backward pass runs it so, as the forward pass does: 2.25x
// (F(2×2)) to 4x (F(4×4)) fewer products than the GEMM and no col2im.

// dataGradConv returns the forward convolution that computes p's input
// gradient from its output gradient, and whether p has one (3×3, stride
// 1, no dilation or groups, padding at most 2).
func (p Conv) dataGradConv() (Conv, bool) {
	if !p.plain() || p.R != 3 || p.S != 3 || p.StrideH != 1 || p.StrideW != 1 || p.PadH > 2 || p.PadW > 2 || p.BF16 {
		return Conv{}, false
	}
	return Conv{N: p.N, C: p.K, H: p.OutH(), W: p.OutW(), K: p.C, R: 3, S: 3,
		StrideH: 1, StrideW: 1, PadH: 2 - p.PadH, PadW: 2 - p.PadW}, true
}

// winogradDataGrad computes p's input gradient dx (adding to it if
// dxAdd) from dy by Winograd's method, and reports whether it did: false
// where dataGradConv's convolution does not take Winograd's method.
func (p Conv) winogradDataGrad(w, dy, dx []float32, dxAdd bool) bool {
	t, ok := p.dataGradConv()
	if !ok || winoDataGradOff {
		return false
	}
	v, ok := t.winogradVariant()
	if !ok {
		return false
	}
	out := dx
	if dxAdd {
		buf := getScratchDirty(p.N * p.C * p.H * p.W)
		defer putScratch(buf)
		out = *buf
	}
	t.winograd(v, dy, w, true, nil, out)
	if dxAdd {
		add(out[:p.N*p.C*p.H*p.W], dx)
	}
	return true
}

// winoDataGradOff sends input gradients to the GEMM paths, for the tests
// and benchmarks that compare the two.
var winoDataGradOff bool
