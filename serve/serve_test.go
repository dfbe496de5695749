package serve_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/data"
	"github.com/convnet/convnet/datasets"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/optim"
	"github.com/convnet/convnet/serve"
	"github.com/convnet/convnet/tensor"
	"github.com/convnet/convnet/train"
)

// testDir holds the checkpoint trained once for the tests.
var testDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "convnet-serve-test-")
	if err != nil {
		panic(err)
	}
	testDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var served struct {
	once sync.Once
	path string
	err  error
}

// servedCheckpoint trains LeNet-5 for one epoch on 12,800 images, once for
// the tests, as `convnet train --limit 12800 --epochs 1 --lr 0.003
// --test-limit 500 --threads 2` does (about 2 s; test accuracy about 0.9,
// enough to read a drawn 0 and 1; two threads, so that it is the same
// model everywhere), and returns the checkpoint's path.
func servedCheckpoint(t *testing.T) string {
	t.Helper()
	served.once.Do(func() {
		path := filepath.Join(testDir, serve.DefaultCheckpoint)
		served.err = trainLeNet(path, 12800, 0.003)
		served.path = path
	})
	if served.err != nil {
		t.Fatalf("training the tests' checkpoint: %v", served.err)
	}
	return served.path
}

// trainLeNet trains LeNet-5 on the first limit MNIST training images for
// one epoch and saves it at path with the metadata `convnet train` writes.
func trainLeNet(path string, limit int, lr float64) error {
	tensor.SetThreads(2)
	spec, err := models.Lookup("lenet5")
	if err != nil {
		return err
	}
	pipe, err := datasets.Fit(spec, "mnist")
	if err != nil {
		return err
	}
	trainSet, _, err := pipe.TrainSet("", limit, false, 0)
	if err != nil {
		return err
	}
	testSet, err := pipe.TestSet("", 500)
	if err != nil {
		return err
	}
	nn.ManualSeed(0)
	m, err := pipe.Build(spec)
	if err != nil {
		return err
	}
	loop := &train.Loop{
		Model: m, Optimizer: optim.NewAdam(m.ModuleBase().Parameters(), optim.DefaultAdam(lr)), Test: testSet,
		Train:  data.NewLoader(trainSet, data.LoaderOptions{BatchSize: 64}),
		Epochs: 1, LR: lr,
	}
	(&train.Checkpoints{Path: path, Optimizer: "adam", Metadata: pipe.Metadata(spec.Name), Saved: -1}).Attach(loop)
	_, err = loop.Run(context.Background())
	return err
}

// newTestServer serves the checkpoint with httptest.
func newTestServer(t *testing.T, ckpt string) *httptest.Server {
	t.Helper()
	h, err := serve.NewHandler(serve.Options{Checkpoint: ckpt})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
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

// post sends body to url as JSON and decodes the JSON answer into out (if
// not nil); it returns the response with its body read.
func post(t *testing.T, url, contentType string, body []byte, out any) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("POST %s: answer is not JSON (%v): %q", url, err, b)
		}
	}
	return resp, string(b)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mnistPixels returns MNIST test image i as 784 values and its label.
func mnistPixels(t *testing.T, i int) ([]float64, int) {
	t.Helper()
	set, err := datasets.MNIST("", false)
	if err != nil {
		t.Fatal(err)
	}
	pix := make([]float32, set.Rows*set.Cols)
	label := set.Example(i, pix)
	out := make([]float64, len(pix))
	for j, v := range pix {
		out[j] = float64(v)
	}
	return out, label
}

