//go:build !linux && amd64 && !noasm

package kernels

import "errors"

// requestAMX fails: only Linux is asked for the AMX tile state here.
func requestAMX() error { return errors.New("AMX is used on Linux only") }
