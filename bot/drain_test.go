package bot

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// nopPoster is a Poster for envelopes whose handling posts nothing.
type nopPoster struct{ Poster }

// TestAckedEnvelopeSurvivesShutdown: the stop arrives right after an
// envelope was acked and before it was queued. Slack will not resend an
// acked envelope, so it must still be handled. (Go's select picks at
// random among ready cases, which is why this runs many times.)
func TestAckedEnvelopeSurvivesShutdown(t *testing.T) {
	t.Parallel()
	client, err := jira.NewClient(jirasim.NewServer(t).URL, jirasim.DefaultEmail, jirasim.DefaultToken)
	if err != nil {
		t.Fatal(err)
	}
	engine := repair.New(client)
	for i := range 50 {
		events := make(chan socketmode.Event, 1)
		ctx, cancel := context.WithCancel(t.Context())
		b, err := New(Config{}, Deps{
			Events: events,
			Ack: func(context.Context, string, any) error {
				cancel() // SIGTERM lands between the ack and the queue
				return nil
			},
			Slack: nopPoster{}, Engine: engine, Store: store.NewMemory(),
		})
		if err != nil {
			t.Fatal(err)
		}
		var (
			mu      sync.Mutex
			handled []string
		)
		b.handled = func(id string) { mu.Lock(); handled = append(handled, id); mu.Unlock() }
		id := fmt.Sprintf("env-%d", i)
		events <- socketmode.Event{
			Type:    socketmode.EventTypeSlashCommand,
			Data:    slack.SlashCommand{Command: "/jsm", Text: "help", UserID: "U0A", ChannelID: "C0A"},
			Request: &socketmode.Request{Type: "slash_commands", EnvelopeID: id},
		}
		done := make(chan error, 1)
		go func() { done <- b.Run(ctx) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Run returned %v", err)
			}
		case <-time.After(DefaultDrainTimeout + 2*time.Second):
			t.Fatal("Run did not return")
		}
		mu.Lock()
		got := handled
		mu.Unlock()
		if len(got) != 1 || got[0] != id {
			t.Fatalf("run %d: handled %q, want the acked envelope %s", i, got, id)
		}
	}
}
