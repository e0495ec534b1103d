package doctor

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/internal/config"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// testScopes stand for the manifest's bot scopes, which the command passes
// (cmd/jsmbot tests that it passes the manifest's).
func testScopes() []string {
	return []string{"commands", "chat:write", "channels:history", "usergroups:read"}
}

// describe stands for the command's words for an error: it names the kind,
// so the tests see that doctor asked for them.
func describe(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, jira.ErrUnauthorized):
		return "described: unauthorized"
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return "described: no answer in time"
	}
	return "described: other"
}

// doctor runs Run on the environment env with opts (defaults filled in)
// and returns what an exit code would be, 0 or 1, and the report.
func doctor(t *testing.T, env map[string]string, opts Options) (int, string) {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	opts.BotScopes, opts.Describe = testScopes(), describe
	cfg, err := config.Load(func(k string) string { return env[k] })
	var out bytes.Buffer
	err = Run(t.Context(), &out, cfg, err, opts)
	switch {
	case errors.Is(err, ErrFailed):
		return 1, out.String()
	case err != nil:
		t.Fatalf("Run: %v", err)
	}
	return 0, out.String()
}

// assertClean fails if output shows a stack trace or a panic.
func assertClean(t *testing.T, out string) {
	t.Helper()
	for _, bad := range []string{jirasim.DefaultToken, "goroutine ", "panic:", "runtime/"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains %q:\n%s", bad, out)
		}
	}
}

// Distinctive secrets, so a leak into the output cannot go unnoticed.
const (
	doctorJiraToken = "jira-doctor-secret-4f1c9e"
	doctorBotToken  = "xoxb-doctor-secret-bot-8d2a"
	doctorAppToken  = "xapp-1-doctor-secret-app-6b7e"
	doctorRedisPass = "redis-doctor-secret-3c5d"
)

// doctorWorld is a healthy deployment: Jira, Slack and Redis simulators and
// the environment that points at them.
type doctorWorld struct {
	jira  *jirasim.Server
	slack *slacksim.Server
	redis *miniredis.Miniredis
	env   map[string]string
}

func newDoctorWorld(t *testing.T) *doctorWorld {
	t.Helper()
	return newWorld(t, jirasim.WithCredentials(jirasim.DefaultEmail, doctorJiraToken))
}

// newWorld is a doctorWorld whose Jira has the options jiraOpts. Its site
// is one healthy project: doctor reads the caller and its permissions,
// never the projects.
func newWorld(t *testing.T, jiraOpts ...jirasim.Option) *doctorWorld {
	t.Helper()
	w := &doctorWorld{
		jira:  jirasim.NewServer(t, append([]jirasim.Option{jirasim.WithSeed(jirasim.ScenarioHealthy)}, jiraOpts...)...),
		slack: slacksim.NewServer(t, slacksim.WithTokens(doctorBotToken, doctorAppToken)),
		redis: miniredis.RunT(t),
	}
	w.env = map[string]string{
		"JIRA_BASE_URL":              w.jira.URL,
		"JIRA_EMAIL":                 jirasim.DefaultEmail,
		"JIRA_API_TOKEN":             doctorJiraToken,
		"SLACK_BOT_TOKEN":            doctorBotToken,
		"SLACK_APP_TOKEN":            doctorAppToken,
		"SLACK_API_URL":              w.slack.APIURL(),
		"REDIS_URL":                  "redis://" + w.redis.Addr() + "/0",
		"JSMBOT_APPROVERS":           "U0APPROVER1, S0APPROVERS",
		"JSMBOT_ALLOW_SELF_APPROVAL": "false",
		"JSMBOT_HTTP_ADDR":           ":8080",
	}
	return w
}

// healthyMarks are the lines of a passing doctor, in order.
func healthyMarks() []string {
	return []string{
		"✓ configuration",
		"✓ Slack bot token",
		"✓ Slack app token",
		"✓ Jira",
		"✓ Jira permission Administer Jira (ADMINISTER)",
		"✓ Jira permission Administer Projects (ADMINISTER_PROJECTS)",
		"✓ Jira permission Browse users and groups (USER_PICKER)",
		"✓ Redis",
	}
}

// withMarks returns healthyMarks with the lines at the given indexes
// replaced.
func withMarks(repl map[int]string) []string {
	m := healthyMarks()
	for i, s := range repl {
		m[i] = s
	}
	return m
}

// marks returns "mark name" of every check line of doctor's output.
func marks(out string) []string {
	var got []string
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, "✓ ") || strings.HasPrefix(line, "✗ ") || strings.HasPrefix(line, "– ") {
			name, _, _ := strings.Cut(strings.TrimSpace(line), ": ")
			got = append(got, name)
		}
	}
	return got
}

