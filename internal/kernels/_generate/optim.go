package main

import "fmt"

// adamKernel applies Adam to n elements (a multiple of lanes). k points at
// eight float32 settings: beta1, 1-beta1, beta2, 1-beta2, the square root
// of beta2's bias correction, eps, the step size and the weight decay.
func adamKernel(isa, reg string, lanes int) {
	name := "adam" + isa
	width := lanes * 4
	r := func(i int) string { return fmt.Sprintf("%s%d", reg, i) }
	f := start(name, "(param, grad, m, v *float32, n int, k *[8]float32)", fmt.Sprintf(`
%s takes an Adam step for the whole vectors of %d in n, k holding
beta1, 1-beta1, beta2, 1-beta2, the square root of beta2's bias
correction, eps, the step size and the weight decay:

	for i := range n &^ %d {
		g := grad[i] + k[7]*param[i]
		m[i] = k[0]*m[i] + k[1]*g
		v[i] = k[2]*v[i] + k[3]*g*g
		param[i] -= k[6] * (m[i] / (sqrt(v[i])/k[4] + k[5]))
	}

where sqrt is the float32 square root.
`, name, lanes, lanes-1))
	p("\tMOVQ %s, DI", f.arg("param"))
	p("\tMOVQ %s, SI", f.arg("grad"))
	p("\tMOVQ %s, R8", f.arg("m"))
	p("\tMOVQ %s, R9", f.arg("v"))
	p("\tMOVQ %s, CX", f.arg("n"))
	p("\tMOVQ %s, AX", f.arg("k"))
	p("\tSHRQ $%d, CX", map[int]int{16: 4, 8: 3}[lanes])
	p("\tJZ %sdone", name)
	for i := 0; i < 8; i++ {
		p("\tVBROADCASTSS %d(AX), %s", 4*i, r(8+i))
	}
	// 8 beta1, 9 1-beta1, 10 beta2, 11 1-beta2, 12 sqrt(bc2), 13 eps,
	// 14 step size, 15 weight decay.
	p("%sloop:", name)
	p("\tVMOVUPS (DI), %s", r(0))                    // p
	p("\tVMOVUPS (SI), %s", r(1))                    // g
	p("\tVFMADD231PS %s, %s, %s", r(15), r(0), r(1)) // g += wd*p
	p("\tVMULPS (R8), %s, %s", r(8), r(2))           // m*beta1
	p("\tVFMADD231PS %s, %s, %s", r(9), r(1), r(2))  // + (1-beta1) g
	p("\tVMOVUPS %s, (R8)", r(2))
	p("\tVMULPS %s, %s, %s", r(1), r(1), r(1))       // g²
	p("\tVMULPS (R9), %s, %s", r(10), r(3))          // v*beta2
	p("\tVFMADD231PS %s, %s, %s", r(11), r(1), r(3)) // + (1-beta2) g²
	p("\tVMOVUPS %s, (R9)", r(3))
	p("\tVSQRTPS %s, %s", r(3), r(3))
	p("\tVDIVPS %s, %s, %s", r(12), r(3), r(3)) // sqrt(v)/sqrt(bc2)
	p("\tVADDPS %s, %s, %s", r(13), r(3), r(3)) // + eps
	p("\tVDIVPS %s, %s, %s", r(3), r(2), r(2))  // m/denom
	p("\tVFNMADD231PS %s, %s, %s", r(14), r(2), r(0))
	p("\tVMOVUPS %s, (DI)", r(0))
	endLoop(name, width, "DI", "SI", "R8", "R9")
}

// sgdKernel applies SGD with momentum to n elements (a multiple of
// lanes): g' = g + wd*p; buf = momentum*buf + damp*g'; p -= lr*buf. With
// momentum 0 and damp 1 it is plain SGD with buf as scratch. k points at
// four float32 settings: lr, momentum, damp (1-dampening), weight decay.
func sgdKernel(isa, reg string, lanes int) {
	name := "sgd" + isa
	width := lanes * 4
	r := func(i int) string { return fmt.Sprintf("%s%d", reg, i) }
	f := start(name, "(param, grad, buf *float32, n int, k *[4]float32)", fmt.Sprintf(`
%s takes a step of SGD with momentum for the whole vectors of %d in n,
k holding the learning rate, the momentum, 1-dampening and the weight
decay:

	for i := range n &^ %d {
		g := grad[i] + k[3]*param[i]
		buf[i] = k[1]*buf[i] + k[2]*g
		param[i] -= k[0] * buf[i]
	}
`, name, lanes, lanes-1))
	p("\tMOVQ %s, DI", f.arg("param"))
	p("\tMOVQ %s, SI", f.arg("grad"))
	p("\tMOVQ %s, R8", f.arg("buf"))
	p("\tMOVQ %s, CX", f.arg("n"))
	p("\tMOVQ %s, AX", f.arg("k"))
	p("\tSHRQ $%d, CX", map[int]int{16: 4, 8: 3}[lanes])
	p("\tJZ %sdone", name)
	for i := 0; i < 4; i++ {
		p("\tVBROADCASTSS %d(AX), %s", 4*i, r(8+i))
	}
	// 8 lr, 9 momentum, 10 damp, 11 weight decay.
	p("%sloop:", name)
	p("\tVMOVUPS (DI), %s", r(0))
	p("\tVMOVUPS (SI), %s", r(1))
	p("\tVFMADD231PS %s, %s, %s", r(11), r(0), r(1)) // g += wd*p
	p("\tVMULPS (R8), %s, %s", r(9), r(2))           // momentum*buf
	p("\tVFMADD231PS %s, %s, %s", r(10), r(1), r(2)) // + damp*g
	p("\tVMOVUPS %s, (R8)", r(2))
	p("\tVFNMADD231PS %s, %s, %s", r(8), r(2), r(0)) // p -= lr*buf
	p("\tVMOVUPS %s, (DI)", r(0))
	endLoop(name, width, "DI", "SI", "R8")
}
