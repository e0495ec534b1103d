package slacksim

import (
	"fmt"
	"net"
	"net/http"
	"sync"
)

// loopback is the simulator's HTTP server on a loopback port. It does what
// httptest.Server did for the simulator (listen at once, wait for the
// requests in flight on Close) without linking net/http/httptest and
// testing into a binary that runs the simulator, such as jsmbot demo.
type loopback struct {
	url    string // http://127.0.0.1:port
	ln     net.Listener
	srv    *http.Server
	served chan struct{} // closed when Serve returned

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]http.ConnState // not yet closed or hijacked
	open   sync.WaitGroup              // one per entry of conns
}

// listenLoopback serves h on a free loopback port. Like httptest, it
// panics when no port can be had: there is nothing a test could do.
func listenLoopback(h http.Handler) *loopback {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		if ln, err = net.Listen("tcp6", "[::1]:0"); err != nil {
			panic(fmt.Sprintf("slacksim: cannot listen on a loopback port: %v", err))
		}
	}
	l := &loopback{
		url:    "http://" + ln.Addr().String(),
		ln:     ln,
		served: make(chan struct{}),
		conns:  map[net.Conn]http.ConnState{},
	}
	l.srv = &http.Server{Handler: h, ConnState: l.track}
	go func() {
		_ = l.srv.Serve(ln) // returns once close closes the listener
		close(l.served)
	}()
	return l
}

// track follows each connection's state, so that close can drop the idle
// ones and wait for the busy ones.
func (l *loopback) track(c net.Conn, st http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch st {
	case http.StateNew:
		l.open.Add(1)
		l.conns[c] = st
		if l.closed {
			_ = c.Close()
		}
	case http.StateActive:
		if _, ok := l.conns[c]; ok {
			l.conns[c] = st
		}
	case http.StateIdle:
		if _, ok := l.conns[c]; ok {
			l.conns[c] = st
		}
		if l.closed {
			_ = c.Close()
		}
	case http.StateHijacked, http.StateClosed:
		// A hijacked connection (a socket) is the simulator's to close.
		if _, ok := l.conns[c]; ok {
			delete(l.conns, c)
			l.open.Done()
		}
	}
}

// close stops accepting, closes idle connections, lets the requests in
// flight finish and waits for them, as httptest.Server.Close does.
func (l *loopback) close() {
	_ = l.ln.Close()
	<-l.served // no connection is accepted after this
	l.mu.Lock()
	l.closed = true
	l.srv.SetKeepAlivesEnabled(false)
	for c, st := range l.conns {
		if st == http.StateIdle || st == http.StateNew {
			_ = c.Close()
		}
	}
	l.mu.Unlock()
	// Clients of this process must not keep connections to a closed server.
	if t, ok := http.DefaultTransport.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
	l.open.Wait()
}
