package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"time"

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
			"GET /api/info describes the model.")
	fs := c.flags
	ckpt := fs.String("checkpoint", "", "checkpoint `FILE` (.safetensors) of a model trained on MNIST (default: ./"+serve.DefaultCheckpoint+" if it exists)")
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
	if *model != "" {
		if _, err := lookupModel(*model); err != nil {
			return err
		}
	}
	h, err := serve.NewHandler(serve.Options{Checkpoint: *ckpt, Model: *model})
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
	hs := &http.Server{
		Handler:           h,
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
