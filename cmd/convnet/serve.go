package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"strings"

	"github.com/convnet/convnet/serve"
)

// defaultServeAddr is where serve listens unless --addr says otherwise:
// this machine only.
const defaultServeAddr = "127.0.0.1:8080"

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmd("serve", "",
		"Serve a web page where you draw a digit with the mouse or a finger and watch, as you draw,\n"+
			"the 28x28 image the model receives, the probability of each class and the feature maps of\n"+
			"the first three convolutions. Without --checkpoint it loads ./"+serve.DefaultCheckpoint+" if it exists;\n"+
			"if not, the page says how to train one. The checkpoint is read again when it changes (training\n"+
			"rewrites it every epoch): reload the page. Stop with Ctrl-C.\n\n"+
			"API: POST /api/predict with a JSON body {\"image\": \"data:image/png;base64,...\"} (a picture,\n"+
			"made MNIST-like as predict does) or {\"pixels\": [784 numbers in 0..1]} (a 28x28 MNIST image,\n"+
			"row-major, white on black). The answer: input, probabilities, prediction, feature_maps.\n"+
			"GET /api/info describes the model, and in reload_error why the checkpoint's latest version\n"+
			"could not be loaded (the model before stays; the same line goes to stderr).\n\n"+
			"Limits: a body of at most 2 MiB (413), a picture of at most 2048x2048 pixels (400); at most\n"+
			"2×GOMAXPROCS predictions at once (up to 32) and 128 MiB of pictures decoded at once: the\n"+
			"others wait a second for their turn, then get 503 with Retry-After: 1.\n\n"+
			"The default address serves this machine only. Another one (0.0.0.0, :PORT, a network\n"+
			"address) opens the page and the API to the network: give --token to require a token of\n"+
			"every request (\"Authorization: Bearer TOKEN\", or open the page as http://HOST:PORT/?token=TOKEN).")
	fs := c.flags
	ckpt := fs.String("checkpoint", "", "checkpoint `FILE` (.safetensors) of a model trained on MNIST (default: ./"+serve.DefaultCheckpoint+" if it exists)")
	model := modelFlag(fs, "", " (default: the checkpoint's)")
	addr := fs.String("addr", defaultServeAddr, "listen on `HOST:PORT` (port 0: any free port; another host than 127.0.0.1 or localhost opens it to the network: see --token)")
	token := fs.String("token", "", "require `TOKEN` of the page and the API, else 401: the header \"Authorization: Bearer TOKEN\" or the page opened as /?token=TOKEN (ps shows it to this machine's users)")
	threads := threadsFlag(fs)
	precision := precisionFlag(fs)
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
	prec, err := setPrecision(*precision, stderr)
	if err != nil {
		return err
	}
	if *addr == "" {
		return usagef("--addr: empty address (want HOST:PORT, such as %s)", defaultServeAddr)
	}
	if strings.IndexFunc(*token, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		return usagef("--token: a token has no spaces or control characters (it travels in an HTTP header)")
	}
	if *model != "" {
		if _, err := lookupModel(*model); err != nil {
			return err
		}
	}
	logger := log.New(stderr, "convnet serve: ", 0)
	h, err := serve.NewHandler(serve.Options{Checkpoint: *ckpt, Model: *model, Token: *token, Log: logger, Precision: prec})
	if err != nil {
		return err
	}
	if line, ready := h.Status(); ready {
		fmt.Fprintf(stdout, "model %s\n", line)
	} else {
		fmt.Fprintf(stdout, "no model: %s\n", line)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %v", *addr, err)
	}
	fmt.Fprintf(stdout, "serving on %s\n", serve.ListenURL(ln.Addr()))
	if err := h.Serve(ctx, ln, *addr, logger); err != nil {
		return fmt.Errorf("serving on %s: %v", ln.Addr(), err)
	}
	fmt.Fprintln(stdout, "stopped")
	return nil
}
