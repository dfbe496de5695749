// Package serve is the digit-drawing page of `convnet serve` as an
// http.Handler that a Go program mounts in its own server: a page where one
// draws a digit and watches, as one draws, the 28x28 image the model
// receives, the probability of each class and the feature maps of the first
// three convolutions, and the JSON API behind it:
//
//	POST api/predict  {"image": "data:image/png;base64,..."} or {"pixels": [784 numbers in 0..1]}
//	GET  api/info     the model, its input and its feature maps
//
// The handler serves a checkpoint of a model trained on MNIST, which it
// reads again when the file changes (training rewrites it every epoch).
// Requests run the model at once, up to Options.MaxInFlight of them,
// without a lock: each prediction computes in its own tensor.Scope. The page and its assets are embedded and fetch nothing from
// elsewhere; their links are relative, so the handler may be mounted under
// a prefix with http.StripPrefix.
//
// # What the handler refuses
//
// Reloading. A new version of the checkpoint becomes the model served only
// if it loads whole: it must be a safetensors file that
// models.LoadCheckpoint reads (checkpoint.Load refuses NaN and infinite
// weights with checkpoint.ErrNonFinite), hold a model trained on MNIST
// (metadata dataset=mnist, or none), and answer a blank image with finite
// numbers (a model whose weights overflow is refused, for it could only
// answer 500). A version that fails keeps the model loaded before; GET
// api/info then says why in "reload_error", for example
//
//	could not reload lenet5.safetensors (modified 2026-12-01 23:10:05 UTC): checkpoint: safetensors: lenet5.safetensors: ...; still serving the version loaded before
//
// and Options.Log receives the same line; both clear, and Log says
// "reloaded lenet5 from lenet5.safetensors (...)", when a good version
// loads. Without a model loaded yet the message starts "could not load".
// The API names the checkpoint by its file name only, never its folder,
// but for one thing: while no model is loaded, the page and the API's
// errors say in which folder `convnet train` should run.
//
// Requests to POST api/predict. Answers are JSON {"error": "..."} with:
//
//   - 405 for another method than POST (Allow: POST);
//   - 415 unless Content-Type is application/json;
//   - 413 for a body over MaxBody (2 MiB): "request body over 2097152 bytes";
//   - 400 for bad JSON, unknown fields, both or neither of "image" and
//     "pixels", pixels that are not 784 numbers in [0, 1], an image that
//     is not base64 PNG or JPEG, and a picture whose header declares a side
//     over mnist.MaxImageSide (2048) pixels: "image: 4000x10 is too large
//     (at most 2048x2048)", refused from its header before any pixel is
//     decoded;
//   - 503 with Retry-After: 1 when the server is busy: at most
//     Options.MaxInFlight predictions (default DefaultMaxInFlight:
//     2×GOMAXPROCS, at most 32) are handled at once, from reading the body
//     to writing the answer, and the pictures decoded at once may take at
//     most MaxDecodeBytes (128 MiB); a picture's share is its width ×
//     height × (the bytes per pixel of its decoded form, twice for an
//     interlaced PNG, plus 4 for the model's grey copy): 32 MiB for a
//     2048x2048 RGBA PNG, 20 MiB for a grey one, 0.6 MiB for the page's
//     280x280 drawing. A request waits up to BusyWait (1 s) for its turn,
//     then gets "busy: all N prediction slots are in use; try again in a
//     second" or "busy: the pictures being decoded take X of the 128 MiB
//     allowed at once, and this WxH PNG needs Y MiB; try again in a
//     second". A slot is held while the body arrives: a server should
//     bound that time (convnet serve reads a request for 20 s at most).
//     The page, answered so, sends its drawing again a second later;
//   - 503 without Retry-After when no model is loaded (the message says
//     how to train one);
//   - 401 when Options.Token is set and the request does not carry it (see
//     below).
//
// So the memory of the handler stays bounded whatever the load: at most
// MaxInFlight bodies with their pictures' bytes (about 3.5 MiB each) and
// MaxDecodeBytes of pixels. 128 requests at once with 2048x2048 PNGs, or
// with bodies of nearly MaxBody, peak at about 350 MB of resident memory
// for the whole process (TestServeMemory; 6 GB before these bounds). Once
// the handler has decoded 64 MiB of pictures and then been idle for half
// a second, it returns the memory to the system (debug.FreeOSMemory),
// which the Go runtime would otherwise keep for minutes.
//
// A token. With Options.Token set, the page and the API need it, as the
// header "Authorization: Bearer TOKEN" or the query ?token=TOKEN (the page
// opened as /?token=TOKEN passes it to its own requests in the header);
// the static assets (style, script, icon) do not. It is compared in
// constant time. Without it the answer is 401 with WWW-Authenticate:
// Bearer, as JSON {"error": "..."} for the API ("unauthorized: this server
// needs its token: ...", or "unauthorized: wrong token") and as plain text
// for the page.
package serve

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"image"
	"image/color"
	_ "image/jpeg" // the API takes JPEG pictures as well as PNG
	_ "image/png"
	"io"
	"io/fs"
	"log"
	"math"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/convnet/convnet/datasets"
	"github.com/convnet/convnet/datasets/mnist"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// The page and its assets, embedded so that a program needs no files and
