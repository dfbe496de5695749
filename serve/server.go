package serve

import (
	"context"
	"log"
	"net"
	"net/http"
	"strconv"
	"time"
)

// WatchEvery is how often Serve looks whether the checkpoint has changed,
// so that a new version is loaded, or its failure logged, when it is
// written rather than at the next request.
const WatchEvery = 2 * time.Second

// Serve serves h on ln with timeouts fit for the open network, until ctx
// ends; it then finishes the requests in flight (5 seconds at most) and
// returns nil. addr is the address as the user gave it, for the log: a
// listener that other machines may reach is logged as a warning unless
// the handler requires a token. Errors of the server go to logger too.
func (h *Handler) Serve(ctx context.Context, ln net.Listener, addr string, logger *log.Logger) error {
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
	if where := NetworkReach(ln.Addr()); where != "" && logger != nil {
		// The address as given, with the port chosen.
		shown := ln.Addr().String()
		if host, _, err := net.SplitHostPort(addr); err == nil {
			if tcp, ok := ln.Addr().(*net.TCPAddr); ok {
				shown = net.JoinHostPort(host, strconv.Itoa(tcp.Port))
			}
		}
		if !h.hasToken {
			logger.Printf("warning: listening on %s, %s: anyone who can reach it can use the page and the API, "+
				"with no authentication; give --token TOKEN to require one, or --addr 127.0.0.1:8080 to serve this machine only",
				shown, where)
		} else {
			logger.Printf("listening on %s, %s: requests need the token, which travels unencrypted (plain HTTP)", shown, where)
		}
	}
	watch, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go func() {
		tick := time.NewTicker(WatchEvery)
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
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		hs.Close()
	}
	<-served
	return nil
}

// NetworkReach says how a listener is reachable from other machines: ""
// for a loopback address.
func NetworkReach(a net.Addr) string {
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

// ListenURL is the address to open in a browser: a server listening on
// all interfaces is reached on this machine as 127.0.0.1.
func ListenURL(a net.Addr) string {
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
