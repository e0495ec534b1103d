package faulttest

import (
	"bytes"
	"context"

	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/internal/loopback"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/store"
)

// The Slack side of every test: Alice asks, Bob (the only approver)
// approves, in one channel.
const (
	requester = "U0ALICE"
	approver  = "U0BOB"
	channel   = "C0OPS"
)

// The child's timing: a dead owner's plan is settled within about
// testLease + testInterval (and the dead reconciler's own lease) instead of
// the defaults' 15 s.
const (
	testLease    = "1s"
	testInterval = "100ms"
)

// settleWithin is issue 9's bound: a restarted bot settles a dead owner's
// plan within 30 s.
const settleWithin = 30 * time.Second

// redisAddrVar names the real redis-server to use (CI sets it); unset
// means miniredis.
const redisAddrVar = "JSMBOT_TEST_REDIS_ADDR"

// site is one Jira site (jirasim behind a front the test controls), one
// Slack workspace (slacksim) and one Redis, on which children run.
type site struct {
	t        *testing.T
	jira     *jirasim.Server
	slack    *slacksim.Server
	redisURL string
	store    store.Store
	// wrap, when set before the first start, fronts jirasim: a test holds,
	// delays or counts the child's requests with it.
	wrap     func(http.Handler) http.Handler
	frontURL string
	// extraEnv, when set before the first start, adds to every child's
	// environment (or overrides it).
	extraEnv map[string]string
	children []*child
}

// newSite starts the simulators and picks the Redis: db is this test's
// database on a real server (flushed before and after), so that tests
// sharing the server do not see each other's plans. Jira holds only the
// scenarios the test repairs: every diagnosis and index refresh of a
// child reads the whole site.
func newSite(t *testing.T, db int, wrap func(http.Handler) http.Handler, seed ...jirasim.Scenario) *site {
	t.Helper()
	startBuild()
	s := &site{t: t, jira: jirasim.NewServer(t, jirasim.WithSeed(seed...)), slack: slacksim.NewServer(t), wrap: wrap}
	s.redisURL = redisURL(t, db)
	opts, err := redis.ParseURL(s.redisURL)
	if err != nil {
		t.Fatal(err)
	}
	s.store = store.NewRedis(redis.NewClient(opts))
	t.Cleanup(func() { _ = s.store.Close() })

	h := http.Handler(s.jira)
	if wrap != nil {
		h = wrap(h)
	}
	front, err := loopback.New(h)
	if err != nil {
		t.Fatal(err)
	}
	front.Start()
	t.Cleanup(front.Close)
	// jirasim's URL ends in its base path, which the front keeps.
	s.frontURL = front.URL() + strings.TrimPrefix(s.jira.URL, "http://"+addrOf(s.jira.URL))
	t.Cleanup(func() {
		// Registered after the simulators' Close, so it runs before them:
		// no child outlives the test, and a failure shows what they said.
		for i, c := range s.children {
			c.stop()
			if t.Failed() {
				t.Logf("child %d (%s):\n%s", i+1, c.exit(), c.out.String())
			}
		}
	})
	return s
}

// addrOf is the host:port of an http:// URL.
func addrOf(u string) string {
	rest := strings.TrimPrefix(u, "http://")
	host, _, _ := strings.Cut(rest, "/")
	return host
}

// redisURL is REDIS_URL for this test: database db of the real server at
// $JSMBOT_TEST_REDIS_ADDR, flushed, or a fresh miniredis (which listens
// on TCP, so a restarted child reaches the same data).
func redisURL(t *testing.T, db int) string {
	t.Helper()
	addr := os.Getenv(redisAddrVar)
	if addr == "" {
		return "redis://" + miniredis.RunT(t).Addr() + "/0"
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, DB: db, MaxRetries: -1})
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("%s=%s is set but Redis does not answer: %v", redisAddrVar, addr, err)
	}
	t.Cleanup(func() {
		_ = rdb.FlushDB(context.Background()).Err()
		_ = rdb.Close()
	})
	return fmt.Sprintf("redis://%s/%d", addr, db)
}

