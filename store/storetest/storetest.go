// Package storetest is the executable contract of [store.Store]: Run checks
// an implementation against every rule the interface documents, in the
// manner of golang.org/x/net/nettest.TestConn.
//
// Both implementations in package store run it: Memory with an injected
// clock, Redis against miniredis in every go test and against a real Redis
// when one is configured. Run it with -race: several subtests race
// goroutines against one store.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jsmbot/jsmbot/store"
)

// Harness is one fresh, empty store under test and the means to move its
// time.
type Harness struct {
	// Store is the store under test; Run closes it when the subtest ends
	// (closing twice must be harmless).
	Store store.Store

	// Advance moves the store's clock forward by d: CreatedAt, UpdatedAt
	// and plan expiry follow it and, unless SkipTTL is set, so do TTLs
	// (marker expiry, retention). A nil Advance skips every subtest that
	// needs time to pass.
	Advance func(d time.Duration)

	// SkipTTL, if not empty, says why Advance cannot make stored keys
	// expire (a real Redis server keeps its own clock); subtests that need
	// that are skipped with this reason.
	SkipTTL string

	// Now, if set, is the store's clock. The suite reads the current time
	// from it; without it, through a throwaway record, which costs a
	// write and a read each time (a Lua script on Redis).
	Now func() time.Time
}

// Run runs the contract suite. newHarness is called once per subtest, with
// that subtest's t, and must return a fresh store that uses
// [store.DefaultRetention]; it should register its own cleanup with
// t.Cleanup. Subtests run in parallel.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"SaveAndGet", testSaveAndGet},
		{"SaveNormalizes", testSaveNormalizes},
		{"SaveInvalid", testSaveInvalid},
		{"SaveDuplicate", testSaveDuplicate},
		{"NotFound", testNotFound},
		{"AllowedTransitions", testAllowedTransitions},
		{"DisallowedTransitions", testDisallowedTransitions},
		{"TransitionFromWrongState", testTransitionFromWrongState},
		{"TransitionMutateCannotForge", testTransitionMutateCannotForge},
		{"Expiry", testExpiry},
		{"ExpiryOnlyPending", testExpiryOnlyPending},
		{"Retention", testRetention},
		{"MarkOnce", testMarkOnce},
		{"MarkOnceTTL", testMarkOnceTTL},
		{"MarkOnceInvalidTTL", testMarkOnceInvalidTTL},
		{"Offer", testOffer},
		{"OfferInvalid", testOfferInvalid},
		{"OfferRetention", testOfferRetention},
		{"Superseded", testSuperseded},
		{"AuditOrder", testAuditOrder},
		{"AuditRetention", testAuditRetention},
		{"ContextCancelled", testContextCancelled},
		{"RaceTransition", testRaceTransition},
		{"RaceMarkOnce", testRaceMarkOnce},
		{"RaceSave", testRaceSave},
		{"Closed", testClosed},
		{"PlanLeaseFields", testPlanLeaseFields},
		{"RenewLease", testRenewLease},
		{"RenewLeaseRefused", testRenewLeaseRefused},
		{"RaceRenewTransition", testRaceRenewTransition},
		{"PlansFilter", testPlansFilter},
		{"PlansLease", testPlansLease},
		{"PlansDefaultLimit", testPlansDefaultLimit},
		{"PlansRetention", testPlansRetention},
		{"AuditLog", testAuditLog},
		{"AuditLogLimits", testAuditLogLimits},
		{"NamedLease", testNamedLease},
		{"LeaseInvalid", testLeaseInvalid},
		{"RaceAcquireLease", testRaceAcquireLease},
		{"Blob", testBlob},
		{"BlobTTL", testBlobTTL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			t.Cleanup(func() { _ = h.Store.Close() })
			tt.fn(t, h)
		})
	}
}

// expiresIn is how long after creation the plans of this suite expire.
const expiresIn = 15 * time.Minute

// storeNow reads the store's clock as the store stamps it (in UTC, without
// a monotonic reading): from h.Now if the harness gives it, else through a
// throwaway record.
func storeNow(t *testing.T, h Harness) time.Time {
	t.Helper()
	if h.Now != nil {
		return h.Now().UTC()
	}
	ctx := t.Context()
	id := mustID(t)
	mustSave(t, h.Store, store.PlanRecord{ID: id, ExpiresAt: time.Now().AddDate(10, 0, 0)})
	p, err := h.Store.Plan(ctx, id)
	if err != nil {
		t.Fatalf("Plan(%q): %v", id, err)
	}
	return p.CreatedAt
}

func mustID(t *testing.T) string {
	t.Helper()
	id, err := store.NewID()
	if err != nil {
		t.Fatalf("NewID: %v", err)
	}
	return id
}

func mustSave(t *testing.T, s store.Store, p store.PlanRecord) {
	t.Helper()
	if err := s.SavePlan(t.Context(), p); err != nil {
		t.Fatalf("SavePlan(%q): %v", p.ID, err)
	}
}

func mustPlan(t *testing.T, s store.Store, id string) store.PlanRecord {
	t.Helper()
	p, err := s.Plan(t.Context(), id)
	if err != nil {
		t.Fatalf("Plan(%q): %v", id, err)
	}
	return p
}

func mustTransition(t *testing.T, s store.Store, id string, from, to store.State) store.PlanRecord {
	t.Helper()
	p, err := s.Transition(t.Context(), id, from, to, nil)
	if err != nil {
		t.Fatalf("Transition(%q, %s, %s): %v", id, from, to, err)
	}
	return p
}

