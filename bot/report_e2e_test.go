package bot

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// inviteFailure is how an agent reports the problem in a channel.
const inviteFailure = "Trying to add customers on NOPA-12 again: Successfully added 0 customers. " +
	"The following customers could not be added. <mailto:erin@example.com|erin@example.com>, newbie@example.org, carol@example.com"

// postUser posts a person's message and waits until the bot handled it.
func (h *harness) postUser(m slacksim.Message) slacksim.Message {
	h.t.Helper()
	if m.ChannelID == "" {
		m.ChannelID = channel
	}
	id, err := h.slack.PostUserMessage(h.ctx(), m)
	if err != nil {
		h.t.Fatal(err)
	}
	h.track.wait(h.t, id, 1)
	env, _ := h.slack.Envelope(id)
	var p struct {
		Event struct {
			TS string `json:"ts"`
		} `json:"event"`
	}
	if err := json.Unmarshal(env.Payload, &p); err != nil {
		h.t.Fatal(err)
	}
	got, ok := h.slack.Message(m.ChannelID, p.Event.TS)
	if !ok {
		h.t.Fatalf("message %s is not in the channel", p.Event.TS)
	}
	return got
}

// openView waits for the newest modal the bot opened with the report
// callback after an envelope was handled.
func (h *harness) lastView() slacksim.View {
	h.t.Helper()
	views := h.slack.Views()
	if len(views) == 0 {
		h.t.Fatal("the bot opened no view")
	}
	v := views[len(views)-1]
	if v.CallbackID != ViewReport {
		h.t.Fatalf("view callback %q, want %q", v.CallbackID, ViewReport)
	}
	return v
}

