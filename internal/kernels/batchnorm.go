package kernels

import "math"

// BatchNorm describes batch normalisation of an N×C×H×W input, channel by
// channel over N, H and W (HW = H*W values per image and channel), as
// PyTorch's batch_norm: y = (x-mean)/sqrt(var+Eps)*w + b.
//
// In training mode mean and var are the statistics of the batch (var
// biased, divided by M = N*HW), and the running statistics move towards
// them: running = (1-Momentum)*running + Momentum*batch, where the running
// variance takes the unbiased variance (divided by M-1), as PyTorch does.
// In evaluation mode mean and var are the running statistics.
//
// Work is split across threads by channel, so each channel's sums are
// taken in one fixed order and results do not depend on the thread count.
type BatchNorm struct {
	N, C, HW int
	Eps      float64
	Momentum float64
	// Act is applied to each plane of the output as soon as it is
	// normalised, while in cache (Identity: none). The backward is the
	// batch norm's alone: the caller takes the activation's out first.
	Act Activation
}

// M returns how many values each channel's statistics cover: N*HW.
func (p BatchNorm) M() int { return p.N * p.HW }

// channels runs fn(c) for every channel, split across threads when the
// input is large.
func (p BatchNorm) channels(fn func(c int)) {
	parallelFor(p.C, p.M(), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			fn(c)
		}
	})
}

// plane returns channel c's values of image n in a (an N×C×HW slice).
func (p BatchNorm) plane(a []float32, n, c int) []float32 {
	off := (n*p.C + c) * p.HW
	return a[off : off+p.HW]
}

// BatchNormTrain normalises x (N×C×HW) with the batch's statistics and
// writes y; w and b (C each) are the affine weight and bias, nil meaning 1
// and 0. It stores each channel's mean and 1/sqrt(var+Eps) in mean and
// invstd (C each) for BatchNormBackward. runningMean and runningVar (C
// each, or both nil) are updated in place with Momentum. Statistics are
// summed in float64, the variance with the mean in one pass (a second
// around the mean where the mean is far from 0 against the deviation,
// and cancellation would show). (With M() = 1 the unbiased variance is
// undefined; the biased one, 0, is used.)
func BatchNormTrain(p BatchNorm, x, w, b, y, mean, invstd, runningMean, runningVar []float32) {
	m := p.M()
	p.channels(func(c int) {
		var s, ss float64
		for n := 0; n < p.N; n++ {
			d := sumDeviations(p.plane(x, n, c), 0)
			s += d.s
			ss += d.ss
		}
		mu := s / float64(m)
		// The squares' sum about the mean, Σx² - (Σx)²/m, carries the
		// float64 sums' rounding (at worst m·10⁻¹⁶ of Σx², about √m·10⁻¹⁶
		// as a rule) magnified by 1 + mu²/var in the subtraction: for a
		// stem channel (m = 125,440) whose mean is within 30 deviations
		// of 0, at worst 10⁻⁸ of the variance, as a rule 4·10⁻¹¹, below
		// float32's rounding (6·10⁻⁸). Beyond that, a second pass about
		// the mean.
		ss -= s * mu
		if !(mu*mu <= 1e3*ss/float64(m)) {
			ss = 0
			for n := 0; n < p.N; n++ {
				ss += sumDeviations(p.plane(x, n, c), mu).ss
			}
		}
		variance := ss / float64(m)
		is := 1 / math.Sqrt(variance+p.Eps)
		mean[c], invstd[c] = float32(mu), float32(is)
		if runningMean != nil {
			mom := p.Momentum
			runningMean[c] = float32((1-mom)*float64(runningMean[c]) + mom*mu)
			unbiased := variance
			if m > 1 {
				unbiased = ss / float64(m-1)
			}
			runningVar[c] = float32((1-mom)*float64(runningVar[c]) + mom*unbiased)
		}
		p.applyChannel(c, x, w, b, y, float32(mu), is)
	})
}

// BatchNormEval normalises x (N×C×HW) with the running statistics and
// writes y; w and b as in BatchNormTrain. It stores the mean and
// 1/sqrt(var+Eps) it used in mean and invstd (C each) for
// BatchNormBackward, so that later updates of the running statistics do
// not change the backward pass.
func BatchNormEval(p BatchNorm, x, w, b, runningMean, runningVar, y, mean, invstd []float32) {
	for c := 0; c < p.C; c++ {
		mean[c] = runningMean[c]
		invstd[c] = float32(1 / math.Sqrt(float64(runningVar[c])+p.Eps))
	}
	p.channels(func(c int) {
		p.applyChannel(c, x, w, b, y, mean[c], float64(invstd[c]))
	})
}

