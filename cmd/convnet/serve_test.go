package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"github.com/convnet/convnet/serve"
	"io"
	"net"
	"net/http"
	"os"
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

var servingLine = regexp.MustCompile(`(?m)^serving on (http://[^ ]+:\d+)( \(listening on all interfaces\))?$`)

// startServe runs `convnet serve --addr 127.0.0.1:0 args...` in the
// background and returns its URL, read from the line it prints. stop
// interrupts it (as Ctrl-C does) and returns its exit status and output.
func startServe(t *testing.T, args ...string) (url string, stop func() (code int, stdout, stderr string)) {
	t.Helper()
	url, stop, _ = startServeStderr(t, args...)
	return url, stop
}

// startServeStderr is startServe that also returns what the command has
// written on stderr so far.
func startServeStderr(t *testing.T, args ...string) (url string, stop func() (code int, stdout, stderr string), stderrNow func() string) {
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
			return m[1], stop, stderr.String
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
		{[]string{"serve", "--checkpoint", ckpt, "--token", "two words"}, 2, []string{"--token", "spaces"}},
		{[]string{"serve", "--checkpoint", ckpt, "--token", "tab\there"}, 2, []string{"--token", "control"}},
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
	if code != 0 || !strings.Contains(stdout, "--addr") || !strings.Contains(stdout, "127.0.0.1:8080") || !strings.Contains(stdout, "--checkpoint") ||
		!strings.Contains(stdout, "--token") || !strings.Contains(stdout, "Retry-After") {
		t.Errorf("serve -h: exit %d:\n%s", code, stdout)
	}
}

// TestServeCommandNetwork listens elsewhere than on loopback: without
// --token the command warns on stderr that the page and the API are open
// to the network with no authentication; with --token it says so more
// mildly, and the API needs the token.
func TestServeCommandNetwork(t *testing.T) {
	ckpt := sharedCheckpoint(t)
	const token = "tok-3141"
	const warning = "convnet serve: warning: listening on "
	type testCase struct {
		name   string
		args   []string
		stderr []string // words that the one line on stderr must hold; nil: no line
		token  bool
	}
	cases := []testCase{
		{"loopback", []string{"--addr", "127.0.0.1:0"}, nil, false},
		{"localhost", []string{"--addr", "localhost:0"}, nil, false},
		{"all IPv4 interfaces", []string{"--addr", "0.0.0.0:0"}, []string{warning + "0.0.0.0:", "every network interface", "no authentication", "--token TOKEN", "--addr 127.0.0.1:8080"}, false},
		{"port only", []string{"--addr", ":0"}, []string{warning + ":", "every network interface", "no authentication", "--token TOKEN"}, false},
		{"all interfaces with a token", []string{"--addr", "0.0.0.0:0", "--token", token}, []string{"convnet serve: listening on 0.0.0.0:", "every network interface", "need the token", "unencrypted"}, true},
		{"loopback with a token", []string{"--addr", "127.0.0.1:0", "--token", token}, nil, true},
	}
	// An address of this machine on a network, if it has one.
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipnet, ok := a.(*net.IPNet); ok && ipnet.IP.To4() != nil && !ipnet.IP.IsLoopback() {
				ip := ipnet.IP.String()
				cases = append(cases, testCase{"network address " + ip, []string{"--addr", ip + ":0"},
					[]string{warning + ip + ":", "other machines may reach", "no authentication"}, false})
				break
			}
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url, stop := startServe(t, append([]string{"--checkpoint", ckpt}, c.args...)...)
			resp, _ := get(t, url+"/api/info")
			if want := map[bool]int{false: 200, true: 401}[c.token]; resp.StatusCode != want {
				t.Errorf("GET /api/info without a token: %s, want %d", resp.Status, want)
			}
			if c.token {
				req, _ := http.NewRequest("GET", url+"/api/info", nil)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("GET /api/info with the token: %s", resp.Status)
				}
				if resp, page := get(t, url+"/?token="+token); resp.StatusCode != 200 || !strings.Contains(page, `id="pad"`) {
					t.Errorf("GET /?token=: %s", resp.Status)
				}
			}
			code, _, stderr := stop()
			if code != 0 {
				t.Errorf("exit %d, stderr %q", code, stderr)
			}
			if c.stderr == nil {
				if stderr != "" {
					t.Errorf("stderr %q, want nothing", stderr)
				}
				return
			}
			if strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line", stderr)
			}
			for _, w := range c.stderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not say %q", stderr, w)
				}
			}
			if c.token && strings.Contains(stderr, token) {
				t.Errorf("stderr shows the token: %q", stderr)
			}
		})
	}
}

// TestServeCommandReload rewrites the served checkpoint with junk, then
// with a good version: stderr says, without a request, that the junk
// could not be loaded and the model before is served, then that the good
// version is; /api/info says the same.
func TestServeCommandReload(t *testing.T) {
	raw, err := os.ReadFile(sharedCheckpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "watched.safetensors")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	url, stop, stderrNow := startServeStderr(t, "--checkpoint", path)
	rewrite := func(b []byte, later time.Duration) {
		t.Helper()
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(later)
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
	}
	// waitStderr waits, without a request, for stderr to hold want.
	waitStderr := func(want string) {
		t.Helper()
		deadline := time.Now().Add(3*serve.WatchEvery + 5*time.Second)
		for !strings.Contains(stderrNow(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("stderr %q does not say %q within %v", stderrNow(), want, 3*serve.WatchEvery)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	rewrite([]byte("not a checkpoint at all"), time.Minute)
	waitStderr("convnet serve: could not reload watched.safetensors (modified ")
	if s := stderrNow(); !strings.Contains(s, "; still serving the version loaded before\n") || strings.Count(s, "\n") != 1 {
		t.Errorf("stderr after junk: %q", s)
	}
	var info struct {
		Ready       bool
		ReloadError string `json:"reload_error"`
	}
	_, body := get(t, url+"/api/info")
	if err := json.Unmarshal([]byte(body), &info); err != nil || !info.Ready || !strings.HasPrefix(info.ReloadError, "could not reload watched.safetensors") {
		t.Errorf("/api/info after junk: %s", body)
	}
	rewrite(raw, 2*time.Minute)
	waitStderr("convnet serve: reloaded lenet5 from " + path)
	_, body = get(t, url+"/api/info")
	info.ReloadError = ""
	if err := json.Unmarshal([]byte(body), &info); err != nil || !info.Ready || info.ReloadError != "" {
		t.Errorf("/api/info after a good version: %s", body)
	}
	if code, _, _ := stop(); code != 0 {
		t.Errorf("exit %d", code)
	}
}
