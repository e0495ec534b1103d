package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/store"
)

// TestReconcilerSettlesDeadOwnersPlan: a replica died after the first of
// a plan's two grant writes; its plan is applying with an expired lease and
// no record. The reconciler brings the plan, the message and one audit
// record to what Jira holds, makes no Jira write, and offers a fresh
// diagnosis in the thread.
func TestReconcilerSettlesDeadOwnersPlan(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withConfig(func(c *Config) { c.ReconcileInterval = time.Hour }))
	report := h.diagnose(userRequester, "NOPA")
	planID := buttonValue(t, report, ActionApproveInPlace)
	rec := h.plan(planID)
	data, err := approval.Decode(rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(data.Plan.AddGrants) != 2 {
		t.Fatalf("plan adds %d grants, want 2", len(data.Plan.AddGrants))
	}
	// The dead owner's work: the approval, then one grant in Jira.
	if _, err := h.store.Transition(h.ctx(), planID, store.StatePending, store.StateApplying,
		approval.Approval(rec, userApprover, "dead-replica", h.clock.Now().Add(DefaultLease)).Mutate()); err != nil {
		t.Fatal(err)
	}
	g := data.Plan.AddGrants[0]
	h.jira.AddGrants(data.Plan.SchemeID, jirasim.Grant{HolderType: g.Holder.Type, HolderParameter: g.Holder.Parameter, Permission: g.Permission})
	writesBefore := len(h.writes())

	bot := h.bots[0].bot
	if err := bot.reconcile(h.ctx()); err != nil {
		t.Fatal(err)
	}
	if got := h.plan(planID).State; got != store.StateApplying {
		t.Fatalf("a plan whose lease has not run out was settled: %s", got)
	}
	h.clock.Advance(DefaultLease + time.Second)
	if err := bot.reconcile(h.ctx()); err != nil {
		t.Fatal(err)
	}

	got := h.plan(planID)
	if got.State != store.StateFailed || !strings.Contains(got.Result, "1 change(s) found in Jira, 1 not made") {
		t.Errorf("plan is %s (%s), want failed with one change found", got.State, got.Result)
	}
	if n := len(h.writes()); n != writesBefore {
		t.Errorf("the reconciler wrote to Jira: %d write(s)", n-writesBefore)
	}
	final := slacksim.RenderBlocks(h.message(report).Blocks)
	if strings.Contains(final, "Applying") || !strings.Contains(final, "not made") {
		t.Errorf("message does not show what Jira holds:\n%s", final)
	}
	audits, err := h.store.Audit(h.ctx(), planID)
	if err != nil {
		t.Fatal(err)
	}
	if len(audits) != 1 || audits[0].Action != approval.Settled {
		t.Fatalf("audit = %+v, want one settled record", audits)
	}
	if diff := cmp.Diff([]string{"granted `" + g.Permission + "` to Service Project Customer - Portal Access in “" + data.Plan.SchemeName + "”"}, audits[0].Created); diff != "" {
		t.Errorf("audit created (-want +got):\n%s", diff)
	}
	if _, err := h.slack.WaitMessage(h.ctx(), channel, func(m slacksim.Message) bool {
		return m.ThreadTS == report.TS && strings.Contains(m.Text, "NOPA") && strings.Contains(string(m.Blocks), "approve")
	}); err != nil {
		t.Errorf("no fresh diagnosis with buttons in the thread: %v", err)
	}
	// A second pass finds nothing to do.
	if err := bot.reconcile(h.ctx()); err != nil {
		t.Fatal(err)
	}
	if audits, _ := h.store.Audit(h.ctx(), planID); len(audits) != 1 {
		t.Errorf("a second pass wrote %d audit records", len(audits)-1)
	}
}
