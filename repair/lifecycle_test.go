package repair_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
)

const portal = "sd.customer.portal.only"

// newLifecycle returns an engine on sim with engine options, warm when it
// can be (see warm), and a plain client on sim for playing "someone else"
// in Jira. Both reach sim in-process, as engineOn's do; a
// jira.WithHTTPClient in jopts wins.
func newLifecycle(t *testing.T, sim *jirasim.Server, jopts []jira.Option, opts ...repair.Option) (*repair.Engine, *jira.Client) {
	t.Helper()
	jopts = append([]jira.Option{jira.WithHTTPClient(sim.Client())}, jopts...)
	c, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken, jopts...)
	if err != nil {
		t.Fatal(err)
	}
	other, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken, jira.WithHTTPClient(sim.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return repair.New(c, append(warm(t, sim), opts...)...), other
}

// mustPlan diagnoses key and returns its plan in mode.
func mustPlan(t *testing.T, e *repair.Engine, key string, mode diagnosis.Mode) diagnosis.Plan {
	t.Helper()
	d, err := e.Diagnose(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	p, err := diagnosis.NewPlan(d.Snapshot, mode)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// outcomes lists changes as "step permission outcome".
func outcomes(cs []repair.Change) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, strings.TrimSpace(c.Step+" "+c.Grant.Permission)+" "+string(c.Outcome))
	}
	return out
}

// undoSteps lists undo steps as "action permission outcome[/skip]".
func undoSteps(ss []repair.UndoStep) []string {
	out := []string{}
	for _, s := range ss {
		o := string(s.Outcome)
		if s.Skip != "" {
			o += "/" + string(s.Skip)
		}
		out = append(out, strings.TrimSpace(s.Action+" "+s.Grant.Permission)+" "+o)
	}
	return out
}

// grantSet is a scheme's grants as "holder/parameter permission #id", sorted.
func grantSet(sim *jirasim.Server, schemeID int64) []string {
	var out []string
	for _, g := range sim.SchemeGrants(schemeID) {
		out = append(out, fmt.Sprintf("%s/%s %s #%d", g.HolderType, g.HolderParameter, g.Permission, g.ID))
	}
	slices.Sort(out)
	return out
}

// schemesNaming returns the ids of the schemes whose description names planID.
func schemesNaming(t *testing.T, c *jira.Client, planID string) []int64 {
	t.Helper()
	ss, err := c.PermissionSchemes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, s := range ss {
		if strings.Contains(s.Description, "(plan "+planID+")") {
			out = append(out, s.ID)
		}
	}
	return out
}

// lostThenBlind loses Jira's answer to the first request lose picks (Jira
// applied it) and makes the read that follows fail with a 503: the
// write's outcome cannot be known.
type lostThenBlind struct {
	next      http.RoundTripper
	sim       *jirasim.Server
	lose      func(*http.Request) bool
	blindPath string
	lost      atomic.Bool
}

func (l *lostThenBlind) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(r)
	if err == nil && l.lose(r) && !l.lost.Swap(true) {
		resp.Body.Close()
		l.sim.FailNext(http.MethodGet, l.blindPath, 1, http.StatusServiceUnavailable, nil)
		return nil, io.ErrUnexpectedEOF
	}
	return resp, err
}

