package jirasim

import (
	"net/http"
	"net/url"
	"slices"
)

// Request is one entry of the request log.
type Request struct {
	Method string
	// Path is the URL path without the base path and without the query. A
	// request outside the base path is logged with its full path.
	Path  string
	Query url.Values
	// Header is a copy of the request headers without Authorization.
	Header http.Header
	Body   []byte
	// Status is the status code the simulator answered with (0 while the
	// request is still being served).
	Status int
}

// clone returns a deep copy.
func (r *Request) clone() Request {
	c := *r
	c.Query = cloneValues(r.Query)
	c.Header = r.Header.Clone()
	c.Body = slices.Clone(r.Body)
	return c
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = slices.Clone(vs)
	}
	return c
}

// Requests returns a copy of the request log in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.log))
	for i, r := range s.log {
		out[i] = r.clone()
	}
	return out
}

// ResetRequests empties the request log. Requests still being served when it
// is called do not reappear.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

// logBegin appends an entry at arrival, so the log is in arrival order even
// when answers complete out of order.
func (s *Server) logBegin(r *http.Request, path string, body []byte) *Request {
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Del("Authorization")
	var b []byte
	if len(body) > 0 {
		b = slices.Clone(body)
	}
	e := &Request{
		Method: r.Method,
		Path:   path,
		Query:  r.URL.Query(),
		Header: h,
		Body:   b,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, e)
	return e
}

// logEnd records the status of an entry.
func (s *Server) logEnd(e *Request, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.Status = status
}
