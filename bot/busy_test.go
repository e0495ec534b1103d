package bot

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// refusals records what a bot's Observer is told about its queues.
type refusals struct {
	mu      sync.Mutex
	refused []string       // "kind/lane"
	depth   map[string]int // running sum of Queued per lane
}

func (r *refusals) observer() Observer {
	return Observer{
		Refused: func(kind, lane string) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.refused = append(r.refused, kind+"/"+lane)
		},
		Queued: func(lane string, delta int) {
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.depth == nil {
				r.depth = map[string]int{}
			}
			r.depth[lane] += delta
		},
	}
}

func (r *refusals) snapshot() ([]string, map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	depth := map[string]int{}
	for k, v := range r.depth {
		depth[k] = v
	}
	return append([]string(nil), r.refused...), depth
}

// fill fills a queue to its capacity with jobs that do nothing.
func fill(q chan job) {
	for len(q) < cap(q) {
		q <- job{}
	}
}

// TestFullQueueAnswersBusy: when the lane an envelope's work needs has a
// full queue, receive does not wait. It acks at once and the ack says
// busy where it can carry text (a slash command, a form); a click or a
// shortcut is acked and its user told on the side path; an event is acked
// and logged. Every refusal is counted by type and lane, and nothing joins
// the full queue. The other lane is not affected, and help, answered in
// full by its ack, is never refused. It runs in a synctest bubble, so a
// receive that blocked on a queue would fail the test as a deadlock
// instead of hanging.
func TestFullQueueAnswersBusy(t *testing.T) {
	t.Parallel()
	slash := func(text string) socketmode.Event {
		return socketmode.Event{Type: socketmode.EventTypeSlashCommand, Request: &socketmode.Request{Type: "slash_commands", EnvelopeID: "env"},
			Data: slack.SlashCommand{Command: "/jsm", Text: text, UserID: userRequester, ChannelID: channel}}
	}
	interactive := func(ic slack.InteractionCallback) socketmode.Event {
		return socketmode.Event{Type: socketmode.EventTypeInteractive, Request: &socketmode.Request{Type: "interactive", EnvelopeID: "env"}, Data: ic}
	}
	click := func(channelID string) socketmode.Event {
		ic := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: userApprover}, Channel: slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: channelID}}}}
		ic.ActionCallback.BlockActions = []*slack.BlockAction{{ActionID: ActionApproveInPlace, Value: "p1"}}
		return interactive(ic)
	}
	shortcut := interactive(slack.InteractionCallback{Type: slack.InteractionTypeMessageAction, CallbackID: ShortcutInviteFailed,
		User: slack.User{ID: userRequester}, Channel: slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: channel}}}})
	form := reportModal(reportForm{}, reportMeta{Channel: channel, User: userRequester})
	submit := func(blocks slack.Blocks) socketmode.Event {
		return interactive(slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: userRequester},
			View: slack.View{CallbackID: ViewReport, Blocks: blocks}})
	}
	event := socketmode.Event{Type: socketmode.EventTypeEventsAPI, Request: &socketmode.Request{Type: "events_api", EnvelopeID: "env"},
		Data: slackevents.EventsAPIEvent{Type: slackevents.CallbackEvent, Data: &slackevents.EventsAPICallbackEvent{EventID: "Ev1"},
			InnerEvent: slackevents.EventsAPIInnerEvent{Type: "message", Data: &slackevents.MessageEvent{Channel: channel, User: userRequester, Text: "hi"}}}}
	busy := func(text string) any { return map[string]any{"response_type": "ephemeral", "text": text} }

	tests := []struct {
		name        string
		evt         socketmode.Event
		full        lane
		fullNotices bool // the side path is full too
		wantOK      bool
		wantAck     any
		wantRefused []string
		wantNotices []string // "user@channel: text"
	}{
		{name: "diagnose", evt: slash("diagnose HELP"), full: slowLane,
			wantAck: busy(busySlash), wantRefused: []string{"slash_commands/slow"}},
		{name: "report that opens the form", evt: slash("report HELP"), full: fastLane,
			wantAck: busy(busySlash), wantRefused: []string{"slash_commands/fast"}},
		{name: "diagnose while only the fast lane is full", evt: slash("diagnose HELP"), full: fastLane,
			wantOK: true, wantAck: busy("Diagnosing HELP…")},
		{name: "help is answered by its ack", evt: slash("help"), full: slowLane,
			wantAck: busy(helpText(""))},
		{name: "approve click", evt: click(channel), full: slowLane,
			wantRefused: []string{"interactive/slow"}, wantNotices: []string{userApprover + "@" + channel + ": " + busyInteraction}},
		{name: "click on no channel", evt: click(""), full: slowLane,
			wantRefused: []string{"interactive/slow"}},
		{name: "click with the side path full", evt: click(channel), full: slowLane, fullNotices: true,
			wantRefused: []string{"interactive/slow"}},
		{name: "shortcut", evt: shortcut, full: fastLane,
			wantRefused: []string{"interactive/fast"}, wantNotices: []string{userRequester + "@" + channel + ": " + busyInteraction}},
		{name: "form submission", evt: submit(form.Blocks), full: fastLane,
			wantAck: slack.NewErrorsViewSubmissionResponse(map[string]string{blockProject: busyForm}), wantRefused: []string{"interactive/fast"}},
		{name: "form without a field", evt: submit(slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(mrkdwn("hi"), nil, nil)}}), full: fastLane,
			wantRefused: []string{"interactive/fast"}},
		{name: "event", evt: event, full: slowLane,
			wantRefused: []string{"events_api/slow"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var acks []any
				b := newTableBot(t, func(_ context.Context, _ string, payload any) error {
					acks = append(acks, payload)
					return nil
				})
				var rec refusals
				b.obs = rec.observer()
				queue := b.jobs
				if tt.full == fastLane {
					queue = b.fast
				}
				fill(queue)
				if tt.fullNotices {
					for len(b.notices) < cap(b.notices) {
						b.notices <- notice{}
					}
				}
				queued := len(b.jobs) + len(b.fast)

				_, ok := b.receive(t.Context(), tt.evt)

				if ok != tt.wantOK {
					t.Errorf("receive ok = %v, want %v", ok, tt.wantOK)
				}
				if diff := cmp.Diff([]any{tt.wantAck}, acks); diff != "" {
					t.Errorf("acks (-want +got):\n%s", diff)
				}
				refused, depth := rec.snapshot()
				if diff := cmp.Diff(tt.wantRefused, refused); diff != "" {
					t.Errorf("refusals (-want +got):\n%s", diff)
				}
				wantQueued, wantDepth := queued, map[string]int{}
				if tt.wantOK {
					wantQueued++
					wantDepth = map[string]int{"slow": 1}
				} else if len(tt.wantRefused) > 0 {
					wantDepth = map[string]int{tt.full.String(): 0}
				}
				if got := len(b.jobs) + len(b.fast); got != wantQueued {
					t.Errorf("%d jobs queued, want %d", got, wantQueued)
				}
				if diff := cmp.Diff(wantDepth, depth, cmpNonZero()); diff != "" {
					t.Errorf("Observer.Queued sums (-want +got):\n%s", diff)
				}
				var notices []string
				if !tt.fullNotices {
					for len(b.notices) > 0 {
						n := <-b.notices
						notices = append(notices, n.who.userID+"@"+n.who.channelID+": "+n.text)
					}
				}
				if diff := cmp.Diff(tt.wantNotices, notices); diff != "" {
					t.Errorf("notices (-want +got):\n%s", diff)
				}
			})
		})
	}
}

