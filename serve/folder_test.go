package serve_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convnet/convnet/checkpoint"
	"github.com/convnet/convnet/models"
)

// TestServeFolderModel serves a model trained on a folder of pictures:
// the page has an upload box, not the drawing pad, and names the classes;
// a picture's answer has one probability per class and the input as a
// colour picture in [0, 1].
func TestServeFolderModel(t *testing.T) {
	ts := newTestServer(t, folderCheckpoint(t, t.TempDir()))
	_, page := get(t, ts.URL+"/")
	if !strings.Contains(page, `id="upload"`) || strings.Contains(page, `id="pad"`) ||
		!strings.Contains(page, "classify a picture") || !strings.Contains(page, `data-classes="[&#34;cat&#34;,&#34;dog&#34;,&#34;eel&#34;]"`) {
		t.Errorf("page:\n%s", page)
	}
	pix, _ := mnistPixels(t, 0)
	var res struct {
		Probabilities []float32 `json:"probabilities"`
		Picture       []float32 `json:"picture"`
		InputShape    []int     `json:"input_shape"`
	}
	resp, body := post(t, ts.URL+"/api/predict", "application/json", mustJSON(t, map[string]string{"image": pngDataURL(t, pix, 3, true)}), &res)
	if resp.StatusCode != 200 || len(res.Probabilities) != 3 || len(res.Picture) != 3*32*32 || len(res.InputShape) != 3 {
		t.Fatalf("%d: %s", resp.StatusCode, body)
	}
	for _, v := range res.Picture {
		if v < -1e-5 || v > 1+1e-5 {
			t.Fatalf("picture value %v outside [0, 1]", v)
		}
	}
}

// folderCheckpoint writes into dir a checkpoint of an untrained ResNet-18
// as `convnet train --dataset folder` records one: 3×32×32 pictures of
// the classes cat, dog and eel.
func folderCheckpoint(t *testing.T, dir string) string {
	t.Helper()
	spec, _ := models.Lookup("resnet18")
	m, err := spec.Build(models.Input{Channels: 3, Size: 32, Classes: 3})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "pictures.safetensors")
	meta := map[string]string{checkpoint.ModelKey: "resnet18", "input": "3x32x32", "classes": "3", "dataset": "folder",
		"pad": "0", "class_names": `["cat","dog","eel"]`, "augment": "off"}
	if err := checkpoint.Save(path, m, meta); err != nil {
		t.Fatal(err)
	}
	return path
}

// writePNG writes the picture of pngDataURL to path.
func writePNG(t *testing.T, path string, pix []float64, scale int) {
	t.Helper()
	url := pngDataURL(t, pix, scale, true)
	raw, err := base64.StdEncoding.DecodeString(url[strings.Index(url, ",")+1:])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}
