package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jsmbot/jsmbot/store"
)

// This file holds the rules of issue 9–11's additions: a plan's owner,
// lease and record; listing plans and the audit log; named leases; blobs.

// ownedPlan returns a new plan moved to applying by owner with a lease
// until lease, as approval does.
func ownedPlan(t *testing.T, h Harness, project, owner string, lease time.Time) store.PlanRecord {
	t.Helper()
	p := newPlan(t, h)
	got, err := h.Store.Transition(t.Context(), p.ID, store.StatePending, store.StateApplying, func(r *store.PlanRecord) {
		r.ProjectKey = project
		r.Owner = owner
		r.LeaseUntil = lease
	})
	if err != nil {
		t.Fatalf("Transition(pending, applying): %v", err)
	}
	return got
}

// projectKey returns a project key no other subtest uses, so that a
// filter by it sees only this subtest's plans.
func projectKey(t *testing.T) string {
	t.Helper()
	return "P" + strings.ToUpper(mustID(t)[:10])
}

func ids(ps []store.PlanRecord) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func mustPlans(t *testing.T, s store.Store, f store.PlanFilter) []store.PlanRecord {
	t.Helper()
	got, err := s.Plans(t.Context(), f)
	if err != nil {
		t.Fatalf("Plans(%+v): %v", f, err)
	}
	if got == nil {
		t.Fatalf("Plans(%+v) = nil, want a non-nil slice", f)
	}
	return got
}

// testPlanLeaseFields: Transition's mutate sets Owner, LeaseUntil and
// Record; they read back normalized (UTC, compact JSON); an invalid Record
// is refused and changes nothing.
func testPlanLeaseFields(t *testing.T, h Harness) {
	p := newPlan(t, h)
	lease := time.Now().Add(30 * time.Second).In(time.FixedZone("X", -3*3600))
	got, err := h.Store.Transition(t.Context(), p.ID, store.StatePending, store.StateApplying, func(r *store.PlanRecord) {
		r.ApproverID = "U0A"
		r.Owner = "replica-1"
		r.LeaseUntil = lease
		r.Record = json.RawMessage("{ \"created\" : [\"10001\"],\n \"note\": \"<b>\" }")
	})
	if err != nil {
		t.Fatalf("Transition: %v", err)
	}
	want := p
	want.State, want.Version, want.UpdatedAt = store.StateApplying, p.Version+1, got.UpdatedAt
	want.ApproverID, want.Owner, want.LeaseUntil = "U0A", "replica-1", lease.UTC()
	want.Record = json.RawMessage(`{"created":["10001"],"note":"<b>"}`)
	if d := diff(want, got); d != "" {
		t.Errorf("Transition result mismatch (-want +got):\n%s", d)
	}
	if d := diff(got, mustPlan(t, h.Store, p.ID)); d != "" {
		t.Errorf("Plan after Transition (-want +got):\n%s", d)
	}

	_, err = h.Store.Transition(t.Context(), p.ID, store.StateApplying, store.StateApplied, func(r *store.PlanRecord) {
		r.Record = json.RawMessage(`{"created":`)
	})
	if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Transition with an invalid Record: err = %v, want a validation error", err)
	}
	if d := diff(got, mustPlan(t, h.Store, p.ID)); d != "" {
		t.Errorf("plan changed by a refused transition (-want +got):\n%s", d)
	}
}