// cmpNonZero compares depth maps ignoring lanes whose sum is 0.
func cmpNonZero() cmp.Option {
	return cmp.Transformer("nonZero", func(m map[string]int) map[string]int {
		out := map[string]int{}
		for k, v := range m {
			if v != 0 {
				out[k] = v
			}
		}
		return out
	})
}

// TestWorkWaitsForTheAck: a job is queued before its envelope is acked (so
// that the ack can say busy), yet its work does not start until the ack is
// out, so nothing the handler posts overtakes the ack.
func TestWorkWaitsForTheAck(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		events := make(chan socketmode.Event)
		release := make(chan struct{})
		var mu sync.Mutex
		var order []string
		note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
		b := newTableBot(t, func(context.Context, string, any) error {
			note("ack started")
			<-release
			note("ack done")
			return nil
		})
		b.events = events
		b.handled = func(id string) { note("handled " + id) }
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- b.Run(ctx) }()

		events <- socketmode.Event{Type: socketmode.EventTypeSlashCommand, Request: &socketmode.Request{Type: "slash_commands", EnvelopeID: "env-1"},
			Data: slack.SlashCommand{Command: "/jsm", Text: "help", UserID: userRequester, ChannelID: channel}}
		synctest.Wait() // the ack is under way, the job queued, a worker idle
		mu.Lock()
		before := append([]string(nil), order...)
		mu.Unlock()
		if diff := cmp.Diff([]string{"ack started"}, before); diff != "" {
			t.Errorf("while the ack is under way (-want +got):\n%s", diff)
		}
		close(release)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		if diff := cmp.Diff([]string{"ack started", "ack done", "handled env-1"}, order); diff != "" {
			t.Errorf("order (-want +got):\n%s", diff)
		}
	})
}

