package tensor

import (
	"fmt"

	"github.com/convnet/convnet/internal/kernels"
)

// Linear returns x·weightᵀ + bias for x of shape N×in, weight out×in and
// bias out (or nil): the result is N×out.
func Linear(x, weight, bias *Tensor) *Tensor { return LinearCached(x, weight, bias, nil) }

// LinearCached is Linear with a cache for the weight's packed form (see
// WeightCache), used where nothing is recorded: in bf16, a small batch
// then does not convert the whole weight on every call.
func LinearCached(x, weight, bias *Tensor, cache *WeightCache) *Tensor {
	if x.Dim() != 2 || weight.Dim() != 2 || x.shape[1] != weight.shape[1] {
		panic(fmt.Sprintf("tensor.Linear: input %v does not fit weight %v (want N×%d)", x.shape, weight.shape, weight.Size(-1)))
	}
	if bias != nil && (bias.Dim() != 1 || bias.shape[0] != weight.shape[0]) {
		panic(fmt.Sprintf("tensor.Linear: bias %v does not match weight %v", bias.shape, weight.shape))
	}
	n, in, outF := x.shape[0], x.shape[1], weight.shape[0]
	s := scopeOf(x, weight, bias)
	out := s.empty(n, outF)
	if cache != nil && s.bf16() && !s.recording(x, weight, bias) {
		kernels.LinearBF16(n, in, outF, x.data, weight.data, out.data, cache.id)
	} else {
		kernels.GemmIn(s.bf16(), false, true, n, outF, in, 1, x.data, in, weight.data, in, 0, out.data, outF)
	}
	if bias != nil {
		kernels.AddBiasRows(bias.data, out.data)
	}
	if nd := recordNode(out, readsInputs, linearBackward, x, weight, bias); nd != nil {
		nd.sizes = [3]int{n, in, outF}
		nd.conv.BF16 = s.bf16() // the precision backward's products keep
	}
	if s := out.mode(); s.tracing() {
		s.traceOp("Linear", nil, out, x, weight, bias)
	}
	return out
}

func linearBackward(nd *node, g []float32) {
	x, weight, bias := nd.ins[0], nd.ins[1], nd.ins[2]
	n, in, outF := nd.sizes[0], nd.sizes[1], nd.sizes[2]
	if dx, fresh := gradOut(x); dx != nil {
		beta := float32(1)
		if fresh {
			beta = 0
		}
		kernels.GemmIn(nd.conv.BF16, false, false, n, in, outF, 1, g, outF, weight.data, in, beta, dx, in)
	}
	if dw, fresh := gradOut(weight); dw != nil {
		beta := float32(1)
		if fresh {
			beta = 0
		}
		kernels.GemmIn(nd.conv.BF16, true, false, outF, in, n, 1, g, outF, x.data, in, beta, dw, in)
	}
	if db, fresh := gradOut(bias); db != nil {
		if fresh {
			clear(db)
		}
		kernels.SumRows(g, db)
	}
}
