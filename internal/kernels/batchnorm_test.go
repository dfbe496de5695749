package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// batchNormNaive is the definition of batch normalisation in float64:
// y, the statistics used, the updated running statistics and, given dy,
// the gradients (training: batch statistics; otherwise running ones).
func batchNormNaive(p BatchNorm, training bool, x, w, b, rm, rv, dy []float32) (y, newRM, newRV, dx, dw, db []float32) {
	m := p.M()
	y, dx = make([]float32, len(x)), make([]float32, len(x))
	dw, db = make([]float32, p.C), make([]float32, p.C)
	newRM, newRV = slices.Clone(rm), slices.Clone(rv)
	idx := func(n, c, i int) int { return (n*p.C+c)*p.HW + i }
	for c := 0; c < p.C; c++ {
		var mean, variance float64
		if training {
			for n := 0; n < p.N; n++ {
				for i := 0; i < p.HW; i++ {
					mean += float64(x[idx(n, c, i)])
				}
			}
			mean /= float64(m)
			for n := 0; n < p.N; n++ {
				for i := 0; i < p.HW; i++ {
					d := float64(x[idx(n, c, i)]) - mean
					variance += d * d
				}
			}
			newRM[c] = float32(0.9*float64(rm[c]) + 0.1*mean)
			newRV[c] = float32(0.9*float64(rv[c]) + 0.1*variance/float64(m-1))
			variance /= float64(m)
		} else {
			mean, variance = float64(rm[c]), float64(rv[c])
		}
		invstd := 1 / math.Sqrt(variance+p.Eps)
		var sdy, sdyx float64
		for n := 0; n < p.N; n++ {
			for i := 0; i < p.HW; i++ {
				j := idx(n, c, i)
				xhat := (float64(x[j]) - mean) * invstd
				y[j] = float32(xhat*float64(w[c]) + float64(b[c]))
				sdy += float64(dy[j])
				sdyx += float64(dy[j]) * xhat
			}
		}
		dw[c], db[c] = float32(sdyx), float32(sdy)
		for n := 0; n < p.N; n++ {
			for i := 0; i < p.HW; i++ {
				j := idx(n, c, i)
				g := float64(dy[j])
				if training {
					xhat := (float64(x[j]) - mean) * invstd
					g = g - sdy/float64(m) - xhat*sdyx/float64(m)
				}
				dx[j] = float32(float64(w[c]) * invstd * g)
			}
		}
	}
	return y, newRM, newRV, dx, dw, db
}

func TestBatchNormMatchesDefinition(t *testing.T) {
	defer SetThreads(Threads())
	r := rand.New(rand.NewPCG(3, 4))
	for _, threads := range []int{1, 3} {
		SetThreads(threads)
		for _, s := range [][3]int{{2, 3, 5}, {1, 1, 2}, {4, 7, 1}, {8, 16, 300}} {
			for _, training := range []bool{true, false} {
				p := BatchNorm{N: s[0], C: s[1], HW: s[2], Eps: 1e-5, Momentum: 0.1}
				t.Run(fmt.Sprintf("threads=%d %v training=%v", threads, s, training), func(t *testing.T) {
					n := p.N * p.C * p.HW
					x, dy := randSlice(r, n), randSlice(r, n)
					for i := range x {
						x[i] = 3*x[i] + 2 // a mean and a variance away from 0 and 1
					}
					w, b := randSlice(r, p.C), randSlice(r, p.C)
					rm, rv := randSlice(r, p.C), randSlice(r, p.C)
					for i := range rv {
						rv[i] = 1 + rv[i]/2
					}
					wantY, wantRM, wantRV, wantDx, wantDw, wantDb := batchNormNaive(p, training, x, w, b, rm, rv, dy)

					y, mean, invstd := make([]float32, n), make([]float32, p.C), make([]float32, p.C)
					gotRM, gotRV := slices.Clone(rm), slices.Clone(rv)
					if training {
						BatchNormTrain(p, x, w, b, y, mean, invstd, gotRM, gotRV)
					} else {
						BatchNormEval(p, x, w, b, gotRM, gotRV, y, mean, invstd)
					}
					closeTo(t, "y", y, wantY, 1e-5)
					closeTo(t, "running_mean", gotRM, wantRM, 1e-6)
					closeTo(t, "running_var", gotRV, wantRV, 1e-6)

					// Store, then add onto a copy of the same: twice the gradient.
					dx, dw, db := make([]float32, n), randSlice(r, p.C), randSlice(r, p.C)
					dw0, db0 := slices.Clone(dw), slices.Clone(db)
					BatchNormBackward(p, training, x, w, mean, invstd, dy, dx, dw, db, false)
					closeTo(t, "dx", dx, wantDx, 1e-4)
					for c := range dw {
						dw[c] -= dw0[c]
						db[c] -= db0[c]
					}
					closeTo(t, "dw", dw, wantDw, 1e-4)
					closeTo(t, "db", db, wantDb, 1e-4)
					BatchNormBackward(p, training, x, w, mean, invstd, dy, dx, nil, nil, true)
					for i := range wantDx {
						wantDx[i] *= 2
					}
					closeTo(t, "dx added", dx, wantDx, 1e-4)
				})
			}
		}
	}
}

