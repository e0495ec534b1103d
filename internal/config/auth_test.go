package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// slackOK are valid Slack variables, so that only Jira's problems show.
var slackOK = map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}

func withSlack(env map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range slackOK {
		out[k] = v
	}
	for k, v := range env {
		out[k] = v
	}
	return out
}

// problemsOf returns the problems of err, nil for none.
func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	if err == nil {
		return nil
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %T %v, want *Error", err, err)
	}
	return ce.Problems
}

func TestLoadJiraAuthModes(t *testing.T) {
	t.Parallel()
	const gw = "https://api.atlassian.com/ex/jira/11111111-2222-3333-4444-555555555555"
	tests := []struct {
		name      string
		env       map[string]string
		wantOAuth bool
		want      []Problem
	}{
		{
			name: "API token",
			env:  map[string]string{"JIRA_BASE_URL": "https://x.atlassian.net", "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "t"},
		},
		{
			name:      "client credentials",
			env:       map[string]string{"JIRA_BASE_URL": gw, "JIRA_CLIENT_ID": "id", "JIRA_CLIENT_SECRET": "cs-secret-1"},
			wantOAuth: true,
		},
		{
			name:      "client credentials, own token URL on loopback",
			env:       map[string]string{"JIRA_BASE_URL": "http://127.0.0.1:1/ex/jira/x", "JIRA_CLIENT_ID": "id", "JIRA_CLIENT_SECRET": "s", "JIRA_TOKEN_URL": "http://127.0.0.1:1/oauth/token"},
			wantOAuth: true,
		},
		{
			name:      "client id without secret",
			env:       map[string]string{"JIRA_BASE_URL": gw, "JIRA_CLIENT_ID": "id"},
			wantOAuth: true,
			want:      []Problem{{VarJiraClientSecret, "JIRA_CLIENT_SECRET is not set"}},
		},
		{
			name: "both kinds",
			env:  map[string]string{"JIRA_BASE_URL": gw, "JIRA_CLIENT_ID": "id", "JIRA_CLIENT_SECRET": "cs-secret-1", "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "t"},
			want: []Problem{{VarJiraClientID, "JIRA_CLIENT_ID/JIRA_CLIENT_SECRET (a service account's OAuth 2.0 credential) and JIRA_EMAIL/JIRA_API_TOKEN (an API token) are both set: keep one pair and unset the other"}},
			// OAuth() is true: the fields are what was given.
			wantOAuth: true,
		},
		{
			name:      "OAuth on the site URL",
			env:       map[string]string{"JIRA_BASE_URL": "https://x.atlassian.net", "JIRA_CLIENT_ID": "id", "JIRA_CLIENT_SECRET": "s"},
			wantOAuth: true,
			want:      []Problem{{VarJiraBaseURL, "JIRA_BASE_URL is a site URL, where OAuth 2.0 tokens are refused: use the API gateway, https://api.atlassian.com/ex/jira/{cloudId} (jsmbot doctor finds the cloudId)"}},
		},
		{
			name:      "token URL in clear text",
			env:       map[string]string{"JIRA_BASE_URL": gw, "JIRA_CLIENT_ID": "id", "JIRA_CLIENT_SECRET": "s", "JIRA_TOKEN_URL": "http://u:cs-secret-1@auth.example.com/oauth/token"},
			wantOAuth: true,
			want:      []Problem{{VarJiraTokenURL, "JIRA_TOKEN_URL: token URL must not carry credentials, a query or a fragment"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := withSlack(tt.env)
			c, err := Load(func(k string) string { return env[k] })
			if diff := cmp.Diff(tt.want, problemsOf(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if c.Jira.OAuth() != tt.wantOAuth {
				t.Errorf("OAuth() = %v, want %v", c.Jira.OAuth(), tt.wantOAuth)
			}
			if err != nil && strings.Contains(err.Error(), "cs-secret-1") {
				t.Errorf("the error shows the secret: %v", err)
			}
			if err == nil {
				if _, err := c.JiraClient(); err != nil {
					t.Errorf("JiraClient: %v", err)
				}
			}
		})
	}
}

func TestSecretsCoverTheClientSecret(t *testing.T) {
	t.Parallel()
	env := withSlack(map[string]string{"JIRA_BASE_URL": "https://api.atlassian.com/ex/jira/x", "JIRA_CLIENT_ID": "id", "JIRA_CLIENT_SECRET": "cs-secret-1"})
	c, err := Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range c.Secrets() {
		found = found || s == "cs-secret-1"
	}
	if !found {
		t.Errorf("Secrets() = %q lacks the client secret", c.Secrets())
	}
	if got := fmt.Sprint(c.LogValue()); strings.Contains(got, "cs-secret-1") {
		t.Errorf("LogValue shows the client secret: %s", got)
	}
}

// fakeFiles is a readFile over a map; a missing name is fs.ErrNotExist,
// and the value "EACCES" is fs.ErrPermission.
func fakeFiles(files map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		v, ok := files[name]
		switch {
		case !ok:
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		case v == "EACCES":
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
		}
		return []byte(v), nil
	}
}

func TestLoadSecretFiles(t *testing.T) {
	t.Parallel()
	files := fakeFiles(map[string]string{
		"/run/secrets/jira":   "file-jira-token\n",
		"/run/secrets/oauth":  "file-client-secret\r\n",
		"/run/secrets/bot":    "xoxb-from-file\n",
		"/run/secrets/app":    "xapp-from-file",
		"/run/secrets/redis":  "redis://:pw-from-file@redis:6379/0\n",
		"/run/secrets/empty":  "\n",
		"/run/secrets/locked": "EACCES",
	})
	base := map[string]string{"JIRA_BASE_URL": "https://x.atlassian.net", "JIRA_EMAIL": "a@b.c"}
	tests := []struct {
		name string
		env  map[string]string
		want []Problem
		got  func(Config) []string
		vals []string
	}{
		{
			name: "every secret from a file",
			env: map[string]string{
				"JIRA_API_TOKEN_FILE": "/run/secrets/jira", "SLACK_BOT_TOKEN_FILE": "/run/secrets/bot",
				"SLACK_APP_TOKEN_FILE": "/run/secrets/app", "REDIS_URL_FILE": "/run/secrets/redis",
			},
			got: func(c Config) []string {
				return []string{c.Jira.APIToken, c.Slack.BotToken, c.Slack.AppToken, c.Redis.URL, c.Redis.Options.Password}
			},
			vals: []string{"file-jira-token", "xoxb-from-file", "xapp-from-file", "redis://:pw-from-file@redis:6379/0", "pw-from-file"},
		},
		{
			name: "client secret from a file",
			env: map[string]string{
				"JIRA_EMAIL": "", "JIRA_BASE_URL": "https://api.atlassian.com/ex/jira/x", "JIRA_CLIENT_ID": "id",
				"JIRA_CLIENT_SECRET_FILE": "/run/secrets/oauth", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1",
			},
			got:  func(c Config) []string { return []string{c.Jira.ClientSecret} },
			vals: []string{"file-client-secret"},
		},
		{
			name: "both forms",
			env:  map[string]string{"JIRA_API_TOKEN": "t", "JIRA_API_TOKEN_FILE": "/run/secrets/jira", "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"},
			want: []Problem{{VarJiraAPIToken, "JIRA_API_TOKEN and JIRA_API_TOKEN_FILE are both set: set one of them"}},
		},
		{
			name: "missing, unreadable and empty files",
			env: map[string]string{
				"JIRA_API_TOKEN_FILE": "/run/secrets/nope", "SLACK_BOT_TOKEN_FILE": "/run/secrets/locked",
				"SLACK_APP_TOKEN_FILE": "/run/secrets/empty",
			},
			want: []Problem{
				{VarJiraAPIToken, "JIRA_API_TOKEN_FILE: the file it names does not exist (mount the secret, or fix the path)"},
				{VarSlackAppToken, "SLACK_APP_TOKEN_FILE names an empty file"},
				{VarSlackBotToken, "SLACK_BOT_TOKEN_FILE: the file it names cannot be read by this user (check its mode and owner)"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			c, err := LoadWith(func(k string) string { return env[k] }, files)
			if diff := cmp.Diff(tt.want, problemsOf(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if tt.got != nil {
				if diff := cmp.Diff(tt.vals, tt.got(c)); diff != "" {
					t.Errorf("values (-want +got):\n%s", diff)
				}
			}
			if err != nil && strings.Contains(err.Error(), "/run/secrets") {
				t.Errorf("the error shows the path: %v", err)
			}
		})
	}
}

// TestLoadReadsRealFiles: Load reads _FILE forms from disk.
func TestLoadReadsRealFiles(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte("disk-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := withSlack(map[string]string{"JIRA_BASE_URL": "https://x.atlassian.net", "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN_FILE": path})
	c, err := Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Jira.APIToken != "disk-token" {
		t.Errorf("APIToken = %q, want disk-token", c.Jira.APIToken)
	}
}
