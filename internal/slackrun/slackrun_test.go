package slackrun

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
	"github.com/jsmbot/jsmbot/watch"
)

// engine is an engine on a Jira of one healthy project: the bot Serve
// runs refreshes its index of the whole site at start.
func engine(t *testing.T) *repair.Engine {
	t.Helper()
	jsim := jirasim.NewServer(t, jirasim.WithSeed(jirasim.ScenarioHealthy))
	client, err := jira.NewClient(jsim.URL, jirasim.DefaultEmail, jirasim.DefaultToken)
	if err != nil {
		t.Fatal(err)
	}
	return repair.New(client)
}

// TestServe: the bot connects and answers, the sidecars run beside it, and
// when the context ends everything stops and Serve returns nil.
func TestServe(t *testing.T) {
	t.Parallel()
	ssim := slacksim.NewServer(t)
	api := slack.New(slacksim.DefaultBotToken, slack.OptionAppLevelToken(slacksim.DefaultAppToken), slack.OptionAPIURL(ssim.APIURL()))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	sidecar := make(chan struct{})
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, api, bot.Config{}, engine(t), store.NewMemory(), slog.New(slog.DiscardHandler), Options{
			Sidecars: []func(context.Context) error{func(ctx context.Context) error {
				<-ctx.Done()
				close(sidecar)
				return nil
			}},
		})
	}()
	if err := ssim.WaitConnected(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	id, err := ssim.SlashCommand(t.Context(), slacksim.SlashCommand{UserID: "U0ALICE", ChannelID: "C0OPS", Text: "help"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ssim.WaitAck(t.Context(), id); err != nil {
		t.Fatalf("the bot did not ack /jsm help: %v", err)
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve returned %v after its context ended, want nil", err)
	}
	<-sidecar
	if err := ssim.WaitDisconnected(t.Context()); err != nil {
		t.Errorf("the socket stayed open: %v", err)
	}
}

// TestServeBadAppToken: a token Slack refuses stops Serve with an error
// naming the variable to check.
func TestServeBadAppToken(t *testing.T) {
	t.Parallel()
	ssim := slacksim.NewServer(t)
	api := slack.New(slacksim.DefaultBotToken, slack.OptionAppLevelToken("xapp-1-wrong"), slack.OptionAPIURL(ssim.APIURL()))
	err := Serve(t.Context(), api, bot.Config{}, engine(t), store.NewMemory(), slog.New(slog.DiscardHandler), Options{})
	if err == nil || !strings.Contains(err.Error(), "check SLACK_APP_TOKEN") {
		t.Errorf("Serve with a refused app token = %v, want an error naming SLACK_APP_TOKEN", err)
	}
}

// TestClientRetriesRateLimits: a Slack client with ClientOptions retries a
// call Slack rate-limited, after exactly its Retry-After (no jitter), and
// the call succeeds. The call runs in a synctest bubble, so that the wait
// passes on the bubble's clock, not the wall's: its HTTP client keeps no
// idle connection, whose read would keep the bubble's clock still.
func TestClientRetriesRateLimits(t *testing.T) {
	t.Parallel()
	ssim := slacksim.NewServer(t, slacksim.WithChannel("C0OPS", "ops"))
	const retryAfter = 2 * time.Second // above slack-go's 1 s floor, so the header is what counts
	ssim.RateLimitNext("chat.postMessage", retryAfter)
	synctest.Test(t, func(t *testing.T) {
		hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		api := slack.New(slacksim.DefaultBotToken, append([]slack.Option{slack.OptionHTTPClient(hc), slack.OptionAPIURL(ssim.APIURL())}, ClientOptions()...)...)
		start := time.Now()
		if _, _, err := api.PostMessageContext(t.Context(), "C0OPS", slack.MsgOptionText("hello", false)); err != nil {
			t.Fatalf("post after one 429: %v", err)
		}
		if waited := time.Since(start); waited != retryAfter {
			t.Errorf("the retry came %v after the 429, want its Retry-After %v", waited, retryAfter)
		}
	})
	var statuses []int
	for _, c := range ssim.Calls("chat.postMessage") {
		statuses = append(statuses, c.Status)
	}
	if diff := cmp.Diff([]int{429, 200}, statuses); diff != "" {
		t.Errorf("chat.postMessage statuses (-want +got):\n%s", diff)
	}
	if n := len(ssim.Messages("C0OPS")); n != 1 {
		t.Errorf("%d message(s) posted, want 1", n)
	}
}

// TestPingIntervalNoticesHalfOpenSockets: slack-go checks the last ping
// every PingInterval, so a socket that went silent is noticed within two
// intervals; issue 9 wants that under 15 s, and above Slack's own pings.
func TestPingIntervalNoticesHalfOpenSockets(t *testing.T) {
	t.Parallel()
	if 2*PingInterval > 15*time.Second || PingInterval <= slacksim.DefaultPingInterval {
		t.Errorf("PingInterval = %v: a silent socket takes up to %v to notice, want ≤ 15 s and above the %v pings", PingInterval, 2*PingInterval, slacksim.DefaultPingInterval)
	}
}

// TestServeWatch: with a watch channel, Serve runs the watch beside the
// bot: a grant removed behind its back is alerted in the channel, and the
// watch stops with the bot.
func TestServeWatch(t *testing.T) {
	t.Parallel()
	ssim := slacksim.NewServer(t, slacksim.WithChannel("C0WATCH", "alerts"))
	jsim := jirasim.NewServer(t, jirasim.WithSeed(jirasim.ScenarioHealthy))
	client, err := jira.NewClient(jsim.URL, jirasim.DefaultEmail, jirasim.DefaultToken)
	if err != nil {
		t.Fatal(err)
	}
	api := slack.New(slacksim.DefaultBotToken, slack.OptionAppLevelToken(slacksim.DefaultAppToken), slack.OptionAPIURL(ssim.APIURL()))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	polled := make(chan struct{}, 1)
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, api, bot.Config{Approvers: []string{"U0APPROVE"}}, repair.New(client), store.NewMemory(), slog.New(slog.DiscardHandler), Options{
			Watch: Watch{Channel: "C0WATCH", Interval: 20 * time.Millisecond, Jira: client, Observer: watchObserver(polled)},
		})
	}()
	<-polled // the first poll: the site as it is
	id, _ := jsim.ProjectSchemeID("HELP")
	for _, g := range jsim.SchemeGrants(id) {
		if g.HolderType == "sd.customer.portal.only" && g.Permission == "BROWSE_PROJECTS" {
			jsim.RemoveGrants(id, g.ID)
		}
	}
	wait, cancelWait := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancelWait()
	if _, err := ssim.WaitMessage(wait, "C0WATCH", func(m slacksim.Message) bool {
		return strings.Contains(string(m.Blocks), "jsmbot noticed that HELP broke")
	}); err != nil {
		t.Fatalf("no alert in the watch channel: %v", err)
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve returned %v after its context ended, want nil", err)
	}
}

// watchObserver signals each successful poll, without blocking.
func watchObserver(polled chan<- struct{}) watch.Observer {
	return watch.Observer{Polled: func(time.Time) {
		select {
		case polled <- struct{}{}:
		default:
		}
	}}
}
