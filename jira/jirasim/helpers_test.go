package jirasim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// response is a read HTTP answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// reqOpt adjusts a request before it is sent.
type reqOpt func(*http.Request)

// noAuth drops the Basic credentials.
func noAuth(r *http.Request) { r.Header.Del("Authorization") }

// experimental opts in to JSM's experimental operations.
func experimental(r *http.Request) { r.Header.Set("X-ExperimentalApi", "opt-in") }

// newRequest builds an authenticated request to s.URL+path.
func newRequest(t testing.TB, s *jirasim.Server, method, path, body string, opts ...reqOpt) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(jirasim.DefaultEmail, jirasim.DefaultToken)
	for _, o := range opts {
		o(req)
	}
	return req
}

// send performs req with client and reads the answer.
func send(t testing.TB, client *http.Client, req *http.Request) response {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// do sends an authenticated request over the network.
func do(t testing.TB, s *jirasim.Server, method, path, body string, opts ...reqOpt) response {
	t.Helper()
	return send(t, http.DefaultClient, newRequest(t, s, method, path, body, opts...))
}

// decode unmarshals a body into a generic value or fails.
func decode[T any](t testing.TB, b []byte) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// wantStatus fails unless r has status.
func wantStatus(t testing.TB, what string, r response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: got status %d, want %d; body %s", what, r.Status, status, r.Body)
	}
}

// obj is a decoded JSON object.
type obj = map[string]any

// platformError is the platform error body.
type platformError struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
}

// jsmError is the JSM error body.
type jsmError struct {
	ErrorMessage     string `json:"errorMessage"`
	I18nErrorMessage struct {
		I18nKey    string   `json:"i18nKey"`
		Parameters []string `json:"parameters"`
	} `json:"i18nErrorMessage"`
}

// jsonUnmarshal decodes with numbers kept as json.Number where untyped.
func jsonUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}
