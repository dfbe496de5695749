package tensor

import (
	"fmt"
	"math"
	"slices"

	"github.com/convnet/convnet/internal/kernels"
)

// Softmax returns exp(x) normalised to sum to 1 along dim (negative
// counts from the end; 1 for the usual N×classes logits), as
// torch.softmax(x, dim).
func Softmax(x *Tensor, dim int) *Tensor { return softmax("Softmax", x, dim, false) }

// LogSoftmax returns log(Softmax(x, dim)), computed stably.
func LogSoftmax(x *Tensor, dim int) *Tensor { return softmax("LogSoftmax", x, dim, true) }

func softmax(op string, x *Tensor, dim int, log bool) *Tensor {
	if x.Dim() == 0 {
		panic(fmt.Sprintf("tensor.%s: a tensor of no dimensions", op))
	}
	dim = normDim(op, dim, x.Dim())
	outer, c, inner := numel(x.shape[:dim]), x.shape[dim], numel(x.shape[dim+1:])
	out := x.mode().empty(x.shape...)
	switch {
	case inner == 1 && log:
		kernels.LogSoftmaxRows(x.data, out.data, outer, c)
	case inner == 1:
		kernels.SoftmaxRows(x.data, out.data, outer, c)
	default:
		softmaxStrided(x.data, out.data, outer, c, inner, log)
	}
	if nd := recordNode(out, readsOutput, softmaxBackward, x); nd != nil {
		nd.sizes = [3]int{outer, c, inner}
		if log {
			nd.sizes[0] = -outer
		}
	}
	if s := out.mode(); s.tracing() {
		s.traceOp(op, dim, out, x)
	}
	return out
}

// softmaxStrided is the (log-)softmax along the middle dimension of an
// outer×c×inner tensor.
func softmaxStrided(x, y []float32, outer, c, inner int, log bool) {
	for o := 0; o < outer; o++ {
		base := o * c * inner
		for j := 0; j < inner; j++ {
			at := func(k int) int { return base + k*inner + j }
			m := x[at(0)]
			for k := 1; k < c; k++ {
				m = max(m, x[at(k)])
			}
			var s float64
			for k := 0; k < c; k++ {
				s += math.Exp(float64(x[at(k)] - m))
			}
			lse := m + float32(math.Log(s))
			for k := 0; k < c; k++ {
				v := x[at(k)] - lse
				if !log {
					v = float32(math.Exp(float64(v)))
				}
				y[at(k)] = v
			}
		}
	}
}

func softmaxBackward(nd *node, g []float32) {
	dx, fresh := gradOut(nd.ins[0])
	if dx == nil {
		return
	}
	if fresh {
		clear(dx)
	}
	outer, c, inner := nd.sizes[0], nd.sizes[1], nd.sizes[2]
	log := outer < 0
	if log {
		outer = -outer
	}
	y := nd.out.data
	switch {
	case inner == 1 && log:
		kernels.LogSoftmaxRowsBackward(y, g, dx, outer, c)
	case inner == 1:
		kernels.SoftmaxRowsBackward(y, g, dx, outer, c)
	default:
		for o := 0; o < outer; o++ {
			base := o * c * inner
			for j := 0; j < inner; j++ {
				var s float32
				for k := 0; k < c; k++ {
					i := base + k*inner + j
					if log {
						s += g[i]
					} else {
						s += g[i] * y[i]
					}
				}
				for k := 0; k < c; k++ {
					i := base + k*inner + j
					if log {
						dx[i] += g[i] - float32(math.Exp(float64(y[i])))*s
					} else {
						dx[i] += y[i] * (g[i] - s)
					}
				}
			}
		}
	}
}

// CrossEntropy returns the mean over the batch of -log softmax(logits)[target],
// for logits N×classes and N targets in [0, classes), as PyTorch's
// cross_entropy with reduction "mean".
func CrossEntropy(logits *Tensor, targets []int) *Tensor {
	if logits.Dim() != 2 || logits.shape[0] != len(targets) {
		panic(fmt.Sprintf("tensor.CrossEntropy: logits %v need to be N×classes for %d targets", logits.shape, len(targets)))
	}
	n, classes := logits.shape[0], logits.shape[1]
	for i, c := range targets {
		if c < 0 || c >= classes {
			panic(fmt.Sprintf("tensor.CrossEntropy: target %d is %d, outside [0, %d)", i, c, classes))
		}
	}
	s := logits.mode()
	logp := s.scratch(n * classes)
	kernels.LogSoftmaxRows(logits.data, logp, n, classes)
	var sum float64
	for i, c := range targets {
		sum -= float64(logp[i*classes+c])
	}
	out := s.empty()
	out.data[0] = float32(sum / float64(max(n, 1)))
	if nd := recordNode(out, 0, crossEntropyBackward, logits); nd != nil {
		nd.buf, nd.labels, nd.sizes = logp, targets, [3]int{n, classes}
	}
	return out
}

