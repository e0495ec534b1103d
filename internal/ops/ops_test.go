package ops

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jsmbot/jsmbot/internal/fakeclock"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/store"
)

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

// failingStore is a store whose Ping fails.
type failingStore struct{ store.Store }

func (failingStore) Ping(context.Context) error { return errors.New("dial tcp 10.0.0.1:6379: refused") }

// TestHandler covers each endpoint's answer for the socket and store
// states.
func TestHandler(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		socketUp bool
		store    store.Store
		path     string
		want     int
		wantBody string
	}{
		{"ready", true, store.NewMemory(), "/readyz", 200, "ready"},
		{"socket down", false, store.NewMemory(), "/readyz", 503, "slack socket mode is not connected"},
		{"store down", true, failingStore{store.NewMemory()}, "/readyz", 503, "store does not answer"},
		{"both down", false, failingStore{store.NewMemory()}, "/readyz", 503, "not connected; store does not answer"},
		{"alive while not ready", false, failingStore{store.NewMemory()}, "/healthz", 200, "ok"},
		{"metrics", false, store.NewMemory(), "/metrics", 200, "jsmbot_slack_socket_connected 0"},
		{"unknown path", true, store.NewMemory(), "/debug/pprof/", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := NewMetrics(fakeclock.New().Now)
			m.BotObserver().Connection(tt.socketUp)
			srv := httptest.NewServer(Handler(m, tt.store))
			defer srv.Close()
			code, body := httpGet(t, srv.URL+tt.path)
			if code != tt.want || !strings.Contains(body, tt.wantBody) {
				t.Errorf("GET %s = %d %q, want %d containing %q", tt.path, code, body, tt.want, tt.wantBody)
			}
			if strings.Contains(body, "10.0.0.1") {
				t.Errorf("GET %s shows the store's error: %q", tt.path, body)
			}
		})
	}
}

