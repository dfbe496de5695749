package tensor

import (
	"fmt"
	"math"

	"github.com/convnet/convnet/internal/kernels"
)

// rowsOf checks that dim is x's last dimension and returns x as rows×cols.
func rowsOf(op string, x *Tensor, dim int) (rows, cols int) {
	if dim < 0 {
		dim += x.Dim()
	}
	if x.Dim() == 0 || dim != x.Dim()-1 {
		panic(fmt.Sprintf("tensor.%s: only the last dimension is supported (shape %v, dim %d)", op, x.shape, dim))
	}
	cols = x.shape[dim]
	return len(x.data) / max(cols, 1), cols
}

// Softmax returns exp(x) normalised to sum to 1 along dim, which must be
// the last dimension (1 for the usual N×classes logits).
func Softmax(x *Tensor, dim int) *Tensor {
	rows, cols := rowsOf("Softmax", x, dim)
	out := x.mode().empty(x.shape...)
	kernels.SoftmaxRows(x.data, out.data, rows, cols)
	recordReading(out, readsOutput, func(g []float32) { kernels.SoftmaxRowsBackward(out.data, g, gradData(x), rows, cols) }, x)
	return out
}

// LogSoftmax returns log(Softmax(x, dim)), computed stably.
func LogSoftmax(x *Tensor, dim int) *Tensor {
	rows, cols := rowsOf("LogSoftmax", x, dim)
	out := x.mode().empty(x.shape...)
	kernels.LogSoftmaxRows(x.data, out.data, rows, cols)
	recordReading(out, readsOutput, func(g []float32) { kernels.LogSoftmaxRowsBackward(out.data, g, gradData(x), rows, cols) }, x)
	return out
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