// testRenewLease: the owner extends its lease and records its writes;
// Version stays, UpdatedAt follows the clock, a nil rec keeps Record and
// an empty one clears it.
func testRenewLease(t *testing.T, h Harness) {
	ctx := t.Context()
	start := storeNow(t, h)
	p := ownedPlan(t, h, "HELP", "replica-1", start.Add(10*time.Second))
	if h.Advance != nil {
		h.Advance(5 * time.Second)
	}
	until := start.Add(40 * time.Second).In(time.FixedZone("Y", 7200))
	steps := []struct {
		name       string
		rec        json.RawMessage
		wantRecord json.RawMessage
	}{
		{"first write landed", json.RawMessage(`{ "created": ["10001"] }`), json.RawMessage(`{"created":["10001"]}`)},
		{"nil keeps the record", nil, json.RawMessage(`{"created":["10001"]}`)},
		{"second write landed", json.RawMessage(`{"created":["10001","10002"]}`), json.RawMessage(`{"created":["10001","10002"]}`)},
		{"empty clears it", json.RawMessage{}, nil},
	}
	prev := p
	for _, st := range steps {
		got, err := h.Store.RenewLease(ctx, p.ID, "replica-1", until, st.rec)
		if err != nil {
			t.Fatalf("%s: RenewLease: %v", st.name, err)
		}
		want := prev
		want.LeaseUntil = until.UTC()
		want.Record = st.wantRecord
		want.UpdatedAt = got.UpdatedAt
		if d := diff(want, got); d != "" {
			t.Errorf("%s: RenewLease result mismatch (-want +got):\n%s", st.name, d)
		}
		if got.UpdatedAt.Before(prev.UpdatedAt) {
			t.Errorf("%s: UpdatedAt = %v, want not before %v", st.name, got.UpdatedAt, prev.UpdatedAt)
		}
		if d := diff(got, mustPlan(t, h.Store, p.ID)); d != "" {
			t.Errorf("%s: Plan after RenewLease (-want +got):\n%s", st.name, d)
		}
		prev = got
	}
	if h.Advance != nil {
		if want := start.Add(5 * time.Second); !prev.UpdatedAt.Equal(want) {
			t.Errorf("UpdatedAt = %v, want the store's clock %v", prev.UpdatedAt, want)
		}
	}
	// A renewed plan still finishes.
	done := mustTransition(t, h.Store, p.ID, store.StateApplying, store.StateApplied)
	if done.Version != p.Version+1 || done.Owner != "replica-1" || !done.LeaseUntil.Equal(until) {
		t.Errorf("after renewals, Transition = version %d, owner %q, lease %v; want %d, replica-1, %v", done.Version, done.Owner, done.LeaseUntil, p.Version+1, until)
	}
}

// testRenewLeaseRefused: only the owner of an applying plan renews; every
// refusal leaves the plan unchanged.
func testRenewLeaseRefused(t *testing.T, h Harness) {
	until := time.Now().Add(time.Minute)
	tests := []struct {
		name  string
		state store.State // the plan's state; "" for no plan
		owner string
		rec   json.RawMessage
		want  error // ErrConflict, ErrNotFound, or nil for a plain error
	}{
		{"another owner", store.StateApplying, "replica-2", nil, store.ErrConflict},
		{"pending", store.StatePending, "replica-1", nil, store.ErrConflict},
		{"applied", store.StateApplied, "replica-1", nil, store.ErrConflict},
		{"failed", store.StateFailed, "replica-1", nil, store.ErrConflict},
		{"missing", "", "replica-1", nil, store.ErrNotFound},
		{"empty owner", store.StateApplying, "", nil, nil},
		{"invalid record", store.StateApplying, "replica-1", json.RawMessage(`{"a":`), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := mustID(t)
			var before store.PlanRecord
			if tt.state != "" {
				before = planIn(t, h, tt.state)
				if tt.state == store.StateApplying {
					before = ownedPlan(t, h, "HELP", "replica-1", until)
				}
				id = before.ID
			}
			_, err := h.Store.RenewLease(t.Context(), id, tt.owner, until.Add(time.Hour), tt.rec)
			switch {
			case err == nil:
				t.Fatalf("RenewLease = nil error, want one")
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("RenewLease: err = %v, want %v", err, tt.want)
			case tt.want == nil && (errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound)):
				t.Errorf("RenewLease: err = %v, want a plain error", err)
			}
			if tt.state != "" {
				if d := diff(before, mustPlan(t, h.Store, id)); d != "" {
					t.Errorf("plan changed by a refused renewal (-want +got):\n%s", d)
				}
			}
		})
	}
}