// pngDataURL draws 28x28 pixels scale times larger, in an off-centre
// corner of a bigger picture, as black ink on white paper when invert is
// set, and returns it as a data URL, as the page sends its canvas.
func pngDataURL(t *testing.T, pix []float64, scale int, invert bool) string {
	t.Helper()
	side := 28 * scale
	img := image.NewGray(image.Rect(0, 0, side+side/2, side+side/2))
	bg := uint8(0)
	if invert {
		bg = 255
	}
	for i := range img.Pix {
		img.Pix[i] = bg
	}
	for y := range side {
		for x := range side {
			v := uint8(pix[(y/scale)*28+x/scale]*255 + 0.5)
			if invert {
				v = 255 - v
			}
			img.SetGray(x, y, color.Gray{Y: v})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())
}

type predictAnswer struct {
	Input         []float64 `json:"input"`
	InputShape    []int     `json:"input_shape"`
	Probabilities []float64 `json:"probabilities"`
	Prediction    int       `json:"prediction"`
	Blank         bool      `json:"blank"`
	FeatureMaps   []struct {
		Name  string    `json:"name"`
		Shape []int     `json:"shape"`
		Data  []float64 `json:"data"`
	} `json:"feature_maps"`
	Error string `json:"error"`
}

// checkAnswer checks the form of a prediction: ten probabilities summing to
// one, the top one the prediction, 28x28 input, and LeNet-5's three
// convolutions' outputs.
func checkAnswer(t *testing.T, what string, a predictAnswer) {
	t.Helper()
	if len(a.Probabilities) != 10 {
		t.Fatalf("%s: %d probabilities, want 10", what, len(a.Probabilities))
	}
	sum := 0.0
	for i, p := range a.Probabilities {
		if !(p >= 0 && p <= 1) {
			t.Errorf("%s: probability %d = %v", what, i, p)
		}
		sum += p
		if p > a.Probabilities[a.Prediction] {
			t.Errorf("%s: prediction %d but class %d is likelier", what, a.Prediction, i)
		}
	}
	if math.Abs(sum-1) > 1e-4 {
		t.Errorf("%s: probabilities sum to %v", what, sum)
	}
	if len(a.Input) != 784 || len(a.InputShape) != 3 || a.InputShape[0] != 1 || a.InputShape[1] != 28 || a.InputShape[2] != 28 {
		t.Errorf("%s: input of %d values, shape %v; want 784, [1 28 28]", what, len(a.Input), a.InputShape)
	}
	want := []struct {
		name  string
		shape []int
	}{
		{"feature.cnn1", []int{6, 28, 28}},
		{"feature.cnn2", []int{16, 10, 10}},
		{"feature.cnn3", []int{120, 1, 1}},
	}
	if len(a.FeatureMaps) != len(want) {
		t.Fatalf("%s: %d feature maps, want %d", what, len(a.FeatureMaps), len(want))
	}
	for i, w := range want {
		m := a.FeatureMaps[i]
		if m.Name != w.name || !slices.Equal(m.Shape, w.shape) || len(m.Data) != w.shape[0]*w.shape[1]*w.shape[2] {
			t.Errorf("%s: feature map %d is %s %v with %d values, want %s %v", what, i, m.Name, m.Shape, len(m.Data), w.name, w.shape)
		}
	}
}

func TestServePage(t *testing.T) {
	ts := newTestServer(t, servedCheckpoint(t))
	resp, page := get(t, ts.URL+"/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %s, %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`<canvas id="pad"`, `id="input"`, `id="prediction"`, `id="clear"`, `id="probs"`,
		`data-name="feature.cnn1"`, `data-name="feature.cnn2"`, `data-name="feature.cnn3"`, "lenet5", `src="static/app.js"`} {
		if !strings.Contains(page, want) {
			t.Errorf("GET /: page lacks %s", want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("GET /: Content-Security-Policy %q", csp)
	}
	// Every asset is served from the binary, and none reaches elsewhere.
	assets := map[string]string{"/static/app.js": "javascript", "/static/style.css": "text/css", "/static/favicon.svg": "image/svg+xml"}
	all := page
	for path, ctype := range assets {
		resp, body := get(t, ts.URL+path)
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), ctype) || len(body) == 0 {
			t.Errorf("GET %s: %s, %s, %d bytes", path, resp.Status, resp.Header.Get("Content-Type"), len(body))
		}
		all += body
	}
	for _, external := range []string{"http://", "https://", "//cdn", "@import", "fonts.g"} {
		if strings.Contains(strings.ReplaceAll(all, `xmlns="http://www.w3.org/2000/svg"`, ""), external) {
			t.Errorf("the page or its assets mention %q: nothing may be fetched from elsewhere", external)
		}
	}
	for path, code := range map[string]int{"/nope": 404, "/static/nope.js": 404, "/api/nope": 404} {
		if resp, _ := get(t, ts.URL+path); resp.StatusCode != code {
			t.Errorf("GET %s: %s, want %d", path, resp.Status, code)
		}
	}
	resp, _ = post(t, ts.URL+"/", "text/plain", nil, nil)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %s, want 405", resp.Status)
	}
}

