//go:build amd64 && !noasm

package kernels

import (
	"testing"

	"golang.org/x/sys/cpu"
)

// TestCPUID checks cpuid against the feature bits x/sys/cpu reads: each
// feature it reports (which also needs the OS's support) has its CPUID
// bit set.
func TestCPUID(t *testing.T) {
	var r [4]uint32
	cpuid(1, 0, &r[0])
	for _, c := range []struct {
		name     string
		has      bool
		reg, bit int
	}{{"SSE2", true, 3, 26}, {"FMA", cpu.X86.HasFMA, 2, 12}} {
		if c.has && r[c.reg]>>c.bit&1 == 0 {
			t.Errorf("leaf 1: %s's bit is clear (registers %#x)", c.name, r)
		}
	}
	cpuid(7, 0, &r[0])
	for _, c := range []struct {
		name string
		has  bool
		bit  int
	}{{"AVX2", cpu.X86.HasAVX2, 5}, {"AVX-512F", cpu.X86.HasAVX512F, 16}} {
		if c.has && r[1]>>c.bit&1 == 0 {
			t.Errorf("leaf 7: %s's bit in EBX is clear (%#x)", c.name, r[1])
		}
	}
}
