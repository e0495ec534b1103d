package approval_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/internal/fakeclock"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

func TestCanUndo(t *testing.T) {
	t.Parallel()
	at := fakeclock.Start
	applied := store.PlanRecord{ID: "p", State: store.StateApplied, UpdatedAt: at, Record: []byte(`{}`)}
	with := func(f func(*store.PlanRecord)) store.PlanRecord { r := applied; f(&r); return r }
	tests := []struct {
		name string
		rec  store.PlanRecord
		now  time.Time
		want approval.UndoRefusal
	}{
		{"applied, within the window", applied, at.Add(time.Hour), approval.UndoAllowed},
		{"at the end of the window", applied, at.Add(2 * time.Hour), approval.UndoAllowed},
		{"after the window", applied, at.Add(2*time.Hour + time.Second), approval.UndoWindowPassed},
		{"already undone", with(func(r *store.PlanRecord) { r.State = store.StateUndone }), at, approval.UndoNotApplied},
		{"failed", with(func(r *store.PlanRecord) { r.State = store.StateFailed }), at, approval.UndoNotApplied},
		{"no record", with(func(r *store.PlanRecord) { r.Record = nil }), at, approval.UndoNoRecord},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := approval.CanUndo(tt.rec, tt.now, 2*time.Hour); got != tt.want {
				t.Errorf("CanUndo = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestUndoing(t *testing.T) {
	t.Parallel()
	got := approval.Undoing(store.PlanRecord{ID: "p"}, "U1")
	want := approval.Transition{PlanID: "p", From: store.StateApplied, To: store.StateUndone, Result: "undone by U1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Undoing (-want +got):\n%s", diff)
	}
}

func TestUndoAudit(t *testing.T) {
	t.Parallel()
	rec := store.PlanRecord{ID: "p", ProjectKey: "HELP", RequesterID: "U0", Digest: "d"}
	words := func(s repair.UndoStep) string { return s.Action }
	u := &repair.UndoResult{Steps: []repair.UndoStep{
		{Action: repair.UndoDeleteGrant, Outcome: repair.Made},
		{Action: repair.UndoDeleteGrant, Outcome: repair.Skipped, Skip: repair.SkipGone},
		{Action: repair.UndoAddGrant, Outcome: repair.Made},
	}}
	tests := []struct {
		name string
		u    *repair.UndoResult
		err  error
		want store.AuditRecord
	}{
		{"restored and skipped", u, nil, store.AuditRecord{
			PlanID: "p", ProjectKey: "HELP", RequesterID: "U0", ApproverID: "U1", Digest: "d", Action: approval.Undone, Time: fakeclock.Start,
			Created: []string{repair.UndoAddGrant}, Removed: []string{repair.UndoDeleteGrant},
			Result: "undone: 2 change(s) restored, 1 skipped",
		}},
		{"stopped", nil, errors.New("boom"), store.AuditRecord{
			PlanID: "p", ProjectKey: "HELP", RequesterID: "U0", ApproverID: "U1", Digest: "d", Action: approval.Undone, Time: fakeclock.Start,
			Result: "undone: 0 change(s) restored, 0 skipped; stopped by an error (ref r1)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := approval.UndoAudit(rec, "U1", tt.u, tt.err, "r1", words, fakeclock.Start)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("UndoAudit (-want +got):\n%s", diff)
			}
		})
	}
}
