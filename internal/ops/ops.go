// Package ops is what operators see of jsmbot run: the HTTP endpoints on
// JSMBOT_HTTP_ADDR (/healthz, /readyz, /metrics), the Prometheus series
// behind /metrics, and the probe of jsmbot healthcheck.
//
// A new series goes in [Metrics] (registered in [NewMetrics], fed by one
// of its observers) and in README's Observability table, which a test
// keeps in step; a new endpoint goes in [Handler].
package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jsmbot/jsmbot/store"
)

// shutdownBudget bounds the listener's shutdown; it runs while the bot
// drains, so the whole stop stays within the bot's drain budget.
const shutdownBudget = time.Second

// Handler serves the operator endpoints:
//
//   - GET /healthz: 200 while the process serves HTTP (liveness);
//   - GET /readyz: 200 only while the Socket Mode connection is up and the
//     store answers PING, 503 with the reasons otherwise (readiness);
//   - GET /metrics: the Prometheus series of m.
func Handler(m *Metrics, st store.Store) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		var problems []string
		if !m.socketUp() {
			problems = append(problems, "slack socket mode is not connected")
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			// The error may name the server; say only what is wrong.
			problems = append(problems, "store does not answer")
		}
		if len(problems) > 0 {
			http.Error(w, "not ready: "+strings.Join(problems, "; "), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", m.handler())
	return mux
}

// Server is the listener of [Handler].
type Server struct {
	ln  net.Listener
	srv *http.Server
}

// Listen listens on addr (JSMBOT_HTTP_ADDR) at once, so that ":0" works in
// tests and a taken port fails at start rather than later.
func Listen(addr string, h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on JSMBOT_HTTP_ADDR: %w", err)
	}
	return &Server{ln: ln, srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}}, nil
}

// Close releases the listener when Serve never ran.
func (s *Server) Close() { _ = s.ln.Close() }

// Addr is the address it listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve serves until ctx ends, then shuts down within a second. It returns
// nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context) error {
	served := make(chan error, 1)
	go func() { served <- s.srv.Serve(s.ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("health listener: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownBudget)
	defer cancel()
	err := s.srv.Shutdown(shutCtx)
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		_ = s.srv.Close()
		return nil // a slow scrape is not worth failing the stop for
	}
	return err
}

// Healthcheck is the probe of jsmbot healthcheck: GET /healthz at addr
// (JSMBOT_HTTP_ADDR), on its host when it names one and on this host's
// loopback when it listens on all addresses (":8080", "0.0.0.0:8080",
// "[::]:8080"). It returns the URL it
// probed when the answer is 200, and an error saying what failed
// otherwise. It exists for Docker's HEALTHCHECK, since the image has no
// shell or curl.
func Healthcheck(ctx context.Context, addr string) (string, error) {
	if addr == "" {
		return "", errors.New("healthcheck: JSMBOT_HTTP_ADDR is not set, so jsmbot run serves no /healthz")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" || port == "0" {
		return "", errors.New("healthcheck: JSMBOT_HTTP_ADDR must be host:port or :port with a fixed port")
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	u := "http://" + net.JoinHostPort(host, port) + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		// The url.Error's text repeats the method and URL named already.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("healthcheck: %s: %s", u, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("healthcheck: %s answered %s", u, resp.Status)
	}
	return u, nil
}
