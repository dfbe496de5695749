package tensor

import (
	"fmt"
	"strings"

	"github.com/convnet/convnet/internal/kernels"
)

// Precision is the arithmetic of a scope's convolutions, linear layers
// and matrix products, in the manner of torch.autocast: with BFloat16
// their operands are rounded to bfloat16 (to nearest even) and their
// products summed in float32, forward and backward. Everything else
// stays float32 whatever the precision: tensors, parameters, gradients,
// optimizer state, batch norm, softmax and the losses.
type Precision uint8

const (
	// Float32 is the default: float32 throughout.
	Float32 Precision = iota
	// BFloat16 multiplies in bf16 with float32 sums (see Precision).
	BFloat16
)

// String returns "fp32" or "bf16", the names ParsePrecision reads.
func (p Precision) String() string {
	if p == BFloat16 {
		return "bf16"
	}
	return "fp32"
}

// ParsePrecision reads a precision's name: "fp32" (or "float32") and
// "bf16" (or "bfloat16").
func ParsePrecision(s string) (Precision, error) {
	switch strings.ToLower(s) {
	case "fp32", "float32":
		return Float32, nil
	case "bf16", "bfloat16":
		return BFloat16, nil
	}
	return Float32, fmt.Errorf("unknown precision %q (want fp32 or bf16)", s)
}

// Kernel names the kernels the precision's products run on this CPU: for
// Float32 the GEMM micro-kernel ("avx512", "avx2", "generic"), for
// BFloat16 the bf16 one ("amx", "avx512-bf16", "bf16-emulated").
func (p Precision) Kernel() string {
	if p == BFloat16 {
		return kernels.BF16KernelName()
	}
	return kernels.KernelName()
}

// AMXStatus says whether BFloat16 products use AMX on this CPU, and if
// not, why not ("AMX not used: this CPU has no AMX-BF16").
func AMXStatus() string { return kernels.AMXStatus() }

// Precision returns the precision of the scope's products (Float32 for a
// nil scope).
func (s *Scope) Precision() Precision {
	if s == nil {
		return Float32
	}
	return s.precision
}

// bf16 reports whether the scope's products are bf16.
func (s *Scope) bf16() bool { return s != nil && s.precision == BFloat16 }
