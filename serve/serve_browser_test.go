package serve_test

import (
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convnet/convnet/serve"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// findBrowser returns the Chromium or Chrome to drive: $CHROME if set,
// else the first of the usual names on $PATH or in /usr/bin.
func findBrowser() (string, error) {
	if p := os.Getenv("CHROME"); p != "" {
		found, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("$CHROME=%s: %v", p, err)
		}
		return found, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless_shell", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no chromium, chromium-browser, google-chrome or headless_shell on $PATH, and $CHROME is not set")
}

// pt is a point on the 280x280 drawing pad.
type pt struct{ x, y float64 }

// skipWithoutBrowser skips a test that needs a browser when there is
// none, saying why, or fails it under CI (which installs Chromium, see
// .ci/run).
//
// `go test ./...` (package list mode) shows nothing of a package that
// passes but its "ok" line: the test binary's stdout and stderr, t.Skip's
// message included, are dropped unless -v is given. So that the skip is
// seen where it would be hidden, its reason also goes to the terminal the
// tests run from (/dev/tty), when there is one; with -v (or -json) the
// skip shows as usual.
func skipWithoutBrowser(t *testing.T, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("the browser test needs Chromium, and CI is set: .ci/run must install chromium (apt-get install chromium) or set $CHROME: %v", err)
	}
	msg := fmt.Sprintf("no browser for the end-to-end test of the serve page (install Debian's chromium, or set $CHROME to a Chrome or Chromium): %v", err)
	if !testing.Verbose() {
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			fmt.Fprintf(tty, "--- SKIP: %s (github.com/convnet/convnet/serve): %s\n", t.Name(), msg)
			tty.Close()
		}
	}
	t.Skip("SKIP: " + msg)
}

