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

// newLifecycle returns an engine on sim with engine options, and a plain
// client on sim for playing "someone else" in Jira.
func newLifecycle(t *testing.T, sim *jirasim.Server, jopts []jira.Option, opts ...repair.Option) (*repair.Engine, *jira.Client) {
	t.Helper()
	c, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken, jopts...)
	if err != nil {
		t.Fatal(err)
	}
	other, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken)
	if err != nil {
		t.Fatal(err)
	}
	return repair.New(c, opts...), other
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
	sim := jirasim.NewServer(t)
	id, _ := sim.ProjectSchemeID("NOPA")
	tr := &lostThenBlind{next: http.DefaultTransport, sim: sim, blindPath: fmt.Sprintf("/rest/api/3/permissionscheme/%d", id),
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
	sim := jirasim.NewServer(t)
	id, _ := sim.ProjectSchemeID("CUST")
	// The second POST is refused: the apply stops after one grant.
	var posts atomic.Int32
	e, _ := newLifecycle(t, sim, []jira.Option{through(hookTransport{next: http.DefaultTransport, before: func(r *http.Request) (*http.Response, bool) {
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
	_ = id
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
			sim := jirasim.NewServer(t)
			_, other := newLifecycle(t, sim, nil)
			tn := &takeNameFirst{next: http.DefaultTransport, other: other, name: "Shared Support Scheme 3"}
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