// TestBatchNormNilAffineAndStats checks that nil w and b mean 1 and 0,
// that training works without running statistics, and that only the
// wanted gradients are written.
func TestBatchNormNilAffineAndStats(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	p := BatchNorm{N: 3, C: 2, HW: 4, Eps: 1e-5, Momentum: 0.1}
	n := p.N * p.C * p.HW
	x, dy := randSlice(r, n), randSlice(r, n)
	ones, zeros := []float32{1, 1}, []float32{0, 0}
	rm, rv := []float32{0, 0}, []float32{1, 1}
	wantY, _, _, wantDx, _, _ := batchNormNaive(p, true, x, ones, zeros, rm, rv, dy)
	y, mean, invstd := make([]float32, n), make([]float32, p.C), make([]float32, p.C)
	BatchNormTrain(p, x, nil, nil, y, mean, invstd, nil, nil)
	closeTo(t, "y", y, wantY, 1e-5)
	dx := make([]float32, n)
	BatchNormBackward(p, true, x, nil, mean, invstd, dy, dx, nil, nil, false)
	closeTo(t, "dx", dx, wantDx, 1e-4)
	// Only dw: dx untouched.
	dw := make([]float32, p.C)
	before := slices.Clone(dx)
	BatchNormBackward(p, true, x, nil, mean, invstd, dy, nil, dw, nil, false)
	if !slices.Equal(dx, before) {
		t.Error("dx changed when not asked for")
	}
}

// TestBatchNormThreadsBitIdentical checks that the split across threads
// does not change a single bit.
func TestBatchNormThreadsBitIdentical(t *testing.T) {
	defer SetThreads(Threads())
	r := rand.New(rand.NewPCG(9, 10))
	p := BatchNorm{N: 16, C: 12, HW: 196, Eps: 1e-5, Momentum: 0.1}
	n := p.N * p.C * p.HW
	x, dy, w, b := randSlice(r, n), randSlice(r, n), randSlice(r, p.C), randSlice(r, p.C)
	run := func(threads int) [][]float32 {
		SetThreads(threads)
		y, mean, invstd := make([]float32, n), make([]float32, p.C), make([]float32, p.C)
		rm, rv := make([]float32, p.C), make([]float32, p.C)
		BatchNormTrain(p, x, w, b, y, mean, invstd, rm, rv)
		dx, dw, db := make([]float32, n), make([]float32, p.C), make([]float32, p.C)
		BatchNormBackward(p, true, x, w, mean, invstd, dy, dx, dw, db, false)
		return [][]float32{y, mean, invstd, rm, rv, dx, dw, db}
	}
	one, four := run(1), run(4)
	for i := range one {
		if !slices.Equal(one[i], four[i]) {
			t.Errorf("output %d differs between 1 and 4 threads", i)
		}
	}
}

