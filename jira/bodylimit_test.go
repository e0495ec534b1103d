package jira_test

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jsmbot/jsmbot/jira"
)

// TestResponseBodyLimit: a Jira (or a proxy) answering an endless body
// cannot make the client read it all: 8 MiB is the most it reads.
//
// The body is generated as it is read, in-process, so the test costs the
// client's reading of 8 MiB and no server or socket copying of 9.
//
// It runs alone, before the parallel tests: beside them, its 8 MiB buffers
// grow a heap full of their objects, and the collections and the race
// detector's shadow memory that follow cost the package more CPU than the
// test itself (2.2 s for the jira test binary instead of 1.25 s).
func TestResponseBodyLimit(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		size    int
		wantErr bool
	}{
		{"small answer", http.StatusOK, 1 << 10, false},
		{"9 MiB answer", http.StatusOK, 9 << 20, true},
		{"9 MiB error body", http.StatusBadRequest, 9 << 20, true},
	}
	for _, tt := range tests {
		// Not in parallel: one at a time, the client's 8 MiB buffers reuse
		// the memory of the last, where together they grow the heap (and
		// the race detector's shadow of it).
		t.Run(tt.name, func(t *testing.T) {
			var read atomic.Int64
			rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				const head, tail = `{"accountId":"a","displayName":"`, `"}`
				body := io.MultiReader(strings.NewReader(head), &padReader{n: tt.size - len(head) - len(tail)}, strings.NewReader(tail))
				return &http.Response{
					StatusCode: tt.status, Status: http.StatusText(tt.status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
					Header:        http.Header{"Content-Type": {"application/json"}},
					Body:          io.NopCloser(countingReader{body, &read}),
					ContentLength: -1, Request: r,
				}, nil
			})
			c, err := jira.NewClient("https://jira.example.com", "a@example.com", "token", jira.WithMaxRetries(0),
				jira.WithHTTPClient(&http.Client{Transport: rt}))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Myself(t.Context())
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("Myself error = %.200v, want error %v", err, tt.wantErr)
			}
			// An error never carries the body it could not use.
			if err != nil && len(err.Error()) > 4<<10 {
				t.Errorf("error text is %d bytes: %.200s…", len(err.Error()), err)
			}
			// The client stops reading near the limit (one buffer past it
			// at most), not at the end of the body.
			if n := read.Load(); n > 8<<20+64<<10 {
				t.Errorf("the client read %d bytes of a %d-byte body, want at most 8 MiB and a buffer", n, tt.size)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// padReader reads as n bytes of 'x' (of whatever the caller's buffer
// holds, past the first megabyte: a body the client must refuse unread
// needs no contents, and under the race detector writing 8 MiB of them
// costs as much as the client's reading).
type padReader struct {
	n, filled int
	block     []byte
}

func (p *padReader) Read(b []byte) (int, error) {
	if p.n <= 0 {
		return 0, io.EOF
	}
	if p.block == nil {
		p.block = []byte(strings.Repeat("x", 32<<10))
	}
	k := min(len(b), p.n)
	if p.filled < 1<<20 {
		k = copy(b[:k], p.block)
		p.filled += k
	}
	p.n -= k
	return k, nil
}

// countingReader counts the bytes read through it into n.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(b []byte) (int, error) {
	k, err := c.r.Read(b)
	c.n.Add(int64(k))
	return k, err
}
