package nn

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/convnet/convnet/tensor"
)

// BatchNorm2d normalises each channel of N×C×H×W inputs, as
// torch.nn.BatchNorm2d (affine=True, track_running_stats=True):
//
//	y = (x - mean) / sqrt(var + Eps) * Weight + Bias
//
// In training mode mean and var are the batch's statistics and the running
// statistics move towards them by Momentum (the running variance takes the
// unbiased variance, as PyTorch does); in evaluation mode the running
// statistics are used.
//
// Its state_dict holds "weight", "bias" (parameters), "running_mean",
// "running_var" and "num_batches_tracked" (buffers), as PyTorch's.
type BatchNorm2d struct {
	Base
	NumFeatures int
	Eps         float64 // added to the variance; default 1e-5
	Momentum    float64 // weight of the new batch in the running statistics; default 0.1
	// Weight (ones) and Bias (zeros), one per channel. Forward also
	// accepts them nil (affine=False).
	Weight, Bias *tensor.Tensor
	// RunningMean (zeros) and RunningVar (ones), one per channel, updated
	// in place by each training forward. Forward also accepts them nil
	// (track_running_stats=False): batch statistics in both modes.
	RunningMean, RunningVar *tensor.Tensor
	// NumBatchesTracked counts training forwards. PyTorch keeps it as an
	// int64 scalar; here it is a float32 tensor of shape [] (one element),
	// exact up to 2^24 batches. Code that writes a PyTorch state_dict
	// should convert it to int64.
	NumBatchesTracked *tensor.Tensor
	// folded says the convolution before it does its work, in
	// evaluation mode (see FoldBatchNorm), until it trains again.
	folded bool
}

// BatchNormOption changes a BatchNorm2d setting from PyTorch's default.
type BatchNormOption func(*batchNormSettings)

type batchNormSettings struct {
	eps, momentum             float64
	affine, trackRunningStats bool
}

// Eps sets the value added to the variance (default 1e-5); GoogLeNet and
// Inception use 0.001: nn.NewBatchNorm2d(64, nn.Eps(0.001)).
func Eps(eps float64) BatchNormOption { return func(s *batchNormSettings) { s.eps = eps } }

// Momentum sets the weight of each new batch in the running statistics
// (default 0.1).
func Momentum(momentum float64) BatchNormOption {
	return func(s *batchNormSettings) { s.momentum = momentum }
}

// Affine says whether the layer has a learned weight and bias (default
// true), as PyTorch's affine argument; without, its state_dict has no
// "weight" or "bias".
func Affine(on bool) BatchNormOption { return func(s *batchNormSettings) { s.affine = on } }

// TrackRunningStats says whether the layer keeps running statistics
// (default true), as PyTorch's track_running_stats; without, it
// normalises with the batch's statistics in both modes and its state_dict
// has no buffers.
func TrackRunningStats(on bool) BatchNormOption {
	return func(s *batchNormSettings) { s.trackRunningStats = on }
}

// NewBatchNorm2d returns a batch normalisation layer for numFeatures
// channels with PyTorch's defaults, unless opts change them: eps 1e-5,
// momentum 0.1, weight ones, bias zeros, running mean zeros and running
// variance ones.
func NewBatchNorm2d(numFeatures int, opts ...BatchNormOption) *BatchNorm2d {
	if numFeatures < 1 {
		panic(fmt.Sprintf("nn.NewBatchNorm2d(%d): the number of features must be positive", numFeatures))
	}
	s := batchNormSettings{eps: 1e-5, momentum: 0.1, affine: true, trackRunningStats: true}
	for _, o := range opts {
		o(&s)
	}
	if !(s.eps >= 0) || !(s.momentum >= 0 && s.momentum <= 1) {
		panic(fmt.Sprintf("nn.NewBatchNorm2d(%d): eps must not be negative and momentum must be between 0 and 1, not %v and %v", numFeatures, s.eps, s.momentum))
	}
	m := &BatchNorm2d{NumFeatures: numFeatures, Eps: s.eps, Momentum: s.momentum}
	m.Init(m, "BatchNorm2d")
	if s.affine {
		m.Weight = m.AddParameter("weight", tensor.Full(1, numFeatures))
		m.Bias = m.AddParameter("bias", tensor.Zeros(numFeatures))
	}
	if s.trackRunningStats {
		m.RunningMean = m.AddBuffer("running_mean", tensor.Zeros(numFeatures))
		m.RunningVar = m.AddBuffer("running_var", tensor.Full(1, numFeatures))
		m.NumBatchesTracked = m.AddBuffer("num_batches_tracked", tensor.Zeros())
	}
	return m
}

// Forward normalises x (N×NumFeatures×H×W). In training mode it updates
// the running statistics and NumBatchesTracked.
func (m *BatchNorm2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	return m.forwardAct(x, tensor.ActNone)
}

// forwardAct is Forward followed by act, in the same pass where the batch
// norm runs (tensor.BatchNorm2dAct).
func (m *BatchNorm2d) forwardAct(x *tensor.Tensor, act tensor.Activation) *tensor.Tensor {
	training := m.Training()
	if m.folded && !training {
		// The convolution before it does it (FoldBatchNorm), and the
		// activation too where it could (ReLU then returns x).
		return act.Apply(x)
	}
	if training && m.NumBatchesTracked != nil {
		m.NumBatchesTracked.Data()[0]++
	}
	if m.RunningMean == nil {
		// Without running statistics PyTorch uses the batch's in both modes.
		training = true
	}
	return tensor.BatchNorm2dAct(x, m.Weight, m.Bias, m.RunningMean, m.RunningVar, training, m.Momentum, m.Eps, act)
}

// BatchNormAct returns act(bn(x)), applying act to each channel as it is
// normalised rather than in a pass of its own (tensor.BatchNorm2dAct):
// ResNet's and GoogLeNet's batch norms and the ReLU after each. after is
// the activation's module, nil where it is a function (torchvision's
// F.relu). ok is false, and nothing is done, where bn or after has
// forward hooks, which must see the two outputs apart.
func BatchNormAct(bn *BatchNorm2d, x *tensor.Tensor, act tensor.Activation, after Module) (y *tensor.Tensor, ok bool) {
	if len(bn.hooks) > 0 || after != nil && len(after.ModuleBase().hooks) > 0 {
		return nil, false
	}
	return bn.forwardAct(x, act), true
}

// ExtraRepr gives PyTorch's settings string:
// "4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True".
func (m *BatchNorm2d) ExtraRepr() string {
	return fmt.Sprintf("%d, eps=%s, momentum=%s, affine=%s, track_running_stats=%s",
		m.NumFeatures, pyFloat(m.Eps), pyFloat(m.Momentum), pyBool(m.Weight != nil), pyBool(m.RunningMean != nil))
}

// pyFloat formats f as Python's repr(float) does: the shortest digits
// that read back as f, in positional notation for exponents -4 to 15 with
// at least one decimal ("0.1", "2.0"), in scientific notation otherwise
// with a two-digit exponent ("1e-05", "1e+16").
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if f != 0 && (exp < -4 || exp >= 16) {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// pyBool formats b as Python does.
func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