// the page fetches nothing from elsewhere.
//
//go:embed web
var webFiles embed.FS

const (
	// DefaultCheckpoint is what `convnet train` writes by default, and
	// what the handler serves, from the current folder, when
	// Options.Checkpoint is empty.
	DefaultCheckpoint = "lenet5.safetensors"
	// MaxBody bounds a request body (a 280x280 PNG of a drawing is a few
	// KiB).
	MaxBody = 2 << 20
	// MaxDecodeBytes bounds the memory of the pictures that are decoded at
	// once, as estimated from their headers (see the package doc): a
	// request whose picture does not fit waits its turn.
	MaxDecodeBytes = 128 << 20
	// returnAfter is how many bytes of pictures, decoded since memory was
	// last returned to the system, make the handler return it once idle
	// for idleDelay.
	returnAfter = 64 << 20
	idleDelay   = 500 * time.Millisecond
	// BusyWait is how long a prediction waits for its turn (a slot of
	// Options.MaxInFlight, then room in MaxDecodeBytes) before the answer
	// is 503 with Retry-After: 1.
	BusyWait = time.Second
	// featureLayers is how many convolutions' outputs a prediction returns.
	featureLayers = 3
)

// Options says what a handler serves.
type Options struct {
	// Checkpoint is the safetensors file of a model trained on MNIST
	// (convnet train --dataset mnist). If empty, DefaultCheckpoint in the
	// current folder is served once it exists: until then the page and
	// the API say how to train one. A checkpoint that is given must load.
	// Either way the file is read again when it changes, and a version
	// that does not load keeps the model loaded before.
	Checkpoint string
	// Model names the file's model, for a checkpoint whose metadata names
	// none (see models.LoadCheckpoint); empty: the one it names.
	Model string
	// Token, if not empty, is required of the page and the API: as the
	// header "Authorization: Bearer Token" or the query ?token=Token.
	Token string
	// Log, if not nil, receives a line for each version of the checkpoint
	// that loads after the handler started, and for each that does not
	// (the model loaded before stays).
	Log *log.Logger
	// MaxInFlight bounds the predictions handled at once, from reading
	// the body to writing the answer; 0 means DefaultMaxInFlight(). The
	// others wait up to BusyWait, then are answered 503.
	MaxInFlight int
	// Precision is the arithmetic of the model's convolutions and linear
	// layers (see tensor.Precision): tensor.Float32 by default.
	Precision tensor.Precision
}

// DefaultMaxInFlight is the bound of the predictions handled at once
// when Options.MaxInFlight is 0: 2×GOMAXPROCS, at most 32 (each holds up
// to MaxBody of its body and its picture's bytes, about 3.5 MiB).
func DefaultMaxInFlight() int { return min(2*runtime.GOMAXPROCS(0), 32) }

// Handler serves the page, its assets and the API with one model. It is
// safe for concurrent use.
type Handler struct {
	// path is the checkpoint's absolute path, shown as it was given;
	// fallback says it is the default one, which may be missing.
	path, shown, modelName string
	fallback               bool
	precision              tensor.Precision

	// state is the model served now; reload serializes loading a new one
	// (requests never wait for it: they use the state they find).
	state  atomic.Pointer[state]
	reload sync.Mutex
	log    *log.Logger

	// token is the SHA-256 of Options.Token, when there is one.
	token    [sha256.Size]byte
	hasToken bool

	// slots bound the predictions in flight, decoding the memory of the
	// pictures decoded at once; busyWait is BusyWait but in tests.
	slots    chan struct{}
	decoding budget
	busyWait time.Duration
	// decodeHook, if set (by tests), is called with a picture's share of
	// MaxDecodeBytes when its decoding starts, and with its negative when
	// it ends.
	decodeHook func(cost int64)
	// decoded counts the bytes of pictures decoded since memory was last
	// returned to the system; returning says a return is scheduled.
	decoded   atomic.Int64
	returning atomic.Bool

	page *template.Template
	mux  http.Handler
}

// state is a loaded model, or why there is none, and the file it came
// from.
type state struct {
	model   *served // nil until a checkpoint is loaded
	missing string  // why there is no model, when model is nil
	// failed says why the file's current version could not be loaded;
	// empty once a version loads.
	failed string
	stamp  fileStamp
}

// fileStamp tells whether a checkpoint file has changed.
type fileStamp struct {
	mod  time.Time
	size int64
}

