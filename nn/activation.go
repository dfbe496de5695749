package nn

import "github.com/convnet/convnet/tensor"

// Tanh applies tanh element-wise.
type Tanh struct{ Base }

// NewTanh returns a Tanh layer.
func NewTanh() *Tanh { t := &Tanh{}; t.Init(t, "Tanh"); return t }

// Forward applies tanh.
func (t *Tanh) Forward(x *tensor.Tensor) *tensor.Tensor { return tensor.Tanh(x) }

// ReLU applies max(x, 0) element-wise.
type ReLU struct {
	Base
	// Inplace is PyTorch's inplace flag, for printing only
	// ("ReLU(inplace=True)", as torchvision's networks show): Forward
	// always returns a new tensor, which the graph needs for backward.
	Inplace bool
}

// NewReLU returns a ReLU layer.
func NewReLU() *ReLU { r := &ReLU{}; r.Init(r, "ReLU"); return r }

// Forward applies max(x, 0).
func (r *ReLU) Forward(x *tensor.Tensor) *tensor.Tensor { return tensor.ReLU(x) }

// ExtraRepr gives PyTorch's settings string: "inplace=True" when Inplace
// is set, nothing otherwise.
func (r *ReLU) ExtraRepr() string {
	if r.Inplace {
		return "inplace=True"
	}
	return ""
}

// Flatten merges all dimensions after the first, as torch.nn.Flatten().
type Flatten struct{ Base }

// NewFlatten returns a Flatten layer.
func NewFlatten() *Flatten { f := &Flatten{}; f.Init(f, "Flatten"); return f }

// Forward reshapes N×... to N×(product of the rest).
func (f *Flatten) Forward(x *tensor.Tensor) *tensor.Tensor { return tensor.Flatten(x) }

// ExtraRepr gives PyTorch's settings string.
func (f *Flatten) ExtraRepr() string { return "start_dim=1, end_dim=-1" }
