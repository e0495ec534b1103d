package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/internal/ops"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// closedAddr returns a loopback address nothing listens on: connecting to
// it is refused at once.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// busyAddr returns an address a listener holds until the test ends.
func busyAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln.Addr().String()
}

// TestDescribe: each failure is told as the component that failed, never
// as another one.
func TestDescribe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		err     func(t *testing.T) error
		want    string
		notWant string
	}{
		{name: "dead Redis", err: func(t *testing.T) error {
			st := store.NewRedis(redis.NewClient(&redis.Options{Addr: closedAddr(t), MaxRetries: -1, DialerRetries: 1}))
			defer st.Close()
			return fmt.Errorf("cannot reach Redis at x (REDIS_URL): %w", st.Ping(t.Context()))
		}, want: "Redis is not answering: cannot reach Redis at x (REDIS_URL): store: ping: ", notWant: "Jira"},
		{name: "busy listen address", err: func(t *testing.T) error {
			_, err := ops.Listen(busyAddr(t), nil)
			return repair.Mark(repair.KindListenFailed, err)
		}, want: "the ops HTTP listener cannot start (is the address in use?): listen on JSMBOT_HTTP_ADDR: ", notWant: "Jira"},
		{name: "unreachable Slack", err: func(t *testing.T) error {
			api := slack.New("xoxb-test", slack.OptionAPIURL("http://"+closedAddr(t)+"/api/"))
			_, err := api.AuthTestContext(t.Context())
			return repair.Mark(repair.KindSlackUnavailable, err)
		}, want: "Slack is not answering: ", notWant: "Jira"},
		{name: "Slack rate limit", err: func(*testing.T) error {
			return fmt.Errorf("auth.test: %w", &slack.RateLimitedError{RetryAfter: 42 * time.Second})
		}, want: "Slack is rate limiting this app; try again in 42s"},
		{name: "unreachable Jira", err: func(t *testing.T) error {
			c, err := jira.NewClient("http://"+closedAddr(t), jirasim.DefaultEmail, jirasim.DefaultToken, jira.WithMaxRetries(0))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Myself(t.Context())
			return err
		}, want: "cannot reach Jira: jira: GET /rest/api/3/myself: "},
		{name: "Jira times out", err: func(*testing.T) error {
			return &jira.TransportError{Method: "GET", Path: "/rest/api/3/myself", Err: context.DeadlineExceeded}
		}, want: "Jira did not answer in time: check that JIRA_BASE_URL is the Jira site"},
		{name: "Jira unavailable", err: func(*testing.T) error {
			return &jira.APIError{StatusCode: 503, Method: "GET", Path: "/x"}
		}, want: "Jira is unavailable (503) and the retries ran out; try again later"},
		{name: "rate limited, no wait given", err: func(*testing.T) error {
			return &jira.APIError{StatusCode: 429, Method: "GET", Path: "/x"}
		}, want: "Jira is rate limiting this account and the retries ran out; try again in a minute"},
		{name: "project missing", err: func(*testing.T) error {
			return &repair.ProjectError{Key: "NOPE", Missing: true, Err: &jira.APIError{StatusCode: 404, Messages: []string{"No project could be found with key 'NOPE'."}}}
		}, want: "project not found, or the Jira account cannot see it: No project could be found with key 'NOPE'."},
		{name: "a 404 that is not the project", err: func(*testing.T) error {
			return &jira.APIError{StatusCode: 404, Method: "GET", Path: "/rest/api/3/myself"}
		}, want: "jira: GET /rest/api/3/myself: 404 Not Found", notWant: "project not found"},
		{name: "forbidden", err: func(*testing.T) error {
			return &jira.APIError{StatusCode: 403, Method: "GET", Path: "/x"}
		}, want: "Jira refused the request: the account lacks a permission (jira: GET /x: 403 Forbidden)"},
		{name: "cancelled", err: func(*testing.T) error { return fmt.Errorf("diagnose: %w", context.Canceled) }, want: "interrupted"},
		{name: "a deadline elsewhere is not Jira's", err: func(*testing.T) error {
			return fmt.Errorf("save plan: %w", context.DeadlineExceeded)
		}, want: "save plan: context deadline exceeded", notWant: "Jira"},
		{name: "other", err: func(*testing.T) error { return errors.New("boom") }, want: "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := describe(tt.err(t))
			if !strings.Contains(got, tt.want) {
				t.Errorf("describe = %q, want it to contain %q", got, tt.want)
			}
			if tt.notWant != "" && strings.Contains(got, tt.notWant) {
				t.Errorf("describe = %q, which names %q", got, tt.notWant)
			}
		})
	}
}

// TestRunBotNamesTheComponent: jsmbot run that cannot start says which
// part is at fault, not "cannot reach Jira".
func TestRunBotNamesTheComponent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  func(t *testing.T) map[string]string
		want []string
	}{
		{
			name: "busy JSMBOT_HTTP_ADDR",
			env:  func(t *testing.T) map[string]string { return map[string]string{"JSMBOT_HTTP_ADDR": busyAddr(t)} },
			want: []string{"the ops HTTP listener cannot start", "JSMBOT_HTTP_ADDR", "address already in use"},
		},
		{
			name: "unreachable Slack",
			env: func(t *testing.T) map[string]string {
				return map[string]string{"SLACK_API_URL": "http://" + closedAddr(t) + "/api/"}
			},
			want: []string{"slack", "auth.test", "connection refused"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			jsim := siteOf(t, "NOPA")
			env := map[string]string{
				"JIRA_BASE_URL": jsim.URL, "JIRA_EMAIL": jirasim.DefaultEmail, "JIRA_API_TOKEN": jirasim.DefaultToken,
				"SLACK_APP_TOKEN": slacksim.DefaultAppToken, "SLACK_BOT_TOKEN": slacksim.DefaultBotToken,
			}
			for k, v := range tt.env(t) {
				env[k] = v
			}
			var out, errOut bytes.Buffer
			err := run(t.Context(), []string{"jsmbot", "run"}, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
			if code := report(err, &errOut); code != exitFailed {
				t.Errorf("exit code %d, want %d", code, exitFailed)
			}
			last := lastLine(errOut.String())
			for _, w := range tt.want {
				if !strings.Contains(last, w) {
					t.Errorf("last line %q lacks %q", last, w)
				}
			}
			if strings.Contains(last, "Jira") {
				t.Errorf("last line %q blames Jira", last)
			}
		})
	}
}

// lastLine is the last line of s, where report writes its verdict.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