// served is a loaded checkpoint with what the page shows of it.
type served struct {
	ck   *models.Checkpoint
	pipe datasets.Pipeline
	// convs are the first featureLayers Conv2d leaves, whose outputs a
	// prediction returns (through forward hooks registered once, at
	// load), and layers their output shapes for one image.
	convs  []nn.Child
	layers []layerInfo
	// arenas recycle the storage of predictions (a few KiB each for
	// LeNet-5).
	arenas sync.Pool
}

// NewHandler returns a handler that serves the checkpoint o names. It
// fails if a checkpoint that o names cannot be loaded, or holds a model
// that was not trained on MNIST.
func NewHandler(o Options) (*Handler, error) {
	h := &Handler{path: o.Checkpoint, shown: o.Checkpoint, modelName: o.Model, log: o.Log, busyWait: BusyWait, precision: o.Precision}
	if h.path == "" {
		h.path, h.shown, h.fallback = DefaultCheckpoint, DefaultCheckpoint, true
	}
	if abs, err := filepath.Abs(h.path); err == nil {
		h.path = abs
	}
	if o.Token != "" {
		h.token, h.hasToken = sha256.Sum256([]byte(o.Token)), true
	}
	n := o.MaxInFlight
	if n <= 0 {
		n = DefaultMaxInFlight()
	}
	h.slots = make(chan struct{}, n)
	h.decoding = budget{max: MaxDecodeBytes, freed: make(chan struct{})}
	page, err := template.ParseFS(webFiles, "web/index.html")
	if err != nil {
		return nil, err
	}
	h.page = page
	static, err := fs.Sub(webFiles, "web/static")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", h.handleIndex)
	mux.Handle("/static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("/api/predict", h.handlePredict)
	mux.HandleFunc("/api/info", h.handleInfo)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		jsonError(w, http.StatusNotFound, "no such API: "+r.URL.Path+" (there are POST api/predict and GET api/info)")
	})
	h.mux = secure(h.authorize(mux))

	h.state.Store(&state{})
	if !h.fallback {
		st, err := os.Stat(o.Checkpoint)
		if err != nil {
			return nil, fmt.Errorf("checkpoint: %s", pathError(err))
		}
		m, err := load(o.Checkpoint, o.Model)
		if err != nil {
			return nil, err
		}
		h.state.Store(&state{model: m, stamp: fileStamp{st.ModTime(), st.Size()}})
		return h, nil
	}
	h.current()
	return h, nil
}

// ServeHTTP answers GET / (the page), GET /static/... (its assets), POST
// /api/predict and GET /api/info.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Status describes what the handler serves in one line, loading the
// checkpoint again if it has changed: with ready, the model, its file and
// its training ("lenet5 from lenet5.safetensors (3 epochs, test accuracy
// 0.9853)"); without, why there is no model and how to train one.
func (h *Handler) Status() (line string, ready bool) {
	s := h.current()
	if s.model == nil {
		return s.missing + ". " + h.howToTrain(), false
	}
	return h.describe(s.model), true
}

// load loads a checkpoint and checks that it is a model of pictures (its
// data set makes pictures its input) that answers a blank image with
// finite numbers, registers the hooks that
// collect its feature maps, and learns their shapes. A model that load
// returns is whole: whatever goes wrong is an error, a panic included.
func load(path, modelName string) (m *served, err error) {
	defer func() {
		if v := recover(); v != nil {
			m, err = nil, fmt.Errorf("checkpoint %s: loading it failed: %v", path, v)
		}
	}()
	ck, err := models.LoadCheckpoint(path, modelName)
	if err != nil {
		if !strings.Contains(err.Error(), path) {
			err = fmt.Errorf("checkpoint %s: %w", path, err)
		}
		return nil, err
	}
	pipe, err := datasets.ForCheckpoint(ck)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if pipe.Source.FromImage == nil {
		return nil, fmt.Errorf("checkpoint %s holds a %s model trained on %s, which has no way to make a picture its input",
			path, ck.Spec.Name, pipe.Dataset())
	}
	m = &served{ck: ck, pipe: pipe}
	m.arenas.New = func() any { return tensor.NewArena() }
	for _, c := range leaves(ck.Model) {
		if _, ok := c.Module.(*nn.Conv2d); ok && len(m.convs) < featureLayers {
			i := len(m.convs)
			m.convs = append(m.convs, c)
			// A hook sees every Call, from every goroutine: it keeps the
			// output of the prediction whose scope carries its collector.
			c.Module.ModuleBase().RegisterForwardHook(func(_ nn.Module, out *tensor.Tensor) {
				if f, ok := out.Scope().Context().Value(collectorKey{}).(*collector); ok && f.maps[i] == nil {
					f.maps[i] = out.Clone()
				}
			})
		}
	}
	ck.Model.ModuleBase().Eval()
	// The served model never trains: its convolutions keep their packed
	// weights from the first prediction on.
	nn.CacheWeights(ck.Model)
	res := m.infer(context.Background(), make([]float32, tensor.Numel(pipe.Input.Shape())), tensor.Float32)
	if what := res.nonFinite(); what != "" {
		return nil, fmt.Errorf("checkpoint %s: the model answers a blank image with %s: its weights are unusable (they overflow; did the training diverge?)", path, what)
	}
	for _, f := range res.FeatureMaps {
		m.layers = append(m.layers, layerInfo{f.Name, f.Shape})
	}
	return m, nil
}