// applyChannel writes y = Act((x-mu)*invstd*w + b) for channel c.
func (p BatchNorm) applyChannel(c int, x, w, b, y []float32, mu float32, invstd float64) {
	scale, shift := invstd, 0.0
	if w != nil {
		scale *= float64(w[c])
	}
	if b != nil {
		shift = float64(b[c])
	}
	k := [3]float32{mu, float32(scale), float32(shift)}
	for n := 0; n < p.N; n++ {
		xs, ys := p.plane(x, n, c), p.plane(y, n, c)
		for i := batchNormApplyVector(xs, ys, &k); i < len(xs); i++ {
			ys[i] = (xs[i]-k[0])*k[1] + k[2]
		}
		p.Act.apply(ys)
	}
}

// deviationSums are the float64 sums of a plane's deviations from a
// mean, and of their squares.
type deviationSums struct{ s, ss float64 }

// sumDeviations returns the sums of x's deviations from mu and of their
// squares, in float64.
func sumDeviations(x []float32, mu float64) deviationSums {
	var lanes [16]float64
	i := sumDeviationsVector(x, mu, &lanes)
	var r deviationSums
	for l := range 8 {
		r.s += lanes[l]
		r.ss += lanes[8+l]
	}
	for _, v := range x[i:] {
		d := float64(v) - mu
		r.s += d
		r.ss += d * d
	}
	return r
}

// BatchNormBackward computes the gradients of BatchNormTrain (training) or
// BatchNormEval (!training) given dy, the input x, w (nil for 1) and the
// mean and invstd the forward pass stored. With xhat = (x-mean)*invstd:
//
//	dw += sum(dy*xhat), db += sum(dy)            (per channel)
//	dx  = w*invstd/M * (M*dy - sum(dy) - xhat*sum(dy*xhat))   (training)
//	dx  = w*invstd * dy                                       (evaluation)
//
// dx is added into (add) or stored. Any of dx, dw and db may be nil when
// that gradient is not wanted.
func BatchNormBackward(p BatchNorm, training bool, x, w, mean, invstd, dy, dx, dw, db []float32, add bool) {
	m := float64(p.M())
	p.channels(func(c int) {
		mu, is := mean[c], float64(invstd[c])
		wc := 1.0
		if w != nil {
			wc = float64(w[c])
		}
		needSums := dw != nil || db != nil || (training && dx != nil)
		var sdy, sdyx float64 // sum(dy), sum(dy*(x-mean))
		if needSums {
			var lanes [16]float64
			for n := 0; n < p.N; n++ {
				xs, gs := p.plane(x, n, c), p.plane(dy, n, c)
				gs = gs[:len(xs)]
				for i := batchNormBackwardSumsVector(xs, gs, mu, &lanes); i < len(xs); i++ {
					g := float64(gs[i])
					sdy += g
					sdyx += g * float64(xs[i]-mu)
				}
			}
			for l := range 8 {
				sdy += lanes[l]
				sdyx += lanes[8+l]
			}
		}
		sdyxhat := sdyx * is
		if dw != nil {
			dw[c] += float32(sdyxhat)
		}
		if db != nil {
			db[c] += float32(sdy)
		}
		if dx == nil {
			return
		}
		// dx = k*dy - k0 - k1*(x-mean).
		k := wc * is
		var k0, k1 float64
		if training {
			k0 = k * sdy / m
			k1 = k * sdyxhat / m * is
		}
		kv := [4]float32{mu, float32(k), float32(k0), float32(k1)}
		for n := 0; n < p.N; n++ {
			xs, gs, ds := p.plane(x, n, c), p.plane(dy, n, c), p.plane(dx, n, c)
			gs, ds = gs[:len(xs)], ds[:len(xs)]
			i := batchNormBackwardDxVector(xs, gs, ds, &kv, add)
			if add {
				for ; i < len(xs); i++ {
					ds[i] += kv[1]*gs[i] - kv[2] - kv[3]*(xs[i]-mu)
				}
			} else {
				for ; i < len(xs); i++ {
					ds[i] = kv[1]*gs[i] - kv[2] - kv[3]*(xs[i]-mu)
				}
			}
		}
	})
}
