package faulttest

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/store"
)

// waitFor waits for ch, failing the test after d with what.
func waitFor(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("after %v: %s", d, what)
	}
}

// TestKillBetweenTwoGrantWrites: jsmbot run is killed (SIGKILL) while the
// second of NOPA's two grant POSTs is in flight, so the first grant is in
// Jira and the second never arrives. A bot restarted on the same Redis
// settles the plan within 30 s: the message shows what Jira holds, the
// plan is final, one audit record lists exactly the grant that landed, and
// the reconciler wrote nothing to Jira.
func TestKillBetweenTwoGrantWrites(t *testing.T) {
	t.Parallel()
	g := newGate(isGrantPost, 2)
	s := newSite(t, 8, g.wrap, jirasim.ScenarioPortalAccessMissing)
	t.Cleanup(g.open)
	first := s.start()

	report := s.diagnose("NOPA", bot.ActionApproveInPlace)
	planID := buttonValue(t, report, bot.ActionApproveInPlace)
	schemeID, _ := s.jira.ProjectSchemeID("NOPA")
	before := s.jira.SchemeGrants(schemeID)
	s.approve(report, bot.ActionApproveInPlace)

	waitFor(t, g.answered, 20*time.Second, "the first grant POST was not answered")
	waitFor(t, g.held, 20*time.Second, "the second grant POST did not arrive")
	s.kill(first)
	waitFor(t, g.gone, 10*time.Second, "the held grant POST outlived its client")
	g.open()

	added := newGrants(before, s.jira.SchemeGrants(schemeID))
	if len(added) != 1 {
		t.Fatalf("Jira holds %d new grant(s) after the kill, want 1: %+v", len(added), added)
	}
	if st := s.plan(planID).State; st != store.StateApplying {
		t.Fatalf("the killed bot left the plan %s, want applying (else the fault was not injected)", st)
	}
	mark := len(s.jira.Requests())

	s.start()
	landedPerm := added[0].Permission
	msg := s.waitMessage(report, settleWithin, "show what Jira holds", func(m string) bool {
		return !strings.Contains(m, "Applying") && strings.Contains(m, "not made")
	})
	s.waitFreshDiagnosis(report, "NOPA")
	if !strings.Contains(msg, landedPerm) {
		t.Errorf("the message does not name the grant that landed, %s:\n%s", landedPerm, msg)
	}

	rec := s.plan(planID)
	if rec.State != store.StateFailed {
		t.Errorf("plan is %s (%s), want failed: one of two grants was made", rec.State, rec.Result)
	}
	audits := s.audit(planID)
	if len(audits) != 1 {
		t.Fatalf("%d audit records, want 1: %+v", len(audits), audits)
	}
	want := []string{"granted `" + landedPerm + "` to Service Project Customer - Portal Access in “" + s.jira.SchemeName(schemeID) + "”"}
	if diff := cmp.Diff(want, audits[0].Created); diff != "" {
		t.Errorf("the audit record's created grants (-want +got):\n%s", diff)
	}
	if len(audits[0].Removed) != 0 {
		t.Errorf("the audit record lists removed grants: %q", audits[0].Removed)
	}
	if w := writes(s.jira.Requests()[mark:]); len(w) > 0 {
		t.Errorf("the restarted bot wrote to Jira:\n%s", describe(w))
	}
	if got := newGrants(before, s.jira.SchemeGrants(schemeID)); len(got) != 1 {
		t.Errorf("Jira holds %d new grants after the reconcile, want the 1 that landed", len(got))
	}
}

