package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSanitizer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{"plain text and unicode", []string{"HELP · Helpdesk ✓ ſ\n\tnext\n"}, "HELP · Helpdesk ✓ ſ\n\tnext\n"},
		{"colour", []string{"\x1b[31mred\x1b[0m"}, "red"},
		{"cursor and clear screen", []string{"a\x1b[2J\x1b[1;1Hb"}, "ab"},
		{"window title (OSC, BEL)", []string{"\x1b]0;pwned\x07x"}, "x"},
		{"hyperlink (OSC, ST)", []string{"\x1b]8;;http://e.vil\x1b\\link\x1b]8;;\x1b\\"}, "link"},
		{"two-character escape", []string{"a\x1bcb"}, "ab"},
		{"C1 CSI", []string{"a\u009b31mb"}, "ab"},
		{"other controls", []string{"a\rb\x00c\x07d\x7fe\bf"}, "abcdef"},
		{"split over writes", []string{"a\x1b", "[3", "1mb"}, "ab"},
		{"Latin-1 kept", []string{"café ¡olé!"}, "café ¡olé!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			w := newSanitizer(&b)
			for _, s := range tt.writes {
				if n, err := w.Write([]byte(s)); err != nil || n != len(s) {
					t.Fatalf("Write(%q) = %d, %v", s, n, err)
				}
			}
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if got, want := oneLine("first\nsecond\r\n\x1b[31mthird\x1b[0m\t end"), "first second third end"; got != want {
		t.Errorf("oneLine = %q, want %q", got, want)
	}
}

// TestJiraTextIsSanitized: Jira's error text with escapes and newlines
// reaches the terminal as one plain line.
func TestJiraTextIsSanitized(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"errorMessages":["\u001b[2J\u001b]0;pwned\u0007You are\nnot allowed\r\n\u001b[31mhere\u001b[0m"],"errors":{}}`))
	}))
	t.Cleanup(srv.Close)
	code, out, errOut := cli(t, nil, map[string]string{"JIRA_BASE_URL": srv.URL, "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "t"}, "diagnose", "HELP")
	if code != exitFailed {
		t.Errorf("exit code %d, want %d", code, exitFailed)
	}
	if strings.ContainsAny(out+errOut, "\x1b\r\a") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("output is not one clean line:\nstdout %q\nstderr %q", out, errOut)
	}
	if !strings.Contains(errOut, "You are not allowed here") {
		t.Errorf("stderr = %q, want Jira's message as one line", errOut)
	}
}