// nonFinite says where an answer holds a NaN or an infinity, or "".
func (r predictResponse) nonFinite() string {
	find := func(what string, v []float32) string {
		for i, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Sprintf("%v in %s[%d]", x, what, i)
			}
		}
		return ""
	}
	if s := find("probabilities", r.Probabilities); s != "" {
		return s
	}
	for _, f := range r.FeatureMaps {
		if s := find(f.Name, f.Data); s != "" {
			return s
		}
	}
	return ""
}

// current returns the state, loading the checkpoint again if it has
// appeared or changed since it was last loaded or tried, unless another
// goroutine is loading it (requests never wait for a reload). A model that
// is loaded stays if its file goes away or its new version cannot be read.
func (h *Handler) current() *state {
	cur := h.state.Load()
	st, err := os.Stat(h.path)
	if err == nil && (fileStamp{st.ModTime(), st.Size()}) == cur.stamp {
		return cur
	}
	if err != nil && cur.model != nil {
		return cur
	}
	if !h.reload.TryLock() {
		return cur // another request is loading it: use the model there is
	}
	defer h.reload.Unlock()
	cur = h.state.Load()
	next := *cur
	var logLine string // said once the new state is stored
	if st, err = os.Stat(h.path); err != nil {
		if cur.model == nil {
			next.missing = fmt.Sprintf("there is no %s in %s", filepath.Base(h.path), filepath.Dir(h.path))
			next.failed = ""
		}
	} else if stamp := (fileStamp{st.ModTime(), st.Size()}); stamp != cur.stamp {
		next.stamp = stamp
		name := filepath.Base(h.path)
		modified := st.ModTime().Format("2006-01-02 15:04:05 MST")
		m, err := load(h.path, h.modelName)
		if err == nil && cur.model != nil && m.pipe.Dataset() != cur.model.pipe.Dataset() {
			// The page was made for the data set of the model served
			// (a drawing pad for digits, an upload box for pictures).
			err = fmt.Errorf("it holds a %s model trained on %s, and the page serves one of %s: restart convnet serve to serve it",
				m.ck.Spec.Name, m.pipe.Dataset(), dataName(cur.model.pipe.Dataset()))
		}
		if err != nil {
			problem := oneLine(strings.ReplaceAll(err.Error(), h.path, name))
			if cur.model == nil {
				next.missing = fmt.Sprintf("%s could not be loaded: %s", name, problem)
				next.failed = fmt.Sprintf("could not load %s (modified %s): %s", name, modified, problem)
			} else {
				next.failed = fmt.Sprintf("could not reload %s (modified %s): %s; still serving the version loaded before", name, modified, problem)
			}
			logLine = next.failed
		} else {
			verb := "loaded"
			if cur.model != nil {
				verb = "reloaded"
			}
			next.model, next.missing, next.failed = m, "", ""
			logLine = fmt.Sprintf("%s %s (modified %s)", verb, h.describe(m), modified)
		}
	}
	if next == *cur {
		return cur
	}
	h.state.Store(&next)
	if logLine != "" && h.log != nil {
		h.log.Print(logLine)
	}
	return &next
}

// howToTrain follows the reason why there is no model, in the API's
// answers and Status.
func (h *Handler) howToTrain() string {
	return fmt.Sprintf("Train one with `convnet train` in %s (LeNet-5 on MNIST, a minute or two; it writes %s "+
		"after every epoch), then reload the page; or start `convnet serve --checkpoint FILE`.",
		filepath.Dir(h.path), DefaultCheckpoint)
}

// describe is one line about the model: name, file, training.
func (h *Handler) describe(m *served) string {
	d := fmt.Sprintf("%s from %s", m.ck.Spec.Name, h.shown)
	var extra []string
	if e, err := strconv.Atoi(m.ck.Metadata["epoch"]); err == nil {
		if e == 0 {
			extra = append(extra, "1 epoch")
		} else {
			extra = append(extra, fmt.Sprintf("%d epochs", e+1))
		}
	}
	if a := m.ck.Metadata["test_accuracy"]; a != "" {
		extra = append(extra, "test accuracy "+a)
	}
	if len(extra) > 0 {
		d += " (" + strings.Join(extra, ", ") + ")"
	}
	return d
}

