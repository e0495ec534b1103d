package jirasim

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jsmbot/jsmbot/internal/loopback"
)

// Default credentials accepted by Basic auth unless [WithCredentials] says
// otherwise. DefaultEmail is also the email address of the admin account
// ([AdminAccountID]) that the credentials log in as.
const (
	DefaultEmail = "admin@example.com"
	DefaultToken = "sim-api-token"
)

// DefaultBasePath is the path under which the simulator mounts both APIs. It
// mimics the api.atlassian.com gateway path of a scoped token or OAuth app,
// so code that drops the base path of its configured URL fails loudly.
const DefaultBasePath = "/ex/jira/11111111-2222-3333-4444-555555555555"

// defaultPageSize is small so that every test exercises pagination.
const defaultPageSize = 2

// maxBodyBytes bounds every request body the simulator reads.
const maxBodyBytes = 1 << 20

// Server is a running Jira Cloud + JSM simulator. Create it with [New] or
// [NewServer]; all its methods are safe for concurrent use.
type Server struct {
	// URL is the root of the simulated site: scheme://host:port followed by
	// the base path, without a trailing slash. The platform API lives under
	// URL+"/rest/api/3", JSM under URL+"/rest/servicedeskapi".
	URL string

	ln  *loopback.Server
	cfg config
	mux *http.ServeMux

	mu           sync.Mutex // guards everything below
	changeAuthor string     // author of the helpers' changes
	st           *state
	faults       []*fault
	rateLimit    rateLimit
	burst        burstLimiter
	log          []*Request
	oauth        oauthState

	latency time.Duration
}

// config holds the options; defaults are set in one place, [New].
type config struct {
	basePath  string
	email     string
	token     string
	latency   time.Duration
	pageSize  int
	scenarios []Scenario
	fleet     *Fleet
	now       func() time.Time
	burst     bool

	clientID, clientSecret string
	tokenLifetime          time.Duration
	tokenScopes            string
}

// Option configures a [Server] at construction.
type Option func(*config)

// WithBasePath mounts the APIs under p instead of [DefaultBasePath]. An empty
// p (or "/") mounts them at the root, as on a *.atlassian.net site URL.
func WithBasePath(p string) Option {
	return func(c *config) { c.basePath = "/" + strings.Trim(p, "/") }
}

// WithCredentials sets the email and API token that Basic auth accepts. The
// admin account gets that email address.
func WithCredentials(email, token string) Option {
	return func(c *config) { c.email, c.token = email, token }
}

// WithLatency makes every request wait d before it is answered (see
// [Server.SetLatency]).
func WithLatency(d time.Duration) Option {
	return func(c *config) { c.latency = d }
}

// WithPageSize caps the page size of every paged operation at n, below
// Jira's own caps (100 for project search, 50 by default for JSM). The
// default is 2 so that tests exercise paging; values below 1 are ignored.
func WithPageSize(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.pageSize = n
		}
	}
}

// WithClock makes the simulator read the time from now instead of
// time.Now: the created time of audit records (and the refill of burst
// limits). Pass a fake clock's Now so that tests need no sleeping.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithSeed replaces the default seed ([SeedAll]) with the given scenarios.
// WithSeed() with no argument leaves an empty site: the admin account, the
// owner account ([OwnerAccountID]), the site's project roles and the
// Default Permission Scheme only. It replaces any [WithFleet].
func WithSeed(scenarios ...Scenario) Option {
	return func(c *config) {
		c.scenarios = append([]Scenario(nil), scenarios...)
		c.fleet = nil
	}
}

// New starts a simulator on a loopback port of its own. The caller must
// call [Server.Close]. It panics if it cannot listen or a scenario name is
// unknown.
func New(opts ...Option) *Server {
	cfg := config{
		basePath:  DefaultBasePath,
		email:     DefaultEmail,
		token:     DefaultToken,
		pageSize:  defaultPageSize,
		scenarios: []Scenario{SeedAll},
		now:       time.Now,

		clientID:      DefaultClientID,
		clientSecret:  DefaultClientSecret,
		tokenLifetime: DefaultTokenLifetime,
		tokenScopes:   DefaultTokenScopes,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.basePath == "/" {
		cfg.basePath = ""
	}
	s := &Server{cfg: cfg, latency: cfg.latency, changeAuthor: OwnerAccountID}
	s.oauth = oauthState{lifetime: cfg.tokenLifetime, expiry: map[string]time.Time{}}
	s.burst = burstLimiter{on: cfg.burst, buckets: map[string]*bucket{}}
	s.mux = s.routes()
	// Seed before serving: the URL (needed for self links) is known once the
	// listener exists, and no request may see a half-built site.
	ln, err := loopback.New(http.HandlerFunc(s.ServeHTTP))
	if err != nil {
		panic("jirasim: " + err.Error())
	}
	s.ln = ln
	s.URL = ln.URL() + cfg.basePath
	s.st = newState(s.URL, cfg.email, cfg.now)
	for _, sc := range cfg.scenarios {
		if err := s.st.seed(sc); err != nil {
			ln.Close()
			panic("jirasim: " + err.Error())
		}
	}
	if cfg.fleet != nil {
		if err := s.st.seedFleet(*cfg.fleet); err != nil {
			ln.Close()
			panic("jirasim: " + err.Error())
		}
	}
	s.st.recording = true
	ln.Start()
	return s
}

// TB is the part of testing.TB that [NewServer] uses; *testing.T and
// *testing.B satisfy it. It is an interface of its own so that the
// simulator does not import the testing package.
type TB interface {
	Helper()
	Cleanup(func())
}

// NewServer is [New] plus tb.Cleanup(s.Close).
func NewServer(tb TB, opts ...Option) *Server {
	tb.Helper()
	s := New(opts...)
	tb.Cleanup(s.Close)
	return s
}

// Close shuts the server down and blocks until all outstanding requests on
// it have completed. Idle connections are closed at once. Calling it again
// does nothing.
func (s *Server) Close() { s.ln.Close() }

// SetLatency makes every request that arrives from now on wait d before it
// is answered. The wait uses a plain timer (fake time inside a
// testing/synctest bubble) and ends early when the request's context is done.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Client returns an HTTP client whose transport hands each request straight
// to the simulator in the calling goroutine, without a socket. Responses are
// the same as over the network (the request's host is ignored). Use it
// inside testing/synctest bubbles, where waiting on a real socket would stop
// the fake clock.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: inProcessTransport{h: s}}
}

