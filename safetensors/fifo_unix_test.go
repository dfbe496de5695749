//go:build unix

package safetensors

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestReadFileFIFO(t *testing.T) {
	dir := t.TempDir()
	// A FIFO is refused before it is opened: opening one would wait for
	// a writer for ever.
	fifo := filepath.Join(dir, "fifo.safetensors")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := ReadFile(fifo); done <- err }()
	select {
	case err := <-done:
		if err == nil || err.Error() != "safetensors: "+fifo+": not a regular file" {
			t.Errorf("ReadFile of a FIFO: error %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ReadFile of a FIFO blocks")
	}
}
