package optim

import (
	"math"

	"github.com/convnet/convnet/tensor"
)

// ClipGradNorm scales the gradients of params so that their joint L2 norm
// is at most maxNorm, as torch.nn.utils.clip_grad_norm_, and returns the
// norm before clipping.
func ClipGradNorm(params []*tensor.Tensor, maxNorm float64) float64 {
	var sum float64
	for _, p := range params {
		if g := p.Grad(); g != nil {
			for _, v := range g.Data() {
				sum += float64(v) * float64(v)
			}
		}
	}
	norm := math.Sqrt(sum)
	if coef := maxNorm / (norm + 1e-6); coef < 1 {
		for _, p := range params {
			if g := p.Grad(); g != nil {
				tensor.ScaleInPlace(g, float32(coef))
			}
		}
	}
	return norm
}