func crossEntropyBackward(nd *node, g []float32) {
	logp, targets, n, classes := nd.buf, nd.labels, nd.sizes[0], nd.sizes[1]
	dx, fresh := gradOut(nd.ins[0])
	if fresh {
		clear(dx)
	}
	scale := g[0] / float32(n)
	// d/dlogits of the mean loss: (softmax - onehot(target)) / N.
	for i, c := range targets {
		for j := 0; j < classes; j++ {
			p := float32(math.Exp(float64(logp[i*classes+j])))
			if j == c {
				p--
			}
			dx[i*classes+j] += scale * p
		}
	}
}

// Reduction says how a loss combines the losses of its elements, as
// PyTorch's reduction argument.
type Reduction uint8

const (
	ReduceMean Reduction = iota // the mean ("mean", the default)
	ReduceSum                   // the sum ("sum")
	ReduceNone                  // each element's loss ("none")
)

// LossOptions are the settings of NLLLossWith and CrossEntropyWith, as
// the arguments of PyTorch's nll_loss and cross_entropy.
type LossOptions struct {
	// Weight, if not nil, weighs each class's loss (one weight per
	// class); the mean is then taken over the weights of the targets, as
	// PyTorch does.
	Weight []float32
	// LabelSmoothing, in [0, 1], mixes the one-hot target with the uniform
	// distribution over the classes (CrossEntropyWith only).
	LabelSmoothing float32
	// Reduction combines the N samples' losses (ReduceNone: a tensor of N).
	Reduction Reduction
	// IgnoreIndex, if not nil, is a target value whose samples count for
	// nothing: no loss, no gradient, no share of the mean (PyTorch's
	// ignore_index; it may lie outside the classes, as PyTorch's -100).
	IgnoreIndex *int
}

// NLLLoss returns the mean over the batch of -input[i, target[i]], for
// input N×classes (log-probabilities, as LogSoftmax gives) and N targets
// in [0, classes), as PyTorch's nll_loss.
func NLLLoss(input *Tensor, targets []int) *Tensor {
	return classLoss("NLLLoss", input, targets, LossOptions{}, false)
}

// NLLLossWith is NLLLoss with class weights and another reduction.
func NLLLossWith(input *Tensor, targets []int, o LossOptions) *Tensor {
	if o.LabelSmoothing != 0 {
		panic("tensor.NLLLossWith: label smoothing is CrossEntropyWith's")
	}
	return classLoss("NLLLossWith", input, targets, o, false)
}

// CrossEntropyWith is CrossEntropy with class weights, label smoothing
// and another reduction, as PyTorch's cross_entropy(logits, targets,
// weight, reduction=..., label_smoothing=...).
func CrossEntropyWith(logits *Tensor, targets []int, o LossOptions) *Tensor {
	return classLoss("CrossEntropyWith", logits, targets, o, true)
}

