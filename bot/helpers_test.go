package bot

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/internal/fakeclock"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/repair/repairtest"
	"github.com/jsmbot/jsmbot/store"
)

// Test users. The requester is an approver too, so that refusing their own
// click tests the self-approval rule and not the approver list.
const (
	userRequester   = "U0REQUEST"
	userApprover    = "U0APPROVE"
	userGroupMember = "U0GROUPIE"
	userOutsider    = "U0OUTSIDE"
	approverGroup   = "S0APPROVERS"
	channel         = "C0OPS"
)

// tracker counts the jobs a bot finished, per envelope, so tests wait for
// work instead of sleeping.
type tracker struct {
	mu      sync.Mutex
	counts  map[string]int
	changed chan struct{}
}

func newTracker() *tracker { return &tracker{counts: map[string]int{}, changed: make(chan struct{})} }

func (tr *tracker) done(envelopeID string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.counts[envelopeID]++
	close(tr.changed)
	tr.changed = make(chan struct{})
}

// waitDistinct waits until n different envelopes (and follow-ups) were
// handled, for work whose envelope IDs a test does not know (echoes).
func (tr *tracker) waitDistinct(t testing.TB, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for {
		tr.mu.Lock()
		got, ch := len(tr.counts), tr.changed
		tr.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("%d envelopes handled, want %d", got, n)
		}
	}
}

// wait waits until the envelope was handled n times in all.
func (tr *tracker) wait(t testing.TB, envelopeID string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for {
		tr.mu.Lock()
		got, ch := tr.counts[envelopeID], tr.changed
		tr.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("envelope %s handled %d time(s), want %d", envelopeID, got, n)
		}
	}
}

// harness is one Slack workspace (slacksim) and one Jira site (jirasim),
// with bots attached.
type harness struct {
	t testing.TB
	// checker is the engine healthy diagnoses with, made on first use; its
	// warm site index spares a cold scan per call (health is judged from
	// the project's own fresh reads, never from the index).
	checker *repair.Engine
	quiet   bool // discard the bots' logs
	jira    *jirasim.Server
	slack   *slacksim.Server
	clock   *fakeclock.Clock
	store   store.Store
	track   *tracker
	cfg     Config
	bots    []*runningBot
	// simOpts are extra options for the Slack simulator.
	simOpts []slacksim.Option
	// jiraOpts are extra options for the bots' Jira clients.
	jiraOpts []jira.Option
	// budgets shorten the report form's Jira budgets of the bots.
	budgets formBudgets
	// gate, when set, holds the bots' Jira requests (withJiraGate).
	gate *jiraGate
	// indexInStore keeps the bots' site index in the store (NewIndexStore),
	// as jsmbot run does.
	indexInStore bool
	// seed is what the Jira site holds (withSeed), when no option made
	// the simulator itself (withFleet).
	seed []jirasim.Scenario
	// seeded is set when the harness seeded the site itself (from seed),
	// so that repairtest.WarmIndex knows what a scan of it finds.
	seeded bool
	// cold starts the bots without a site index (withColdIndex): their
	// first diagnosis scans the site.
	cold bool
	// wrapJira, when set, wraps the transport of the bots' Jira clients
	// (withJiraGate).
	wrapJira func(http.RoundTripper) http.RoundTripper
}

type runningBot struct {
	bot *Bot
	// cancel tells the bot to stop; stop does too, then waits for it.
	cancel func()
	stop   func() error
}

type harnessOption func(*harness)

func withConfig(f func(*Config)) harnessOption { return func(h *harness) { f(&h.cfg) } }
func withStore(s store.Store) harnessOption    { return func(h *harness) { h.store = s } }

// withJiraOptions configures the bots' Jira clients (retries, timeouts).
func withJiraOptions(opts ...jira.Option) harnessOption {
	return func(h *harness) { h.jiraOpts = append(h.jiraOpts, opts...) }
}

// withJiraGate routes the bots' Jira requests through g, which can hold
// them.
func withJiraGate(g *jiraGate) harnessOption {
	return func(h *harness) {
		h.gate = g
		h.wrapJira = func(next http.RoundTripper) http.RoundTripper {
			g.next = next
			return g
		}
	}
}

