package jira

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestRetryableStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method string
		status int
		want   bool
	}{
		{http.MethodGet, 429, true},
		{http.MethodPost, 429, true},
		{http.MethodGet, 503, true},
		{http.MethodPut, 502, true},
		{http.MethodDelete, 504, true},
		{http.MethodPost, 503, false},
		{http.MethodGet, 500, false},
		{http.MethodGet, 400, false},
		{http.MethodGet, 404, false},
	}
	for _, tt := range tests {
		if got := retryableStatus(tt.method, tt.status); got != tt.want {
			t.Errorf("retryableStatus(%s, %d) = %v, want %v", tt.method, tt.status, got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 1, 1, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"seconds", http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{"http date", http.Header{"Retry-After": {"Thu, 01 Jan 2026 01:01:30 GMT"}}, 30 * time.Second},
		{"reset header", http.Header{"X-Ratelimit-Reset": {"2026-01-01T01:01:05Z"}}, 5 * time.Second},
		{"reset in the past", http.Header{"X-Ratelimit-Reset": {"2025-01-01T01:01:05Z"}}, 0},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0},
		{"none", http.Header{}, 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.header, now); got != tt.want {
			t.Errorf("%s: retryAfter = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRetryableTransport(t *testing.T) {
	t.Parallel()
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	read := &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
	tests := []struct {
		method string
		err    error
		want   bool
	}{
		{http.MethodGet, read, true},
		{http.MethodPut, context.DeadlineExceeded, true},
		{http.MethodPost, dial, true},
		{http.MethodPost, fmt.Errorf("wrapped: %w", dial), true},
		{http.MethodPost, read, false},
		{http.MethodPost, context.DeadlineExceeded, false},
		// Never transient: an unknown host and a certificate that does
		// not verify are not retried, even for a GET.
		{http.MethodGet, &url.Error{Op: "Get", URL: "https://nope.invalid", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "nope.invalid", IsNotFound: true}}}, false},
		{http.MethodPost, &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "nope.invalid", IsNotFound: true}}, false},
		{http.MethodGet, &net.DNSError{Err: "i/o timeout", Name: "x.atlassian.net", IsTimeout: true}, true},
		{http.MethodGet, &url.Error{Op: "Get", URL: "https://x", Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}, false},
		{http.MethodGet, fmt.Errorf("tls: %w", x509.HostnameError{Host: "x.atlassian.net"}), false},
	}
	for _, tt := range tests {
		if got := retryableTransport(tt.method, tt.err); got != tt.want {
			t.Errorf("retryableTransport(%s, %v) = %v, want %v", tt.method, tt.err, got, tt.want)
		}
	}
}
