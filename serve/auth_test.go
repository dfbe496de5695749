package serve_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/convnet/convnet/serve"
)

// TestServeToken serves with Options.Token: the page and the API answer
// only requests that carry it, in the Authorization header or the query;
// the others get 401 saying what is missing. The static assets need no
// token.
func TestServeToken(t *testing.T) {
	const token = "s3cret-token"
	h, err := serve.NewHandler(serve.Options{Checkpoint: freshCheckpoint(t, t.TempDir()), Token: token})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	pixels := string(mustJSON(t, map[string]any{"pixels": make([]float64, 784)}))
	const missing = "unauthorized: this server needs its token: send the header \"Authorization: Bearer TOKEN\", " +
		"or open the page as /?token=TOKEN (the token given to convnet serve --token)"
	for _, c := range []struct {
		name, method, path, auth, body string
		code                           int
		error                          string // the JSON error of a 401 from the API
	}{
		{"page without token", "GET", "/", "", "", 401, ""},
		{"page with wrong token", "GET", "/?token=nope", "", "", 401, ""},
		{"page with token in query", "GET", "/?token=" + token, "", "", 200, ""},
		{"page with token in header", "GET", "/", "Bearer " + token, "", 200, ""},
		{"asset without token", "GET", "/static/app.js", "", "", 200, ""},
		{"info without token", "GET", "/api/info", "", "", 401, missing},
		{"info with wrong token", "GET", "/api/info", "Bearer nope", "", 401, "unauthorized: wrong token"},
		{"info with another scheme", "GET", "/api/info", "Basic " + token, "", 401, missing},
		{"info with a longer token", "GET", "/api/info", "Bearer " + token + "x", "", 401, "unauthorized: wrong token"},
		{"info with a prefix of the token", "GET", "/api/info", "Bearer " + token[:4], "", 401, "unauthorized: wrong token"},
		{"info with token", "GET", "/api/info", "Bearer " + token, "", 200, ""},
		{"info with token, scheme in lower case", "GET", "/api/info", "bearer " + token, "", 200, ""},
		{"info with token in query", "GET", "/api/info?token=" + token, "", "", 200, ""},
		{"predict without token", "POST", "/api/predict", "", pixels, 401, missing},
		{"predict with wrong token", "POST", "/api/predict", "Bearer " + strings.ToUpper(token), pixels, 401, "unauthorized: wrong token"},
		{"predict with token", "POST", "/api/predict", "Bearer " + token, pixels, 200, ""},
		{"unknown API without token", "GET", "/api/nope", "", "", 401, missing},
		{"unknown API with token", "GET", "/api/nope", "Bearer " + token, "", 404, ""},
	} {
		req, err := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("%s: %s, want %d: %s", c.name, resp.Status, c.code, b)
			continue
		}
		if c.code != 401 {
			continue
		}
		if got := resp.Header.Get("WWW-Authenticate"); got != `Bearer realm="convnet serve"` {
			t.Errorf("%s: WWW-Authenticate %q", c.name, got)
		}
		if strings.Contains(string(b), token) {
			t.Errorf("%s: the answer shows the token: %s", c.name, b)
		}
		if c.error == "" { // the page: plain text
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || !strings.Contains(string(b), "unauthorized") {
				t.Errorf("%s: %s %q", c.name, ct, b)
			}
			continue
		}
		var e struct{ Error string }
		if err := json.Unmarshal(b, &e); err != nil || e.Error != c.error || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %s %q; want JSON error %q", c.name, resp.Header.Get("Content-Type"), b, c.error)
		}
	}
}

// TestServeInfoNamesNoFolder: GET /api/info and the page show the
// checkpoint's file name, not where it lies.
func TestServeInfoNamesNoFolder(t *testing.T) {
	dir := t.TempDir()
	ts := newTestServer(t, freshCheckpoint(t, dir))
	info := getInfo(t, ts.URL)
	if info.Checkpoint != serve.DefaultCheckpoint {
		t.Errorf("/api/info: checkpoint %q, want %q", info.Checkpoint, serve.DefaultCheckpoint)
	}
	_, body := get(t, ts.URL+"/api/info")
	_, page := get(t, ts.URL+"/")
	if strings.Contains(body, dir) || strings.Contains(page, dir) {
		t.Errorf("/api/info or the page names the folder %s:\n%s", dir, body)
	}
}

// TestServeImageEscaped: a picture whose base64 has JSON escapes (\/ for
// /, as some encoders write) is read as the same picture.
func TestServeImageEscaped(t *testing.T) {
	ts := newTestServer(t, servedCheckpoint(t))
	pix, _ := mnistPixels(t, 3)
	url := pngDataURL(t, pix, 3, false)
	if !strings.Contains(url, "/") {
		t.Fatalf("the picture's base64 has no / to escape")
	}
	var plain, escaped predictAnswer
	post(t, ts.URL+"/api/predict", "application/json", []byte(`{"image": "`+url+`"}`), &plain)
	resp, body := post(t, ts.URL+"/api/predict", "application/json", []byte(`{"image": "`+strings.ReplaceAll(url, "/", `\/`)+`"}`), &escaped)
	if resp.StatusCode != 200 || !sameAnswer(plain, escaped) {
		t.Errorf("escaped picture: %s %.200s; want the same answer as without escapes", resp.Status, body)
	}
}