// newPlan saves a plan created at the store's current time and returns it as
// stored.
func newPlan(t *testing.T, h Harness) store.PlanRecord {
	t.Helper()
	start := storeNow(t, h)
	id := mustID(t)
	mustSave(t, h.Store, store.PlanRecord{
		ID:          id,
		ProjectKey:  "HELP",
		Mode:        "copy",
		Digest:      "sha256:0f1e",
		Plan:        json.RawMessage(`{"id":"p1","mode":"copy","addGrants":[{"holder":{"type":"sd.customer.portal.only"},"permission":"BROWSE_PROJECTS"}]}`),
		RequesterID: "U0REQ",
		ChannelID:   "C0CHAN",
		MessageTS:   "1700000000.000100",
		ThreadTS:    "1700000000.000001",
		ExpiresAt:   start.Add(expiresIn),
	})
	return mustPlan(t, h.Store, id)
}

// pathTo lists the states a new plan goes through to reach state s, and
// whether s is reachable.
func pathTo(s store.State) ([]store.State, bool) {
	p, ok := map[store.State][]store.State{
		store.StatePending:   {store.StatePending},
		store.StateApplying:  {store.StatePending, store.StateApplying},
		store.StateApplied:   {store.StatePending, store.StateApplying, store.StateApplied},
		store.StateFailed:    {store.StatePending, store.StateApplying, store.StateFailed},
		store.StateDismissed: {store.StatePending, store.StateDismissed},
		store.StateExpired:   {store.StatePending, store.StateExpired},
		store.StateUndone:    {store.StatePending, store.StateApplying, store.StateApplied, store.StateUndone},
	}[s]
	return p, ok
}

// allStates lists every state.
func allStates() []store.State {
	return []store.State{
		store.StatePending, store.StateApplying, store.StateApplied, store.StateFailed,
		store.StateDismissed, store.StateExpired, store.StateUndone,
	}
}

// planIn returns a new plan brought to state s.
func planIn(t *testing.T, h Harness, s store.State) store.PlanRecord {
	t.Helper()
	p := newPlan(t, h)
	path, _ := pathTo(s)
	for i := 1; i < len(path); i++ {
		p = mustTransition(t, h.Store, p.ID, path[i-1], path[i])
	}
	return p
}

// diff compares records. Times must be identical with ==, not merely the same
// instant: the store promises UTC without a monotonic reading, so a record
// read back from Redis equals one kept in memory.
func diff(want, got any) string {
	return cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a == b }))
}

func testSaveAndGet(t *testing.T, h Harness) {
	start := storeNow(t, h)
	in := store.PlanRecord{
		ID:          mustID(t),
		State:       store.StateApplied, // ignored
		Version:     42,                 // ignored
		ProjectKey:  "HELP",
		Mode:        "in-place",
		Digest:      "sha256:abcd",
		Plan:        json.RawMessage(`{"mode":"in-place","addGrants":[],"note":"<ok> & ü"}`),
		RequesterID: "U01",
		ApproverID:  "",
		ChannelID:   "C01",
		MessageTS:   "1700000000.000200",
		ThreadTS:    "1700000000.000100",
		CreatedAt:   start.Add(-time.Hour), // ignored
		UpdatedAt:   start.Add(-time.Hour), // ignored
		// Local time with nanoseconds and a monotonic reading: the store
		// must hand back the same instant, in UTC.
		ExpiresAt: time.Now().Add(time.Hour).In(time.FixedZone("X", 5*3600+1800)),
		Result:    "",
	}
	mustSave(t, h.Store, in)
	got := mustPlan(t, h.Store, in.ID)

	want := in
	want.State = store.StatePending
	want.Version = 1
	want.CreatedAt = got.CreatedAt
	want.UpdatedAt = got.CreatedAt
	want.ExpiresAt = in.ExpiresAt.UTC()
	if d := diff(want, got); d != "" {
		t.Errorf("Plan after SavePlan mismatch (-want +got):\n%s", d)
	}
	if got.CreatedAt.Before(start) {
		t.Errorf("CreatedAt = %v, want not before the store's clock %v", got.CreatedAt, start)
	}
	if got.CreatedAt.Location() != time.UTC || got.ExpiresAt.Location() != time.UTC {
		t.Errorf("times in %v and %v, want UTC", got.CreatedAt.Location(), got.ExpiresAt.Location())
	}

	// Reading does not change anything.
	if d := diff(got, mustPlan(t, h.Store, in.ID)); d != "" {
		t.Errorf("second Plan mismatch (-want +got):\n%s", d)
	}
}

func testSaveNormalizes(t *testing.T, h Harness) {
	tests := []struct {
		name string
		in   json.RawMessage
		want json.RawMessage
	}{
		{"compacted", json.RawMessage("{ \"a\" : [ 1, 2 ],\n \"b\": \"<x>\" }"), json.RawMessage(`{"a":[1,2],"b":"<x>"}`)},
		{"nil", nil, nil},
		{"empty", json.RawMessage{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := mustID(t)
			mustSave(t, h.Store, store.PlanRecord{ID: id, Plan: tt.in, ExpiresAt: time.Now().Add(time.Hour)})
			got := mustPlan(t, h.Store, id)
			if d := cmp.Diff(string(tt.want), string(got.Plan)); d != "" {
				t.Errorf("Plan JSON mismatch (-want +got):\n%s", d)
			}
			if (tt.want == nil) != (got.Plan == nil) {
				t.Errorf("Plan = %#v, want nil = %v", got.Plan, tt.want == nil)
			}
		})
	}
}