// secure adds headers that keep the page to its own assets, and turns a
// panic in a handler into a 500 with a JSON message instead of a dropped
// connection.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				jsonError(w, http.StatusInternalServerError, fmt.Sprintf("internal error: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// authorize lets through the requests that carry the token, when there is
// one, and those for the static assets, which hold nothing of the model.
func (h *Handler) authorize(next http.Handler) http.Handler {
	if !h.hasToken {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/static/") {
			next.ServeHTTP(w, r)
			return
		}
		given, found := "", false
		if a := r.Header.Get("Authorization"); a != "" {
			scheme, t, ok := strings.Cut(a, " ")
			if ok && strings.EqualFold(scheme, "Bearer") {
				given, found = strings.TrimSpace(t), true
			}
		}
		if !found && r.URL.Query().Has("token") {
			given, found = r.URL.Query().Get("token"), true
		}
		if found {
			sum := sha256.Sum256([]byte(given))
			if subtle.ConstantTimeCompare(sum[:], h.token[:]) == 1 {
				next.ServeHTTP(w, r)
				return
			}
		}
		msg := "unauthorized: this server needs its token: send the header \"Authorization: Bearer TOKEN\", " +
			"or open the page as /?token=TOKEN (the token given to convnet serve --token)"
		if found {
			msg = "unauthorized: wrong token"
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="convnet serve"`)
		if strings.HasPrefix(r.URL.Path, "/api/") {
			jsonError(w, http.StatusUnauthorized, msg)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, msg+"\n")
	})
}

// pageData fills web/index.html.
type pageData struct {
	Ready      bool
	Missing    string // why there is no model
	Failed     string // why the checkpoint's current version is not served
	Dir        string // where `convnet train` should run
	Model      string
	Checkpoint string
	Epochs     string
	Accuracy   string
	InputSide  int
	Layers     []layerInfo
	// Digits says the model reads MNIST's digits, which the page lets
	// one draw; other models get an upload box. Classes names the
	// classes, as a JSON list for the page's script.
	Digits  bool
	Classes string
}

type layerInfo struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"` // of one image's output: C×H×W
}

func (h *Handler) handleIndex(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed: use GET", http.StatusMethodNotAllowed)
		return
	}
	s := h.current()
	d := pageData{Missing: s.missing, Dir: filepath.Dir(h.path)}
	if m := s.model; m != nil {
		d.Ready = true
		d.Failed = s.failed
		d.Model = m.ck.Spec.Name
		d.Checkpoint = filepath.Base(h.path)
		if e, err := strconv.Atoi(m.ck.Metadata["epoch"]); err == nil {
			d.Epochs = strconv.Itoa(e + 1)
		}
		d.Accuracy = m.ck.Metadata["test_accuracy"]
		d.InputSide = m.pipe.Input.Size
		d.Layers = m.layers
		d.Digits = m.pipe.Dataset() == "mnist"
		names, _ := json.Marshal(m.pipe.ClassNames(""))
		d.Classes = string(names)
	}
	var b bytes.Buffer
	if err := h.page.Execute(&b, d); err != nil {
		http.Error(w, "rendering the page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b.Bytes())
}

// infoResponse is GET /api/info.
type infoResponse struct {
	Ready bool   `json:"ready"`
	Error string `json:"error,omitempty"`
	// ReloadError says why the checkpoint's current version is not the
	// one served; empty once a version loads.
	ReloadError  string      `json:"reload_error,omitempty"`
	Model        string      `json:"model,omitempty"`
	Checkpoint   string      `json:"checkpoint,omitempty"` // the file's name, without its folder
	Metadata     any         `json:"metadata,omitempty"`
	InputShape   []int       `json:"input_shape,omitempty"`
	Classes      int         `json:"classes,omitempty"`
	FeatureMaps  []layerInfo `json:"feature_maps,omitempty"`
	PixelsLength int         `json:"pixels_length,omitempty"`
}

func (h *Handler) handleInfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		jsonError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: use GET")
		return
	}
	s := h.current()
	m := s.model
	if m == nil {
		writeJSON(w, http.StatusOK, infoResponse{Error: "no model loaded: " + s.missing + ". " + h.howToTrain(), ReloadError: s.failed})
		return
	}
	writeJSON(w, http.StatusOK, infoResponse{
		Ready:        true,
		ReloadError:  s.failed,
		Model:        m.ck.Spec.Name,
		Checkpoint:   filepath.Base(h.path),
		Metadata:     m.ck.Metadata,
		InputShape:   m.pipe.Input.Shape(),
		Classes:      m.pipe.Input.Classes,
		FeatureMaps:  m.layers,
		PixelsLength: mnist.Side * mnist.Side,
	})
}

// predictRequest is the body of POST /api/predict: exactly one of Image
// and Pixels.
type predictRequest struct {
	// Image is a PNG or JPEG picture as a data URL
	// ("data:image/png;base64,...") or bare base64, of at most
	// mnist.MaxImageSide pixels a side, light on dark or dark on light; it
	// is made into an MNIST-style digit (centred by mass in a 20x20 box
	// inside 28x28) as `convnet predict` does.
	Image *imageField `json:"image"`
	// Pixels is a 28x28 MNIST image, row-major, values in [0, 1], white
	// ink (1) on black (0): used as it is.
	Pixels *[]float64 `json:"pixels"`
}

