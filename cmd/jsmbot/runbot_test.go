package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// syncBuffer is a bytes.Buffer safe for the bot's logger and the test.
// With at set, it calls seen once, when what was written contains at
// (a prompt, a last line).
type syncBuffer struct {
	mu   sync.Mutex
	b    bytes.Buffer
	at   string
	seen func()
	once sync.Once
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	if s.at != "" && strings.Contains(s.b.String(), s.at) {
		s.once.Do(s.seen)
	}
	return n, err
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunBot runs jsmbot run against jirasim, slacksim and miniredis: a
// slash command gets its report, an approver's click repairs the project,
// and cancelling the context (SIGTERM) returns nil promptly.
func TestRunBot(t *testing.T) {
	t.Parallel()
	jsim := siteOf(t, "NOPA")
	ssim := slacksim.NewServer(t)
	mr := miniredis.RunT(t)
	mr.RequireAuth("s3cret-redis")
	env := map[string]string{
		"JIRA_BASE_URL": jsim.URL, "JIRA_EMAIL": jirasim.DefaultEmail, "JIRA_API_TOKEN": jirasim.DefaultToken,
		"SLACK_APP_TOKEN": slacksim.DefaultAppToken, "SLACK_BOT_TOKEN": slacksim.DefaultBotToken,
		"SLACK_API_URL": ssim.APIURL(), "REDIS_URL": "redis://:s3cret-redis@" + mr.Addr() + "/0",
		"JSMBOT_APPROVERS": "U0BOB, S0ADMINS", "JSMBOT_HTTP_ADDR": "127.0.0.1:0",
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"jsmbot", "run"}, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
	}()

	wait, cancelWait := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancelWait()
	if err := ssim.WaitConnected(wait, 1); err != nil {
		t.Fatalf("bot did not connect: %v\n%s", err, stderr.String())
	}
	if _, err := ssim.SlashCommand(wait, slacksim.SlashCommand{UserID: "U0ALICE", ChannelID: "C0OPS", Text: "diagnose NOPA"}); err != nil {
		t.Fatal(err)
	}
	report, err := ssim.WaitMessage(wait, "C0OPS", func(m slacksim.Message) bool {
		return strings.Contains(string(m.Blocks), bot.ActionApproveInPlace)
	})
	if err != nil {
		t.Fatalf("no report: %v\n%s", err, stderr.String())
	}
	if _, err := ssim.Click(wait, slacksim.Click{UserID: "U0BOB", ChannelID: "C0OPS", MessageTS: report.TS, ActionID: bot.ActionApproveInPlace}); err != nil {
		t.Fatal(err)
	}
	if _, err := ssim.WaitMessage(wait, "C0OPS", func(m slacksim.Message) bool {
		return m.TS == report.TS && strings.Contains(m.Text, "repaired and verified")
	}); err != nil {
		t.Fatalf("no verified repair: %v\n%s", err, stderr.String())
	}
	if keys := mr.Keys(); len(keys) == 0 {
		t.Error("nothing was stored in Redis")
	}
	if got := healthz(t, stderr.String()); got != http.StatusOK {
		t.Errorf("/healthz answered %d, want 200", got)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v, want nil", err)
		}
	case <-time.After(bot.DefaultDrainTimeout + 2*time.Second):
		t.Fatal("run did not return after cancel")
	}
	for _, secret := range []string{slacksim.DefaultAppToken, slacksim.DefaultBotToken, jirasim.DefaultToken, "s3cret-redis"} {
		if strings.Contains(stderr.String()+stdout.String(), secret) {
			t.Errorf("output shows a secret %q", secret)
		}
	}
}

// healthz finds the health listener's address in the JSON log and probes it.
func healthz(t *testing.T, log string) int {
	t.Helper()
	for line := range strings.SplitSeq(log, "\n") {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) != nil || rec.Msg != "health listener" {
			continue
		}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+rec.Addr+"/healthz", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	t.Fatalf("no health listener in the log:\n%s", log)
	return 0
}