// testRaceRenewTransition: renewals racing with the owner's final
// transition never make the transition lose; they succeed before it and
// conflict after it.
func testRaceRenewTransition(t *testing.T, h Harness) {
	p := ownedPlan(t, h, "HELP", "replica-1", time.Now().Add(time.Minute))
	errs := race(racers+1, func(i int) error {
		if i == racers {
			_, err := h.Store.Transition(t.Context(), p.ID, store.StateApplying, store.StateApplied, func(r *store.PlanRecord) { r.Result = "done" })
			return err
		}
		_, err := h.Store.RenewLease(t.Context(), p.ID, "replica-1", time.Now().Add(time.Minute), json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)))
		return err
	})
	if err := errs[racers]; err != nil {
		t.Fatalf("Transition(applying, applied) racing renewals: %v", err)
	}
	for i, err := range errs[:racers] {
		if err != nil && !errors.Is(err, store.ErrConflict) {
			t.Errorf("renewal %d: err = %v, want nil or ErrConflict", i, err)
		}
	}
	got := mustPlan(t, h.Store, p.ID)
	if got.State != store.StateApplied || got.Version != p.Version+1 || got.Result != "done" {
		t.Errorf("plan = %s version %d result %q, want applied, %d, done", got.State, got.Version, got.Result, p.Version+1)
	}
}

// testPlansFilter: Plans lists by state (as Plan reports it: expiry
// applied), by project and both, oldest UpdatedAt first, at most Limit.
func testPlansFilter(t *testing.T, h Harness) {
	needAdvance(t, h)
	key, other := projectKey(t), projectKey(t)
	mk := func(project string, path ...store.State) store.PlanRecord {
		t.Helper()
		p := store.PlanRecord{ID: mustID(t), ProjectKey: project, ExpiresAt: storeNow(t, h).Add(expiresIn)}
		mustSave(t, h.Store, p)
		p = mustPlan(t, h.Store, p.ID)
		from := store.StatePending
		for _, to := range path {
			p = mustTransition(t, h.Store, p.ID, from, to)
			from = to
		}
		h.Advance(time.Second)
		return p
	}
	stale := mk(key) // pending, will expire
	h.Advance(expiresIn)
	applied := mk(key, store.StateApplying, store.StateApplied)
	pending := mk(key)
	applying := mk(key, store.StateApplying)
	dismissed := mk(key, store.StateDismissed)
	recorded := mk(key, store.StateExpired)
	otherPending := mk(other)
	stale.State = store.StateExpired // as Plan reports it now

	tests := []struct {
		name string
		f    store.PlanFilter
		want []store.PlanRecord
	}{
		{"project", store.PlanFilter{ProjectKey: key}, []store.PlanRecord{stale, applied, pending, applying, dismissed, recorded}},
		{"pending of project", store.PlanFilter{ProjectKey: key, State: store.StatePending}, []store.PlanRecord{pending}},
		{"expired of project", store.PlanFilter{ProjectKey: key, State: store.StateExpired}, []store.PlanRecord{stale, recorded}},
		{"applying of project", store.PlanFilter{ProjectKey: key, State: store.StateApplying}, []store.PlanRecord{applying}},
		{"limit", store.PlanFilter{ProjectKey: key, Limit: 2}, []store.PlanRecord{stale, applied}},
		{"other project", store.PlanFilter{ProjectKey: other}, []store.PlanRecord{otherPending}},
		{"unknown project", store.PlanFilter{ProjectKey: projectKey(t)}, []store.PlanRecord{}},
		{"unknown state", store.PlanFilter{State: "bogus"}, []store.PlanRecord{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := diff(tt.want, mustPlans(t, h.Store, tt.f)); d != "" {
				t.Errorf("Plans(%+v) mismatch (-want +got):\n%s", tt.f, d)
			}
		})
	}
	// Without a project the state alone selects, across projects (other
	// subtests' plans aside: this store is this subtest's own).
	all := mustPlans(t, h.Store, store.PlanFilter{State: store.StatePending})
	var mine []string
	for _, p := range all {
		if p.State != store.StatePending {
			t.Errorf("Plans(pending) listed %s in state %s", p.ID, p.State)
		}
		if p.ID == pending.ID || p.ID == otherPending.ID {
			mine = append(mine, p.ID)
		}
	}
	if d := diff([]string{pending.ID, otherPending.ID}, mine); d != "" {
		t.Errorf("Plans(pending) of this test's projects (-want +got):\n%s", d)
	}
	if !slices.IsSortedFunc(all, func(a, b store.PlanRecord) int { return a.UpdatedAt.Compare(b.UpdatedAt) }) {
		t.Errorf("Plans(pending) not in UpdatedAt order: %v", ids(all))
	}
	// A write moves a plan to the end and to its new state's list.
	moved := mustTransition(t, h.Store, pending.ID, store.StatePending, store.StateDismissed)
	if d := diff([]store.PlanRecord{stale, applied, applying, dismissed, recorded, moved}, mustPlans(t, h.Store, store.PlanFilter{ProjectKey: key})); d != "" {
		t.Errorf("Plans after a transition (-want +got):\n%s", d)
	}
	if got := mustPlans(t, h.Store, store.PlanFilter{ProjectKey: key, State: store.StatePending}); len(got) != 0 {
		t.Errorf("Plans(pending) after the plan left pending = %v, want none", ids(got))
	}
}

