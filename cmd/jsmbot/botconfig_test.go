package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestOneLoaderForRunAndDoctor: jsmbot run and jsmbot doctor report the
// same problems for the same environment, because both use loadBotConfig
// (doctor adds only the empty approver list, which run merely warns about).
func TestOneLoaderForRunAndDoctor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want []string // every problem, in order
	}{
		{
			name: "nothing set",
			env:  map[string]string{},
			want: []string{
				"JIRA_BASE_URL is not set", "JIRA_EMAIL is not set", "JIRA_API_TOKEN is not set",
				"SLACK_BOT_TOKEN is not set: use the app's Bot User OAuth Token (xoxb-…) from OAuth & Permissions",
				"SLACK_APP_TOKEN is not set: generate an app-level token (xapp-…) with the scope connections:write under Basic Information → App-Level Tokens",
			},
		},
		{
			name: "every variable malformed",
			env: map[string]string{
				"JIRA_BASE_URL": "https://x.atlassian.net", "JIRA_EMAIL": "admin", "JIRA_API_TOKEN": "jira-secret-1",
				"SLACK_BOT_TOKEN": "xapp-secret-2", "SLACK_APP_TOKEN": "xoxb-secret-3", "SLACK_API_URL": "slack.com/api",
				"REDIS_URL": "http://:secret-4@redis:6379", "JSMBOT_APPROVERS": "U0OK, alice",
				"JSMBOT_ALLOW_SELF_APPROVAL": "maybe", "JSMBOT_DETECT_REPORTS": "perhaps", "JSMBOT_HTTP_ADDR": ":99999",
				"JSMBOT_LOG_LEVEL": "loud",
			},
			want: []string{
				"JIRA_EMAIL must be the Atlassian account's email address",
				"JSMBOT_LOG_LEVEL must be debug, info, warn or error",
				"SLACK_BOT_TOKEN must be a bot token (xoxb-…), the Bot User OAuth Token from OAuth & Permissions",
				"SLACK_APP_TOKEN must be an app-level token (xapp-…) with the scope connections:write",
				"SLACK_API_URL must be an http(s) URL such as https://slack.com/api/ (or unset for Slack's)",
				"REDIS_URL must look like redis://[:password@]host:6379/0 (or rediss:// for TLS)",
				`JSMBOT_APPROVERS: "alice" is not a Slack user ID (U…, W…) or user-group ID (S…); copy it from the profile's ⋮ → Copy member ID`,
				"JSMBOT_ALLOW_SELF_APPROVAL must be true or false",
				"JSMBOT_DETECT_REPORTS must be true or false",
				"JSMBOT_HTTP_ADDR must have a port number from 0 to 65535",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			getenv := func(k string) string { return tt.env[k] }
			_, err := loadBotConfig(getenv)
			ce, ok := err.(*configError)
			if !ok {
				t.Fatalf("loadBotConfig error %v, want a *configError", err)
			}
			if diff := cmp.Diff(tt.want, ce.problems); diff != "" {
				t.Errorf("run's problems (-want +got):\n%s", diff)
			}
			doctor := loadDoctorConfig(getenv).problems
			if tt.env["JSMBOT_APPROVERS"] == "" {
				doctor = doctor[:len(doctor)-1] // the doctor-only line
			}
			if diff := cmp.Diff(ce.problems, doctor); diff != "" {
				t.Errorf("doctor's problems differ from run's (-run +doctor):\n%s", diff)
			}
			for _, p := range ce.problems {
				if strings.Contains(p, "secret") {
					t.Errorf("a problem echoes a value: %q", p)
				}
			}
		})
	}
}

// TestBotConfigNormalizes: the loader hands both commands the same usable
// values.
func TestBotConfigNormalizes(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"JIRA_BASE_URL": "https://x.atlassian.net", "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "t",
		"SLACK_BOT_TOKEN": " xoxb-1 ", "SLACK_APP_TOKEN": "xapp-1", "SLACK_API_URL": "http://proxy.internal/api",
		"REDIS_URL": "redis://:pw@redis:6379/2", "JSMBOT_APPROVERS": "U01,S02 W03\nU01",
	}
	c, err := loadBotConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	got := []any{c.SlackBotToken, c.SlackAPIURL, c.Redis.Addr, c.Redis.DB, c.Approvers, c.DetectReports, c.Jira.LogLevel}
	want := []any{"xoxb-1", "http://proxy.internal/api/", "redis:6379", 2, []string{"U01", "S02", "W03", "U01"}, true, slog.LevelInfo}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

// TestBotConfigLogValue: logging the config shows where it points, never a
// token or the Redis password.
func TestBotConfigLogValue(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"JIRA_BASE_URL": "https://x.atlassian.net", "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "jira-tok-123",
		"SLACK_BOT_TOKEN": "xoxb-bot-456", "SLACK_APP_TOKEN": "xapp-app-789",
		"REDIS_URL": "redis://:redis-pw-000@redis:6379/0", "JSMBOT_APPROVERS": "U01",
	}
	c, err := loadBotConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	out := buf.String()
	for _, secret := range []string{"jira-tok-123", "xoxb-bot-456", "xapp-app-789", "redis-pw-000"} {
		if strings.Contains(out, secret) {
			t.Errorf("the config's log line shows %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"https://x.atlassian.net", "redis:6379", `"slack_bot_token":"[redacted]"`, `"U01"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the config's log line lacks %q:\n%s", want, out)
		}
	}
}
