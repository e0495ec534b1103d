package slacksim

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

func TestHello(t *testing.T) {
	t.Parallel()
	sim := NewServer(t)
	b := newTestBot(t, sim, DefaultBotToken, DefaultAppToken)
	got := b.hello(t)
	want := &socketmode.Request{
		Type:           "hello",
		NumConnections: 1,
		ConnectionInfo: socketmode.ConnectionInfo{AppID: DefaultAppID},
		DebugInfo:      socketmode.DebugInfo{Host: "applink-sim-1", BuildNumber: 1, ApproximateConnectionTime: 18060},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hello (-want +got):\n%s", diff)
	}
	calls := sim.Calls("apps.connections.open")
	if len(calls) != 1 || calls[0].Token != DefaultAppToken || calls[0].Error != "" {
		t.Errorf("apps.connections.open calls = %+v, want one ok call with the app token", calls)
	}
}

// envelopeSummary is what the tests compare of a received envelope.
type envelopeSummary struct {
	Type, Envelope      string
	AcceptsResponse     bool
	RetryAttempt        int
	Fields              map[string]string
	HasTrigger, HasResp bool
}

func TestEnvelopes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// send drives the simulator; it may use the bot's Web API client
		// first, as a real flow would.
		send func(t *testing.T, sim *Server, b *testBot) (string, error)
		ack  any // ack payload, nil for an empty ack
		want envelopeSummary
	}{
		{
			name: "slash command",
			send: func(t *testing.T, sim *Server, _ *testBot) (string, error) {
				return sim.SlashCommand(t.Context(), SlashCommand{UserID: "U0ALICE", ChannelID: "C0HELP", Text: "diagnose HELP"})
			},
			ack: map[string]any{"response_type": "ephemeral", "text": "Working on it..."},
			want: envelopeSummary{
				Type: "slash_commands", AcceptsResponse: true,
				Fields: map[string]string{
					"command": "/jsm", "text": "diagnose HELP", "user": "U0ALICE", "user_name": "alice",
					"channel": "C0HELP", "channel_name": "help-desk", "team": DefaultTeamID, "app": DefaultAppID,
				},
				HasTrigger: true, HasResp: true,
			},
		},
		{
			name: "button click on the bot's message",
			send: func(t *testing.T, sim *Server, b *testBot) (string, error) {
				_, ts, err := b.api.PostMessageContext(t.Context(), "C0HELP",
					slack.MsgOptionText("Diagnosis for HELP", false),
					slack.MsgOptionBlocks(
						slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*HELP* is broken", false, false), nil, nil),
						slack.NewActionBlock("plan_actions",
							slack.NewButtonBlockElement("approve", "plan-1", slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false))),
					))
				if err != nil {
					t.Fatalf("PostMessage: %v", err)
				}
				return sim.Click(t.Context(), Click{UserID: "U0ALICE", ChannelID: "C0HELP", MessageTS: ts, ActionID: "approve"})
			},
			want: envelopeSummary{
				Type: "interactive",
				Fields: map[string]string{
					"type": "block_actions", "user": "U0ALICE", "channel": "C0HELP", "container": "message",
					"action": "approve", "block": "plan_actions", "value": "plan-1", "message_text": "Diagnosis for HELP",
				},
				HasTrigger: true, HasResp: true,
			},
		},
		{
			name: "message shortcut",
			send: func(t *testing.T, sim *Server, _ *testBot) (string, error) {
				return sim.MessageShortcut(t.Context(), Shortcut{
					CallbackID: "jsm_report", UserID: "U0ALICE", ChannelID: "C0HELP",
					MessageTS: "1700000015.000200", MessageText: "Successfully added 0 customers.", MessageUserID: "U0BOB",
				})
			},
			want: envelopeSummary{
				Type: "interactive",
				Fields: map[string]string{
					"type": "message_action", "callback": "jsm_report", "user": "U0ALICE", "channel": "C0HELP",
					"message_ts": "1700000015.000200", "message_text": "Successfully added 0 customers.", "message_user": "U0BOB",
				},
				HasTrigger: true, HasResp: true,
			},
		},
		{
			name: "view submission",
			send: func(t *testing.T, sim *Server, _ *testBot) (string, error) {
				return sim.SubmitView(t.Context(), ViewSubmission{
					UserID: "U0ALICE", ViewID: "V0X", CallbackID: "jsm_report_modal", PrivateMetadata: `{"c":"C0HELP"}`,
					Values: map[string]map[string]Value{"project_block": {"project_input": {Value: "HELP"}}},
				})
			},
			ack: slack.NewErrorsViewSubmissionResponse(map[string]string{"project_block": "Unknown project"}),
			want: envelopeSummary{
				Type: "interactive", AcceptsResponse: true,
				Fields: map[string]string{
					"type": "view_submission", "user": "U0ALICE", "callback": "jsm_report_modal",
					"metadata": `{"c":"C0HELP"}`, "value": "HELP", "view": "V0X",
				},
				HasTrigger: true,
			},
		},
		{
			name: "user message event",
			send: func(t *testing.T, sim *Server, _ *testBot) (string, error) {
				return sim.PostUserMessage(t.Context(), Message{UserID: "U0ALICE", ChannelID: "C0HELP", Text: "customers could not be added", TS: "1700000030.000300"})
			},
			want: envelopeSummary{
				Type: "events_api",
				Fields: map[string]string{
					"outer": "event_callback", "inner": "message", "user": "U0ALICE", "channel": "C0HELP",
					"text": "customers could not be added", "ts": "1700000030.000300", "channel_type": "channel",
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := NewServer(t,
				WithUsers(User{ID: "U0ALICE", Name: "alice"}, User{ID: "U0BOB", Name: "bob"}),
				WithChannel("C0HELP", "help-desk"))
			b := mustConnect(t, sim)

			id, err := tt.send(t, sim, b)
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			evt := b.next(t)
			got := summarize(t, evt)
			want := tt.want
			want.Envelope = id
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("received envelope (-want +got):\n%s", diff)
			}

			if err := b.client.AckCtx(t.Context(), evt.Request.EnvelopeID, tt.ack); err != nil {
				t.Fatalf("Ack: %v", err)
			}
			ack, err := sim.WaitAck(t.Context(), id)
			if err != nil {
				t.Fatalf("WaitAck: %v", err)
			}
			var wantPayload json.RawMessage
			if tt.ack != nil {
				wantPayload, _ = json.Marshal(tt.ack)
			}
			if diff := cmp.Diff(string(wantPayload), string(ack.Payload)); diff != "" {
				t.Errorf("ack payload (-want +got):\n%s", diff)
			}
		})
	}
}

