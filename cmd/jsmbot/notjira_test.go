package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// webPage returns the URL of a server that answers every request with an
// HTML page and status, as a login page or a host that is not Jira does.
func webPage(t *testing.T, status int) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<!DOCTYPE html><html><head><title>Log in</title></head><body>Log in</body></html>"))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestAnswersThatAreNotJira: a web page, a wrong base path and a 404 page
// each get their own line, saying what to check, instead of being read as
// a project or as "project not found".
func TestAnswersThatAreNotJira(t *testing.T) {
	t.Parallel()
	sim := siteOf(t, "HELP")
	tests := []struct {
		name    string
		baseURL string
		args    []string
		want    string // in stderr, or stdout for doctor
	}{
		{"a login page", webPage(t, http.StatusOK), []string{"diagnose", "HELP"}, "JIRA_BASE_URL answered with a web page, not Jira's JSON"},
		{"a login page, fix", webPage(t, http.StatusOK), []string{"fix", "HELP", "--yes"}, "JIRA_BASE_URL answered with a web page, not Jira's JSON"},
		{"a 404 page", webPage(t, http.StatusNotFound), []string{"diagnose", "HELP"}, "JIRA_BASE_URL does not lead to Jira's REST API"},
		{"an extra /jira", sim.URL + "/jira", []string{"diagnose", "HELP"}, "JIRA_BASE_URL does not lead to Jira's REST API"},
		{"an extra /jira, json", sim.URL + "/jira", []string{"diagnose", "HELP", "--json"}, "JIRA_BASE_URL does not lead to Jira's REST API"},
		{"an extra /jira, doctor", sim.URL + "/jira", []string{"doctor", "--timeout", "5s"}, "✗ Jira: JIRA_BASE_URL does not lead to Jira's REST API"},
		{"a login page, doctor", webPage(t, http.StatusOK), []string{"doctor", "--timeout", "5s"}, "✗ Jira: JIRA_BASE_URL answered with a web page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := cli(t, sim, map[string]string{"JIRA_BASE_URL": tt.baseURL}, tt.args...)
			if code != exitFailed {
				t.Errorf("exit code %d, want %d", code, exitFailed)
			}
			if !strings.Contains(out+errOut, tt.want) {
				t.Errorf("output does not say %q:\nstdout: %s\nstderr: %s", tt.want, out, errOut)
			}
			for _, bad := range []string{" · ", "unknown type", "project not found", "404 Not Found"} {
				if strings.Contains(out+errOut, bad) {
					t.Errorf("output says %q:\nstdout: %s\nstderr: %s", bad, out, errOut)
				}
			}
		})
	}
}
