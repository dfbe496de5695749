package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestConv2dParts: a convolution whose output channels go to three
// places of their own gives, in each, exactly Conv2d's channels, and
// writes nothing around them; GoogLeNet's shapes take the in-place path.
func TestConv2dParts(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, c := range []struct {
		p       Conv
		inPlace bool
	}{
		{Conv{N: 3, C: 40, H: 14, W: 14, K: 48, R: 1, S: 1, StrideH: 1, StrideW: 1, Act: ActReLU}, true},    // implicit
		{Conv{N: 10, C: 192, H: 28, W: 28, K: 176, R: 1, S: 1, StrideH: 1, StrideW: 1, Act: ActReLU}, true}, // GoogLeNet's 3a
		{Conv{N: 10, C: 832, H: 7, W: 7, K: 448, R: 1, S: 1, StrideH: 1, StrideW: 1, Act: ActReLU}, true},   // 5a: explicit
		{Conv{N: 3, C: 520, H: 7, W: 7, K: 136, R: 1, S: 1, StrideH: 1, StrideW: 1}, true},                  // explicit, no activation
		{Conv{N: 1, C: 520, H: 7, W: 7, K: 136, R: 1, S: 1, StrideH: 1, StrideW: 1}, false},                 // one image
		{Conv{N: 2, C: 16, H: 15, W: 13, K: 24, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, Act: ActTanh}, false},
		{Conv{N: 3, C: 128, H: 14, W: 14, K: 64, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1}, true}, // Winograd, with the vector kernels
		{Conv{N: 2, C: 8, H: 30, W: 30, K: 12, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Act: ActReLU}, true},
	} {
		p := c.p
		if _, ok := p.winogradVariant(); ok {
			c.inPlace = false // Winograd's output path has no parts
		}
		if got := p.partsInPlace(); got != c.inPlace {
			t.Errorf("%+v: partsInPlace %v, want %v", p, got, c.inPlace)
		}
		hw := p.OutH() * p.OutW()
		x, w, b := randSlice(rng, p.N*p.C*p.H*p.W), randSlice(rng, p.K*p.C*p.R*p.S), randSlice(rng, p.K)
		want := make([]float32, p.N*p.K*hw)
		Conv2d(p, x, w, b, want, nil)
		const before, after = 13, 7 // floats around each image's part
		var parts []OutPart
		for _, channels := range []int{p.K / 2, p.K / 3, p.K - p.K/2 - p.K/3} {
			stride := before + channels*hw + after
			y := make([]float32, p.N*stride)
			for i := range y {
				y[i] = float32(math.NaN())
			}
			parts = append(parts, OutPart{Channels: channels, Y: y[before:], Stride: stride})
		}
		Conv2dParts(p, x, w, b, parts)
		k := 0
		for j, part := range parts {
			size := part.Channels * hw
			for i := 0; i < p.N; i++ {
				got := part.Y[i*part.Stride : i*part.Stride+size]
				closeTo(t, fmt.Sprintf("%+v part %d image %d", p, j, i), got, want[(i*p.K+k)*hw:(i*p.K+k)*hw+size], 0)
				if i > 0 {
					for _, v := range part.Y[(i-1)*part.Stride+size : i*part.Stride] {
						if v == v {
							t.Fatalf("%+v part %d: a float written between images %d and %d", p, j, i-1, i)
						}
					}
				}
			}
			k += part.Channels
		}
	}
}
