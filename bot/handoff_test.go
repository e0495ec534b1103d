package bot

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// ephemeralPoster records ephemeral messages; the other calls do nothing.
type ephemeralPoster struct {
	Poster
	mu   sync.Mutex
	sent []string
}

func (p *ephemeralPoster) PostEphemeralContext(_ context.Context, channelID, userID string, opts ...slack.MsgOption) (string, error) {
	_, values, err := slack.UnsafeApplyMsgOptions("", channelID, "", opts...)
	if err != nil {
		return "", err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent = append(p.sent, userID+"@"+channelID+": "+values.Get("text"))
	return "", nil
}

// TestSubmitReportTellsWhenNoWorkerTakesIt checks that a submitted report
// the workers never pick up (queue full until the handler's deadline) is
// not lost in silence: the form is closed by then, so the user is told.
func TestSubmitReportTellsWhenNoWorkerTakesIt(t *testing.T) {
	t.Parallel()
	client, err := jira.NewClient("http://127.0.0.1:1", "bot@example.com", "token")
	if err != nil {
		t.Fatal(err)
	}
	poster := &ephemeralPoster{}
	b, err := New(Config{Workers: 1}, Deps{
		Events: make(chan socketmode.Event), Ack: func(context.Context, string, any) error { return nil },
		Slack: poster, Engine: repair.New(client), Store: store.NewMemory(), Logger: testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	for len(b.jobs) < cap(b.jobs) {
		b.jobs <- job{}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // the handler's deadline has passed

	var acked []any
	vs := viewCall{
		request:    request{userID: userRequester, log: testLogger(t)},
		envelopeID: "env-1",
		view: slack.View{
			PrivateMetadata: reportMeta{Channel: channel, User: userRequester}.encode(),
			State: &slack.ViewState{Values: map[string]map[string]slack.BlockAction{
				blockProject: {actionInput: {Value: "HELP"}},
				blockEmails:  {actionInput: {Value: "erin@example.com"}},
			}},
		},
		ack: func(payload any) { acked = append(acked, payload) },
	}
	if err := b.submitReport(ctx, vs); err != nil {
		t.Fatalf("submitReport: %v", err)
	}
	if len(acked) != 1 || acked[0] != nil {
		t.Fatalf("acks = %v, want one nil ack (the form closes)", acked)
	}
	poster.mu.Lock()
	defer poster.mu.Unlock()
	if len(poster.sent) != 1 || !strings.HasPrefix(poster.sent[0], userRequester+"@"+channel+": ") || !strings.Contains(poster.sent[0], "couldn't start on your report") {
		t.Errorf("ephemeral messages = %q, want one to %s in %s saying the report did not start", poster.sent, userRequester, channel)
	}
}