func testSaveInvalid(t *testing.T, h Harness) {
	exp := time.Now().Add(time.Hour)
	tests := []struct {
		name string
		p    store.PlanRecord
	}{
		{"empty id", store.PlanRecord{ExpiresAt: exp}},
		{"zero expiry", store.PlanRecord{ID: mustID(t)}},
		{"invalid plan JSON", store.PlanRecord{ID: mustID(t), ExpiresAt: exp, Plan: json.RawMessage(`{"a":`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.Store.SavePlan(t.Context(), tt.p)
			if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
				t.Fatalf("SavePlan = %v, want a validation error", err)
			}
			if tt.p.ID != "" {
				if _, err := h.Store.Plan(t.Context(), tt.p.ID); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Plan after refused save: err = %v, want ErrNotFound", err)
				}
			}
		})
	}
}

func testSaveDuplicate(t *testing.T, h Harness) {
	p := newPlan(t, h)
	dup := p
	dup.ProjectKey = "OTHER"
	err := h.Store.SavePlan(t.Context(), dup)
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second SavePlan: err = %v, want ErrConflict", err)
	}
	if d := diff(p, mustPlan(t, h.Store, p.ID)); d != "" {
		t.Errorf("plan changed by refused save (-want +got):\n%s", d)
	}
	// A plan that has moved on still blocks its ID.
	mustTransition(t, h.Store, p.ID, store.StatePending, store.StateDismissed)
	if err := h.Store.SavePlan(t.Context(), dup); !errors.Is(err, store.ErrConflict) {
		t.Errorf("SavePlan over a dismissed plan: err = %v, want ErrConflict", err)
	}
}

func testNotFound(t *testing.T, h Harness) {
	ctx := t.Context()
	id := mustID(t)
	if _, err := h.Store.Plan(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Plan: err = %v, want ErrNotFound", err)
	}
	if _, err := h.Store.Plan(ctx, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Plan(\"\"): err = %v, want ErrNotFound", err)
	}
	if _, err := h.Store.Transition(ctx, id, store.StatePending, store.StateApplying, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Transition: err = %v, want ErrNotFound", err)
	}
	got, err := h.Store.Audit(ctx, id)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if got == nil || len(got) != 0 {
		t.Errorf("Audit = %#v, want an empty non-nil slice", got)
	}
}

func testAllowedTransitions(t *testing.T, h Harness) {
	for _, from := range allStates() {
		for _, to := range allStates() {
			if !from.CanTransition(to) {
				continue
			}
			t.Run(fmt.Sprintf("%s_to_%s", from, to), func(t *testing.T) {
				before := planIn(t, h, from)
				got, err := h.Store.Transition(t.Context(), before.ID, from, to, func(p *store.PlanRecord) {
					p.ApproverID = "U0APPROVER"
					p.Result = "result of " + string(to)
				})
				if err != nil {
					t.Fatalf("Transition(%s, %s): %v", from, to, err)
				}
				want := before
				want.State = to
				want.Version = before.Version + 1
				want.ApproverID = "U0APPROVER"
				want.Result = "result of " + string(to)
				want.UpdatedAt = got.UpdatedAt
				if d := diff(want, got); d != "" {
					t.Errorf("Transition result mismatch (-want +got):\n%s", d)
				}
				if got.UpdatedAt.Before(before.UpdatedAt) {
					t.Errorf("UpdatedAt = %v, want not before %v", got.UpdatedAt, before.UpdatedAt)
				}
				if d := diff(got, mustPlan(t, h.Store, before.ID)); d != "" {
					t.Errorf("Plan after Transition differs from its result (-want +got):\n%s", d)
				}
			})
		}
	}
	if h.Advance == nil {
		return
	}
	t.Run("UpdatedAt follows the clock", func(t *testing.T) {
		p := newPlan(t, h)
		h.Advance(time.Minute)
		got := mustTransition(t, h.Store, p.ID, store.StatePending, store.StateApplying)
		if want := p.CreatedAt.Add(time.Minute); !got.UpdatedAt.Equal(want) {
			t.Errorf("UpdatedAt = %v, want %v", got.UpdatedAt, want)
		}
		if !got.CreatedAt.Equal(p.CreatedAt) {
			t.Errorf("CreatedAt = %v, want unchanged %v", got.CreatedAt, p.CreatedAt)
		}
	})
}

func testDisallowedTransitions(t *testing.T, h Harness) {
	states := slices.Concat(allStates(), []store.State{"bogus"})
	// A refused transition leaves its plan as it was (each subtest checks
	// that), so one plan per state serves every refused transition from
	// it: seven plans, each walked to its state once, for the 58 refused
	// transitions. The subtests run one after another.
	plans := map[store.State]store.PlanRecord{}
	for _, s := range allStates() {
		plans[s] = planIn(t, h, s)
	}
	for _, from := range states {
		for _, to := range states {
			if from.CanTransition(to) {
				continue
			}
			t.Run(fmt.Sprintf("%s_to_%s", from, to), func(t *testing.T) {
				cur := store.StatePending
				if _, ok := pathTo(from); ok {
					cur = from
				}
				before := plans[cur]
				called := false
				_, err := h.Store.Transition(t.Context(), before.ID, from, to, func(*store.PlanRecord) { called = true })
				if !errors.Is(err, store.ErrConflict) {
					t.Fatalf("Transition(%s, %s) on a %s plan: err = %v, want ErrConflict", from, to, cur, err)
				}
				if called {
					t.Errorf("mutate was called for a disallowed transition")
				}
				if d := diff(before, mustPlan(t, h.Store, before.ID)); d != "" {
					t.Errorf("plan changed by refused transition (-want +got):\n%s", d)
				}
			})
		}
	}
	t.Run("checked before lookup", func(t *testing.T) {
		_, err := h.Store.Transition(t.Context(), mustID(t), store.StateApplied, store.StatePending, nil)
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("disallowed Transition of a missing plan: err = %v, want ErrConflict", err)
		}
	})
}

