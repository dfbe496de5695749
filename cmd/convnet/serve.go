package main

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
	"log"
	"mime"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/convnet/convnet/datasets/mnist"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/tensor"
)

// The page and its assets, embedded so that the command needs no files and
// the page fetches nothing from elsewhere.
//
//go:embed web
var webFiles embed.FS

const (
	// defaultServeAddr is where serve listens unless --addr says otherwise:
	// this machine only.
	defaultServeAddr = "127.0.0.1:8080"
	// defaultServeCheckpoint is what `convnet train` writes by default and
	// what serve loads without --checkpoint.
	defaultServeCheckpoint = "lenet5.safetensors"
	// maxPredictBody bounds a request body (a 280x280 PNG of a drawing is
	// a few KiB).
	maxPredictBody = 2 << 20
	// maxImageSide bounds each side of a decoded picture, so that a small
	// compressed body cannot ask for gigabytes of pixels.
	maxImageSide = 2048
	// featureLayers is how many convolutions' outputs a prediction returns.
	featureLayers = 3
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return finish(stderr, "serve", guard(func() error { return serveCmd(ctx, args, stdout, stderr) }))
}

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmd("serve", "",
		"Serve a web page where you draw a digit with the mouse or a finger and watch, as you draw,\n"+
			"the 28x28 image the model receives, the probability of each class and the feature maps of\n"+
			"the first three convolutions. Without --checkpoint it loads ./"+defaultServeCheckpoint+" if it exists;\n"+
			"if not, the page says how to train one. The checkpoint is read again when it changes (training\n"+
			"rewrites it every epoch): reload the page. Stop with Ctrl-C.\n\n"+
			"API: POST /api/predict with a JSON body {\"image\": \"data:image/png;base64,...\"} (a picture,\n"+
			"made MNIST-like as predict does) or {\"pixels\": [784 numbers in 0..1]} (a 28x28 MNIST image,\n"+
			"row-major, white on black). The answer: input, probabilities, prediction, feature_maps.\n"+
			"GET /api/info describes the model.")
	fs := c.flags
	ckpt := fs.String("checkpoint", "", "checkpoint `FILE` (.safetensors) of a model trained on MNIST (default: ./"+defaultServeCheckpoint+" if it exists)")
	model := modelFlag(fs, "", " (default: the checkpoint's)")
	addr := fs.String("addr", defaultServeAddr, "listen on `HOST:PORT` (port 0: any free port; another host than 127.0.0.1 opens it to the network)")
	threads := threadsFlag(fs)
	pos, err := c.parse(args, stdout)
	if err != nil {
		return err
	}
	if err := noArgs(pos); err != nil {
		return err
	}
	if err := setThreads(*threads); err != nil {
		return err
	}
	if *addr == "" {
		return usagef("--addr: empty address (want HOST:PORT, such as %s)", defaultServeAddr)
	}
	srv, err := newDigitServer(*ckpt, *model)
	if err != nil {
		return err
	}
	if l, why := srv.current(); l != nil {
		fmt.Fprintf(stdout, "model %s\n", srv.describe(l))
	} else {
		fmt.Fprintf(stdout, "no model: %s. %s\n", why, srv.howToTrain())
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %v", *addr, err)
	}
	hs := &http.Server{
		Handler:           srv.handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       20 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(stderr, "convnet serve: ", 0),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	fmt.Fprintf(stdout, "serving on %s\n", listenURL(ln.Addr()))

	select {
	case err := <-served:
		return fmt.Errorf("serving on %s: %v", ln.Addr(), err)
	case <-ctx.Done():
	}
	// Ctrl-C: finish the requests in flight, for a few seconds at most.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		hs.Close()
	}
	<-served
	fmt.Fprintln(stdout, "stopped")
	return nil
}

// listenURL is the address to open in a browser: a server listening on
// all interfaces is reached on this machine as 127.0.0.1.
func listenURL(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return "http://" + a.String()
	}
	host := tcp.IP.String()
	suffix := ""
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		host, suffix = "127.0.0.1", " (listening on all interfaces)"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(tcp.Port)) + suffix
}

// digitServer answers the page and the API with one model.
type digitServer struct {
	// path is the checkpoint's absolute path, shown as it was given;
	// fallback says it is the default one, which may be missing.
	path, shown, modelName string
	fallback               bool

	// mu guards the model (nn modules are not safe for concurrent Call, and
	// hooks are registered per call) and the fields below.
	mu      sync.Mutex
	model   *servedModel // nil until a checkpoint is loaded
	missing string       // why there is no model, when model is nil
	stamp   fileStamp    // of the file last loaded or tried

	page   *template.Template
	static http.Handler
}