// TestKillCopyBeforeAssignment: in copy mode, jsmbot run is killed while
// the PUT that assigns SHRA's new copy is in flight: the copy exists and
// nothing uses it. A restarted bot settles the plan within 30 s, deletes
// the copy (its only Jira write), and records that the repair was not
// made; SHRA is still on the shared scheme.
func TestKillCopyBeforeAssignment(t *testing.T) {
	t.Parallel()
	g := newGate(isAssignment, 1)
	s := newSite(t, 9, g.wrap, jirasim.ScenarioShared)
	t.Cleanup(g.open)
	first := s.start()

	report := s.diagnose("SHRA", bot.ActionApproveCopy)
	planID := buttonValue(t, report, bot.ActionApproveCopy)
	shared, _ := s.jira.ProjectSchemeID("SHRA")
	schemesBefore := s.jira.SchemeIDs()
	s.approve(report, bot.ActionApproveCopy)

	waitFor(t, g.held, 20*time.Second, "the assignment PUT did not arrive")
	s.kill(first)
	waitFor(t, g.gone, 10*time.Second, "the held assignment outlived its client")
	g.open()

	copies := newSchemes(schemesBefore, s.jira.SchemeIDs())
	if len(copies) != 1 {
		t.Fatalf("%d new schemes after the kill, want the 1 copy: %v", len(copies), copies)
	}
	if st := s.plan(planID).State; st != store.StateApplying {
		t.Fatalf("the killed bot left the plan %s, want applying", st)
	}
	mark := len(s.jira.Requests())

	s.start()
	msg := s.waitMessage(report, settleWithin, "show what Jira holds", func(m string) bool {
		return !strings.Contains(m, "Applying") && strings.Contains(m, "not made")
	})
	s.waitFreshDiagnosis(report, "SHRA")

	rec := s.plan(planID)
	if !final(rec.State) {
		t.Errorf("plan is %s, want final", rec.State)
	}
	if got := newSchemes(schemesBefore, s.jira.SchemeIDs()); len(got) != 0 {
		t.Errorf("orphan scheme(s) %v left after the reconcile", got)
	}
	if cur, _ := s.jira.ProjectSchemeID("SHRA"); cur != shared {
		t.Errorf("SHRA uses scheme %d, want the shared %d", cur, shared)
	}
	var want []jirasim.Request
	for _, r := range writes(s.jira.Requests()[mark:]) {
		if r.Method != "DELETE" || r.Path != "/rest/api/3/permissionscheme/"+strconv.FormatInt(copies[0], 10) {
			want = append(want, r)
		}
	}
	if len(want) > 0 {
		t.Errorf("the restarted bot made Jira writes besides deleting the copy:\n%s", describe(want))
	}
	audits := s.audit(planID)
	if len(audits) != 1 {
		t.Fatalf("%d audit records, want 1: %+v", len(audits), audits)
	}
	// What Jira holds: the project on its shared scheme, no copy. A record
	// or message that lists the copy as created must list its deletion too.
	copyName := "(id " + strconv.FormatInt(copies[0], 10) + ")"
	createdCopy := slices.ContainsFunc(audits[0].Created, func(c string) bool { return strings.Contains(c, copyName) })
	deletedCopy := slices.ContainsFunc(audits[0].Removed, func(c string) bool {
		return strings.HasPrefix(c, "deleted the scheme") && strings.Contains(c, copyName)
	})
	if createdCopy && !deletedCopy {
		t.Errorf("the audit record lists the copy %s as created but not its deletion by the reconciler:\ncreated %q\nremoved %q", copyName, audits[0].Created, audits[0].Removed)
	}
	for _, c := range audits[0].Created {
		if strings.HasPrefix(c, "assigned") {
			t.Errorf("the audit record says the copy was assigned: %q", c)
		}
	}
	if strings.Contains(msg, copyName) && !strings.Contains(msg, "deleted the scheme") {
		t.Errorf("the message shows the copy %s, which the reconciler deleted, without saying so:\n%s", copyName, msg)
	}
	if strings.Contains(msg, "— repaired") {
		t.Errorf("the message says SHRA was repaired; Jira holds no change to it:\n%s", msg)
	}
}

// newGrants are the grants of after whose IDs before lacks.
func newGrants(before, after []jirasim.Grant) []jirasim.Grant {
	var out []jirasim.Grant
	for _, g := range after {
		if !slices.ContainsFunc(before, func(b jirasim.Grant) bool { return b.ID == g.ID }) {
			out = append(out, g)
		}
	}
	return out
}

// newSchemes are the scheme IDs of after that before lacks.
func newSchemes(before, after []int64) []int64 {
	var out []int64
	for _, id := range after {
		if !slices.Contains(before, id) {
			out = append(out, id)
		}
	}
	return out
}
