package bot

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/store"
)

// applied approves a project's fix in mode and returns the report, the
// plan's ID and the applied message with its Undo button.
func (h *harness) applied(key, actionID string) (slacksim.Message, string) {
	h.t.Helper()
	report := h.diagnose(userRequester, key)
	planID := buttonValue(h.t, report, actionID)
	h.click(userApprover, report, actionID)
	if got := h.plan(planID).State; got != store.StateApplied {
		h.t.Fatalf("plan is %s, want applied", got)
	}
	return h.message(report), planID
}

// grantIDs lists the ids of a scheme's grants.
func grantIDs(h *harness, schemeID int64) []int64 {
	var ids []int64
	for _, g := range h.jira.SchemeGrants(schemeID) {
		ids = append(ids, g.ID)
	}
	slices.Sort(ids)
	return ids
}

// writesSince lists the writes after the first n, as "METHOD path".
func writesSince(h *harness, n int) []string {
	var out []string
	for _, r := range h.writes()[n:] {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// TestCopyApprovedThenUndone approves the copy of a shared scheme: the
// other projects keep theirs, and the in-place offer is retired. Undo then
// assigns the original scheme back and deletes the copy; the shared scheme
// is never touched.
func TestCopyApprovedThenUndone(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withSeed(jirasim.ScenarioShared))
	shared, _ := h.jira.ProjectSchemeID("SHRB")
	before, grants := h.jira.SchemeGrants(shared), grantIDs(h, shared)

	report := h.diagnose(userRequester, "SHRA")
	rendered := slacksim.RenderBlocks(report.Blocks)
	for _, want := range []string{"Fix in place", "Fix on a copy", "SHRB", "SHRC", "[ Approve: fix in place ]", "[ Approve: fix on a copy ]"} {
		if !strings.Contains(rendered, want) {
			t.Errorf("report lacks %q:\n%s", want, rendered)
		}
	}
	var confirms int
	for _, b := range blocksOf(t, report) {
		if a, ok := b.(*slack.ActionBlock); ok {
			for _, e := range a.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok && btn.Confirm != nil {
					confirms++
				}
			}
		}
	}
	if confirms != 2 {
		t.Errorf("%d Approve buttons have a confirm dialog, want 2", confirms)
	}

	inPlace, planID := buttonValue(t, report, ActionApproveInPlace), buttonValue(t, report, ActionApproveCopy)
	h.click(userApprover, report, ActionApproveCopy)
	if got := h.plan(planID).State; got != store.StateApplied {
		t.Fatalf("plan is %s, want applied", got)
	}
	if !h.healthy("SHRA") {
		t.Error("SHRA is not healthy after the copy repair")
	}
	if diff := cmp.Diff(before, h.jira.SchemeGrants(shared)); diff != "" {
		t.Errorf("the shared scheme changed (-before +after):\n%s", diff)
	}
	copyID, _ := h.jira.ProjectSchemeID("SHRA")
	if copyID == shared {
		t.Fatal("SHRA still uses the shared scheme")
	}
	if got := h.plan(inPlace).State; got != store.StateDismissed {
		t.Errorf("the in-place sibling is %s, want dismissed", got)
	}

	n := len(h.writes())
	h.click(userGroupMember, report, ActionApproveInPlace)
	if got := h.lastEphemeral(userGroupMember); !strings.Contains(got, "approved the other one") && !strings.Contains(got, "already") {
		t.Errorf("click on the retired sibling: ephemeral %q", got)
	}
	if got := len(h.writes()); got != n {
		t.Errorf("the retired sibling wrote %d request(s)", got-n)
	}

	msg := h.message(report)
	h.click(userApprover, msg, ActionUndo)
	want := []string{
		http.MethodPut + " /rest/api/3/project/SHRA/permissionscheme",
		fmt.Sprintf("%s /rest/api/3/permissionscheme/%d", http.MethodDelete, copyID),
	}
	if diff := cmp.Diff(want, writesSince(h, n)); diff != "" {
		t.Errorf("undo's writes (-want +got):\n%s", diff)
	}
	if got, _ := h.jira.ProjectSchemeID("SHRA"); got != shared {
		t.Errorf("SHRA uses scheme %d, want the original %d", got, shared)
	}
	if slices.Contains(h.jira.SchemeIDs(), copyID) {
		t.Errorf("the copy %d still exists", copyID)
	}
	if diff := cmp.Diff(grants, grantIDs(h, shared)); diff != "" {
		t.Errorf("the shared scheme changed (-want +got):\n%s", diff)
	}
	if got := h.plan(planID).State; got != store.StateUndone {
		t.Errorf("plan is %s, want undone", got)
	}
	final := slacksim.RenderBlocks(h.message(msg).Blocks)
	if !strings.Contains(final, "back to the project") || !strings.Contains(final, "deleted the copy") {
		t.Errorf("message does not say what was restored:\n%s", final)
	}
	if acts := h.actions(planID); acts[len(acts)-1] != approval.Undone {
		t.Errorf("audit actions %v, want undone last", acts)
	}
}

// TestUndoRefused: a non-approver's Undo and an Undo after the window
// change nothing and say why. Both click the one applied repair, in turn:
// the first refusal must not spend the button for the second.
func TestUndoRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withConfig(func(c *Config) { c.UndoWindow = time.Hour }))
	msg, planID := h.applied("NOPA", ActionApproveInPlace)
	tests := []struct {
		name    string
		user    string
		advance time.Duration
		want    string
	}{
		{"not an approver", userOutsider, 0, notUndoApprover},
		{"after the window", userApprover, time.Hour + time.Minute, "can no longer be undone"},
	}
	for _, tt := range tests {
		h.clock.Advance(tt.advance)
		n := len(h.writes())
		h.click(tt.user, msg, ActionUndo)
		if got := h.lastEphemeral(tt.user); !strings.Contains(got, tt.want) {
			t.Errorf("%s: told %q, want %q", tt.name, got, tt.want)
		}
		if got := h.plan(planID).State; got != store.StateApplied {
			t.Errorf("%s: plan is %s, want applied", tt.name, got)
		}
		if w := writesSince(h, n); len(w) != 0 {
			t.Errorf("%s: refused undo wrote %v", tt.name, w)
		}
	}
	if !h.healthy("NOPA") {
		t.Error("NOPA is broken again")
	}
}
