// Package atomicfile writes a file whole or not at all: into a temporary
// file in the same folder, synced, then renamed over the path, so that a
// crash or an error never leaves a half-written file, nor replaces a good
// one with it.
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
)

// Write creates path (mode 0644) with what write writes to it, atomically.
// On an error the temporary file is removed and path is left as it was.
// Errors of the file system come without the path (*os.PathError's Err):
// the caller names the file.
func Write(path string, write func(f *os.File) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return unwrapPath(err)
	}
	defer func() {
		if err != nil {
			tmp.Close() // may already be closed; the error does not matter
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return unwrapPath(err)
	}
	if err := tmp.Sync(); err != nil {
		return unwrapPath(err)
	}
	if err := tmp.Close(); err != nil {
		return unwrapPath(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return unwrapPath(err)
	}
	// Make the rename durable where the platform allows; failure here does
	// not undo the write.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// unwrapPath drops the path an *os.PathError repeats.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
