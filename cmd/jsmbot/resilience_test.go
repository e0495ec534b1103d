package main

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/store"
)

// TestSIGTERMDrainsInFlightRepair: the context of run ends (SIGTERM) while
// an approved repair's first write to Jira is held. The write is let
// through only once run has dropped its Slack socket, so shutdown is under
// way: the repair finishes, records its outcome in Redis, and run returns
// nil.
func TestSIGTERMDrainsInFlightRepair(t *testing.T) {
	t.Parallel()
	g := newWriteGate()
	lb := startRun(t, nil, runSetup{jira: g.wrap})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if _, err := lb.slack.SlashCommand(ctx, slacksim.SlashCommand{UserID: "U0ALICE", ChannelID: "C0OPS", Text: "diagnose NOPA"}); err != nil {
		t.Fatal(err)
	}
	report, err := lb.slack.WaitMessage(ctx, "C0OPS", func(m slacksim.Message) bool {
		return strings.Contains(string(m.Blocks), bot.ActionApproveInPlace)
	})
	if err != nil {
		t.Fatalf("no report: %v\n%s", err, lb.stderr.String())
	}

	click, err := lb.slack.Click(ctx, slacksim.Click{UserID: "U0BOB", ChannelID: "C0OPS", MessageTS: report.TS, ActionID: bot.ActionApproveInPlace})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lb.slack.WaitAck(ctx, click); err != nil {
		t.Fatal(err)
	}
	// The repair is in flight: the message says so and its first write
	// waits at the gate.
	if _, err := lb.slack.WaitMessage(ctx, "C0OPS", func(m slacksim.Message) bool {
		return m.TS == report.TS && strings.Contains(slacksim.RenderBlocks(m.Blocks), "Applying")
	}); err != nil {
		t.Fatalf("the repair did not start: %v", err)
	}
	select {
	case <-g.held:
	case <-ctx.Done():
		t.Fatal("the repair wrote nothing to Jira")
	}

	lb.cancel() // SIGTERM
	if err := lb.slack.WaitDisconnected(ctx); err != nil {
		t.Fatalf("run kept its Slack socket after SIGTERM: %v", err)
	}
	close(g.open)
	if err := lb.wait(t); err != nil {
		t.Errorf("run returned %v, want nil", err)
	}

	st := store.NewRedis(redis.NewClient(&redis.Options{Addr: lb.redis.Addr()}))
	defer st.Close()
	rec, err := st.Plan(t.Context(), planIDOf(t, report))
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != store.StateApplied {
		t.Errorf("plan is %s after the drain, want applied (the outcome recorded)", rec.State)
	}
	audit, err := st.Audit(t.Context(), rec.ID)
	if err != nil || len(audit) != 1 || audit[0].Action != "applied" {
		t.Errorf("audit %+v (%v), want one applied record", audit, err)
	}
	if got := lb.stderr.String(); !strings.Contains(got, `"msg":"drained"`) {
		t.Errorf("no drained line in the log:\n%s", got)
	}
}

// writeGate holds the first write (non-GET request) to Jira until open is
// closed. A write whose client gives up is answered at once, so a bot that
// cancelled its repair on SIGTERM fails the test rather than hang it.
type writeGate struct {
	once sync.Once
	held chan struct{} // closed when the first write arrived
	open chan struct{} // close to let it through
}

func newWriteGate() *writeGate {
	return &writeGate{held: make(chan struct{}), open: make(chan struct{})}
}

func (g *writeGate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first := false
		if isWrite(r.Method, r.URL.Path) {
			g.once.Do(func() { first = true })
		}
		if first {
			close(g.held)
			select {
			case <-g.open:
			case <-r.Context().Done():
			}
		}
		next.ServeHTTP(w, r)
	})
}

// planIDOf returns the value of a message's in-place Approve button.
func planIDOf(t *testing.T, m slacksim.Message) string {
	t.Helper()
	const key = `"action_id":"` + bot.ActionApproveInPlace + `"`
	blocks := string(m.Blocks)
	i := strings.Index(blocks, key)
	if i < 0 {
		t.Fatalf("no Approve button in %s", blocks)
	}
	// The button object holds its value beside the action_id.
	start := strings.LastIndex(blocks[:i], "{")
	end := i + strings.Index(blocks[i:], "}")
	_, rest, ok := strings.Cut(blocks[start:end], `"value":"`)
	if !ok {
		t.Fatalf("the Approve button has no value: %s", blocks[start:end])
	}
	id, _, _ := strings.Cut(rest, `"`)
	return id
}

// TestRedisDownAtStart: jsmbot run refuses to start without its store,
// saying which server did not answer, and exits 1. It runs in a synctest
// bubble, so go-redis's dial retries and backoff and the ping budget pass
// on the fake clock; the simulators, outside, are never called.
func TestRedisDownAtStart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  func(addr string) string
	}{
		{"no password", func(addr string) string { return "redis://" + addr + "/0" }},
		{"with password", func(addr string) string { return "redis://:pw-secret-7@" + addr + "/0" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mr := miniredis.RunT(t)
			addr := mr.Addr()
			mr.Close()
			ssim := slacksim.NewServer(t)
			jsim := siteOf(t) // never called: run stops at Redis
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				code, out, errOut := cli(t, jsim, map[string]string{
					"SLACK_APP_TOKEN": slacksim.DefaultAppToken, "SLACK_BOT_TOKEN": slacksim.DefaultBotToken,
					"SLACK_API_URL": ssim.APIURL(), "REDIS_URL": tt.url(addr),
				}, "run")
				if code != exitFailed {
					t.Errorf("exit code %d, want %d", code, exitFailed)
				}
				if want := "cannot reach Redis at " + addr + " (REDIS_URL)"; !strings.Contains(errOut, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut)
				}
				if took := time.Since(start); took > 3*time.Second {
					t.Errorf("gave up after %v on the fake clock, want within the 3 s ping budget", took)
				}
				assertNoSecrets(t, out+errOut, "pw-secret-7", slacksim.DefaultAppToken, slacksim.DefaultBotToken, jirasim.DefaultToken)
			})
			if len(ssim.Calls("apps.connections.open")) != 0 {
				t.Error("connected to Slack without a store")
			}
		})
	}
}

// assertNoSecrets fails if text shows any of the secrets.
func assertNoSecrets(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("output shows the secret %q", s)
		}
	}
}

// TestHealthListenerTakenPort: a taken JSMBOT_HTTP_ADDR fails at start,
// before Slack is called. The port is held by a plain listener: that a
// running bot holds its own, the tests that probe it show.
func TestHealthListenerTakenPort(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ssim := slacksim.NewServer(t)
	code, _, errOut := cli(t, siteOf(t), map[string]string{
		"SLACK_APP_TOKEN": slacksim.DefaultAppToken, "SLACK_BOT_TOKEN": slacksim.DefaultBotToken,
		"SLACK_API_URL": ssim.APIURL(), "JSMBOT_HTTP_ADDR": ln.Addr().String(),
	}, "run")
	if code != exitFailed || !strings.Contains(errOut, "listen on JSMBOT_HTTP_ADDR") {
		t.Errorf("exit %d, stderr %q; want 1 and the listen error", code, errOut)
	}
	if n := len(ssim.Calls("")); n != 0 {
		t.Errorf("called Slack %d times with the listener's port taken", n)
	}
}
