// Package loopback is the simulators' HTTP server: a listener on a free
// loopback port and an http.Server of its own. It does what
// httptest.Server does for them (bind at once, wait for the requests in
// flight on Close) without linking net/http/httptest and testing into a
// binary that runs a simulator, such as jsmbot demo.
//
// Both simulators (jira/jirasim and bot/slacksim) serve through it; a
// third one would too. Behaviour a simulator needs of its server beyond
// this (routes, sockets) belongs to the simulator.
package loopback

import (
	"fmt"
	"net"
	"net/http"
	"sync"
)

// Server serves one handler on a loopback port. Create it with [New],
// serve with [Server.Start], and stop with [Server.Close].
type Server struct {
	ln     net.Listener
	srv    *http.Server
	served chan struct{} // closed when Serve has returned

	mu      sync.Mutex
	running bool // Start ran
	closed  bool // Close began
	conns   map[net.Conn]http.ConnState
	open    sync.WaitGroup // one per connection not yet closed or hijacked

	closeOnce sync.Once
}

// New binds a free loopback port, IPv4 first; nothing is served until
// Start, so the caller may learn the address first.
func New(h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		var err6 error
		if ln, err6 = net.Listen("tcp6", "[::1]:0"); err6 != nil {
			return nil, fmt.Errorf("listen on loopback: %w", err)
		}
	}
	s := &Server{ln: ln, served: make(chan struct{}), conns: map[net.Conn]http.ConnState{}}
	s.srv = &http.Server{Handler: h, ConnState: s.track}
	return s, nil
}

// Addr is the host:port the server is bound to.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is http://host:port.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Start serves connections in the background.
func (s *Server) Start() {
	s.mu.Lock()
	s.running = true
	s.mu.Unlock()
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(s.ln) // ends with the listener's close error
	}()
}

// track follows every connection's state, so Close can drop idle ones and
// wait for busy ones. The server calls it for StateNew in its accept loop,
// before serving the connection. A hijacked connection (a WebSocket) is
// its handler's to close.
func (s *Server) track(c net.Conn, st http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st {
	case http.StateNew:
		s.open.Add(1)
		s.conns[c] = st
		if s.closed {
			_ = c.Close()
		}
	case http.StateClosed, http.StateHijacked:
		if _, ok := s.conns[c]; ok {
			delete(s.conns, c)
			s.open.Done()
		}
	default:
		if _, ok := s.conns[c]; ok {
			s.conns[c] = st
		}
		if st == http.StateIdle && s.closed {
			_ = c.Close()
		}
	}
}

// Close stops accepting, closes connections that carry no request (idle
// keep-alive connections, and connections a client opened but has not
// used, which http.Server.Shutdown would wait five seconds for), ends
// keep-alive on the busy ones and waits until they have answered. It is
// idempotent; a second caller waits for the first.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.srv.SetKeepAlivesEnabled(false)
		_ = s.ln.Close()
		s.mu.Lock()
		started := s.running
		s.mu.Unlock()
		if started {
			<-s.served // no connection is accepted after this
		}
		s.mu.Lock()
		s.closed = true
		for c, st := range s.conns {
			if st == http.StateIdle || st == http.StateNew {
				_ = c.Close()
			}
		}
		s.mu.Unlock()
		// The clients' transports are left alone: they see the idle
		// connections closed and drop them. Closing http.DefaultTransport's
		// idle connections from here broke requests that parallel tests
		// were sending to other servers through it.
		s.open.Wait()
	})
}