// withSeed seeds the harness's Jira with only the scenarios a test uses,
// instead of the default: every diagnosis scans the whole site, so each
// project and scheme more costs requests.
func withSeed(scenarios ...jirasim.Scenario) harnessOption {
	return func(h *harness) { h.seed = scenarios }
}

// withColdIndex starts the bots without a site index, so that their first
// diagnosis scans the site, as a bot's first diagnosis does when nothing
// refreshed the index before it. Without it, a bot on a seeded site starts
// with the index that scan would build (repairtest.WarmIndex).
func withColdIndex() harnessOption { return func(h *harness) { h.cold = true } }

// withFormBudgets shortens the report form's Jira budgets.
func withFormBudgets(b formBudgets) harnessOption { return func(h *harness) { h.budgets = b } }

func withSlackOptions(opts ...slacksim.Option) harnessOption {
	return func(h *harness) { h.simOpts = append(h.simOpts, opts...) }
}

// newHarness starts the simulators and one bot.
func newHarness(t testing.TB, opts ...harnessOption) *harness {
	t.Helper()
	h := &harness{
		t:     t,
		clock: fakeclock.New(),
		track: newTracker(),
		// Without withSeed: a broken project (NOPA) and a healthy one
		// (HELP), so that a report's "no other project uses this scheme"
		// is decided among more than one project.
		seed: []jirasim.Scenario{jirasim.ScenarioPortalAccessMissing, jirasim.ScenarioHealthy},
		cfg: Config{
			Approvers: []string{userRequester, userApprover, approverGroup},
		},
	}
	for _, o := range opts {
		o(h)
	}
	if h.jira == nil {
		h.jira = jirasim.NewServer(t, jirasim.WithSeed(h.seed...))
		h.seeded = true
	}
	// The bots reach Jira in-process (jirasim's Client): the same
	// requests, client and simulator, without a socket, which the race
	// detector makes dear. Options of the test apply after it.
	transport := h.jira.Client().Transport
	if h.wrapJira != nil {
		transport = h.wrapJira(transport)
	}
	h.jiraOpts = append([]jira.Option{jira.WithHTTPClient(&http.Client{Transport: transport})}, h.jiraOpts...)
	h.slack = slacksim.NewServer(t, append([]slacksim.Option{
		slacksim.WithUsers(
			slacksim.User{ID: userRequester, Name: "alice"},
			slacksim.User{ID: userApprover, Name: "bob"},
			slacksim.User{ID: userGroupMember, Name: "gina"},
			slacksim.User{ID: userOutsider, Name: "mallory"},
		),
		slacksim.WithUserGroup(approverGroup, userGroupMember),
		slacksim.WithChannel(channel, "ops"),
	}, h.simOpts...)...)
	h.cfg.Now = h.clock.Now
	if h.store == nil {
		h.store = store.NewMemory(store.WithClock(h.clock.Now))
	}
	h.startBot()
	return h
}

// jiraGate is a Jira transport that holds requests while it is closed, so
// a test can keep work waiting on Jira for as long as it needs, without a
// latency on the clock.
type jiraGate struct {
	next http.RoundTripper
	// held receives the path of every request that starts waiting.
	held chan string

	mu   sync.Mutex
	open chan struct{} // nil while open; closed by release
}

func newJiraGate() *jiraGate { return &jiraGate{held: make(chan string, 1000)} }

// hold makes requests from now on wait until release.
func (g *jiraGate) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open == nil {
		g.open = make(chan struct{})
	}
}

// release lets the held requests and all later ones through.
func (g *jiraGate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.open != nil {
		close(g.open)
		g.open = nil
	}
}

// RoundTrip waits while the gate is closed, or until the request's context
// is done (the caller's budget), then sends the request on.
func (g *jiraGate) RoundTrip(req *http.Request) (*http.Response, error) {
	g.mu.Lock()
	wait := g.open
	g.mu.Unlock()
	if wait != nil {
		select {
		case g.held <- req.URL.Path:
		default:
		}
		select {
		case <-wait:
		case <-req.Context().Done():
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, req.Context().Err()
		}
	}
	return g.next.RoundTrip(req)
}

