//go:build linux && amd64 && !noasm

package kernels

import (
	"fmt"
	"syscall"
)

// requestAMX asks Linux for the AMX tile state (arch_prctl
// ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA), which a process must hold
// before its first tile instruction. It is asked once per process.
func requestAMX() error {
	const archReqXcompPerm, xfeatureXtiledata = 0x1023, 18
	if _, _, errno := syscall.Syscall(syscall.SYS_ARCH_PRCTL, archReqXcompPerm, xfeatureXtiledata, 0); errno != 0 {
		return fmt.Errorf("Linux refused the AMX tile state (arch_prctl: %v)", errno)
	}
	return nil
}
