package bot

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/store"
)

// TestApprovalFlow is the story of issue 3 end to end, through the real
// slack-go client: diagnose, refusals that change nothing, the approval,
// the verified result (a real customer of the desk now gets in) and the
// audit trail. The bot starts cold, as one nothing refreshed the index
// for: the diagnosis scans the site (the other tests start warm).
//
// Then Undo (issue 9 item 6) deletes exactly the grants the repair
// created, by their ids; a grant someone else added to the scheme
// meanwhile survives; the message and the audit record say what was
// restored; a second click does nothing.
func TestApprovalFlow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withColdIndex())
	schemeID, _ := h.jira.ProjectSchemeID("NOPA")
	before := grantIDs(h, schemeID)

	envID := h.slash(userRequester, "diagnose nopa")
	ack, err := h.slack.WaitAck(h.ctx(), envID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ack.Payload), "Diagnosing NOPA") {
		t.Errorf("slash command ack payload = %s, want the Diagnosing note", ack.Payload)
	}

	report := h.waitReport("NOPA")
	if n := scans(h.jira); n != 1 {
		t.Errorf("the cold diagnosis made %d site scans, want 1", n)
	}
	rendered := slacksim.RenderBlocks(report.Blocks)
	for _, want := range []string{"NOPA", "Broken", "portal-access", "Fix in place", "[ Approve fix ]", "[ Dismiss ]", "No other project uses this scheme"} {
		if !strings.Contains(rendered, want) {
			t.Errorf("report lacks %q:\n%s", want, rendered)
		}
	}
	planID := buttonValue(t, report, ActionApproveInPlace)
	if len(planID) != 26 {
		t.Errorf("button value %q is not a plan ID", planID)
	}

	refusals := []struct {
		name, user, want string
	}{
		{"outsider", userOutsider, "you are not one of them"},
		{"requester", userRequester, "self-approval is turned off"},
	}
	for _, r := range refusals {
		h.click(r.user, report, ActionApproveInPlace)
		if got := h.lastEphemeral(r.user); !strings.Contains(got, r.want) {
			t.Errorf("%s's click: ephemeral %q, want it to contain %q", r.name, got, r.want)
		}
		if w := h.writes(); len(w) != 0 {
			t.Fatalf("%s's click wrote to Jira: %+v", r.name, w)
		}
		if got := h.plan(planID).State; got != store.StatePending {
			t.Errorf("after %s's click the plan is %s, want pending", r.name, got)
		}
		if got := h.message(report); string(got.Blocks) != string(report.Blocks) {
			t.Errorf("%s's click changed the message:\n%s", r.name, slacksim.RenderBlocks(got.Blocks))
		}
	}

	h.click(userApprover, report, ActionApproveInPlace)
	final := h.message(report)
	rendered = slacksim.RenderBlocks(final.Blocks)
	for _, want := range []string{"repaired", "Verified for ", "granted `BROWSE_PROJECTS`", "<@" + userApprover + ">"} {
		if !strings.Contains(rendered, want) {
			t.Errorf("final message lacks %q:\n%s", want, rendered)
		}
	}
	if strings.Contains(rendered, "[ Approve") {
		t.Errorf("final message still has buttons:\n%s", rendered)
	}
	if w := h.writes(); len(w) != 2 {
		t.Errorf("%d write(s) to Jira, want the plan's 2 grants (the customer check is a read)", len(w))
	}
	if !h.healthy("NOPA") {
		t.Error("NOPA is not healthy after the approved repair")
	}
	rec := h.plan(planID)
	if rec.State != store.StateApplied || rec.ApproverID != userApprover {
		t.Errorf("plan is %s approved by %q, want applied by %s", rec.State, rec.ApproverID, userApprover)
	}
	if diff := cmp.Diff([]string{"denied", "denied", "applied"}, h.actions(planID)); diff != "" {
		t.Errorf("audit actions (-want +got):\n%s", diff)
	}
	var thread []string
	for _, m := range h.slack.Messages(channel) {
		if m.ThreadTS == report.TS && !m.Ephemeral {
			thread = append(thread, slacksim.RenderBlocks(m.Blocks))
		}
	}
	if len(thread) != 1 || !strings.Contains(thread[0], "Audit") || !strings.Contains(thread[0], "applied") {
		t.Errorf("thread = %q, want one audit summary of the application", thread)
	}

	// Undo.
	if !strings.Contains(string(final.Blocks), "customers lose access") {
		t.Fatalf("applied message has no Undo with its warning:\n%s", final.Blocks)
	}
	var created []int64
	for _, id := range grantIDs(h, schemeID) {
		if !slices.Contains(before, id) {
			created = append(created, id)
		}
	}
	other := h.jira.AddGrants(schemeID, jirasim.Grant{HolderType: "group", HolderParameter: "jira-admins", Permission: "ADD_COMMENTS"})[0]
	n := len(h.writes())

	h.click(userApprover, final, ActionUndo)
	var want []string
	for _, id := range created {
		want = append(want, fmt.Sprintf("%s /rest/api/3/permissionscheme/%d/permission/%d", http.MethodDelete, schemeID, id))
	}
	got := writesSince(h, n)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("undo's writes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(append(slices.Clone(before), other.ID), grantIDs(h, schemeID)); diff != "" {
		t.Errorf("scheme's grants after the undo, with the one someone else added (-want +got):\n%s", diff)
	}
	if got := h.plan(planID).State; got != store.StateUndone {
		t.Errorf("plan is %s, want undone", got)
	}
	undone := slacksim.RenderBlocks(h.message(final).Blocks)
	for _, w := range []string{"undone", "deleted the grant of", "problems again"} {
		if !strings.Contains(undone, w) {
			t.Errorf("message lacks %q:\n%s", w, undone)
		}
	}
	audits, err := h.store.Audit(h.ctx(), planID)
	if err != nil {
		t.Fatal(err)
	}
	last := audits[len(audits)-1]
	if last.Action != approval.Undone || len(last.Removed) != len(created) || !strings.Contains(last.Result, fmt.Sprintf("%d change(s) restored", len(created))) {
		t.Errorf("last audit = %+v, want undone with %d grants removed", last, len(created))
	}

	n = len(h.writes())
	h.click(userApprover, final, ActionUndo)
	if got := h.lastEphemeral(userApprover); !strings.Contains(got, "already undone") {
		t.Errorf("second click told %q", got)
	}
	if w := writesSince(h, n); len(w) != 0 {
		t.Errorf("second click wrote %v", w)
	}
}

