package bot

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/store"
)

// hasButton reports whether a message has a button with the action ID.
func hasButton(m slacksim.Message, actionID string) bool {
	return strings.Contains(string(m.Blocks), `"action_id":"`+actionID+`"`)
}

// TestAuditEndToEnd is /jsm audit through the real slack-go client and
// both simulators: the ack, a progress message updated while the site is
// scanned, the summary with its table, one offer per broken scheme in the
// thread; the requester may not approve their own audit's fix, an approver
// may: exactly the scheme's missing grants are written, every project on
// it is verified healthy, the decisions are audited; a second click
// applies nothing. App Home then shows the audit.
func TestAuditEndToEnd(t *testing.T) {
	t.Parallel()
	// Twenty projects hold every kind of fleet project (team-managed,
	// software, unreadable) and both kinds of broken scheme; pages of five
	// make the scan report progress.
	const projects = 20
	h := newHarness(t, withFleet(jirasim.Fleet{Projects: projects, Schemes: 5}, jirasim.WithPageSize(5)))

	id := h.slash(userRequester, "audit")
	ack, err := h.slack.WaitAck(h.ctx(), id)
	if err != nil || !strings.Contains(string(ack.Payload), "Auditing the site…") {
		t.Fatalf("ack = %s, %v; want “Auditing the site…”", ack.Payload, err)
	}
	progressed := false
	for _, c := range h.slack.Calls("chat.update") {
		if strings.Contains(c.Args.Get("text"), "projects read") {
			progressed = true
		}
	}
	if !progressed {
		t.Error("the progress message was never updated with the projects read")
	}
	msgs := h.slack.Messages(channel)
	var summary slacksim.Message
	var offers []slacksim.Message
	for _, m := range msgs {
		switch {
		case m.ThreadTS == "" && strings.HasPrefix(m.Text, "Site audit:"):
			summary = m
		case m.ThreadTS != "" && hasButton(m, ActionApproveScheme):
			offers = append(offers, m)
		}
	}
	if summary.TS == "" || !strings.Contains(string(summary.Blocks), `"type":"table"`) {
		t.Fatalf("no summary with a table among %d messages: %+v", len(msgs), summary)
	}
	brokenID, _ := h.jira.ProjectSchemeID(jirasim.FleetKey(0)) // lacks both Portal Access grants
	createID, _ := h.jira.ProjectSchemeID(jirasim.FleetKey(2)) // lacks CREATE_ISSUES
	if len(offers) != 2 {
		t.Fatalf("%d scheme offers in the thread, want 2 (schemes %d and %d)", len(offers), brokenID, createID)
	}
	var offer slacksim.Message
	for _, m := range offers {
		if m.ThreadTS != summary.TS {
			t.Errorf("offer %s is in thread %s, want the summary's %s", m.TS, m.ThreadTS, summary.TS)
		}
		if strings.Contains(m.Text, jirasim.FleetSchemeName(0)) {
			offer = m
		}
	}
	if offer.TS == "" {
		t.Fatalf("no offer names %s", jirasim.FleetSchemeName(0))
	}
	var onScheme []string // readable projects on the scheme (every 20th from the 18th is not)
	for i := range projects {
		if id, ok := h.jira.ProjectSchemeID(jirasim.FleetKey(i)); ok && id == brokenID && i%20 != 17 {
			onScheme = append(onScheme, jirasim.FleetKey(i))
		}
	}
	var confirm struct {
		Text struct {
			Text string `json:"text"`
		} `json:"text"`
	}
	raw := string(offer.Blocks)
	if i := strings.Index(raw, `"confirm":`); i < 0 || json.NewDecoder(strings.NewReader(raw[i+len(`"confirm":`):])).Decode(&confirm) != nil ||
		!strings.Contains(confirm.Text.Text, "for all "+strconv.Itoa(len(onScheme))+" projects") {
		t.Errorf("confirm dialog %q does not name the %d projects the fix changes", confirm.Text.Text, len(onScheme))
	}

	planID := buttonValue(t, offer, ActionApproveScheme)
	h.jira.ResetRequests()
	h.click(userRequester, offer, ActionApproveScheme)
	if got := h.lastEphemeral(userRequester); !strings.Contains(got, "another approver must approve") {
		t.Errorf("the requester's own click was told %q", got)
	}
	h.click(userApprover, offer, ActionApproveScheme)
	path := "/rest/api/3/permissionscheme/" + strconv.FormatInt(brokenID, 10) + "/permission"
	var writes []string
	for _, r := range h.writes() {
		writes = append(writes, r.Method+" "+r.Path)
	}
	if diff := cmp.Diff([]string{http.MethodPost + " " + path, http.MethodPost + " " + path}, writes); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if n := scans(h.jira); n != 0 {
		t.Errorf("the approval made %d scans, want 0", n)
	}
	if rec := h.plan(planID); rec.State != store.StateApplied {
		t.Errorf("plan state %s (%s), want applied", rec.State, rec.Result)
	}
	if diff := cmp.Diff([]string{"applied", "denied"}, sortedActions(h.actions(planID))); diff != "" {
		t.Errorf("audit actions (-want +got):\n%s", diff)
	}
	verified := false
	for _, m := range h.slack.Messages(channel) {
		if m.ThreadTS == summary.TS && strings.Contains(string(m.Blocks), "all "+strconv.Itoa(len(onScheme))+" projects on the scheme") {
			verified = true
		}
	}
	if !verified {
		t.Errorf("no verification of the %d projects in the thread", len(onScheme))
	}
	// Every one of them is still on the fixed scheme, and health is the
	// scheme's (and the site's roles): one fresh diagnosis stands for all.
	for _, k := range onScheme {
		if id, _ := h.jira.ProjectSchemeID(k); id != brokenID {
			t.Errorf("%s moved to scheme %d", k, id)
		}
	}
	if !h.healthy(onScheme[len(onScheme)-1]) {
		t.Errorf("%s is not healthy after the scheme fix", onScheme[len(onScheme)-1])
	}

	h.jira.ResetRequests()
	h.click(userApprover, offer, ActionApproveScheme)
	if w := h.writes(); len(w) != 0 {
		t.Errorf("the second click wrote %v", w)
	}
	if got := h.lastEphemeral(userApprover); !strings.Contains(got, "already applied") {
		t.Errorf("the second click was told %q", got)
	}
	if n := len(sortedActions(h.actions(planID))); n != 2 {
		t.Errorf("%d audit records after the second click, want 2", n)
	}

	homeID, err := h.slack.OpenAppHome(h.ctx(), userApprover)
	if err != nil {
		t.Fatal(err)
	}
	h.track.wait(t, homeID, 1)
	v, ok := h.slack.HomeView(userApprover)
	if !ok {
		t.Fatal("no Home tab published")
	}
	home := slacksim.RenderBlocks(v.Blocks)
	for _, want := range []string{"Last audit", jirasim.FleetSchemeName(0), "Waiting for approval", jirasim.FleetKey(2)} {
		if !strings.Contains(home, want) {
			t.Errorf("Home tab lacks %q:\n%s", want, home)
		}
	}
}

func sortedActions(a []string) []string {
	a = slices.Clone(a)
	slices.Sort(a)
	return a
}
