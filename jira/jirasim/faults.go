package jirasim

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// fault is one FailNext rule.
type fault struct {
	method     string
	pathPrefix string
	remaining  int
	status     int
	header     http.Header
}

// rateLimit is the state of RateLimit.
type rateLimit struct {
	remaining  int
	retryAfter time.Duration
}

// FailNext makes the next n requests whose method equals method ("" for
// any) and whose path (below the base path, without the query) starts with
// pathPrefix answer status with Jira's error body: the JSM ErrorResponse
// shape for /rest/servicedeskapi paths, the platform ErrorCollection
// otherwise. The headers in header are added to those answers as given; for
// a realistic 429 or 503 pass Retry-After and friends yourself, or use
// [Server.RateLimit]. Rules are consumed in the order they were added; the
// request log still records each failed request. Faults apply only to
// authenticated requests under the base path.
func (s *Server) FailNext(method, pathPrefix string, n int, status int, header http.Header) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{
		method:     method,
		pathPrefix: pathPrefix,
		remaining:  n,
		status:     status,
		header:     header.Clone(),
	})
}

// RateLimit makes the next n requests (any method, any path) answer 429 as
// Jira's burst limiter does: Retry-After (seconds, rounded up),
// X-RateLimit-Limit, X-RateLimit-Remaining: 0, X-RateLimit-Reset (ISO 8601,
// now + retryAfter), RateLimit-Reason: jira-burst-based, and the error body
// of the API: the platform ErrorCollection, or JSM's ErrorResponse under
// /rest/servicedeskapi (what the body of a real 429 looks like is not
// documented; every error of an API has that API's shape here). It replaces any earlier RateLimit that has not run out. Rate
// limiting is checked before [Server.FailNext] rules.
func (s *Server) RateLimit(n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimit = rateLimit{remaining: max(n, 0), retryAfter: retryAfter}
}

// injectFault answers the request with a pending rate limit or fault and
// reports whether it did.
func (s *Server) injectFault(w http.ResponseWriter, method, path string) bool {
	s.mu.Lock()
	if s.rateLimit.remaining > 0 {
		s.rateLimit.remaining--
		ra := s.rateLimit.retryAfter
		s.mu.Unlock()
		h := w.Header()
		h.Set("Retry-After", strconv.FormatInt(int64(math.Ceil(ra.Seconds())), 10))
		h.Set("X-RateLimit-Limit", "100")
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset", s.cfg.now().Add(ra).UTC().Format(time.RFC3339))
		h.Set("RateLimit-Reason", "jira-burst-based")
		apiErr(path, http.StatusTooManyRequests, "Rate limit exceeded.", "sd.jirasim.rate.limited").write(w)
		return true
	}
	var hit *fault
	for i, f := range s.faults {
		if (f.method == "" || strings.EqualFold(f.method, method)) && strings.HasPrefix(path, f.pathPrefix) {
			hit = f
			f.remaining--
			if f.remaining == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			break
		}
	}
	s.mu.Unlock()
	if hit == nil {
		return false
	}
	for k, vs := range hit.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	msg := http.StatusText(hit.status)
	if msg == "" {
		msg = "Injected failure"
	}
	msg += " (injected by jirasim)."
	apiErr(path, hit.status, msg, "sd.jirasim.injected.fault").write(w)
	return true
}

// isJSM reports whether path (below the base path) belongs to the JSM API.
func isJSM(path string) bool {
	return path == jsmPrefix || strings.HasPrefix(path, jsmPrefix+"/")
}
