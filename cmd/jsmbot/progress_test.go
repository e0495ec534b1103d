package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// TestFixShowsProgress: fix says each write as it ends, before the
// result, and says so when one fails.
func TestFixShowsProgress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		key   string
		args  []string
		setup func(*jirasim.Server)
		want  []string
	}{
		{name: "in place", key: "NOPA", args: []string{"fix", "NOPA", "--yes"}, want: []string{
			"  … write 1 of 2: add a grant, done",
			"  … write 2 of 2: add a grant, done",
		}},
		{name: "copy", key: "SHRA", args: []string{"fix", "SHRA", "--yes"}, want: []string{
			"  … write 1 of 2: create the scheme copy, done",
			"  … write 2 of 2: assign the scheme, done",
		}},
		{name: "a write fails", key: "NOPA", args: []string{"fix", "NOPA", "--yes"}, setup: func(s *jirasim.Server) {
			s.FailNext(http.MethodPost, "/rest/api/3/permissionscheme/", 1, http.StatusForbidden, nil)
		}, want: []string{
			"  … write 1 of 2: add a grant, failed",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := siteOf(t, tt.key)
			if tt.setup != nil {
				tt.setup(sim)
			}
			_, out, _ := cli(t, sim, nil, tt.args...)
			before, _, found := strings.Cut(out, "Applying plan")
			if !found {
				t.Fatalf("no result in stdout:\n%s", out)
			}
			var got []string
			for _, l := range strings.Split(before, "\n") {
				if strings.HasPrefix(l, "  … ") {
					got = append(got, l)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("progress lines (-want +got):\n%s\nstdout:\n%s", diff, out)
			}
		})
	}
}
