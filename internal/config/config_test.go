package config

import (
	"bytes"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/bot"
)

// TestLoadProblems: Load reports every problem at once, in a stable order,
// each naming its variable in the message and in Var, and echoes no value.
func TestLoadProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want []Problem // every problem, in order
	}{
		{
			name: "nothing set",
			env:  map[string]string{},
			want: []Problem{
				{VarJiraBaseURL, "JIRA_BASE_URL is not set"},
				{VarJiraEmail, "JIRA_EMAIL is not set"},
				{VarJiraAPIToken, "JIRA_API_TOKEN is not set"},
				{VarSlackBotToken, "SLACK_BOT_TOKEN is not set: use the app's Bot User OAuth Token (xoxb-…) from OAuth & Permissions"},
				{VarSlackAppToken, "SLACK_APP_TOKEN is not set: generate an app-level token (xapp-…) with the scope connections:write under Basic Information → App-Level Tokens"},
			},
		},
		{
			name: "every variable malformed",
			env: map[string]string{
				"JIRA_BASE_URL": "https://x.atlassian.net", "JIRA_EMAIL": "admin", "JIRA_API_TOKEN": "jira-secret-1",
				"SLACK_BOT_TOKEN": "xapp-secret-2", "SLACK_APP_TOKEN": "xoxb-secret-3", "SLACK_API_URL": "slack.com/api",
				"REDIS_URL": "http://:secret-4@redis:6379", "JSMBOT_APPROVERS": "U0OK, alice",
				"JSMBOT_ALLOW_SELF_APPROVAL": "maybe", "JSMBOT_DETECT_REPORTS": "perhaps", "JSMBOT_HTTP_ADDR": ":99999",
				"JSMBOT_LOG_LEVEL": "loud", "JSMBOT_UNDO_WINDOW": "a week",
				"JSMBOT_LEASE": "10", "JSMBOT_RECONCILE_INTERVAL": "-5s",
			},
			want: []Problem{
				{VarJiraEmail, "JIRA_EMAIL must be the Atlassian account's email address"},
				{VarLogLevel, "JSMBOT_LOG_LEVEL must be debug, info, warn or error"},
				{VarSlackBotToken, "SLACK_BOT_TOKEN must be a bot token (xoxb-…), the Bot User OAuth Token from OAuth & Permissions"},
				{VarSlackAppToken, "SLACK_APP_TOKEN must be an app-level token (xapp-…) with the scope connections:write"},
				{VarSlackAPIURL, "SLACK_API_URL must be an http(s) URL such as https://slack.com/api/ (or unset for Slack's)"},
				{VarRedisURL, "REDIS_URL must look like redis://[:password@]host:6379/0 (or rediss:// for TLS)"},
				{VarApprovers, `JSMBOT_APPROVERS: "alice" is not a Slack user ID (U…, W…) or user-group ID (S…); copy it from the profile's ⋮ → Copy member ID`},
				{VarAllowSelfApproval, "JSMBOT_ALLOW_SELF_APPROVAL must be true or false"},
				{VarDetectReports, "JSMBOT_DETECT_REPORTS must be true or false"},
				{VarHTTPAddr, "JSMBOT_HTTP_ADDR must have a port number from 0 to 65535"},
				{VarUndoWindow, "JSMBOT_UNDO_WINDOW must be a positive Go duration such as 168h or 30m"},
				{VarLease, "JSMBOT_LEASE must be a positive Go duration such as 10s"},
				{VarReconcileInterval, "JSMBOT_RECONCILE_INTERVAL must be a positive Go duration such as 5s"},
			},
		},
		{
			name: "base URL malformed",
			env: map[string]string{
				"JIRA_BASE_URL": "ftp://jira", "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "t",
				"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "JSMBOT_HTTP_ADDR": "8080",
			},
			want: []Problem{
				{VarJiraBaseURL, "JIRA_BASE_URL: "}, // then the jira package's words
				{VarHTTPAddr, "JSMBOT_HTTP_ADDR must be host:port or :port, e.g. :8080"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(func(k string) string { return tt.env[k] })
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load error %v, want an *Error", err)
			}
			// A message ending in ": " is compared as a prefix.
			got := slices.Clone(ce.Problems)
			for i := range min(len(got), len(tt.want)) {
				if w := tt.want[i].Message; strings.HasSuffix(w, ": ") && strings.HasPrefix(got[i].Message, w) {
					got[i].Message = w
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			for _, p := range ce.Problems {
				if !strings.HasPrefix(p.Message, p.Var) {
					t.Errorf("problem %q does not start with its variable %s", p.Message, p.Var)
				}
				if strings.Contains(p.Message, "secret") {
					t.Errorf("a problem echoes a value: %q", p.Message)
				}
				if !ce.Has(p.Var) {
					t.Errorf("Has(%s) = false for a problem of it", p.Var)
				}
			}
		})
	}
}

// TestOnly: a terminal command sees only the problems of the variables it
// reads, so a Slack token it never uses does not stop it.
func TestOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string // "" means no error
	}{
		{"Jira complete, Slack missing", map[string]string{"JIRA_BASE_URL": "https://x.atlassian.net", "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "t"}, ""},
		{"nothing set", map[string]string{}, "configuration: JIRA_BASE_URL is not set; JIRA_EMAIL is not set; JIRA_API_TOKEN is not set"},
		{"log level wrong", map[string]string{"JIRA_BASE_URL": "https://x.atlassian.net", "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "t", "JSMBOT_LOG_LEVEL": "loud", "SLACK_BOT_TOKEN": "bad"},
			"configuration: JSMBOT_LOG_LEVEL must be debug, info, warn or error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(func(k string) string { return tt.env[k] })
			err = Only(err, TerminalVars()...)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Only(Load) = %q, want %q", got, tt.want)
			}
		})
	}
	other := errors.New("not a configuration error")
	if got := Only(other, VarJiraEmail); got != other {
		t.Errorf("Only(other) = %v, want it unchanged", got)
	}
}

