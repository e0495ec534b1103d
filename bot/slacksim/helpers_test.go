package slacksim

import (
	"context"
	"sync"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// testBot is a real slack-go Socket Mode client connected to a simulator.
type testBot struct {
	api    *slack.Client
	client *socketmode.Client
	events chan socketmode.Event // envelopes (slash commands, interactions, events)
	hellos chan *socketmode.Request
	runErr chan error
}

// newTestBot starts a slack-go socketmode client against sim and stops it
// at cleanup. Every socketmode event is drained at once, as a real bot must.
func newTestBot(t *testing.T, sim *Server, botToken, appToken string) *testBot {
	t.Helper()
	api := slack.New(botToken, slack.OptionAppLevelToken(appToken), slack.OptionAPIURL(sim.APIURL()))
	b := &testBot{
		api:    api,
		client: socketmode.New(api),
		events: make(chan socketmode.Event, 64),
		hellos: make(chan *socketmode.Request, 64),
		runErr: make(chan error, 1),
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { b.runErr <- b.client.RunContext(ctx) })
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-b.client.Events:
				switch evt.Type {
				case socketmode.EventTypeHello:
					b.hellos <- evt.Request
				case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
					b.events <- evt
				}
			}
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return b
}

// next returns the next envelope event the bot received.
func (b *testBot) next(t *testing.T) socketmode.Event {
	t.Helper()
	select {
	case evt := <-b.events:
		return evt
	case <-t.Context().Done():
		t.Fatal("no event before the test ended")
	}
	return socketmode.Event{}
}

// hello returns the next hello request the bot received.
func (b *testBot) hello(t *testing.T) *socketmode.Request {
	t.Helper()
	select {
	case r := <-b.hellos:
		return r
	case <-t.Context().Done():
		t.Fatal("no hello before the test ended")
	}
	return nil
}

// mustConnect starts a bot with the default tokens and waits for its socket.
func mustConnect(t *testing.T, sim *Server) *testBot {
	t.Helper()
	b := newTestBot(t, sim, DefaultBotToken, DefaultAppToken)
	if err := sim.WaitConnected(t.Context(), 1); err != nil {
		t.Fatalf("WaitConnected: %v", err)
	}
	b.hello(t)
	return b
}

// countCalls waits until at least n calls of method were recorded.
func countCalls(ctx context.Context, sim *Server, method string, n int) error {
	_, err := waitFor(ctx, sim, func() (int, bool) {
		got := len(sim.callsLocked(method))
		return got, got >= n
	})
	return err
}
