package kernels

import "math"

// AdamStep applies one Adam update (PyTorch's algorithm, without AMSGrad)
// to parameters p with gradient g and moments m, v, at step t (from 1).
func AdamStep(p, g, m, v []float32, t int, lr, beta1, beta2, eps, weightDecay float64) {
	bc1 := 1 - math.Pow(beta1, float64(t))
	bc2Sqrt := float32(math.Sqrt(1 - math.Pow(beta2, float64(t))))
	stepSize := float32(lr / bc1)
	b1, b2, e, wd := float32(beta1), float32(beta2), float32(eps), float32(weightDecay)
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	k := [8]float32{b1, 1 - b1, b2, 1 - b2, bc2Sqrt, e, stepSize, wd}
	for i := adamVector(p, g, m, v, &k); i < len(p); i++ {
		gi := g[i]
		if wd != 0 {
			gi += wd * p[i]
		}
		m[i] = b1*m[i] + (1-b1)*gi
		v[i] = b2*v[i] + (1-b2)*gi*gi
		denom := float32(math.Sqrt(float64(v[i])))/bc2Sqrt + e
		p[i] -= stepSize * m[i] / denom
	}
}

// AdamParam is one tensor's share of AdamSteps: its parameters, gradient
// and moments, and its step count t (from 1).
type AdamParam struct {
	P, G, M, V []float32
	T          int
}

// AdamSteps applies AdamStep to every tensor of params. The tensors are
// small, so rather than one parallel call each, they are cut into blocks
// of adamBlock elements, all of them split across threads in one call.
// The blocks are whole vectors, so the result is AdamStep's.
func AdamSteps(params []AdamParam, lr, beta1, beta2, eps, weightDecay float64) {
	blocks := 0
	for _, a := range params {
		blocks += (len(a.P) + adamBlock - 1) / adamBlock
	}
	t := adamTasks.get()
	defer adamTasks.put(t)
	*t = adamTask{params: params, lr: lr, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay}
	parallelForTask(blocks, adamBlock, t)
}

// adamBlock is how many elements AdamSteps hands out at a time: a
// multiple of every vector length.
const adamBlock = 1 << 12

// adamTask is an AdamSteps call, shared by its chunks.
type adamTask struct {
	params                             []AdamParam
	lr, beta1, beta2, eps, weightDecay float64
}

var adamTasks taskPool[adamTask]

// run updates blocks [lo, hi) of the tensors' blocks taken in order.
func (t *adamTask) run(_, lo, hi int) {
	first := 0 // the index of the tensor's first block
	for _, a := range t.params {
		n := (len(a.P) + adamBlock - 1) / adamBlock
		if b0, b1 := max(lo, first)-first, min(hi, first+n)-first; b0 < b1 {
			i, j := b0*adamBlock, min(b1*adamBlock, len(a.P))
			AdamStep(a.P[i:j], a.G[i:j], a.M[i:j], a.V[i:j], a.T, t.lr, t.beta1, t.beta2, t.eps, t.weightDecay)
		}
		first += n
	}
}

// SGDStep applies one SGD update with optional momentum, dampening,
// Nesterov momentum and weight decay, as PyTorch's SGD. buf is the
// momentum buffer; first says whether this is its first use.
func SGDStep(p, g, buf []float32, first bool, lr, momentum, dampening, weightDecay float64, nesterov bool) {
	const block = 1 << 14
	g = g[:len(p)]
	parallelFor((len(p)+block-1)/block, block, func(lo, hi int) {
		lo, hi = lo*block, min(hi*block, len(p))
		var b []float32
		if buf != nil {
			b = buf[lo:hi]
		}
		sgdRange(p[lo:hi], g[lo:hi], b, first, lr, momentum, dampening, weightDecay, nesterov)
	})
}

func sgdRange(p, g, buf []float32, first bool, lr, momentum, dampening, weightDecay float64, nesterov bool) {
	mom, damp, wd, rate := float32(momentum), float32(1-dampening), float32(weightDecay), float32(lr)
	if mom == 0 {
		// Plain SGD: loops without the per-element branches, which
		// otherwise cost as much as the memory traffic.
		g = g[:len(p)]
		if wd == 0 {
			for i, gi := range g {
				p[i] -= rate * gi
			}
			return
		}
		for i, gi := range g {
			p[i] -= rate * (gi + wd*p[i])
		}
		return
	}
	i := 0
	if !first && !nesterov {
		k := [4]float32{rate, mom, damp, wd}
		i = sgdVector(p, g, buf, &k)
	}
	for ; i < len(p); i++ {
		gi := g[i]
		if wd != 0 {
			gi += wd * p[i]
		}
		if first {
			buf[i] = gi
		} else {
			buf[i] = mom*buf[i] + damp*gi
		}
		if nesterov {
			gi += mom * buf[i]
		} else {
			gi = buf[i]
		}
		p[i] -= rate * gi
	}
}
