package slacksim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/internal/fakeclock"
)

func newAPI(sim *Server, token string) *slack.Client {
	return slack.New(token, slack.OptionAPIURL(sim.APIURL()))
}

func approveBlocks() []slack.Block {
	return []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "HELP: portal access missing", false, false)),
		slack.NewActionBlock("plan_actions",
			slack.NewButtonBlockElement("approve", "plan-1", slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement("dismiss", "plan-1", slack.NewTextBlockObject(slack.PlainTextType, "Dismiss", false, false))),
	}
}

func TestPostUpdateEphemeral(t *testing.T) {
	t.Parallel()
	sim := NewServer(t, WithUsers(User{ID: "U0ALICE", Name: "alice"}))
	api := newAPI(sim, DefaultBotToken)
	ctx := t.Context()

	ch, ts, err := api.PostMessageContext(ctx, "C0HELP", slack.MsgOptionText("HELP needs a fix", false), slack.MsgOptionBlocks(approveBlocks()...))
	if err != nil {
		t.Fatalf("PostMessage: %v", err)
	}
	if ch != "C0HELP" || ts == "" {
		t.Fatalf("PostMessage = %q, %q; want C0HELP and a ts", ch, ts)
	}
	_, replyTS, err := api.PostMessageContext(ctx, "C0HELP", slack.MsgOptionText("audit: requested by alice", false), slack.MsgOptionTS(ts))
	if err != nil {
		t.Fatalf("PostMessage in thread: %v", err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C0HELP", ts, slack.MsgOptionText("HELP fixed", false), slack.MsgOptionBlocks()); err != nil {
		t.Fatalf("UpdateMessage: %v", err)
	}
	ephTS, err := api.PostEphemeralContext(ctx, "C0HELP", "U0ALICE", slack.MsgOptionText("only you can see this", false))
	if err != nil {
		t.Fatalf("PostEphemeral: %v", err)
	}

	// The calls, with their form arguments as slack-go sent them.
	post := sim.Calls("chat.postMessage")[0]
	wantBlocks, _ := json.Marshal(approveBlocks())
	wantArgs := url.Values{"token": {DefaultBotToken}, "channel": {"C0HELP"}, "text": {"HELP needs a fix"}, "blocks": {string(wantBlocks)}}
	if diff := cmp.Diff(wantArgs, post.Args); diff != "" {
		t.Errorf("chat.postMessage args (-want +got):\n%s", diff)
	}
	if got := sim.Calls("chat.update")[0].Arg("ts"); got != ts {
		t.Errorf("chat.update ts = %q, want %q", got, ts)
	}
	if got := sim.Calls("chat.postEphemeral")[0].Arg("user"); got != "U0ALICE" {
		t.Errorf("chat.postEphemeral user = %q, want U0ALICE", got)
	}

	want := []Message{
		{ChannelID: "C0HELP", TS: ts, UserID: DefaultBotUserID, BotID: DefaultBotID, Text: "HELP fixed"},
		{ChannelID: "C0HELP", TS: replyTS, ThreadTS: ts, UserID: DefaultBotUserID, BotID: DefaultBotID, Text: "audit: requested by alice"},
		{ChannelID: "C0HELP", TS: ephTS, UserID: DefaultBotUserID, BotID: DefaultBotID, Text: "only you can see this", Ephemeral: true, VisibleTo: "U0ALICE"},
	}
	if diff := cmp.Diff(want, sim.Messages("C0HELP")); diff != "" {
		t.Errorf("Messages (-want +got):\n%s", diff)
	}

	// The thread, as conversations.replies returns it.
	msgs, _, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: "C0HELP", Timestamp: ts})
	if err != nil {
		t.Fatalf("GetConversationReplies: %v", err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, m.Timestamp+" "+m.Text)
	}
	if diff := cmp.Diff([]string{ts + " HELP fixed", replyTS + " audit: requested by alice"}, got); diff != "" {
		t.Errorf("replies (-want +got):\n%s", diff)
	}
}

func TestWebAPIErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		token string
		call  func(t *testing.T, sim *Server, api *slack.Client) error
		want  string
	}{
		{"wrong bot token", "xoxb-wrong", func(t *testing.T, _ *Server, api *slack.Client) error {
			_, err := api.AuthTestContext(t.Context())
			return err
		}, "invalid_auth"},
		{"no token", "", func(t *testing.T, _ *Server, api *slack.Client) error {
			_, _, err := api.PostMessageContext(t.Context(), "C1", slack.MsgOptionText("x", false))
			return err
		}, "not_authed"},
		{"app token for a bot method", DefaultAppToken, func(t *testing.T, _ *Server, api *slack.Client) error {
			_, err := api.GetUserInfoContext(t.Context(), DefaultBotUserID)
			return err
		}, "not_allowed_token_type"},
		{"update unknown message", DefaultBotToken, func(t *testing.T, _ *Server, api *slack.Client) error {
			_, _, _, err := api.UpdateMessageContext(t.Context(), "C1", "1.000001", slack.MsgOptionText("x", false))
			return err
		}, "message_not_found"},
		{"no text", DefaultBotToken, func(t *testing.T, _ *Server, api *slack.Client) error {
			_, _, err := api.PostMessageContext(t.Context(), "C1")
			return err
		}, "no_text"},
		{"unknown user", DefaultBotToken, func(t *testing.T, _ *Server, api *slack.Client) error {
			_, err := api.GetUserInfoContext(t.Context(), "U0NOBODY")
			return err
		}, "user_not_found"},
		{"unknown user group", DefaultBotToken, func(t *testing.T, _ *Server, api *slack.Client) error {
			_, err := api.GetUserGroupMembersContext(t.Context(), "S0NONE")
			return err
		}, "no_such_subteam"},
		{"FailNext", DefaultBotToken, func(t *testing.T, sim *Server, api *slack.Client) error {
			sim.FailNext("chat.postMessage", "channel_not_found")
			_, _, err := api.PostMessageContext(t.Context(), "C1", slack.MsgOptionText("x", false))
			return err
		}, "channel_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := NewServer(t)
			err := tt.call(t, sim, newAPI(sim, tt.token))
			var se slack.SlackErrorResponse
			if !errors.As(err, &se) || se.Err != tt.want {
				t.Fatalf("error = %v, want %s", err, tt.want)
			}
			calls := sim.Calls("")
			if len(calls) != 1 || calls[0].Error != tt.want {
				t.Errorf("recorded calls = %+v, want one with Error %q", calls, tt.want)
			}
		})
	}
}

func TestUnknownMethod(t *testing.T) {
	t.Parallel()
	sim := NewServer(t)
	resp, err := http.PostForm(sim.APIURL()+"chat.scheduleMessage", url.Values{"token": {DefaultBotToken}})
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatalf("decode: %v", err)
	}
	want := map[string]any{"ok": false, "error": "unknown_method", "req_method": "chat.scheduleMessage"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestRequestBodyLimit(t *testing.T) {
	t.Parallel()
	sim := NewServer(t)
	body := "token=" + DefaultBotToken + "&text=" + strings.Repeat("x", maxBodyBytes)
	resp, err := http.Post(sim.APIURL()+"chat.postMessage", "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", resp.StatusCode)
	}
}