// TestRunBotConfig reports every configuration problem at once, names the
// variables and echoes no secret.
func TestRunBotConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{
			name: "nothing set",
			env:  map[string]string{},
			want: []string{"JIRA_BASE_URL is not set", "SLACK_APP_TOKEN is not set", "SLACK_BOT_TOKEN is not set"},
		},
		{
			name: "wrong values",
			env: map[string]string{
				"JIRA_BASE_URL": "https://x.atlassian.net", "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "t",
				"SLACK_APP_TOKEN": "xoxb-secret-swapped", "SLACK_BOT_TOKEN": "xapp-secret-swapped",
				"SLACK_API_URL": "slack.example/api", "REDIS_URL": "http://nope",
				"JSMBOT_APPROVERS": "U123,bob", "JSMBOT_ALLOW_SELF_APPROVAL": "sometimes",
			},
			want: []string{
				"SLACK_APP_TOKEN must be an app-level token (xapp-…)",
				"SLACK_BOT_TOKEN must be a bot token (xoxb-…)",
				"SLACK_API_URL must be an http(s) URL",
				"REDIS_URL must look like redis://",
				`JSMBOT_APPROVERS: "bob" is not a Slack user ID`,
				"JSMBOT_ALLOW_SELF_APPROVAL must be true or false",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			err := run(t.Context(), []string{"jsmbot", "run"}, func(k string) string { return tt.env[k] }, strings.NewReader(""), &out, &errOut)
			code := report(err, &errOut)
			if code != exitFailed {
				t.Errorf("exit code %d, want %d", code, exitFailed)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut.String())
				}
			}
			if strings.Contains(errOut.String(), "secret") {
				t.Errorf("stderr echoes a secret:\n%s", errOut.String())
			}
		})
	}
}

// TestRunBotRedisDown fails fast and clearly when Redis does not answer:
// in a synctest bubble, so the retries and backoff take no real time.
func TestRunBotRedisDown(t *testing.T) {
	t.Parallel()
	jsim := siteOf(t) // never called: run stops at Redis
	ssim := slacksim.NewServer(t)
	mr := miniredis.RunT(t)
	addr := mr.Addr()
	mr.Close()
	env := map[string]string{
		"JIRA_BASE_URL": jsim.URL, "JIRA_EMAIL": jirasim.DefaultEmail, "JIRA_API_TOKEN": jirasim.DefaultToken,
		"SLACK_APP_TOKEN": slacksim.DefaultAppToken, "SLACK_BOT_TOKEN": slacksim.DefaultBotToken,
		"SLACK_API_URL": ssim.APIURL(), "REDIS_URL": "redis://:pw-secret@" + addr,
	}
	synctest.Test(t, func(t *testing.T) {
		var out, errOut bytes.Buffer
		err := run(t.Context(), []string{"jsmbot", "run"}, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
		if code := report(err, &errOut); code != exitFailed {
			t.Errorf("exit code %d, want %d", code, exitFailed)
		}
		if !strings.Contains(errOut.String(), "cannot reach Redis at "+addr) || strings.Contains(errOut.String(), "pw-secret") {
			t.Errorf("stderr = %s", errOut.String())
		}
		if last := lastLine(errOut.String()); !strings.Contains(last, "Redis is not answering") || strings.Contains(last, "Jira") {
			t.Errorf("last line %q, want it to name Redis and not Jira", last)
		}
	})
}

// TestRunLogsOnlyJSON: with Redis down, go-redis's own lines come through
// run's JSON log too, not as plain text between them.
//
// Not parallel: go-redis's logger is process-wide, and run sends the lines
// that carry no logger of their own to the last run's; a run of another
// test starting meanwhile would take them.
func TestRunLogsOnlyJSON(t *testing.T) {
	jsim := siteOf(t) // never called: run stops at Redis
	ssim := slacksim.NewServer(t)
	mr := miniredis.RunT(t)
	addr := mr.Addr()
	mr.Close()
	env := map[string]string{
		"JIRA_BASE_URL": jsim.URL, "JIRA_EMAIL": jirasim.DefaultEmail, "JIRA_API_TOKEN": jirasim.DefaultToken,
		"SLACK_APP_TOKEN": slacksim.DefaultAppToken, "SLACK_BOT_TOKEN": slacksim.DefaultBotToken,
		"SLACK_API_URL": ssim.APIURL(), "REDIS_URL": "redis://" + addr,
	}
	synctest.Test(t, func(t *testing.T) {
		var errOut bytes.Buffer
		err := run(t.Context(), []string{"jsmbot", "run"}, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, &errOut)
		if err == nil {
			t.Fatal("run started without Redis")
		}
		sawRedis := false
		for _, line := range strings.Split(strings.TrimSpace(errOut.String()), "\n") {
			var entry struct{ Msg string }
			if err := json.Unmarshal([]byte(line), &entry); err != nil {
				t.Errorf("a log line is not JSON: %q", line)
			}
			sawRedis = sawRedis || strings.HasPrefix(entry.Msg, "redis: ")
		}
		if !sawRedis {
			t.Errorf("go-redis's lines are not in run's log:\n%s", errOut.String())
		}
	})
}