// TestBatchNormVectorsMatchGo checks the vector loops of batch
// normalisation against the Go loops (the generic kernel) on planes
// around the 16-lane vectors: the float64 sums may differ in order only,
// and the float32 passes are exact given the same statistics.
func TestBatchNormVectorsMatchGo(t *testing.T) {
	defer func(k microKernel) { activeKernel = k }(activeKernel)
	r := rand.New(rand.NewPCG(13, 14))
	for _, hw := range []int{1, 15, 16, 17, 49, 196} {
		p := BatchNorm{N: 3, C: 4, HW: hw, Eps: 1e-5, Momentum: 0.1}
		n := p.N * p.C * p.HW
		x, dy, w, b := randSlice(r, n), randSlice(r, n), randSlice(r, p.C), randSlice(r, p.C)
		for i := range x {
			x[i] = 3*x[i] + 2
		}
		run := func(kern microKernel, add bool) [][]float32 {
			activeKernel = kern
			y, mean, invstd := make([]float32, n), make([]float32, p.C), make([]float32, p.C)
			rm, rv := make([]float32, p.C), make([]float32, p.C)
			BatchNormTrain(p, x, w, b, y, mean, invstd, rm, rv)
			dx, dw, db := slices.Clone(dy), make([]float32, p.C), make([]float32, p.C)
			BatchNormBackward(p, true, x, w, mean, invstd, dy, dx, dw, db, add)
			return [][]float32{y, mean, invstd, rm, rv, dx, dw, db}
		}
		for _, add := range []bool{false, true} {
			want := run(genericKernel, add)
			for _, kern := range kernelsAvailable() {
				got := run(kern, add)
				for i, what := range []string{"y", "mean", "invstd", "running_mean", "running_var", "dx", "dw", "db"} {
					closeTo(t, fmt.Sprintf("HW %d add=%v %s %s", hw, add, kern.name, what), got[i], want[i], 1e-6)
				}
			}
		}
	}
}

// TestBatchNormVarianceFarMeans checks the variance BatchNormTrain finds in
// one pass (the mean near 0 against the deviation) and in two (the mean
// far from it, where Σx² - (Σx)²/m would cancel; the switch lies near an
// offset of 9, 31.6 deviations of 0.29) against a two-pass sum in
// float64: the stored 1/sqrt(var+Eps) within a unit in the last place.
func TestBatchNormVarianceFarMeans(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, offset := range []float32{0, 3, 8.5, 9.5, 25, 300, 1e4, 1e5} {
		p := BatchNorm{N: 3, C: 2, HW: 500, Eps: 1e-5}
		x := randSlice(r, p.N*p.C*p.HW)
		for i := range x {
			x[i] = offset + 0.5*x[i]
		}
		y, mean, invstd := make([]float32, len(x)), make([]float32, p.C), make([]float32, p.C)
		BatchNormTrain(p, x, nil, nil, y, mean, invstd, nil, nil)
		for c := 0; c < p.C; c++ {
			var s, ss float64
			for n := 0; n < p.N; n++ {
				for _, v := range p.plane(x, n, c) {
					s += float64(v)
				}
			}
			mu := s / float64(p.M())
			for n := 0; n < p.N; n++ {
				for _, v := range p.plane(x, n, c) {
					ss += (float64(v) - mu) * (float64(v) - mu)
				}
			}
			want := float32(1 / math.Sqrt(ss/float64(p.M())+p.Eps))
			if d := math.Abs(float64(invstd[c]-want)) / float64(want); d > 1.2e-7 {
				t.Errorf("offset %v channel %d: invstd %v, want %v", offset, c, invstd[c], want)
			}
		}
	}
}