// submit submits the report form and returns the ack's response.
func (h *harness) submit(v slacksim.View, project string, emails string, selectProject bool) slacksim.ViewResponse {
	h.t.Helper()
	pv := slacksim.Value{Value: project}
	if selectProject {
		pv = slacksim.Value{SelectedOption: project}
	}
	id, err := h.slack.SubmitView(h.ctx(), slacksim.ViewSubmission{ViewID: v.ID, Values: map[string]map[string]slacksim.Value{
		blockProject: {actionInput: pv},
		blockEmails:  {actionInput: {Value: emails}},
	}})
	if err != nil {
		h.t.Fatal(err)
	}
	ack, err := h.slack.WaitAck(h.ctx(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	h.track.wait(h.t, id, 1)
	vr, err := ack.ViewResponse()
	if err != nil {
		h.t.Fatal(err)
	}
	return vr
}

// thread returns the bot's replies in a thread, in order.
func (h *harness) thread(ts string) []slacksim.Message {
	var out []slacksim.Message
	for _, m := range h.slack.Messages(channel) {
		if m.ThreadTS == ts && m.TS != ts && !m.Ephemeral && m.BotID != "" {
			out = append(out, m)
		}
	}
	return out
}

// accountOf finds a simulated Jira account by email.
func accountOf(t *testing.T, sim *jirasim.Server, email string) string {
	t.Helper()
	for _, u := range sim.Users() {
		if strings.EqualFold(u.Email, email) {
			return u.AccountID
		}
	}
	return ""
}

// TestReportFlowFromShortcut is issue 4 end to end through the real
// slack-go client: with detection off the bot says nothing to an agent's
// message with Atlassian's error; the shortcut on it opens the form
// filled in from it, the submission posts the report with Approve in the
// message's thread, the approval repairs NOPA, and the bot adds the
// reported customers (checked in Jira) and posts one line per customer.
func TestReportFlowFromShortcut(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	src := h.postUser(slacksim.Message{UserID: userRequester, Text: inviteFailure})
	if got := h.thread(src.TS); len(got) != 0 {
		t.Fatalf("detection is off, but the bot replied: %+v", got)
	}

	id, err := h.slack.MessageShortcut(h.ctx(), slacksim.Shortcut{CallbackID: ShortcutInviteFailed, UserID: userRequester, ChannelID: channel, MessageTS: src.TS})
	if err != nil {
		t.Fatal(err)
	}
	h.track.wait(t, id, 1)
	if _, err := h.slack.WaitCall(h.ctx(), "views.open", func(c slacksim.Call) bool { return c.Error == "" }); err != nil {
		t.Fatalf("views.open did not succeed within the trigger window: %v", err)
	}
	v := h.lastView()
	form := slacksim.RenderBlocks(v.Blocks)
	for _, want := range []string{"Project", "Customers' emails"} {
		if !strings.Contains(form, want) {
			t.Errorf("form lacks %q:\n%s", want, form)
		}
	}
	var blocks []struct {
		BlockID string `json:"block_id"`
		Element struct {
			InitialValue string `json:"initial_value"`
		} `json:"element"`
	}
	if err := json.Unmarshal(v.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	prefill := map[string]string{}
	for _, b := range blocks {
		prefill[b.BlockID] = b.Element.InitialValue
	}
	if prefill[blockProject] != "NOPA" || prefill[blockEmails] != "erin@example.com\nnewbie@example.org\ncarol@example.com" {
		t.Errorf("form prefilled with project %q and emails %q", prefill[blockProject], prefill[blockEmails])
	}

	if vr := h.submit(v, prefill[blockProject], prefill[blockEmails], false); vr.ResponseAction != "" {
		t.Fatalf("submission answered %+v, want the form closed", vr)
	}
	report, err := h.slack.WaitMessage(h.ctx(), channel, func(m slacksim.Message) bool {
		return m.ThreadTS == src.TS && strings.HasPrefix(m.Text, "NOPA:") && strings.Contains(string(m.Blocks), ActionApproveInPlace)
	})
	if err != nil {
		t.Fatalf("no report with Approve in the thread: %v", err)
	}
	rendered := slacksim.RenderBlocks(report.Blocks)
	for _, want := range []string{"reported that customers could not be added", "erin@example.com", "portal-access", "[ Approve fix ]"} {
		if !strings.Contains(rendered, want) {
			t.Errorf("report lacks %q:\n%s", want, rendered)
		}
	}
	planID := buttonValue(t, report, ActionApproveInPlace)
	if w := h.writes(); len(w) != 0 {
		t.Fatalf("Jira was written before the approval: %+v", w)
	}

	h.click(userApprover, report, ActionApproveInPlace)
	if !h.healthy("NOPA") {
		t.Fatal("NOPA is not healthy after the approved repair")
	}
	newbie := accountOf(t, h.jira, "newbie@example.org")
	if newbie == "" {
		t.Fatal("no account was created for newbie@example.org")
	}
	customers := h.jira.DeskCustomers("NOPA")
	for _, id := range []string{jirasim.ProspectErinID, newbie, jirasim.CustomerCarolID} {
		if !slices.Contains(customers, id) {
			t.Errorf("NOPA's customers %v lack %s", customers, id)
		}
	}

	var results *slacksim.Message
	for _, m := range h.thread(src.TS) {
		if strings.HasPrefix(m.Text, "NOPA: 3 of 3 customer(s) added") {
			results = &m
		}
	}
	if results == nil {
		t.Fatalf("no per-customer results in the thread: %+v", h.thread(src.TS))
	}
	rendered = slacksim.RenderBlocks(results.Blocks)
	for _, want := range []string{
		"`erin@example.com` — added to NOPA (Erin Prospect)",
		"`newbie@example.org` — created a customer account and added it to NOPA",
		"`carol@example.com` — added to NOPA (Carol Inactive) · :warning: the account is deactivated",
	} {
		if !strings.Contains(rendered, want) {
			t.Errorf("results lack %q:\n%s", want, rendered)
		}
	}
	if diff := cmp.Diff([]string{"applied", approval.Invited}, h.actions(planID)); diff != "" {
		t.Errorf("audit actions (-want +got):\n%s", diff)
	}
}

// TestReportCommand covers /jsm report: without a key it opens the form
// (with a select of the site's service desks); with everything given it
// goes straight to the work; on a healthy project it posts what Jira says
// about each customer and the checklist, and no Approve button.
func TestReportCommand(t *testing.T) {
	t.Parallel()
	h := newHarness(t)

	t.Run("without a key the form asks for one", func(t *testing.T) {
		id := h.slash(userRequester, "report erin@example.com")
		ack, err := h.slack.WaitAck(h.ctx(), id)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(ack.Payload), "Opening the report form") {
			t.Errorf("ack = %s", ack.Payload)
		}
		v := h.lastView()
		if !strings.Contains(string(v.Blocks), `"static_select"`) || !strings.Contains(string(v.Blocks), "NOPA · No Portal Access") {
			t.Errorf("the project is not a select of the service desks:\n%s", slacksim.RenderBlocks(v.Blocks))
		}
		if vr := h.submit(v, "", "erin@example.com", false); vr.Errors[blockProject] == "" {
			t.Errorf("an empty project was accepted: %+v", vr)
		}
	})

	t.Run("healthy project: facts and checklist, no repair", func(t *testing.T) {
		n := len(h.writes())
		h.slash(userRequester, "report HELP alice@example.com carol@example.com ghost@example.com")
		m, err := h.slack.WaitMessage(h.ctx(), channel, func(m slacksim.Message) bool {
			return strings.HasPrefix(m.Text, "HELP: the permissions are not the cause")
		})
		if err != nil {
			t.Fatal(err)
		}
		rendered := slacksim.RenderBlocks(m.Blocks)
		for _, want := range []string{
			"permissions are fine",
			"`alice@example.com` (Alice Customer) — active, and already a customer of HELP",
			"`carol@example.com` (Carol Inactive) — the account is *deactivated*",
			"`ghost@example.com` — no account with this email",
			"Customer access", "Approved domains", "managed elsewhere",
		} {
			if !strings.Contains(rendered, want) {
				t.Errorf("checklist message lacks %q:\n%s", want, rendered)
			}
		}
		if strings.Contains(rendered, "[ Approve") || strings.Contains(string(m.Blocks), `"actions"`) {
			t.Errorf("the healthy path offers a button:\n%s", rendered)
		}
		if got := len(h.writes()); got != n {
			t.Errorf("the healthy path wrote %d request(s) to Jira", got-n)
		}
	})

	t.Run("unknown project", func(t *testing.T) {
		h.slash(userRequester, "report NOPE erin@example.com")
		if got := h.lastEphemeral(userRequester); !strings.Contains(got, "I can't find project NOPE") {
			t.Errorf("ephemeral = %q", got)
		}
	})
}

// TestReportFormErrors: mistakes in the form are shown in it
// (response_action errors) and the form stays open; nothing is posted.
func TestReportFormErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withSeed(jirasim.ScenarioPortalAccessMissing, jirasim.ScenarioSoftware))
	h.slash(userRequester, "report")
	v := h.lastView()
	tests := []struct {
		name, project, emails string
		selected              bool
		want                  map[string]string
	}{
		{"malformed email", "NOPA", "erin@example.com, erin(at)example.com", false,
			map[string]string{blockEmails: "“erin(at)example.com” is not an email address."}},
		{"unknown project", "NOPE", "erin@example.com", false,
			map[string]string{blockProject: "I can't find project NOPE, or my Jira account can't see it."}},
		{"not a service project", "SOFT", "", false,
			map[string]string{blockProject: "SOFT is a software project, not a service project: customers belong to service projects."}},
		{"not a key", "what?", "", false,
			map[string]string{blockProject: "“what?” is not a project key (like HELP) or a link to a Jira project."}},
		{"unknown portal", "https://acme.atlassian.net/servicedesk/customer/portal/999", "", false,
			map[string]string{blockProject: "I can't find a customer portal 999, or my Jira account can't see it. Enter the project key instead."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vr := h.submit(v, tt.project, tt.emails, tt.selected)
			if vr.ResponseAction != "errors" {
				t.Fatalf("response_action %q, want errors", vr.ResponseAction)
			}
			if diff := cmp.Diff(tt.want, vr.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if got, _ := h.slack.View(v.ID); got.Closed {
				t.Error("the form closed")
			}
		})
	}
	for _, m := range h.slack.Messages(channel) {
		if !m.Ephemeral {
			t.Errorf("a rejected form posted %q", m.Text)
		}
	}
}

// TestDetector: a person's message with Atlassian's error gets exactly one
// thread reply with a Diagnose button, despite redeliveries, a duplicate
// event and the echo of the bot's own reply; bots, the bot's own user and
// edits are ignored; the button opens the form filled in from the message.
func TestDetector(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withConfig(func(c *Config) { c.DetectReports = true }), withSlackOptions(slacksim.WithEchoBotMessages()))

	id, err := h.slack.PostUserMessage(h.ctx(), slacksim.Message{ChannelID: channel, UserID: userRequester, Text: inviteFailure})
	if err != nil {
		t.Fatal(err)
	}
	h.track.wait(t, id, 1)
	if err := h.slack.Redeliver(h.ctx(), id); err != nil {
		t.Fatal(err)
	}
	h.track.wait(t, id, 2)
	// The same message again under a new event_id, as a second delivery
	// path would send it.
	env, _ := h.slack.Envelope(id)
	var payload map[string]any
	if err := json.Unmarshal(env.Payload, &payload); err != nil {
		t.Fatal(err)
	}
	payload["event_id"] = "Ev0DUPLICATE"
	raw, _ := json.Marshal(payload)
	if _, err := h.slack.SendEnvelope(h.ctx(), slacksim.EnvelopeEventsAPI, raw, false); err != nil {
		t.Fatal(err)
	}
	src := payload["event"].(map[string]any)["ts"].(string)

	for _, m := range []slacksim.Message{
		{ChannelID: channel, BotID: "B0OTHER", Subtype: "bot_message", Text: inviteFailure},
		{ChannelID: channel, UserID: slacksim.DefaultBotUserID, Text: inviteFailure},
		{ChannelID: channel, UserID: userRequester, Subtype: "message_changed", Text: inviteFailure},
	} {
		if _, err := h.slack.PostUserMessage(h.ctx(), m); err != nil {
			t.Fatal(err)
		}
	}
	// The first message, its duplicate, the echo of the reply and the
	// three ignored messages.
	h.track.waitDistinct(t, 6)

	var replies []slacksim.Message
	for _, m := range h.slack.Messages(channel) {
		if m.BotID == slacksim.DefaultBotID && !m.Ephemeral {
			replies = append(replies, m)
		}
	}
	if len(replies) != 1 || replies[0].ThreadTS != src {
		t.Fatalf("bot messages %+v, want one reply in the thread of %s", replies, src)
	}
	rendered := slacksim.RenderBlocks(replies[0].Blocks)
	if !strings.Contains(rendered, "[ Diagnose ]") || !strings.Contains(rendered, "on NOPA, for 3 customer(s)") {
		t.Errorf("reply:\n%s", rendered)
	}
	token := buttonValue(t, replies[0], ActionDiagnoseReport)
	if strings.Contains(token, "NOPA") || len(token) != 26 {
		t.Errorf("button value %q is not an opaque token", token)
	}

	// Approve with a report token as its value does nothing.
	fake, err := h.slack.Click(h.ctx(), slacksim.Click{UserID: userApprover, ChannelID: channel, MessageTS: replies[0].TS,
		ActionID: ActionApproveInPlace, BlockID: blockIDReportOffer, Value: token})
	if err != nil {
		t.Fatal(err)
	}
	h.track.wait(t, fake, 1)
	if w := h.writes(); len(w) != 0 {
		t.Fatalf("a forged Approve wrote to Jira: %+v", w)
	}

	h.click(userApprover, replies[0], ActionDiagnoseReport)
	v := h.lastView()
	if !strings.Contains(string(v.Blocks), `"initial_value":"NOPA"`) || !strings.Contains(string(v.Blocks), "newbie@example.org") {
		t.Errorf("form not filled in from the message:\n%s", v.Blocks)
	}
	var meta reportMeta
	if err := json.Unmarshal([]byte(v.PrivateMetadata), &meta); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(reportMeta{Channel: channel, Thread: src, User: userApprover}, meta); diff != "" {
		t.Errorf("private_metadata (-want +got):\n%s", diff)
	}
}

