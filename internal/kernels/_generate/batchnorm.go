package main

// batchNormKernels writes the AVX-512 loops of batch normalisation
// (batchnorm.go in package kernels): the float64 sums of a channel's
// statistics and of its backward pass, and the float32 passes that write
// the output and the input gradient. Each takes the whole vectors of 16
// in n; the caller does the rest with the Go loop the comment gives.
func batchNormKernels() {
	sumDeviationsKernel()
	backwardSumsKernel()
	normalizeKernel()
	for _, add := range []bool{false, true} {
		backwardDxKernel(add)
	}
}

// sumDeviationsKernel sums x-mu and (x-mu)² in float64, eight lanes of
// each in two accumulators; the lanes' sums go to sums[0:8] and [8:16].
func sumDeviationsKernel() {
	const name = "sumDeviationsAVX512"
	f := start(name, "(x *float32, n int, mu float64, sums *[16]float64)", `
sumDeviationsAVX512 sums, in float64, the deviations of the whole
vectors of 16 in x's n values from mu and their squares, lane by lane
(the lanes' sums are summed in Go):

	for i := range n &^ 15 {
		d := float64(x[i]) - mu
		sums[i%8] += d
		sums[8+i%8] += d * d
	}
`)
	p("\tMOVQ %s, SI", f.arg("x"))
	p("\tMOVQ %s, CX", f.arg("n"))
	p("\tMOVQ %s, DI", f.arg("sums"))
	p("\tVBROADCASTSD %s, Z8", f.arg("mu"))
	sumsStart(name)
	p("%sloop:", name)
	p("\tVCVTPS2PD (SI), Z0")
	p("\tVCVTPS2PD 32(SI), Z1")
	p("\tVSUBPD Z8, Z0, Z0")
	p("\tVSUBPD Z8, Z1, Z1")
	p("\tVADDPD Z0, Z4, Z4")
	p("\tVADDPD Z1, Z6, Z6")
	p("\tVFMADD231PD Z0, Z0, Z5")
	p("\tVFMADD231PD Z1, Z1, Z7")
	p("\tADDQ $64, SI")
	p("\tDECQ CX")
	p("\tJNZ %sloop", name)
	sumsStore(name)
}

// backwardSumsKernel sums dy and dy*(x-mu) in float64, the deviation
// taken in float32 as the Go loop takes it.
func backwardSumsKernel() {
	const name = "batchNormBackwardSumsAVX512"
	f := start(name, "(x, dy *float32, n int, mu float32, sums *[16]float64)", `
batchNormBackwardSumsAVX512 sums, in float64, the gradients dy and their
products with x's deviations from mu (taken in float32), for the whole
vectors of 16 in n, lane by lane (the lanes' sums are summed in Go):

	for i := range n &^ 15 {
		g := float64(dy[i])
		sums[i%8] += g
		sums[8+i%8] += g * float64(x[i]-mu)
	}
`)
	p("\tMOVQ %s, SI", f.arg("x"))
	p("\tMOVQ %s, DX", f.arg("dy"))
	p("\tMOVQ %s, CX", f.arg("n"))
	p("\tMOVQ %s, DI", f.arg("sums"))
	p("\tVBROADCASTSS %s, Z8", f.arg("mu"))
	sumsStart(name)
	p("%sloop:", name)
	p("\tVMOVUPS (SI), Z9")
	p("\tVSUBPS Z8, Z9, Z9") // x - mu, in float32
	p("\tVCVTPS2PD Y9, Z0")
	p("\tVEXTRACTF32X8 $1, Z9, Y9")
	p("\tVCVTPS2PD Y9, Z1")
	p("\tVCVTPS2PD (DX), Z2")
	p("\tVCVTPS2PD 32(DX), Z3")
	p("\tVADDPD Z2, Z4, Z4")
	p("\tVADDPD Z3, Z6, Z6")
	p("\tVFMADD231PD Z2, Z0, Z5")
	p("\tVFMADD231PD Z3, Z1, Z7")
	p("\tADDQ $64, SI")
	p("\tADDQ $64, DX")
	p("\tDECQ CX")
	p("\tJNZ %sloop", name)
	sumsStore(name)
}