// summarize decodes an event with slack-go's own types.
func summarize(t *testing.T, evt socketmode.Event) envelopeSummary {
	t.Helper()
	r := evt.Request
	s := envelopeSummary{Type: string(evt.Type), Envelope: r.EnvelopeID, AcceptsResponse: r.AcceptsResponsePayload, RetryAttempt: r.RetryAttempt}
	switch d := evt.Data.(type) {
	case slack.SlashCommand:
		s.Fields = map[string]string{
			"command": d.Command, "text": d.Text, "user": d.UserID, "user_name": d.UserName,
			"channel": d.ChannelID, "channel_name": d.ChannelName, "team": d.TeamID, "app": d.APIAppID,
		}
		s.HasTrigger, s.HasResp = d.TriggerID != "", d.ResponseURL != ""
	case slack.InteractionCallback:
		s.HasTrigger, s.HasResp = d.TriggerID != "", d.ResponseURL != ""
		switch d.Type {
		case slack.InteractionTypeBlockActions:
			if len(d.ActionCallback.BlockActions) != 1 {
				t.Fatalf("block actions = %d, want 1 (no block_id?)", len(d.ActionCallback.BlockActions))
			}
			a := d.ActionCallback.BlockActions[0]
			s.Fields = map[string]string{
				"type": string(d.Type), "user": d.User.ID, "channel": d.Channel.ID, "container": d.Container.Type,
				"action": a.ActionID, "block": a.BlockID, "value": a.Value, "message_text": d.Message.Text,
			}
			if d.Container.MessageTs != d.Message.Timestamp {
				t.Errorf("container.message_ts %q != message.ts %q", d.Container.MessageTs, d.Message.Timestamp)
			}
		case slack.InteractionTypeMessageAction:
			s.Fields = map[string]string{
				"type": string(d.Type), "callback": d.CallbackID, "user": d.User.ID, "channel": d.Channel.ID,
				"message_ts": d.Message.Timestamp, "message_text": d.Message.Text, "message_user": d.Message.User,
			}
		case slack.InteractionTypeViewSubmission:
			s.Fields = map[string]string{
				"type": string(d.Type), "user": d.User.ID, "callback": d.View.CallbackID,
				"metadata": d.View.PrivateMetadata, "value": d.View.State.Values["project_block"]["project_input"].Value,
				"view": d.View.ID,
			}
		default:
			t.Fatalf("unexpected interaction %q", d.Type)
		}
	case slackevents.EventsAPIEvent:
		m, ok := d.InnerEvent.Data.(*slackevents.MessageEvent)
		if !ok {
			t.Fatalf("inner event = %T, want *slackevents.MessageEvent", d.InnerEvent.Data)
		}
		s.Fields = map[string]string{
			"outer": d.Type, "inner": d.InnerEvent.Type, "user": m.User, "channel": m.Channel,
			"text": m.Text, "ts": m.TimeStamp, "channel_type": m.ChannelType,
		}
		if m.BotID != "" {
			s.Fields["bot_id"] = m.BotID
		}
		if m.ThreadTimeStamp != "" {
			s.Fields["thread_ts"] = m.ThreadTimeStamp
		}
	default:
		t.Fatalf("unexpected event data %T", evt.Data)
	}
	return s
}

