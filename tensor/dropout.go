package tensor

import (
	"fmt"
	"math/rand/v2"
)

// Dropout zeroes each element of x with probability p and scales the rest
// by 1/(1-p), as PyTorch's F.dropout, when training; the same mask scales
// the gradient on the way back. With p = 1 every element is zeroed.
//
// In evaluation (training false), or with p = 0, it returns x itself: no
// copy and no graph node.
//
// The mask is drawn from rng, one Float64 per element in order, so a
// generator seeded the same way gives the same mask; nil uses math/rand/v2's
// global generator. p must be in [0, 1].
func Dropout(x *Tensor, p float64, training bool, rng *rand.Rand) *Tensor {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("tensor.Dropout: probability %v must be between 0 and 1", p))
	}
	if !training || p == 0 {
		if s := x.mode(); s.tracing() {
			s.traceOp("Dropout", DropoutAttrs{P: p, Training: training}, x, x)
		}
		return x
	}
	draw := rand.Float64
	if rng != nil {
		draw = rng.Float64
	}
	keep := float32(0)
	if p < 1 {
		keep = float32(1 / (1 - p))
	}
	s := x.mode()
	out := s.empty(x.shape...)
	if !s.recording(x) {
		for i, v := range x.data {
			if draw() >= p {
				out.data[i] = v * keep
			} else {
				out.data[i] = v * 0 // NaN and Inf stay NaN, as in PyTorch
			}
		}
		if s.tracing() {
			s.traceOp("Dropout", DropoutAttrs{P: p, Training: training}, out, x)
		}
		return out
	}
	// mask holds what each element is multiplied by: 0 or 1/(1-p).
	mask := s.scratch(len(x.data))
	for i, v := range x.data {
		if draw() >= p {
			mask[i] = keep
		} else {
			mask[i] = 0
		}
		out.data[i] = v * mask[i]
	}
	recordReading(out, 0, func(g []float32) {
		dx, fresh := gradOut(x)
		if fresh {
			for i, v := range g {
				dx[i] = v * mask[i]
			}
		} else {
			for i, v := range g {
				dx[i] += v * mask[i]
			}
		}
	}, x)
	if s.tracing() {
		s.traceOp("Dropout", DropoutAttrs{P: p, Training: training}, out, x)
	}
	return out
}
