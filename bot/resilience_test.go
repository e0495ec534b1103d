package bot

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/internal/fakeclock"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/store"
)

// TestSocketFaultsMidFlow: Slack replaces or loses the Socket Mode
// connection while an approval is being applied. A command sent meanwhile
// is delivered on the new connection and handled; the click, redelivered
// as Slack does when it saw no ack, is applied once.
func TestSocketFaultsMidFlow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault func(*slacksim.Server)
	}{
		{"refresh_requested", func(s *slacksim.Server) { s.Disconnect("refresh_requested") }},
		{"warning", func(s *slacksim.Server) { s.Disconnect("warning") }},
		{"dropped TCP connection", func(s *slacksim.Server) { s.DropConnections() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			report := h.diagnose(userRequester, "NOPA")
			planID := buttonValue(t, report, ActionApproveInPlace)

			h.jira.SetLatency(20 * time.Millisecond) // keep the repair in flight
			click := h.send(userApprover, report, ActionApproveInPlace)
			if _, err := h.slack.WaitAck(h.ctx(), click); err != nil {
				t.Fatal(err)
			}
			tt.fault(h.slack)

			// Sent while the bot reconnects: slacksim holds it until a
			// socket takes envelopes again, as Slack queues for the app.
			cmd, err := h.slack.SlashCommand(h.ctx(), slacksim.SlashCommand{UserID: userOutsider, ChannelID: channel, Text: "diagnose HELP"})
			if err != nil {
				t.Fatal(err)
			}
			if err := h.slack.Redeliver(h.ctx(), click); err != nil {
				t.Fatal(err)
			}
			h.track.wait(t, cmd, 1)
			h.track.wait(t, click, 2)

			if _, err := h.slack.WaitMessage(h.ctx(), channel, func(m slacksim.Message) bool {
				return strings.HasPrefix(m.Text, "HELP:") && strings.Contains(string(m.Blocks), "Healthy")
			}); err != nil {
				t.Errorf("the command sent during the reconnect was lost: %v", err)
			}
			if got := h.plan(planID).State; got != store.StateApplied {
				t.Errorf("plan is %s, want applied", got)
			}
			if diff := cmp.Diff([]string{"applied"}, h.actions(planID)); diff != "" {
				t.Errorf("audit actions (-want +got):\n%s", diff)
			}
			rec := h.plan(planID)
			data, err := approval.Decode(rec)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(h.writes()), len(data.Plan.AddGrants)+len(data.Plan.RemoveGrants); got != want {
				t.Errorf("%d Jira writes, want %d: the repair was applied more than once", got, want)
			}
		})
	}
}

// TestJiraFaults: rate limits, outages and timeouts are retried within the
// budget; when the budget runs out the user is told in Slack what happened
// and when to try again, and nothing is half done.
func TestJiraFaults(t *testing.T) {
	t.Parallel()
	retryAfter := func(s string) http.Header { return http.Header{"Retry-After": {s}} }
	tests := []struct {
		name     string
		opts     []jira.Option
		fault    func(h *harness)
		wantText string // in the requester's last ephemeral message; "" means the report arrives
	}{
		{
			name:  "429s within the budget",
			fault: func(h *harness) { h.jira.RateLimit(2, 0) },
		},
		{
			name:     "429 storm beyond the budget",
			fault:    func(h *harness) { h.jira.RateLimit(1000, 2*time.Minute) },
			wantText: "Jira is throttling my requests and the retries ran out; try again in 2m0s",
		},
		{
			name: "503s within the budget",
			opts: []jira.Option{jira.WithMaxRetries(2)},
			fault: func(h *harness) {
				h.jira.FailNext(http.MethodGet, "/rest/api/3/project/", 2, http.StatusServiceUnavailable, retryAfter("0"))
			},
		},
		{
			name: "503s beyond the budget",
			opts: []jira.Option{jira.WithMaxRetries(2)},
			fault: func(h *harness) {
				h.jira.FailNext("", "/rest/api/3/", 1000, http.StatusServiceUnavailable, retryAfter("0"))
			},
			wantText: "Jira is unavailable right now and the retries ran out; try again later",
		},
		{
			name:     "timeouts",
			opts:     []jira.Option{jira.WithTimeout(20 * time.Millisecond), jira.WithMaxRetries(1)},
			fault:    func(h *harness) { h.jira.SetLatency(time.Second) },
			wantText: "Jira did not answer in time; try again in a moment",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Retries wait a millisecond instead of Jira's default backoff.
			opts := append([]jira.Option{jira.WithRetryWait(time.Millisecond)}, tt.opts...)
			h := newHarness(t, withJiraOptions(opts...))
			tt.fault(h)
			h.slash(userRequester, "diagnose NOPA")
			got := h.lastEphemeral(userRequester)
			if tt.wantText == "" {
				if got != "" {
					t.Errorf("ephemeral %q, want the report", got)
				}
				if _, err := h.slack.WaitMessage(h.ctx(), channel, func(m slacksim.Message) bool { return strings.HasPrefix(m.Text, "NOPA:") }); err != nil {
					t.Errorf("no report after retries: %v", err)
				}
				return
			}
			if !strings.Contains(got, tt.wantText) || !strings.Contains(got, "(ref ") {
				t.Errorf("ephemeral %q, want %q with a ref", got, tt.wantText)
			}
			if w := h.writes(); len(w) != 0 {
				t.Errorf("Jira writes: %+v", w)
			}
		})
	}
}

