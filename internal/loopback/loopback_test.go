package loopback_test

import (
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/jsmbot/jsmbot/internal/loopback"
)

// TestCloseWaitsForRequestsInFlight: Close returns only after a request
// that is being answered has been answered, and refuses new ones.
func TestCloseWaitsForRequestsInFlight(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	s, err := loopback.New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "done")
	}))
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	var body string
	var wg sync.WaitGroup
	wg.Go(func() {
		resp, err := http.Get(s.URL() + "/")
		if err != nil {
			t.Errorf("GET: %v", err)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
	})
	<-entered
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned while a request was in flight")
	default:
	}
	close(release)
	<-closed
	wg.Wait()
	if body != "done" {
		t.Errorf("body = %q, want the in-flight request answered", body)
	}
	if _, err := http.Get(s.URL() + "/"); err == nil {
		t.Error("a request after Close was served")
	}
	s.Close() // idempotent
}

// TestCloseBeforeStart: a server that never started closes at once.
func TestCloseBeforeStart(t *testing.T) {
	t.Parallel()
	s, err := loopback.New(http.NotFoundHandler())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}
