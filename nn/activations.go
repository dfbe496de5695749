package nn

import (
	"fmt"
	"strconv"

	"github.com/convnet/convnet/tensor"
)

// The activation layers below print as PyTorch 1.13 prints them. Inplace,
// where a layer has it, is PyTorch's flag for printing only (as
// ReLU.Inplace): Forward always returns a new tensor, which the graph
// needs for backward.

// Sigmoid applies 1/(1+exp(-x)) element-wise.
type Sigmoid struct{ Base }

// NewSigmoid returns a Sigmoid layer.
func NewSigmoid() *Sigmoid { m := &Sigmoid{}; m.Init(m, "Sigmoid"); return m }

// Forward applies the sigmoid.
func (m *Sigmoid) Forward(x *tensor.Tensor) *tensor.Tensor { return tensor.Sigmoid(x) }

// ReLU6 applies min(max(x, 0), 6) element-wise (MobileNetV2's activation).
type ReLU6 struct {
	Base
	Inplace bool // printing only: "ReLU6(inplace=True)"
}

// NewReLU6 returns a ReLU6 layer.
func NewReLU6() *ReLU6 { m := &ReLU6{}; m.Init(m, "ReLU6"); return m }

// Forward applies ReLU6.
func (m *ReLU6) Forward(x *tensor.Tensor) *tensor.Tensor { return tensor.ReLU6(x) }

// ExtraRepr gives PyTorch's settings string.
func (m *ReLU6) ExtraRepr() string { return inplaceRepr(m.Inplace, "") }

// Hardtanh clamps x to [Min, Max] element-wise.
type Hardtanh struct {
	Base
	Min, Max float64
	Inplace  bool // printing only
}

// NewHardtanh returns a Hardtanh layer clamping to [lo, hi] (PyTorch's
// defaults are -1 and 1).
func NewHardtanh(lo, hi float64) *Hardtanh {
	if !(lo < hi) {
		panic(fmt.Sprintf("nn.NewHardtanh: min %g is not below max %g", lo, hi))
	}
	m := &Hardtanh{Min: lo, Max: hi}
	m.Init(m, "Hardtanh")
	return m
}

// Forward applies the clamp.
func (m *Hardtanh) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.Hardtanh(x, float32(m.Min), float32(m.Max))
}

// ExtraRepr gives PyTorch's settings string, "min_val=-1.0, max_val=1.0".
func (m *Hardtanh) ExtraRepr() string {
	return "min_val=" + pyFloat(m.Min) + ", max_val=" + pyFloat(m.Max) + inplaceRepr(m.Inplace, ", ")
}

// LeakyReLU applies x where x > 0 and NegativeSlope*x elsewhere.
type LeakyReLU struct {
	Base
	NegativeSlope float64
	Inplace       bool // printing only
}

// NewLeakyReLU returns a LeakyReLU layer of the given negative slope
// (PyTorch's default is 0.01).
func NewLeakyReLU(negativeSlope float64) *LeakyReLU {
	m := &LeakyReLU{NegativeSlope: negativeSlope}
	m.Init(m, "LeakyReLU")
	return m
}

// Forward applies the leaky ReLU.
func (m *LeakyReLU) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.LeakyReLU(x, float32(m.NegativeSlope))
}

// ExtraRepr gives PyTorch's settings string, "negative_slope=0.01".
func (m *LeakyReLU) ExtraRepr() string {
	return "negative_slope=" + pyFloat(m.NegativeSlope) + inplaceRepr(m.Inplace, ", ")
}

// Hardsigmoid applies ReLU6(x+3)/6 element-wise.
type Hardsigmoid struct {
	Base
	Inplace bool // not printed, as in PyTorch
}

// NewHardsigmoid returns a Hardsigmoid layer.
func NewHardsigmoid() *Hardsigmoid { m := &Hardsigmoid{}; m.Init(m, "Hardsigmoid"); return m }