// TestLoadNormalizes: the loader hands every command the same usable
// values.
func TestLoadNormalizes(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"JIRA_BASE_URL": "https://x.atlassian.net", "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "t",
		"SLACK_BOT_TOKEN": " xoxb-1 ", "SLACK_APP_TOKEN": "xapp-1", "SLACK_API_URL": "http://proxy.internal/api",
		"REDIS_URL": "redis://:pw@redis:6379/2", "JSMBOT_APPROVERS": "U01,S02 W03\nU01",
	}
	c, err := Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	got := []any{c.Slack.BotToken, c.Slack.APIURL, c.SlackAPIURL(), c.Redis.Options.Addr, c.Redis.Options.DB, c.Approvers, c.DetectReports,
		c.LogLevel(ServiceLogLevel), c.LogLevel(TerminalLogLevel)}
	want := []any{"xoxb-1", "http://proxy.internal/api/", "http://proxy.internal/api/", "redis:6379", 2, []string{"U01", "S02", "W03", "U01"}, true,
		slog.LevelInfo, slog.LevelWarn}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}

	env["JSMBOT_LOG_LEVEL"], env["SLACK_API_URL"] = "debug", ""
	c, err = Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if got := c.LogLevel(TerminalLogLevel); got != slog.LevelDebug {
		t.Errorf("LogLevel with JSMBOT_LOG_LEVEL=debug = %v", got)
	}
	if got := c.SlackAPIURL(); got != DefaultSlackAPIURL {
		t.Errorf("SlackAPIURL unset = %q, want Slack's", got)
	}

	// Trimmed like every other variable.
	env["JSMBOT_LOG_LEVEL"] = " debug\n"
	c, err = Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("JSMBOT_LOG_LEVEL=%q: %v", env["JSMBOT_LOG_LEVEL"], err)
	}
	if got := c.LogLevel(TerminalLogLevel); got != slog.LevelDebug {
		t.Errorf("LogLevel with JSMBOT_LOG_LEVEL=%q = %v", env["JSMBOT_LOG_LEVEL"], got)
	}
}