// testPlansLease: the reconciler's query lists exactly the applying plans
// whose lease ran out (before the given instant, or zero), and a renewal
// takes a plan off it.
func testPlansLease(t *testing.T, h Harness) {
	needAdvance(t, h)
	key := projectKey(t)
	now := storeNow(t, h)
	zero := ownedPlan(t, h, key, "replica-1", time.Time{})
	h.Advance(time.Second)
	short := ownedPlan(t, h, key, "replica-1", now.Add(10*time.Second))
	h.Advance(time.Second)
	long := ownedPlan(t, h, key, "replica-2", now.Add(time.Hour))
	h.Advance(time.Second)
	done := ownedPlan(t, h, key, "replica-2", now)
	mustTransition(t, h.Store, done.ID, store.StateApplying, store.StateApplied)

	expired := func(at time.Time) []string {
		t.Helper()
		return ids(mustPlans(t, h.Store, store.PlanFilter{State: store.StateApplying, ProjectKey: key, LeaseBefore: at}))
	}
	if d := diff([]string{zero.ID}, expired(now.Add(10*time.Second))); d != "" {
		t.Errorf("leases run out at their end, not before (-want +got):\n%s", d)
	}
	if d := diff([]string{zero.ID, short.ID}, expired(now.Add(10*time.Second+time.Nanosecond))); d != "" {
		t.Errorf("leases run out just after their end (-want +got):\n%s", d)
	}
	if _, err := h.Store.RenewLease(t.Context(), short.ID, "replica-1", now.Add(time.Minute), nil); err != nil {
		t.Fatalf("RenewLease: %v", err)
	}
	if d := diff([]string{zero.ID}, expired(now.Add(30*time.Second))); d != "" {
		t.Errorf("a renewed lease is not run out (-want +got):\n%s", d)
	}
	// The renewal wrote short last, so it lists last.
	if d := diff([]string{zero.ID, long.ID, short.ID}, expired(now.Add(2*time.Hour))); d != "" {
		t.Errorf("every lease ran out (-want +got):\n%s", d)
	}
}

// testPlansDefaultLimit: Limit 0 means store.DefaultLimit.
func testPlansDefaultLimit(t *testing.T, h Harness) {
	key := projectKey(t)
	exp := time.Now().Add(time.Hour)
	for range store.DefaultLimit + 1 {
		mustSave(t, h.Store, store.PlanRecord{ID: mustID(t), ProjectKey: key, ExpiresAt: exp})
	}
	if got := mustPlans(t, h.Store, store.PlanFilter{ProjectKey: key}); len(got) != store.DefaultLimit {
		t.Errorf("Plans with Limit 0 returned %d plans, want %d", len(got), store.DefaultLimit)
	}
	if got := mustPlans(t, h.Store, store.PlanFilter{ProjectKey: key, Limit: 1000}); len(got) != store.DefaultLimit+1 {
		t.Errorf("Plans with Limit 1000 returned %d plans, want %d", len(got), store.DefaultLimit+1)
	}
}

