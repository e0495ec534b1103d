package slacksim

import (
	"context"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// TestWaitDisconnected: a client that stops closes its socket, and
// WaitDisconnected returns once it has.
func TestWaitDisconnected(t *testing.T) {
	t.Parallel()
	sim := NewServer(t)
	api := slack.New(DefaultBotToken, slack.OptionAppLevelToken(DefaultAppToken), slack.OptionAPIURL(sim.APIURL()))
	client := socketmode.New(api)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- client.RunContext(ctx) }()
	go func() { // a client must drain its events
		for {
			select {
			case <-client.Events:
			case <-ctx.Done():
				return
			}
		}
	}()
	if err := sim.WaitConnected(t.Context(), 1); err != nil {
		t.Fatalf("WaitConnected: %v", err)
	}
	if sim.Connections() != 1 {
		t.Fatalf("Connections = %d, want 1", sim.Connections())
	}
	cancel()
	if err := sim.WaitDisconnected(t.Context()); err != nil {
		t.Fatalf("WaitDisconnected: %v", err)
	}
	if n := sim.Connections(); n != 0 {
		t.Errorf("Connections = %d after WaitDisconnected, want 0", n)
	}
	<-stopped
}