func testTransitionFromWrongState(t *testing.T, h Harness) {
	tests := []struct {
		name     string
		cur      store.State
		from, to store.State
	}{
		{"apply twice", store.StateApplying, store.StatePending, store.StateApplying},
		{"finish a pending plan", store.StatePending, store.StateApplying, store.StateApplied},
		{"dismiss an applying plan", store.StateApplying, store.StatePending, store.StateDismissed},
		{"undo a failed plan", store.StateFailed, store.StateApplied, store.StateUndone},
		{"undo twice", store.StateUndone, store.StateApplied, store.StateUndone},
		{"approve a dismissed plan", store.StateDismissed, store.StatePending, store.StateApplying},
		{"expire twice", store.StateExpired, store.StatePending, store.StateExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := planIn(t, h, tt.cur)
			_, err := h.Store.Transition(t.Context(), before.ID, tt.from, tt.to, func(p *store.PlanRecord) { p.Result = "x" })
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("Transition(%s, %s) on a %s plan: err = %v, want ErrConflict", tt.from, tt.to, tt.cur, err)
			}
			if d := diff(before, mustPlan(t, h.Store, before.ID)); d != "" {
				t.Errorf("plan changed by refused transition (-want +got):\n%s", d)
			}
		})
	}
}

func testTransitionMutateCannotForge(t *testing.T, h Harness) {
	before := newPlan(t, h)
	got, err := h.Store.Transition(t.Context(), before.ID, store.StatePending, store.StateApplying, func(p *store.PlanRecord) {
		p.ID = "forged"
		p.State = store.StateApplied
		p.Version = 99
		p.CreatedAt = time.Unix(0, 0)
		p.UpdatedAt = time.Unix(0, 0)
		p.ApproverID = "U0A"
	})
	if err != nil {
		t.Fatalf("Transition: %v", err)
	}
	if got.ID != before.ID || got.State != store.StateApplying || got.Version != before.Version+1 ||
		!got.CreatedAt.Equal(before.CreatedAt) || got.UpdatedAt.Before(before.UpdatedAt) || got.ApproverID != "U0A" {
		t.Errorf("Transition = %+v, want ID %q, state applying, version %d, CreatedAt %v kept, ApproverID U0A",
			got, before.ID, before.Version+1, before.CreatedAt)
	}
	if _, err := h.Store.Plan(t.Context(), "forged"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Plan(forged): err = %v, want ErrNotFound", err)
	}
}

func needAdvance(t *testing.T, h Harness) {
	t.Helper()
	if h.Advance == nil {
		t.Skip("harness cannot move the store's clock (Advance is nil)")
	}
}

func needTTL(t *testing.T, h Harness) {
	t.Helper()
	needAdvance(t, h)
	if h.SkipTTL != "" {
		t.Skip(h.SkipTTL)
	}
}

func testExpiry(t *testing.T, h Harness) {
	needAdvance(t, h)
	ctx := t.Context()
	p := newPlan(t, h)
	other := newPlan(t, h)

	h.Advance(expiresIn - time.Second)
	if got := mustPlan(t, h.Store, p.ID); got.State != store.StatePending {
		t.Fatalf("1s before ExpiresAt: state = %s, want pending", got.State)
	}
	mustTransition(t, h.Store, other.ID, store.StatePending, store.StateApplying)

	h.Advance(time.Second) // exactly ExpiresAt: expired
	got := mustPlan(t, h.Store, p.ID)
	want := p
	want.State = store.StateExpired
	if d := diff(want, got); d != "" {
		t.Errorf("Plan at ExpiresAt mismatch (-want +got):\n%s", d)
	}
	for _, to := range []store.State{store.StateApplying, store.StateDismissed} {
		if _, err := h.Store.Transition(ctx, p.ID, store.StatePending, to, nil); !errors.Is(err, store.ErrConflict) {
			t.Errorf("Transition(pending, %s) after expiry: err = %v, want ErrConflict", to, err)
		}
	}
	if d := diff(want, mustPlan(t, h.Store, p.ID)); d != "" {
		t.Errorf("expired plan changed by refused transitions (-want +got):\n%s", d)
	}

	// Recording the expiry works once.
	rec, err := h.Store.Transition(ctx, p.ID, store.StatePending, store.StateExpired, func(r *store.PlanRecord) { r.Result = "expired" })
	if err != nil {
		t.Fatalf("Transition(pending, expired) after expiry: %v", err)
	}
	if rec.State != store.StateExpired || rec.Version != p.Version+1 || rec.Result != "expired" {
		t.Errorf("recorded expiry = %+v, want state expired, version %d, result set", rec, p.Version+1)
	}
	if _, err := h.Store.Transition(ctx, p.ID, store.StatePending, store.StateExpired, nil); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second Transition(pending, expired): err = %v, want ErrConflict", err)
	}
	if d := diff(rec, mustPlan(t, h.Store, p.ID)); d != "" {
		t.Errorf("Plan after recorded expiry (-want +got):\n%s", d)
	}
}