// waitHeld waits until a request is held at the gate and returns its path.
func (g *jiraGate) waitHeld(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	select {
	case p := <-g.held:
		return p
	case <-ctx.Done():
		t.Fatal("no Jira request reached the gate")
		return ""
	}
}

// testLogger writes the bot's logs to the test's output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startBot starts one more bot process: its own Jira client, engine and
// socketmode client, sharing the harness's store and simulators.
func (h *harness) startBot() *runningBot {
	t := h.t
	t.Helper()
	client, err := jira.NewClient(h.jira.URL, jirasim.DefaultEmail, jirasim.DefaultToken, h.jiraOpts...)
	if err != nil {
		t.Fatal(err)
	}
	api := slack.New(slacksim.DefaultBotToken, slack.OptionAppLevelToken(slacksim.DefaultAppToken), slack.OptionAPIURL(h.slack.APIURL()))
	sm := socketmode.New(api)
	logger := testLogger(t)
	if h.quiet {
		logger = slog.New(slog.DiscardHandler)
	}
	b, err := New(h.cfg, Deps{
		Events: sm.Events, Ack: sm.AckCtx, Slack: sm,
		Engine: repair.New(client, h.engineOptions()...), Store: h.store, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	b.handled = h.track.done
	b.budgets = h.budgets

	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	smDone, botDone := make(chan error, 1), make(chan error, 1)
	go func() { smDone <- sm.RunContext(ctx) }()
	go func() { botDone <- b.Run(ctx) }()
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			if h.gate != nil {
				h.gate.release() // a held request would keep the drain waiting
			}
			stopErr = <-botDone
			if err := <-smDone; err != nil && !errors.Is(err, context.Canceled) {
				stopErr = errors.Join(stopErr, err)
			}
		})
		return stopErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("bot stopped with %v", err)
		}
	})
	rb := &runningBot{bot: b, cancel: cancel, stop: stop}
	h.bots = append(h.bots, rb)
	ctxWait, cancelWait := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancelWait()
	if err := h.slack.WaitConnected(ctxWait, len(h.bots)); err != nil {
		t.Fatalf("bot did not connect: %v", err)
	}
	return rb
}

// engineOptions are the options of a bot's engine: it checks a customer
// after a repair, and keeps its site index in the store (indexInStore) or
// starts with a warm one (repairtest.WarmIndex).
func (h *harness) engineOptions() []repair.Option {
	h.t.Helper()
	opts := []repair.Option{repair.WithCustomerCheck()}
	switch {
	case h.indexInStore:
		opts = append(opts, repair.WithIndexStore(NewIndexStore(h.store)))
	case !h.cold && h.seeded:
		if idx := repairtest.WarmIndex(h.t, h.jira, h.seed); idx != nil {
			opts = append(opts, repair.WithIndexStore(repairtest.NewKeptIndex(idx)))
		}
	}
	return opts
}

// stopAll stops every bot and waits for their drains.
func (h *harness) stopAll() {
	h.t.Helper()
	for _, rb := range h.bots {
		if err := rb.stop(); err != nil {
			h.t.Fatalf("bot stopped with %v", err)
		}
	}
}

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(h.t.Context(), 20*time.Second)
	h.t.Cleanup(cancel)
	return ctx
}

// slash sends /jsm text and waits until the bot handled it.
func (h *harness) slash(user, text string) string {
	h.t.Helper()
	id, err := h.slack.SlashCommand(h.ctx(), slacksim.SlashCommand{UserID: user, ChannelID: channel, Text: text})
	if err != nil {
		h.t.Fatal(err)
	}
	h.track.wait(h.t, id, 1)
	return id
}

// diagnose runs /jsm diagnose key and returns the report once its buttons
// are there.
func (h *harness) diagnose(user, key string) slacksim.Message {
	h.t.Helper()
	h.slash(user, "diagnose "+key)
	return h.waitReport(key)
}

