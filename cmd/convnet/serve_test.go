package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The handler itself (page, API, reloading, concurrency, the browser) is
// tested in package serve; these tests cover the command around it: its
// flags, what it prints, listening and stopping.

// lockedBuffer is a bytes.Buffer that a running command writes while the
// test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

var servingLine = regexp.MustCompile(`(?m)^serving on (http://127\.0\.0\.1:\d+)$`)

// startServe runs `convnet serve --addr 127.0.0.1:0 args...` in the
// background and returns its URL, read from the line it prints. stop
// interrupts it (as Ctrl-C does) and returns its exit status and output.
func startServe(t *testing.T, args ...string) (url string, stop func() (code int, stdout, stderr string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), &stdout, &stderr)
	}()
	var once sync.Once
	var code int
	stop = func() (int, string, string) {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(10 * time.Second):
				t.Errorf("serve did not stop within 10 s of its context's cancellation")
				code = -1
			}
		})
		return code, stdout.String(), stderr.String()
	}
	t.Cleanup(func() { stop() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := servingLine.FindStringSubmatch(stdout.String()); m != nil {
			return m[1], stop
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d before listening: stdout %q, stderr %q", code, stdout.String(), stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve printed no 'serving on' line in 20 s: stdout %q, stderr %q", stdout.String(), stderr.String())
		}
	}
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestServeCommand runs the command itself: it prints the model and where
// it listens, answers, and stops cleanly when its context is cancelled
// (Ctrl-C).
func TestServeCommand(t *testing.T) {
	ckpt := sharedCheckpoint(t)
	url, stop := startServe(t, "--checkpoint", ckpt, "--threads", "2")
	if resp, page := get(t, url+"/"); resp.StatusCode != 200 || !strings.Contains(page, `id="pad"`) {
		t.Fatalf("GET /: %s", resp.Status)
	}
	body := `{"pixels": [` + strings.Repeat("0,", 783) + `1]}`
	resp, err := http.Post(url+"/api/predict", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"probabilities"`) {
		t.Fatalf("POST /api/predict: %s %s", resp.Status, b)
	}
	code, stdout, stderr := stop()
	if code != 0 || stderr != "" {
		t.Errorf("serve: exit %d, stderr %q", code, stderr)
	}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "model lenet5 from "+ckpt) || lines[1] != "serving on "+url || lines[2] != "stopped" {
		t.Errorf("serve printed %q", stdout)
	}
	if _, err := http.Get(url + "/"); err == nil {
		t.Errorf("still answering after it stopped")
	}
}

// TestServeCommandNoCheckpoint starts in a folder without
// lenet5.safetensors: the command says so and how to train one, and
// serves the page that says the same.
func TestServeCommandNoCheckpoint(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	url, stop := startServe(t)
	if resp, page := get(t, url+"/"); resp.StatusCode != 200 || !strings.Contains(page, "No model loaded") {
		t.Errorf("GET / without a model: %s:\n%s", resp.Status, page)
	}
	code, stdout, stderr := stop()
	if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "no model: there is no lenet5.safetensors in "+dir+". Train one with `convnet train`") ||
		!strings.HasSuffix(stdout, "stopped\n") {
		t.Errorf("serve: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestServeBadInvocations(t *testing.T) {
	ckpt := sharedCheckpoint(t)
	missing := filepath.Join(t.TempDir(), "missing.safetensors")
	for _, c := range []struct {
		args  []string
		code  int
		words []string
	}{
		{[]string{"serve", "--checkpoint", missing}, 1, []string{"convnet serve:", "missing.safetensors"}},
		{[]string{"serve", "--checkpoint", ckpt, "--addr", "not-an-address"}, 1, []string{"--addr", "not-an-address"}},
		{[]string{"serve", "--checkpoint", ckpt, "--addr", ""}, 2, []string{"--addr"}},
		{[]string{"serve", "--checkpoint", ckpt, "--model", "nonet"}, 2, []string{"--model", "nonet"}},
		{[]string{"serve", "--checkpoint", ckpt, "stray"}, 2, []string{"stray"}},
		{[]string{"serve", "--bogus"}, 2, []string{"--bogus"}},
		{[]string{"serve", "--threads", "0"}, 2, []string{"--threads"}},
	} {
		_, stderr, code := runCmd(t, c.args...)
		if code != c.code || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, want %d; stderr %q", c.args, code, c.code, stderr)
		}
		for _, w := range c.words {
			if !strings.Contains(stderr, w) {
				t.Errorf("%q: stderr %q does not mention %q", c.args, stderr, w)
			}
		}
	}
	stdout, _, code := runCmd(t, "serve", "-h")
	if code != 0 || !strings.Contains(stdout, "--addr") || !strings.Contains(stdout, "127.0.0.1:8080") || !strings.Contains(stdout, "--checkpoint") {
		t.Errorf("serve -h: exit %d:\n%s", code, stdout)
	}
}