// servedModel is a loaded checkpoint with the convolutions it shows.
type servedModel struct {
	*loaded
	convs []nn.Child // the first featureLayers Conv2d leaves
}

// fileStamp tells whether a checkpoint file has changed.
type fileStamp struct {
	mod  time.Time
	size int64
}

// newDigitServer loads the checkpoint at path. An empty path means
// ./lenet5.safetensors; if that does not exist the server starts without a
// model and explains how to train one. A given path that cannot be loaded
// is an error. Either way the file is loaded again when it changes (each
// epoch of a training run rewrites it).
func newDigitServer(path, modelName string) (*digitServer, error) {
	s := &digitServer{path: path, shown: path, modelName: modelName}
	if path == "" {
		s.path, s.shown, s.fallback = defaultServeCheckpoint, defaultServeCheckpoint, true
	}
	if abs, err := filepath.Abs(s.path); err == nil {
		s.path = abs
	}
	page, err := template.ParseFS(webFiles, "web/index.html")
	if err != nil {
		return nil, err
	}
	s.page = page
	static, err := fs.Sub(webFiles, "web/static")
	if err != nil {
		return nil, err
	}
	s.static = http.StripPrefix("/static/", http.FileServerFS(static))

	if !s.fallback {
		st, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("--checkpoint: %s", pathError(err))
		}
		m, err := loadForServing(path, modelName)
		if err != nil {
			return nil, err
		}
		s.model, s.stamp = m, fileStamp{st.ModTime(), st.Size()}
		return s, nil
	}
	s.mu.Lock()
	s.refresh()
	s.mu.Unlock()
	return s, nil
}

// loadForServing loads a checkpoint and checks that it is an MNIST model.
func loadForServing(path, modelName string) (*servedModel, error) {
	l, err := loadCheckpoint(path, modelName)
	if err != nil {
		return nil, err
	}
	if l.pipe.Dataset() != "mnist" {
		return nil, usagef("checkpoint %s holds a %s model trained on %s: serve needs one trained on MNIST digits (convnet train --dataset mnist)",
			path, l.spec.Name, l.pipe.Dataset())
	}
	m := &servedModel{loaded: l}
	for _, c := range leaves(l.model) {
		if _, ok := c.Module.(*nn.Conv2d); ok && len(m.convs) < featureLayers {
			m.convs = append(m.convs, c)
		}
	}
	l.model.ModuleBase().Eval()
	return m, nil
}

// refresh loads the checkpoint if it has appeared or changed since it was
// last loaded or tried. A model that is loaded stays if its file goes away
// or its new version cannot be read. It is called with mu held.
func (s *digitServer) refresh() {
	st, err := os.Stat(s.path)
	if err != nil {
		if s.model == nil {
			s.missing = fmt.Sprintf("there is no %s in %s", filepath.Base(s.path), filepath.Dir(s.path))
		}
		return
	}
	stamp := fileStamp{st.ModTime(), st.Size()}
	if stamp == s.stamp {
		return
	}
	s.stamp = stamp
	m, err := loadForServing(s.path, s.modelName)
	if err != nil {
		if s.model == nil {
			s.missing = fmt.Sprintf("%s could not be loaded: %s", s.path, oneLine(err.Error()))
		}
		return
	}
	s.model, s.missing = m, ""
}

// howToTrain follows the reason why there is no model, on the console and
// in the API's answers.
func (s *digitServer) howToTrain() string {
	return fmt.Sprintf("Train one with `convnet train` in %s (LeNet-5 on MNIST, a minute or two; it writes %s "+
		"after every epoch), then reload the page; or start `convnet serve --checkpoint FILE`.",
		filepath.Dir(s.path), defaultServeCheckpoint)
}

// current returns the model, loading the checkpoint again if it has
// changed, or why there is none.
func (s *digitServer) current() (*servedModel, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh()
	return s.model, s.missing
}

// describe is one line about the model: name, file, training.
func (s *digitServer) describe(l *servedModel) string {
	d := fmt.Sprintf("%s from %s", l.spec.Name, s.shown)
	var extra []string
	if e, err := strconv.Atoi(l.meta["epoch"]); err == nil {
		if e == 0 {
			extra = append(extra, "1 epoch")
		} else {
			extra = append(extra, fmt.Sprintf("%d epochs", e+1))
		}
	}
	if a := l.meta["test_accuracy"]; a != "" {
		extra = append(extra, "test accuracy "+a)
	}
	if len(extra) > 0 {
		d += " (" + strings.Join(extra, ", ") + ")"
	}
	return d
}

