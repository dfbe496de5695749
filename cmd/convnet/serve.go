package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
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
	if strings.IndexFunc(*token, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		return usagef("--token: a token has no spaces or control characters (it travels in an HTTP header)")
	}
	if *model != "" {
		if _, err := lookupModel(*model); err != nil {
			return err
		}
	}
	logger := log.New(stderr, "convnet serve: ", 0)
	h, err := serve.NewHandler(serve.Options{Checkpoint: *ckpt, Model: *model, Token: *token, Log: logger})
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
		ErrorLog:          logger,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	fmt.Fprintf(stdout, "serving on %s\n", listenURL(ln.Addr()))
	if where := networkReach(ln.Addr()); where != "" {
		// The address as given, with the port chosen.
		shown := ln.Addr().String()
		if host, _, err := net.SplitHostPort(*addr); err == nil {
			if tcp, ok := ln.Addr().(*net.TCPAddr); ok {
				shown = net.JoinHostPort(host, strconv.Itoa(tcp.Port))
			}
		}
		if *token == "" {
			logger.Printf("warning: listening on %s, %s: anyone who can reach it can use the page and the API, "+
				"with no authentication; give --token TOKEN to require one, or --addr %s to serve this machine only",
				shown, where, defaultServeAddr)
		} else {
			logger.Printf("listening on %s, %s: requests need the token, which travels unencrypted (plain HTTP)", shown, where)
		}
	}
	// Look at the checkpoint every few seconds, so that a new version is
	// loaded, or its failure logged, when it is written rather than at the
	// next request.
	watch, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go func() {
		tick := time.NewTicker(watchEvery)
		defer tick.Stop()
		for {
			select {
			case <-watch.Done():
				return
			case <-tick.C:
				h.Status()
			}
		}
	}()

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

// watchEvery is how often serve looks whether the checkpoint has changed.
const watchEvery = 2 * time.Second

// networkReach says how a listener is reachable from other machines: ""
// for a loopback address.
func networkReach(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	switch {
	case !ok:
		return "an address of the network"
	case tcp.IP == nil || tcp.IP.IsUnspecified():
		return "every network interface of this machine"
	case tcp.IP.IsLoopback():
		return ""
	}
	return "an address other machines may reach"
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
