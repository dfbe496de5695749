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
// Requests run the model at once, from as many goroutines as the server
// gives them, without a lock: each prediction computes in its own
// tensor.Scope. The page and its assets are embedded and fetch nothing from
// elsewhere; their links are relative, so the handler may be mounted under
// a prefix with http.StripPrefix.
package serve

import (
	"bytes"
	"context"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"image"
	_ "image/jpeg" // the API takes JPEG pictures as well as PNG
	_ "image/png"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
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
	// featureLayers is how many convolutions' outputs a prediction returns.
	featureLayers = 3
)

// Options says what a handler serves.
type Options struct {
	// Checkpoint is the safetensors file of a model trained on MNIST
	// (convnet train --dataset mnist). If empty, DefaultCheckpoint in the
	// current folder is served once it exists: until then the page and
	// the API say how to train one. A checkpoint that is given must load.
	// Either way the file is read again when it changes.
	Checkpoint string
	// Model names the file's model, for a checkpoint whose metadata names
	// none (see models.LoadCheckpoint); empty: the one it names.
	Model string
}

// Handler serves the page, its assets and the API with one model. It is
// safe for concurrent use.
type Handler struct {
	// path is the checkpoint's absolute path, shown as it was given;
	// fallback says it is the default one, which may be missing.
	path, shown, modelName string
	fallback               bool

	// state is the model served now; reload serializes loading a new one
	// (requests never wait for it: they use the state they find).
	state  atomic.Pointer[state]
	reload sync.Mutex

	page *template.Template
	mux  http.Handler
}

// state is a loaded model, or why there is none, and the file it came
// from.
type state struct {
	model   *served // nil until a checkpoint is loaded
	missing string  // why there is no model, when model is nil
	stamp   fileStamp
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
	// arenas recycle the storage of predictions.
	arenas sync.Pool
}

// NewHandler returns a handler that serves the checkpoint o names. It
// fails if a checkpoint that o names cannot be loaded, or holds a model
// that was not trained on MNIST.
func NewHandler(o Options) (*Handler, error) {
	h := &Handler{path: o.Checkpoint, shown: o.Checkpoint, modelName: o.Model}
	if h.path == "" {
		h.path, h.shown, h.fallback = DefaultCheckpoint, DefaultCheckpoint, true
	}
	if abs, err := filepath.Abs(h.path); err == nil {
		h.path = abs
	}
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
	h.mux = secure(mux)

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

// load loads a checkpoint and checks that it is an MNIST model, registers
// the hooks that collect its feature maps, and learns their shapes.
func load(path, modelName string) (*served, error) {
	ck, err := models.LoadCheckpoint(path, modelName)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	pipe, err := datasets.FromMetadata(ck.Spec, ck.Metadata)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if pipe.Dataset() != "mnist" {
		return nil, fmt.Errorf("checkpoint %s holds a %s model trained on %s: serving needs one trained on MNIST digits (convnet train --dataset mnist)",
			path, ck.Spec.Name, pipe.Dataset())
	}
	m := &served{ck: ck, pipe: pipe}
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
	res := m.infer(context.Background(), make([]float32, product(pipe.Input.Shape())))
	for _, f := range res.FeatureMaps {
		m.layers = append(m.layers, layerInfo{f.Name, f.Shape})
	}
	return m, nil
}

// current returns the state, loading the checkpoint again if it has
// appeared or changed since it was last loaded or tried. A model that is
// loaded stays if its file goes away or its new version cannot be read.
func (h *Handler) current() *state {
	cur := h.state.Load()
	st, err := os.Stat(h.path)
	if err == nil && (fileStamp{st.ModTime(), st.Size()}) == cur.stamp {
		return cur
	}
	if err != nil && cur.model != nil {
		return cur
	}
	h.reload.Lock()
	defer h.reload.Unlock()
	cur = h.state.Load()
	next := *cur
	if st, err = os.Stat(h.path); err != nil {
		if cur.model == nil {
			next.missing = fmt.Sprintf("there is no %s in %s", filepath.Base(h.path), filepath.Dir(h.path))
		}
	} else if stamp := (fileStamp{st.ModTime(), st.Size()}); stamp != cur.stamp {
		next.stamp = stamp
		if m, err := load(h.path, h.modelName); err != nil {
			if cur.model == nil {
				next.missing = fmt.Sprintf("%s could not be loaded: %s", h.path, oneLine(err.Error()))
			}
		} else {
			next.model, next.missing = m, ""
		}
	}
	if next != *cur {
		h.state.Store(&next)
		return &next
	}
	return cur
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

// pageData fills web/index.html.
type pageData struct {
	Ready      bool
	Missing    string // why there is no model
	Dir        string // where `convnet train` should run
	Model      string
	Checkpoint string
	Epochs     string
	Accuracy   string
	InputSide  int
	Layers     []layerInfo
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
		d.Model = m.ck.Spec.Name
		d.Checkpoint = h.shown
		if e, err := strconv.Atoi(m.ck.Metadata["epoch"]); err == nil {
			d.Epochs = strconv.Itoa(e + 1)
		}
		d.Accuracy = m.ck.Metadata["test_accuracy"]
		d.InputSide = m.pipe.Input.Size
		d.Layers = m.layers
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
	Ready        bool        `json:"ready"`
	Error        string      `json:"error,omitempty"`
	Model        string      `json:"model,omitempty"`
	Checkpoint   string      `json:"checkpoint,omitempty"`
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
		writeJSON(w, http.StatusOK, infoResponse{Error: "no model loaded: " + s.missing + ". " + h.howToTrain()})
		return
	}
	writeJSON(w, http.StatusOK, infoResponse{
		Ready:        true,
		Model:        m.ck.Spec.Name,
		Checkpoint:   h.path,
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
	// ("data:image/png;base64,...") or bare base64, of any size, light on
	// dark or dark on light; it is made into an MNIST-style digit (centred
	// by mass in a 20x20 box inside 28x28) as `convnet predict` does.
	Image *string `json:"image"`
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
	Input         []float32    `json:"input"`
	InputShape    []int        `json:"input_shape"`
	Probabilities []float32    `json:"probabilities"`
	Prediction    int          `json:"prediction"`
	Blank         bool         `json:"blank"` // no ink was found in the picture
	FeatureMaps   []featureMap `json:"feature_maps"`
}

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
	var req predictRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(&req)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("more data after the JSON object")
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			jsonError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", MaxBody))
			return
		}
		if errors.Is(err, io.EOF) {
			err = errors.New("empty body")
		}
		jsonError(w, http.StatusBadRequest, "bad JSON: "+err.Error())
		return
	}
	s := h.current()
	if s.model == nil {
		jsonError(w, http.StatusServiceUnavailable, "no model loaded: "+s.missing+". "+h.howToTrain())
		return
	}
	input, err := requestInput(s.model.pipe, req)
	if err != nil {
		jsonError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.model.infer(r.Context(), input))
}