// featureMap is one convolution's output for the image.
type featureMap struct {
	Name  string    `json:"name"`
	Shape []int     `json:"shape"` // C×H×W
	Data  []float32 `json:"data"`  // row-major
}

// predictResponse is the answer of POST /api/predict.
type predictResponse struct {
	// Input is what the model received, InputShape its C×H×W shape.
	Input      []float32 `json:"input"`
	InputShape []int     `json:"input_shape"`
	// Picture is the input as a picture, values in [0, 1]: Input with
	// the data set's normalisation undone (as Input where there is none).
	Picture       []float32    `json:"picture"`
	Probabilities []float32    `json:"probabilities"`
	Prediction    int          `json:"prediction"`
	Blank         bool         `json:"blank"` // no ink was found in the picture
	FeatureMaps   []featureMap `json:"feature_maps"`
}

// errBusy is the answer when a prediction waited BusyWait for its turn.
type errBusy string

func (e errBusy) Error() string { return string(e) }

func (h *Handler) handlePredict(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		jsonError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: use POST with a JSON body "+
			`{"image": "data:image/png;base64,..."} or {"pixels": [784 numbers]}`)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		jsonError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return
	}
	// The turn of this prediction: from reading its body to writing its
	// answer, so that the memory of the requests in flight is bounded.
	waitCtx, cancel := context.WithTimeout(r.Context(), h.busyWait)
	defer cancel()
	select {
	case h.slots <- struct{}{}:
		defer func() {
			<-h.slots
			h.returnMemory()
		}()
	case <-waitCtx.Done():
		taken := fmt.Sprintf("all %d prediction slots are", cap(h.slots))
		if cap(h.slots) == 1 {
			taken = "the one prediction slot is"
		}
		busy(w, errBusy("busy: "+taken+" in use; try again in a second"))
		return
	}
	body, err := readBody(http.MaxBytesReader(w, r.Body, MaxBody), r.ContentLength)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			jsonError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", MaxBody))
			return
		}
		jsonError(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	var req predictRequest
	if err := decodeRequest(body, &req); err != nil {
		jsonError(w, http.StatusBadRequest, "bad JSON: "+err.Error())
		return
	}
	s := h.current()
	if s.model == nil {
		jsonError(w, http.StatusServiceUnavailable, "no model loaded: "+s.missing+". "+h.howToTrain())
		return
	}
	input, err := h.requestInput(waitCtx, s.model.pipe, req)
	if err != nil {
		var b errBusy
		if errors.As(err, &b) {
			busy(w, b)
			return
		}
		jsonError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.model.infer(r.Context(), input, h.precision))
}

// returnMemory returns the memory of decoded pictures to the system once
// the handler has been idle for idleDelay after decoding returnAfter bytes
// of them: the Go runtime would keep it until its next collection, which
// an idle server does not need for minutes.
func (h *Handler) returnMemory() {
	if len(h.slots) > 0 || h.decoded.Load() < returnAfter || !h.returning.CompareAndSwap(false, true) {
		return
	}
	time.AfterFunc(idleDelay, func() {
		defer h.returning.Store(false)
		if len(h.slots) == 0 {
			h.decoded.Store(0)
			debug.FreeOSMemory()
		}
	})
}

// busy answers 503 with Retry-After: 1.
func busy(w http.ResponseWriter, err errBusy) {
	w.Header().Set("Retry-After", "1")
	jsonError(w, http.StatusServiceUnavailable, err.Error())
}

