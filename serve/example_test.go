package serve_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/datasets"
	"github.com/convnet/convnet/models"
	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/serve"
)

// A program serves the page and its API under /digits/ of its own
// http.ServeMux, beside its own pages. Here the model is a fresh LeNet-5,
// saved as `convnet train` saves one, and the server is httptest's; a
// program would give the checkpoint it trained and call
// http.ListenAndServe(addr, mux).
func ExampleNewHandler() {
	dir, err := os.MkdirTemp("", "serve-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	spec, _ := models.Lookup("lenet5")
	pipe, _ := datasets.Fit(spec, "mnist")
	nn.ManualSeed(0)
	model, _ := pipe.Build(spec)
	path := filepath.Join(dir, "lenet5.safetensors")
	if err := checkpoint.Save(path, model, pipe.Metadata(spec.Name)); err != nil {
		log.Fatal(err)
	}

	digits, err := serve.NewHandler(serve.Options{Checkpoint: path})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/digits/", http.StripPrefix("/digits", digits))
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, `<a href="/digits/">draw a digit</a>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/digits/api/info")
	if err != nil {
		log.Fatal(err)
	}
	var info struct {
		Model       string
		InputShape  []int `json:"input_shape"`
		FeatureMaps []struct {
			Name  string
			Shape []int
		} `json:"feature_maps"`
	}
	json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	fmt.Println(info.Model, info.InputShape)
	for _, m := range info.FeatureMaps {
		fmt.Println(m.Name, m.Shape)
	}

	// A prediction for a blank 28x28 image.
	body := `{"pixels": [` + strings.TrimSuffix(strings.Repeat("0,", 28*28), ",") + `]}`
	resp, err = http.Post(srv.URL+"/digits/api/predict", "application/json", strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	var answer struct {
		Probabilities []float32
		Blank         bool
	}
	json.NewDecoder(resp.Body).Decode(&answer)
	resp.Body.Close()
	fmt.Println(resp.Status, len(answer.Probabilities), "probabilities, blank:", answer.Blank)
	// Output:
	// lenet5 [1 28 28]
	// feature.cnn1 [6 28 28]
	// feature.cnn2 [16 10 10]
	// feature.cnn3 [120 1 1]
	// 200 OK 10 probabilities, blank: true
}
