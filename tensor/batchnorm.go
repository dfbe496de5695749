package tensor

import (
	"fmt"
	"math"
	"slices"

	"github.com/convnet/convnet/internal/kernels"
)

// BatchNorm2d normalises x (N×C×H×W) per channel, as PyTorch's
// F.batch_norm: y = (x-mean)/sqrt(var+eps)*weight + bias.
//
// weight and bias (C each) may be nil, meaning 1 and 0 (affine=False).
// runningMean and runningVar (C each) are both given or both nil.
//
// In training mode mean and var are the batch's statistics (the variance
// biased), and the running statistics, when given, are updated in place,
// outside autograd: running = (1-momentum)*running + momentum*batch, with
// the unbiased variance for runningVar, as PyTorch does. Training needs
// more than one value per channel (N*H*W > 1).
//
// In evaluation mode (training false) the running statistics are used and
// left alone; they must be given.
//
// Gradients flow to x, weight and bias.
func BatchNorm2d(x, weight, bias, runningMean, runningVar *Tensor, training bool, momentum, eps float64) *Tensor {
	return batchNorm2d(x, weight, bias, runningMean, runningVar, training, momentum, eps, ActNone)
}

// BatchNorm2dAct returns act(BatchNorm2d(x, ...)), applying act to each
// plane as soon as it is normalised, while it is in cache, rather than in
// a pass of its own over memory. The graph it records is BatchNorm2d's
// followed by the activation's (ReLU's or Tanh's); the batch norm's own
// output, which neither backward reads, is never stored.
func BatchNorm2dAct(x, weight, bias, runningMean, runningVar *Tensor, training bool, momentum, eps float64, act Activation) *Tensor {
	if x.mode().tracing() {
		// An exported graph has the two operations, as PyTorch's.
		return act.Apply(BatchNorm2d(x, weight, bias, runningMean, runningVar, training, momentum, eps))
	}
	return batchNorm2d(x, weight, bias, runningMean, runningVar, training, momentum, eps, act)
}

// batchNorm2d is BatchNorm2dAct without the tracing.
func batchNorm2d(x, weight, bias, runningMean, runningVar *Tensor, training bool, momentum, eps float64, act Activation) *Tensor {
	if x.Dim() != 4 {
		panic(fmt.Sprintf("tensor.BatchNorm2d: input %v must be 4-D (N, C, H, W)", x.shape))
	}
	c := x.shape[1]
	for _, a := range []struct {
		name string
		t    *Tensor
	}{{"weight", weight}, {"bias", bias}, {"running mean", runningMean}, {"running var", runningVar}} {
		if a.t != nil && !slices.Equal(a.t.shape, []int{c}) {
			panic(fmt.Sprintf("tensor.BatchNorm2d: %s has shape %v, want [%d] for input %v", a.name, a.t.shape, c, x.shape))
		}
	}
	if (runningMean == nil) != (runningVar == nil) {
		panic("tensor.BatchNorm2d: give both running statistics or neither")
	}
	if !(eps >= 0) || math.IsInf(eps, 0) {
		panic(fmt.Sprintf("tensor.BatchNorm2d: eps %v must be zero or positive", eps))
	}
	p := kernels.BatchNorm{N: x.shape[0], C: c, HW: x.shape[2] * x.shape[3], Eps: eps, Momentum: momentum, Act: act.kernel()}
	var w, b []float32
	if weight != nil {
		w = weight.data
	}
	if bias != nil {
		b = bias.data
	}
	s := scopeOf(x, weight, bias)
	out := s.empty(x.shape...)
	mean, invstd := s.scratch(c), s.scratch(c)
	if training {
		if p.M() <= 1 {
			panic(fmt.Sprintf("tensor.BatchNorm2d: expected more than 1 value per channel when training, got input %v", x.shape))
		}
		var rm, rv []float32
		if runningMean != nil {
			rm, rv = runningMean.data, runningVar.data
		}
		kernels.BatchNormTrain(p, x.data, w, b, out.data, mean, invstd, rm, rv)
	} else {
		if runningMean == nil {
			panic("tensor.BatchNorm2d: evaluation mode needs the running statistics")
		}
		kernels.BatchNormEval(p, x.data, w, b, runningMean.data, runningVar.data, out.data, mean, invstd)
	}
	norm := out // the batch norm's output; a shell where act follows
	if act != ActNone && s.recording(x, weight, bias) {
		norm = s.shell(x.shape)
	}
	recordReading(norm, readsInputs, func(g []float32) {
		dx, fresh := gradOut(x)
		kernels.BatchNormBackward(p, training, x.data, w, mean, invstd, g, dx, gradData(weight), gradData(bias), !fresh)
	}, x, weight, bias)
	if act != ActNone {
		recordActivation(out, act, norm)
		out.nonNegative = act == ActReLU
	}
	if s.tracing() {
		s.traceOp("BatchNorm2d", BatchNormAttrs{Training: training, Momentum: momentum, Eps: eps}, out,
			x, weight, bias, runningMean, runningVar)
	}
	return out
}
