package tensor

import (
	"fmt"
	"math"
)

// LocalResponseNorm returns the local response normalisation of x
// (N×C×…, at least 2-D) across its channels (dimension 1), as
// torch.nn.functional.local_response_norm(x, size, alpha, beta, k)
// (AlexNet's, GoogLeNet v1's):
//
//	y[n,c,…] = x[n,c,…] / (k + alpha/size * Σ x[n,j,…]²)^beta
//
// the sum over the channels j from c-size/2 to c+(size-1)/2 that exist
// (the window is zero-padded; the divisor stays size). For odd size this
// is ONNX LRN too; for even size ONNX centres the window the other way
// (from c-(size-1)/2 to c+size/2): for ONNX's, apply this to x with its
// channels in reverse order and reverse the result's. size must be
// positive. (PyTorch takes
// only inputs of 3 dimensions or more; an N×C input is allowed here.)
//
// The gradient is that of the formula, through both the numerator and
// every sum the element is part of.
func LocalResponseNorm(x *Tensor, size int, alpha, beta, k float32) *Tensor {
	if x.Dim() < 2 {
		panic(fmt.Sprintf("tensor.LocalResponseNorm: input %v needs at least 2 dimensions (N×C×…)", x.shape))
	}
	if size < 1 {
		panic(fmt.Sprintf("tensor.LocalResponseNorm: size %d must be positive", size))
	}
	N, C := x.shape[0], x.shape[1]
	inner := numel(x.shape[2:])
	before, after := size/2, (size-1)/2
	s := x.mode()
	out := s.empty(x.shape...)
	rec := s.recording(x)
	// div holds the divisors' bases, k + alpha/size*Σx², for backward.
	var div []float32
	if rec {
		div = s.scratch(len(x.data))
	} else {
		div = make([]float32, inner)
	}
	scale := float64(alpha) / float64(size)
	sq := make([]float64, inner)
	for n := range N {
		img := x.data[n*C*inner : (n+1)*C*inner]
		for c := range C {
			clear(sq)
			for j := max(c-before, 0); j <= min(c+after, C-1); j++ {
				for i, v := range img[j*inner : (j+1)*inner] {
					sq[i] += float64(v) * float64(v)
				}
			}
			d := div[:inner]
			if rec {
				d = div[(n*C+c)*inner : (n*C+c+1)*inner]
			}
			y := out.data[(n*C+c)*inner : (n*C+c+1)*inner]
			for i, v := range img[c*inner : (c+1)*inner] {
				base := float64(k) + scale*sq[i]
				d[i] = float32(base)
				y[i] = float32(float64(v) / math.Pow(base, float64(beta)))
			}
		}
	}
	recordReading(out, readsInputs|readsOutput, func(g []float32) {
		dx, fresh := gradOut(x)
		if dx == nil {
			return
		}
		lrnBackward(x.data, out.data, div, g, dx, fresh, N, C, inner, size, scale, float64(beta))
	}, x)
	return out
}

// lrnBackward adds (or stores, if fresh) into dx the gradient of
// LocalResponseNorm given the output gradient g: with D = the divisor's
// base and y = x*D^-beta,
//
//	dx[j] = g[j]*D[j]^-beta - 2*beta*scale*x[j] * Σ g[c]*y[c]/D[c]
//
// the sum over the channels c whose window holds j.
func lrnBackward(x, y, div, g, dx []float32, fresh bool, N, C, inner, size int, scale, beta float64) {
	before, after := size/2, (size-1)/2
	// t[c] = g[c]*y[c]/D[c] of one image.
	t := make([]float64, C*inner)
	acc := make([]float64, inner)
	for n := range N {
		o := n * C * inner
		for i := range t {
			t[i] = float64(g[o+i]) * float64(y[o+i]) / float64(div[o+i])
		}
		for j := range C {
			// Channel c's window holds j when c-before <= j <= c+after.
			clear(acc)
			for c := max(j-after, 0); c <= min(j+before, C-1); c++ {
				for i, v := range t[c*inner : (c+1)*inner] {
					acc[i] += v
				}
			}
			base := o + j*inner
			for i := range inner {
				v := float64(g[base+i])*math.Pow(float64(div[base+i]), -beta) - 2*beta*scale*float64(x[base+i])*acc[i]
				if fresh {
					dx[base+i] = float32(v)
				} else {
					dx[base+i] += float32(v)
				}
			}
		}
	}
}