// Forward applies the hard sigmoid.
func (m *Hardsigmoid) Forward(x *tensor.Tensor) *tensor.Tensor { return tensor.Hardsigmoid(x) }

// Hardswish applies x*ReLU6(x+3)/6 element-wise (MobileNetV3's activation).
type Hardswish struct {
	Base
	Inplace bool // not printed, as in PyTorch
}

// NewHardswish returns a Hardswish layer.
func NewHardswish() *Hardswish { m := &Hardswish{}; m.Init(m, "Hardswish"); return m }

// Forward applies the hard swish.
func (m *Hardswish) Forward(x *tensor.Tensor) *tensor.Tensor { return tensor.Hardswish(x) }

// SiLU applies x*sigmoid(x) element-wise (swish).
type SiLU struct {
	Base
	Inplace bool // printing only: "SiLU(inplace=True)"
}

// NewSiLU returns a SiLU layer.
func NewSiLU() *SiLU { m := &SiLU{}; m.Init(m, "SiLU"); return m }

// Forward applies SiLU.
func (m *SiLU) Forward(x *tensor.Tensor) *tensor.Tensor { return tensor.SiLU(x) }

// ExtraRepr gives PyTorch's settings string.
func (m *SiLU) ExtraRepr() string { return inplaceRepr(m.Inplace, "") }

// GELU applies x*Φ(x) element-wise, or its tanh approximation.
type GELU struct {
	Base
	// Approximate is PyTorch's approximate: "none" (exact) or "tanh".
	Approximate string
}

// NewGELU returns a GELU layer: approximate "none" (or "") is the exact
// GELU, "tanh" the tanh approximation.
func NewGELU(approximate string) *GELU {
	switch approximate {
	case "":
		approximate = "none"
	case "none", "tanh":
	default:
		panic(fmt.Sprintf("nn.NewGELU: approximate %q is neither \"none\" nor \"tanh\"", approximate))
	}
	m := &GELU{Approximate: approximate}
	m.Init(m, "GELU")
	return m
}

// Forward applies GELU.
func (m *GELU) Forward(x *tensor.Tensor) *tensor.Tensor {
	if m.Approximate == "tanh" {
		return tensor.GELUTanh(x)
	}
	return tensor.GELU(x)
}

// ExtraRepr gives PyTorch's settings string, "approximate='none'".
func (m *GELU) ExtraRepr() string { return "approximate='" + m.Approximate + "'" }

// Softmax normalises exp(x) to sum to 1 along Dim.
type Softmax struct {
	Base
	Dim int
}

// NewSoftmax returns a Softmax layer over dim (negative counts from the
// end).
func NewSoftmax(dim int) *Softmax { m := &Softmax{Dim: dim}; m.Init(m, "Softmax"); return m }

// Forward applies the softmax.
func (m *Softmax) Forward(x *tensor.Tensor) *tensor.Tensor { return tensor.Softmax(x, m.Dim) }

// ExtraRepr gives PyTorch's settings string, "dim=1".
func (m *Softmax) ExtraRepr() string { return "dim=" + strconv.Itoa(m.Dim) }

// LogSoftmax is log(Softmax) along Dim, computed stably.
type LogSoftmax struct {
	Base
	Dim int
}

// NewLogSoftmax returns a LogSoftmax layer over dim.
func NewLogSoftmax(dim int) *LogSoftmax {
	m := &LogSoftmax{Dim: dim}
	m.Init(m, "LogSoftmax")
	return m
}

// Forward applies the log-softmax.
func (m *LogSoftmax) Forward(x *tensor.Tensor) *tensor.Tensor { return tensor.LogSoftmax(x, m.Dim) }

// ExtraRepr gives PyTorch's settings string, "dim=1".
func (m *LogSoftmax) ExtraRepr() string { return "dim=" + strconv.Itoa(m.Dim) }

// inplaceRepr is "inplace=True" after sep when on, as PyTorch's modules
// print the flag; "" when off.
func inplaceRepr(on bool, sep string) string {
	if on {
		return sep + "inplace=True"
	}
	return ""
}