// normalizeKernel writes y = (x-mu)*scale + shift, rounded after each
// operation as the Go loop is.
func normalizeKernel() {
	const name = "batchNormApplyAVX512"
	f := start(name, "(x, y *float32, n int, k *[3]float32)", `
batchNormApplyAVX512 normalises the whole vectors of 16 in n, k holding
the mean, the scale and the shift; the results are exact:

	for i := range n &^ 15 {
		y[i] = (x[i]-k[0])*k[1] + k[2]
	}
`)
	p("\tMOVQ %s, SI", f.arg("x"))
	p("\tMOVQ %s, DI", f.arg("y"))
	p("\tMOVQ %s, CX", f.arg("n"))
	p("\tMOVQ %s, AX", f.arg("k"))
	p("\tVBROADCASTSS 0(AX), Z8")
	p("\tVBROADCASTSS 4(AX), Z9")
	p("\tVBROADCASTSS 8(AX), Z10")
	p("\tSHRQ $4, CX")
	p("\tJZ %sdone", name)
	p("%sloop:", name)
	p("\tVMOVUPS (SI), Z0")
	p("\tVSUBPS Z8, Z0, Z0")
	p("\tVMULPS Z9, Z0, Z0")
	p("\tVADDPS Z10, Z0, Z0")
	p("\tVMOVUPS Z0, (DI)")
	endLoop(name, 64, "SI", "DI")
}

// backwardDxKernel writes (or adds into dx) k*dy - k0 - k1*(x-mu), rounded
// after each operation as the Go loop is.
func backwardDxKernel(add bool) {
	name, op, verb := "batchNormBackwardDxSetAVX512", "=", "stores in"
	if add {
		name, op, verb = "batchNormBackwardDxAVX512", "+=", "adds into"
	}
	f := start(name, "(x, dy, dx *float32, n int, k *[4]float32)", `
`+name+` `+verb+` dx batch normalisation's input gradient
for the whole vectors of 16 in n, k holding the mean, the gradient's
scale, the constant taken off and the factor of the deviation; the
results are exact:

	for i := range n &^ 15 {
		dx[i] `+op+` k[1]*dy[i] - k[2] - k[3]*(x[i]-k[0])
	}
`)
	p("\tMOVQ %s, SI", f.arg("x"))
	p("\tMOVQ %s, DX", f.arg("dy"))
	p("\tMOVQ %s, DI", f.arg("dx"))
	p("\tMOVQ %s, CX", f.arg("n"))
	p("\tMOVQ %s, AX", f.arg("k"))
	for i := 0; i < 4; i++ {
		p("\tVBROADCASTSS %d(AX), Z%d", 4*i, 8+i)
	}
	p("\tSHRQ $4, CX")
	p("\tJZ %sdone", name)
	p("%sloop:", name)
	p("\tVMULPS (DX), Z9, Z0") // k*dy
	p("\tVSUBPS Z10, Z0, Z0")  // - k0
	p("\tVMOVUPS (SI), Z1")
	p("\tVSUBPS Z8, Z1, Z1")  // x - mu
	p("\tVMULPS Z11, Z1, Z1") // k1*(x-mu)
	p("\tVSUBPS Z1, Z0, Z0")
	if add {
		p("\tVADDPS (DI), Z0, Z0")
	}
	p("\tVMOVUPS Z0, (DI)")
	endLoop(name, 64, "SI", "DX", "DI")
}

// sumsStart begins the loop of a kernel of two float64 sums (kept at DI,
// n in CX): the first sum's lanes in Z4 and the second's in Z5 (taken
// from sums, so that calls accumulate), their twins for odd vectors in Z6
// and Z7 (zero), and CX made a count of 16-value vectors.
func sumsStart(name string) {
	p("\tVMOVUPD (DI), Z4")
	p("\tVMOVUPD 64(DI), Z5")
	p("\tVXORPD Z6, Z6, Z6")
	p("\tVXORPD Z7, Z7, Z7")
	p("\tSHRQ $4, CX")
	p("\tJZ %sstore", name)
}

// sumsStore ends a kernel that sumsStart began: the twins are added and
// both sums' lanes stored back at DI.
func sumsStore(name string) {
	p("%sstore:", name)
	p("\tVADDPD Z6, Z4, Z4")
	p("\tVADDPD Z7, Z5, Z5")
	p("\tVMOVUPD Z4, (DI)")
	p("\tVMOVUPD Z5, 64(DI)")
	p("\tVZEROUPPER")
	p("\tRET")
}