// assertAppliedOnce checks that exactly one of the report's plans was
// applied, exactly once.
func assertAppliedOnce(t *testing.T, h *harness, report slacksim.Message) {
	t.Helper()
	var applied []string
	for _, action := range []string{ActionApproveCopy, ActionApproveInPlace} {
		id := buttonValue(t, report, action)
		for _, a := range h.actions(id) {
			if a == "applied" {
				applied = append(applied, id)
			}
		}
	}
	if len(applied) != 1 {
		t.Fatalf("%d applications, want exactly 1", len(applied))
	}
	rec := h.plan(applied[0])
	var wantWrites int
	switch rec.Mode {
	case "copy":
		wantWrites = 2 // create the copy, assign it
	default:
		data, err := approval.Decode(rec)
		if err != nil {
			t.Fatal(err)
		}
		wantWrites = len(data.Plan.AddGrants) + len(data.Plan.RemoveGrants)
	}
	if got := h.writes(); len(got) != wantWrites {
		t.Errorf("%d Jira writes, want %d (%s plan): %+v", len(got), wantWrites, rec.Mode, got)
	}
	if !h.healthy("SHRA") {
		t.Error("SHRA is not healthy")
	}
}

// TestStalePlanIsNotApplied changes the scheme behind the bot's back: the
// approval writes nothing and a fresh diagnosis appears in the thread.
func TestStalePlanIsNotApplied(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	report := h.diagnose(userRequester, "NOPA")
	scheme, _ := h.jira.ProjectSchemeID("NOPA")
	h.jira.AddGrants(scheme, jirasim.Grant{HolderType: "projectRole", HolderParameter: "10200", Permission: "BROWSE_PROJECTS"})

	planID := buttonValue(t, report, ActionApproveInPlace)
	h.click(userApprover, report, ActionApproveInPlace)
	if w := h.writes(); len(w) != 0 {
		t.Fatalf("a stale plan wrote to Jira: %+v", w)
	}
	if got := slacksim.RenderBlocks(h.message(report).Blocks); !strings.Contains(got, "Nothing was changed") {
		t.Errorf("message after a stale approval:\n%s", got)
	}
	if got := h.plan(planID); got.State != store.StateFailed || !strings.Contains(got.Result, "changed") {
		t.Errorf("stale plan is %s (%q), want failed as stale", got.State, got.Result)
	}
	fresh, err := h.slack.WaitMessage(h.ctx(), channel, func(m slacksim.Message) bool {
		return m.ThreadTS == report.TS && strings.Contains(string(m.Blocks), ActionApproveInPlace)
	})
	if err != nil {
		t.Fatalf("no fresh diagnosis in the thread: %v", err)
	}
	if buttonValue(t, fresh, ActionApproveInPlace) == planID {
		t.Error("the fresh diagnosis offers the stale plan again")
	}

	// The fresh plan is good.
	h.click(userApprover, fresh, ActionApproveInPlace)
	if !h.healthy("NOPA") {
		t.Error("NOPA is not healthy after approving the fresh plan")
	}
}

