package bot

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// gatedTransport holds every Jira request until open is closed, and says on
// entered when one arrives.
type gatedTransport struct {
	base    http.RoundTripper
	open    <-chan struct{}
	entered chan<- struct{}
}

func (g gatedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	select {
	case g.entered <- struct{}{}:
	default:
	}
	select {
	case <-g.open:
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	return g.base.RoundTrip(r)
}

// TestBurstLargerThanTheQueueEndToEnd drives the real slack-go client
// through slacksim: one worker, held in Jira, and a burst of /jsm diagnose
// larger than the queue by a quarter (each queued one is a diagnosis run
// when released; the refused ones are what the test is about). Every envelope is acked once; the
// queue's worth are acked "Diagnosing…", the rest "busy"; a click that
// finds the queue full is told in an ephemeral message. Released, the
// worker diagnoses the queued ones, each answering its requester, and nothing
// refused is ever handled.
func TestBurstLargerThanTheQueueEndToEnd(t *testing.T) {
	t.Parallel()
	open := make(chan struct{})
	entered := make(chan struct{}, 1)
	h := newHarness(t, withSeed(jirasim.ScenarioHealthy), withConfig(func(c *Config) { c.Workers = 1 }), func(h *harness) {
		h.wrapJira = func(base http.RoundTripper) http.RoundTripper {
			return gatedTransport{base: base, open: open, entered: entered}
		}
	})
	capacity := cap(h.bots[0].bot.jobs)
	send := func() string {
		id, err := h.slack.SlashCommand(h.ctx(), slacksim.SlashCommand{UserID: userRequester, ChannelID: channel, Text: "diagnose NOPE"})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}

	first := send()
	select {
	case <-entered: // the one worker is in Jira, held
	case <-h.ctx().Done():
		t.Fatal("the first diagnosis never reached Jira")
	}
	var burst []string
	for range capacity + capacity/4 {
		burst = append(burst, send())
	}
	type answer struct{ ResponseType, Text string }
	want := map[string]answer{first: {"ephemeral", "Diagnosing NOPE…"}}
	for i, id := range burst {
		want[id] = answer{"ephemeral", "Diagnosing NOPE…"}
		if i >= capacity {
			want[id] = answer{"ephemeral", busySlash}
		}
	}
	got := map[string]answer{}
	for id := range want {
		ack, err := h.slack.WaitAck(h.ctx(), id)
		if err != nil {
			t.Fatalf("envelope %s never acked: %v", id, err)
		}
		var p struct {
			ResponseType string `json:"response_type"`
			Text         string `json:"text"`
		}
		if err := json.Unmarshal(ack.Payload, &p); err != nil {
			t.Fatalf("ack of %s: %v", id, err)
		}
		got[id] = answer{p.ResponseType, p.Text}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("acks (-want +got):\n%s", diff)
	}

	// A click on the full queue is acked and told.
	click, err := h.slack.Click(h.ctx(), slacksim.Click{UserID: userApprover, ChannelID: channel, MessageTS: "1700000000.000100",
		ActionID: ActionApproveInPlace, BlockID: blockIDActions, Value: "plan-1"})
	if err != nil {
		t.Fatal(err)
	}
	if ack, err := h.slack.WaitAck(h.ctx(), click); err != nil || ack.Payload != nil {
		t.Errorf("click ack = %s, %v; want an ack without payload", ack.Payload, err)
	}
	if _, err := h.slack.WaitMessage(h.ctx(), channel, func(m slacksim.Message) bool {
		return m.Ephemeral && m.VisibleTo == userApprover && m.Text == busyInteraction
	}); err != nil {
		t.Errorf("the clicker was not told the bot is busy: %v (ephemerals %q)", err, h.ephemeral(userApprover))
	}

	close(open)
	taken := append([]string{first}, burst[:capacity]...)
	for _, id := range taken {
		h.track.wait(t, id, 1)
	}
	h.stopAll()
	for _, id := range append(burst[capacity:], click) {
		h.track.mu.Lock()
		n := h.track.counts[id]
		h.track.mu.Unlock()
		if n != 0 {
			t.Errorf("refused envelope %s was handled %d time(s)", id, n)
		}
	}
	acks := map[string]int{}
	for _, a := range h.slack.Acks() {
		acks[a.EnvelopeID]++
	}
	for id := range want {
		if acks[id] != 1 {
			t.Errorf("envelope %s acked %d times, want once", id, acks[id])
		}
	}
	answers := 0
	for _, e := range h.ephemeral(userRequester) {
		if strings.Contains(e, "I can't find project NOPE") {
			answers++
		}
	}
	if answers != len(taken) {
		t.Errorf("%d answers, want one per queued diagnosis (%d)", answers, len(taken))
	}
}
