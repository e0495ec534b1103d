package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// writeGate holds each write to Jira until the test lets it through: it
// stands for Jira's latency, on the test's terms. A held write whose
// context ends fails without reaching Jira.
type writeGate struct {
	next    http.RoundTripper
	arrived chan string
	release chan struct{}
}

func newWriteGate(next http.RoundTripper) *writeGate {
	return &writeGate{next: next, arrived: make(chan string, 16), release: make(chan struct{}, 16)}
}

func (g *writeGate) RoundTrip(r *http.Request) (*http.Response, error) {
	// The permission check is a POST that only reads.
	if path := r.URL.Path; r.Method != http.MethodGet && !strings.HasSuffix(path, "/permissions/check") {
		g.arrived <- r.Method + " " + r.URL.Path
		select {
		case <-g.release:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	return g.next.RoundTrip(r)
}

// next1 waits for the next write to arrive at the gate.
func (g *writeGate) next1(t *testing.T) string {
	t.Helper()
	select {
	case w := <-g.arrived:
		return w
	case <-time.After(20 * time.Second):
		t.Fatal("no write arrived at the gate")
		return ""
	}
}

// syncBuffer is a log sink tests read while the bot writes.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed and replaced by each write
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	return s.b.Write(p)
}

// waitFor waits until the log holds text.
func (s *syncBuffer) waitFor(t *testing.T, text string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for {
		s.mu.Lock()
		found := strings.Contains(s.b.String(), text)
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		ch := s.changed
		s.mu.Unlock()
		if found {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("the log never said %q:\n%s", text, s)
		}
	}
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startGatedBot starts a bot like harness.startBot whose Jira writes pass
// through gate and whose log goes to logs as well.
func startGatedBot(h *harness, gate *writeGate, logs *syncBuffer) *runningBot {
	t := h.t
	t.Helper()
	client, err := jira.NewClient(h.jira.URL, jirasim.DefaultEmail, jirasim.DefaultToken,
		jira.WithHTTPClient(&http.Client{Transport: gate}), jira.WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	api := slack.New(slacksim.DefaultBotToken, slack.OptionAppLevelToken(slacksim.DefaultAppToken), slack.OptionAPIURL(h.slack.APIURL()))
	sm := socketmode.New(api)
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b, err := New(h.cfg, Deps{
		Events: sm.Events, Ack: sm.AckCtx, Slack: sm,
		Engine: repair.New(client, h.engineOptions()...), Store: h.store, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	b.handled = h.track.done
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	smDone, botDone := make(chan error, 1), make(chan error, 1)
	go func() { smDone <- sm.RunContext(ctx) }()
	go func() { botDone <- b.Run(ctx) }()
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			stopErr = <-botDone
			if err := <-smDone; err != nil && !errors.Is(err, context.Canceled) {
				stopErr = errors.Join(stopErr, err)
			}
		})
		return stopErr
	}
	t.Cleanup(func() { _ = stop() })
	rb := &runningBot{bot: b, stop: stop}
	h.bots = append(h.bots, rb)
	wctx, wcancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer wcancel()
	if err := h.slack.WaitConnected(wctx, len(h.bots)); err != nil {
		t.Fatalf("bot did not connect: %v", err)
	}
	return rb
}

// gatedHarness is a harness on a site of seed whose one bot writes to Jira
// through a gate.
func gatedHarness(t *testing.T, cfg func(*Config), seed ...jirasim.Scenario) (*harness, *writeGate, *syncBuffer) {
	t.Helper()
	h := newHarness(t, withSeed(seed...), withConfig(func(c *Config) {
		c.ReconcileInterval = time.Hour
		if cfg != nil {
			cfg(c)
		}
	}))
	if err := h.bots[0].stop(); err != nil {
		t.Fatal(err)
	}
	h.bots = nil
	if err := h.slack.WaitDisconnected(h.ctx()); err != nil {
		t.Fatal(err)
	}
	// In-process, as the harness's bots reach Jira.
	gate, logs := newWriteGate(h.jira.Client().Transport), &syncBuffer{}
	startGatedBot(h, gate, logs)
	return h, gate, logs
}

// storedRecord decodes the record a plan holds.
func storedRecord(t *testing.T, rec store.PlanRecord) repair.Record {
	t.Helper()
	var r repair.Record
	if len(rec.Record) == 0 {
		t.Fatalf("plan %s holds no record", rec.ID)
	}
	if err := json.Unmarshal(rec.Record, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func outcomes(r repair.Record) []repair.Outcome {
	var out []repair.Outcome
	for _, c := range r.Changes {
		out = append(out, c.Outcome)
	}
	return out
}

// TestShutdownLetsApplyFinish: SIGTERM (Run's context ends) while a 5-write
// plan waits on Jira's 2 s latency. The drain's budget is sized to the
// writes left, so all five land and are recorded.
func TestShutdownLetsApplyFinish(t *testing.T) {
	t.Parallel()
	h, gate, logs := gatedHarness(t, nil, jirasim.ScenarioCustomersRole)
	report := h.diagnose(userRequester, "CUST")
	planID := buttonValue(t, report, ActionApproveInPlace)
	h.send(userApprover, report, ActionApproveInPlace)
	gate.next1(t)
	stopped := make(chan error, 1)
	go func() { stopped <- h.bots[0].stop() }()
	// The drain has begun, with the first write held and four to go.
	logs.waitFor(t, "waiting for the applies in flight")
	for i := range 5 {
		if i > 0 {
			gate.next1(t)
		}
		h.clock.Advance(2 * time.Second)
		gate.release <- struct{}{}
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Run returned %v", err)
	}
	if got := h.plan(planID); got.State != store.StateApplied {
		t.Fatalf("plan is %s (%s), want applied", got.State, got.Result)
	}
	if n := len(h.writes()); n != 5 {
		t.Errorf("%d writes, want 5", n)
	}
	audits, err := h.store.Audit(h.ctx(), planID)
	if err != nil {
		t.Fatal(err)
	}
	if len(audits) != 1 || audits[0].Action != approval.Applied || len(audits[0].Created)+len(audits[0].Removed) != 5 {
		t.Errorf("audit = %+v, want one applied record of 5 changes", audits)
	}
}

// TestShutdownPastBudgetLeavesPlanToReconciler: while a plan applies, the
// plan's record in the store lists each write as it lands, with the grant
// id Jira gave it, before the next write starts; the lease is renewed with
// it. Then the drain's budget runs out while the next write is held. The
// plan stays applying with the writes it recorded, its lease ends, the log
// says the reconciler will settle it, and a reconciler then records
// exactly what landed: never a half-repair with no record.
func TestShutdownPastBudgetLeavesPlanToReconciler(t *testing.T) {
	t.Parallel()
	h, gate, logs := gatedHarness(t, func(c *Config) {
		c.DrainTimeout, c.WriteBudget, c.MaxDrain = 20*time.Millisecond, time.Millisecond, 40*time.Millisecond
	}, jirasim.ScenarioCustomersRole)
	report := h.diagnose(userRequester, "CUST")
	planID := buttonValue(t, report, ActionApproveInPlace)
	h.send(userApprover, report, ActionApproveInPlace)
	gate.next1(t)
	approvedAt := h.plan(planID).LeaseUntil
	h.clock.Advance(2 * time.Second) // Jira's latency
	gate.release <- struct{}{}
	gate.next1(t) // the second write waits, until the drain gives up: the first is recorded by now
	landed := h.plan(planID)
	r := storedRecord(t, landed)
	if got := outcomes(r); len(got) != 5 || got[0] != repair.Made || got[1] != repair.NotAttempted {
		t.Fatalf("recorded outcomes %v, want the first of 5 made and the second not attempted", got)
	}
	schemeID, _ := h.jira.ProjectSchemeID("CUST")
	var found bool
	for _, g := range h.jira.SchemeGrants(schemeID) {
		found = found || g.ID == r.Changes[0].Grant.ID
	}
	if !found {
		t.Errorf("recorded grant id %d is not in Jira", r.Changes[0].Grant.ID)
	}
	if !landed.LeaseUntil.After(approvedAt) {
		t.Errorf("lease %v was not renewed past %v with the landed write", landed.LeaseUntil, approvedAt)
	}
	if err := h.bots[0].stop(); err != nil {
		t.Fatalf("Run returned %v", err)
	}
	rec := h.plan(planID)
	if rec.State != store.StateApplying {
		t.Fatalf("plan is %s, want applying for the reconciler", rec.State)
	}
	r = storedRecord(t, rec)
	if got := outcomes(r); got[0] != repair.Made || got[4] != repair.NotAttempted {
		t.Errorf("recorded outcomes %v, want the first made and the last not attempted", got)
	}
	if rec.LeaseUntil.After(h.clock.Now()) {
		t.Errorf("lease runs until %v, after now %v", rec.LeaseUntil, h.clock.Now())
	}
	if !strings.Contains(logs.String(), "the reconciler will settle it") {
		t.Errorf("log does not say the reconciler will settle it:\n%s", logs)
	}
	if n := len(h.writes()); n != 1 {
		t.Fatalf("%d writes reached Jira, want 1", n)
	}

	// A replica after the restart settles it, without waiting for a lease.
	h.clock.Advance(time.Second)
	if err := h.slack.WaitDisconnected(h.ctx()); err != nil {
		t.Fatal(err)
	}
	h.bots = nil
	next := h.startBot()
	if err := next.bot.reconcile(h.ctx()); err != nil { // or its own first pass does
		t.Fatal(err)
	}
	if _, err := h.slack.WaitMessage(h.ctx(), channel, func(m slacksim.Message) bool {
		return m.ThreadTS == report.TS && m.Text == "Audit: "+approval.Settled
	}); err != nil {
		t.Fatalf("no audit summary in the thread: %v", err)
	}
	got := h.plan(planID)
	if got.State != store.StateFailed || !strings.Contains(got.Result, "1 change(s) found in Jira, 4 not made") {
		t.Errorf("plan is %s (%s), want failed with 1 change found", got.State, got.Result)
	}
	audits, err := h.store.Audit(h.ctx(), planID)
	if err != nil {
		t.Fatal(err)
	}
	if len(audits) != 1 || audits[0].Action != approval.Settled || len(audits[0].Created)+len(audits[0].Removed) != 1 {
		t.Errorf("audit = %+v, want one settled record of the one change", audits)
	}
}
