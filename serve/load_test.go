package serve_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/datasets"
	"github.com/convnet/convnet/datasets/mnist"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/serve"
)

// freshCheckpoint saves an untrained LeNet-5 for MNIST in dir, as
// `convnet train` saves one (no training: the tests here are about load,
// not answers).
func freshCheckpoint(t testing.TB, dir string) string {
	t.Helper()
	spec, err := models.Lookup("lenet5")
	if err != nil {
		t.Fatal(err)
	}
	pipe, err := datasets.Fit(spec, "mnist")
	if err != nil {
		t.Fatal(err)
	}
	nn.ManualSeed(0)
	m, err := pipe.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, serve.DefaultCheckpoint)
	if err := checkpoint.Save(path, m, pipe.Metadata(spec.Name)); err != nil {
		t.Fatal(err)
	}
	return path
}

// bigDigitBody is a request with a side x side RGBA PNG, as the page's
// canvas sends it but mnist.MaxImageSide large: a white 7 on black.
func bigDigitBody(t testing.TB, side int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	black, white := color.NRGBA{0, 0, 0, 255}, color.NRGBA{255, 255, 255, 255}
	thick := side / 14
	for y := range side {
		for x := range side {
			c := black
			top := y > side/5 && y < side/5+thick && x > side/4 && x < 3*side/4
			// the stroke down from the top right to the bottom middle
			sx := 3*side/4 - (y-side/5)*side/4/(3*side/5)
			down := y > side/5 && y < 4*side/5 && x > sx-thick && x < sx
			if top || down {
				c = white
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return []byte(`{"image": "data:image/png;base64,` + base64.StdEncoding.EncodeToString(b.Bytes()) + `"}`)
}

// noiseBody is a request as large as MaxBody allows: a grey PNG of random
// pixels, which does not compress.
func noiseBody(t testing.TB) []byte {
	t.Helper()
	side := 1100 // 1.2 MB of pixels, 1.6 MB of base64
	img := image.NewGray(image.Rect(0, 0, side, side))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.Uint32())
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"image": "` + base64.StdEncoding.EncodeToString(b.Bytes()) + `"}`)
	if len(body) > serve.MaxBody || len(body) < serve.MaxBody*3/4 {
		t.Fatalf("noise body of %d bytes, want nearly %d", len(body), serve.MaxBody)
	}
	return body
}

// hammer sends n requests with body at once to url and returns the count
// of each status; an answer that is neither 200 nor 503 with Retry-After:
// 1 and a JSON error is an error of the test.
func hammer(t testing.TB, url string, n int, body []byte) map[int]int {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: n}}
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			resp, err := client.Post(url+"/api/predict", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var a struct {
				Probabilities []float64
				Error         string
			}
			err = json.NewDecoder(resp.Body).Decode(&a)
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
			switch {
			case err != nil:
				t.Errorf("%s: answer is not JSON: %v", resp.Status, err)
			case resp.StatusCode == 200 && len(a.Probabilities) == 10:
			case resp.StatusCode == 503 && resp.Header.Get("Retry-After") == "1" && strings.HasPrefix(a.Error, "busy: "):
			default:
				t.Errorf("%s (Retry-After %q): %q; want 200, or 503 with Retry-After: 1 saying busy",
					resp.Status, resp.Header.Get("Retry-After"), a.Error)
			}
		})
	}
	close(start)
	wg.Wait()
	return codes
}

// TestServeManyBigPictures sends 128 requests at once, each with a
// 2048x2048 PNG: each is answered 200 or 503 with Retry-After (none 500),
// and the decodes that run at once never exceed the bounds:
// DefaultMaxInFlight (2×GOMAXPROCS, at most 32) of them, MaxDecodeBytes of
// pixels.
func TestServeManyBigPictures(t *testing.T) {
	h, err := serve.NewHandler(serve.Options{Checkpoint: freshCheckpoint(t, t.TempDir())})
	if err != nil {
		t.Fatal(err)
	}
	var running, maxRunning, bytes, maxBytes atomic.Int64
	serve.SetDecodeHook(h, func(cost int64) {
		var n int64
		if cost > 0 {
			n = running.Add(1)
		} else {
			running.Add(-1)
		}
		b := bytes.Add(cost)
		for m := maxRunning.Load(); n > m && !maxRunning.CompareAndSwap(m, n); m = maxRunning.Load() {
		}
		for m := maxBytes.Load(); b > m && !maxBytes.CompareAndSwap(m, b); m = maxBytes.Load() {
		}
	})
	ts := httptest.NewServer(h)
	defer ts.Close()
	side := mnist.MaxImageSide
	if raceEnabled {
		side /= 2 // a quarter of the work: the race detector slows decoding tenfold
	}
	codes := hammer(t, ts.URL, 128, bigDigitBody(t, side))
	slots := int64(serve.DefaultMaxInFlight())
	if want := int64(min(2*runtime.GOMAXPROCS(0), 32)); slots != want {
		t.Errorf("DefaultMaxInFlight() = %d with GOMAXPROCS %d; want %d", slots, runtime.GOMAXPROCS(0), want)
	}
	t.Logf("%dx%d PNGs: answers %v; at most %d decodes at once (bound %d), %d MiB of pixels (bound %d)",
		side, side, codes, maxRunning.Load(), slots, maxBytes.Load()>>20, serve.MaxDecodeBytes>>20)
	if codes[200] == 0 {
		t.Errorf("no request was answered 200")
	}
	if maxRunning.Load() > slots || maxRunning.Load() < 1 {
		t.Errorf("%d decodes ran at once; want 1 to %d", maxRunning.Load(), slots)
	}
	if maxBytes.Load() > serve.MaxDecodeBytes {
		t.Errorf("the decodes at once took %d bytes; want at most %d", maxBytes.Load(), serve.MaxDecodeBytes)
	}
	// The server is well afterwards.
	pix := make([]float64, 784)
	if resp, body := post(t, ts.URL+"/api/predict", "application/json", mustJSON(t, map[string]any{"pixels": pix}), nil); resp.StatusCode != 200 {
		t.Errorf("after the load: %s %s", resp.Status, body)
	}
}

// TestServeBusy holds the only slot of a server with MaxInFlight 1: the
// next request waits its turn, then is answered 503 with Retry-After: 1;
// once the slot is free, requests are answered again.
func TestServeBusy(t *testing.T) {
	h, err := serve.NewHandler(serve.Options{Checkpoint: freshCheckpoint(t, t.TempDir()), MaxInFlight: 1})
	if err != nil {
		t.Fatal(err)
	}
	serve.SetBusyWait(h, 200*time.Millisecond)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	serve.SetDecodeHook(h, func(cost int64) {
		if cost > 0 {
			once.Do(func() {
				close(entered)
				<-release
			})
		}
	})
	ts := httptest.NewServer(h)
	defer ts.Close()
	picture := bigDigitBody(t, 280)
	first := make(chan int, 1)
	go func() {
		resp, err := http.Post(ts.URL+"/api/predict", "application/json", bytes.NewReader(picture))
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	<-entered
	pix := mustJSON(t, map[string]any{"pixels": make([]float64, 784)})
	started := time.Now()
	var e struct{ Error string }
	resp, _ := post(t, ts.URL+"/api/predict", "application/json", pix, &e)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" ||
		e.Error != "busy: the one prediction slot is in use; try again in a second" {
		t.Errorf("a request while the slot is held: %s, Retry-After %q, %q", resp.Status, resp.Header.Get("Retry-After"), e.Error)
	}
	if waited := time.Since(started); waited < 200*time.Millisecond {
		t.Errorf("answered busy after %v; want it to wait its turn for 200ms first", waited)
	}
	// The page's own requests and info are not held up.
	if resp, _ := get(t, ts.URL+"/api/info"); resp.StatusCode != 200 {
		t.Errorf("GET /api/info while busy: %s", resp.Status)
	}
	close(release)
	if code := <-first; code != 200 {
		t.Errorf("the request that held the slot: %d", code)
	}
	if resp, body := post(t, ts.URL+"/api/predict", "application/json", pix, nil); resp.StatusCode != 200 {
		t.Errorf("after the slot is free: %s %s", resp.Status, body)
	}
}

// rssLimit is what the memory test allows the whole test process: the
// handler, its 128 clients and the test binary.
const rssLimit = 600 << 20

// TestServeMemory measures, in a process of its own (this test binary run
// again), the peak memory (VmHWM) of serving 128 requests at once with
// 2048x2048 PNGs, then 128 with bodies of nearly MaxBody, with GOMAXPROCS
// 64 (32 slots, the most, as on a machine of 16 cores or more); and how
// much is still held a few seconds after. The peak must stay under 600 MB,
// and the memory must return.
func TestServeMemory(t *testing.T) {
	if os.Getenv("SERVE_MEMORY_CHILD") != "" {
		memoryChild(t)
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/self/status")
	}
	if raceEnabled {
		t.Skip("the race detector multiplies memory; run without -race")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeMemory$", "-test.v")
	cmd.Env = append(os.Environ(), "SERVE_MEMORY_CHILD=1", "GOMAXPROCS=64")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the child: %v\n%s", err, out)
	}
	var peak, after int64 = -1, -1
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if v, ok := strings.CutPrefix(line, "PEAK "); ok {
			peak, _ = strconv.ParseInt(v, 10, 64)
		}
		if v, ok := strings.CutPrefix(line, "AFTER "); ok {
			after, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	t.Logf("the child:\n%s", out)
	if peak < 0 || after < 0 {
		t.Fatalf("the child printed no PEAK or AFTER line")
	}
	t.Logf("peak RSS %d MiB, %d MiB a few seconds after", peak>>20, after>>20)
	if peak > rssLimit {
		t.Errorf("peak RSS %d MiB; want under %d MiB", peak>>20, rssLimit>>20)
	}
	if after > 150<<20 {
		t.Errorf("RSS %d MiB a few seconds after the load; want the memory returned (under 150 MiB)", after>>20)
	}
}

// memoryChild is TestServeMemory in its own process.
func memoryChild(t *testing.T) {
	h, err := serve.NewHandler(serve.Options{Checkpoint: freshCheckpoint(t, t.TempDir())})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	big, noise := bigDigitBody(t, mnist.MaxImageSide), noiseBody(t)
	debug.FreeOSMemory()
	fmt.Printf("BEFORE %d\n", procStatus(t, "VmRSS"))
	for _, c := range []struct {
		name string
		body []byte
	}{{"2048x2048 PNGs", big}, {"bodies of nearly MaxBody", noise}} {
		started := time.Now()
		codes := hammer(t, ts.URL, 128, c.body)
		fmt.Printf("128 requests with %s: %v in %.1fs, RSS now %d MiB, peak %d MiB\n",
			c.name, codes, time.Since(started).Seconds(), procStatus(t, "VmRSS")>>20, procStatus(t, "VmHWM")>>20)
	}
	fmt.Printf("PEAK %d\n", procStatus(t, "VmHWM"))
	time.Sleep(3 * time.Second)
	fmt.Printf("AFTER %d\n", procStatus(t, "VmRSS"))
}

// procStatus returns a field of /proc/self/status in bytes.
func procStatus(t *testing.T, field string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// TestServeBusyPixels fills MaxDecodeBytes with four 2048x2048 RGBA PNGs
// (32 MiB each) held in their decoding: a fifth waits its turn, then is
// answered 503 with Retry-After: 1 saying how much is taken, while a
// request without a picture is answered at once.
func TestServeBusyPixels(t *testing.T) {
	h, err := serve.NewHandler(serve.Options{Checkpoint: freshCheckpoint(t, t.TempDir()), MaxInFlight: 8})
	if err != nil {
		t.Fatal(err)
	}
	serve.SetBusyWait(h, 200*time.Millisecond)
	const held = 4
	entered, release := make(chan int64, held), make(chan struct{})
	serve.SetDecodeHook(h, func(cost int64) {
		if cost > 0 {
			entered <- cost
			<-release
		}
	})
	ts := httptest.NewServer(h)
	defer ts.Close()
	big := bigDigitBody(t, mnist.MaxImageSide)
	done := make(chan int, held)
	for range held {
		go func() {
			resp, err := http.Post(ts.URL+"/api/predict", "application/json", bytes.NewReader(big))
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
	}
	for range held {
		if cost := <-entered; cost != 32<<20 {
			t.Errorf("a 2048x2048 RGBA PNG costs %d bytes, want 32 MiB", cost)
		}
	}
	var e struct{ Error string }
	resp, _ := post(t, ts.URL+"/api/predict", "application/json", big, &e)
	const want = "busy: the pictures being decoded take 128 of the 128 MiB allowed at once, and this 2048x2048 PNG needs 32 MiB; try again in a second"
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" || e.Error != want {
		t.Errorf("a fifth picture: %s, Retry-After %q, %q; want 503, 1, %q", resp.Status, resp.Header.Get("Retry-After"), e.Error, want)
	}
	pix := mustJSON(t, map[string]any{"pixels": make([]float64, 784)})
	if resp, body := post(t, ts.URL+"/api/predict", "application/json", pix, nil); resp.StatusCode != 200 {
		t.Errorf("pixels while the pictures are held: %s %s", resp.Status, body)
	}
	close(release)
	for range held {
		if code := <-done; code != 200 {
			t.Errorf("a held picture: %d", code)
		}
	}
}
