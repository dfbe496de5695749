package tensor

import (
	"math"
	"testing"

	"github.com/convnet/convnet/internal/race"
)

// vecParam returns a parameter of n elements with a gradient.
func vecParam(n int, seed float32) *Tensor {
	p := Zeros(n).SetRequiresGrad(true)
	for i := range p.Data() {
		p.Data()[i] = seed * float32(i%7-3) / 5
	}
	Sum(Mul(p, p)).Backward() // gradient 2p
	return p
}

func TestAdamStepMatchesFormula(t *testing.T) {
	const lr, b1, b2, eps, wd = 1e-2, 0.9, 0.999, 1e-8, 0.1
	// Sizes across AdamStep's blocks of 4096 elements and vector tails.
	ps := []*Tensor{vecParam(3, 1), vecParam(5000, -2), vecParam(17, 0.5)}
	var params []AdamParam
	var want [][]float32
	for i, p := range ps {
		n := p.Numel()
		m, v := make([]float32, n), make([]float32, n)
		for j := range m {
			m[j], v[j] = 0.01*float32(j%3), 0.001*float32(j%5)
		}
		step := i + 2
		w := make([]float32, n)
		for j, pj := range p.Data() {
			g := p.Grad().Data()[j] + wd*pj
			mj := b1*m[j] + (1-b1)*g
			vj := b2*v[j] + (1-b2)*g*g
			den := float32(math.Sqrt(float64(vj)))/float32(math.Sqrt(1-math.Pow(b2, float64(step)))) + eps
			w[j] = pj - float32(lr/(1-math.Pow(b1, float64(step))))*mj/den
		}
		want = append(want, w)
		params = append(params, AdamParam{Param: p, M: m, V: v, Step: step})
	}
	AdamStep(params, lr, b1, b2, eps, wd)
	for i, p := range ps {
		for j, got := range p.Data() {
			if d := math.Abs(float64(got - want[i][j])); d > 1e-6 {
				t.Fatalf("param %d[%d] = %v, want %v", i, j, got, want[i][j])
			}
		}
	}
	// (Under the race detector sync.Pool drops what is put back.)
	if a := testing.AllocsPerRun(10, func() { AdamStep(params, lr, b1, b2, eps, wd) }); a != 0 && !race.Enabled {
		t.Errorf("AdamStep allocates %v times a call", a)
	}
}

func TestSGDStepMatchesFormula(t *testing.T) {
	const lr, mom, damp, wd = 0.1, 0.9, 0.25, 0.01
	for _, nesterov := range []bool{false, true} {
		p := vecParam(40000, 1)
		n := p.Numel()
		buf := make([]float32, n)
		want, wantBuf := append([]float32{}, p.Data()...), make([]float32, n)
		for step := range 2 {
			first := step == 0
			for j := range want {
				g := p.Grad().Data()[j] + wd*want[j]
				if first {
					wantBuf[j] = g
				} else {
					wantBuf[j] = mom*wantBuf[j] + (1-damp)*g
				}
				if nesterov {
					g += mom * wantBuf[j]
				} else {
					g = wantBuf[j]
				}
				want[j] -= lr * g
			}
			SGDStep(p, buf, first, lr, mom, damp, wd, nesterov)
			for j, got := range p.Data() {
				if d := math.Abs(float64(got - want[j])); d > 1e-6 {
					t.Fatalf("nesterov %v, step %d: p[%d] = %v, want %v", nesterov, step, j, got, want[j])
				}
			}
		}
	}
	// Without momentum the buffer may be nil.
	p := vecParam(10, 1)
	want := make([]float32, 10)
	for j, pj := range p.Data() {
		want[j] = pj - 0.5*p.Grad().Data()[j]
	}
	SGDStep(p, nil, true, 0.5, 0, 0, 0, false)
	for j, got := range p.Data() {
		if got != want[j] {
			t.Fatalf("plain SGD: p[%d] = %v, want %v", j, got, want[j])
		}
	}
}

func TestVectorPanics(t *testing.T) {
	for name, fn := range map[string]func(){
		"adam without gradient": func() {
			AdamStep([]AdamParam{{Param: Zeros(2), M: make([]float32, 2), V: make([]float32, 2), Step: 1}}, 1, 0.9, 0.999, 1e-8, 0)
		},
		"adam short moments": func() {
			AdamStep([]AdamParam{{Param: vecParam(4, 1), M: make([]float32, 3), V: make([]float32, 4), Step: 1}}, 1, 0.9, 0.999, 1e-8, 0)
		},
		"sgd without gradient": func() { SGDStep(Zeros(2), nil, true, 1, 0, 0, 0, false) },
		"sgd short buffer":     func() { SGDStep(vecParam(4, 1), make([]float32, 3), true, 1, 0.9, 0, 0, false) },
		"bytes short dst":      func() { BytesToUnit(make([]uint8, 4), make([]float32, 3)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			fn()
		}()
	}
}

func TestScaleInPlaceAndBytesToUnit(t *testing.T) {
	x := New([]float32{1, -2, 3}, 3)
	ScaleInPlace(x, 0.5)
	if d := x.Data(); d[0] != 0.5 || d[1] != -1 || d[2] != 1.5 {
		t.Errorf("ScaleInPlace: %v", d)
	}
	src := make([]uint8, 100)
	for i := range src {
		src[i] = uint8(i * 255 / 99)
	}
	dst := make([]float32, 101)
	dst[100] = 7
	BytesToUnit(src, dst)
	for i, b := range src {
		if dst[i] != float32(b)/255 {
			t.Fatalf("BytesToUnit: dst[%d] = %v, want %v", i, dst[i], float32(b)/255)
		}
	}
	if dst[100] != 7 {
		t.Errorf("BytesToUnit wrote past len(src)")
	}
}