// ServeHTTP serves one request exactly as the simulator's own listener does. It lets
// tests mount the simulator in their own server or call it in-process.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w}
	s.serve(rec, r)
}

// serve runs the request pipeline: log, latency, base path, auth, injected
// faults, then the route.
func (s *Server) serve(w *statusRecorder, r *http.Request) {
	body, bodyErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	path, underBase := s.stripBasePath(r.URL.Path)

	entry := s.logBegin(r, path, body)
	defer func() { s.logEnd(entry, w.status()) }()

	s.mu.Lock()
	d := s.latency
	s.mu.Unlock()
	if err := sleep(r.Context(), d); err != nil {
		// The client gave up; nobody reads this answer.
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}

	if s.serveRoot(w, r, body) {
		return
	}
	if !underBase {
		platformErr(http.StatusNotFound, "No resource found for path "+r.URL.Path+".").write(w)
		return
	}
	if !s.authenticated(r) {
		// The JSM document gives its 401s the ErrorResponse body; the
		// platform's is the ErrorCollection.
		apiErr(path, http.StatusUnauthorized, msgNotAuthenticated, "sd.jirasim.not.authenticated").write(w)
		return
	}
	if s.limitBurst(w, r, path) {
		return
	}
	if s.injectFault(w, r.Method, path) {
		return
	}
	if bodyErr != nil {
		var mbe *http.MaxBytesError
		if errors.As(bodyErr, &mbe) {
			apiErr(path, http.StatusRequestEntityTooLarge, "Request body too large.", "sd.jirasim.body.too.large").write(w)
			return
		}
		apiErr(path, http.StatusBadRequest, "Could not read the request body.", "sd.jirasim.body.unreadable").write(w)
		return
	}

	r2 := r.Clone(r.Context())
	r2.URL.Path = path
	r2.URL.RawPath = ""
	r2.Body = io.NopCloser(bytes.NewReader(body))
	s.mux.ServeHTTP(w, r2)
}

// stripBasePath reports the path below the base path and whether p was
// under it at all.
func (s *Server) stripBasePath(p string) (string, bool) {
	if s.cfg.basePath == "" {
		return p, true
	}
	rest, ok := strings.CutPrefix(p, s.cfg.basePath)
	if !ok || (rest != "" && rest[0] != '/') {
		return p, false
	}
	return rest, true
}

// authenticated checks Basic credentials in constant time, or a Bearer
// token from the token endpoint (see oauth.go).
func (s *Server) authenticated(r *http.Request) bool {
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return s.bearerValid(bearer)
	}
	email, token, ok := r.BasicAuth()
	if !ok {
		return false
	}
	e := subtle.ConstantTimeCompare([]byte(email), []byte(s.cfg.email))
	t := subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.token))
	return e&t == 1
}

// sleep waits d or until ctx is done. It uses time.NewTimer so that it runs
// on the fake clock inside a synctest bubble.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// statusRecorder remembers the status written, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// inProcessTransport serves requests by calling the simulator directly.
type inProcessTransport struct{ h http.Handler }

func (t inProcessTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := req.Context().Err(); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	// Server-side view of the request: a body that is never nil, and the
	// RequestURI an incoming request would carry.
	in := req.Clone(req.Context())
	if in.Body == nil {
		in.Body = http.NoBody
	}
	in.RequestURI = req.URL.RequestURI()
	in.RemoteAddr = "127.0.0.1:1"
	rec := newRecorder()
	t.h.ServeHTTP(rec, in)
	in.Body.Close()
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	return rec.result(req), nil
}