// handler routes the page, its assets and the API.
func (s *digitServer) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", s.handleIndex)
	mux.Handle("/static/", s.static)
	mux.HandleFunc("/api/predict", s.handlePredict)
	mux.HandleFunc("/api/info", s.handleInfo)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		jsonError(w, http.StatusNotFound, "no such API: "+r.URL.Path+" (there are POST /api/predict and GET /api/info)")
	})
	return secure(mux)
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

func (s *digitServer) handleIndex(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed: use GET", http.StatusMethodNotAllowed)
		return
	}
	l, missing := s.current()
	d := pageData{Missing: missing, Dir: filepath.Dir(s.path)}
	if l != nil {
		d.Ready = true
		d.Model = l.spec.Name
		d.Checkpoint = s.shown
		if e, err := strconv.Atoi(l.meta["epoch"]); err == nil {
			d.Epochs = strconv.Itoa(e + 1)
		}
		d.Accuracy = l.meta["test_accuracy"]
		d.InputSide = l.pipe.Input.Size
		d.Layers = s.layerShapes(l)
	}
	var b bytes.Buffer
	if err := s.page.Execute(&b, d); err != nil {
		http.Error(w, "rendering the page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b.Bytes())
}

// layerShapes runs a blank image to learn the shapes of the feature maps.
func (s *digitServer) layerShapes(l *servedModel) []layerInfo {
	res := s.infer(l, make([]float32, product(l.pipe.Input.Shape())))
	out := make([]layerInfo, len(res.FeatureMaps))
	for i, m := range res.FeatureMaps {
		out[i] = layerInfo{m.Name, m.Shape}
	}
	return out
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

func (s *digitServer) handleInfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		jsonError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: use GET")
		return
	}
	l, missing := s.current()
	if l == nil {
		writeJSON(w, http.StatusOK, infoResponse{Error: "no model loaded: " + missing + ". " + s.howToTrain()})
		return
	}
	writeJSON(w, http.StatusOK, infoResponse{
		Ready:        true,
		Model:        l.spec.Name,
		Checkpoint:   s.path,
		Metadata:     l.meta,
		InputShape:   l.pipe.Input.Shape(),
		Classes:      l.pipe.Input.Classes,
		FeatureMaps:  s.layerShapes(l),
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

func (s *digitServer) handlePredict(w http.ResponseWriter, r *http.Request) {
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
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxPredictBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(&req)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("more data after the JSON object")
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			jsonError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", maxPredictBody))
			return
		}
		if errors.Is(err, io.EOF) {
			err = errors.New("empty body")
		}
		jsonError(w, http.StatusBadRequest, "bad JSON: "+err.Error())
		return
	}
	l, missing := s.current()
	if l == nil {
		jsonError(w, http.StatusServiceUnavailable, "no model loaded: "+missing+". "+s.howToTrain())
		return
	}
	input, err := requestInput(l, req)
	if err != nil {
		jsonError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, s.infer(l, input))
}

// requestInput makes the model's input from a request.
func requestInput(l *servedModel, req predictRequest) ([]float32, error) {
	switch {
	case req.Image != nil && req.Pixels != nil:
		return nil, errors.New(`give "image" or "pixels", not both`)
	case req.Image != nil:
		img, err := decodeDataURL(*req.Image)
		if err != nil {
			return nil, err
		}
		return l.pipe.ImageInput(img), nil
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
		return l.pipe.Prepare(x), nil
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
	if cfg.Width > maxImageSide || cfg.Height > maxImageSide {
		return nil, fmt.Errorf("image: %dx%d is too large (at most %dx%d)", cfg.Width, cfg.Height, maxImageSide, maxImageSide)
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("image: bad %s: %v", format, err)
	}
	return img, nil
}

// infer runs one input through the model without gradients and returns
// the probabilities and the first convolutions' outputs. The model is not
// safe for concurrent use, so one inference runs at a time.
func (s *digitServer) infer(l *servedModel, input []float32) predictResponse {
	s.mu.Lock()
	defer s.mu.Unlock()
	maps := make([]*tensor.Tensor, len(l.convs))
	for i, c := range l.convs {
		remove := c.Module.ModuleBase().RegisterForwardHook(func(_ nn.Module, out *tensor.Tensor) {
			if maps[i] == nil {
				maps[i] = out.Clone()
			}
		})
		defer remove()
	}
	shape := l.pipe.Input.Shape()
	var probs []float32
	tensor.NoGrad(func() {
		x := tensor.New(append([]float32(nil), input...), append([]int{1}, shape...)...)
		probs = tensor.Softmax(l.model.ModuleBase().Call(x), 1).Data()
	})
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
	for i, t := range maps {
		if t == nil {
			continue
		}
		res.FeatureMaps = append(res.FeatureMaps, featureMap{Name: l.convs[i].Name, Shape: t.Shape()[1:], Data: t.Data()})
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