// TestReportFormWhenJiraIsSlow: while Jira does not answer, the form still
// opens (the project is a text field instead of a select: the desk list
// did not come within its budget), and a submission is answered without
// waiting for Jira: accepted, the report then says what Jira found. Jira is
// held at a gate, released only after both answers, and the budgets are
// shortened so that nothing waits on the clock; TestFormBudgetsFitSlack
// holds the real budgets to Slack's windows.
func TestReportFormWhenJiraIsSlow(t *testing.T) {
	t.Parallel()
	gate := newJiraGate()
	h := newHarness(t, withJiraGate(gate), withFormBudgets(formBudgets{desks: 10 * time.Millisecond, check: 10 * time.Millisecond}))
	gate.hold()

	h.slash(userRequester, "report")
	if _, err := h.slack.WaitCall(h.ctx(), "views.open", func(c slacksim.Call) bool { return c.Error == "" }); err != nil {
		t.Fatalf("the form did not open: %v", err)
	}
	if p := gate.waitHeld(t); !strings.HasSuffix(p, "/rest/servicedeskapi/servicedesk") {
		t.Errorf("held Jira request %s, want the desk list", p)
	}
	v := h.lastView()
	if strings.Contains(string(v.Blocks), "static_select") {
		t.Errorf("the form waited for the desk list:\n%s", v.Blocks)
	}

	vr := h.submit(v, "NOPA", "erin@example.com", false)
	if p := gate.waitHeld(t); !strings.HasSuffix(p, "/rest/api/3/project/NOPA") {
		t.Errorf("held Jira request %s, want the project check", p)
	}
	if vr.ResponseAction != "" {
		t.Errorf("slow Jira: response %+v, want the form accepted", vr)
	}
	gate.release()
	if _, err := h.slack.WaitMessage(h.ctx(), channel, func(m slacksim.Message) bool { return strings.HasPrefix(m.Text, "NOPA:") }); err != nil {
		t.Fatalf("no report after the accepted form: %v", err)
	}
}

// TestFormBudgetsFitSlack: the report form's Jira budgets leave the form
// time to open before its trigger_id expires (3 s after the user's action:
// the desk list, then views.open) and answer a submission within Slack's
// 3 s. TestReportFormWhenJiraIsSlow runs on shortened budgets; this holds
// the real ones.
func TestFormBudgetsFitSlack(t *testing.T) {
	t.Parallel()
	const slackWindow = 3 * time.Second
	if got := deskBudget + openBudget; got > slackWindow {
		t.Errorf("desk list and views.open may take %v, beyond the trigger's %v", got, slackWindow)
	}
	if checkBudget >= slackWindow {
		t.Errorf("the project check may take %v, not under Slack's %v for the ack", checkBudget, slackWindow)
	}
}
