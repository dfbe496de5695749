package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// LockPath is the lock file of the run whose checkpoint is path.
func LockPath(path string) string { return path + ".lock" }

// LockedError says that another process holds the lock of a run.
type LockedError struct {
	Path string // the lock file
	PID  int    // the process that holds it
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%s is held by process %d: another run is writing this checkpoint (remove the lock file if that process is gone)", e.Path, e.PID)
}

// Lock takes the lock of the run whose checkpoint is path, a file beside
// it that names this process, so that two runs never write the same
// checkpoint. A lock left by a process that no longer runs is taken over.
// The returned function releases the lock.
func Lock(path string) (unlock func(), err error) {
	lock := LockPath(path)
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, werr := fmt.Fprintf(f, "%d\n", os.Getpid())
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				os.Remove(lock)
				return nil, fmt.Errorf("checkpoint: lock: %v", werr)
			}
			return func() { os.Remove(lock) }, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("checkpoint: lock: %v", err)
		}
		b, rerr := os.ReadFile(lock)
		pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
		if rerr == nil && perr == nil && pid > 0 && processAlive(pid) {
			return nil, &LockedError{Path: lock, PID: pid}
		}
		if rerr == nil && perr != nil && attempt == 0 {
			// Being written by a process that has just created it, or
			// junk: look once more before taking it over.
			continue
		}
		os.Remove(lock) // stale: its process has ended
	}
	return nil, fmt.Errorf("checkpoint: lock: could not take %s", lock)
}