func TestReconnect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		breakIt func(*Server)
	}{
		{"refresh_requested", func(s *Server) { s.Disconnect("refresh_requested") }},
		{"warning", func(s *Server) { s.Disconnect("warning") }},
		{"link_disabled", func(s *Server) { s.Disconnect("link_disabled") }},
		{"dropped TCP", (*Server).DropConnections},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := NewServer(t)
			b := mustConnect(t, sim)

			// (Connections() is 0 right after breakIt, but slack-go may
			// already be back, so that is not asserted here.)
			tt.breakIt(sim)
			if err := countCalls(t.Context(), sim, "apps.connections.open", 2); err != nil {
				t.Fatalf("waiting for a second apps.connections.open: %v", err)
			}
			if err := sim.WaitConnected(t.Context(), 1); err != nil {
				t.Fatalf("WaitConnected: %v", err)
			}
			b.hello(t)
			if got := sim.Connections(); got != 1 {
				t.Errorf("Connections() after reconnect = %d, want 1", got)
			}

			// The new socket carries envelopes and acks.
			id, err := sim.SlashCommand(t.Context(), SlashCommand{UserID: "U1", ChannelID: "C1", Text: "help"})
			if err != nil {
				t.Fatalf("SlashCommand: %v", err)
			}
			evt := b.next(t)
			if err := b.client.AckCtx(t.Context(), evt.Request.EnvelopeID, nil); err != nil {
				t.Fatalf("Ack: %v", err)
			}
			if _, err := sim.WaitAck(t.Context(), id); err != nil {
				t.Fatalf("WaitAck: %v", err)
			}
		})
	}
}

func TestRedeliver(t *testing.T) {
	t.Parallel()
	sim := NewServer(t)
	b := mustConnect(t, sim)

	id, err := sim.PostUserMessage(t.Context(), Message{UserID: "U1", ChannelID: "C1", Text: "hi"})
	if err != nil {
		t.Fatalf("PostUserMessage: %v", err)
	}
	first := b.next(t) // not acked: Slack would retry
	if err := sim.Redeliver(t.Context(), id); err != nil {
		t.Fatalf("Redeliver: %v", err)
	}
	second := b.next(t)

	type delivery struct {
		EnvelopeID, RetryReason, EventID string
		RetryAttempt                     int
	}
	sum := func(e socketmode.Event) delivery {
		var p struct {
			EventID string `json:"event_id"`
		}
		_ = json.Unmarshal(e.Request.Payload, &p)
		return delivery{e.Request.EnvelopeID, e.Request.RetryReason, p.EventID, e.Request.RetryAttempt}
	}
	want := []delivery{{id, "", "Ev0SIM000001", 0}, {id, "timeout", "Ev0SIM000001", 1}}
	if diff := cmp.Diff(want, []delivery{sum(first), sum(second)}); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
	if err := b.client.AckCtx(t.Context(), id, nil); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	if _, err := sim.WaitAck(t.Context(), id); err != nil {
		t.Fatalf("WaitAck: %v", err)
	}
	if e, _ := sim.Envelope(id); e.Deliveries != 2 {
		t.Errorf("Deliveries = %d, want 2", e.Deliveries)
	}
}