// scopesProxy serves slack's Web API through a proxy that adds the
// X-OAuth-Scopes header real Slack sends, which slacksim does not.
func scopesProxy(t *testing.T, s *slacksim.Server, scopes string) string {
	t.Helper()
	target, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(target)
	p.ModifyResponse = func(r *http.Response) error {
		r.Header.Set("X-OAuth-Scopes", scopes)
		return nil
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv.URL + "/api/"
}

func TestDoctor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		setup     func(t *testing.T, w *doctorWorld)
		opts      Options
		wantCode  int
		wantMarks []string
		wantLines []string // substrings of the output
	}{
		{
			name:      "healthy",
			wantMarks: healthyMarks(),
			wantLines: []string{
				"✓ Slack bot token: @",
				"(" + slacksim.DefaultBotUserID + ")",
				"✓ Jira: " + "http",
				"all 8 checks passed",
			},
		},
		{
			name:      "healthy without Redis",
			setup:     func(t *testing.T, w *doctorWorld) { w.env["REDIS_URL"] = "" },
			wantMarks: healthyMarks(),
			wantLines: []string{"✓ Redis: REDIS_URL is not set: the store is in memory, so run exactly one replica"},
		},
		{
			name: "healthy with every scope reported",
			setup: func(t *testing.T, w *doctorWorld) {
				w.env["SLACK_API_URL"] = scopesProxy(t, w.slack, "commands,chat:write,channels:history,usergroups:read,users:read")
			},
			wantMarks: healthyMarks(),
			wantLines: []string{", scopes complete"},
		},
		{
			name: "bot token missing a scope",
			setup: func(t *testing.T, w *doctorWorld) {
				w.env["SLACK_API_URL"] = scopesProxy(t, w.slack, "commands,chat:write,channels:history")
			},
			wantCode:  1,
			wantMarks: withMarks(map[int]string{1: "✗ Slack bot token"}),
			wantLines: []string{"but the token lacks the scopes usergroups:read", "reinstall it"},
		},
		{
			name:      "bad Slack bot token",
			setup:     func(t *testing.T, w *doctorWorld) { w.env["SLACK_BOT_TOKEN"] = "xoxb-doctor-wrong-bot-1a2b" },
			wantCode:  1,
			wantMarks: withMarks(map[int]string{1: "✗ Slack bot token"}),
			wantLines: []string{"✗ Slack bot token: Slack rejected SLACK_BOT_TOKEN (invalid_auth)", "Bot User OAuth Token", "1 of 8 checks failed"},
		},
		{
			name:      "bad Slack app token",
			setup:     func(t *testing.T, w *doctorWorld) { w.env["SLACK_APP_TOKEN"] = "xapp-1-doctor-wrong-app-9f8e" },
			wantCode:  1,
			wantMarks: withMarks(map[int]string{2: "✗ Slack app token"}),
			wantLines: []string{"✗ Slack app token: Slack rejected SLACK_APP_TOKEN (invalid_auth)", "connections:write"},
		},
		{
			name:      "Slack unreachable",
			setup:     func(t *testing.T, w *doctorWorld) { w.slack.Close() },
			wantCode:  1,
			wantMarks: withMarks(map[int]string{1: "✗ Slack bot token", 2: "✗ Slack app token"}),
			wantLines: []string{"cannot reach Slack at http://127.0.0.1:", "2 of 8 checks failed"},
		},
		{
			name:     "Jira 401",
			setup:    func(t *testing.T, w *doctorWorld) { w.env["JIRA_API_TOKEN"] = "jira-doctor-wrong-token-5e6f" },
			wantCode: 1,
			wantMarks: withMarks(map[int]string{
				3: "✗ Jira",
				4: "– Jira permission Administer Jira (ADMINISTER)",
				5: "– Jira permission Administer Projects (ADMINISTER_PROJECTS)",
				6: "– Jira permission Browse users and groups (USER_PICKER)",
			}),
			wantLines: []string{
				"✗ Jira: described: unauthorized",
				"fix: create an API token",
				"not checked: signing in to Jira failed",
				"1 of 8 checks failed, 3 not checked",
			},
		},
		{
			name:      "account without ADMINISTER",
			setup:     func(t *testing.T, w *doctorWorld) { w.jira.SetGlobalPermission("ADMINISTER", false) },
			wantCode:  1,
			wantMarks: withMarks(map[int]string{4: "✗ Jira permission Administer Jira (ADMINISTER)"}),
			wantLines: []string{
				"✗ Jira permission Administer Jira (ADMINISTER): missing: jsmbot can diagnose but not repair",
				`fix: add the account (or a group it is in) to "Administer Jira"`,
			},
		},
		{
			name: "account that administers no project and cannot browse users",
			setup: func(t *testing.T, w *doctorWorld) {
				w.jira.SetProjectPermission("ADMINISTER_PROJECTS", false)
				w.jira.SetGlobalPermission("USER_PICKER", false)
			},
			wantCode: 1,
			wantMarks: withMarks(map[int]string{
				5: "✗ Jira permission Administer Projects (ADMINISTER_PROJECTS)",
				6: "✗ Jira permission Browse users and groups (USER_PICKER)",
			}),
			wantLines: []string{"not held in any project", "cannot find reported customers"},
		},
		{
			name:      "Jira too slow for the time limit",
			setup:     func(t *testing.T, w *doctorWorld) { w.jira.SetLatency(time.Minute) },
			opts:      Options{Timeout: 100 * time.Millisecond},
			wantCode:  1,
			wantMarks: withMarks(map[int]string{3: "✗ Jira", 4: "– Jira permission Administer Jira (ADMINISTER)", 5: "– Jira permission Administer Projects (ADMINISTER_PROJECTS)", 6: "– Jira permission Browse users and groups (USER_PICKER)"}),
			wantLines: []string{"✗ Jira: described: no answer in time"},
		},
		{
			name: "Redis down",
			setup: func(t *testing.T, w *doctorWorld) {
				w.env["REDIS_URL"] = "redis://:" + doctorRedisPass + "@" + w.redis.Addr() + "/0"
				w.redis.Close()
			},
			wantCode:  1,
			wantMarks: withMarks(map[int]string{7: "✗ Redis"}),
			wantLines: []string{"does not answer PING", "fix: start Redis"},
		},
		{
			name: "Redis with the wrong password",
			setup: func(t *testing.T, w *doctorWorld) {
				w.redis.RequireAuth("the-right-one")
				w.env["REDIS_URL"] = "redis://:" + doctorRedisPass + "@" + w.redis.Addr() + "/0"
			},
			wantCode:  1,
			wantMarks: withMarks(map[int]string{7: "✗ Redis"}),
			wantLines: []string{"refused the credentials of REDIS_URL (WRONGPASS)", "the password (redis://:PASSWORD@host:6379/0) or the ACL user", "are wrong or missing"},
		},
		{
			name: "Redis needs a password",
			setup: func(t *testing.T, w *doctorWorld) {
				w.redis.RequireAuth(doctorRedisPass)
			},
			wantCode:  1,
			wantMarks: withMarks(map[int]string{7: "✗ Redis"}),
			wantLines: []string{"refused the credentials of REDIS_URL (NOAUTH)"},
		},
		{
			name: "Redis with a password",
			setup: func(t *testing.T, w *doctorWorld) {
				w.redis.RequireAuth(doctorRedisPass)
				w.env["REDIS_URL"] = "redis://:" + doctorRedisPass + "@" + w.redis.Addr() + "/0"
			},
			wantMarks: healthyMarks(),
		},
		{
			name: "nothing configured",
			setup: func(t *testing.T, w *doctorWorld) {
				clear(w.env)
			},
			wantCode: 1,
			wantMarks: []string{
				"✗ configuration",
				"– Slack bot token",
				"– Slack app token",
				"– Jira",
				"– Jira permission Administer Jira (ADMINISTER)",
				"– Jira permission Administer Projects (ADMINISTER_PROJECTS)",
				"– Jira permission Browse users and groups (USER_PICKER)",
				"✓ Redis",
			},
			wantLines: []string{
				"✗ configuration: 6 problems",
				"    JIRA_BASE_URL is not set\n",
				"    JIRA_EMAIL is not set\n",
				"    JIRA_API_TOKEN is not set\n",
				"    SLACK_BOT_TOKEN is not set",
				"    SLACK_APP_TOKEN is not set",
				"    JSMBOT_APPROVERS is not set",
			},
		},
		{
			name: "every variable malformed",
			setup: func(t *testing.T, w *doctorWorld) {
				w.env["JIRA_BASE_URL"] = "ftp://jira"
				w.env["JIRA_EMAIL"] = "admin"
				w.env["SLACK_BOT_TOKEN"] = doctorAppToken // swapped
				w.env["SLACK_APP_TOKEN"] = doctorBotToken
				w.env["SLACK_API_URL"] = "slack.com/api"
				w.env["REDIS_URL"] = "http://:" + doctorRedisPass + "@redis:6379/0"
				w.env["JSMBOT_APPROVERS"] = "U0OK,alice"
				w.env["JSMBOT_ALLOW_SELF_APPROVAL"] = "maybe"
				w.env["JSMBOT_HTTP_ADDR"] = "8080"
				w.env["JSMBOT_LOG_LEVEL"] = "loud"
			},
			wantCode: 1,
			wantMarks: []string{
				"✗ configuration",
				"– Slack bot token",
				"– Slack app token",
				"– Jira",
				"– Jira permission Administer Jira (ADMINISTER)",
				"– Jira permission Administer Projects (ADMINISTER_PROJECTS)",
				"– Jira permission Browse users and groups (USER_PICKER)",
				"– Redis",
			},
			wantLines: []string{
				"✗ configuration: 10 problems",
				"    JIRA_BASE_URL: ",
				"    JIRA_EMAIL must be the Atlassian account's email address",
				"    JSMBOT_LOG_LEVEL must be",
				"    SLACK_BOT_TOKEN must be a bot token (xoxb-…)",
				"    SLACK_APP_TOKEN must be an app-level token (xapp-…)",
				"    SLACK_API_URL must be an http(s) URL",
				"    REDIS_URL must look like redis://",
				`    JSMBOT_APPROVERS: "alice" is not a Slack user ID`,
				"    JSMBOT_ALLOW_SELF_APPROVAL must be true or false",
				"    JSMBOT_HTTP_ADDR must be host:port or :port",
			},
		},
		{
			name: "only the log level is wrong: the services are still checked",
			setup: func(t *testing.T, w *doctorWorld) {
				w.env["JSMBOT_LOG_LEVEL"] = "loud"
			},
			wantCode:  1,
			wantMarks: withMarks(map[int]string{0: "✗ configuration"}),
			wantLines: []string{"✗ configuration: 1 problem (see .env.example)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newDoctorWorld(t)
			if tt.setup != nil {
				tt.setup(t, w)
			}
			code, out := doctor(t, w.env, tt.opts)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d\noutput:\n%s", code, tt.wantCode, out)
			}
			if diff := cmp.Diff(tt.wantMarks, marks(out)); diff != "" {
				t.Errorf("check lines (-want +got):\n%s\noutput:\n%s", diff, out)
			}
			for _, want := range tt.wantLines {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			assertClean(t, out)
			secrets := []string{doctorJiraToken, doctorBotToken, doctorAppToken, doctorRedisPass}
			for _, v := range w.env {
				if strings.Contains(v, "secret") || strings.Contains(v, "wrong") {
					secrets = append(secrets, v)
				}
			}
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("output shows the secret %q:\n%s", s, out)
				}
			}
		})
	}
}