func TestRateLimitNext(t *testing.T) {
	t.Parallel()
	sim := NewServer(t)
	api := newAPI(sim, DefaultBotToken)
	sim.RateLimitNext("chat.postMessage", 1500*time.Millisecond)

	_, _, err := api.PostMessageContext(t.Context(), "C1", slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Fatalf("first post error = %v, want RateLimitedError after 2s", err)
	}
	if _, _, err := api.PostMessageContext(t.Context(), "C1", slack.MsgOptionText("x", false)); err != nil {
		t.Fatalf("second post: %v", err)
	}
	var statuses []int
	for _, c := range sim.Calls("chat.postMessage") {
		statuses = append(statuses, c.Status)
	}
	if diff := cmp.Diff([]int{429, 200}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestUsersAndAuth(t *testing.T) {
	t.Parallel()
	sim := NewServer(t,
		WithUsers(User{ID: "U0ALICE", Name: "alice", RealName: "Alice A", Email: "alice@example.com"}),
		WithUserGroup("S0APPROVERS", "U0ALICE", "U0BOB"))
	api := newAPI(sim, DefaultBotToken)
	ctx := t.Context()

	auth, err := api.AuthTestContext(ctx)
	if err != nil {
		t.Fatalf("AuthTest: %v", err)
	}
	if auth.UserID != DefaultBotUserID || auth.BotID != DefaultBotID || auth.TeamID != DefaultTeamID {
		t.Errorf("AuthTest = %+v, want bot %s/%s in %s", auth, DefaultBotUserID, DefaultBotID, DefaultTeamID)
	}
	u, err := api.GetUserInfoContext(ctx, "U0ALICE")
	if err != nil {
		t.Fatalf("GetUserInfo: %v", err)
	}
	if u.Name != "alice" || u.RealName != "Alice A" || u.Profile.Email != "alice@example.com" || u.IsBot {
		t.Errorf("GetUserInfo = %+v", u)
	}
	if u, err := api.GetUserByEmailContext(ctx, "alice@example.com"); err != nil || u.ID != "U0ALICE" {
		t.Errorf("GetUserByEmail = %v, %v; want U0ALICE", u, err)
	}
	members, err := api.GetUserGroupMembersContext(ctx, "S0APPROVERS")
	if err != nil {
		t.Fatalf("GetUserGroupMembers: %v", err)
	}
	if diff := cmp.Diff([]string{"U0ALICE", "U0BOB"}, members); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}

func modal(callbackID, title string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callbackID,
		Title:           slack.NewTextBlockObject(slack.PlainTextType, title, false, false),
		Submit:          slack.NewTextBlockObject(slack.PlainTextType, "Report", false, false),
		PrivateMetadata: "C0HELP",
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("project_block", slack.NewTextBlockObject(slack.PlainTextType, "Project", false, false), nil,
				slack.NewPlainTextInputBlockElement(nil, "project_input")),
		}},
	}
}

// triggerOf issues a trigger_id for U0ALICE, as a user action would.
func triggerOf(t *testing.T, sim *Server) string {
	t.Helper()
	sim.mu.Lock()
	defer sim.mu.Unlock()
	return sim.issueTriggerLocked("U0ALICE", "")
}

func TestViews(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		advance time.Duration // between issuing the trigger and views.open
		reuse   bool          // exchange the trigger twice
		want    string        // error, "" for success
	}{
		{"fresh trigger", 2 * time.Second, false, ""},
		{"expired trigger", 3*time.Second + time.Millisecond, false, "expired_trigger_id"},
		{"exchanged trigger", 0, true, "exchanged_trigger_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := fakeclock.At(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
			sim := NewServer(t, WithClock(clock.Now))
			api := newAPI(sim, DefaultBotToken)
			trig := triggerOf(t, sim)
			clock.Advance(tt.advance)
			if tt.reuse {
				if _, err := api.OpenViewContext(t.Context(), trig, modal("first", "Report")); err != nil {
					t.Fatalf("first OpenView: %v", err)
				}
			}
			resp, err := api.OpenViewContext(t.Context(), trig, modal("jsm_report_modal", "Report a problem"))
			if tt.want != "" {
				var se slack.SlackErrorResponse
				if !errors.As(err, &se) || se.Err != tt.want {
					t.Fatalf("OpenView error = %v, want %s", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("OpenView: %v", err)
			}
			views := sim.Views()
			if len(views) != 1 {
				t.Fatalf("Views() = %d views, want 1", len(views))
			}
			got := views[0]
			want := View{
				ID: resp.View.ID, RootViewID: resp.View.ID, UserID: "U0ALICE", Type: "modal",
				CallbackID: "jsm_report_modal", PrivateMetadata: "C0HELP", Hash: resp.View.Hash, Title: "Report a problem",
			}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(View{}, "Blocks", "JSON")); diff != "" {
				t.Errorf("view (-want +got):\n%s", diff)
			}
			if resp.View.CallbackID != "jsm_report_modal" || resp.View.Title.Text != "Report a problem" {
				t.Errorf("OpenView response view = %+v", resp.View)
			}
			call := sim.Calls("views.open")[0]
			if call.Token != DefaultBotToken || call.Arg("trigger_id") != trig || len(call.JSON) == 0 {
				t.Errorf("views.open call = %+v, want JSON with the trigger and Bearer bot token", call)
			}

			// Update with the right and a stale hash.
			upd, err := api.UpdateViewContext(t.Context(), modal("jsm_report_modal", "Working…"), "", resp.View.Hash, resp.View.ID)
			if err != nil {
				t.Fatalf("UpdateView: %v", err)
			}
			if upd.View.Title.Text != "Working…" {
				t.Errorf("updated title = %q", upd.View.Title.Text)
			}
			_, err = api.UpdateViewContext(t.Context(), modal("x", "Stale"), "", resp.View.Hash, resp.View.ID)
			var se slack.SlackErrorResponse
			if !errors.As(err, &se) || se.Err != "hash_conflict" {
				t.Errorf("stale UpdateView error = %v, want hash_conflict", err)
			}
		})
	}
}

