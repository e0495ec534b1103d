package jira_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jsmbot/jsmbot/jira"
)

// TestResponseBodyLimit: a Jira (or a proxy) answering an endless body
// cannot make the client read it all: 8 MiB is the most it reads.
func TestResponseBodyLimit(t *testing.T) {
	t.Parallel()
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
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				pad := tt.size - len(`{"accountId":"a","displayName":""}`)
				_, _ = w.Write([]byte(`{"accountId":"a","displayName":"` + strings.Repeat("x", pad) + `"}`))
			}))
			defer srv.Close()
			c, err := jira.NewClient(srv.URL, "a@example.com", "token", jira.WithMaxRetries(0))
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
		})
	}
}
