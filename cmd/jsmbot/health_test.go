package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/internal/config"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// liveBot is one `jsmbot run` against jirasim, slacksim and miniredis.
type liveBot struct {
	jira   *jirasim.Server
	slack  *slacksim.Server
	redis  *miniredis.Miniredis
	stdout *syncBuffer
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan error
	ops    string // host:port of the health listener
}

// runSetup changes what startRun runs.
type runSetup struct {
	// jira, when set, fronts the Jira simulator, e.g. to hold a request.
	jira func(http.Handler) http.Handler
	// opts change run's configuration.
	opts []option
	// jiraOpts configure the Jira simulator, e.g. its clock. Its site is
	// NOPA alone, the project the tests diagnose, unless a WithSeed here
	// says otherwise.
	jiraOpts []jirasim.Option
	// jiraEnv, when set, adds variables that name the simulator (e.g.
	// JIRA_TOKEN_URL), after env.
	jiraEnv func(*jirasim.Server) map[string]string
}

// startRun starts jsmbot run with a working environment, changed by env
// (an empty value unsets), and waits until it is connected to Slack.
// run's Jira client hands its requests to the simulator in-process
// (jiraInProcess), unless setup.jira fronts it: TestRunBot is the run
// that reaches Jira over the wire at JIRA_BASE_URL.
func startRun(t *testing.T, env map[string]string, setup runSetup) *liveBot {
	t.Helper()
	lb := &liveBot{
		jira:   jirasim.NewServer(t, append([]jirasim.Option{jirasim.WithSeed(jirasim.ScenarioPortalAccessMissing)}, setup.jiraOpts...)...),
		slack:  slacksim.NewServer(t),
		redis:  miniredis.RunT(t),
		stdout: &syncBuffer{},
		stderr: &syncBuffer{},
		done:   make(chan error, 1),
	}
	jiraURL := lb.jira.URL
	if setup.jira != nil {
		front := httptest.NewServer(setup.jira(lb.jira))
		t.Cleanup(front.Close)
		u, err := url.Parse(lb.jira.URL)
		if err != nil {
			t.Fatal(err)
		}
		jiraURL = front.URL + u.Path
	}
	vars := map[string]string{
		"JIRA_BASE_URL": jiraURL, "JIRA_EMAIL": jirasim.DefaultEmail, "JIRA_API_TOKEN": jirasim.DefaultToken,
		"SLACK_APP_TOKEN": slacksim.DefaultAppToken, "SLACK_BOT_TOKEN": slacksim.DefaultBotToken,
		"SLACK_API_URL": lb.slack.APIURL(), "REDIS_URL": "redis://" + lb.redis.Addr() + "/0",
		"JSMBOT_APPROVERS": "U0BOB", "JSMBOT_HTTP_ADDR": "127.0.0.1:0", "JSMBOT_LOG_LEVEL": "debug",
	}
	for k, v := range env {
		vars[k] = v
	}
	if setup.jiraEnv != nil {
		for k, v := range setup.jiraEnv(lb.jira) {
			vars[k] = v
		}
	}
	opts := setup.opts
	if setup.jira == nil {
		opts = append([]option{jiraInProcess(lb.jira)}, opts...)
	}
	ctx, cancel := context.WithCancel(t.Context())
	lb.cancel = cancel
	go func() {
		lb.done <- run(ctx, []string{"jsmbot", "run"}, func(k string) string { return vars[k] }, strings.NewReader(""), lb.stdout, lb.stderr, opts...)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-lb.done:
		case <-time.After(bot.DefaultDrainTimeout + 5*time.Second):
			t.Error("jsmbot run did not stop")
		}
	})
	wait, cancelWait := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancelWait()
	if err := lb.slack.WaitConnected(wait, 1); err != nil {
		t.Fatalf("bot did not connect: %v\n%s", err, lb.stderr.String())
	}
	// An answered /jsm help proves the bot read the connected event that
	// came before it on the same channel.
	id, err := lb.slack.SlashCommand(wait, slacksim.SlashCommand{UserID: "U0ALICE", ChannelID: "C0OPS", Text: "help"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lb.slack.WaitAck(wait, id); err != nil {
		t.Fatal(err)
	}
	lb.ops = logAttr(t, lb.stderr.String(), "health listener", "addr")
	return lb
}

// logAttr returns a string attribute of the first JSON log line with msg.
func logAttr(t *testing.T, log, msg, key string) string {
	t.Helper()
	for line := range strings.SplitSeq(log, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != msg {
			continue
		}
		if v, ok := rec[key].(string); ok {
			return v
		}
	}
	t.Fatalf("no %q line with %s in the log:\n%s", msg, key, log)
	return ""
}

// stop cancels run's context, as SIGTERM does, and returns run's error.
func (lb *liveBot) stop(t *testing.T) error {
	t.Helper()
	lb.cancel()
	return lb.wait(t)
}

// wait returns run's error once it returned.
func (lb *liveBot) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-lb.done:
		lb.done <- err // for the cleanup
		return err
	case <-time.After(bot.DefaultDrainTimeout + 5*time.Second):
		t.Fatal("jsmbot run did not return after cancel")
	}
	return nil
}

