package approval_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// directory is a Directory from a map; a group mapped to nil fails.
type directory map[string][]string

func (d directory) GroupMembers(_ context.Context, g string) ([]string, error) {
	m, ok := d[g]
	if ok && m == nil {
		return nil, errors.New("groups: unavailable")
	}
	return m, nil
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	dir := directory{"S1": {"U_MEMBER"}, "SDOWN": nil}
	policy := approval.Policy{Users: []string{"U_APPROVER", "U_REQUESTER"}, Groups: []string{"S1"}}
	tests := []struct {
		name      string
		policy    approval.Policy
		actor     string
		action    approval.Action
		want      approval.Refusal
		wantError bool
	}{
		{"approver", policy, "U_APPROVER", approval.Approve, approval.Allowed, false},
		{"group member", policy, "U_MEMBER", approval.Approve, approval.Allowed, false},
		{"outsider", policy, "U_OUTSIDER", approval.Approve, approval.NotApprover, false},
		{"requester, self-approval off", policy, "U_REQUESTER", approval.Approve, approval.SelfApproval, false},
		{"requester, self-approval on", approval.Policy{Users: policy.Users, AllowSelfApproval: true}, "U_REQUESTER", approval.Approve, approval.Allowed, false},
		{"no approvers: deny by default", approval.Policy{}, "U_APPROVER", approval.Approve, approval.NoApprovers, false},
		{"no approvers, even self-approval", approval.Policy{AllowSelfApproval: true}, "U_REQUESTER", approval.Approve, approval.NoApprovers, false},
		{"nobody", policy, "", approval.Approve, approval.NotApprover, false},
		{"group unreadable", approval.Policy{Groups: []string{"SDOWN"}}, "U_MEMBER", approval.Approve, approval.NotApprover, true},
		{"another group answers", approval.Policy{Groups: []string{"SDOWN", "S1"}}, "U_MEMBER", approval.Approve, approval.Allowed, false},
		{"requester dismisses", policy, "U_REQUESTER", approval.Dismiss, approval.Allowed, false},
		{"requester dismisses without approvers", approval.Policy{}, "U_REQUESTER", approval.Dismiss, approval.Allowed, false},
		{"approver dismisses", policy, "U_MEMBER", approval.Dismiss, approval.Allowed, false},
		{"outsider dismisses", policy, "U_OUTSIDER", approval.Dismiss, approval.NotRequesterOrApprover, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.policy.Authorize(t.Context(), dir, tt.actor, "U_REQUESTER", tt.action)
			if (err != nil) != tt.wantError {
				t.Fatalf("Authorize: err = %v, want error %v", err, tt.wantError)
			}
			if got != tt.want && err == nil {
				t.Errorf("Authorize = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	done := repair.Change{Step: repair.StepAddGrant, Done: true}
	tests := []struct {
		name string
		res  *repair.Result
		err  error
		want approval.Outcome
	}{
		{"verified", &repair.Result{Verified: true}, nil, approval.Outcome{State: store.StateApplied, Action: approval.Applied, Result: "applied; verified healthy"}},
		{"not verified", &repair.Result{}, nil, approval.Outcome{State: store.StateApplied, Action: approval.Applied, Result: "applied; not verified: problems remain"}},
		{"failed midway", &repair.Result{Changes: []repair.Change{done, {Step: repair.StepAddGrant}}}, errBoom, approval.Outcome{State: store.StateFailed, Action: approval.Failed, Result: "failed after 1 change(s) (ref r1)", Err: errBoom}},
		{"failed, no result", nil, errBoom, approval.Outcome{State: store.StateFailed, Action: approval.Failed, Result: "failed after 0 change(s) (ref r1)", Err: errBoom}},
		// Issue 9: a write whose answer was lost is not "failed after 0".
		{"unknown outcome", &repair.Result{Changes: []repair.Change{done, {Step: repair.StepAddGrant, Outcome: repair.Unknown}}}, errUnknown,
			approval.Outcome{State: store.StateFailed, Action: approval.Unknown, Result: "outcome unknown: 1 change(s) made, 1 may have been applied (ref r1)", Err: errUnknown}},
		{"unknown, no result", nil, errUnknown,
			approval.Outcome{State: store.StateFailed, Action: approval.Unknown, Result: "outcome unknown: 0 change(s) made, 1 may have been applied (ref r1)", Err: errUnknown}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := approval.Decide(tt.res, tt.err, "r1")
			got.Record = nil // pinned below
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
				t.Errorf("Decide (-want +got):\n%s", diff)
			}
		})
	}
	stale := &repair.StaleError{}
	if got := approval.Decide(nil, stale, ""); got.Stale != stale || got.Action != approval.Stale || got.State != store.StateFailed {
		t.Errorf("Decide(stale) = %+v, want a failed, stale outcome", got)
	}
	res := &repair.Result{PlanID: "p", Changes: []repair.Change{done}}
	rec, err := json.Marshal(res.Record())
	if err != nil {
		t.Fatal(err)
	}
	got := approval.Decide(res, nil, "").Transition(store.PlanRecord{ID: "p"})
	if diff := cmp.Diff(approval.Transition{PlanID: "p", From: store.StateApplying, To: store.StateApplied, Result: "applied; not verified: problems remain",
		Record: rec}, got); diff != "" {
		t.Errorf("Outcome.Transition (-want +got):\n%s", diff)
	}
}

var (
	errBoom    = errors.New("jira: 503")
	errUnknown = fmt.Errorf("add grant: %w: %w", repair.ErrUnknownOutcome, errBoom)
)

// TestTransitions: the group's transitions, and what their Mutate records
// on a plan; superseded is a field, not words.
func TestTransitions(t *testing.T) {
	t.Parallel()
	data := approval.PlanData{Group: []string{"a", "b"}}
	won := store.PlanRecord{ID: "b", Mode: "copy"}
	sup := approval.Supersede(data, won, "U1")
	want := []approval.Transition{{PlanID: "a", From: store.StatePending, To: store.StateDismissed, ApproverID: "U1", Result: "superseded: U1 approved the copy fix", SupersededBy: "b"}}
	if diff := cmp.Diff(want, sup); diff != "" {
		t.Errorf("Supersede (-want +got):\n%s", diff)
	}
	var rec store.PlanRecord
	sup[0].Mutate()(&rec)
	if rec.SupersededBy != "b" || rec.ApproverID != "U1" {
		t.Errorf("Mutate recorded %+v", rec)
	}
	if diff := cmp.Diff([]approval.Transition{
		{PlanID: "a", From: store.StatePending, To: store.StateDismissed, ApproverID: "U1", Result: "dismissed by U1"},
		{PlanID: "b", From: store.StatePending, To: store.StateDismissed, ApproverID: "U1", Result: "dismissed by U1"},
	}, approval.Dismissal(data, "U1")); diff != "" {
		t.Errorf("Dismissal (-want +got):\n%s", diff)
	}
	for _, tr := range approval.Expiry(data) {
		if tr.To != store.StateExpired || tr.Mutate() != nil {
			t.Errorf("Expiry transition %+v records fields", tr)
		}
	}
	lease := time.Date(2026, 3, 2, 9, 0, 10, 0, time.UTC)
	appr := approval.Approval(won, "U1", "host-1", lease)
	if diff := cmp.Diff(approval.Transition{PlanID: "b", From: store.StatePending, To: store.StateApplying, ApproverID: "U1", Owner: "host-1", LeaseUntil: lease}, appr); diff != "" {
		t.Errorf("Approval (-want +got):\n%s", diff)
	}
	rec = store.PlanRecord{}
	appr.Mutate()(&rec)
	if rec.Owner != "host-1" || !rec.LeaseUntil.Equal(lease) {
		t.Errorf("Approval recorded owner %q lease %v", rec.Owner, rec.LeaseUntil)
	}
	if data.ClaimKey() != "approve:a" || approval.ClaimTTL(time.Minute) != 2*time.Minute {
		t.Errorf("claim key %q, ttl %v", data.ClaimKey(), approval.ClaimTTL(time.Minute))
	}
}

// TestNewRecords: the records of a group decode back to their data.
func TestNewRecords(t *testing.T) {
	t.Parallel()
	snap := diagnosis.Snapshot{Project: diagnosis.Project{Key: "HELP", Name: "Help"}, Roles: map[string]string{"Administrators": "1"}, SharedWith: []string{"OTHER"}}
	d := &repair.Diagnosis{Snapshot: snap}
	plans := []diagnosis.Plan{{ProjectKey: "HELP", Mode: diagnosis.ModeInPlace, Digest: "d1"}, {ProjectKey: "HELP", Mode: diagnosis.ModeCopy, Digest: "d1"}}
	expires := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	recs, err := approval.NewRecords(d, plans, []string{"a", "b"}, approval.Origin{RequesterID: "U1", ChannelID: "C1", ThreadTS: "1.1"}, &approval.Report{Emails: []string{"e@example.com"}}, expires)
	if err != nil {
		t.Fatal(err)
	}
	for i, rec := range recs {
		got, err := approval.Decode(rec)
		if err != nil {
			t.Fatal(err)
		}
		want := approval.PlanData{Plan: plans[i], Group: []string{"a", "b"}, ProjectName: "Help", Roles: snap.Roles, SharedWith: snap.SharedWith, Report: &approval.Report{Emails: []string{"e@example.com"}}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("record %d decodes to (-want +got):\n%s", i, diff)
		}
		if rec.Mode != string(plans[i].Mode) || rec.RequesterID != "U1" || rec.ChannelID != "C1" || rec.ThreadTS != "1.1" || !rec.ExpiresAt.Equal(expires) || rec.MessageTS != "" {
			t.Errorf("record %d = %+v", i, rec)
		}
	}
	if _, err := approval.NewRecords(d, plans, []string{"a"}, approval.Origin{}, nil, expires); err == nil {
		t.Error("NewRecords with fewer ids than plans succeeded")
	}
}

// TestSettled: the reconciler's outcome is what Jira holds: applied when
// every change is there, failed otherwise, never "unknown".
func TestSettled(t *testing.T) {
	t.Parallel()
	made := repair.Change{Step: repair.StepAddGrant, Outcome: repair.Made, Done: true}
	notMade := repair.Change{Step: repair.StepAddGrant, Outcome: repair.NotMade}
	tests := []struct {
		name  string
		res   *repair.Result
		state store.State
		words string
	}{
		{"all there", &repair.Result{Changes: []repair.Change{made, made}}, store.StateApplied, "2 change(s) found in Jira, 0 not made"},
		{"half", &repair.Result{Changes: []repair.Change{made, notMade}}, store.StateFailed, "1 change(s) found in Jira, 1 not made"},
		{"none", &repair.Result{Changes: []repair.Change{notMade}}, store.StateFailed, "0 change(s) found in Jira, 1 not made"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := approval.Settle(tt.res)
			if o.State != tt.state || o.Action != approval.Settled || o.Result != "settled after an interrupted apply: "+tt.words || o.Record == nil {
				t.Errorf("Settle = %+v", o)
			}
		})
	}
}