// TestSameProblemsAsRun: doctor reports the problems of config.Load, the
// loader jsmbot run uses, and adds only the empty approver list, which run
// merely warns about.
func TestSameProblemsAsRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		env       map[string]string
		wantExtra []string
	}{
		{
			name:      "nothing set",
			env:       map[string]string{},
			wantExtra: []string{"JSMBOT_APPROVERS is not set: nobody could approve a repair; list Slack user IDs (U…) and user-group IDs (S…), comma-separated"},
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
		},
		{
			name: "only an invalid approver",
			env:  map[string]string{"JSMBOT_APPROVERS": "alice"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Load(func(k string) string { return tt.env[k] })
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load error %v, want a *config.Error", err)
			}
			var want []string
			for _, p := range ce.Problems {
				want = append(want, p.Message)
			}
			want = append(want, tt.wantExtra...)
			got := checkConfig(newState(cfg, err, Options{})).Notes
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("doctor's problems (-run's and doctor's own +doctor's):\n%s", diff)
			}
		})
	}
}

// TestDoctorAuditLog: with the watch on, doctor says whether the watch
// can read Jira's audit log, and what a 403 means for it.
func TestDoctorAuditLog(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		readable  bool
		wantCode  int
		wantLines []string
	}{
		{"readable", true, 0, []string{"✓ Jira audit log (the watch): readable: the watch reads it every 2m and alerts in C0WATCH", "all 9 checks passed"}},
		{"403", false, 1, []string{
			"✗ Jira audit log (the watch): Jira refused to show it (403): the watch will fall back to full audits every 2m and cannot say who changed a scheme",
			"fix: grant Administer Jira to read the audit log",
			"1 of 9 checks failed",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newDoctorWorld(t)
			w.jira.SetAuditLogAvailable(tc.readable)
			w.env["JSMBOT_WATCH_CHANNEL"] = "C0WATCH"
			w.env["JSMBOT_WATCH_INTERVAL"] = "2m"
			code, out := doctor(t, w.env, Options{})
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d:\n%s", code, tc.wantCode, out)
			}
			for _, want := range tc.wantLines {
				if !strings.Contains(out, want) {
					t.Errorf("doctor's report lacks %q:\n%s", want, out)
				}
			}
		})
	}
}