// classLoss is NLLLoss, of the log-softmax of x if logits.
func classLoss(op string, x *Tensor, targets []int, o LossOptions, logits bool) *Tensor {
	if x.Dim() != 2 || x.shape[0] != len(targets) {
		panic(fmt.Sprintf("tensor.%s: input %v needs to be N×classes for %d targets", op, x.shape, len(targets)))
	}
	n, classes := x.shape[0], x.shape[1]
	ignored := func(c int) bool { return o.IgnoreIndex != nil && c == *o.IgnoreIndex }
	for i, c := range targets {
		if (c < 0 || c >= classes) && !ignored(c) {
			panic(fmt.Sprintf("tensor.%s: target %d is %d, outside [0, %d)", op, i, c, classes))
		}
	}
	if o.Weight != nil && len(o.Weight) != classes {
		panic(fmt.Sprintf("tensor.%s: %d class weights for %d classes", op, len(o.Weight), classes))
	}
	if o.LabelSmoothing < 0 || o.LabelSmoothing > 1 {
		panic(fmt.Sprintf("tensor.%s: label smoothing %g is outside [0, 1]", op, o.LabelSmoothing))
	}
	weight := func(c int) float64 {
		if o.Weight == nil {
			return 1
		}
		return float64(o.Weight[c])
	}
	var wsum float64 // the sum of all class weights, for smoothing
	for c := range classes {
		wsum += weight(c)
	}
	s := x.mode()
	logp := x.data
	if logits {
		logp = s.scratch(n * classes)
		kernels.LogSoftmaxRows(x.data, logp, n, classes)
	}
	eps := float64(o.LabelSmoothing)
	losses := make([]float64, n)
	var z float64 // the mean's divisor
	for i, c := range targets {
		if ignored(c) {
			continue
		}
		row := logp[i*classes : (i+1)*classes]
		l := -(1 - eps) * weight(c) * float64(row[c])
		if eps != 0 {
			var sm float64
			for k, v := range row {
				sm += weight(k) * float64(v)
			}
			l -= eps / float64(classes) * sm
		}
		losses[i] = l
		z += weight(c)
	}
	out := reduceLosses(s, losses, o.Reduction, z)
	// The backward reads logp (the input itself for NLL) and the options.
	reads := dataUse(0)
	if !logits {
		reads = readsInputs
	}
	recordReading(out, reads, func(g []float32) {
		d, fresh := gradOut(x)
		if d == nil {
			return
		}
		if fresh {
			clear(d)
		}
		for i, c := range targets {
			if ignored(c) {
				continue
			}
			a := lossScale(g, i, o.Reduction, z)
			row, drow := logp[i*classes:(i+1)*classes], d[i*classes:(i+1)*classes]
			// The loss of row i is -Σ_k u_k logp_k with u_k the weights of
			// the smoothed target; through the log-softmax its gradient is
			// p_k Σu - u_k.
			var total float64
			if logits {
				total = (1-eps)*weight(c) + eps/float64(classes)*wsum
			}
			for k := range drow {
				u := eps / float64(classes) * weight(k)
				if k == c {
					u += (1 - eps) * weight(c)
				}
				gk := -u
				if logits {
					gk += math.Exp(float64(row[k])) * total
				}
				drow[k] += float32(a * gk)
			}
		}
	}, x)
	return out
}

// reduceLosses returns the loss tensor of the given element losses: their
// mean (sum over z), sum, or themselves.
func reduceLosses(s *Scope, losses []float64, r Reduction, z float64) *Tensor {
	if r == ReduceNone {
		out := s.empty(len(losses))
		for i, l := range losses {
			out.data[i] = float32(l)
		}
		return out
	}
	var sum float64
	for _, l := range losses {
		sum += l
	}
	if r == ReduceMean {
		sum /= z
	}
	out := s.empty()
	out.data[0] = float32(sum)
	return out
}

// lossScale returns the factor by which element i's loss enters the loss
// whose gradient is g.
func lossScale(g []float32, i int, r Reduction, z float64) float64 {
	switch r {
	case ReduceNone:
		return float64(g[i])
	case ReduceMean:
		return float64(g[0]) / z
	}
	return float64(g[0])
}

// MSELoss returns the squared differences of input and target (of one
// shape), reduced, as PyTorch's mse_loss.
func MSELoss(input, target *Tensor, r Reduction) *Tensor {
	return elementLoss("MSELoss", input, target, r, func(_ int, x, t float64) (l, dx, dt float64) {
		d := x - t
		return d * d, 2 * d, -2 * d
	})
}

// SmoothL1Loss returns the Huber-like loss of input and target (of one
// shape), reduced, as PyTorch's smooth_l1_loss(input, target, beta=beta):
// 0.5·d²/beta where |d| < beta, |d| - 0.5·beta elsewhere; beta 0 is the
// L1 loss.
func SmoothL1Loss(input, target *Tensor, beta float32, r Reduction) *Tensor {
	b := float64(beta)
	return elementLoss("SmoothL1Loss", input, target, r, func(_ int, x, t float64) (l, dx, dt float64) {
		d := x - t
		if math.Abs(d) < b {
			return 0.5 * d * d / b, d / b, -d / b
		}
		s := 1.0
		if d < 0 {
			s = -1
		} else if d == 0 {
			s = 0
		}
		return math.Abs(d) - 0.5*b, s, -s
	})
}

