//go:build linux || darwin

package cifar10

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A batch file or batches.meta.txt that is a named pipe is refused before
// it is opened: opening one blocks until a writer comes, and its size (0)
// says nothing of what it holds.
func TestLoadRefusesPipes(t *testing.T) {
	for _, tc := range []struct {
		name string // the file made a named pipe
		want string
	}{
		{"data_batch_1.bin", "not a regular file (named pipe): a batch file is read from disk"},
		{MetaFile, "not a regular file (named pipe): a list of class names is read from disk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.name != "data_batch_1.bin" {
				writeFile(t, dir, "data_batch_1.bin", batch(0, 1, 2))
			}
			p := filepath.Join(dir, tc.name)
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := Load(filepath.Join(dir, "data_batch_1.bin"))
				done <- err
			}()
			select {
			case err := <-done:
				if want := "cifar10: " + p + ": " + tc.want; err == nil || !strings.HasPrefix(err.Error(), want) {
					t.Errorf("err = %v, want %q", err, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Load still blocked after 10 s")
			}
		})
	}
}