func testExpiryOnlyPending(t *testing.T, h Harness) {
	needAdvance(t, h)
	p := planIn(t, h, store.StateApplying)
	h.Advance(2 * expiresIn)
	if got := mustPlan(t, h.Store, p.ID); got.State != store.StateApplying {
		t.Fatalf("applying plan past ExpiresAt: state = %s, want applying", got.State)
	}
	mustTransition(t, h.Store, p.ID, store.StateApplying, store.StateApplied)
	mustTransition(t, h.Store, p.ID, store.StateApplied, store.StateUndone)
}

func testRetention(t *testing.T, h Harness) {
	needTTL(t, h)
	const r = store.DefaultRetention
	ctx := t.Context()

	t.Run("pending", func(t *testing.T) {
		p := newPlan(t, h)
		h.Advance(expiresIn + r - time.Second)
		if got := mustPlan(t, h.Store, p.ID); got.State != store.StateExpired {
			t.Fatalf("just before retention ends: state = %s, want expired", got.State)
		}
		h.Advance(2 * time.Second)
		if _, err := h.Store.Plan(ctx, p.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Plan after retention: err = %v, want ErrNotFound", err)
		}
		// A forgotten ID is free again.
		mustSave(t, h.Store, store.PlanRecord{ID: p.ID, ExpiresAt: p.ExpiresAt.Add(2 * r)})
	})
	t.Run("transition restarts it", func(t *testing.T) {
		p := newPlan(t, h)
		h.Advance(expiresIn / 2)
		mustTransition(t, h.Store, p.ID, store.StatePending, store.StateApplying)
		h.Advance(r - time.Hour) // past ExpiresAt, within its retention
		mustTransition(t, h.Store, p.ID, store.StateApplying, store.StateApplied)
		h.Advance(r - time.Second) // well past ExpiresAt + r, within r of the last write
		if got := mustPlan(t, h.Store, p.ID); got.State != store.StateApplied {
			t.Fatalf("state = %s, want applied", got.State)
		}
		h.Advance(2 * time.Second)
		if _, err := h.Store.Plan(ctx, p.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Plan after retention: err = %v, want ErrNotFound", err)
		}
	})
}

func testMarkOnce(t *testing.T, h Harness) {
	ctx := t.Context()
	key := "envelope:" + mustID(t)
	for i, want := range []bool{true, false, false} {
		got, err := h.Store.MarkOnce(ctx, key, 10*time.Minute)
		if err != nil {
			t.Fatalf("MarkOnce #%d: %v", i+1, err)
		}
		if got != want {
			t.Errorf("MarkOnce #%d = %v, want %v", i+1, got, want)
		}
	}
	got, err := h.Store.MarkOnce(ctx, key+"-other", 10*time.Minute)
	if err != nil || !got {
		t.Errorf("MarkOnce of another key = %v, %v, want true, nil", got, err)
	}
}

func testMarkOnceTTL(t *testing.T, h Harness) {
	needTTL(t, h)
	ctx := t.Context()
	const ttl = 10 * time.Minute
	key := "event:" + mustID(t)
	mark := func(want bool) {
		t.Helper()
		got, err := h.Store.MarkOnce(ctx, key, ttl)
		if err != nil {
			t.Fatalf("MarkOnce: %v", err)
		}
		if got != want {
			t.Errorf("MarkOnce = %v, want %v", got, want)
		}
	}
	mark(true)
	h.Advance(ttl - time.Second)
	mark(false) // does not extend the marker
	h.Advance(time.Second)
	mark(true)
	mark(false)

	// Sub-second TTLs work too.
	short := "short:" + mustID(t)
	if ok, err := h.Store.MarkOnce(ctx, short, 250*time.Millisecond); err != nil || !ok {
		t.Fatalf("MarkOnce(250ms) = %v, %v, want true, nil", ok, err)
	}
	h.Advance(250 * time.Millisecond)
	if ok, err := h.Store.MarkOnce(ctx, short, 250*time.Millisecond); err != nil || !ok {
		t.Errorf("MarkOnce(250ms) after 250ms = %v, %v, want true, nil", ok, err)
	}
}

func testMarkOnceInvalidTTL(t *testing.T, h Harness) {
	for _, ttl := range []time.Duration{0, -time.Second} {
		key := "bad:" + mustID(t)
		if ok, err := h.Store.MarkOnce(t.Context(), key, ttl); err == nil || ok {
			t.Errorf("MarkOnce(ttl %v) = %v, %v, want false and an error", ttl, ok, err)
		}
	}
}