// TestUnknownIsNotFailed: a grant POST whose answer is lost, and whose
// re-read fails too, is Unknown (not failed, not applied); the apply stops
// there, and Settle later finds the grant Jira holds, with its id.
func TestUnknownIsNotFailed(t *testing.T) {
	t.Parallel()
	sim := newSim(t, jirasim.ScenarioPortalAccessMissing)
	id, _ := sim.ProjectSchemeID("NOPA")
	tr := &lostThenBlind{next: sim.Client().Transport, sim: sim, blindPath: fmt.Sprintf("/rest/api/3/permissionscheme/%d", id),
		lose: func(r *http.Request) bool { return r.Method == http.MethodPost }}
	e, _ := newLifecycle(t, sim, []jira.Option{through(tr), jira.WithMaxRetries(0)})
	plan := mustPlan(t, e, "NOPA", diagnosis.ModeInPlace)

	res, err := e.Apply(t.Context(), plan, repair.WithPlanID("p-unknown"))
	if !errors.Is(err, repair.ErrUnknownOutcome) {
		t.Fatalf("Apply = %v, want ErrUnknownOutcome", err)
	}
	want := []string{"add-grant BROWSE_PROJECTS unknown", "add-grant CREATE_ISSUES not-attempted"}
	if diff := cmp.Diff(want, outcomes(res.Changes)); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if len(res.Unknown()) != 1 || len(res.Failed()) != 0 || len(res.Applied()) != 0 {
		t.Errorf("Unknown %d, Failed %d, Applied %d; want 1, 0, 0", len(res.Unknown()), len(res.Failed()), len(res.Applied()))
	}

	// The record survives a round trip through JSON, as the store keeps it.
	rec := roundTrip(t, res.Record())
	sim.ResetRequests()
	settled, err := e.Settle(t.Context(), rec)
	if err != nil {
		t.Fatal(err)
	}
	if w := writes(sim); len(w) != 0 {
		t.Errorf("Settle wrote %v", w)
	}
	want = []string{"add-grant BROWSE_PROJECTS made", "add-grant CREATE_ISSUES not-made"}
	if diff := cmp.Diff(want, outcomes(settled.Changes)); diff != "" {
		t.Errorf("settled (-want +got):\n%s", diff)
	}
	var held int64
	for _, g := range sim.SchemeGrants(id) {
		if g.HolderType == portal && g.Permission == "BROWSE_PROJECTS" {
			held = g.ID
		}
	}
	if got := settled.Changes[0].Grant.ID; got != held || held == 0 {
		t.Errorf("settled grant id %d, Jira holds %d", got, held)
	}
	if settled.After == nil || settled.Verified {
		t.Errorf("After = %v, Verified %v; want a diagnosis that still finds CREATE_ISSUES missing", settled.After, settled.Verified)
	}
}

// roundTrip marshals and unmarshals a record.
func roundTrip(t *testing.T, rec repair.Record) repair.Record {
	t.Helper()
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var out repair.Record
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rec, out); diff != "" {
		t.Fatalf("record changed through JSON (-before +after):\n%s", diff)
	}
	return out
}

// TestSettleCutApply: an apply cut after its first write left no result;
// Settle of the planned record finds exactly that write, and makes none.
func TestSettleCutApply(t *testing.T) {
	t.Parallel()
	sim := newSim(t, jirasim.ScenarioCustomersRole)
	// The second POST is refused: the apply stops after one grant.
	var posts atomic.Int32
	e, _ := newLifecycle(t, sim, []jira.Option{through(hookTransport{next: sim.Client().Transport, before: func(r *http.Request) (*http.Response, bool) {
		if r.Method == http.MethodPost && posts.Add(1) == 2 {
			return &http.Response{StatusCode: 403, Header: http.Header{}, Body: http.NoBody, Request: r}, true
		}
		return nil, false
	}})})
	plan := mustPlan(t, e, "CUST", diagnosis.ModeInPlace)
	res, err := e.Apply(t.Context(), plan)
	if err == nil {
		t.Fatal("Apply succeeded, want the refused second grant")
	}
	sim.ResetRequests()
	settled, err := e.Settle(t.Context(), repair.PlannedRecord(plan, "p-cut"))
	if err != nil {
		t.Fatal(err)
	}
	if w := writes(sim); len(w) != 0 {
		t.Errorf("Settle wrote %v", w)
	}
	want := []string{
		"add-grant BROWSE_PROJECTS made", "add-grant CREATE_ISSUES not-made",
		"remove-grant ADD_COMMENTS not-made", "remove-grant BROWSE_PROJECTS not-made", "remove-grant CREATE_ISSUES not-made",
	}
	if diff := cmp.Diff(want, outcomes(settled.Changes)); diff != "" {
		t.Errorf("settled (-want +got):\n%s", diff)
	}
	if got, want := settled.Changes[0].Grant.ID, res.Changes[0].Grant.ID; got != want {
		t.Errorf("settled grant id %d, the apply made %d", got, want)
	}
}