// TestCommands covers help, unknown input and errors users see.
func TestCommands(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withSeed(jirasim.ScenarioHealthy, jirasim.ScenarioSoftware))
	tests := []struct {
		name, user, text string
		ackWant          string // in the ack payload
		ephemeralWant    string // in the last ephemeral message, if set
		postWant         string // in a channel message, if set
	}{
		{name: "help", text: "help", ackWant: "/jsm diagnose KEY"},
		{name: "empty", text: "", ackWant: "/jsm diagnose KEY"},
		{name: "unknown", text: "frobnicate <!channel>", ackWant: "I don't know “frobnicate”"},
		{name: "bad key", text: "diagnose <!here>", ackWant: "&lt;!here&gt;"},
		{name: "not found", text: "diagnose NOPE", ackWant: "Diagnosing NOPE", ephemeralWant: "I can't find project NOPE"},
		{name: "not applicable", text: "diagnose SOFT", ackWant: "Diagnosing SOFT", postWant: "Not applicable"},
		{name: "healthy", text: "diagnose HELP", ackWant: "Diagnosing HELP", postWant: "Healthy"},
	}
	for _, tt := range tests {
		id := h.slash(userOutsider, tt.text)
		ack, err := h.slack.WaitAck(h.ctx(), id)
		if err != nil {
			t.Fatal(err)
		}
		var payload struct{ Text string }
		if err := json.Unmarshal(ack.Payload, &payload); err != nil {
			t.Fatalf("%s: ack payload %s: %v", tt.name, ack.Payload, err)
		}
		if !strings.Contains(payload.Text, tt.ackWant) {
			t.Errorf("%s: ack %q, want %q", tt.name, payload.Text, tt.ackWant)
		}
		if strings.Contains(payload.Text, "<!") {
			t.Errorf("%s: ack carries an unescaped mention: %s", tt.name, ack.Payload)
		}
		if tt.ephemeralWant != "" {
			got := h.lastEphemeral(userOutsider)
			if !strings.Contains(got, tt.ephemeralWant) || !strings.Contains(got, "(ref ") {
				t.Errorf("%s: ephemeral %q, want %q with a ref", tt.name, got, tt.ephemeralWant)
			}
			if strings.Contains(got, "http") {
				t.Errorf("%s: ephemeral carries a URL: %q", tt.name, got)
			}
		}
		if tt.postWant != "" {
			_, err := h.slack.WaitMessage(h.ctx(), channel, func(m slacksim.Message) bool {
				return !m.Ephemeral && strings.Contains(string(m.Blocks), tt.postWant)
			})
			if err != nil {
				t.Errorf("%s: no message with %q", tt.name, tt.postWant)
			}
		}
	}
}

func blocksOf(t *testing.T, m slacksim.Message) []slack.Block {
	t.Helper()
	var bs slack.Blocks
	if err := bs.UnmarshalJSON(m.Blocks); err != nil {
		t.Fatal(err)
	}
	return bs.BlockSet
}