// requestInput makes the model's input from a request. A picture waits,
// until ctx is done, for room in MaxDecodeBytes.
func (h *Handler) requestInput(ctx context.Context, pipe datasets.Pipeline, req predictRequest) ([]float32, error) {
	switch {
	case req.Image != nil && req.Pixels != nil:
		return nil, errors.New(`give "image" or "pixels", not both`)
	case req.Image != nil:
		raw, err := req.Image.raw, req.Image.err
		if err != nil {
			return nil, err
		}
		req.Image.raw = nil
		cfg, format, err := imageConfig(raw)
		if err != nil {
			return nil, err
		}
		cost := decodeCost(cfg, format, raw)
		if !h.decoding.acquire(ctx, cost) {
			return nil, errBusy(fmt.Sprintf("busy: the pictures being decoded take %d of the %d MiB allowed at once, and this %dx%d %s needs %d MiB; try again in a second",
				h.decoding.inUse()>>20, MaxDecodeBytes>>20, cfg.Width, cfg.Height, strings.ToUpper(format), (cost+1<<20-1)>>20))
		}
		defer h.decoding.release(cost)
		if h.decodeHook != nil {
			h.decodeHook(cost)
			defer h.decodeHook(-cost)
		}
		h.decoded.Add(cost)
		var img image.Image
		if pipe.Source.Decode != nil {
			img, err = pipe.Source.Decode(bytes.NewReader(raw))
		} else {
			img, _, err = image.Decode(bytes.NewReader(raw))
		}
		if err != nil {
			return nil, fmt.Errorf("image: bad %s: %v", format, err)
		}
		return pipe.ImageInput(img), nil
	case req.Pixels != nil:
		if pipe.Dataset() != "mnist" {
			return nil, fmt.Errorf(`"pixels" are MNIST's 784 values; this model reads %s pictures: send "image"`, pipe.Dataset())
		}
		px := *req.Pixels
		const n = mnist.Side * mnist.Side
		if len(px) != n {
			return nil, fmt.Errorf("pixels: got %d values, want %d (a %dx%d image, row-major)", len(px), n, mnist.Side, mnist.Side)
		}
		x := make([]float32, n)
		for i, v := range px {
			if !(v >= 0 && v <= 1) {
				return nil, fmt.Errorf("pixels[%d] = %v is not in [0, 1]", i, v)
			}
			x[i] = float32(v)
		}
		return pipe.Prepare(x), nil
	}
	return nil, errors.New(`missing "image" (a data:image/png;base64,... URL) or "pixels" (784 numbers)`)
}

// readBody reads a request body whole, into one buffer of its announced
// length when it has one (a body is read before its JSON is parsed, so
// that a picture's bytes are not copied more than once; see
// imageField).
func readBody(r io.Reader, length int64) ([]byte, error) {
	n := 512
	if length > 0 {
		n = int(min(length, MaxBody)) + 1 // + 1: room to read the end
	}
	b := make([]byte, 0, n)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		m, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+m]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// decodeRequest parses a body as encoding/json does with
// DisallowUnknownFields, without copying the picture's text.
func decodeRequest(body []byte, req *predictRequest) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errors.New("empty body")
	}
	var fields map[string]skipField
	if err := json.Unmarshal(body, &fields); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) && strings.Contains(err.Error(), "after top-level value") {
			return errors.New("more data after the JSON object")
		}
		if errors.As(err, new(*json.UnmarshalTypeError)) {
			return errors.New(`the body is not a JSON object {"image": ...} or {"pixels": [...]}`)
		}
		return err
	}
	for name := range fields {
		if !strings.EqualFold(name, "image") && !strings.EqualFold(name, "pixels") {
			return fmt.Errorf("json: unknown field %q", name)
		}
	}
	return json.Unmarshal(body, req)
}

// skipField is any JSON value, not decoded.
type skipField struct{}

func (*skipField) UnmarshalJSON([]byte) error { return nil }

// imageField is the "image" of a request, decoded from base64 straight
// from the body's bytes; raw holds the picture's bytes, or err why there
// are none.
type imageField struct {
	raw []byte
	err error
}

func (f *imageField) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' {
		return errors.New(`"image" must be a string: a data URL "data:image/png;base64,..." or base64`)
	}
	s := b[1 : len(b)-1]
	if bytes.IndexByte(s, '\\') >= 0 { // escapes (such as \/): unquote first
		var text string
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
		s = []byte(text)
	}
	f.raw, f.err = dataURLBytes(s)
	return nil
}

// dataURLBytes decodes a data URL or bare base64.
func dataURLBytes(s []byte) ([]byte, error) {
	s = bytes.TrimSpace(s)
	if len(s) == 0 {
		return nil, errors.New("image: empty")
	}
	if rest, ok := bytes.CutPrefix(s, []byte("data:")); ok {
		header, payload, found := bytes.Cut(rest, []byte(","))
		if !found {
			return nil, errors.New("image: a data URL needs a comma before its data")
		}
		if !bytes.HasSuffix(header, []byte(";base64")) {
			return nil, errors.New("image: the data URL is not base64 (want data:image/png;base64,...)")
		}
		s = payload
	}
	if len(s) == 0 {
		return nil, errors.New("image: empty")
	}
	raw := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(raw, s)
	if err != nil {
		return nil, fmt.Errorf("image: bad base64: %v", err)
	}
	return raw[:n], nil
}

// imageConfig reads a picture's header and refuses, before any pixel is
// decoded, one that is empty or has a side over mnist.MaxImageSide.
func imageConfig(raw []byte) (image.Config, string, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return cfg, format, fmt.Errorf("image: not a PNG or JPEG picture (%v)", err)
	}
	if cfg.Width < 1 || cfg.Height < 1 {
		return cfg, format, fmt.Errorf("image: empty %s (%dx%d)", format, cfg.Width, cfg.Height)
	}
	const side = mnist.MaxImageSide
	if cfg.Width > side || cfg.Height > side {
		return cfg, format, fmt.Errorf("image: %dx%d is too large (at most %dx%d)", cfg.Width, cfg.Height, side, side)
	}
	return cfg, format, nil
}

