//go:build !amd64 || noasm

package kernels

func bestKernel() microKernel { return genericKernel }

// kernels lists every micro-kernel this build and CPU can run.
func kernelsAvailable() []microKernel { return []microKernel{genericKernel} }