// TestServeBrowser draws a 1 and a 0 with the mouse in headless Chromium
// and reads the page's predictions, then saves a screenshot. It needs a
// browser: without one it fails under CI (which installs Chromium) and is
// skipped elsewhere, saying so (see skipWithoutBrowser). It is the only
// test of the module that may skip.
func TestServeBrowser(t *testing.T) {
	browser, err := findBrowser()
	if err != nil {
		skipWithoutBrowser(t, err)
	}
	start := time.Now()
	// Serve as a program does after `convnet train`: lenet5.safetensors
	// in the current folder, no options.
	raw, err := os.ReadFile(servedCheckpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, serve.DefaultCheckpoint), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	h, err := serve.NewHandler(serve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	url := ts.URL

	tab, pageErrors := openBrowser(t, browser)
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	do("opening the page", chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.ID("pad")))
	t.Logf("browser %s started and page loaded in %.1fs", browser, time.Since(start).Seconds())

	type rect struct{ X, Y, W, H float64 }
	r, err := chromedp.Run(tab, chromedp.Evaluate[rect](
		`(() => { const r = document.getElementById("pad").getBoundingClientRect(); return {X: r.left, Y: r.top, W: r.width, H: r.height}; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if r.W != 280 || r.H != 280 {
		t.Fatalf("drawing pad is %vx%v on the page, want 280x280", r.W, r.H)
	}
	at := func(p pt) (float64, float64) { return r.X + p.x*r.W/280, r.Y + p.y*r.H/280 }
	held := func(p *input.DispatchMouseEventParams) { p.Button, p.Buttons = input.MouseButtonLeft, 1 }

	// draw presses the left button at the first point, moves through the
	// others with pauses (so that the page predicts while the button is
	// down), checks that a prediction came before the release, and
	// releases.
	draw := func(name string, stroke []pt) {
		t.Helper()
		x, y := at(stroke[0])
		do(name+": press", chromedp.MouseEvent(chromedp.MousePressed, x, y, held, chromedp.ClickCount(1)))
		for _, p := range stroke[1:] {
			x, y := at(p)
			do(name+": move", chromedp.MouseEvent(chromedp.MouseMoved, x, y, held))
			time.Sleep(8 * time.Millisecond)
		}
		whileDrawing, err := chromedp.Run(tab, chromedp.Poll[bool](`Number(document.body.dataset.shown) > 0`,
			chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil || !whileDrawing {
			t.Errorf("%s: no prediction shown while the button was still down: %v", name, err)
		}
		x, y = at(stroke[len(stroke)-1])
		do(name+": release", chromedp.MouseEvent(chromedp.MouseReleased, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	}

	// prediction waits until the page shows the answer for the drawing as
	// it is now and returns the text of #prediction.
	prediction := func(name string) string {
		t.Helper()
		got, err := chromedp.Run(tab, chromedp.Poll[string](`(() => {
			const d = document.body.dataset;
			if (d.error) return "error: " + d.error;
			if (d.version !== d.shown || Number(d.shown) === 0) return false;
			return "prediction: " + document.getElementById("prediction").textContent;
		})()`, chromedp.WithPollingTimeout(15*time.Second)))
		if err != nil {
			t.Fatalf("%s: waiting for the page's prediction: %v", name, err)
		}
		if msg, ok := strings.CutPrefix(got, "error: "); ok {
			t.Fatalf("%s: the page shows an error: %s", name, msg)
		}
		return strings.TrimPrefix(got, "prediction: ")
	}

	screenshot := func(file string) []byte {
		t.Helper()
		png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		path := filepath.Join(t.TempDir(), file)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s (%d bytes)", path, len(png))
		return png
	}

	// Everything the page shows besides the digit: the model input is not
	// blank, the top bar is marked, and every feature map is drawn.
	type shown struct {
		InputInk float64
		TopBars  int
		Canvases int
		Painted  int
		Top      string
	}
	checkShown := func(name string) {
		t.Helper()
		s, err := chromedp.Run(tab, chromedp.Evaluate[shown](`(() => {
			const ink = (c) => { const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data; let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i]; return s / 255; };
			const maps = [...document.querySelectorAll("#maps canvas")];
			return {
				InputInk: ink(document.getElementById("input")),
				TopBars: document.querySelectorAll("#probs li.top").length,
				Canvases: maps.length,
				Painted: maps.filter((c) => ink(c) > 0).length,
				Top: document.querySelector("#probs li.top .label")?.textContent ?? "",
			};
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		// LeNet-5: 6 maps of cnn1, 16 of cnn2, one grid for cnn3's 120.
		if s.InputInk < 20 || s.TopBars != 1 || s.Canvases != 6+16+1 || s.Painted < s.Canvases-2 {
			t.Errorf("%s: page shows %+v; want ink in the model input, one top bar, 23 feature-map canvases painted", name, s)
		}
		if p := prediction(name); s.Top != p {
			t.Errorf("%s: top bar is %q but #prediction is %q", name, s.Top, p)
		}
		sure, _ := chromedp.Run(tab, chromedp.TextContent(chromedp.ID("confidence")))
		t.Logf("drew a %s: the page predicts %s, %s", name, s.Top, sure)
	}

	// A 1: one vertical stroke, slightly slanted as people write it.
	var one []pt
	for i := 0; i <= 30; i++ {
		f := float64(i) / 30
		one = append(one, pt{150 - 14*f, 40 + 200*f})
	}
	draw("1", one)
	if got := prediction("1"); got != "1" {
		t.Errorf("drew a 1, page predicts %q", got)
	}
	checkShown("1")
	screenshot("serve-1.png")

	do("clear", chromedp.Click(chromedp.ID("clear")))
	cleared, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.getElementById("prediction").textContent + "|" + document.querySelectorAll("#probs li.top").length`))
	if err != nil || cleared != "|0" {
		t.Errorf("after Clear: prediction and top bars %q, want none (%v)", cleared, err)
	}

	// A 0: an ellipse, taller than wide, closed.
	var zero []pt
	for i := 0; i <= 48; i++ {
		a := 2 * math.Pi * float64(i) / 48
		zero = append(zero, pt{140 + 62*math.Sin(a), 140 - 92*math.Cos(a)})
	}
	draw("0", zero)
	if got := prediction("0"); got != "0" {
		t.Errorf("drew a 0, page predicts %q", got)
	}
	checkShown("0")
	png := screenshot("serve-0.png")
	if dir := os.Getenv("CONVNET_SCREENSHOT_DIR"); dir != "" {
		path := filepath.Join(dir, "serve.png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Errorf("CONVNET_SCREENSHOT_DIR: %v", err)
		} else {
			t.Logf("screenshot saved as %s", path)
		}
	}

	for _, e := range pageErrors() {
		t.Errorf("page: %s", e)
	}
	t.Logf("browser test took %.1fs", time.Since(start).Seconds())
}

// openBrowser starts headless Chromium and returns a tab, closed at the
// end of the test, and a function that returns the errors and warnings
// the page has logged or thrown so far.
func openBrowser(t *testing.T, browser string) (tab context.Context, pageErrors func() []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox, // tests run as root in containers
		chromedp.DisableGPU,
		chromedp.WindowSize(1160, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	var pageErrs struct {
		sync.Mutex
		list []string
	}
	tab, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "exception: " + ev.ExceptionDetails.Text
			if ex := ev.ExceptionDetails.Exception; ex != nil {
				msg += " " + ex.Description
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				msg = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
			}
		}
		if msg != "" {
			pageErrs.Lock()
			pageErrs.list = append(pageErrs.list, msg)
			pageErrs.Unlock()
		}
	}))
	t.Cleanup(cancelTab)
	return tab, func() []string {
		pageErrs.Lock()
		defer pageErrs.Unlock()
		return slices.Clone(pageErrs.list)
	}
}

// TestServeBrowserToken opens the page of a server with a token as
// /?token=T and draws a 1: the page passes the token to its requests and
// shows the prediction. It needs a browser, as TestServeBrowser does.
func TestServeBrowserToken(t *testing.T) {
	browser, err := findBrowser()
	if err != nil {
		skipWithoutBrowser(t, err)
	}
	const token = "a-token/with+odd=characters"
	h, err := serve.NewHandler(serve.Options{Checkpoint: servedCheckpoint(t), Token: token})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	tab, pageErrors := openBrowser(t, browser)
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	do("opening the page", chromedp.Navigate(ts.URL+"/?token="+neturl.QueryEscape(token)), chromedp.WaitVisible(chromedp.ID("pad")))
	type rect struct{ X, Y, W, H float64 }
	r, err := chromedp.Run(tab, chromedp.Evaluate[rect](
		`(() => { const r = document.getElementById("pad").getBoundingClientRect(); return {X: r.left, Y: r.top, W: r.width, H: r.height}; })()`))
	if err != nil {
		t.Fatal(err)
	}
	held := func(p *input.DispatchMouseEventParams) { p.Button, p.Buttons = input.MouseButtonLeft, 1 }
	do("press", chromedp.MouseEvent(chromedp.MousePressed, r.X+150, r.Y+40, held, chromedp.ClickCount(1)))
	for i := 1; i <= 30; i++ {
		f := float64(i) / 30
		do("move", chromedp.MouseEvent(chromedp.MouseMoved, r.X+150-14*f, r.Y+40+200*f, held))
		time.Sleep(8 * time.Millisecond)
	}
	do("release", chromedp.MouseEvent(chromedp.MouseReleased, r.X+136, r.Y+240, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	got, err := chromedp.Run(tab, chromedp.Poll[string](`(() => {
		const d = document.body.dataset;
		if (d.error) return "error: " + d.error;
		if (d.version !== d.shown || Number(d.shown) === 0) return false;
		return document.getElementById("prediction").textContent;
	})()`, chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil || got != "1" {
		t.Errorf("drew a 1 on the page opened with its token: the page shows %q (%v)", got, err)
	}
	for _, e := range pageErrors() {
		t.Errorf("page: %s", e)
	}
}

// TestServeBrowserUpload serves a model of a folder of pictures in
// headless Chromium: the page has an upload box instead of the pad, and a
// picture chosen there is answered with the class names and drawn in
// colour as the model's input.
func TestServeBrowserUpload(t *testing.T) {
	browser, err := findBrowser()
	if err != nil {
		skipWithoutBrowser(t, err)
	}
	dir := t.TempDir()
	path := folderCheckpoint(t, dir)
	pix, _ := mnistPixels(t, 0)
	pic := filepath.Join(dir, "seven.png")
	writePNG(t, pic, pix, 3)
	h, err := serve.NewHandler(serve.Options{Checkpoint: path})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	tab, pageErrors := openBrowser(t, browser)
	if err := chromedp.Do(tab, chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("upload")),
		chromedp.SetUploadFiles(chromedp.ID("upload"), []string{pic})); err != nil {
		t.Fatalf("opening the page and choosing a picture: %v", err)
	}
	var got string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		got, err = chromedp.Run(tab, chromedp.Evaluate[string](`document.body.dataset.shown + "|" + document.getElementById("prediction").textContent + "|" +
			[...document.querySelectorAll("#probs .label")].map(e => e.textContent).join(",")`))
		if err == nil && !strings.HasPrefix(got, "0|") {
			break
		}
	}
	parts := strings.Split(got, "|")
	if len(parts) != 3 || parts[0] != "1" || !slices.Contains([]string{"cat", "dog", "eel"}, parts[1]) || parts[2] != "cat,dog,eel" {
		t.Errorf("after the upload the page shows %q; want version 1, a class name, the three labels", got)
	}
	if errs := pageErrors(); len(errs) > 0 {
		t.Errorf("the page's script failed: %v", errs)
	}
}