// testPlansRetention: a forgotten plan is not listed.
func testPlansRetention(t *testing.T, h Harness) {
	needTTL(t, h)
	key := projectKey(t)
	old := ownedPlan(t, h, key, "replica-1", time.Time{})
	h.Advance(store.DefaultRetention / 2)
	young := ownedPlan(t, h, key, "replica-1", time.Time{})
	h.Advance(store.DefaultRetention/2 + expiresIn + time.Second) // past the first plan's ExpiresAt + retention
	f := store.PlanFilter{State: store.StateApplying, ProjectKey: key, LeaseBefore: time.Now()}
	if d := diff([]string{young.ID}, ids(mustPlans(t, h.Store, f))); d != "" {
		t.Errorf("Plans after the first plan's retention (-want +got):\n%s", d)
	}
	if _, err := h.Store.Plan(t.Context(), old.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Plan after retention: err = %v, want ErrNotFound", err)
	}
}

// testAuditLog: every plan's records, newest first, by project, at most
// Limit.
func testAuditLog(t *testing.T, h Harness) {
	ctx := t.Context()
	start := storeNow(t, h)
	key, other := projectKey(t), projectKey(t)
	p1, p2 := mustID(t), mustID(t)
	recs := []store.AuditRecord{
		{ID: "a1", PlanID: p1, Time: start.Add(-3 * time.Minute), ProjectKey: key, Action: "denied"},
		{ID: "a2", PlanID: p2, Time: start.Add(-time.Minute).In(time.FixedZone("Z", 3600)), ProjectKey: other, Action: "applied", Created: []string{"10001"}},
		{ID: "a3", PlanID: p1, Time: start.Add(-2 * time.Minute), ProjectKey: key, ApproverID: "U2", Action: "applied"},
		{ID: "a4", PlanID: p1, Time: start.Add(-2 * time.Minute), ProjectKey: key, Action: "undone"}, // same time as a3, appended later
	}
	for _, r := range recs {
		if err := h.Store.AppendAudit(ctx, r); err != nil {
			t.Fatalf("AppendAudit(%s): %v", r.ID, err)
		}
	}
	recs[1].Time = recs[1].Time.UTC()
	tests := []struct {
		name string
		f    store.AuditFilter
		want []store.AuditRecord
	}{
		{"all", store.AuditFilter{}, []store.AuditRecord{recs[1], recs[3], recs[2], recs[0]}},
		{"project", store.AuditFilter{ProjectKey: key}, []store.AuditRecord{recs[3], recs[2], recs[0]}},
		{"other project", store.AuditFilter{ProjectKey: other}, []store.AuditRecord{recs[1]}},
		{"limit", store.AuditFilter{ProjectKey: key, Limit: 2}, []store.AuditRecord{recs[3], recs[2]}},
		{"unknown project", store.AuditFilter{ProjectKey: projectKey(t)}, []store.AuditRecord{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Store.AuditLog(ctx, tt.f)
			if err != nil {
				t.Fatalf("AuditLog(%+v): %v", tt.f, err)
			}
			if got == nil {
				t.Fatalf("AuditLog(%+v) = nil, want a non-nil slice", tt.f)
			}
			if d := diff(tt.want, got); d != "" {
				t.Errorf("AuditLog(%+v) mismatch (-want +got):\n%s", tt.f, d)
			}
		})
	}
	// The per-plan lists are unchanged by the log.
	got, err := h.Store.Audit(ctx, p1)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if d := diff([]store.AuditRecord{recs[0], recs[2], recs[3]}, got); d != "" {
		t.Errorf("Audit(p1) mismatch (-want +got):\n%s", d)
	}
	// A record appended without a time takes the store's clock and comes first.
	if err := h.Store.AppendAudit(ctx, store.AuditRecord{PlanID: p2, ProjectKey: other, Action: "expired"}); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	if got, err := h.Store.AuditLog(ctx, store.AuditFilter{Limit: 1}); err != nil || len(got) != 1 || got[0].Action != "expired" {
		t.Errorf("AuditLog(Limit 1) after a new record = %+v, %v; want the new record", got, err)
	}
}

