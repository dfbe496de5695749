package nn

import (
	"math"
	"math/rand/v2"
	"sync"

	"github.com/convnet/convnet/tensor"
)

var (
	rngMu sync.Mutex
	rng   = newRNG(0)
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x636f6e766e6574)) } // "convnet"

// ManualSeed reseeds the generator that initialises new layers, like
// torch.manual_seed: the same seed builds the same weights.
func ManualSeed(seed uint64) {
	rngMu.Lock()
	defer rngMu.Unlock()
	rng = newRNG(seed)
}

// uniform returns a tensor of the given shape with values drawn from
// U(-bound, bound).
func uniform(bound float64, shape ...int) *tensor.Tensor {
	rngMu.Lock()
	defer rngMu.Unlock()
	t := tensor.Zeros(shape...)
	for i := range t.Data() {
		t.Data()[i] = float32((rng.Float64()*2 - 1) * bound)
	}
	return t
}

// defaultInit returns a weight and bias initialised as PyTorch does for
// Linear and Conv2d: kaiming_uniform with a=sqrt(5) for the weight, which
// is U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same range for the bias.
func defaultInit(fanIn int, weightShape []int, biasLen int) (w, b *tensor.Tensor) {
	bound := 1 / math.Sqrt(float64(fanIn))
	w = uniform(bound, weightShape...)
	if biasLen > 0 {
		b = uniform(bound, biasLen)
	}
	return w, b
}

// KaimingNormal fills t (out×in×...) with N(0, 2/fan_out) values, fan_out
// being out times the receptive field: torch.nn.init.kaiming_normal_ with
// mode="fan_out" and a ReLU gain, as torchvision initialises VGG.
func KaimingNormal(t *tensor.Tensor) {
	shape := t.Shape()
	fanOut := shape[0]
	for _, d := range shape[2:] {
		fanOut *= d
	}
	Normal(t, 0, math.Sqrt(2/float64(fanOut)))
}

// Normal fills t with N(mean, std²) values from the generator that
// ManualSeed seeds.
func Normal(t *tensor.Tensor, mean, std float64) {
	rngMu.Lock()
	defer rngMu.Unlock()
	for i := range t.Data() {
		t.Data()[i] = float32(mean + std*rng.NormFloat64())
	}
}

// Constant fills t with v.
func Constant(t *tensor.Tensor, v float32) {
	for i := range t.Data() {
		t.Data()[i] = v
	}
}
