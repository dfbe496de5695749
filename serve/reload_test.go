package serve_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"log"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/datasets"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/safetensors"
	"github.com/convnet/convnet/serve"
)

// syncBuffer is a bytes.Buffer that a handler's log writes while a test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// infoAnswer is GET /api/info.
type infoAnswer struct {
	Ready       bool
	Error       string
	ReloadError string `json:"reload_error"`
	Model       string
	Checkpoint  string
	Metadata    map[string]string
}

func getInfo(t *testing.T, url string) infoAnswer {
	t.Helper()
	resp, body := get(t, url+"/api/info")
	var info infoAnswer
	if err := json.Unmarshal([]byte(body), &info); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/info: %s %v: %s", resp.Status, err, body)
	}
	return info
}

// badCheckpoints returns checkpoints that must not be served, made from
// the good one at good, each with words its error must hold.
func badCheckpoints(t *testing.T, good string) []struct {
	name  string
	raw   []byte
	words []string
} {
	t.Helper()
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	// NaN in the first weight, as a diverged run writes.
	f, err := safetensors.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range f.Names {
		if tt := f.Tensors[name]; tt.DType == "F32" {
			binary.LittleEndian.PutUint32(tt.Data, math.Float32bits(float32(math.NaN())))
			break
		}
	}
	nanPath := filepath.Join(dir, "nan.safetensors")
	if err := safetensors.WriteFile(nanPath, f); err != nil {
		t.Fatal(err)
	}

	// Finite weights so large that every answer overflows to NaN: what a
	// NaN checkpoint did before checkpoint.Load refused NaN.
	ck, err := models.LoadCheckpoint(good, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ck.Model.ModuleBase().Parameters() {
		for i := range p.Data() {
			p.Data()[i] = 3e38
		}
	}
	hugePath := filepath.Join(dir, "huge.safetensors")
	if err := checkpoint.Save(hugePath, ck.Model, ck.Metadata); err != nil {
		t.Fatal(err)
	}

	// A model of another data set: MobileNetV2 on CIFAR-10 (untrained).
	spec, err := models.Lookup("mobilenet_v2")
	if err != nil {
		t.Fatal(err)
	}
	pipe, err := datasets.Fit(spec, "cifar10")
	if err != nil {
		t.Fatal(err)
	}
	nn.ManualSeed(0)
	cifar, err := pipe.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	cifarPath := filepath.Join(dir, "cifar.safetensors")
	if err := checkpoint.Save(cifarPath, cifar, pipe.Metadata(spec.Name)); err != nil {
		t.Fatal(err)
	}
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return []struct {
		name  string
		raw   []byte
		words []string
	}{
		{"junk", []byte("half a file"), []string{"header length"}},
		{"empty", nil, []string{"0 bytes"}},
		{"truncated", raw[:len(raw)/2], []string{"safetensors"}},
		{"NaN weights", read(nanPath), []string{"NaN", checkpoint.ErrNonFinite.Error()}},
		{"overflowing weights", read(hugePath), []string{"blank image", "NaN", "unusable"}},
		{"another data set", read(cifarPath), []string{"mobilenet_v2", "cifar10", "MNIST"}},
	}
}

// rewrite writes raw at path with a modification time of its own, so that
// the handler sees a new version even where file times are coarse.
func rewrite(t *testing.T, path string, raw []byte, version int) {
	t.Helper()
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(time.Duration(version) * time.Minute)
	if err := os.Chtimes(path, at, at); err != nil {
		t.Fatal(err)
	}
}

// TestServeReloadFails rewrites a served checkpoint with versions that
// cannot be served: each time the model loaded before stays and answers,
// the log and /api/info say which file failed and why, and a good version
// afterwards is loaded and clears the error.
func TestServeReloadFails(t *testing.T) {
	good := servedCheckpoint(t)
	goodRaw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "served.safetensors")
	rewrite(t, path, goodRaw, 0)
	var logged syncBuffer
	h, err := serve.NewHandler(serve.Options{Checkpoint: path, Log: log.New(&logged, "convnet serve: ", 0)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	first := getInfo(t, ts.URL)
	if !first.Ready || first.ReloadError != "" || first.Checkpoint != "served.safetensors" {
		t.Fatalf("/api/info at start: %+v; want ready, no reload_error, checkpoint served.safetensors (no folder)", first)
	}
	pix, _ := mnistPixels(t, 0)
	body := mustJSON(t, map[string]any{"pixels": pix})
	version := 1
	for _, c := range badCheckpoints(t, good) {
		t.Run(c.name, func(t *testing.T) {
			before := logged.String()
			version++
			rewrite(t, path, c.raw, version)
			var a predictAnswer
			if resp, body := post(t, ts.URL+"/api/predict", "application/json", body, &a); resp.StatusCode != 200 {
				t.Fatalf("POST /api/predict after a bad version: %s %s; want the model loaded before to answer", resp.Status, body)
			}
			checkAnswer(t, c.name, a)
			info := getInfo(t, ts.URL)
			if !info.Ready || info.Model != "lenet5" || info.Metadata["test_accuracy"] != first.Metadata["test_accuracy"] {
				t.Errorf("/api/info after a bad version: %+v; want the model loaded before", info)
			}
			want := "could not reload served.safetensors (modified "
			if !strings.HasPrefix(info.ReloadError, want) || !strings.HasSuffix(info.ReloadError, "; still serving the version loaded before") {
				t.Errorf("reload_error %q; want %q...; still serving the version loaded before", info.ReloadError, want)
			}
			for _, w := range c.words {
				if !strings.Contains(info.ReloadError, w) {
					t.Errorf("reload_error %q does not say %q", info.ReloadError, w)
				}
			}
			if strings.Contains(info.ReloadError, dir) {
				t.Errorf("reload_error %q names the folder %s", info.ReloadError, dir)
			}
			if added := strings.TrimPrefix(logged.String(), before); added != "convnet serve: "+info.ReloadError+"\n" {
				t.Errorf("log after a bad version: %q; want the line %q", added, info.ReloadError)
			}
			if _, page := get(t, ts.URL+"/"); !strings.Contains(page, `id="reload-error"`) || !strings.Contains(page, `id="pad"`) {
				t.Errorf("the page does not show the reload error beside the pad")
			}
			// Asked again, the same version is not tried again.
			getInfo(t, ts.URL)
			if added := strings.TrimPrefix(logged.String(), before); strings.Count(added, "\n") != 1 {
				t.Errorf("a bad version is logged more than once: %q", added)
			}
		})
	}

	// A good version: loaded, and the error is gone.
	ck, err := models.LoadCheckpoint(good, "")
	if err != nil {
		t.Fatal(err)
	}
	ck.Metadata["test_accuracy"] = "0.4242"
	if err := checkpoint.Save(path, ck.Model, ck.Metadata); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	before := logged.String()
	info := getInfo(t, ts.URL)
	if !info.Ready || info.ReloadError != "" || info.Metadata["test_accuracy"] != "0.4242" {
		t.Errorf("/api/info after a good version: %+v; want it loaded, no reload_error", info)
	}
	if added := strings.TrimPrefix(logged.String(), before); !strings.HasPrefix(added, "convnet serve: reloaded lenet5 from "+path+" (1 epoch, test accuracy 0.4242) (modified ") {
		t.Errorf("log after a good version: %q", added)
	}
	if _, page := get(t, ts.URL+"/"); strings.Contains(page, `id="reload-error"`) {
		t.Errorf("the page still shows a reload error after a good version")
	}
}

// TestServeFirstLoadFails starts without a model: a checkpoint that
// appears but cannot be served never becomes the model (predictions are
// 503 saying why, not 500), and one given at start is refused.
func TestServeFirstLoadFails(t *testing.T) {
	good := servedCheckpoint(t)
	goodRaw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	bad := badCheckpoints(t, good)
	pix, _ := mnistPixels(t, 0)
	body := mustJSON(t, map[string]any{"pixels": pix})
	for i, c := range bad {
		if c.name == "another data set" {
			continue // served from the start: its page has an upload box (TestServeFolderModel)
		}
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			var logged syncBuffer
			h, err := serve.NewHandler(serve.Options{Log: log.New(&logged, "", 0)})
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(h)
			defer ts.Close()
			rewrite(t, filepath.Join(dir, serve.DefaultCheckpoint), c.raw, i)
			var e struct{ Error string }
			resp, _ := post(t, ts.URL+"/api/predict", "application/json", body, &e)
			if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(e.Error, "could not be loaded") {
				t.Errorf("POST with a bad lenet5.safetensors: %s %q; want 503 saying it could not be loaded", resp.Status, e.Error)
			}
			info := getInfo(t, ts.URL)
			if info.Ready || !strings.HasPrefix(info.ReloadError, "could not load lenet5.safetensors (modified ") {
				t.Errorf("/api/info with a bad lenet5.safetensors: %+v", info)
			}
			for _, w := range c.words {
				if !strings.Contains(info.ReloadError, w) {
					t.Errorf("reload_error %q does not say %q", info.ReloadError, w)
				}
			}
			if logged.String() != info.ReloadError+"\n" {
				t.Errorf("log %q; want the line %q", logged.String(), info.ReloadError)
			}
			rewrite(t, filepath.Join(dir, serve.DefaultCheckpoint), goodRaw, i+100)
			if info := getInfo(t, ts.URL); !info.Ready || info.ReloadError != "" {
				t.Errorf("/api/info after a good lenet5.safetensors: %+v", info)
			}
			if !strings.Contains(logged.String(), "\nloaded lenet5 from lenet5.safetensors (1 epoch") {
				t.Errorf("log after a good version: %q", logged.String())
			}

			// Given at start, the same file is an error.
			p := filepath.Join(dir, "given.safetensors")
			rewrite(t, p, c.raw, 0)
			if _, err := serve.NewHandler(serve.Options{Checkpoint: p}); err == nil {
				t.Errorf("NewHandler serves it")
			} else {
				for _, w := range c.words {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("NewHandler: %v; does not say %q", err, w)
					}
				}
			}
		})
	}
}
