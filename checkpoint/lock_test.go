package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.safetensors")
	unlock, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Lock(path)
	var locked *LockedError
	if !errors.As(err, &locked) || locked.PID != os.Getpid() {
		t.Fatalf("second Lock: %v, want a LockedError naming this process", err)
	}
	unlock()
	if _, err := os.Stat(LockPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unlock left the lock file: %v", err)
	}

	// A lock whose process has ended is taken over. Process ids are
	// bounded by the kernel's pid_max (at most 2^22), so this one runs
	// nowhere.
	if err := os.WriteFile(LockPath(path), []byte(strconv.Itoa(1<<30)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unlock, err = Lock(path)
	if err != nil {
		t.Fatalf("taking over a stale lock: %v", err)
	}
	unlock()
}
