package jira

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
)

// retryPolicy decides which answers are retried and how long to wait. It is
// the one place the policy lives; resty only runs the loop.
type retryPolicy struct {
	maxRetries int
	maxWait    time.Duration
}

// retry reports whether an attempt will be repeated. resty's own default
// (retry on transport errors) is replaced by any condition, so transport
// errors are handled here too. It answers false for the last attempt and
// for an answer asking for a wait beyond the budget (the caller then gets
// the 429 with its RetryAfter), because resty runs its retry hooks, and so
// our retry log and Observer.Retry, whenever this says true.
func (p retryPolicy) retry(resp *resty.Response, err error) bool {
	if resp != nil && resp.Request != nil && resp.Request.Attempt > p.maxRetries {
		return false
	}
	if err != nil {
		// A cancelled or expired context is final; resty checks it too,
		// but only after the attempt.
		if resp == nil || resp.Request == nil || resp.Request.Context().Err() != nil {
			return false
		}
		return retryableTransport(resp.Request.Method, err)
	}
	if resp == nil || resp.RawResponse == nil {
		return false
	}
	return retryableStatus(resp.Request.Method, resp.StatusCode()) &&
		retryAfter(resp.Header(), time.Now()) <= p.maxWait
}

// retryableStatus is the status part of the policy: a 429 means Jira did
// not process the request, so any method may be repeated; a 502/503/504 may
// have been processed, so only idempotent methods are repeated (a second
// POST of a grant would be a duplicate).
func retryableStatus(method string, status int) bool {
	switch status {
	case http.StatusTooManyRequests:
		return true
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return idempotent(method)
	}
	return false
}

// retryableTransport is the transport part of the policy. An idempotent
// request may always be sent again. A POST may only when it surely never
// left: the connection could not be made. A POST that timed out or lost its
// connection may have been applied, and sending it again could create a
// second scheme or customer.
//
// Some transport errors are never transient, whatever the method: a host
// name that does not resolve, and a certificate that does not verify.
// Sending again only wastes the user's time.
func retryableTransport(method string, err error) bool {
	if permanentTransport(err) {
		return false
	}
	if idempotent(method) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// permanentTransport reports whether a transport error cannot go away by
// itself: DNS says the name does not exist, TLS verification failed, or
// the answer was not JSON.
func permanentTransport(err error) bool {
	var (
		dns      *net.DNSError
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	switch {
	case IsBadResponse(err):
		return true // a body that is not JSON will not become JSON
	case errors.Is(err, ErrTokenRefused):
		return true // the token endpoint refused the client credentials
	case errors.As(err, &dns):
		return dns.IsNotFound || !(dns.IsTimeout || dns.IsTemporary)
	case errors.As(err, &verify), errors.As(err, &unknown), errors.As(err, &hostname), errors.As(err, &invalid):
		return true
	}
	return false
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// wait is resty's RetryAfter hook: the server's requested delay, or zero
// for "use jittered backoff". retry has already refused waits beyond the
// budget.
func (p retryPolicy) wait(_ *resty.Client, resp *resty.Response) (time.Duration, error) {
	if resp == nil || resp.RawResponse == nil {
		return 0, nil
	}
	return retryAfter(resp.Header(), time.Now()), nil
}

// retryAfter reads how long Jira asked us to wait: Retry-After (seconds or
// an HTTP date), else X-RateLimit-Reset (ISO-8601). Zero means no hint.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0)
		}
	}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05.000Z0700", "2006-01-02T15:04Z07:00"} {
			if t, err := time.Parse(layout, v); err == nil {
				return max(t.Sub(now), 0)
			}
		}
	}
	return 0
}