// TestCopyNamedWhenApplying: two copy plans for projects on one shared
// scheme, made at the same moment, both plan "… 2"; both applies succeed,
// the second under "… 3", and each copy's description names its plan.
// When another admin takes "… 3" between the second apply's re-read and
// its create, Jira answers 400 and the apply takes "… 4".
func TestCopyNamedWhenApplying(t *testing.T) {
	t.Parallel()
	for _, race := range []bool{false, true} {
		t.Run(fmt.Sprintf("race=%v", race), func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, jirasim.ScenarioShared)
			_, other := newLifecycle(t, sim, nil)
			tn := &takeNameFirst{next: sim.Client().Transport, other: other, name: "Shared Support Scheme 3"}
			e, _ := newLifecycle(t, sim, []jira.Option{through(tn)})
			a := mustPlan(t, e, "SHRA", diagnosis.ModeCopy)
			b := mustPlan(t, e, "SHRB", diagnosis.ModeCopy)
			if a.CopyName != "Shared Support Scheme 2" || b.CopyName != a.CopyName {
				t.Fatalf("planned names %q and %q, want both %q", a.CopyName, b.CopyName, "Shared Support Scheme 2")
			}
			if _, err := e.Apply(t.Context(), a, repair.WithPlanID("plan-a")); err != nil {
				t.Fatalf("Apply SHRA: %v", err)
			}
			wantB := "Shared Support Scheme 3"
			if race {
				tn.armed.Store(true)
				wantB = "Shared Support Scheme 4"
			}
			sim.ResetRequests()
			res, err := e.Apply(t.Context(), b, repair.WithPlanID("plan-b"))
			if err != nil {
				t.Fatalf("Apply SHRB: %v", err)
			}
			if res.Plan.CopyName != wantB || res.Changes[0].SchemeName != wantB {
				t.Errorf("SHRB's copy is %q (result %q), want %q", res.Changes[0].SchemeName, res.Plan.CopyName, wantB)
			}
			wantWrites := map[bool]int{false: 2, true: 4}[race] // race: the other admin's create and our refused one
			if w := writes(sim); len(w) != wantWrites {
				t.Errorf("writes %v, want %d", w, wantWrites)
			}
			for key, planID := range map[string]string{"SHRA": "plan-a", "SHRB": "plan-b"} {
				id, _ := sim.ProjectSchemeID(key)
				if got := schemesNaming(t, other, planID); !slices.Equal(got, []int64{id}) {
					t.Errorf("%s uses scheme %d; schemes naming %s: %v", key, id, planID, got)
				}
			}
		})
	}
}

// takeNameFirst, once armed, creates a scheme called name as another admin
// just before the next scheme create it sends on.
type takeNameFirst struct {
	next  http.RoundTripper
	other *jira.Client
	name  string
	armed atomic.Bool
}

func (tn *takeNameFirst) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/rest/api/3/permissionscheme") && tn.armed.Swap(false) {
		if _, err := tn.other.CreatePermissionScheme(r.Context(), jira.PermissionScheme{Name: tn.name}); err != nil {
			return nil, err
		}
	}
	return tn.next.RoundTrip(r)
}

