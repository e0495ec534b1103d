package jirasim

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// Jira Cloud's burst limits (reference §6): a token bucket per tenant per
// endpoint and method, refilled at the endpoint's rate and holding one
// second of it. An endpoint is a route of the simulator (a path template
// such as GET /rest/api/3/project/{key}/permissionscheme), so requests for
// different projects share one bucket. A request that finds its bucket
// empty is answered 429 with Retry-After (whole seconds until a token is
// back, at least 1), X-RateLimit-Limit (the rate), X-RateLimit-Remaining 0,
// X-RateLimit-Reset and RateLimit-Reason: jira-burst-based, and the error
// body of its API.

// burstRates are the per-second defaults by method, then the documented
// overrides by method and route pattern (below the base path).
var (
	burstDefault = map[string]float64{
		http.MethodGet: 100, http.MethodPost: 100, http.MethodPut: 50, http.MethodDelete: 50,
	}
	burstOverride = map[string]float64{
		"GET " + jsmPrefix + "/servicedesk/{id}/customer":               5,
		"POST " + platformPrefix + "/permissionscheme/{sid}/permission": 100,
		"GET " + platformPrefix + "/project/{key}/role/{id}":            200,
		"GET " + platformPrefix + "/user":                               150,
	}
)

// burstRate is the rate of a route pattern ("METHOD /path").
func burstRate(method, pattern string) float64 {
	if r, ok := burstOverride[pattern]; ok {
		return r
	}
	if r, ok := burstDefault[method]; ok {
		return r
	}
	return 100
}

// bucket is one endpoint's token bucket.
type bucket struct {
	tokens float64
	at     time.Time // when tokens was computed
}

// burstLimiter holds the buckets; it is guarded by Server.mu.
type burstLimiter struct {
	on       bool
	buckets  map[string]*bucket
	rejected int
}

// take spends a token of the pattern's bucket at now, or reports how long
// until one is back.
func (l *burstLimiter) take(method, pattern string, now time.Time) (ok bool, wait time.Duration, rate float64) {
	rate = burstRate(method, pattern)
	b := l.buckets[pattern]
	if b == nil {
		b = &bucket{tokens: rate, at: now}
		l.buckets[pattern] = b
	}
	if el := now.Sub(b.at); el > 0 {
		b.tokens = math.Min(rate, b.tokens+el.Seconds()*rate)
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0, rate
	}
	l.rejected++
	return false, time.Duration((1 - b.tokens) / rate * float64(time.Second)), rate
}

// WithBurstLimits enforces Jira's burst limits from the start (see
// [Server.SetBurstLimits]).
func WithBurstLimits() Option {
	return func(c *config) { c.burst = true }
}

// SetBurstLimits turns the enforcement of Jira's burst limits on or off
// (off by default). Turning it on starts every bucket full. The buckets
// refill on the simulator's clock ([WithClock]), so a test on a fake clock
// advances it instead of sleeping.
func (s *Server) SetBurstLimits(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.burst.on = on
	s.burst.buckets = map[string]*bucket{}
}

// BurstRejections returns how many requests the burst limits have answered
// with 429 so far.
func (s *Server) BurstRejections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.burst.rejected
}

// limitBurst answers the request with 429 when its endpoint's bucket is
// empty, and reports whether it did.
func (s *Server) limitBurst(w http.ResponseWriter, r *http.Request, path string) bool {
	s.mu.Lock()
	if !s.burst.on {
		s.mu.Unlock()
		return false
	}
	probe := r.Clone(r.Context())
	probe.URL.Path, probe.URL.RawPath = path, ""
	_, pattern := s.mux.Handler(probe)
	now := s.cfg.now()
	ok, wait, rate := s.burst.take(r.Method, pattern, now)
	s.mu.Unlock()
	if ok {
		return false
	}
	write429(w, path, wait, int(rate), now)
	return true
}

// write429 is Jira's burst-limit answer.
func write429(w http.ResponseWriter, path string, wait time.Duration, limit int, now time.Time) {
	h := w.Header()
	h.Set("Retry-After", strconv.FormatInt(max(int64(math.Ceil(wait.Seconds())), 1), 10))
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset", now.Add(wait).UTC().Format(time.RFC3339))
	h.Set("RateLimit-Reason", "jira-burst-based")
	apiErr(path, http.StatusTooManyRequests, "Rate limit exceeded.", "sd.jirasim.rate.limited").write(w)
}