func testAuditOrder(t *testing.T, h Harness) {
	ctx := t.Context()
	planID, otherID := mustID(t), mustID(t)
	start := storeNow(t, h)
	recs := []store.AuditRecord{
		{ID: "a1", PlanID: planID, Time: start.Add(-time.Minute).In(time.FixedZone("Y", -7*3600)), RequesterID: "U1", ProjectKey: "HELP", Digest: "d1", Action: "denied", Result: "not an approver"},
		{PlanID: planID, RequesterID: "U1", ApproverID: "U2", ProjectKey: "HELP", Digest: "d1", Action: "applied", Result: "2 grants added",
			Created: []string{"sd.customer.portal.only:BROWSE_PROJECTS", "sd.customer.portal.only:CREATE_ISSUES"}},
		{ID: "a3", PlanID: planID, Time: start.Add(-time.Hour), ApproverID: "U2", Action: "undone", Removed: []string{"g1"}, Created: []string{}},
	}
	for i, r := range recs {
		if err := h.Store.AppendAudit(ctx, r); err != nil {
			t.Fatalf("AppendAudit #%d: %v", i+1, err)
		}
		if h.Advance != nil {
			h.Advance(time.Second)
		}
	}
	if err := h.Store.AppendAudit(ctx, store.AuditRecord{ID: "o1", PlanID: otherID, Time: start, Action: "dismissed"}); err != nil {
		t.Fatalf("AppendAudit (other plan): %v", err)
	}

	got, err := h.Store.Audit(ctx, planID)
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if len(got) != len(recs) {
		t.Fatalf("Audit returned %d records, want %d: %+v", len(got), len(recs), got)
	}
	if got[1].ID == "" || got[1].ID == got[0].ID || got[1].Time.Before(start) {
		t.Errorf("record without ID and time got ID %q, time %v; want a new ID and the store's clock (>= %v)", got[1].ID, got[1].Time, start)
	}
	want := []store.AuditRecord{recs[0], recs[1], recs[2]}
	want[0].Time = want[0].Time.UTC()
	want[1].ID, want[1].Time = got[1].ID, got[1].Time
	want[2].Created = nil // empty lists come back as nil
	if d := diff(want, got); d != "" {
		t.Errorf("Audit mismatch (-want +got):\n%s", d)
	}

	other, err := h.Store.Audit(ctx, otherID)
	if err != nil {
		t.Fatalf("Audit (other plan): %v", err)
	}
	if d := diff([]store.AuditRecord{{ID: "o1", PlanID: otherID, Time: start, Action: "dismissed"}}, other); d != "" {
		t.Errorf("Audit (other plan) mismatch (-want +got):\n%s", d)
	}

	if err := h.Store.AppendAudit(ctx, store.AuditRecord{Action: "applied"}); err == nil {
		t.Errorf("AppendAudit without PlanID: err = nil, want an error")
	}
}

func testAuditRetention(t *testing.T, h Harness) {
	needTTL(t, h)
	ctx := t.Context()
	planID := mustID(t)
	appendOne := func(action string) {
		t.Helper()
		if err := h.Store.AppendAudit(ctx, store.AuditRecord{PlanID: planID, Action: action}); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
	}
	count := func() int {
		t.Helper()
		got, err := h.Store.Audit(ctx, planID)
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		return len(got)
	}
	appendOne("denied")
	h.Advance(store.DefaultRetention - time.Hour)
	appendOne("applied") // keeps both for another retention period
	h.Advance(store.DefaultRetention - time.Second)
	if n := count(); n != 2 {
		t.Fatalf("within retention of the last append: %d records, want 2", n)
	}
	h.Advance(2 * time.Second)
	if n := count(); n != 0 {
		t.Errorf("after retention: %d records, want 0", n)
	}
}

