package kernels

import "math"

// Exp32 returns e**x in float32, within 2 ulp of math.Exp on the range
// where the result is a normal float32. It is the Cephes expf method:
// x = n*ln2 + r with |r| <= ln2/2, a degree-6 polynomial for e**r, then
// a scale by 2**n built from the exponent bits.
func Exp32(x float32) float32 {
	switch {
	case x > 88.72283:
		return float32(math.Inf(1))
	case x < -87.33654:
		return 0
	case x != x:
		return x
	}
	const (
		log2e = 1.44269504088896341
		c1    = 0.693359375
		c2    = -2.12194440e-4
	)
	n := float32(math.Floor(float64(log2e*x + 0.5)))
	r := x - n*c1
	r -= n * c2
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	y := p*r*r + r + 1
	return y * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// Tanh32 returns tanh(x) in float32, within 2e-7 of math.Tanh. Small
// arguments use an odd polynomial (Cephes tanhf); larger ones
// 1 - 2/(e**2|x| + 1).
func Tanh32(x float32) float32 {
	ax := x
	if ax < 0 {
		ax = -ax
	}
	switch {
	case ax < 0.625:
		z := x * x
		p := float32(-5.70498872745e-3)
		p = p*z + 2.06390887954e-2
		p = p*z - 5.37397155531e-2
		p = p*z + 1.33314422036e-1
		p = p*z - 3.33332819422e-1
		return p*z*x + x
	case ax > 9.1:
		// tanh(9.1) rounds to 1 in float32.
		return math.Float32frombits(math.Float32bits(1) | math.Float32bits(x)&(1<<31))
	case x != x:
		return x
	}
	y := 1 - 2/(Exp32(2*ax)+1)
	if x < 0 {
		return -y
	}
	return y
}