// TestDetectReports: report detection is on unless JSMBOT_DETECT_REPORTS
// says false, and anything but a boolean is a problem naming the variable.
func TestDetectReports(t *testing.T) {
	t.Parallel()
	base := map[string]string{
		"JIRA_BASE_URL": "https://x.atlassian.net", "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "t",
		"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxb-1",
	}
	tests := []struct {
		value   string
		want    bool
		problem string
	}{
		{"", true, ""},
		{"true", true, ""},
		{"false", false, ""},
		{"0", false, ""},
		{"sometimes", false, "JSMBOT_DETECT_REPORTS must be true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"JSMBOT_DETECT_REPORTS": tt.value}
			for k, v := range base {
				env[k] = v
			}
			c, err := Load(func(k string) string { return env[k] })
			if tt.problem != "" {
				var ce *Error
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.problem) || !ce.Has(VarDetectReports) {
					t.Fatalf("err = %v, want a problem of %s saying %q", err, VarDetectReports, tt.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.DetectReports != tt.want {
				t.Errorf("DetectReports = %v, want %v", c.DetectReports, tt.want)
			}
		})
	}
}

// TestLogValue: logging the config shows where it points, never a token or
// the Redis password; Secrets lists them all.
func TestLogValue(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"JIRA_BASE_URL": "https://x.atlassian.net", "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "jira-tok-123",
		"SLACK_BOT_TOKEN": "xoxb-bot-456", "SLACK_APP_TOKEN": "xapp-app-789",
		"REDIS_URL": "redis://:redis-pw-000@redis:6379/0", "JSMBOT_APPROVERS": "U01",
	}
	c, err := Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	out := buf.String()
	secrets := []string{"jira-tok-123", "xoxb-bot-456", "xapp-app-789", "redis-pw-000"}
	for _, secret := range secrets {
		if strings.Contains(out, secret) {
			t.Errorf("the config's log line shows %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"https://x.atlassian.net", "redis:6379", `"slack_bot_token":"[redacted]"`, `"jira_api_token":"[redacted]"`, `"U01"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the config's log line lacks %q:\n%s", want, out)
		}
	}
	listed := strings.Join(c.Secrets(), "\n")
	for _, secret := range secrets {
		if !strings.Contains(listed, secret) {
			t.Errorf("Secrets() lacks %q", secret)
		}
	}
}

// TestUndoWindow: JSMBOT_UNDO_WINDOW is a positive Go duration, 168h when
// unset.
func TestUndoWindow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		val     string
		want    time.Duration
		problem bool
	}{
		{"", 168 * time.Hour, false},
		{"30m", 30 * time.Minute, false},
		{" 2h ", 2 * time.Hour, false},
		{"0s", DefaultUndoWindow, true},
		{"-1h", DefaultUndoWindow, true},
		{"7d", DefaultUndoWindow, true},
	}
	for _, tt := range tests {
		t.Run(tt.val, func(t *testing.T) {
			t.Parallel()
			c, err := Load(func(k string) string {
				if k == VarUndoWindow {
					return tt.val
				}
				return ""
			})
			var ce *Error
			errors.As(err, &ce)
			if got := ce != nil && ce.Has(VarUndoWindow); got != tt.problem {
				t.Errorf("problem with %s = %v, want %v (%v)", VarUndoWindow, got, tt.problem, err)
			}
			if c.UndoWindow != tt.want {
				t.Errorf("UndoWindow = %v, want %v", c.UndoWindow, tt.want)
			}
		})
	}
}