// get fetches a path of the health listener.
func (lb *liveBot) get(t *testing.T, path string) (int, string) {
	t.Helper()
	return httpGet(t, "http://"+lb.ops+path)
}

func httpGet(t *testing.T, u string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// sample returns the value of one series in Prometheus text format, and
// whether it is there. series is the name with its labels as exposed
// (sorted by label name), e.g. `x_total{a="1",b="2"}`.
func sample(text, series string) (float64, bool) {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || name != series {
			continue
		}
		f, err := strconv.ParseFloat(strings.Fields(value)[0], 64)
		return f, err == nil
	}
	return 0, false
}

// sum adds the values of the series starting with prefix whose labels
// contain label.
func sum(text, prefix, label string) float64 {
	var total float64
	for line := range strings.SplitSeq(text, "\n") {
		name, value, ok := strings.Cut(line, " ")
		if !ok || !strings.HasPrefix(name, prefix) || !strings.Contains(name, label) {
			continue
		}
		if f, err := strconv.ParseFloat(value, 64); err == nil {
			total += f
		}
	}
	return total
}

// TestMetricsThroughAFlow runs a diagnosis, a rate-limited Jira call and an
// approval through jsmbot run, then reads /metrics.
func TestMetricsThroughAFlow(t *testing.T) {
	t.Parallel()
	lb := startRun(t, nil, runSetup{opts: []option{jiraQuickRetries}})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	if code, body := lb.get(t, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d %q while connected, want 200", code, body)
	}
	lb.jira.RateLimit(1, 0) // one 429, retried within the budget
	if _, err := lb.slack.SlashCommand(ctx, slacksim.SlashCommand{UserID: "U0ALICE", ChannelID: "C0OPS", Text: "diagnose NOPA"}); err != nil {
		t.Fatal(err)
	}
	report, err := lb.slack.WaitMessage(ctx, "C0OPS", func(m slacksim.Message) bool {
		return strings.Contains(string(m.Blocks), bot.ActionApproveInPlace)
	})
	if err != nil {
		t.Fatalf("no report: %v\n%s", err, lb.stderr.String())
	}
	if _, err := lb.slack.Click(ctx, slacksim.Click{UserID: "U0BOB", ChannelID: "C0OPS", MessageTS: report.TS, ActionID: bot.ActionApproveInPlace}); err != nil {
		t.Fatal(err)
	}
	if _, err := lb.slack.WaitMessage(ctx, "C0OPS", func(m slacksim.Message) bool {
		return m.TS == report.TS && strings.Contains(m.Text, "repaired and verified")
	}); err != nil {
		t.Fatalf("no verified repair: %v\n%s", err, lb.stderr.String())
	}

	code, text := lb.get(t, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	atLeast := []struct {
		series string
		min    float64
	}{
		{`jsmbot_slack_envelopes_total{type="slash_commands"}`, 1},
		{`jsmbot_slack_envelopes_total{type="interactive"}`, 1},
		{`jsmbot_slack_ack_duration_seconds_count{type="slash_commands"}`, 1},
		{`jsmbot_slack_ack_duration_seconds_count{type="interactive"}`, 1},
		{`jsmbot_jira_calls_total{endpoint="/rest/api/3/project/{projectIdOrKey}",method="GET",status="200"}`, 1},
		{`jsmbot_jira_calls_total{endpoint="/rest/api/3/permissionscheme/{schemeId}/permission",method="POST",status="201"}`, 1},
		{`jsmbot_jira_rate_limited_total`, 1},
		{`jsmbot_plan_transitions_total{from="none",to="pending"}`, 1},
		{`jsmbot_plan_transitions_total{from="pending",to="applying"}`, 1},
		{`jsmbot_plan_transitions_total{from="applying",to="applied"}`, 1},
		{`jsmbot_slack_socket_connected`, 1},
		{`jsmbot_slack_seconds_since_last_activity`, 0},
	}
	for _, w := range atLeast {
		got, ok := sample(text, w.series)
		if !ok || got < w.min {
			t.Errorf("%s = %v (present %v), want ≥ %v", w.series, got, ok, w.min)
		}
	}
	if got := sum(text, "jsmbot_jira_retries_total{", `status="429"`); got != 1 {
		t.Errorf("jsmbot_jira_retries_total with status 429 sum to %v, want 1", got)
	}
	if got, _ := sample(text, `jsmbot_slack_seconds_since_last_activity`); got > 60 {
		t.Errorf("seconds since last activity = %v right after a flow", got)
	}
	for _, secret := range []string{slacksim.DefaultAppToken, slacksim.DefaultBotToken, jirasim.DefaultToken} {
		if strings.Contains(text, secret) {
			t.Errorf("/metrics shows a secret")
		}
	}
}

// TestReadiness: /healthz answers while the process runs; /readyz only
// while the store answers and the socket is up. The Redis client does not
// retry, so a dead Redis is seen at the first ping instead of after
// go-redis's backoff.
func TestReadiness(t *testing.T) {
	t.Parallel()
	lb := startRun(t, nil, runSetup{opts: []option{redisWithoutRetries}})
	if code, body := lb.get(t, "/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz = %d %q while connected, want 200", code, body)
	}
	lb.redis.Close()
	code, body := lb.get(t, "/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "store does not answer") {
		t.Errorf("/readyz with Redis down = %d %q, want 503 naming the store", code, body)
	}
	if code, _ := lb.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz with Redis down = %d, want 200 (the process is alive)", code)
	}
	if err := lb.redis.Restart(); err != nil {
		t.Fatal(err)
	}
	if code, body := lb.get(t, "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz after Redis came back = %d %q, want 200", code, body)
	}

	if err := lb.stop(t); err != nil {
		t.Errorf("run returned %v, want nil", err)
	}
	if c, err := net.Dial("tcp", lb.ops); err == nil {
		c.Close()
		t.Error("the health listener still accepts connections after run returned")
	}
}

