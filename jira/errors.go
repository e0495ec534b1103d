package jira

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
)

// Sentinel errors for the kinds of failure callers act on. They match an
// [*APIError] through errors.Is; they are never returned bare.
var (
	ErrBadRequest   = errors.New("jira: bad request")
	ErrUnauthorized = errors.New("jira: unauthorized")
	ErrForbidden    = errors.New("jira: forbidden")
	ErrNotFound     = errors.New("jira: not found")
	ErrRateLimited  = errors.New("jira: rate limited")
)

// APIError is a non-2xx answer from Jira.
type APIError struct {
	StatusCode int
	// Method and Path name the request; Path is below the base URL and
	// carries no query string.
	Method string
	Path   string
	// Messages holds Jira's errorMessages, or JSM's errorMessage.
	Messages []string
	// Errors maps a field to what is wrong with it (platform API only).
	Errors map[string]string
	// RetryAfter is how long Jira asked us to wait (429 and some 503).
	RetryAfter time.Duration
	// RateLimitReason is Jira's RateLimit-Reason header, e.g.
	// jira-burst-based.
	RateLimitReason string
	// NotJSON: the body was not JSON, so the answer likely came from
	// something other than Jira's REST API (a proxy, a login page, the
	// site's web pages at a wrong base path).
	NotJSON bool
}

// TransportError is a request that got no answer from Jira: the connection
// could not be made or broke, the client's timeout passed, or ctx ended. It
// tells a caller that the failure was Jira's side of the wire and not
// another component's; errors.Is and errors.As see the cause (a net.Error,
// context.DeadlineExceeded, context.Canceled) through it.
type TransportError struct {
	// Method and Path name the request as for [APIError].
	Method string
	Path   string
	// Err is the cause.
	Err error
}

// Error reads like "jira: GET /rest/api/3/myself: dial tcp 127.0.0.1:1:
// connect: connection refused".
func (e *TransportError) Error() string {
	return fmt.Sprintf("jira: %s %s: %v", e.Method, e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// Error reads like "jira: GET /rest/api/3/project/X: 404 Not Found: No
// project could be found with key 'X'.".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "jira: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	details := slices.Clone(e.Messages)
	for _, k := range slices.Sorted(maps.Keys(e.Errors)) {
		details = append(details, k+": "+e.Errors[k])
	}
	if len(details) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(details, "; "))
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) and the other sentinels work from the
// status code.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// Retryable reports whether the same request may succeed later without any
// change: rate limiting and temporary unavailability.
func (e *APIError) Retryable() bool {
	switch e.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// errorBody covers both error shapes: the platform's ErrorCollection and
// JSM's ErrorResponse.
type errorBody struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
	ErrorMessage  string            `json:"errorMessage"`
}

// checkResponse is the one place an answer becomes an error. path is the
// request path below the base URL, without its query. A 2xx answer with a
// body that is not JSON is a [*BadResponseError]: resty would leave the
// result empty, and an empty project would be reported as one.
func checkResponse(resp *resty.Response, method, path string) error {
	if resp == nil || resp.RawResponse == nil {
		return errors.New("jira: no response")
	}
	if code := resp.StatusCode(); code >= 200 && code < 300 {
		if len(bytes.TrimSpace(resp.Body())) > 0 && !isJSON(resp.Header().Get("Content-Type")) {
			return &BadResponseError{Method: method, Path: path, StatusCode: code, ContentType: mediaType(resp.Header().Get("Content-Type"))}
		}
		return nil
	}
	e := &APIError{
		StatusCode:      resp.StatusCode(),
		Method:          method,
		Path:            path,
		RateLimitReason: resp.Header().Get("RateLimit-Reason"),
		RetryAfter:      retryAfter(resp.Header(), time.Now()),
	}
	var body errorBody
	if err := json.Unmarshal(resp.Body(), &body); err != nil {
		e.NotJSON = true
	} else {
		e.Messages = body.ErrorMessages
		if body.ErrorMessage != "" {
			e.Messages = append(e.Messages, body.ErrorMessage)
		}
		if len(body.Errors) > 0 {
			e.Errors = body.Errors
		}
	}
	return e
}

// sanitizePath keeps only the path of a request URL: queries may hold
// email addresses, and the host is the same for every call.
func sanitizePath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "?"
	}
	return u.Path
}
