package main

// cpuidKernel writes cpuid, which asks the CPU what it is: the package
// reads the vendor and family from it where x/sys/cpu's feature bits do
// not tell two designs apart.
func cpuidKernel() {
	f := start("cpuid", "(leaf, subleaf uint32, regs *uint32)", `
cpuid runs CPUID for leaf and subleaf and writes EAX, EBX, ECX and EDX
to regs[0:4].
`)
	p("\tMOVL %s, AX", f.arg("leaf"))
	p("\tMOVL %s, CX", f.arg("subleaf"))
	p("\tCPUID")
	p("\tMOVQ %s, DI", f.arg("regs"))
	p("\tMOVL AX, (DI)")
	p("\tMOVL BX, 4(DI)")
	p("\tMOVL CX, 8(DI)")
	p("\tMOVL DX, 12(DI)")
	p("\tRET")
}
