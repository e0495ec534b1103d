package jira_test

import (
	"strings"
	"testing"

	"github.com/jsmbot/jsmbot/jira"
)

// TestBaseURLRequiresHTTPS: Basic auth sends the token with every request,
// so the base URL must be https://, except on loopback addresses.
func TestBaseURLRequiresHTTPS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url     string
		wantErr string // "" for accepted
	}{
		{"https://x.atlassian.net", ""},
		{"HTTPS://x.atlassian.net", ""},
		{"http://127.0.0.1:8080", ""},
		{"http://127.9.9.9", ""},
		{"http://[::1]:8080/ex/jira/abc", ""},
		{"http://localhost:1", ""},
		{"http://LOCALHOST", ""},
		{"http://x.atlassian.net", "must start with https://"},
		{"http://10.0.0.1", "must start with https://"},
		{"http://localhost.example.com", "must start with https://"},
		{"http://128.0.0.1", "must start with https://"},
		{"htps://x.atlassian.net", "must start with https://"},
		{"x.atlassian.net", "must start with https://"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			_, err := jira.NewClient(tt.url, "a@b.c", "t")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("NewClient(%q) = %v, want it accepted", tt.url, err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("NewClient(%q) accepted it, want an error with %q", tt.url, tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("NewClient(%q) = %q, want it to say %q", tt.url, err, tt.wantErr)
			}
		})
	}
}

// TestBaseURLErrorsNeverQuoteTheURL: whatever the base URL holds, the
// error does not repeat it, since it may carry a password or a token.
func TestBaseURLErrorsNeverQuoteTheURL(t *testing.T) {
	t.Parallel()
	const secret = "SECRET-p4ss"
	for _, u := range []string{
		"htps://me:" + secret + "@x.atlassian.net",
		"http://me:" + secret + "@x.atlassian.net",
		"http://me:" + secret + "@127.0.0.1",
		"https://me:" + secret + "@x.atlassian.net",
		"https://x.atlassian.net/?token=" + secret,
		"https://x.atlassian.net/#" + secret,
		":" + secret,
		"https://x.atlassian.net/%zz" + secret,
		"https://x.atlassian.net/" + secret + " x",
		"https://x.atlassian.net/\x1b[31m" + secret,
		"ftp://" + secret,
		"https://" + secret + "@",
	} {
		_, err := jira.NewClient(u, "a@b.c", "t")
		if err == nil {
			t.Errorf("NewClient(%q) accepted it", u)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("NewClient(%q) = %q: shows the secret", u, err)
		}
	}
}