// TestFailedAssignmentDeletesCopy: when Jira refuses to assign the copy,
// the copy is deleted again; when that delete fails too, the reconciler
// finds the orphan by its plan and deletes it.
func TestFailedAssignmentDeletesCopy(t *testing.T) {
	t.Parallel()
	for _, deleteFails := range []bool{false, true} {
		t.Run(fmt.Sprintf("deleteFails=%v", deleteFails), func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, jirasim.ScenarioShared)
			e, other := newLifecycle(t, sim, nil)
			plan := mustPlan(t, e, "SHRA", diagnosis.ModeCopy)
			before, _ := sim.ProjectSchemeID("SHRA")
			sim.FailNext(http.MethodPut, "/rest/api/3/project/SHRA/permissionscheme", 1, http.StatusForbidden, nil)
			if deleteFails {
				sim.FailNext(http.MethodDelete, "/rest/api/3/permissionscheme/", 1, http.StatusForbidden, nil)
			}
			res, err := e.Apply(t.Context(), plan, repair.WithPlanID("plan-x"))
			if err == nil {
				t.Fatal("Apply succeeded, want the refused assignment")
			}
			wantDelete := map[bool]repair.Outcome{false: repair.Made, true: repair.Failed}[deleteFails]
			want := []string{"create-scheme made", "assign-scheme failed", "delete-scheme " + string(wantDelete)}
			if diff := cmp.Diff(want, outcomes(res.Changes)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if id, _ := sim.ProjectSchemeID("SHRA"); id != before {
				t.Errorf("SHRA uses scheme %d, want the original %d", id, before)
			}
			left := schemesNaming(t, other, "plan-x")
			if !deleteFails {
				if len(left) != 0 {
					t.Errorf("schemes naming the plan: %v, want none", left)
				}
				return
			}
			orphans, err := e.OrphanCopies(t.Context(), "plan-x")
			if err != nil {
				t.Fatal(err)
			}
			if len(orphans) != 1 || orphans[0].SchemeID != left[0] {
				t.Fatalf("OrphanCopies = %+v, want the copy %v", orphans, left)
			}
			c, err := e.DeleteOrphanCopy(t.Context(), "plan-x", orphans[0].SchemeID)
			if err != nil || c.Outcome != repair.Made {
				t.Fatalf("DeleteOrphanCopy = %+v, %v; want made", c, err)
			}
			if left := schemesNaming(t, other, "plan-x"); len(left) != 0 {
				t.Errorf("schemes naming the plan after the reconcile: %v, want none", left)
			}
		})
	}
}

// TestDeleteOrphanCopyRefuses: the reconciler's delete re-reads and leaves
// alone a scheme that is not the plan's copy, and a copy a project uses.
func TestDeleteOrphanCopyRefuses(t *testing.T) {
	t.Parallel()
	sim := newSim(t, jirasim.ScenarioShared)
	e, _ := newLifecycle(t, sim, nil)
	plan := mustPlan(t, e, "SHRA", diagnosis.ModeCopy)
	res, err := e.Apply(t.Context(), plan, repair.WithPlanID("plan-y"))
	if err != nil {
		t.Fatal(err)
	}
	copyID := res.Changes[0].SchemeID
	shared, _ := sim.ProjectSchemeID("SHRB")
	tests := []struct {
		name     string
		schemeID int64
		want     error
	}{
		{name: "assigned copy", schemeID: copyID, want: repair.ErrInUse},
		{name: "not a copy", schemeID: shared, want: repair.ErrNotACopy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim.ResetRequests()
			if _, err := e.DeleteOrphanCopy(t.Context(), "plan-y", tt.schemeID); !errors.Is(err, tt.want) {
				t.Errorf("DeleteOrphanCopy = %v, want %v", err, tt.want)
			}
			if w := writes(sim); len(w) != 0 {
				t.Errorf("wrote %v", w)
			}
		})
	}
	if orphans, err := e.OrphanCopies(t.Context(), "plan-y"); err != nil || len(orphans) != 0 {
		t.Errorf("OrphanCopies = %v, %v; want none (the copy is assigned)", orphans, err)
	}
}

