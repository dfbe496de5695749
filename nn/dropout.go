package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/convnet/convnet/tensor"
)

// Dropout zeroes each element with probability P and scales the rest by
// 1/(1-P) in training mode, as torch.nn.Dropout; in evaluation mode it
// returns its input unchanged.
type Dropout struct {
	Base
	P float64
	// Rand draws the masks. NewDropout seeds it with a value taken from
	// the generator that initialises layers (see ManualSeed), so a program
	// that seeds it gets the same masks on every run; building a Dropout
	// thus moves that generator on by one draw, which changes the initial
	// weights of layers built after it. Replace Rand for another stream.
	// It is not safe for concurrent Forward calls.
	Rand *rand.Rand
}

// NewDropout returns a dropout layer that zeroes with probability p, which
// must be between 0 and 1.
func NewDropout(p float64) *Dropout {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("nn.NewDropout: dropout probability has to be between 0 and 1, but got %v", p))
	}
	rngMu.Lock()
	seed := rng.Uint64()
	rngMu.Unlock()
	d := &Dropout{P: p, Rand: rand.New(rand.NewPCG(seed, 0x64726f706f7574))} // "dropout"
	d.Init(d, "Dropout")
	return d
}

// Forward applies dropout in training mode and returns x itself in
// evaluation mode.
func (d *Dropout) Forward(x *tensor.Tensor) *tensor.Tensor {
	return tensor.Dropout(x, d.P, d.Training(), d.Rand)
}

// ExtraRepr gives PyTorch's settings string: "p=0.5, inplace=False".
func (d *Dropout) ExtraRepr() string { return "p=" + pyFloat(d.P) + ", inplace=False" }