// testAuditLogLimits: Limit 0 is store.DefaultLimit; a record leaves the
// log Retention after its Time.
func testAuditLogLimits(t *testing.T, h Harness) {
	ctx := t.Context()
	key := projectKey(t)
	for i := range store.DefaultLimit + 1 {
		if err := h.Store.AppendAudit(ctx, store.AuditRecord{PlanID: mustID(t), ProjectKey: key, Action: fmt.Sprint(i)}); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
	}
	got, err := h.Store.AuditLog(ctx, store.AuditFilter{ProjectKey: key})
	if err != nil || len(got) != store.DefaultLimit {
		t.Fatalf("AuditLog with Limit 0 = %d records, %v; want %d", len(got), err, store.DefaultLimit)
	}

	needTTL(t, h)
	key = projectKey(t)
	start := storeNow(t, h)
	for _, r := range []store.AuditRecord{
		{ID: "old", PlanID: mustID(t), ProjectKey: key, Time: start.Add(-time.Hour)},
		{ID: "new", PlanID: mustID(t), ProjectKey: key},
	} {
		if err := h.Store.AppendAudit(ctx, r); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
	}
	logIDs := func() []string {
		t.Helper()
		got, err := h.Store.AuditLog(ctx, store.AuditFilter{ProjectKey: key})
		if err != nil {
			t.Fatalf("AuditLog: %v", err)
		}
		var out []string
		for _, r := range got {
			out = append(out, r.ID)
		}
		return out
	}
	h.Advance(store.DefaultRetention - time.Hour - time.Second)
	if d := diff([]string{"new", "old"}, logIDs()); d != "" {
		t.Errorf("within retention (-want +got):\n%s", d)
	}
	h.Advance(2 * time.Second)
	if d := diff([]string{"new"}, logIDs()); d != "" {
		t.Errorf("after the old record's retention (-want +got):\n%s", d)
	}
	h.Advance(time.Hour)
	if got := logIDs(); len(got) != 0 {
		t.Errorf("after every record's retention: %v, want none", got)
	}
}

// testNamedLease: one owner holds a named lease until it expires or is
// released; the holder renews it.
func testNamedLease(t *testing.T, h Harness) {
	needAdvance(t, h)
	ctx := t.Context()
	const ttl = 30 * time.Second
	name := "reconciler-" + mustID(t)
	acquire := func(owner string, want bool) {
		t.Helper()
		got, err := h.Store.AcquireLease(ctx, name, owner, ttl)
		if err != nil {
			t.Fatalf("AcquireLease(%s): %v", owner, err)
		}
		if got != want {
			t.Errorf("AcquireLease(%s) = %v, want %v", owner, got, want)
		}
	}
	release := func(owner string) {
		t.Helper()
		if err := h.Store.ReleaseLease(ctx, name, owner); err != nil {
			t.Fatalf("ReleaseLease(%s): %v", owner, err)
		}
	}
	acquire("a", true)
	acquire("b", false)
	h.Advance(ttl - time.Second)
	acquire("a", true) // renewed: 30 s from now
	h.Advance(ttl - time.Second)
	acquire("b", false)
	h.Advance(time.Second) // exactly the end: expired
	acquire("b", true)
	acquire("a", false)
	release("a") // not the holder: nothing
	acquire("a", false)
	release("b")
	acquire("a", true)
	release("nobody")
	if err := h.Store.ReleaseLease(ctx, "never-taken-"+mustID(t), "a"); err != nil {
		t.Errorf("ReleaseLease of a free lease: %v", err)
	}
	// Names are independent.
	if ok, err := h.Store.AcquireLease(ctx, name+"-watch", "b", ttl); err != nil || !ok {
		t.Errorf("AcquireLease of another name = %v, %v, want true", ok, err)
	}
}

// testLeaseInvalid: empty names and owners and non-positive ttls are
// refused.
func testLeaseInvalid(t *testing.T, h Harness) {
	tests := []struct {
		name, lease, owner string
		ttl                time.Duration
	}{
		{"empty name", "", "a", time.Minute},
		{"empty owner", "watch", "", time.Minute},
		{"zero ttl", "watch", "a", 0},
		{"negative ttl", "watch", "a", -time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ok, err := h.Store.AcquireLease(t.Context(), tt.lease, tt.owner, tt.ttl); err == nil || ok {
				t.Errorf("AcquireLease = %v, %v, want false and an error", ok, err)
			}
		})
	}
	if ok, err := h.Store.AcquireLease(t.Context(), "watch", "b", time.Minute); err != nil || !ok {
		t.Errorf("AcquireLease after refused calls = %v, %v, want true", ok, err)
	}
}