// TestServer: Listen fails on a taken port, naming the variable; Serve
// serves until its context ends and then releases the port.
func TestServer(t *testing.T) {
	t.Parallel()
	s, err := Listen("127.0.0.1:0", Handler(NewMetrics(fakeclock.New().Now), store.NewMemory()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(s.Addr(), http.NotFoundHandler()); err == nil || !strings.Contains(err.Error(), "listen on JSMBOT_HTTP_ADDR") {
		t.Errorf("Listen on a taken port: %v, want the listen error naming JSMBOT_HTTP_ADDR", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx) }()
	if code, _ := httpGet(t, "http://"+s.Addr()+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d while serving", code)
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve returned %v after its context ended, want nil", err)
	}
	if c, err := net.Dial("tcp", s.Addr()); err == nil {
		c.Close()
		t.Error("the listener still accepts connections after Serve returned")
	}
}

// TestSecondsSinceActivity reads the gauge on a fake clock.
func TestSecondsSinceActivity(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New()
	m := NewMetrics(clock.Now)
	clock.Advance(42 * time.Second)
	if got := m.sinceActivity(); got != 42 {
		t.Errorf("since start: %v, want 42", got)
	}
	m.BotObserver().Activity()
	clock.Advance(3 * time.Second)
	if got := m.sinceActivity(); got != 3 {
		t.Errorf("since activity: %v, want 3", got)
	}
}

// TestQueueMetrics: the depth gauge is the running sum of the bot's
// deltas per lane, whatever their order, and refusals count by type and
// lane.
func TestQueueMetrics(t *testing.T) {
	t.Parallel()
	m := NewMetrics(fakeclock.New().Now)
	bo := m.BotObserver()
	for _, d := range []int{1, 1, -1, 1, 1, -1} {
		bo.Queued("slow", d)
	}
	bo.Queued("fast", -1) // a worker's take reported before its enqueue
	bo.Queued("fast", 1)
	bo.Refused("slash_commands", "slow")
	bo.Refused("slash_commands", "slow")
	bo.Refused("interactive", "fast")
	srv := httptest.NewServer(Handler(m, store.NewMemory()))
	defer srv.Close()
	_, body := httpGet(t, srv.URL+"/metrics")
	for _, want := range []string{
		`jsmbot_queue_depth{lane="slow"} 2`,
		`jsmbot_queue_depth{lane="fast"} 0`,
		`jsmbot_slack_envelopes_refused_total{lane="slow",type="slash_commands"} 2`,
		`jsmbot_slack_envelopes_refused_total{lane="fast",type="interactive"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	fresh := httptest.NewServer(Handler(NewMetrics(fakeclock.New().Now), store.NewMemory()))
	defer fresh.Close()
	_, body = httpGet(t, fresh.URL+"/metrics")
	for _, want := range []string{`jsmbot_queue_depth{lane="slow"} 0`, `jsmbot_queue_depth{lane="fast"} 0`} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("a fresh /metrics lacks %s", want)
		}
	}
}

// TestHealthcheck probes a listener that answers 200, one that answers
// 503, and nothing.
func TestHealthcheck(t *testing.T) {
	t.Parallel()
	serve := func(status int) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/healthz" {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(status)
		}))
		t.Cleanup(srv.Close)
		_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		return port
	}
	closed := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		ln.Close()
		return port
	}
	healthy := serve(200)
	tests := []struct {
		name    string
		addr    string
		wantURL string
		wantErr string // "" means healthy
	}{
		{name: "healthy", addr: ":" + healthy, wantURL: "http://127.0.0.1:" + healthy + "/healthz"},
		{name: "the configured host", addr: "localhost:" + healthy, wantURL: "http://localhost:" + healthy + "/healthz"},
		{name: "a host it does not listen on", addr: "127.0.0.2:" + healthy, wantErr: "http://127.0.0.2:" + healthy + "/healthz"},
		{name: "host part ignored", addr: "0.0.0.0:" + healthy, wantURL: "http://127.0.0.1:" + healthy + "/healthz"},
		{name: "unhealthy", addr: ":" + serve(503), wantErr: "503"},
		{name: "nothing listening", addr: ":" + closed(), wantErr: "refused"},
		{name: "unset", addr: "", wantErr: "JSMBOT_HTTP_ADDR is not set"},
		{name: "no fixed port", addr: ":0", wantErr: "fixed port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := Healthcheck(t.Context(), tt.addr)
			switch {
			case tt.wantErr == "" && (err != nil || u != tt.wantURL):
				t.Errorf("Healthcheck(%q) = %q, %v; want %q", tt.addr, u, err, tt.wantURL)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Healthcheck(%q) error %v, want it to contain %q", tt.addr, err, tt.wantErr)
			}
		})
	}
}

// TestREADMEDocumentsMetrics: every jsmbot_ series is in README's
// Observability table, and the table names no series that does not exist.
func TestREADMEDocumentsMetrics(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, obs, ok := strings.Cut(string(b), "## Observability")
	if !ok {
		t.Fatal("README has no Observability section")
	}
	obs, _, _ = strings.Cut(obs, "\n## ")
	m := NewMetrics(time.Now)
	// A labelled series is gathered once it has a sample.
	bo, jo := m.BotObserver(), m.JiraObserver()
	bo.Envelope("interactive")
	bo.Acked("interactive", time.Millisecond, errors.New("no connection"))
	bo.Transition("", "pending")
	bo.Refused("slash_commands", "slow")
	jo.Call(jira.Call{Method: "GET", Endpoint: "/rest/api/3/myself", Status: 429})
	jo.Retry(jira.Retry{Method: "GET", Endpoint: "/rest/api/3/myself", Status: 429})
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	registered := map[string]bool{}
	for _, f := range families {
		if name := f.GetName(); strings.HasPrefix(name, "jsmbot_") {
			registered[name] = true
			if !strings.Contains(obs, "`"+name+"`") {
				t.Errorf("README's Observability section does not document %s", name)
			}
		}
	}
	for _, word := range strings.Fields(obs) {
		name := strings.Trim(word, "`|,.")
		if strings.HasPrefix(name, "jsmbot_") && !strings.ContainsAny(name, "{[(") && !registered[name] {
			t.Errorf("README documents %s, which jsmbot does not export", name)
		}
	}
	for _, want := range []string{"/healthz", "/readyz", "/metrics", "jsmbot healthcheck"} {
		if !strings.Contains(obs, want) {
			t.Errorf("README's Observability section does not mention %s", want)
		}
	}
}