// env is the child's whole environment: nothing is inherited.
func (s *site) env() []string {
	vars := map[string]string{
		"JIRA_BASE_URL": s.frontURL, "JIRA_EMAIL": jirasim.DefaultEmail, "JIRA_API_TOKEN": jirasim.DefaultToken,
		"SLACK_APP_TOKEN": slacksim.DefaultAppToken, "SLACK_BOT_TOKEN": slacksim.DefaultBotToken,
		"SLACK_API_URL": s.slack.APIURL(), "REDIS_URL": s.redisURL,
		"JSMBOT_APPROVERS": approver, "JSMBOT_LOG_LEVEL": "info",
		"JSMBOT_LEASE": testLease, "JSMBOT_RECONCILE_INTERVAL": testInterval,
		"JSMBOT_DETECT_REPORTS": "false",
	}
	maps.Copy(vars, s.extraEnv)
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// child is one `jsmbot run` process.
type child struct {
	cmd  *exec.Cmd
	out  *syncBuffer // stdout and stderr
	done chan struct{}
	err  error // the process's end, once done is closed
}

// start starts a child and waits until it holds a Slack socket. The
// previous child must have let go of its own (waitGone).
func (s *site) start() *child {
	s.t.Helper()
	c := &child{out: &syncBuffer{}, done: make(chan struct{})}
	c.cmd = exec.Command(jsmbotBinary(s.t), "run")
	c.cmd.Env = s.env()
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	if err := c.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.children = append(s.children, c)
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	ctx, cancel := context.WithTimeout(s.t.Context(), 20*time.Second)
	defer cancel()
	connected := make(chan error, 1)
	go func() { connected <- s.slack.WaitConnected(ctx, 1) }()
	select {
	case err := <-connected:
		if err != nil {
			s.t.Fatalf("jsmbot run did not connect to Slack: %v\n%s", err, c.out.String())
		}
	case <-c.done:
		s.t.Fatalf("jsmbot run exited at start (%s):\n%s", c.exit(), c.out.String())
	}
	return c
}

// kill kills the child with SIGKILL and waits until it is gone and Slack
// saw its socket close.
func (s *site) kill(c *child) {
	s.t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		s.t.Fatal(err)
	}
	<-c.done
	s.waitGone()
}

// waitGone waits until no child holds a Slack socket.
func (s *site) waitGone() {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.t.Context(), 10*time.Second)
	defer cancel()
	if err := s.slack.WaitDisconnected(ctx); err != nil {
		s.t.Fatalf("slacksim still sees a socket of a dead child: %v", err)
	}
}