// TestUndoInPlace: undo deletes exactly the grants the repair created, by
// id, re-creates the ones it removed, and leaves a grant someone else
// added to the same scheme; a second undo finds nothing left to do.
func TestUndoInPlace(t *testing.T) {
	t.Parallel()
	sim := newSim(t, jirasim.ScenarioCustomersRole)
	e, _ := newLifecycle(t, sim, nil)
	id, _ := sim.ProjectSchemeID("CUST")
	original := grantSet(sim, id)
	plan := mustPlan(t, e, "CUST", diagnosis.ModeInPlace)
	res, err := e.Apply(t.Context(), plan, repair.WithPlanID("plan-u"))
	if err != nil {
		t.Fatal(err)
	}
	rec := roundTrip(t, res.Record())
	someone := sim.AddGrants(id, jirasim.Grant{HolderType: "group", HolderParameter: "jira-servicedesk-users", Permission: "MANAGE_WATCHERS"})[0]

	sim.ResetRequests()
	u, err := e.Undo(t.Context(), rec)
	if err != nil {
		t.Fatalf("Undo: %v", err)
	}
	var want []string
	for _, c := range slices.Backward(res.Changes) {
		if c.Step == repair.StepAddGrant {
			want = append(want, fmt.Sprintf("DELETE /rest/api/3/permissionscheme/%d/permission/%d", id, c.Grant.ID))
		} else {
			want = append(want, fmt.Sprintf("POST /rest/api/3/permissionscheme/%d/permission", id))
		}
	}
	if diff := cmp.Diff(want, writes(sim)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	wantSteps := []string{
		"add-grant CREATE_ISSUES made", "add-grant BROWSE_PROJECTS made", "add-grant ADD_COMMENTS made",
		"delete-grant CREATE_ISSUES made", "delete-grant BROWSE_PROJECTS made",
	}
	if diff := cmp.Diff(wantSteps, undoSteps(u.Steps)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	// The scheme is as before, with new ids for the re-created grants,
	// plus the grant someone else added.
	var got []string
	for _, g := range grantSet(sim, id) {
		got = append(got, g[:strings.LastIndex(g, " #")])
	}
	var wantGrants []string
	for _, g := range append(original, fmt.Sprintf("group/jira-servicedesk-users MANAGE_WATCHERS #%d", someone.ID)) {
		wantGrants = append(wantGrants, g[:strings.LastIndex(g, " #")])
	}
	slices.Sort(wantGrants)
	if diff := cmp.Diff(wantGrants, got); diff != "" {
		t.Errorf("grants after the undo (-want +got):\n%s", diff)
	}
	if u.After == nil || u.After.Report.Healthy {
		t.Errorf("After = %v; want CUST's problems back", u.After)
	}

	sim.ResetRequests()
	again, err := e.Undo(t.Context(), rec)
	if err != nil {
		t.Fatal(err)
	}
	if w := writes(sim); len(w) != 0 {
		t.Errorf("a second undo wrote %v", w)
	}
	wantSteps = []string{
		"add-grant CREATE_ISSUES skipped/already-back", "add-grant BROWSE_PROJECTS skipped/already-back", "add-grant ADD_COMMENTS skipped/already-back",
		"delete-grant CREATE_ISSUES skipped/gone", "delete-grant BROWSE_PROJECTS skipped/gone",
	}
	if diff := cmp.Diff(wantSteps, undoSteps(again.Steps)); diff != "" {
		t.Errorf("second undo (-want +got):\n%s", diff)
	}
}

// TestUndoSkips: undo leaves alone a created grant someone removed and
// replaced with an identical one, and a grant that was already there.
func TestUndoSkips(t *testing.T) {
	t.Parallel()
	sim := newSim(t, jirasim.ScenarioPortalAccessMissing)
	e, other := newLifecycle(t, sim, nil)
	id, _ := sim.ProjectSchemeID("NOPA")
	plan := mustPlan(t, e, "NOPA", diagnosis.ModeInPlace)
	res, err := e.Apply(t.Context(), plan)
	if err != nil {
		t.Fatal(err)
	}
	rec := res.Record()
	// Someone deletes the created BROWSE_PROJECTS grant and adds it again:
	// same holder and permission, another id, not the repair's.
	if err := other.DeleteGrant(t.Context(), id, res.Changes[0].Grant.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := other.AddGrant(t.Context(), id, jira.Grant{Holder: jira.Holder{Type: portal}, Permission: "BROWSE_PROJECTS"}); err != nil {
		t.Fatal(err)
	}
	// And the record says CREATE_ISSUES was already there.
	rec.Changes[1].Outcome = repair.AlreadyThere

	sim.ResetRequests()
	u, err := e.Undo(t.Context(), rec)
	if err != nil {
		t.Fatal(err)
	}
	if w := writes(sim); len(w) != 0 {
		t.Errorf("undo wrote %v", w)
	}
	want := []string{"delete-grant CREATE_ISSUES skipped/not-ours", "delete-grant BROWSE_PROJECTS skipped/gone"}
	if diff := cmp.Diff(want, undoSteps(u.Steps)); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
}

// TestUndoCopy: undo of a copy assigns the original scheme back and
// deletes the copy; a copy someone assigned to another project meanwhile
// is kept, and the undo says who uses it.
func TestUndoCopy(t *testing.T) {
	t.Parallel()
	for _, sharedLater := range []bool{false, true} {
		t.Run(fmt.Sprintf("sharedLater=%v", sharedLater), func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, jirasim.ScenarioShared)
			e, other := newLifecycle(t, sim, nil)
			original, _ := sim.ProjectSchemeID("SHRA")
			plan := mustPlan(t, e, "SHRA", diagnosis.ModeCopy)
			res, err := e.Apply(t.Context(), plan, repair.WithPlanID("plan-c"))
			if err != nil {
				t.Fatal(err)
			}
			copyID := res.Changes[0].SchemeID
			if sharedLater {
				if err := other.AssignPermissionScheme(t.Context(), "SHRB", copyID); err != nil {
					t.Fatal(err)
				}
			}
			sim.ResetRequests()
			u, err := e.Undo(t.Context(), roundTrip(t, res.Record()))
			if err != nil {
				t.Fatalf("Undo: %v", err)
			}
			want := []string{"PUT /rest/api/3/project/SHRA/permissionscheme", fmt.Sprintf("DELETE /rest/api/3/permissionscheme/%d", copyID)}
			wantSteps := []string{"assign-original made", "delete-copy made"}
			if sharedLater {
				want = want[:1]
				wantSteps[1] = "delete-copy skipped/in-use"
			}
			if diff := cmp.Diff(want, writes(sim)); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantSteps, undoSteps(u.Steps)); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			if sharedLater && !slices.Equal(u.Steps[1].UsedBy, []string{"SHRB"}) {
				t.Errorf("UsedBy = %v, want [SHRB]", u.Steps[1].UsedBy)
			}
			if id, _ := sim.ProjectSchemeID("SHRA"); id != original {
				t.Errorf("SHRA uses %d, want the original %d", id, original)
			}
			if got := slices.Contains(sim.SchemeIDs(), copyID); got != sharedLater {
				t.Errorf("copy exists = %v, want %v", got, sharedLater)
			}
		})
	}
}