// TestLeaseAndReconcileInterval: JSMBOT_LEASE and JSMBOT_RECONCILE_INTERVAL
// are positive Go durations, the bot's defaults when unset; a malformed one
// is a problem naming it, and its default stays.
func TestLeaseAndReconcileInterval(t *testing.T) {
	t.Parallel()
	if DefaultLease != bot.DefaultLease || DefaultReconcileInterval != bot.DefaultReconcileInterval {
		t.Errorf("defaults %v/%v, the bot's %v/%v", DefaultLease, DefaultReconcileInterval, bot.DefaultLease, bot.DefaultReconcileInterval)
	}
	// A dead owner's plan is settled by the first pass after its lease ran
	// out: within a lease and an interval, which issue 9 wants under 30 s.
	if DefaultLease+DefaultReconcileInterval >= 30*time.Second {
		t.Errorf("lease %v + interval %v: a dead owner's plan may wait 30 s or more", DefaultLease, DefaultReconcileInterval)
	}
	type durations struct{ Lease, Interval time.Duration }
	tests := []struct {
		name    string
		env     map[string]string
		want    durations
		problem []string
	}{
		{"unset", nil, durations{10 * time.Second, 5 * time.Second}, nil},
		{"short, for tests", map[string]string{VarLease: "2s", VarReconcileInterval: " 500ms "}, durations{2 * time.Second, 500 * time.Millisecond}, nil},
		{"zero", map[string]string{VarLease: "0s", VarReconcileInterval: "0"}, durations{DefaultLease, DefaultReconcileInterval}, []string{VarLease, VarReconcileInterval}},
		{"no unit", map[string]string{VarLease: "10"}, durations{DefaultLease, DefaultReconcileInterval}, []string{VarLease}},
		{"negative", map[string]string{VarReconcileInterval: "-1s"}, durations{DefaultLease, DefaultReconcileInterval}, []string{VarReconcileInterval}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(func(k string) string { return tt.env[k] })
			var ce *Error
			errors.As(err, &ce)
			var problems []string
			for _, v := range []string{VarLease, VarReconcileInterval} {
				if ce != nil && ce.Has(v) {
					problems = append(problems, v)
				}
			}
			if diff := cmp.Diff(tt.problem, problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, durations{c.Lease, c.ReconcileInterval}); diff != "" {
				t.Errorf("durations (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDrainDurations: JSMBOT_DRAIN_TIMEOUT, JSMBOT_WRITE_BUDGET and
// JSMBOT_MAX_DRAIN are positive Go durations, the bot's defaults when
// unset; a malformed one is a problem naming it, and its default stays.
func TestDrainDurations(t *testing.T) {
	t.Parallel()
	type durations struct{ Drain, Write, Max time.Duration }
	if diff := cmp.Diff(durations{bot.DefaultDrainTimeout, bot.DefaultWriteBudget, bot.DefaultMaxDrain},
		durations{DefaultDrainTimeout, DefaultWriteBudget, DefaultMaxDrain}); diff != "" {
		t.Errorf("defaults differ from the bot's (-bot +config):\n%s", diff)
	}
	defaults := durations{DefaultDrainTimeout, DefaultWriteBudget, DefaultMaxDrain}
	vars := []string{VarDrainTimeout, VarWriteBudget, VarMaxDrain}
	tests := []struct {
		name    string
		env     map[string]string
		want    durations
		problem []string
	}{
		{"unset", nil, durations{8 * time.Second, 3 * time.Second, 25 * time.Second}, nil},
		{"short, for tests", map[string]string{VarDrainTimeout: "1200ms", VarWriteBudget: " 450ms ", VarMaxDrain: "4s"},
			durations{1200 * time.Millisecond, 450 * time.Millisecond, 4 * time.Second}, nil},
		{"zero", map[string]string{VarDrainTimeout: "0s", VarMaxDrain: "0"}, defaults, []string{VarDrainTimeout, VarMaxDrain}},
		{"no unit", map[string]string{VarWriteBudget: "3"}, defaults, []string{VarWriteBudget}},
		{"negative", map[string]string{VarMaxDrain: "-1s"}, defaults, []string{VarMaxDrain}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(func(k string) string { return tt.env[k] })
			var ce *Error
			errors.As(err, &ce)
			var problems []string
			for _, v := range vars {
				if ce != nil && ce.Has(v) {
					problems = append(problems, v)
				}
			}
			if diff := cmp.Diff(tt.problem, problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, durations{c.DrainTimeout, c.WriteBudget, c.MaxDrain}); diff != "" {
				t.Errorf("durations (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadWatch: the watch's variables, their defaults, and problems that
// name the variable.
func TestLoadWatch(t *testing.T) {
	t.Parallel()
	base := map[string]string{
		"JIRA_BASE_URL": "https://x.atlassian.net", "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "t",
		"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1",
	}
	for _, tc := range []struct {
		name     string
		env      map[string]string
		want     Watch
		problems []Problem
	}{
		{"off by default", nil, Watch{Interval: DefaultWatchInterval, FullEvery: DefaultWatchFullEvery}, nil},
		{"set", map[string]string{VarWatchChannel: "C0OPS", VarWatchInterval: "2s", VarWatchFullEvery: "1h"},
			Watch{Channel: "C0OPS", Interval: 2 * time.Second, FullEvery: time.Hour}, nil},
		{"malformed", map[string]string{VarWatchChannel: "#ops", VarWatchInterval: "5", VarWatchFullEvery: "-1h"},
			Watch{Interval: DefaultWatchInterval, FullEvery: DefaultWatchFullEvery}, []Problem{
				{VarWatchChannel, "JSMBOT_WATCH_CHANNEL must be a Slack channel ID (C… or G…), not a name: open the channel's details and copy the Channel ID at the bottom"},
				{VarWatchInterval, "JSMBOT_WATCH_INTERVAL must be a positive Go duration such as 30s, 5m or 24h"},
				{VarWatchFullEvery, "JSMBOT_WATCH_FULL_EVERY must be a positive Go duration such as 30s, 5m or 24h"},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(func(k string) string {
				if v, ok := tc.env[k]; ok {
					return v
				}
				return base[k]
			})
			var got []Problem
			if ce := (*Error)(nil); errors.As(err, &ce) {
				got = ce.Problems
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.problems, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, c.Watch); diff != "" {
				t.Errorf("watch (-want +got):\n%s", diff)
			}
		})
	}
}
