package optim

import "math"

// Schedule gives the learning rate of each epoch from the base rate, as
// torch.optim.lr_scheduler's epoch-wise schedulers do. Schedules are pure
// functions of the epoch, so a resumed run needs only the epoch number.
type Schedule interface {
	LR(base float64, epoch int) float64
}

// Constant keeps the base rate.
type Constant struct{}

// LR returns base.
func (Constant) LR(base float64, _ int) float64 { return base }

// StepLR multiplies the rate by Gamma every StepSize epochs.
type StepLR struct {
	StepSize int
	Gamma    float64
}

// LR returns base * Gamma^(epoch / StepSize).
func (s StepLR) LR(base float64, epoch int) float64 {
	return base * math.Pow(s.Gamma, float64(epoch/max(s.StepSize, 1)))
}

// CosineLR anneals the rate from base to EtaMin over TMax epochs along half
// a cosine (CosineAnnealingLR's closed form).
type CosineLR struct {
	TMax   int
	EtaMin float64
}

// LR returns EtaMin + (base-EtaMin)(1+cos(pi*epoch/TMax))/2.
func (c CosineLR) LR(base float64, epoch int) float64 {
	return c.EtaMin + (base-c.EtaMin)*(1+math.Cos(math.Pi*float64(epoch)/float64(max(c.TMax, 1))))/2
}