func TestViewSubmissionFlow(t *testing.T) {
	t.Parallel()
	sim := NewServer(t, WithUsers(User{ID: "U0ALICE", Name: "alice"}))
	b := mustConnect(t, sim)
	ctx := t.Context()

	if _, err := sim.SlashCommand(ctx, SlashCommand{UserID: "U0ALICE", ChannelID: "C0HELP", Text: "report"}); err != nil {
		t.Fatalf("SlashCommand: %v", err)
	}
	cmd := b.next(t).Data.(slack.SlashCommand)
	view, err := b.api.OpenViewContext(ctx, cmd.TriggerID, modal("jsm_report_modal", "Report"))
	if err != nil {
		t.Fatalf("OpenView: %v", err)
	}

	submit := func(project string, ack any) ViewResponse {
		t.Helper()
		id, err := sim.SubmitView(ctx, ViewSubmission{ViewID: view.View.ID,
			Values: map[string]map[string]Value{"project_block": {"project_input": {Value: project}}}})
		if err != nil {
			t.Fatalf("SubmitView: %v", err)
		}
		cb := b.next(t).Data.(slack.InteractionCallback)
		if cb.View.CallbackID != "jsm_report_modal" || cb.View.PrivateMetadata != "C0HELP" || cb.User.ID != "U0ALICE" {
			t.Errorf("submission = callback %q metadata %q user %q", cb.View.CallbackID, cb.View.PrivateMetadata, cb.User.ID)
		}
		if got := cb.View.State.Values["project_block"]["project_input"].Value; got != project {
			t.Errorf("submitted value = %q, want %q", got, project)
		}
		if err := b.client.AckCtx(ctx, id, ack); err != nil {
			t.Fatalf("Ack: %v", err)
		}
		a, err := sim.WaitAck(ctx, id)
		if err != nil {
			t.Fatalf("WaitAck: %v", err)
		}
		vr, err := a.ViewResponse()
		if err != nil {
			t.Fatalf("ViewResponse: %v", err)
		}
		return vr
	}

	vr := submit("NOPE", slack.NewErrorsViewSubmissionResponse(map[string]string{"project_block": "No project NOPE"}))
	if diff := cmp.Diff(ViewResponse{ResponseAction: "errors", Errors: map[string]string{"project_block": "No project NOPE"}}, vr); diff != "" {
		t.Errorf("view response (-want +got):\n%s", diff)
	}
	if v, _ := sim.View(view.View.ID); v.Closed || v.Errors["project_block"] != "No project NOPE" {
		t.Errorf("after errors: view = %+v, want open with the error", v)
	}

	if vr := submit("HELP", nil); vr.ResponseAction != "" {
		t.Errorf("empty ack response action = %q", vr.ResponseAction)
	}
	if v, _ := sim.View(view.View.ID); !v.Closed {
		t.Errorf("after empty ack: view still open")
	}
}

