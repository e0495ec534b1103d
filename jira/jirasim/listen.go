package jirasim

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
)

// The simulator serves itself: a loopback listener and an http.Server of
// its own, and an in-process response recorder for [Server.Client]. It does
// not use net/http/httptest (nor testing), so a binary that links the
// simulator for its demo does not link the test packages.

// listener is the simulator's loopback HTTP server. Close waits for the
// requests in flight, as the simulator's users rely on (a test's cleanup
// must not leave a handler running).
type listener struct {
	ln     net.Listener
	srv    *http.Server
	served chan struct{} // closed when Serve has returned

	mu      sync.Mutex
	running bool // start ran
	conns   map[net.Conn]http.ConnState
	open    sync.WaitGroup // one per connection not yet closed

	closeOnce sync.Once
}

// listenLoopback listens on an ephemeral loopback port, IPv4 first.
func listenLoopback() (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err == nil {
		return ln, nil
	}
	if ln6, err6 := net.Listen("tcp6", "[::1]:0"); err6 == nil {
		return ln6, nil
	}
	return nil, fmt.Errorf("listen on loopback: %w", err)
}

// newListener binds a loopback port; nothing is served until start.
func newListener(h http.Handler) (*listener, error) {
	ln, err := listenLoopback()
	if err != nil {
		return nil, err
	}
	l := &listener{ln: ln, served: make(chan struct{}), conns: map[net.Conn]http.ConnState{}}
	l.srv = &http.Server{Handler: h, ConnState: l.track}
	return l, nil
}

// addr is the host:port the listener is bound to.
func (l *listener) addr() string { return l.ln.Addr().String() }

// start serves connections in the background.
func (l *listener) start() {
	l.mu.Lock()
	l.running = true
	l.mu.Unlock()
	go func() {
		defer close(l.served)
		l.srv.Serve(l.ln) //nolint:errcheck // ends with the listener's close error
	}()
}

// track follows every connection's state, so close can drop idle ones and
// wait for busy ones. The server calls it for StateNew in its accept loop,
// before serving the connection, so once Serve has returned no connection
// can be added.
func (l *listener) track(c net.Conn, st http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch st {
	case http.StateNew:
		l.open.Add(1)
		l.conns[c] = st
	case http.StateClosed, http.StateHijacked:
		if _, ok := l.conns[c]; ok {
			delete(l.conns, c)
			l.open.Done()
		}
	default:
		if _, ok := l.conns[c]; ok {
			l.conns[c] = st
		}
	}
}

// close stops accepting, closes connections that carry no request (idle
// keep-alive connections, and connections a client opened but has not used,
// which http.Server.Shutdown would wait five seconds for), ends keep-alive
// on the busy ones and waits until they have answered. It is idempotent; a
// second caller waits for the first.
func (l *listener) close() {
	l.closeOnce.Do(func() {
		l.srv.SetKeepAlivesEnabled(false)
		l.ln.Close()
		if l.started() {
			<-l.served
		}
		l.mu.Lock()
		for c, st := range l.conns {
			if st == http.StateIdle || st == http.StateNew {
				c.Close()
			}
		}
		l.mu.Unlock()
		l.open.Wait()
	})
}

// started reports whether start ran; before it, no Serve goroutine exists
// to wait for.
func (l *listener) started() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.running
}

// recorder is the http.ResponseWriter of an in-process request: it keeps
// the status, the headers as they were when the status was written, and the
// body.
type recorder struct {
	header  http.Header
	code    int
	written http.Header // header snapshot at WriteHeader
	body    bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.code != 0 {
		return
	}
	r.code = code
	r.written = r.header.Clone()
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// result is the answer as a client receives it.
func (r *recorder) result(req *http.Request) *http.Response {
	r.WriteHeader(http.StatusOK)
	body := r.body.Bytes()
	h := r.written
	if h.Get("Content-Length") == "" && len(body) > 0 {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	return &http.Response{
		Status:        strconv.Itoa(r.code) + " " + http.StatusText(r.code),
		StatusCode:    r.code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}