// TestReaderKeepsReadingWhileWorkersAreHeld runs the whole loop: one
// worker, held in its handler, and a burst three times the queue's size.
// The reader acks every envelope without waiting: the queue's worth are
// taken, the rest answered busy and counted; once the worker is released
// the queued ones are handled and the refused ones never.
func TestReaderKeepsReadingWhileWorkersAreHeld(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		events := make(chan socketmode.Event)
		var mu sync.Mutex
		acks := map[string]any{}
		b := newTableBot(t, func(_ context.Context, id string, payload any) error {
			mu.Lock()
			defer mu.Unlock()
			acks[id] = payload
			return nil
		})
		var rec refusals
		b.obs = rec.observer()
		b.events = events
		hold := make(chan struct{})
		handled := map[string]int{}
		b.handled = func(id string) {
			<-hold // the worker is busy until the test lets it go
			mu.Lock()
			defer mu.Unlock()
			handled[id]++
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- b.Run(ctx) }()

		send := func(i int) string {
			id := fmt.Sprintf("env-%d", i)
			// An Events API event the bot has no handler for: work that
			// only logs, and can be refused (help never is).
			events <- socketmode.Event{Type: socketmode.EventTypeEventsAPI, Request: &socketmode.Request{Type: "events_api", EnvelopeID: id},
				Data: slackevents.EventsAPIEvent{Type: slackevents.CallbackEvent, Data: &slackevents.EventsAPICallbackEvent{EventID: "Ev" + id},
					InnerEvent: slackevents.EventsAPIInnerEvent{Type: "reaction_added"}}}
			return id
		}
		capacity := cap(b.jobs)
		// The first job busies every worker; then the queue fills.
		var ids []string
		for i := range DefaultWorkers {
			ids = append(ids, send(i))
		}
		synctest.Wait()
		for i := DefaultWorkers; i < DefaultWorkers+3*capacity; i++ {
			ids = append(ids, send(i))
		}
		synctest.Wait()

		mu.Lock()
		if len(acks) != len(ids) {
			t.Errorf("%d of %d envelopes acked while the workers were held", len(acks), len(ids))
		}
		mu.Unlock()
		refused, depth := rec.snapshot()
		if want := 2 * capacity; len(refused) != want {
			t.Errorf("%d refusals, want %d (the burst less the queue)", len(refused), want)
		}
		if depth["slow"] != capacity {
			t.Errorf("slow queue depth %d while held, want %d", depth["slow"], capacity)
		}
		close(hold)
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		want := map[string]int{}
		for _, id := range ids[:DefaultWorkers+capacity] {
			want[id] = 1
		}
		if diff := cmp.Diff(want, handled); diff != "" {
			t.Errorf("handled (-want +got):\n%s", diff)
		}
		if _, depth := rec.snapshot(); depth["slow"] != 0 {
			t.Errorf("slow queue depth %d after the drain, want 0", depth["slow"])
		}
	})
}