func TestResponseURL(t *testing.T) {
	t.Parallel()
	sim := NewServer(t, WithUsers(User{ID: "U0ALICE", Name: "alice"}))
	b := mustConnect(t, sim)
	ctx := t.Context()

	_, ts, err := b.api.PostMessageContext(ctx, "C0HELP", slack.MsgOptionText("HELP needs a fix", false), slack.MsgOptionBlocks(approveBlocks()...))
	if err != nil {
		t.Fatalf("PostMessage: %v", err)
	}
	if _, err := sim.Click(ctx, Click{UserID: "U0ALICE", ChannelID: "C0HELP", MessageTS: ts, ActionID: "approve"}); err != nil {
		t.Fatalf("Click: %v", err)
	}
	cb := b.next(t).Data.(slack.InteractionCallback)

	// Replace the original, then add an ephemeral note, as a bot would.
	replaced := slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Approved by <@U0ALICE>", false, false), nil, nil)
	if _, _, err := b.api.PostMessageContext(ctx, "", slack.MsgOptionReplaceOriginal(cb.ResponseURL),
		slack.MsgOptionText("Approved", false), slack.MsgOptionBlocks(replaced)); err != nil {
		t.Fatalf("replace_original: %v", err)
	}
	if err := slack.PostWebhookContext(ctx, cb.ResponseURL, &slack.WebhookMessage{Text: "Applying the repair…"}); err != nil {
		t.Fatalf("PostWebhook: %v", err)
	}

	posts := sim.ResponseURLPosts()
	if len(posts) != 2 || posts[0].URL != cb.ResponseURL || posts[0].Error != "" {
		t.Fatalf("ResponseURLPosts = %+v", posts)
	}
	var body struct {
		ReplaceOriginal bool   `json:"replace_original"`
		Text            string `json:"text"`
	}
	if err := json.Unmarshal(posts[0].JSON, &body); err != nil || !body.ReplaceOriginal || body.Text != "Approved" {
		t.Errorf("first post body = %s (%v)", posts[0].JSON, err)
	}
	wantBlocks, _ := json.Marshal([]slack.Block{replaced})
	var got []string
	for _, m := range sim.Messages("C0HELP") {
		got = append(got, m.Text+"|"+string(m.Blocks)+"|"+m.VisibleTo)
	}
	want := []string{"Approved|" + string(wantBlocks) + "|", "Applying the repair…||U0ALICE"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}

	// A response_url takes 5 posts.
	for range 3 {
		if err := slack.PostWebhookContext(ctx, cb.ResponseURL, &slack.WebhookMessage{Text: "more"}); err != nil {
			t.Fatalf("PostWebhook: %v", err)
		}
	}
	err = slack.PostWebhookContext(ctx, cb.ResponseURL, &slack.WebhookMessage{Text: "too many"})
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != http.StatusNotFound {
		t.Errorf("sixth post error = %v, want 404", err)
	}
}

func TestEchoBotMessages(t *testing.T) {
	t.Parallel()
	sim := NewServer(t, WithEchoBotMessages())
	b := mustConnect(t, sim)
	_, ts, err := b.api.PostMessageContext(t.Context(), "C0HELP", slack.MsgOptionText("from the bot", false))
	if err != nil {
		t.Fatalf("PostMessage: %v", err)
	}
	got := summarize(t, b.next(t))
	want := envelopeSummary{Type: "events_api", Envelope: got.Envelope, Fields: map[string]string{
		"outer": "event_callback", "inner": "message", "user": DefaultBotUserID, "bot_id": DefaultBotID,
		"channel": "C0HELP", "text": "from the bot", "ts": ts, "channel_type": "channel",
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("echo (-want +got):\n%s", diff)
	}
}

func TestViewsPushFromModalButton(t *testing.T) {
	t.Parallel()
	sim := NewServer(t)
	b := mustConnect(t, sim)
	ctx := t.Context()

	m := modal("jsm_report_modal", "Report")
	m.Blocks.BlockSet = append(m.Blocks.BlockSet, slack.NewActionBlock("more",
		slack.NewButtonBlockElement("details", "d", slack.NewTextBlockObject(slack.PlainTextType, "Details", false, false))))
	root, err := b.api.OpenViewContext(ctx, triggerOf(t, sim), m)
	if err != nil {
		t.Fatalf("OpenView: %v", err)
	}
	if _, err := sim.Click(ctx, Click{UserID: "U0ALICE", ViewID: root.View.ID, ActionID: "details"}); err != nil {
		t.Fatalf("Click: %v", err)
	}
	cb := b.next(t).Data.(slack.InteractionCallback)
	if cb.Container.Type != "view" || cb.View.ID != root.View.ID || cb.ResponseURL != "" {
		t.Errorf("click in modal: container %q view %q response_url %q", cb.Container.Type, cb.View.ID, cb.ResponseURL)
	}
	pushed, err := b.api.PushViewContext(ctx, cb.TriggerID, modal("jsm_details", "Details"))
	if err != nil {
		t.Fatalf("PushView: %v", err)
	}
	v, ok := sim.View(pushed.View.ID)
	if !ok || v.RootViewID != root.View.ID || v.PreviousViewID != root.View.ID || v.CallbackID != "jsm_details" {
		t.Errorf("pushed view = %+v, want on top of %s", v, root.View.ID)
	}
}
