package repair_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// failingTransport answers every request with err, as a dialer that
// cannot connect would, without any real wait.
type failingTransport struct{ err error }

func (f failingTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, f.err }

// closedAddr returns an address nothing listens on any more.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// deadRedis returns a Redis store whose connections are all refused at once.
func deadRedis(t *testing.T) *store.Redis {
	t.Helper()
	s := store.NewRedis(redis.NewClient(&redis.Options{
		// An IP, never dialled: NewClient would resolve a host name.
		Addr: "192.0.2.1:6379", MaxRetries: -1, DialerRetries: 1,
		Dialer: func(context.Context, string, string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
		},
	}))
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// htmlEngine returns an engine whose Jira answers every request with an
// HTML page and status.
func htmlEngine(t *testing.T, status int) *repair.Engine {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<!DOCTYPE html><html><body>Log in</body></html>"))
	}))
	t.Cleanup(srv.Close)
	c, err := jira.NewClient(srv.URL, "a@b.c", "t", noRetries)
	if err != nil {
		t.Fatal(err)
	}
	return repair.New(c)
}

// noRetries makes a client give up at the first failure.
var noRetries = jira.WithMaxRetries(0)

func TestClassify(t *testing.T) {
	t.Parallel()
	const permAdmin = "Administer Projects (or Administer Jira)"
	tests := []struct {
		name string
		err  func(t *testing.T) error
		want repair.Failure
		// wantMessages: Jira's errorMessages come along.
		wantMessages bool
	}{
		{
			name: "nil",
			err:  func(*testing.T) error { return nil },
			want: repair.Failure{Kind: repair.KindUnknown},
		},
		{
			name: "plain error",
			err:  func(*testing.T) error { return errors.New("boom") },
			want: repair.Failure{Kind: repair.KindUnknown},
		},
		{
			name: "network error not from Jira",
			err: func(*testing.T) error {
				return fmt.Errorf("post message: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED})
			},
			want: repair.Failure{Kind: repair.KindUnknown},
		},
		{
			name: "deadline not from Jira",
			err:  func(*testing.T) error { return fmt.Errorf("save plan: %w", context.DeadlineExceeded) },
			want: repair.Failure{Kind: repair.KindUnknown},
		},
		{
			name: "unknown project",
			err: func(t *testing.T) error {
				e, _ := newEngine(t, jirasim.ScenarioHealthy)
				_, err := e.Diagnose(t.Context(), "NOPE")
				return fmt.Errorf("diagnose: %w", err)
			},
			want:         repair.Failure{Kind: repair.KindNotFound, Project: "NOPE", Status: http.StatusNotFound},
			wantMessages: true,
		},
		{
			name: "unknown project, checked alone",
			err: func(t *testing.T) error {
				e, _ := newEngine(t, jirasim.ScenarioHealthy)
				_, err := e.Project(t.Context(), "NOPE")
				return err
			},
			want:         repair.Failure{Kind: repair.KindNotFound, Project: "NOPE", Status: http.StatusNotFound},
			wantMessages: true,
		},
		{
			name: "desk not found is not the project not found",
			err: func(t *testing.T) error {
				e, sim := newEngine(t, jirasim.ScenarioHealthy)
				sim.FailNext(http.MethodGet, "/rest/servicedeskapi/servicedesk/", 1, http.StatusNotFound, nil)
				_, err := e.LookupCustomers(t.Context(), "HELP", []string{emailOf(t, sim, jirasim.ProspectErinID)})
				return err
			},
			want:         repair.Failure{Kind: repair.KindUnknown, Project: "HELP", Status: http.StatusNotFound},
			wantMessages: true,
		},
		{
			name: "not applicable",
			err: func(t *testing.T) error {
				e, _ := newEngine(t, jirasim.ScenarioSoftware)
				d, err := e.Diagnose(t.Context(), "SOFT")
				if err != nil {
					t.Fatal(err)
				}
				_, err = diagnosis.NewPlan(d.Snapshot, diagnosis.ModeAuto)
				return err
			},
			want: repair.Failure{Kind: repair.KindNotApplicable},
		},
		{
			name: "missing permission",
			err: func(t *testing.T) error {
				e, sim := newEngine(t, jirasim.ScenarioPortalAccessMissing)
				sim.SetProjectPermission("ADMINISTER_PROJECTS", false)
				sim.SetGlobalPermission("ADMINISTER", false)
				_, err := e.Diagnose(t.Context(), "NOPA")
				return err
			},
			want: repair.Failure{
				Kind: repair.KindForbidden, Project: "NOPA", Op: "read the permission scheme of NOPA", Permission: permAdmin,
				Status: http.StatusForbidden,
			},
			wantMessages: true,
		},
		{
			name: "forbidden without a known permission",
			err: func(t *testing.T) error {
				e, sim := newEngine(t, jirasim.ScenarioPortalAccessMissing)
				sim.FailNext(http.MethodGet, "/rest/api/3/project/NOPA", 1, http.StatusForbidden, nil)
				_, err := e.Project(t.Context(), "NOPA")
				return err
			},
			want:         repair.Failure{Kind: repair.KindForbidden, Project: "NOPA", Status: http.StatusForbidden},
			wantMessages: true,
		},
		{
			name: "wrong credentials",
			err: func(t *testing.T) error {
				sim := newSim(t, jirasim.ScenarioHealthy)
				c, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, "wrong-token", jira.WithHTTPClient(sim.Client()))
				if err != nil {
					t.Fatal(err)
				}
				_, err = repair.New(c).Diagnose(t.Context(), "HELP")
				return err
			},
			want:         repair.Failure{Kind: repair.KindUnauthenticated, Project: "HELP", Status: http.StatusUnauthorized},
			wantMessages: true,
		},
		{
			name: "Jira rate limit",
			err: func(t *testing.T) error {
				sim := newSim(t, jirasim.ScenarioHealthy)
				sim.RateLimit(1000, 2*time.Minute)
				_, err := engineOn(t, sim, noRetries).Diagnose(t.Context(), "HELP")
				return err
			},
			want: repair.Failure{
				Kind: repair.KindRateLimited, Project: "HELP", Status: http.StatusTooManyRequests,
				RetryAfter: 2 * time.Minute, Reason: "jira-burst-based",
			},
			wantMessages: true,
		},
		{
			name: "Jira unavailable",
			err: func(t *testing.T) error {
				sim := newSim(t, jirasim.ScenarioHealthy)
				sim.FailNext("", "/rest/api/3/", 1000, http.StatusServiceUnavailable, http.Header{"Retry-After": {"0"}})
				_, err := engineOn(t, sim, noRetries).Diagnose(t.Context(), "HELP")
				return err
			},
			want:         repair.Failure{Kind: repair.KindJiraUnavailable, Project: "HELP", Status: http.StatusServiceUnavailable},
			wantMessages: true,
		},
		{
			name: "Jira times out",
			err: func(t *testing.T) error {
				sim := newSim(t, jirasim.ScenarioHealthy)
				timeout := &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
				_, err := engineOn(t, sim, noRetries, through(failingTransport{timeout})).Diagnose(t.Context(), "HELP")
				return err
			},
			want: repair.Failure{Kind: repair.KindJiraTimeout, Project: "HELP"},
		},
		{
			name: "deadline passes while Jira is asked",
			err: func(t *testing.T) error {
				sim := newSim(t, jirasim.ScenarioHealthy)
				ctx, cancel := context.WithDeadline(t.Context(), time.Unix(0, 0))
				defer cancel()
				_, err := engineOn(t, sim, noRetries).Project(ctx, "HELP")
				return err
			},
			want: repair.Failure{Kind: repair.KindJiraTimeout, Project: "HELP"},
		},
		{
			name: "Jira unreachable",
			err: func(t *testing.T) error {
				c, err := jira.NewClient("http://"+closedAddr(t), jirasim.DefaultEmail, jirasim.DefaultToken, noRetries)
				if err != nil {
					t.Fatal(err)
				}
				_, err = repair.New(c).Diagnose(t.Context(), "HELP")
				return err
			},
			want: repair.Failure{Kind: repair.KindJiraUnreachable, Project: "HELP"},
		},
		{
			name: "Redis unavailable",
			err: func(t *testing.T) error {
				_, err := deadRedis(t).MarkOnce(t.Context(), "k", time.Minute)
				return fmt.Errorf("de-duplicate: %w", err)
			},
			want: repair.Failure{Kind: repair.KindRedisUnavailable},
		},
		{
			name: "Slack unavailable",
			err: func(t *testing.T) error {
				api := slack.New("xoxb-test", slack.OptionAPIURL("http://"+closedAddr(t)+"/api/"))
				_, _, err := api.PostMessageContext(t.Context(), "C1", slack.MsgOptionText("hi", false))
				if err == nil {
					t.Fatal("posting to a closed port succeeded")
				}
				return fmt.Errorf("post message: %w", repair.Mark(repair.KindSlackUnavailable, err))
			},
			want: repair.Failure{Kind: repair.KindSlackUnavailable},
		},
		{
			name: "Slack rate limit",
			err: func(*testing.T) error {
				return fmt.Errorf("post message: %w", &slack.RateLimitedError{RetryAfter: 30 * time.Second})
			},
			want: repair.Failure{Kind: repair.KindSlackRateLimited, RetryAfter: 30 * time.Second},
		},
		{
			name: "listen failed",
			err: func(t *testing.T) error {
				busy, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = busy.Close() })
				_, err = net.Listen("tcp", busy.Addr().String())
				if err == nil {
					t.Fatal("listening twice on one address succeeded")
				}
				return repair.Mark(repair.KindListenFailed, err)
			},
			want: repair.Failure{Kind: repair.KindListenFailed},
		},
		{
			name: "stale plan",
			err:  func(*testing.T) error { return fmt.Errorf("approve: %w", &repair.StaleError{}) },
			want: repair.Failure{Kind: repair.KindStale},
		},
		{
			name: "cancelled",
			err: func(t *testing.T) error {
				e, _ := newEngine(t, jirasim.ScenarioHealthy)
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				_, err := e.Diagnose(ctx, "HELP")
				return err
			},
			want: repair.Failure{Kind: repair.KindCancelled, Project: "HELP"},
		},
		{
			name: "config",
			err:  func(*testing.T) error { return repair.Mark(repair.KindConfig, errors.New("JIRA_BASE_URL is not set")) },
			want: repair.Failure{Kind: repair.KindConfig},
		},
		{
			name: "a web page where Jira's JSON should be",
			err: func(t *testing.T) error {
				_, err := htmlEngine(t, http.StatusOK).Project(t.Context(), "HELP")
				return err
			},
			want: repair.Failure{Kind: repair.KindBadResponse, Project: "HELP"},
		},
		{
			name: "a 404 web page: not Jira's REST API",
			err: func(t *testing.T) error {
				_, err := htmlEngine(t, http.StatusNotFound).Project(t.Context(), "HELP")
				return err
			},
			want: repair.Failure{Kind: repair.KindWrongBaseURL, Project: "HELP", Status: http.StatusNotFound},
		},
		{
			name: "outermost mark wins",
			err: func(*testing.T) error {
				inner := repair.Mark(repair.KindListenFailed, errors.New("listen"))
				return fmt.Errorf("start: %w", repair.Mark(repair.KindSlackUnavailable, inner))
			},
			want: repair.Failure{Kind: repair.KindSlackUnavailable},
		},
		{
			name: "a mark wins over the error it wraps",
			err: func(*testing.T) error {
				return repair.Mark(repair.KindConfig, &slack.RateLimitedError{RetryAfter: time.Second})
			},
			want: repair.Failure{Kind: repair.KindConfig, RetryAfter: time.Second},
		},
	}
	covered := map[repair.Kind]bool{}
	for _, tt := range tests {
		covered[tt.want.Kind] = true
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.err(t)
			got := repair.Classify(err)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(repair.Failure{}, "JiraMessages")); diff != "" {
				t.Errorf("Classify(%v) (-want +got):\n%s", err, diff)
			}
			if k := repair.KindOf(err); k != tt.want.Kind {
				t.Errorf("KindOf = %v, want %v", k, tt.want.Kind)
			}
			if gotMessages := len(got.JiraMessages) > 0; gotMessages != tt.wantMessages {
				t.Errorf("JiraMessages = %q, want some: %t", got.JiraMessages, tt.wantMessages)
			}
		})
	}
	for k := repair.KindUnknown; k <= repair.KindWrongBaseURL; k++ {
		if !covered[k] {
			t.Errorf("no row classifies an error as %v", k)
		}
	}
}

func TestKindString(t *testing.T) {
	t.Parallel()
	seen := map[string]repair.Kind{}
	for k := repair.KindUnknown; k <= repair.KindWrongBaseURL; k++ {
		s := k.String()
		if prev, dup := seen[s]; dup {
			t.Errorf("%d and %d are both called %q", prev, k, s)
		}
		seen[s] = k
	}
	if got := repair.Kind(-1).String(); got != "unknown" {
		t.Errorf("Kind(-1) = %q, want unknown", got)
	}
	if got := (repair.KindWrongBaseURL + 1).String(); got != "unknown" {
		t.Errorf("a kind past the last = %q, want unknown", got)
	}
}

func TestMarkNil(t *testing.T) {
	t.Parallel()
	if err := repair.Mark(repair.KindConfig, nil); err != nil {
		t.Errorf("Mark(k, nil) = %v, want nil", err)
	}
	err := errors.New("listen tcp :80: bind: address already in use")
	if got := repair.Mark(repair.KindListenFailed, err).Error(); got != err.Error() {
		t.Errorf("marked text = %q, want %q unchanged", got, err.Error())
	}
}