// requestInput makes the model's input from a request.
func requestInput(pipe datasets.Pipeline, req predictRequest) ([]float32, error) {
	switch {
	case req.Image != nil && req.Pixels != nil:
		return nil, errors.New(`give "image" or "pixels", not both`)
	case req.Image != nil:
		img, err := decodeDataURL(*req.Image)
		if err != nil {
			return nil, err
		}
		return pipe.ImageInput(img), nil
	case req.Pixels != nil:
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

// decodeDataURL decodes a PNG or JPEG given as a data URL or bare base64.
func decodeDataURL(s string) (image.Image, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("image: empty")
	}
	if rest, ok := strings.CutPrefix(s, "data:"); ok {
		header, payload, found := strings.Cut(rest, ",")
		if !found {
			return nil, errors.New("image: a data URL needs a comma before its data")
		}
		if !strings.HasSuffix(header, ";base64") {
			return nil, errors.New("image: the data URL is not base64 (want data:image/png;base64,...)")
		}
		s = payload
	}
	if s == "" {
		return nil, errors.New("image: empty")
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("image: bad base64: %v", err)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("image: not a PNG or JPEG picture (%v)", err)
	}
	if cfg.Width < 1 || cfg.Height < 1 {
		return nil, fmt.Errorf("image: empty %s (%dx%d)", format, cfg.Width, cfg.Height)
	}
	const side = mnist.MaxImageSide
	if cfg.Width > side || cfg.Height > side {
		return nil, fmt.Errorf("image: %dx%d is too large (at most %dx%d)", cfg.Width, cfg.Height, side, side)
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("image: bad %s: %v", format, err)
	}
	return img, nil
}

// collector receives the feature maps of one prediction from the hooks
// (see load), through the context of the prediction's scope.
type collector struct{ maps []*tensor.Tensor }

type collectorKey struct{}

// infer runs one input through the model without gradients and returns
// the probabilities and the first convolutions' outputs. Any number of
// calls may run at once: each computes in a scope of its own, with an
// arena of its own.
func (m *served) infer(ctx context.Context, input []float32) predictResponse {
	arena := m.arenas.Get().(*tensor.Arena)
	defer m.arenas.Put(arena)
	arena.Reset()
	f := &collector{maps: make([]*tensor.Tensor, len(m.convs))}
	s := tensor.NewScope(tensor.ScopeOptions{NoGrad: true, Arena: arena, Context: context.WithValue(ctx, collectorKey{}, f)})
	shape := m.pipe.Input.Shape()
	x := s.New(input, append([]int{1}, shape...)...)
	// The arena's storage is handed out again after this call: copy out.
	probs := slices.Clone(tensor.Softmax(m.ck.Model.ModuleBase().Call(x), 1).Data())
	res := predictResponse{
		Input:         input,
		InputShape:    shape,
		Probabilities: probs,
		Blank:         true,
		FeatureMaps:   []featureMap{},
	}
	for i, p := range probs {
		if p > probs[res.Prediction] {
			res.Prediction = i
		}
	}
	for _, v := range input {
		if v != input[0] {
			res.Blank = false
			break
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

func product(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
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