func testRaceAcquireLease(t *testing.T, h Harness) {
	name := "race-" + mustID(t)
	type result struct {
		ok  bool
		err error
	}
	results := race(racers, func(i int) result {
		ok, err := h.Store.AcquireLease(t.Context(), name, fmt.Sprintf("replica-%02d", i), time.Minute)
		return result{ok, err}
	})
	wins := 0
	for i, r := range results {
		if r.err != nil {
			t.Errorf("racer %d: %v", i, r.err)
		}
		if r.ok {
			wins++
		}
	}
	if wins != 1 {
		t.Errorf("%d racers hold the lease, want exactly 1", wins)
	}
}

// testBlob: a blob reads back as put, is replaced by the next put, and is
// not aliased to the caller's slice.
func testBlob(t *testing.T, h Harness) {
	ctx := t.Context()
	key := "index:" + mustID(t)
	if _, err := h.Store.Blob(ctx, key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Blob of a missing key: err = %v, want ErrNotFound", err)
	}
	data := []byte("{\"schemes\":[1,2]}\x00\xff")
	if err := h.Store.PutBlob(ctx, key, data, 0); err != nil {
		t.Fatalf("PutBlob: %v", err)
	}
	data[0] = 'X'
	got, err := h.Store.Blob(ctx, key)
	if err != nil {
		t.Fatalf("Blob: %v", err)
	}
	if d := diff([]byte("{\"schemes\":[1,2]}\x00\xff"), got); d != "" {
		t.Errorf("Blob mismatch (-want +got):\n%s", d)
	}
	got[0] = 'Y'
	if again, _ := h.Store.Blob(ctx, key); again[0] != '{' {
		t.Errorf("Blob returned a slice aliased to the store")
	}
	if err := h.Store.PutBlob(ctx, key, nil, time.Hour); err != nil {
		t.Fatalf("PutBlob (empty): %v", err)
	}
	if got, err := h.Store.Blob(ctx, key); err != nil || got == nil || len(got) != 0 {
		t.Errorf("Blob after an empty put = %q (nil %v), %v; want an empty non-nil value", got, got == nil, err)
	}
	for _, bad := range []struct {
		key string
		ttl time.Duration
	}{{"", time.Hour}, {key, -time.Second}} {
		if err := h.Store.PutBlob(ctx, bad.key, []byte("x"), bad.ttl); err == nil {
			t.Errorf("PutBlob(%q, ttl %v) = nil, want an error", bad.key, bad.ttl)
		}
	}
	// Blob keys are their own namespace.
	p := newPlan(t, h)
	if _, err := h.Store.Blob(ctx, p.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Blob(plan ID): err = %v, want ErrNotFound", err)
	}
}

// testBlobTTL: a blob is gone after its ttl; ttl 0 is the retention.
func testBlobTTL(t *testing.T, h Harness) {
	needTTL(t, h)
	ctx := t.Context()
	short, long := "cursor:"+mustID(t), "index:"+mustID(t)
	if err := h.Store.PutBlob(ctx, short, []byte("c1"), 250*time.Millisecond); err != nil {
		t.Fatalf("PutBlob: %v", err)
	}
	if err := h.Store.PutBlob(ctx, long, []byte("i1"), 0); err != nil {
		t.Fatalf("PutBlob: %v", err)
	}
	h.Advance(249 * time.Millisecond)
	if _, err := h.Store.Blob(ctx, short); err != nil {
		t.Errorf("Blob within its ttl: %v", err)
	}
	h.Advance(time.Millisecond)
	if _, err := h.Store.Blob(ctx, short); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Blob after its ttl: err = %v, want ErrNotFound", err)
	}
	h.Advance(store.DefaultRetention - time.Second)
	if _, err := h.Store.Blob(ctx, long); err != nil {
		t.Errorf("Blob (ttl 0) within the retention: %v", err)
	}
	h.Advance(time.Second)
	if _, err := h.Store.Blob(ctx, long); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Blob (ttl 0) after the retention: err = %v, want ErrNotFound", err)
	}
}