// decodeCost estimates the bytes that decoding a picture and making it an
// MNIST digit hold at once: the decoded pixels (twice for an interlaced
// PNG, whose passes are decoded apart; with the coefficients of a
// progressive JPEG, which the header does not tell) and the grey copy of
// float32 that mnist.FromImage makes.
func decodeCost(cfg image.Config, format string, raw []byte) int64 {
	var bpp int64 // bytes per pixel, decoded
	switch cfg.ColorModel {
	case color.GrayModel:
		bpp = 1
	case color.Gray16Model:
		bpp = 2
	case color.YCbCrModel:
		bpp = 3
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel:
		bpp = 4
	default:
		bpp = 8
		if _, ok := cfg.ColorModel.(color.Palette); ok {
			bpp = 1
		}
	}
	switch format {
	case "png":
		// The interlace method is the last byte of IHDR: 8 bytes of
		// signature, 8 of the chunk's length and type, 12 before it.
		if len(raw) > 28 && raw[28] != 0 {
			bpp *= 2
		}
	case "jpeg":
		// Each component of a progressive JPEG keeps an int32 per pixel.
		bpp += 4 * min(bpp, 4)
	}
	return int64(cfg.Width) * int64(cfg.Height) * (bpp + 4)
}

// budget is a semaphore of bytes: acquire takes n of them, waiting for
// their release while they are not free.
type budget struct {
	mu    sync.Mutex
	used  int64
	max   int64
	freed chan struct{} // closed, and replaced, when bytes are released
}

// acquire takes n bytes (at most all of them) and reports true, or
// reports false once ctx is done.
func (b *budget) acquire(ctx context.Context, n int64) bool {
	n = min(n, b.max)
	for {
		b.mu.Lock()
		if b.used+n <= b.max {
			b.used += n
			b.mu.Unlock()
			return true
		}
		freed := b.freed
		b.mu.Unlock()
		select {
		case <-freed:
		case <-ctx.Done():
			return false
		}
	}
}

func (b *budget) release(n int64) {
	n = min(n, b.max)
	b.mu.Lock()
	b.used -= n
	close(b.freed)
	b.freed = make(chan struct{})
	b.mu.Unlock()
}

func (b *budget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// collector receives the feature maps of one prediction from the hooks
// (see load), through the context of the prediction's scope.
type collector struct{ maps []*tensor.Tensor }

type collectorKey struct{}

// infer runs one input through the model without gradients and returns
// the probabilities and the first convolutions' outputs. Any number of
// calls may run at once: each computes in a scope of its own, with an
// arena of its own, in precision prec.
func (m *served) infer(ctx context.Context, input []float32, prec tensor.Precision) predictResponse {
	arena := m.arenas.Get().(*tensor.Arena)
	defer m.arenas.Put(arena)
	arena.Reset()
	f := &collector{maps: make([]*tensor.Tensor, len(m.convs))}
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Arena: arena, Context: context.WithValue(ctx, collectorKey{}, f), Precision: prec})
	shape := m.pipe.Input.Shape()
	x := s.New(input, append([]int{1}, shape...)...)
	// The arena's storage is handed out again after this call: copy out.
	probs := slices.Clone(tensor.Softmax(m.ck.Model.ModuleBase().Call(x), 1).Data())
	res := predictResponse{
		Input:         input,
		InputShape:    shape,
		Picture:       m.pipe.Unnormalize(input),
		Probabilities: probs,
		Blank:         datasets.Blank(input),
		FeatureMaps:   []featureMap{},
	}
	for i, p := range probs {
		if p > probs[res.Prediction] {
			res.Prediction = i
		}
	}
	for i, t := range f.maps {
		if t == nil {
			continue
		}
		res.FeatureMaps = append(res.FeatureMaps, featureMap{Name: m.convs[i].Name, Shape: t.Shape()[1:], Data: t.Data()})
	}
	return res
}

// writeJSON writes v as the JSON body; a value that cannot be encoded
// (a NaN from a broken checkpoint) is a 500 with a message.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b, _ = json.Marshal(map[string]string{"error": "encoding the answer: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// jsonError answers {"error": msg}.
func jsonError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// leaves returns the named modules that have no children, in registration
// order.
func leaves(m nn.Module) []nn.Child {
	var out []nn.Child
	for _, c := range m.ModuleBase().NamedModules() {
		if len(c.Module.ModuleBase().Children()) == 0 {
			out = append(out, c)
		}
	}
	return out
}

// oneLine joins the lines of a message.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(strings.TrimSpace(s), "\n", " ")), " ")
}

// pathError shortens an *os.PathError to "path: problem".
func pathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}

// dataName names a data set for people: MNIST's digits by their name.
func dataName(dataset string) string {
	if dataset == "mnist" {
		return "MNIST digits"
	}
	return dataset
}
