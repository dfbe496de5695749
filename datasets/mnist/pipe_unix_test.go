//go:build linux || darwin

package mnist

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fifo makes a named pipe in a temporary folder; a goroutine opens it for
// writing and writes b (errors ignored: the reader may stop early).
func fifo(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	go func() {
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		f.Write(b)
	}()
	return p
}

// within runs f and fails the test if it takes more than a few seconds.
func within(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("still blocked after 10 s")
	}
}

// A picture may come through a pipe (such as /dev/stdin); it is held in
// memory up to MaxImageFileBytes.
func TestDecodeImageFilePipe(t *testing.T) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, canvas(60, 50, white, black, image.Rect(25, 10, 35, 40))); err != nil {
		t.Fatal(err)
	}
	p := fifo(t, "digit.png", buf.Bytes())
	within(t, func() {
		if img, err := DecodeImageFile(p); err != nil || img.Bounds().Dx() != 60 {
			t.Errorf("DecodeImageFile(pipe) = %v, %v", img, err)
		}
	})

	big := append(bytes.Clone(buf.Bytes()), make([]byte, MaxImageFileBytes)...)
	p = fifo(t, "padded.png", big)
	within(t, func() {
		_, err := DecodeImageFile(p)
		want := fmt.Sprintf("mnist: %s: more than the %d bytes (64 MiB) that convnet reads", p, MaxImageFileBytes)
		if err == nil || err.Error() != want {
			t.Errorf("err = %v, want %q", err, want)
		}
	})
}

// A data set file that is a named pipe is refused before it is opened
// (opening one blocks until a writer comes).
func TestLoadRefusesPipe(t *testing.T) {
	dir := t.TempDir()
	lp := writeFile(t, dir, "labels", goodLabels)
	ip := filepath.Join(dir, "images")
	if err := syscall.Mkfifo(ip, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	within(t, func() {
		_, err := Load(ip, lp)
		if want := "mnist: " + ip + ": not a regular file (named pipe): an idx file is read from disk"; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	})
}