// TestJiraWriteFailsDuringApply: a 503 on a grant POST is not retried (Jira
// may have applied it); the plan ends failed, the message says so, and the
// POST went out once.
func TestJiraWriteFailsDuringApply(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	report := h.diagnose(userRequester, "NOPA")
	planID := buttonValue(t, report, ActionApproveInPlace)
	h.jira.FailNext(http.MethodPost, "/rest/api/3/permissionscheme/", 1, http.StatusServiceUnavailable, nil)
	h.click(userApprover, report, ActionApproveInPlace)

	rec := h.plan(planID)
	if rec.State != store.StateFailed || !strings.Contains(rec.Result, "failed after") {
		t.Errorf("plan is %s (%q), want failed", rec.State, rec.Result)
	}
	var posts []string
	for _, w := range h.writes() {
		posts = append(posts, w.Method+" "+w.Path)
	}
	if len(posts) != 1 {
		t.Errorf("Jira writes %q, want the one failed POST, not retried", posts)
	}
	if got := slacksim.RenderBlocks(h.message(report).Blocks); !strings.Contains(got, "Jira is unavailable") {
		t.Errorf("message after the failed repair does not say why:\n%s", got)
	}
	if diff := cmp.Diff([]string{"failed"}, h.actions(planID)); diff != "" {
		t.Errorf("audit actions (-want +got):\n%s", diff)
	}
}

// flakyStore fails Transition when fail says so.
type flakyStore struct {
	store.Store
	fail func(from, to store.State) bool
}

func (s flakyStore) Transition(ctx context.Context, id string, from, to store.State, mutate func(*store.PlanRecord)) (store.PlanRecord, error) {
	if s.fail(from, to) {
		return store.PlanRecord{}, errors.New("store: transition: connection reset by peer")
	}
	return s.Store.Transition(ctx, id, from, to, mutate)
}

// TestStoreFaultsDuringFlow: when the store cannot record the approval,
// nothing reaches Jira and the approver is told; once the store is back
// the same button works.
func TestStoreFaultsDuringFlow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(t *testing.T) (st store.Store, down, up func())
		wantMsg string
		// spent: the failed click took the message's decision marker, so
		// its buttons are refused afterwards and a fresh diagnosis is the
		// way on (the message says so).
		spent bool
	}{
		{
			name: "redis down",
			setup: func(t *testing.T) (store.Store, func(), func()) {
				mr := miniredis.RunT(t)
				// One dial per command: go-redis's dial retries would only
				// add real backoff to a refused connection.
				rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialerRetries: 1})
				st := store.NewRedis(rdb, store.WithRedisClock(fakeclock.New().Now)) // the harness's fixed time
				t.Cleanup(func() { st.Close() })
				return st, mr.Close, func() {
					if err := mr.Restart(); err != nil {
						t.Fatal(err)
					}
				}
			},
			wantMsg: "I can't read my records right now, so nothing was changed",
		},
		{
			name: "approval cannot be recorded",
			setup: func(t *testing.T) (store.Store, func(), func()) {
				var broken bool
				st := flakyStore{Store: store.NewMemory(store.WithClock(fakeclock.New().Now)), fail: func(from, to store.State) bool {
					return broken && from == store.StatePending && to == store.StateApplying
				}}
				return st, func() { broken = true }, func() { broken = false }
			},
			wantMsg: "I couldn't record your approval, so nothing was applied. Run `/jsm diagnose NOPA` again",
			spent:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, down, up := tt.setup(t)
			h := newHarness(t, withStore(st))
			report := h.diagnose(userRequester, "NOPA")
			planID := buttonValue(t, report, ActionApproveInPlace)

			down()
			h.click(userApprover, report, ActionApproveInPlace)
			if got := h.lastEphemeral(userApprover); !strings.Contains(got, tt.wantMsg) || !strings.Contains(got, "(ref ") {
				t.Errorf("ephemeral %q, want %q with a ref", got, tt.wantMsg)
			}
			if w := h.writes(); len(w) != 0 {
				t.Fatalf("Jira writes without a recorded approval: %+v", w)
			}
			up()
			if got := h.plan(planID).State; got != store.StatePending {
				t.Fatalf("plan is %s after the failed click, want pending", got)
			}

			h.click(userApprover, report, ActionApproveInPlace)
			if tt.spent {
				if got := h.plan(planID).State; got != store.StatePending || len(h.writes()) != 0 {
					t.Errorf("spent button: plan %s, %d writes; want pending and none", got, len(h.writes()))
				}
				old := report.TS
				h.slash(userRequester, "diagnose NOPA")
				fresh, err := h.slack.WaitMessage(h.ctx(), channel, func(m slacksim.Message) bool {
					return m.TS != old && strings.HasPrefix(m.Text, "NOPA:") && strings.Contains(string(m.Blocks), ActionApproveInPlace)
				})
				if err != nil {
					t.Fatal(err)
				}
				report, planID = fresh, buttonValue(t, fresh, ActionApproveInPlace)
				h.click(userApprover, report, ActionApproveInPlace)
			}
			if got := h.plan(planID).State; got != store.StateApplied {
				t.Errorf("plan is %s after the store came back, want applied (last ephemeral %q)", got, h.lastEphemeral(userApprover))
			}
		})
	}
}