// BCEWithLogits returns the binary cross-entropy of sigmoid(logits) and
// target (probabilities, of one shape), reduced, computed stably from the
// logits as PyTorch's binary_cross_entropy_with_logits.
func BCEWithLogits(logits, target *Tensor, r Reduction) *Tensor {
	return BCEWithLogitsWith(logits, target, BCEOptions{Reduction: r})
}

// BCEOptions are the settings of BCEWithLogitsWith, as the arguments of
// PyTorch's binary_cross_entropy_with_logits.
type BCEOptions struct {
	// Weight, if not nil, weighs each element's loss; its shape
	// broadcasts to the input's (see Add).
	Weight *Tensor
	// PosWeight, if not nil, weighs the positive term of each element's
	// loss, -t·log σ(x); its shape broadcasts to the input's (one weight
	// per class, the last dimension, for multi-label targets).
	PosWeight *Tensor
	Reduction Reduction
}

// BCEWithLogitsWith is BCEWithLogits with element and positive weights
// (no gradient flows to either).
func BCEWithLogitsWith(logits, target *Tensor, o BCEOptions) *Tensor {
	w := expandTo("BCEWithLogitsWith", o.Weight, logits.shape)
	pw := expandTo("BCEWithLogitsWith", o.PosWeight, logits.shape)
	return elementLoss("BCEWithLogitsWith", logits, target, o.Reduction, func(i int, x, t float64) (l, dx, dt float64) {
		// l = (1-t)·x + lw·softplus(-x), lw = 1 + (pw-1)·t, softplus
		// computed stably.
		p := 1.0
		if pw != nil {
			p = float64(pw[i])
		}
		lw := 1 + (p-1)*t
		sp := math.Log1p(math.Exp(-math.Abs(x))) + max(-x, 0)
		sig := 1 / (1 + math.Exp(-x))
		l, dx, dt = (1-t)*x+lw*sp, (1-t)-lw*(1-sig), -x+(p-1)*sp
		if w != nil {
			c := float64(w[i])
			l, dx, dt = l*c, dx*c, dt*c
		}
		return l, dx, dt
	})
}

// expandTo returns t's values broadcast to shape (nil for a nil t).
func expandTo(op string, t *Tensor, shape []int) []float32 {
	if t == nil {
		return nil
	}
	var buf [8]int
	if b := broadcastShape(op, t.shape, shape, buf[:]); !slices.Equal(b, shape) {
		panic(fmt.Sprintf("tensor.%s: shape %v does not broadcast to %v", op, t.shape, shape))
	}
	out := make([]float32, numel(shape))
	l := broadcastLoop(op, t, t, shape)
	n, st := l.n(), l.inner(1)
	for r := l.rows(); r > 0; r-- {
		o, x := out[l.off[0]:l.off[0]+n], t.data[l.off[1]:]
		for i := range o {
			o[i] = x[i*st]
		}
		l.next()
	}
	return out
}

// elementLoss is a loss of input and target element by element, f giving
// each element's loss and its derivatives.
func elementLoss(op string, input, target *Tensor, r Reduction, f func(i int, x, t float64) (l, dx, dt float64)) *Tensor {
	if !slices.Equal(input.shape, target.shape) {
		panic(fmt.Sprintf("tensor.%s: input %v and target %v differ in shape", op, input.shape, target.shape))
	}
	s := scopeOf(input, target, nil)
	n := len(input.data)
	losses := make([]float64, n)
	for i := range losses {
		losses[i], _, _ = f(i, float64(input.data[i]), float64(target.data[i]))
	}
	var out *Tensor
	if r == ReduceNone {
		out = s.empty(input.shape...)
		for i, l := range losses {
			out.data[i] = float32(l)
		}
	} else {
		out = reduceLosses(s, losses, r, float64(n))
	}
	recordReading(out, readsInputs, func(g []float32) {
		di, freshI := gradOut(input)
		dt, freshT := gradOut(target)
		if freshI {
			clear(di)
		}
		if freshT {
			clear(dt)
		}
		for i := 0; i < n; i++ {
			a := lossScale(g, i, r, float64(n))
			_, gx, gt := f(i, float64(input.data[i]), float64(target.data[i]))
			if di != nil {
				di[i] += float32(a * gx)
			}
			if dt != nil {
				dt[i] += float32(a * gt)
			}
		}
	}, input, target)
	return out
}
