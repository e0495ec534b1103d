package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// deadAddr returns the address of a server that has gone: connecting to it
// is refused at once.
func deadAddr() string {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.Listener.Addr().String()
}

// deadRedis returns a Redis store on an address nothing listens on, which
// dials once and does not retry.
func deadRedis(t *testing.T) store.Store {
	t.Helper()
	s := store.NewRedis(redis.NewClient(&redis.Options{Addr: deadAddr(), MaxRetries: -1, DialerRetries: 1}))
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestUserText(t *testing.T) {
	t.Parallel()
	notFound := &jira.APIError{StatusCode: 404, Method: "GET", Path: "/rest/api/3/project/NOPE", Messages: []string{"No project https://x.atlassian.net"}}
	tests := []struct {
		name string
		err  func(t *testing.T) error
		want string
		// notWant must not appear: the wrong component named.
		notWant string
	}{
		{name: "not found", err: func(*testing.T) error {
			return fmt.Errorf("diagnose: %w", &repair.ProjectError{Key: "NOPE", Missing: true, Err: notFound})
		}, want: "I can't find project NOPE, or my Jira account can't see it."},
		{name: "not found, no project named", err: func(*testing.T) error {
			return &repair.ProjectError{Missing: true, Err: notFound}
		}, want: "I can't find the project"},
		{name: "a 404 elsewhere is not a missing project", err: func(*testing.T) error {
			return &repair.ProjectError{Key: "HELP", Err: &jira.APIError{StatusCode: 404, Path: "/rest/servicedeskapi/servicedesk/HELP/customer"}}
		}, want: "Something went wrong (ref ", notWant: "can't find"},
		{name: "forbidden about a project", err: func(*testing.T) error {
			return &repair.ProjectError{Key: "HELP", Err: &jira.APIError{StatusCode: 403, Path: "/x"}}
		}, want: "Jira refused my request about project HELP"},
		{name: "rate limited", err: func(*testing.T) error {
			return &jira.APIError{StatusCode: 429, Path: "/x", RetryAfter: 30 * time.Second}
		}, want: "try again in 30s"},
		{name: "rate limited, no wait given", err: func(*testing.T) error {
			return &jira.APIError{StatusCode: 429, Path: "/x"}
		}, want: "try again in a minute"},
		{name: "unauthorized", err: func(*testing.T) error {
			return &jira.APIError{StatusCode: 401, Path: "/x"}
		}, want: "Jira rejected my credentials"},
		{name: "permission", err: func(*testing.T) error {
			return &repair.PermissionError{Op: "add a grant", Permission: "Administer Jira"}
		}, want: "*Administer Jira* permission"},
		{name: "Jira times out", err: func(*testing.T) error {
			return &jira.TransportError{Method: "GET", Path: "/x", Err: context.DeadlineExceeded}
		}, want: "Jira did not answer in time"},
		{name: "Jira unavailable", err: func(*testing.T) error {
			return &jira.APIError{StatusCode: 503, Path: "/x"}
		}, want: "Jira is unavailable right now"},
		{name: "friendly", err: func(*testing.T) error {
			return &friendlyError{text: "Nope.", err: errors.New("secret https://x")}
		}, want: "Nope."},
		{name: "other", err: func(*testing.T) error { return errors.New("dial tcp https://token@host") }, want: "Something went wrong (ref "},
		{name: "Jira unreachable", err: func(t *testing.T) error {
			c, err := jira.NewClient("http://"+deadAddr(), "bot@example.com", "token", jira.WithMaxRetries(0))
			if err == nil {
				_, err = repair.New(c).Diagnose(t.Context(), "HELP")
			}
			return err
		}, want: "I can't reach Jira right now"},
		{name: "dead Redis", err: func(t *testing.T) error {
			return fmt.Errorf("save plan: %w", deadRedis(t).SavePlan(t.Context(), store.PlanRecord{ID: "p1", ExpiresAt: time.Now().Add(time.Hour)}))
		}, want: "My state store (Redis) is not answering", notWant: "Jira"},
		{name: "unreachable Slack", err: func(t *testing.T) error {
			x := executor{slack: slack.New("xoxb-test", slack.OptionAPIURL("http://"+deadAddr()+"/api/"))}
			_, err := x.post(t.Context(), "C1", "", message{text: "hi"})
			return err
		}, want: "Slack did not take my message", notWant: "Jira"},
		{name: "Slack rate limit", err: func(*testing.T) error {
			return fmt.Errorf("post message: %w", &slack.RateLimitedError{RetryAfter: 20 * time.Second})
		}, want: "Slack is rate limiting me; try again in 20s."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.err(t)
			got, ref := userText(err)
			if !strings.Contains(got, tt.want) || !strings.Contains(got, ref) || len(ref) != 8 {
				t.Errorf("got %q (ref %q), want it to contain %q and the ref", got, ref, tt.want)
			}
			if tt.notWant != "" && strings.Contains(got, tt.notWant) {
				t.Errorf("got %q, which names %q", got, tt.notWant)
			}
			// The ref is random base32 and may spell "http" itself.
			if bare := strings.ReplaceAll(got, ref, ""); strings.Contains(bare, "http") || strings.Contains(bare, "127.0.0.1") {
				t.Errorf("user text carries a URL or address: %q", got)
			}
		})
	}
}

// TestSlackFailed: only a Slack call that got no answer, or a 5xx, is
// Slack being unavailable; Slack's refusals and cancellations are not.
func TestSlackFailed(t *testing.T) {
	t.Parallel()
	refused := &url.Error{Op: "Post", URL: "https://slack.com/api/chat.postMessage", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	tests := []struct {
		name string
		err  error
		want repair.Kind
	}{
		{"no answer", refused, repair.KindSlackUnavailable},
		{"server error", slack.StatusCodeError{Code: 503, Status: "503 Service Unavailable"}, repair.KindSlackUnavailable},
		{"refusal", slack.SlackErrorResponse{Err: "not_in_channel"}, repair.KindUnknown},
		{"client error status", slack.StatusCodeError{Code: 404, Status: "404 Not Found"}, repair.KindUnknown},
		{"rate limited", &slack.RateLimitedError{RetryAfter: time.Second}, repair.KindSlackRateLimited},
		{"cancelled", &url.Error{Op: "Post", URL: "https://slack.com/api/chat.update", Err: context.Canceled}, repair.KindCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := repair.KindOf(slackFailed(tt.err)); got != tt.want {
				t.Errorf("KindOf(slackFailed(%v)) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// TestRedisDownNamed: with Redis gone, a diagnosis still arrives, and the
// offer it cannot make says the state store is why, not Jira.
func TestRedisDownNamed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withStore(deadRedis(t)), func(h *harness) { h.quiet = true })
	got := h.diagnose(userRequester, "NOPA")
	blocks := string(got.Blocks)
	if !strings.Contains(blocks, "My state store (Redis) is not answering") || strings.Contains(blocks, "Jira did not") || strings.Contains(blocks, "reach Jira") {
		t.Errorf("report without an offer says:\n%s\nwant it to name Redis, not Jira", blocks)
	}
}