// jiraInProcess makes run's Jira client hand each request straight to
// sim, without a socket (the request's host is ignored, the token
// endpoint's too): the same answers for a fraction of the work.
func jiraInProcess(sim *jirasim.Server) option {
	return func(c *config.Config) {
		c.Jira.Options = append(c.Jira.Options, jira.WithHTTPClient(sim.Client()))
	}
}

// jiraQuickRetries makes run's Jira client wait a millisecond before a
// retry Jira gave no Retry-After for, instead of half a second, and not
// pace its requests: a 429 with Retry-After: 0 would pause the endpoint a
// second (the jira package tests the pacing). Retries and 429s are still
// counted.
func jiraQuickRetries(c *config.Config) {
	c.Jira.Options = append(c.Jira.Options, jira.WithRetryWait(time.Millisecond), jira.WithRate(0))
}

// redisWithoutRetries makes run's Redis client try every command and dial
// once.
func redisWithoutRetries(c *config.Config) {
	o := *c.Redis.Options
	o.MaxRetries, o.DialerRetries = -1, 1
	c.Redis.Options = &o
}

// TestHealthcheck is jsmbot healthcheck's exit codes: 0 when the listener
// answers 200, 1 with one line when it does not or the variable is unusable,
// 2 for arguments. internal/ops tests the probe itself.
func TestHealthcheck(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	tests := []struct {
		name     string
		addr     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{name: "healthy", addr: " :" + port + " ", wantCode: exitOK, wantOut: "ok: http://127.0.0.1:" + port + "/healthz"},
		{name: "unset", addr: "", wantCode: exitFailed, wantErr: "jsmbot: healthcheck: JSMBOT_HTTP_ADDR is not set"},
		{name: "no fixed port", addr: ":0", wantCode: exitFailed, wantErr: "fixed port"},
		{name: "arguments", addr: ":8080", args: []string{"now"}, wantCode: exitUsage, wantErr: "no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := cli(t, nil, map[string]string{"JSMBOT_HTTP_ADDR": tt.addr}, append([]string{"healthcheck"}, tt.args...)...)
			if diff := cmp.Diff(tt.wantCode, code); diff != "" {
				t.Errorf("exit code (-want +got):\n%s\nstderr: %s", diff, errOut)
			}
			if !strings.Contains(out, tt.wantOut) || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stdout %q, stderr %q; want them to contain %q and %q", out, errOut, tt.wantOut, tt.wantErr)
			}
			if lines := strings.Count(strings.TrimSpace(errOut), "\n"); lines > 0 {
				t.Errorf("stderr has %d lines, want one at most:\n%s", lines+1, errOut)
			}
		})
	}
}
