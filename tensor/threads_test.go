package tensor

import "testing"

func TestSetThreads(t *testing.T) {
	old := Threads()
	defer SetThreads(old)
	SetThreads(3)
	if got := Threads(); got != 3 {
		t.Fatalf("Threads() = %d after SetThreads(3)", got)
	}
	SetThreads(0)
	if got := Threads(); got != 1 {
		t.Fatalf("Threads() = %d after SetThreads(0), want 1", got)
	}
}

func TestKernelName(t *testing.T) {
	if KernelName() == "" {
		t.Error("KernelName() is empty")
	}
}
