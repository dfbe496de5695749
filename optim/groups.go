package optim

import (
	"fmt"
	"math"
	"slices"

	"github.com/convnet/convnet/tensor"
)

// ParamGroups is an optimizer whose parameters may learn at different
// rates, as torch.optim's param_groups with their own lr: Adam and SGD
// are. Fine-tuning uses it to train a pretrained backbone more gently
// than a new head.
//
// A parameter's rate is the optimizer's rate (LR, which SetLR and the
// schedules move) times its group's factor, 1 unless SetLRFactor changed
// it. This equals PyTorch's param_groups under any scheduler that scales
// each group's rate by the same factor of its initial lr: StepLR,
// CosineAnnealingLR with eta_min 0, OneCycleLR with a max_lr per group in
// the same ratios, LinearLR, ReduceLROnPlateau with min_lr 0. (A
// schedule's floor, such as CosineLR's EtaMin, is scaled too, where
// PyTorch gives every group the same eta_min.)
//
// The factors are settings, not state: StateDict neither saves nor
// restores them (as it does not the rate), so a resumed run sets them as
// the first run did. The state keeps its indices, the parameters' order
// in the optimizer's list, whatever the groups.
type ParamGroups interface {
	// SetLRFactor sets the factor of the rate of params, which must all
	// be among the optimizer's parameters. The factor must be 0 (frozen:
	// the moments still move, as with lr 0 in PyTorch) or more. When
	// every factor is 1 the optimizer steps exactly as one without groups.
	SetLRFactor(params []*tensor.Tensor, factor float64) error
}

// lrGroups holds the learning-rate factor of each parameter of an
// optimizer.
type lrGroups struct {
	factor   []float64 // per parameter; nil while every factor is 1
	distinct []float64 // factor's values in order of first appearance
}

// one is the groups of an optimizer whose factors are all 1.
var one = []float64{1}

// set gives factor to params, found by identity among all.
func (g *lrGroups) set(all, params []*tensor.Tensor, factor float64) error {
	if !(factor >= 0) || math.IsInf(factor, 1) {
		return fmt.Errorf("optim: a learning-rate factor must be 0 or more, got %v", factor)
	}
	index := make(map[*tensor.Tensor]int, len(all))
	for i, p := range all {
		if _, ok := index[p]; !ok {
			index[p] = i
		}
	}
	at := make([]int, len(params))
	for j, p := range params {
		i, ok := index[p]
		if !ok {
			return fmt.Errorf("optim: parameter %d of the group is not among the optimizer's %d", j, len(all))
		}
		at[j] = i
	}
	if g.factor == nil {
		g.factor = make([]float64, len(all))
		for i := range g.factor {
			g.factor[i] = 1
		}
	}
	for _, i := range at {
		g.factor[i] = factor
	}
	g.distinct = g.distinct[:0]
	for _, f := range g.factor {
		if !slices.Contains(g.distinct, f) {
			g.distinct = append(g.distinct, f)
		}
	}
	return nil
}

// of returns parameter i's factor.
func (g *lrGroups) of(i int) float64 {
	if g.factor == nil {
		return 1
	}
	return g.factor[i]
}

// factors returns the distinct factors, one per group.
func (g *lrGroups) factors() []float64 {
	if g.factor == nil {
		return one
	}
	return g.distinct
}