func testContextCancelled(t *testing.T, h Harness) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s := h.Store
	existing := newPlan(t, h)
	id := mustID(t)
	exp := time.Now().Add(time.Hour)

	check := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: err = %v, want context.Canceled", name, err)
		}
	}
	check("SavePlan", s.SavePlan(ctx, store.PlanRecord{ID: id, ExpiresAt: exp}))
	_, err := s.Plan(ctx, existing.ID)
	check("Plan", err)
	_, err = s.Transition(ctx, existing.ID, store.StatePending, store.StateApplying, nil)
	check("Transition", err)
	ok, err := s.MarkOnce(ctx, "ctx:"+id, time.Minute)
	check("MarkOnce", err)
	if ok {
		t.Errorf("MarkOnce with a cancelled context = true, want false")
	}
	check("AppendAudit", s.AppendAudit(ctx, store.AuditRecord{PlanID: id, Action: "applied"}))
	_, err = s.Audit(ctx, id)
	check("Audit", err)
	check("SaveOffer", s.SaveOffer(ctx, store.OfferRecord{ID: id, ExpiresAt: exp}))
	_, err = s.Offer(ctx, id)
	check("Offer", err)
	check("Ping", s.Ping(ctx))
	_, err = s.RenewLease(ctx, existing.ID, "replica-1", exp, json.RawMessage(`{}`))
	check("RenewLease", err)
	_, err = s.Plans(ctx, store.PlanFilter{})
	check("Plans", err)
	_, err = s.AuditLog(ctx, store.AuditFilter{})
	check("AuditLog", err)
	ok, err = s.AcquireLease(ctx, "ctx:"+id, "replica-1", time.Minute)
	check("AcquireLease", err)
	if ok {
		t.Errorf("AcquireLease with a cancelled context = true, want false")
	}
	check("ReleaseLease", s.ReleaseLease(ctx, "ctx:"+id, "replica-1"))
	check("PutBlob", s.PutBlob(ctx, "ctx:"+id, []byte("x"), time.Minute))
	_, err = s.Blob(ctx, "ctx:"+id)
	check("Blob", err)

	// Nothing was written.
	if ok, err := s.AcquireLease(t.Context(), "ctx:"+id, "replica-2", time.Minute); err != nil || !ok {
		t.Errorf("AcquireLease after a cancelled AcquireLease = %v, %v, want true, nil", ok, err)
	}
	if _, err := s.Blob(t.Context(), "ctx:"+id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Blob of a blob put with a cancelled context: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Offer(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Offer of an offer saved with a cancelled context: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Plan(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Plan of a plan saved with a cancelled context: err = %v, want ErrNotFound", err)
	}
	if d := diff(existing, mustPlan(t, s, existing.ID)); d != "" {
		t.Errorf("plan changed by a cancelled Transition (-want +got):\n%s", d)
	}
	if ok, err := s.MarkOnce(t.Context(), "ctx:"+id, time.Minute); err != nil || !ok {
		t.Errorf("MarkOnce after a cancelled MarkOnce = %v, %v, want true, nil", ok, err)
	}
	if got, err := s.Audit(t.Context(), id); err != nil || len(got) != 0 {
		t.Errorf("Audit after a cancelled AppendAudit = %v, %v, want no records", got, err)
	}
}

// race runs fn in n goroutines released at once and returns their results.
func race[T any](n int, fn func(i int) T) []T {
	out := make([]T, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			out[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return out
}

const racers = 32

func testRaceTransition(t *testing.T, h Harness) {
	p := newPlan(t, h)
	type result struct {
		rec store.PlanRecord
		err error
	}
	results := race(racers, func(i int) result {
		rec, err := h.Store.Transition(t.Context(), p.ID, store.StatePending, store.StateApplying, func(r *store.PlanRecord) {
			r.ApproverID = fmt.Sprintf("U%02d", i)
		})
		return result{rec, err}
	})
	var winners []store.PlanRecord
	for i, r := range results {
		switch {
		case r.err == nil:
			winners = append(winners, r.rec)
		case !errors.Is(r.err, store.ErrConflict):
			t.Errorf("racer %d: err = %v, want nil or ErrConflict", i, r.err)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d racers won, want exactly 1", len(winners))
	}
	if d := diff(winners[0], mustPlan(t, h.Store, p.ID)); d != "" {
		t.Errorf("stored plan is not the winner's (-want +got):\n%s", d)
	}
	if got := winners[0].Version; got != p.Version+1 {
		t.Errorf("Version = %d, want %d", got, p.Version+1)
	}
}

func testRaceMarkOnce(t *testing.T, h Harness) {
	key := "race:" + mustID(t)
	type result struct {
		ok  bool
		err error
	}
	results := race(racers, func(int) result {
		ok, err := h.Store.MarkOnce(t.Context(), key, time.Minute)
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
		t.Errorf("%d racers got true, want exactly 1", wins)
	}
}

func testRaceSave(t *testing.T, h Harness) {
	id := mustID(t)
	exp := time.Now().Add(time.Hour)
	errs := race(racers, func(i int) error {
		return h.Store.SavePlan(t.Context(), store.PlanRecord{ID: id, ExpiresAt: exp, RequesterID: fmt.Sprintf("U%02d", i)})
	})
	var winner string
	for i, err := range errs {
		switch {
		case err == nil:
			if winner != "" {
				t.Errorf("racers %s and U%02d both saved", winner, i)
			}
			winner = fmt.Sprintf("U%02d", i)
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("racer %d: err = %v, want nil or ErrConflict", i, err)
		}
	}
	if winner == "" {
		t.Fatal("no racer saved the plan")
	}
	if got := mustPlan(t, h.Store, id).RequesterID; got != winner {
		t.Errorf("stored RequesterID = %q, want the winner %q", got, winner)
	}
}

func testClosed(t *testing.T, h Harness) {
	p := newPlan(t, h)
	s := h.Store
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ctx := t.Context()
	check := func(name string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s after Close: err = nil, want an error", name)
		}
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
			t.Errorf("%s after Close: err = %v, want neither ErrNotFound nor ErrConflict", name, err)
		}
	}
	check("SavePlan", s.SavePlan(ctx, store.PlanRecord{ID: mustID(t), ExpiresAt: time.Now().Add(time.Hour)}))
	_, err := s.Plan(ctx, p.ID)
	check("Plan", err)
	_, err = s.Transition(ctx, p.ID, store.StatePending, store.StateApplying, nil)
	check("Transition", err)
	_, err = s.MarkOnce(ctx, "closed", time.Minute)
	check("MarkOnce", err)
	check("AppendAudit", s.AppendAudit(ctx, store.AuditRecord{PlanID: p.ID}))
	_, err = s.Audit(ctx, p.ID)
	check("Audit", err)
	check("SaveOffer", s.SaveOffer(ctx, store.OfferRecord{ID: mustID(t), ExpiresAt: time.Now().Add(time.Hour)}))
	_, err = s.Offer(ctx, p.ID)
	check("Offer", err)
	check("Ping", s.Ping(ctx))
	_, err = s.RenewLease(ctx, p.ID, "replica-1", time.Now(), nil)
	check("RenewLease", err)
	_, err = s.Plans(ctx, store.PlanFilter{})
	check("Plans", err)
	_, err = s.AuditLog(ctx, store.AuditFilter{})
	check("AuditLog", err)
	_, err = s.AcquireLease(ctx, "closed", "replica-1", time.Minute)
	check("AcquireLease", err)
	check("ReleaseLease", s.ReleaseLease(ctx, "closed", "replica-1"))
	check("PutBlob", s.PutBlob(ctx, "closed", []byte("x"), time.Minute))
	_, err = s.Blob(ctx, "closed")
	check("Blob", err)
	_ = s.Close() // a second Close must not panic
}

func mustOffer(t *testing.T, s store.Store, id string) store.OfferRecord {
	t.Helper()
	o, err := s.Offer(t.Context(), id)
	if err != nil {
		t.Fatalf("Offer(%q): %v", id, err)
	}
	return o
}

// testOffer: an offer reads back as saved, in UTC with CreatedAt from the
// store's clock; it is never overwritten; and offers and plans do not
// share IDs.
func testOffer(t *testing.T, h Harness) {
	ctx := t.Context()
	start := storeNow(t, h)
	in := store.OfferRecord{
		ID:          mustID(t),
		ProjectKey:  "NOPA",
		PortalID:    "7",
		Emails:      []string{"erin@example.com", "newbie@example.org"},
		Error:       "The following customers could not be added <ok> & ü",
		RequesterID: "U01",
		ChannelID:   "C01",
		MessageTS:   "1700000000.000200",
		ThreadTS:    "1700000000.000100",
		CreatedAt:   start.Add(-time.Hour), // ignored
		ExpiresAt:   time.Now().Add(time.Hour).In(time.FixedZone("X", 5*3600+1800)),
	}
	if err := h.Store.SaveOffer(ctx, in); err != nil {
		t.Fatalf("SaveOffer: %v", err)
	}
	got := mustOffer(t, h.Store, in.ID)
	want := in
	want.CreatedAt = got.CreatedAt
	want.ExpiresAt = in.ExpiresAt.UTC()
	if d := diff(want, got); d != "" {
		t.Errorf("Offer after SaveOffer mismatch (-want +got):\n%s", d)
	}
	if got.CreatedAt.Before(start) || got.CreatedAt.Location() != time.UTC || got.ExpiresAt.Location() != time.UTC {
		t.Errorf("CreatedAt %v, ExpiresAt %v: want UTC, not before the store's clock %v", got.CreatedAt, got.ExpiresAt, start)
	}

	again := in
	again.ProjectKey = "OTHER"
	if err := h.Store.SaveOffer(ctx, again); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second SaveOffer of %s: err = %v, want ErrConflict", in.ID, err)
	}
	if d := diff(got, mustOffer(t, h.Store, in.ID)); d != "" {
		t.Errorf("offer changed by a refused save (-want +got):\n%s", d)
	}

	if _, err := h.Store.Plan(ctx, in.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Plan(offer ID): err = %v, want ErrNotFound", err)
	}
	p := newPlan(t, h)
	if _, err := h.Store.Offer(ctx, p.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Offer(plan ID): err = %v, want ErrNotFound", err)
	}
	if _, err := h.Store.Offer(ctx, mustID(t)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Offer(unknown): err = %v, want ErrNotFound", err)
	}
}

func testOfferInvalid(t *testing.T, h Harness) {
	tests := []struct {
		name string
		o    store.OfferRecord
	}{
		{"empty ID", store.OfferRecord{ExpiresAt: time.Now().Add(time.Hour)}},
		{"zero ExpiresAt", store.OfferRecord{ID: mustID(t)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.Store.SaveOffer(t.Context(), tt.o)
			if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
				t.Errorf("SaveOffer: err = %v, want a plain error", err)
			}
			if tt.o.ID != "" {
				if _, err := h.Store.Offer(t.Context(), tt.o.ID); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Offer after a refused save: err = %v, want ErrNotFound", err)
				}
			}
		})
	}
}

