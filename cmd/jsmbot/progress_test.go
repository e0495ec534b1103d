package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFixShowsProgress: fix says a write that fails as it ends, before
// the result. TestFixLeavesScenariosHealthy checks the lines of writes
// that succeed, in place and as a copy, in the runs it makes anyway.
func TestFixShowsProgress(t *testing.T) {
	t.Parallel()
	sim := siteOf(t, "NOPA")
	sim.FailNext(http.MethodPost, "/rest/api/3/permissionscheme/", 1, http.StatusForbidden, nil)
	_, out, _ := cli(t, sim, nil, "fix", "NOPA", "--yes")
	if diff := cmp.Diff([]string{"  … write 1 of 2: add a grant, failed"}, progressLines(t, out)); diff != "" {
		t.Errorf("progress lines (-want +got):\n%s\nstdout:\n%s", diff, out)
	}
}

// progressLines are the progress lines fix printed before its result.
func progressLines(t *testing.T, out string) []string {
	t.Helper()
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
	return got
}