// waitReport waits for the top-level report about key, with its buttons.
func (h *harness) waitReport(key string) slacksim.Message {
	h.t.Helper()
	m, err := h.slack.WaitMessage(h.ctx(), channel, func(m slacksim.Message) bool {
		return m.ThreadTS == "" && strings.HasPrefix(m.Text, key+":") && !strings.Contains(string(m.Blocks), "Preparing")
	})
	if err != nil {
		h.t.Fatalf("no report for %s: %v", key, err)
	}
	return m
}

// send clicks a button without waiting.
func (h *harness) send(user string, m slacksim.Message, actionID string) string {
	h.t.Helper()
	id, err := h.slack.Click(h.ctx(), slacksim.Click{UserID: user, ChannelID: m.ChannelID, MessageTS: m.TS, ActionID: actionID,
		BlockID: blockIDActions, Value: buttonValue(h.t, m, actionID)})
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

// click clicks a button and waits until the bot handled the click.
func (h *harness) click(user string, m slacksim.Message, actionID string) string {
	h.t.Helper()
	id := h.send(user, m, actionID)
	h.track.wait(h.t, id, 1)
	return id
}

// buttonValue finds the value (a plan ID) of a button in a message.
func buttonValue(t testing.TB, m slacksim.Message, actionID string) string {
	t.Helper()
	if v, ok := m.ButtonValue(actionID); ok {
		return v
	}
	t.Fatalf("message has no %s button:\n%s", actionID, slacksim.RenderBlocks(m.Blocks))
	return ""
}

// ephemeral returns the ephemeral messages a user got, in order.
func (h *harness) ephemeral(user string) []string {
	var out []string
	for _, m := range h.slack.Messages(channel) {
		if m.Ephemeral && m.VisibleTo == user {
			out = append(out, m.Text)
		}
	}
	return out
}

// lastEphemeral is the last ephemeral message a user got, or "".
func (h *harness) lastEphemeral(user string) string {
	e := h.ephemeral(user)
	if len(e) == 0 {
		return ""
	}
	return e[len(e)-1]
}

// message re-reads a message.
func (h *harness) message(m slacksim.Message) slacksim.Message {
	h.t.Helper()
	got, ok := h.slack.Message(m.ChannelID, m.TS)
	if !ok {
		h.t.Fatalf("message %s is gone", m.TS)
	}
	return got
}

// writes returns the requests that changed Jira; asking Jira about a
// customer (POST permissions/check) is a read.
func (h *harness) writes() []jirasim.Request {
	var out []jirasim.Request
	for _, r := range h.jira.Requests() {
		if r.Method != http.MethodGet && r.Path != "/rest/api/3/permissions/check" {
			out = append(out, r)
		}
	}
	return out
}

// plan reads a plan from the store.
func (h *harness) plan(id string) store.PlanRecord {
	h.t.Helper()
	rec, err := h.store.Plan(h.t.Context(), id)
	if err != nil {
		h.t.Fatalf("plan %s: %v", id, err)
	}
	return rec
}

// actions lists the audit actions of a plan.
func (h *harness) actions(planID string) []string {
	h.t.Helper()
	recs, err := h.store.Audit(h.t.Context(), planID)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Action)
	}
	return out
}

// healthy diagnoses a project afresh: its scheme and grants are read again
// each time. Health is judged from the project's own reads alone, never
// from the site index (who shares the scheme), so the checker starts with
// an empty index instead of scanning the site.
func (h *harness) healthy(key string) bool {
	h.t.Helper()
	if h.checker == nil {
		client, err := jira.NewClient(h.jira.URL, jirasim.DefaultEmail, jirasim.DefaultToken, jira.WithHTTPClient(h.jira.Client()))
		if err != nil {
			h.t.Fatal(err)
		}
		empty := &repair.Index{BuiltAt: time.Now(), Projects: map[string]repair.IndexProject{}, Schemes: map[int64]repair.IndexScheme{}}
		h.checker = repair.New(client, repair.WithIndexStore(repairtest.NewKeptIndex(empty)))
	}
	d, err := h.checker.Diagnose(h.t.Context(), key)
	if err != nil {
		h.t.Fatal(err)
	}
	return d.Report.Healthy
}