// stop ends the child if it still runs: SIGTERM, then SIGKILL after the
// drain budget.
func (c *child) stop() {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// exit says how the child ended; only after done.
func (c *child) exit() string {
	select {
	case <-c.done:
	default:
		return "running"
	}
	if c.err == nil {
		return "exit 0"
	}
	return c.err.Error()
}

// syncBuffer is a bytes.Buffer the child's output and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ctx is a context for one step of a test, ending after d.
func (s *site) ctx(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(s.t.Context(), d)
	s.t.Cleanup(cancel)
	return ctx
}

// diagnose asks for a diagnosis of key as the requester and returns the
// report once it offers the approve button actionID.
func (s *site) diagnose(key, actionID string) slacksim.Message {
	s.t.Helper()
	ctx := s.ctx(20 * time.Second)
	if _, err := s.slack.SlashCommand(ctx, slacksim.SlashCommand{UserID: requester, ChannelID: channel, Text: "diagnose " + key}); err != nil {
		s.t.Fatal(err)
	}
	m, err := s.slack.WaitMessage(ctx, channel, func(m slacksim.Message) bool {
		return m.ThreadTS == "" && strings.Contains(m.Text, key) && strings.Contains(string(m.Blocks), `"`+actionID+`"`)
	})
	if err != nil {
		s.t.Fatalf("no report of %s with %s: %v", key, actionID, err)
	}
	return m
}

// approve clicks the report's approve button as the approver and waits
// for the ack.
func (s *site) approve(report slacksim.Message, actionID string) {
	s.t.Helper()
	ctx := s.ctx(20 * time.Second)
	id, err := s.slack.Click(ctx, slacksim.Click{UserID: approver, ChannelID: channel, MessageTS: report.TS, ActionID: actionID})
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.slack.WaitAck(ctx, id); err != nil {
		s.t.Fatal(err)
	}
}

// waitMessage waits up to d for the report message to satisfy pred,
// rendered as text.
func (s *site) waitMessage(report slacksim.Message, d time.Duration, what string, pred func(rendered string) bool) string {
	s.t.Helper()
	m, err := s.slack.WaitMessage(s.ctx(d), channel, func(m slacksim.Message) bool {
		return m.TS == report.TS && pred(slacksim.RenderBlocks(m.Blocks))
	})
	if err != nil {
		cur, _ := s.slack.Message(channel, report.TS)
		s.t.Fatalf("within %v the message did not %s: %v\nit says:\n%s", d, what, err, slacksim.RenderBlocks(cur.Blocks))
	}
	return slacksim.RenderBlocks(m.Blocks)
}

// waitFreshDiagnosis waits for the fresh diagnosis with buttons that the
// reconciler posts in the report's thread after settling a plan whose
// problems remain: it comes after the plan's audit record.
func (s *site) waitFreshDiagnosis(report slacksim.Message, key string) {
	s.t.Helper()
	if _, err := s.slack.WaitMessage(s.ctx(settleWithin), channel, func(m slacksim.Message) bool {
		return m.ThreadTS == report.TS && strings.Contains(m.Text, key) && strings.Contains(string(m.Blocks), "approve")
	}); err != nil {
		s.t.Fatalf("no fresh diagnosis of %s with buttons in the thread: %v", key, err)
	}
}

// waitAudit waits until the plan has n audit records. The child tells
// nothing when it writes one, so this polls the store on a ticker, with a
// deadline.
func (s *site) waitAudit(planID string, n int, d time.Duration) []store.AuditRecord {
	s.t.Helper()
	ctx := s.ctx(d)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		recs, err := s.store.Audit(ctx, planID)
		if err == nil && len(recs) >= n {
			return recs
		}
		select {
		case <-ctx.Done():
			s.t.Fatalf("within %v plan %s got %d audit record(s), want %d (%v)", d, planID, len(recs), n, err)
		case <-tick.C:
		}
	}
}

// buttonValue is the value of a message's button: a plan's ID.
func buttonValue(t *testing.T, m slacksim.Message, actionID string) string {
	t.Helper()
	if v, ok := m.ButtonValue(actionID); ok {
		return v
	}
	t.Fatalf("message has no %s button:\n%s", actionID, slacksim.RenderBlocks(m.Blocks))
	return ""
}

// plan reads a plan from the store the children share.
func (s *site) plan(id string) store.PlanRecord {
	s.t.Helper()
	rec, err := s.store.Plan(s.ctx(5*time.Second), id)
	if err != nil {
		s.t.Fatalf("plan %s: %v", id, err)
	}
	return rec
}

// audit reads a plan's audit records.
func (s *site) audit(id string) []store.AuditRecord {
	s.t.Helper()
	recs, err := s.store.Audit(s.ctx(5*time.Second), id)
	if err != nil {
		s.t.Fatalf("audit of %s: %v", id, err)
	}
	return recs
}

// writes are the requests of log that change Jira (the permission check
// is a POST that reads).
func writes(log []jirasim.Request) []jirasim.Request {
	var out []jirasim.Request
	for _, r := range log {
		if isWrite(r.Method, r.Path) {
			out = append(out, r)
		}
	}
	return out
}

// landed are the writes of log that Jira accepted.
func landed(log []jirasim.Request) []jirasim.Request {
	var out []jirasim.Request
	for _, r := range writes(log) {
		if r.Status >= 200 && r.Status < 300 {
			out = append(out, r)
		}
	}
	return out
}

func isWrite(method, path string) bool {
	return method != http.MethodGet && method != http.MethodHead && !strings.HasSuffix(path, "/permissions/check")
}

// describe lists requests as "METHOD path status", for failure messages.
func describe(log []jirasim.Request) string {
	var b strings.Builder
	for _, r := range log {
		fmt.Fprintf(&b, "  %s %s %d\n", r.Method, r.Path, r.Status)
	}
	return b.String()
}

// final reports whether a plan's state is one an apply ends in.
func final(st store.State) bool {
	return st == store.StateApplied || st == store.StateFailed
}
