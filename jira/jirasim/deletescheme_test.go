package jirasim_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/jsmbot/jsmbot/internal/apispec"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// TestDeleteScheme: DELETE permissionscheme/{id} answers as the spec says
// (204, 403, 404) and refuses a scheme a project uses and the default
// scheme, which the spec leaves open; a refused delete changes nothing.
func TestDeleteScheme(t *testing.T) {
	t.Parallel()
	noAdmin := func(s *jirasim.Server) { s.SetGlobalPermission("ADMINISTER", false) }
	tests := []struct {
		name     string
		setup    func(*jirasim.Server)
		scheme   func(*jirasim.Server) int64
		want     int
		wantGone bool
		inSpec   bool // the spec lists the status, so the answer is validated
	}{
		{name: "unused", scheme: unused, want: http.StatusNoContent, wantGone: true, inSpec: true},
		{name: "unknown", scheme: func(*jirasim.Server) int64 { return 99999 }, want: http.StatusNotFound, inSpec: true},
		{name: "forbidden", setup: noAdmin, scheme: unused, want: http.StatusForbidden, inSpec: true},
		{name: "in use", scheme: func(s *jirasim.Server) int64 { id, _ := s.ProjectSchemeID("SHRA"); return id }, want: http.StatusBadRequest},
		{name: "default", scheme: func(*jirasim.Server) int64 { return 0 }, want: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := jirasim.NewServer(t)
			if tt.setup != nil {
				tt.setup(s)
			}
			id := tt.scheme(s)
			before := len(s.SchemeIDs())
			req := newRequest(t, s, http.MethodDelete, "/rest/api/3/permissionscheme/"+strconv.FormatInt(id, 10), "")
			apispec.ValidateRequest(t, req, nil)
			r := send(t, http.DefaultClient, req)
			if r.Status != tt.want {
				t.Fatalf("status %d, want %d; body %s", r.Status, tt.want, r.Body)
			}
			if tt.inSpec {
				apispec.ValidateResponse(t, req, r.Status, r.Header, r.Body)
			} else if err := apispec.ValidateErrorBody(apispec.Platform, r.Body); err != nil {
				t.Errorf("error body: %v", err)
			}
			gone := before - len(s.SchemeIDs())
			if want := map[bool]int{true: 1}[tt.wantGone]; gone != want {
				t.Errorf("%d schemes deleted, want %d", gone, want)
			}
		})
	}
}

// unused adds a scheme no project uses.
func unused(s *jirasim.Server) int64 {
	return s.AddScheme("Unused copy", "made for the test")
}