// testOfferRetention: an offer outlives its ExpiresAt, unchanged, until its
// retention ends.
func testOfferRetention(t *testing.T, h Harness) {
	needTTL(t, h)
	const r = store.DefaultRetention
	o := store.OfferRecord{ID: mustID(t), ChannelID: "C01", ExpiresAt: storeNow(t, h).Add(expiresIn)}
	if err := h.Store.SaveOffer(t.Context(), o); err != nil {
		t.Fatalf("SaveOffer: %v", err)
	}
	saved := mustOffer(t, h.Store, o.ID)
	h.Advance(expiresIn + r - time.Second)
	if d := diff(saved, mustOffer(t, h.Store, o.ID)); d != "" {
		t.Errorf("offer past ExpiresAt, within retention (-want +got):\n%s", d)
	}
	h.Advance(2 * time.Second)
	if _, err := h.Store.Offer(t.Context(), o.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Offer after retention: err = %v, want ErrNotFound", err)
	}
}

// testSuperseded: SupersededBy is recorded by a transition's mutate, kept
// by later reads, and empty for a plain dismissal.
func testSuperseded(t *testing.T, h Harness) {
	won, lost, dismissed := newPlan(t, h), newPlan(t, h), newPlan(t, h)
	mustTransition(t, h.Store, won.ID, store.StatePending, store.StateApplying)
	got, err := h.Store.Transition(t.Context(), lost.ID, store.StatePending, store.StateDismissed, func(p *store.PlanRecord) {
		p.ApproverID = "U0A"
		p.SupersededBy = won.ID
	})
	if err != nil {
		t.Fatalf("Transition: %v", err)
	}
	if got.SupersededBy != won.ID || got.State != store.StateDismissed {
		t.Errorf("Transition = %s superseded by %q, want dismissed superseded by %s", got.State, got.SupersededBy, won.ID)
	}
	if d := diff(got, mustPlan(t, h.Store, lost.ID)); d != "" {
		t.Errorf("superseded plan read back (-want +got):\n%s", d)
	}
	if got := mustTransition(t, h.Store, dismissed.ID, store.StatePending, store.StateDismissed); got.SupersededBy != "" {
		t.Errorf("a plain dismissal is superseded by %q, want empty", got.SupersededBy)
	}
}