func TestRoundRobin(t *testing.T) {
	t.Parallel()
	sim := NewServer(t)
	bots := []*testBot{
		newTestBot(t, sim, DefaultBotToken, DefaultAppToken),
		newTestBot(t, sim, DefaultBotToken, DefaultAppToken),
	}
	if err := sim.WaitConnected(t.Context(), 2); err != nil {
		t.Fatalf("WaitConnected: %v", err)
	}
	for i := range 2 {
		if _, err := sim.SlashCommand(t.Context(), SlashCommand{UserID: "U1", ChannelID: "C1", Text: "n"}); err != nil {
			t.Fatalf("SlashCommand %d: %v", i, err)
		}
	}
	// One envelope each: both bots must receive one.
	for i, b := range bots {
		if evt := b.next(t); evt.Type != socketmode.EventTypeSlashCommand {
			t.Errorf("bot %d got %q, want slash_commands", i, evt.Type)
		}
	}
}

func TestServerPings(t *testing.T) {
	t.Parallel()
	sim := NewServer(t, WithPingInterval(10*time.Millisecond))
	mustConnect(t, sim)
	if _, err := waitFor(t.Context(), sim, func() (int, bool) { return sim.seq["pong"], sim.seq["pong"] >= 2 }); err != nil {
		t.Fatalf("waiting for pongs: %v", err)
	}
	if got := sim.Pongs(); got < 2 {
		t.Errorf("Pongs() = %d, want >= 2", got)
	}
}

func TestConnectAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, bot, app, want string
	}{
		{"wrong app token", DefaultBotToken, "xapp-1-wrong", "invalid_auth"},
		{"bot token as app token", DefaultBotToken, DefaultBotToken, "not_allowed_token_type"},
		{"no app token", DefaultBotToken, "", "not_authed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := NewServer(t)
			api := slack.New(tt.bot, slack.OptionAppLevelToken(tt.app), slack.OptionAPIURL(sim.APIURL()))
			_, _, err := socketmode.New(api).OpenContext(t.Context())
			var se slack.SlackErrorResponse
			if !errors.As(err, &se) || se.Err != tt.want {
				t.Errorf("OpenContext error = %v, want %s", err, tt.want)
			}
		})
	}
}

func TestRunContextStopsOnInvalidAuth(t *testing.T) {
	t.Parallel()
	sim := NewServer(t)
	b := newTestBot(t, sim, DefaultBotToken, "xapp-1-revoked")
	select {
	case err := <-b.runErr:
		var se slack.SlackErrorResponse
		if !errors.As(err, &se) || se.Err != "invalid_auth" {
			t.Errorf("RunContext = %v, want invalid_auth", err)
		}
	case <-t.Context().Done():
		t.Fatal("RunContext did not return")
	}
}

func TestSendWaitsForConnection(t *testing.T) {
	t.Parallel()
	sim := NewServer(t)
	sent := make(chan error, 1)
	go func() {
		_, err := sim.PostUserMessage(t.Context(), Message{UserID: "U1", ChannelID: "C1", Text: "early"})
		sent <- err
	}()
	b := newTestBot(t, sim, DefaultBotToken, DefaultAppToken)
	if evt := b.next(t); evt.Type != socketmode.EventTypeEventsAPI {
		t.Errorf("got %q, want events_api", evt.Type)
	}
	if err := <-sent; err != nil {
		t.Errorf("PostUserMessage: %v", err)
	}
}

func TestClosedServer(t *testing.T) {
	t.Parallel()
	sim := New()
	sim.Close()
	sim.Close() // idempotent
	if _, err := sim.SlashCommand(t.Context(), SlashCommand{UserID: "U1", ChannelID: "C1"}); !errors.Is(err, ErrClosed) {
		t.Errorf("SlashCommand after Close = %v, want ErrClosed", err)
	}
	if _, err := sim.WaitCall(t.Context(), "chat.postMessage", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("WaitCall after Close = %v, want ErrClosed", err)
	}
}
