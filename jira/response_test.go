package jira_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/jsmbot/jsmbot/jira"
)

// TestAnswersThatAreNotJSON: a 2xx body that is not JSON is an error, not
// an empty project, and it is not retried.
func TestAnswersThatAreNotJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, contentType string
		status            int
		wantBadResponse   bool
		wantNotJSON404    bool
	}{
		{name: "html page", contentType: "text/html; charset=utf-8", status: http.StatusOK, wantBadResponse: true},
		{name: "no content type", contentType: "", status: http.StatusOK, wantBadResponse: true},
		{name: "html claiming to be json", contentType: "application/json", status: http.StatusOK, wantBadResponse: true},
		{name: "a 404 page", contentType: "text/html", status: http.StatusNotFound, wantNotJSON404: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				calls.Add(1)
				w.Header()["Content-Type"] = []string{tt.contentType}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte("<html><body>Log in</body></html>"))
			}))
			t.Cleanup(srv.Close)
			c, err := jira.NewClient(srv.URL, "a@b.c", "t")
			if err != nil {
				t.Fatal(err)
			}
			p, err := c.Project(t.Context(), "HELP")
			if err == nil {
				t.Fatalf("Project = %+v, want an error", p)
			}
			if got := jira.IsBadResponse(err); got != tt.wantBadResponse {
				t.Errorf("IsBadResponse(%v) = %t, want %t", err, got, tt.wantBadResponse)
			}
			var ae *jira.APIError
			if got := errors.As(err, &ae) && ae.NotJSON; got != tt.wantNotJSON404 {
				t.Errorf("APIError.NotJSON of %v = %t, want %t", err, got, tt.wantNotJSON404)
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("%d requests, want 1: an answer that is not JSON is not retried", n)
			}
		})
	}
}
