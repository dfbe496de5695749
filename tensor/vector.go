package tensor

import (
	"fmt"
	"sync"

	"github.com/convnet/convnet/internal/kernels"
)

// This file holds the in-place vector updates that optimizers and data
// loaders need: they change storage directly, outside autograd, and record
// nothing (as PyTorch's optimizers do under torch.no_grad).

// AdamParam is one parameter's share of an AdamStep: the parameter, which
// the step updates in place from its gradient, and Adam's state for it.
type AdamParam struct {
	// Param is the parameter; its Grad must not be nil.
	Param *Tensor
	// M and V are the first and second moment estimates, Param.Numel()
	// long, updated in place (zero before the first step).
	M, V []float32
	// Step is the parameter's step count from 1, this update included.
	Step int
}

// adamScratch recycles the kernels' view of an AdamStep's parameters, so
// that a step allocates nothing once warm.
var adamScratch = sync.Pool{New: func() any { return new([]kernels.AdamParam) }}

// AdamStep applies one Adam update in place to every parameter of params,
// as torch.optim.Adam (without AMSGrad; weight decay is the L2 penalty
// added to the gradient):
//
//	g = grad + weightDecay*p
//	m = beta1*m + (1-beta1)*g
//	v = beta2*v + (1-beta2)*g*g
//	p -= lr/(1-beta1^t) * m / (sqrt(v)/sqrt(1-beta2^t) + eps)
//
// All the parameters are updated in one parallel pass, so many small
// tensors cost about as much as one large one. It panics if a parameter
// has no gradient or its moments are shorter than it.
func AdamStep(params []AdamParam, lr, beta1, beta2, eps, weightDecay float64) {
	sp := adamScratch.Get().(*[]kernels.AdamParam)
	work := (*sp)[:0]
	for i, a := range params {
		n := a.Param.Numel()
		g := a.Param.Grad()
		if g == nil {
			panic(fmt.Sprintf("tensor.AdamStep: parameter %d has no gradient", i))
		}
		if len(a.M) < n || len(a.V) < n {
			panic(fmt.Sprintf("tensor.AdamStep: parameter %d has %d elements but moments of %d and %d", i, n, len(a.M), len(a.V)))
		}
		work = append(work, kernels.AdamParam{P: a.Param.data, G: g.data, M: a.M[:n], V: a.V[:n], T: a.Step})
	}
	kernels.AdamSteps(work, lr, beta1, beta2, eps, weightDecay)
	clear(work) // drop the references to the tensors' storage
	*sp = work[:0]
	adamScratch.Put(sp)
}

// SGDStep applies one update of stochastic gradient descent in place to p
// from its gradient, as torch.optim.SGD:
//
//	g = grad + weightDecay*p
//	buf = g                               (first use of the buffer)
//	buf = momentum*buf + (1-dampening)*g  (later)
//	g = g + momentum*buf                  (nesterov)
//	g = buf                               (otherwise)
//	p -= lr * g
//
// buf is the momentum buffer, p.Numel() long, updated in place; with
// momentum 0 it is not used and may be nil. first says whether this is
// the buffer's first use. It panics if p has no gradient, or the buffer is
// too short while momentum is not 0.
func SGDStep(p *Tensor, buf []float32, first bool, lr, momentum, dampening, weightDecay float64, nesterov bool) {
	g := p.Grad()
	if g == nil {
		panic("tensor.SGDStep: the parameter has no gradient")
	}
	n := p.Numel()
	if momentum != 0 {
		if len(buf) < n {
			panic(fmt.Sprintf("tensor.SGDStep: momentum buffer of %d for a parameter of %d", len(buf), n))
		}
		buf = buf[:n]
	} else {
		buf = nil
	}
	kernels.SGDStep(p.data, g.data, buf, first, lr, momentum, dampening, weightDecay, nesterov)
}

// ScaleInPlace multiplies every element of x by a, in place and outside
// autograd (PyTorch's x.detach().mul_(a)): gradient clipping scales
// gradients with it.
func ScaleInPlace(x *Tensor, a float32) { kernels.Scale(a, x.data) }

// BytesToUnit sets dst[i] = float32(src[i])/255 for every element of src,
// the scaling of 8-bit pixels to [0, 1] that torchvision's ToTensor does.
// dst must be at least as long as src.
func BytesToUnit(src []uint8, dst []float32) {
	if len(dst) < len(src) {
		panic(fmt.Sprintf("tensor.BytesToUnit: %d bytes into %d floats", len(src), len(dst)))
	}
	kernels.BytesToUnit(src, dst)
}