func TestServePredict(t *testing.T) {
	ts := newTestServer(t, servedCheckpoint(t))
	api := ts.URL + "/api/predict"
	right := 0
	const n = 10
	for i := range n {
		pix, label := mnistPixels(t, i)

		// The 28x28 image itself goes to the model unchanged.
		var a predictAnswer
		resp, body := post(t, api, "application/json", mustJSON(t, map[string]any{"pixels": pix}), &a)
		if resp.StatusCode != 200 {
			t.Fatalf("pixels of test image %d: %s %s", i, resp.Status, body)
		}
		checkAnswer(t, "pixels", a)
		for j := range pix {
			if math.Abs(a.Input[j]-pix[j]) > 1e-6 {
				t.Fatalf("pixels: input[%d] = %v, sent %v", j, a.Input[j], pix[j])
			}
		}
		if a.Prediction == label {
			right++
		}

		// A picture of it, ten times larger, off-centre, dark on light, as
		// PNG: made MNIST-like again, it gives nearly the same input and
		// the same answer.
		var b predictAnswer
		resp, body = post(t, api, "application/json", mustJSON(t, map[string]any{"image": pngDataURL(t, pix, 10, i%2 == 1)}), &b)
		if resp.StatusCode != 200 {
			t.Fatalf("image of test image %d: %s %s", i, resp.Status, body)
		}
		checkAnswer(t, "image", b)
		if b.Blank {
			t.Errorf("image of test image %d: blank", i)
		}
		cx, cy := centreOfMass(b.Input)
		if math.Abs(cx-14) > 1 || math.Abs(cy-14) > 1 {
			t.Errorf("image of test image %d: centre of mass (%.1f, %.1f), want about (14, 14)", i, cx, cy)
		}
		if b.Prediction != a.Prediction && a.Probabilities[a.Prediction] > 0.9 {
			t.Errorf("test image %d: predicted %d from its pixels (p=%.3f) but %d from its picture", i, a.Prediction, a.Probabilities[a.Prediction], b.Prediction)
		}
	}
	if right < n*7/10 {
		t.Errorf("%d of %d test images right", right, n)
	}

	// A blank drawing is no error: all zeros, marked blank.
	var a predictAnswer
	blank := make([]float64, 784)
	resp, body := post(t, api, "application/json", mustJSON(t, map[string]any{"image": pngDataURL(t, blank, 10, false)}), &a)
	if resp.StatusCode != 200 || !a.Blank {
		t.Errorf("blank picture: %s, blank=%v: %.200s", resp.Status, a.Blank, body)
	}
}

func centreOfMass(pix []float64) (x, y float64) {
	var sum float64
	for i, v := range pix {
		x += v * float64(i%28)
		y += v * float64(i/28)
		sum += v
	}
	// Pixel i covers [i, i+1): its centre is i+0.5.
	return x/sum + 0.5, y/sum + 0.5
}