// checks lists the accounts the simulator was asked to check, in order.
func checks(sim *jirasim.Server) []string {
	var out []string
	for _, r := range sim.Requests() {
		if r.Path == "/rest/api/3/permissions/check" {
			var body struct{ AccountID string }
			_ = json.Unmarshal(r.Body, &body)
			out = append(out, body.AccountID)
		}
	}
	return out
}

// TestVerifiedForCustomer: after a repair and after its undo the engine
// asks Jira (POST permissions/check) about one real customer of the desk
// and reads the answer against the grants.
func TestVerifiedForCustomer(t *testing.T) {
	t.Parallel()
	alice := func(v repair.Verdict, missing []string, causes ...repair.Cause) *repair.CustomerCheck {
		return &repair.CustomerCheck{Verdict: v, AccountID: jirasim.CustomerAliceID, Name: "Alice Customer", Allowed: missing == nil, Missing: missing, Causes: causes}
	}
	t.Run("verified, then denied after the undo", func(t *testing.T) {
		t.Parallel()
		sim := newSim(t, jirasim.ScenarioPortalAccessMissing)
		e, _ := newLifecycle(t, sim, nil, repair.WithCustomerCheck())
		res, err := e.Apply(t.Context(), mustPlan(t, e, "NOPA", diagnosis.ModeInPlace))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(alice(repair.VerdictVerified, nil), res.Customer); diff != "" {
			t.Errorf("after the repair (-want +got):\n%s", diff)
		}
		u, err := e.Undo(t.Context(), res.Record())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(alice(repair.VerdictDenied, repair.CustomerPermissions), u.Customer); diff != "" {
			t.Errorf("after the undo (-want +got):\n%s", diff)
		}
		if got := checks(sim); !slices.Equal(got, []string{jirasim.CustomerAliceID, jirasim.CustomerAliceID}) {
			t.Errorf("checked %v, want Alice twice", got)
		}
	})
	t.Run("grants present, customer still denied", func(t *testing.T) {
		t.Parallel()
		sim := newSim(t, jirasim.ScenarioPortalAccessMissing)
		sim.SetAccountBlocked(jirasim.CustomerAliceID, true)
		e, _ := newLifecycle(t, sim, nil, repair.WithCustomerCheck())
		res, err := e.Apply(t.Context(), mustPlan(t, e, "NOPA", diagnosis.ModeInPlace))
		if err != nil {
			t.Fatal(err)
		}
		want := alice(repair.VerdictStillDenied, repair.CustomerPermissions, repair.CauseCustomerAccess, repair.CauseAccountState)
		if diff := cmp.Diff(want, res.Customer); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("no customer", func(t *testing.T) {
		t.Parallel()
		sim := newSim(t, jirasim.ScenarioPortalAccessMissing)
		e, _ := newLifecycle(t, sim, nil, repair.WithCustomerCheck()) // it knew the site before LONE
		id, _ := sim.ProjectSchemeID("NOPA")
		sim.AddProject(jirasim.Project{Key: "LONE", Name: "Lonely Desk", SchemeID: id, Desk: true})
		d, err := e.Diagnose(t.Context(), "LONE")
		if err != nil {
			t.Fatal(err)
		}
		want := &repair.CustomerCheck{Verdict: repair.VerdictNoCustomer, NoCustomer: true}
		if diff := cmp.Diff(want, e.VerifyCustomer(t.Context(), d)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if got := checks(sim); len(got) != 0 {
			t.Errorf("checked %v, want no one", got)
		}
	})
	t.Run("not asked for", func(t *testing.T) {
		t.Parallel()
		sim := newSim(t, jirasim.ScenarioHealthy)
		e, _ := newLifecycle(t, sim, nil)
		d, err := e.Diagnose(t.Context(), "HELP")
		if err != nil {
			t.Fatal(err)
		}
		if got := e.VerifyCustomer(t.Context(), d); got != nil {
			t.Errorf("VerifyCustomer = %+v, want nil", got)
		}
		if got := checks(sim); len(got) != 0 {
			t.Errorf("checked %v, want no one", got)
		}
	})
}

// TestResultSortsOutcomes: Applied, Unknown and Failed sort a result's
// changes by outcome, also for changes a caller built with only Done,
// AlreadyDone and Err, and the record keeps each outcome.
func TestResultSortsOutcomes(t *testing.T) {
	t.Parallel()
	res := &repair.Result{Changes: []repair.Change{
		{Step: repair.StepAddGrant, Done: true},
		{Step: repair.StepAddGrant, Done: true, AlreadyDone: true},
		{Step: repair.StepAddGrant, Outcome: repair.Unknown, Err: errors.New("lost")},
		{Step: repair.StepAddGrant, Err: errors.New("refused")},
		{Step: repair.StepAddGrant},
	}}
	if got := []int{len(res.Applied()), len(res.Unknown()), len(res.Failed())}; !slices.Equal(got, []int{2, 1, 1}) {
		t.Errorf("Applied, Unknown, Failed = %v, want [2 1 1]", got)
	}
	var got []repair.Outcome
	for _, c := range res.Record().Changes {
		got = append(got, c.Outcome)
	}
	want := []repair.Outcome{repair.Made, repair.AlreadyThere, repair.Unknown, repair.Failed, repair.NotAttempted}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recorded outcomes (-want +got):\n%s", diff)
	}
}
