package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack/socketmode"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/store"
)

// httpShutdownBudget bounds the health listener's shutdown; it runs while
// the bot drains, so the whole stop stays within the bot's drain budget.
const httpShutdownBudget = time.Second

// opsHandler serves the operator endpoints on JSMBOT_HTTP_ADDR:
//
//   - GET /healthz: 200 while the process serves HTTP (liveness);
//   - GET /readyz: 200 only while the Socket Mode connection is up and the
//     store answers PING, 503 with the reasons otherwise (readiness);
//   - GET /metrics: the Prometheus series of m.
func opsHandler(m *metrics, st store.Store) http.Handler {
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

// opsServer is the listener of opsHandler.
type opsServer struct {
	ln  net.Listener
	srv *http.Server
}

// listenOps listens on addr at once, so that ":0" works in tests and a
// taken port fails at start rather than later.
func listenOps(addr string, h http.Handler) (*opsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on JSMBOT_HTTP_ADDR: %w", err)
	}
	return &opsServer{ln: ln, srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}}, nil
}

// close releases the listener when serve never ran.
func (s *opsServer) close() { _ = s.ln.Close() }

// Addr is the address it listens on.
func (s *opsServer) Addr() string { return s.ln.Addr().String() }

// serve serves until ctx ends, then shuts down within
// httpShutdownBudget. It returns nil after a clean shutdown.
func (s *opsServer) serve(ctx context.Context) error {
	served := make(chan error, 1)
	go func() { served <- s.srv.Serve(s.ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("health listener: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), httpShutdownBudget)
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

// runHealthcheck is jsmbot healthcheck: GET /healthz on this host at the
// port of JSMBOT_HTTP_ADDR, exit 0 on 200 and 1 otherwise. It exists for
// Docker's HEALTHCHECK, since the image has no shell or curl.
func runHealthcheck(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 {
		return &usageError{msg: "healthcheck takes no arguments; it reads JSMBOT_HTTP_ADDR"}
	}
	addr := strings.TrimSpace(getenv("JSMBOT_HTTP_ADDR"))
	if addr == "" {
		return errors.New("healthcheck: JSMBOT_HTTP_ADDR is not set, so jsmbot run serves no /healthz")
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" || port == "0" {
		return errors.New("healthcheck: JSMBOT_HTTP_ADDR must be host:port or :port with a fixed port")
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	u := "http://" + net.JoinHostPort("127.0.0.1", port) + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %s: %w", u, rootCauseErr(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", u, resp.Status)
	}
	fmt.Fprintf(stdout, "ok: %s\n", u)
	return nil
}

// rootCauseErr is rootCause as an error.
func rootCauseErr(err error) error { return errors.New(rootCause(err)) }

// serveOptions are the optional parts of serveSlack.
type serveOptions struct {
	observer      bot.Observer
	socketOptions []socketmode.Option
	sidecars      []func(context.Context) error // run beside the bot until ctx ends
}

type serveOption func(*serveOptions)

// withOps feeds m from the bot and its socket and, when ops is not nil,
// serves it beside the bot.
func withOps(m *metrics, ops *opsServer) serveOption {
	return func(o *serveOptions) {
		o.observer = m.botObserver()
		o.socketOptions = append(o.socketOptions, socketmode.OptionDialer(m.dialer()))
		if ops != nil {
			o.sidecars = append(o.sidecars, ops.serve)
		}
	}
}