func TestServeBadRequests(t *testing.T) {
	ts := newTestServer(t, servedCheckpoint(t))
	api := ts.URL + "/api/predict"
	var huge bytes.Buffer
	if err := png.Encode(&huge, image.NewGray(image.Rect(0, 0, 4000, 10))); err != nil {
		t.Fatal(err)
	}
	hugeURL := "data:image/png;base64," + base64.StdEncoding.EncodeToString(huge.Bytes())
	pix, _ := mnistPixels(t, 0)
	bigBody := `{"image": "data:image/png;base64,` + strings.Repeat("A", 3<<20) + `"}`
	for _, c := range []struct {
		name   string
		method string
		ctype  string
		body   string
		code   int
		words  []string
	}{
		{"wrong method", "GET", "", "", 405, []string{"POST"}},
		{"wrong method PUT", "PUT", "application/json", `{}`, 405, []string{"POST"}},
		{"not JSON", "POST", "text/plain", `{"pixels": []}`, 415, []string{"application/json"}},
		{"bad JSON", "POST", "application/json", `{"pixels": [1, 2`, 400, []string{"JSON"}},
		{"not an object", "POST", "application/json", `[1, 2, 3]`, 400, []string{"JSON"}},
		{"empty body", "POST", "application/json", ``, 400, []string{"empty"}},
		{"two objects", "POST", "application/json", `{} {}`, 400, []string{"more data"}},
		{"unknown field", "POST", "application/json", `{"picture": "x"}`, 400, []string{"picture"}},
		{"oversized body", "POST", "application/json", bigBody, 413, []string{"bytes"}},
		{"neither", "POST", "application/json", `{}`, 400, []string{"image", "pixels"}},
		{"both", "POST", "application/json", `{"image": "x", "pixels": []}`, 400, []string{"not both"}},
		{"empty image", "POST", "application/json", `{"image": ""}`, 400, []string{"image", "empty"}},
		{"empty data URL", "POST", "application/json", `{"image": "data:image/png;base64,"}`, 400, []string{"image", "empty"}},
		{"data URL without comma", "POST", "application/json", `{"image": "data:image/png;base64"}`, 400, []string{"comma"}},
		{"not base64 data URL", "POST", "application/json", `{"image": "data:image/png,abc"}`, 400, []string{"base64"}},
		{"bad base64", "POST", "application/json", `{"image": "data:image/png;base64,@@@"}`, 400, []string{"base64"}},
		{"not a picture", "POST", "application/json", `{"image": "` + base64.StdEncoding.EncodeToString([]byte("hello, world")) + `"}`, 400, []string{"PNG"}},
		{"picture too large", "POST", "application/json", `{"image": "` + hugeURL + `"}`, 400, []string{"4000x10", "too large"}},
		{"no pixels", "POST", "application/json", `{"pixels": []}`, 400, []string{"got 0 values", "784"}},
		{"wrong pixel count", "POST", "application/json", string(mustJSON(t, map[string]any{"pixels": pix[:783]})), 400, []string{"got 783", "784"}},
		{"pixel out of range", "POST", "application/json", `{"pixels": [` + strings.Repeat("0,", 783) + `2]}`, 400, []string{"pixels[783]", "[0, 1]"}},
		{"pixels not numbers", "POST", "application/json", `{"pixels": "abc"}`, 400, []string{"JSON"}},
		{"image not a string", "POST", "application/json", `{"image": 5}`, 400, []string{"image", "must be a string"}},
		{"image in upper case", "POST", "application/json", `{"Image": "@@@"}`, 400, []string{"base64"}},
		{"unknown field beside image", "POST", "application/json", `{"image": "x", "extra": 1}`, 400, []string{"unknown field", "extra"}},
		{"more data after the image", "POST", "application/json", `{"image": "x"} 1`, 400, []string{"more data"}},
	} {
		req, err := http.NewRequest(c.method, api, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct{ Error string }
		if err := json.Unmarshal(b, &e); err != nil || e.Error == "" {
			t.Errorf("%s: answer is not {\"error\": ...}: %q", c.name, b)
		}
		if resp.StatusCode != c.code {
			t.Errorf("%s: %s, want %d: %s", c.name, resp.Status, c.code, e.Error)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", c.name, ct)
		}
		for _, w := range c.words {
			if !strings.Contains(e.Error, w) {
				t.Errorf("%s: error %q does not mention %q", c.name, e.Error, w)
			}
		}
	}
	// The server is still well after all that.
	var a predictAnswer
	if resp, body := post(t, api, "application/json", mustJSON(t, map[string]any{"pixels": pix}), &a); resp.StatusCode != 200 {
		t.Fatalf("after the bad requests: %s %s", resp.Status, body)
	}
	checkAnswer(t, "after the bad requests", a)
}

// TestServeConcurrent sends requests in parallel, with no lock around the
// model: every answer, probabilities and feature maps, is the one the
// request gets alone. Meanwhile the checkpoint is rewritten (the same
// weights, a new file), so that the model is reloaded under load. Run it
// with -race.
func TestServeConcurrent(t *testing.T) {
	raw, err := os.ReadFile(servedCheckpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "served.safetensors")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	const n = 8
	// Every request at once: none waits for a slot (the default bound,
	// 2×GOMAXPROCS, is tested in TestServeManyBigPictures).
	h, err := serve.NewHandler(serve.Options{Checkpoint: path, MaxInFlight: 4 * n})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	api := ts.URL + "/api/predict"
	want := make([]predictAnswer, n)
	bodies := make([][]byte, n)
	for i := range n {
		pix, _ := mnistPixels(t, i)
		if i%2 == 0 {
			bodies[i] = mustJSON(t, map[string]any{"pixels": pix})
		} else {
			bodies[i] = mustJSON(t, map[string]any{"image": pngDataURL(t, pix, 4, i%4 == 1)})
		}
		post(t, api, "application/json", bodies[i], &want[i])
		checkAnswer(t, fmt.Sprintf("request %d alone", i), want[i])
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4*n)
	for r := range 4 {
		for i := range n {
			wg.Go(func() {
				resp, err := http.Post(api, "application/json", bytes.NewReader(bodies[i]))
				if err != nil {
					errs <- err.Error()
					return
				}
				defer resp.Body.Close()
				var a predictAnswer
				if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != 200 {
					errs <- fmt.Sprintf("request %d: %s %v", i, resp.Status, err)
					return
				}
				if !sameAnswer(a, want[i]) {
					errs <- fmt.Sprintf("round %d, request %d: a different answer in parallel", r, i)
				}
			})
		}
		if r == 1 {
			later := time.Now().Add(time.Duration(r) * time.Minute)
			if err := os.WriteFile(path, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(path, later, later); err != nil {
				t.Fatal(err)
			}
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// sameAnswer reports whether two answers are equal in every number.
func sameAnswer(a, b predictAnswer) bool {
	if a.Prediction != b.Prediction || a.Blank != b.Blank || !slices.Equal(a.Input, b.Input) ||
		!slices.Equal(a.Probabilities, b.Probabilities) || len(a.FeatureMaps) != len(b.FeatureMaps) {
		return false
	}
	for i, m := range a.FeatureMaps {
		if m.Name != b.FeatureMaps[i].Name || !slices.Equal(m.Data, b.FeatureMaps[i].Data) {
			return false
		}
	}
	return true
}

// TestServeMounted mounts the handler under a prefix of another mux: the
// page's links are relative, so the page, its assets and the API are
// found there.
func TestServeMounted(t *testing.T) {
	h, err := serve.NewHandler(serve.Options{Checkpoint: servedCheckpoint(t)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/digits/", http.StripPrefix("/digits", h))
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "the program's own page") })
	ts := httptest.NewServer(mux)
	defer ts.Close()
	if _, page := get(t, ts.URL+"/"); page != "the program's own page" {
		t.Errorf("GET /: %q", page)
	}
	resp, page := get(t, ts.URL+"/digits") // redirected to /digits/
	if resp.StatusCode != 200 || !strings.Contains(page, `id="pad"`) {
		t.Fatalf("GET /digits: %s", resp.Status)
	}
	for _, ref := range []string{`href="static/style.css"`, `src="static/app.js"`} {
		if !strings.Contains(page, ref) {
			t.Errorf("the page does not link %s", ref)
		}
	}
	if resp, _ := get(t, ts.URL+"/digits/static/app.js"); resp.StatusCode != 200 {
		t.Errorf("GET /digits/static/app.js: %s", resp.Status)
	}
	pix, _ := mnistPixels(t, 0)
	var a predictAnswer
	if resp, body := post(t, ts.URL+"/digits/api/predict", "application/json", mustJSON(t, map[string]any{"pixels": pix}), &a); resp.StatusCode != 200 {
		t.Fatalf("POST /digits/api/predict: %s %s", resp.Status, body)
	}
	checkAnswer(t, "mounted", a)
}

// TestServeNoCheckpoint starts without a model: the page and the API say
// how to train one, and the checkpoint is used once it appears, and again
// when it changes.
func TestServeNoCheckpoint(t *testing.T) {
	ckpt := servedCheckpoint(t)
	dir := t.TempDir()
	t.Chdir(dir)

	h, err := serve.NewHandler(serve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if line, ready := h.Status(); ready || !strings.HasPrefix(line, "there is no lenet5.safetensors in "+dir+". Train one with `convnet train`") {
		t.Errorf("Status without a model: %q, %v", line, ready)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	url := ts.URL
	resp, page := get(t, url+"/")
	if resp.StatusCode != 200 {
		t.Fatalf("GET / without a model: %s", resp.Status)
	}
	for _, want := range []string{"No model loaded", "convnet train", "lenet5.safetensors", dir} {
		if !strings.Contains(page, want) {
			t.Errorf("page without a model does not say %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, `id="pad"`) {
		t.Errorf("page without a model shows the drawing pad")
	}
	pix, _ := mnistPixels(t, 0)
	body := mustJSON(t, map[string]any{"pixels": pix})
	var e struct{ Error string }
	resp, _ = post(t, url+"/api/predict", "application/json", body, &e)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(e.Error, "convnet train") {
		t.Errorf("POST without a model: %s %q, want 503 saying how to train", resp.Status, e.Error)
	}
	var info struct {
		Ready bool
		Error string
	}
	_, b := get(t, url+"/api/info")
	if err := json.Unmarshal([]byte(b), &info); err != nil || info.Ready || !strings.Contains(info.Error, "convnet train") {
		t.Errorf("GET /api/info without a model: %s", b)
	}

	// A broken file is reported, not served.
	path := filepath.Join(dir, "lenet5.safetensors")
	if err := os.WriteFile(path, []byte("half a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, page := get(t, url+"/"); !strings.Contains(page, "could not be loaded") {
		t.Errorf("page with a broken lenet5.safetensors does not say so:\n%s", page)
	}

	// Training in that folder (here: copying a checkpoint in) is enough.
	raw, err := os.ReadFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, page := get(t, url+"/"); !strings.Contains(page, `id="pad"`) {
		t.Errorf("page after lenet5.safetensors appeared has no drawing pad:\n%s", page)
	}
	var a predictAnswer
	if resp, body := post(t, url+"/api/predict", "application/json", body, &a); resp.StatusCode != 200 {
		t.Fatalf("POST after lenet5.safetensors appeared: %s %s", resp.Status, body)
	}
	checkAnswer(t, "after lenet5.safetensors appeared", a)
	if line, ready := h.Status(); !ready || !strings.HasPrefix(line, "lenet5 from lenet5.safetensors (1 epoch, test accuracy 0.") {
		t.Errorf("Status with a model: %q, %v", line, ready)
	}

	// Each epoch of training rewrites the file: the new one is served.
	ck, err := models.LoadCheckpoint(ckpt, "")
	if err != nil {
		t.Fatal(err)
	}
	ck.Metadata["test_accuracy"] = "0.4242"
	if err := checkpoint.Save(path, ck.Model, ck.Metadata); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute) // a new time, even where file times are coarse
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	var info2 struct{ Metadata map[string]string }
	_, b = get(t, url+"/api/info")
	if err := json.Unmarshal([]byte(b), &info2); err != nil || info2.Metadata["test_accuracy"] != "0.4242" {
		t.Errorf("after lenet5.safetensors changed, /api/info says %s; want test_accuracy 0.4242", b)
	}

	// A model that is loaded stays when its file goes away.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if resp, body := post(t, url+"/api/predict", "application/json", body, &a); resp.StatusCode != 200 {
		t.Errorf("POST after lenet5.safetensors went away: %s %s", resp.Status, body)
	}
}
