package faulttest

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"sync"
	"sync/atomic"
	"time"
)

// gate fronts jirasim: it holds the nth request that match selects, and
// can delay every write. The held request reaches Jira only if release is
// closed while its client still waits; when the client dies first, it
// never does (gone is closed), as a request cut by a crash.
type gate struct {
	match func(*http.Request) bool
	nth   int
	// latency delays every write (not the reads) that arrives after it is
	// set, as a slow Jira would, so that a write sequence takes seconds
	// while its diagnoses do not. A write whose client gives up while it
	// waits still reaches Jira, as one Jira had already received would.
	latency atomic.Int64

	mu       sync.Mutex
	seen     int
	answered chan struct{} // closed when the first matching request was answered
	held     chan struct{} // closed when the nth matching request arrived
	gone     chan struct{} // closed when the held request's client went away
	release  chan struct{} // close to let the held request through
	once     sync.Once
}

func newGate(match func(*http.Request) bool, nth int) *gate {
	return &gate{
		match: match, nth: nth,
		answered: make(chan struct{}), held: make(chan struct{}),
		gone: make(chan struct{}), release: make(chan struct{}),
	}
}

// open lets a held request through; call it at the end of the test too.
func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

func (g *gate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the body first: only then does the server watch the
		// connection, so that the request's context ends when the client
		// dies.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		n := 0
		if g.match != nil && g.match(r) {
			g.mu.Lock()
			g.seen++
			n = g.seen
			g.mu.Unlock()
		}
		if n > 0 && n == g.nth {
			close(g.held)
			select {
			case <-g.release:
			case <-r.Context().Done():
				close(g.gone)
				return
			}
		}
		if d := time.Duration(g.latency.Load()); d > 0 && isWrite(r.Method, r.URL.Path) {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
			}
		}
		next.ServeHTTP(w, r)
		if n == 1 {
			close(g.answered)
		}
	})
}

// Jira's write endpoints, as the front sees them (base path included).
var (
	grantPost  = regexp.MustCompile(`/rest/api/3/permissionscheme/\d+/permission$`)
	assignPut  = regexp.MustCompile(`/rest/api/3/project/[^/]+/permissionscheme$`)
	schemePost = regexp.MustCompile(`/rest/api/3/permissionscheme$`)
)

// isGrantPost matches a request that adds a grant.
func isGrantPost(r *http.Request) bool {
	return r.Method == http.MethodPost && grantPost.MatchString(r.URL.Path)
}

// isAssignment matches a request that assigns a project's scheme.
func isAssignment(r *http.Request) bool {
	return r.Method == http.MethodPut && assignPut.MatchString(r.URL.Path)
}

// isSchemeCreate matches a request that creates a permission scheme.
func isSchemeCreate(r *http.Request) bool {
	return r.Method == http.MethodPost && schemePost.MatchString(r.URL.Path)
}

// isAnyWrite matches every write to Jira.
func isAnyWrite(r *http.Request) bool { return isWrite(r.Method, r.URL.Path) }

// barrier fronts jirasim: the first n requests that match wait until all
// n have arrived, then go on together; later ones pass.
type barrier struct {
	match func(*http.Request) bool
	n     int

	mu   sync.Mutex
	seen int
	all  chan struct{} // closed when the nth arrived
}

func newBarrier(match func(*http.Request) bool, n int) *barrier {
	return &barrier{match: match, n: n, all: make(chan struct{})}
}

func (b *barrier) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b.match(r) {
			b.mu.Lock()
			b.seen++
			n := b.seen
			if n == b.n {
				close(b.all)
			}
			b.mu.Unlock()
			if n <= b.n {
				select {
				case <-b.all:
				case <-r.Context().Done():
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}
