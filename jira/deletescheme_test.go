package jira_test

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/jsmbot/jsmbot/internal/apispec"
	"github.com/jsmbot/jsmbot/jira"
)

// TestDeletePermissionScheme: the client deletes a scheme with one DELETE
// that Jira's spec defines, and an unknown id is ErrNotFound.
func TestDeletePermissionScheme(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		known   bool
		wantErr error
	}{
		{name: "unused scheme", known: true},
		{name: "unknown scheme", wantErr: jira.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, sim := newTestClient(t, nil)
			id := int64(424242)
			if tt.known {
				id = sim.AddScheme("Orphan copy", "left by a test")
			}
			err := c.DeletePermissionScheme(t.Context(), id)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("DeletePermissionScheme = %v, want %v", err, tt.wantErr)
			}
			if slices.Contains(sim.SchemeIDs(), id) {
				t.Errorf("scheme %d still exists", id)
			}
			var deletes int
			for _, r := range sim.Requests() {
				if r.Method == http.MethodDelete {
					deletes++
					u := &url.URL{Scheme: "http", Host: "jira.test", Path: r.Path}
					req, err := http.NewRequest(r.Method, u.String(), nil)
					if err != nil {
						t.Fatal(err)
					}
					req.Header = r.Header.Clone()
					apispec.ValidateRequest(t, req, nil)
				}
			}
			if deletes != 1 {
				t.Errorf("%d DELETE requests, want 1 (a 404 is not retried)", deletes)
			}
		})
	}
}
