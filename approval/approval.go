// Package approval is the approval lifecycle of a repair, in terms no chat
// platform owns: which repairs a diagnosis offers and how they are stored,
// who may approve or dismiss them, how one decision wins among clicks and
// replicas, and what is recorded when a plan is applied, dismissed or
// expires. It decides; it never calls Slack, Jira or the store. A chat
// front end (package bot for Slack; Microsoft Teams is next) gathers what a
// decision needs, asks this package, and carries the answer out: it shows
// messages in its own way, and writes the store transitions and audit
// records this package returns.
//
// # The lifecycle a front end follows
//
//	plan:    d := engine.Diagnose(…); plans := Offers(d)
//	         recs := NewRecords(d, plans, ids, origin, report, expires)
//	         show the diagnosis without buttons, store recs (with the message's
//	         id in MessageTS), then add the buttons: no button before its plan
//	approve: rec := store.Plan(id); data := Decode(rec); Usable(rec)?
//	         (Approval takes the replica's owner id and a lease it renews)
//	         Policy.Authorize(…, Approve) → a Refusal is told and audited (Denied)
//	         store.MarkOnce(data.ClaimKey(), ClaimTTL(ttl)): the first decision on
//	         the message wins; then Approval(rec, actor) must succeed (a CAS)
//	         Supersede(data, rec, actor) retires the other offered plans
//	apply:   res, err := engine.Apply(ctx, data.Plan, repair.WithPlanID(rec.ID))
//	record:  o := Decide(res, err, ref); o.Transition(rec), o.Audit(…)
//	         a stale plan (o.Stale) is followed by the fresh diagnosis, offered again
//	dismiss: Policy.Authorize(…, Dismiss); the claim; Dismissal(data, actor)
//	expire:  Expiry(data) when Usable finds a plan past its ExpiresAt
//	settle:  for an applying plan whose lease ran out (its owner died), the
//	         reconciler reads Jira (engine.Settle) and records Settle(res)
//	undo:    Policy.IsApprover(actor); CanUndo(rec, now, window); then
//	         Undoing(rec, actor) must succeed (a CAS, one click wins);
//	         u, err := engine.Undo(ctx, record); UndoAudit(rec, actor, u, err, …)
//
// Every state change is a [Transition] value: a compare-and-set the front
// end's executor runs with [Transition.Mutate]; every decision is an audit
// record built by [Audit] with one of the Action words below.
//
// # Where things go
//
// A rule about who may decide belongs in [Policy]; a new outcome of an
// apply in [Decide]; a new lifecycle state in package store first (its
// state machine), then here. Words, buttons and message layouts are the
// front end's: package bot renders Block Kit from these values.
package approval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// The audit actions, the words [store.AuditRecord.Action] holds.
const (
	Applied   = "applied"   // the plan was applied (verified or not)
	Failed    = "failed"    // applying stopped with an error
	Unknown   = "unknown"   // a write's outcome could not be confirmed: Jira may hold it
	Settled   = "settled"   // the reconciler settled an interrupted apply from what Jira holds
	Stale     = "stale"     // the project changed since the diagnosis; nothing was written
	Denied    = "denied"    // a click was refused by the policy
	Dismissed = "dismissed" // the requester or an approver dismissed the offer
	Expired   = "expired"   // nobody approved before the plan expired
	Invited   = "invited"   // the reported customers were added again
	Undone    = "undone"    // an applied repair was reverted
)

// Action is what a click asks for.
type Action int

// The actions a policy is asked about.
const (
	Approve Action = iota // apply a plan
	Dismiss               // retire every plan offered in a message
)

// Refusal is why the policy refuses a click; [Allowed] when it does not.
// Front ends put it in their own words.
type Refusal int

// The policy's answers.
const (
	Allowed                Refusal = iota
	NoApprovers                    // the approver list is empty: nobody may approve (deny by default)
	SelfApproval                   // the requester may not approve their own request
	NotApprover                    // the actor is not an approver
	NotRequesterOrApprover         // only the requester or an approver may dismiss
)

// Directory tells the members of a group of users. A front end implements
// it with its platform's API (Slack user groups, Teams groups).
type Directory interface {
	GroupMembers(ctx context.Context, group string) ([]string, error)
}

// Policy is who may decide. Its zero value lets nobody approve.
type Policy struct {
	// Users may approve.
	Users []string
	// Groups' members may approve, as the Directory says.
	Groups []string
	// AllowSelfApproval lets the requester approve their own request.
	AllowSelfApproval bool
}

// Authorize applies the policy to actor's action on a plan requested by
// requester: deny by default (no approvers, nobody approves), approvers
// only, no self-approval unless allowed; a dismissal is the requester's or
// an approver's. It asks dir only when the lists do not answer alone; an
// error means the groups could not be read, and nothing may be decided.
func (p Policy) Authorize(ctx context.Context, dir Directory, actor, requester string, a Action) (Refusal, error) {
	if a == Dismiss {
		if actor != "" && actor == requester {
			return Allowed, nil
		}
		is, err := p.IsApprover(ctx, dir, actor)
		if err != nil || is {
			return Allowed, err
		}
		return NotRequesterOrApprover, nil
	}
	if len(p.Users) == 0 && len(p.Groups) == 0 {
		return NoApprovers, nil
	}
	if actor == requester && !p.AllowSelfApproval {
		return SelfApproval, nil
	}
	is, err := p.IsApprover(ctx, dir, actor)
	if err != nil {
		return NotApprover, err
	}
	if !is {
		return NotApprover, nil
	}
	return Allowed, nil
}

// IsApprover reports whether actor is listed, directly or through one of
// the groups. A group that cannot be read is an error unless another
// group answers yes.
func (p Policy) IsApprover(ctx context.Context, dir Directory, actor string) (bool, error) {
	if actor == "" {
		return false, nil
	}
	if slices.Contains(p.Users, actor) {
		return true, nil
	}
	var errs []error
	for _, g := range p.Groups {
		members, err := dir.GroupMembers(ctx, g)
		if err != nil {
			errs = append(errs, fmt.Errorf("members of group %s: %w", g, err))
			continue
		}
		if slices.Contains(members, actor) {
			return true, nil
		}
	}
	return false, errors.Join(errs...)
}

// Report is what a plan answering a report of failed invites remembers
// beyond the repair: the customers to add again once it is applied and
// verified.
type Report struct {
	Emails []string `json:"emails"`
}

// PlanData is what a front end keeps beside the plan in
// [store.PlanRecord.Plan]: enough to render every later message without
// asking Jira again.
type PlanData struct {
	Plan diagnosis.Plan `json:"plan"`
	// Group lists the IDs of every plan offered in the same message, this
	// one included, in offer order. Approving one dismisses the others,
	// and only one of them may ever be applied.
	Group       []string          `json:"group"`
	ProjectName string            `json:"projectName,omitempty"`
	Roles       map[string]string `json:"roles,omitempty"`
	SharedWith  []string          `json:"sharedWith,omitempty"`
	// Report, when the diagnosis answered a report of failed invites,
	// holds the customers to add again after a verified fix.
	Report *Report `json:"report,omitempty"`
}

// Decode reads the PlanData of a stored plan.
func Decode(rec store.PlanRecord) (PlanData, error) {
	var d PlanData
	if err := json.Unmarshal(rec.Plan, &d); err != nil {
		return d, fmt.Errorf("decode plan %s: %w", rec.ID, err)
	}
	if len(d.Group) == 0 {
		d.Group = []string{rec.ID}
	}
	return d, nil
}

// ClaimKey is the store marker the first decision on a message's plans
// sets ([store.Store.MarkOnce]): of an approval of either offered mode and
// a dismissal, across replicas, exactly one proceeds.
func (d PlanData) ClaimKey() string { return "approve:" + d.Group[0] }

// ClaimTTL is how long a claim is kept: well past the plans' expiry.
func ClaimTTL(planTTL time.Duration) time.Duration { return 2 * planTTL }

// Others lists the plans offered with id, in offer order.
func (d PlanData) Others(id string) []string {
	var out []string
	for _, g := range d.Group {
		if g != id {
			out = append(out, g)
		}
	}
	return out
}

// Offers returns the repairs to offer for a diagnosis: none when there is
// nothing to repair, the auto plan when the scheme serves this project
// alone, and both in-place and copy when it is shared.
func Offers(d *repair.Diagnosis) ([]diagnosis.Plan, error) {
	if d.Plan == nil {
		return nil, nil
	}
	if len(d.Snapshot.SharedWith) == 0 {
		return []diagnosis.Plan{*d.Plan}, nil
	}
	var plans []diagnosis.Plan
	for _, m := range []diagnosis.Mode{diagnosis.ModeInPlace, diagnosis.ModeCopy} {
		p, err := diagnosis.NewPlan(d.Snapshot, m)
		if err != nil {
			return nil, fmt.Errorf("plan %s repair: %w", m, err)
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// Origin is where a diagnosis was asked for and shown.
type Origin struct {
	RequesterID string
	ChannelID   string
	ThreadTS    string // the thread the diagnosis is posted in, if any
}

// NewRecords returns the plan records of the offered plans, one per ID
// (ids[i] for plans[i]), all in one group. Their MessageTS is left for the
// front end to fill in once the message is posted.
func NewRecords(d *repair.Diagnosis, plans []diagnosis.Plan, ids []string, o Origin, rep *Report, expires time.Time) ([]store.PlanRecord, error) {
	if len(ids) != len(plans) {
		return nil, fmt.Errorf("approval: %d ids for %d plans", len(ids), len(plans))
	}
	recs := make([]store.PlanRecord, len(plans))
	for i, p := range plans {
		data, err := json.Marshal(PlanData{
			Plan: p, Group: ids, ProjectName: d.Snapshot.Project.Name,
			Roles: d.Snapshot.Roles, SharedWith: d.Snapshot.SharedWith, Report: rep,
		})
		if err != nil {
			return nil, fmt.Errorf("encode plan: %w", err)
		}
		recs[i] = store.PlanRecord{
			ID: ids[i], ProjectKey: p.ProjectKey, Mode: string(p.Mode), Digest: p.Digest, Plan: data,
			RequesterID: o.RequesterID, ChannelID: o.ChannelID, ThreadTS: o.ThreadTS, ExpiresAt: expires,
		}
	}
	return recs, nil
}

// Usable reports whether a plan may still be decided on: it is pending
// and not past its expiry (the store reports that as expired).
func Usable(rec store.PlanRecord) bool { return rec.State == store.StatePending }

// Transition is one compare-and-set of a plan's state, with the fields it
// records. A front end's executor runs it with [store.Store.Transition]
// and Mutate.
type Transition struct {
	PlanID   string
	From, To store.State
	// ApproverID, Result and SupersededBy are recorded when not empty.
	ApproverID   string
	Result       string
	SupersededBy string
	// Record, when set, is what the apply did (a [repair.Record] as JSON),
	// recorded in [store.PlanRecord.Record] for the reconciler and Undo.
	Record json.RawMessage
	// Owner and LeaseUntil, when set, are the replica that applies the
	// plan and its lease ([Approval]).
	Owner      string
	LeaseUntil time.Time
}

// Mutate returns the mutate function that records t's fields, or nil when
// it has none.
func (t Transition) Mutate() func(*store.PlanRecord) {
	if t.ApproverID == "" && t.Result == "" && t.SupersededBy == "" && t.Record == nil && t.Owner == "" {
		return nil
	}
	return func(p *store.PlanRecord) {
		if t.ApproverID != "" {
			p.ApproverID = t.ApproverID
		}
		if t.Result != "" {
			p.Result = t.Result
		}
		if t.SupersededBy != "" {
			p.SupersededBy = t.SupersededBy
		}
		if t.Record != nil {
			p.Record = t.Record
		}
		if t.Owner != "" {
			p.Owner, p.LeaseUntil = t.Owner, t.LeaseUntil
		}
	}
}

// Approval is the compare-and-set that approves rec: pending to applying,
// owned by the replica owner with a lease until leaseUntil, which the owner
// renews while it applies ([store.Store.RenewLease]); once the lease has
// run out, the reconciler settles the plan. Only its winner may apply the
// plan.
func Approval(rec store.PlanRecord, actor, owner string, leaseUntil time.Time) Transition {
	return Transition{PlanID: rec.ID, From: store.StatePending, To: store.StateApplying, ApproverID: actor, Owner: owner, LeaseUntil: leaseUntil}
}

// Settle is how the reconciler ends a plan whose owner's lease ran out,
// from what Jira holds (res, from [repair.Engine.Settle]): applied when
// every change is there, failed otherwise; the audit action is Settled.
// It never re-applies.
func Settle(res *repair.Result) Outcome {
	o := Outcome{State: store.StateApplied, Action: Settled}
	var held, missing int
	for _, c := range res.Changes {
		if c.Outcome.Holds() {
			held++
		} else {
			missing++
		}
	}
	if missing > 0 || len(res.Changes) == 0 {
		o.State = store.StateFailed
	}
	o.Result = fmt.Sprintf("settled after an interrupted apply: %d change(s) found in Jira, %d not made", held, missing)
	if b, err := json.Marshal(res.Record()); err == nil {
		o.Record = b
	}
	return o
}

// Supersede retires the plans offered with the approved one: each goes
// from pending to dismissed, superseded by it.
func Supersede(d PlanData, approved store.PlanRecord, actor string) []Transition {
	var out []Transition
	for _, id := range d.Others(approved.ID) {
		out = append(out, Transition{
			PlanID: id, From: store.StatePending, To: store.StateDismissed, ApproverID: actor,
			Result:       fmt.Sprintf("superseded: %s approved the %s fix", actor, approved.Mode),
			SupersededBy: approved.ID,
		})
	}
	return out
}

// Dismissal dismisses every plan of a group, in offer order.
func Dismissal(d PlanData, actor string) []Transition {
	out := make([]Transition, 0, len(d.Group))
	for _, id := range d.Group {
		out = append(out, Transition{PlanID: id, From: store.StatePending, To: store.StateDismissed, ApproverID: actor, Result: "dismissed by " + actor})
	}
	return out
}

// Expiry records that every plan of a group expired.
func Expiry(d PlanData) []Transition {
	out := make([]Transition, 0, len(d.Group))
	for _, id := range d.Group {
		out = append(out, Transition{PlanID: id, From: store.StatePending, To: store.StateExpired})
	}
	return out
}

// Outcome is how an applied plan ended.
type Outcome struct {
	State  store.State // applied or failed
	Action string      // the audit action: Applied, Failed, Unknown or Stale
	Result string      // recorded on the plan and in the audit record
	// Stale is set when the project changed since the diagnosis: nothing
	// was written, and Stale.Fresh (if any) is the diagnosis to offer now.
	Stale *repair.StaleError
	// Err is the error that stopped the apply (nil when applied or stale).
	Err error
	// Record is what the apply did, as JSON, to store on the plan (nil
	// when nothing was tried).
	Record json.RawMessage
}

// Decide is the outcome of engine.Apply's answer. ref ties a failure to
// the front end's log line about it. A write whose outcome could not be
// confirmed (errors.Is [repair.ErrUnknownOutcome], or a change Unknown) is
// not a failure: the plan is recorded as [Unknown], with the changes that
// may have been applied, and the next read settles it.
func Decide(res *repair.Result, err error, ref string) Outcome {
	o := decide(res, err, ref)
	if res != nil && o.Stale == nil {
		if b, merr := json.Marshal(res.Record()); merr == nil {
			o.Record = b
		}
	}
	return o
}

func decide(res *repair.Result, err error, ref string) Outcome {
	var stale *repair.StaleError
	var done, unknown int
	if res != nil {
		done, unknown = len(res.Applied()), len(res.Unknown())
	}
	switch {
	case errors.As(err, &stale):
		return Outcome{State: store.StateFailed, Action: Stale, Stale: stale,
			Result: "not applied: the project changed after the diagnosis; nothing was changed"}
	case unknown > 0 || errors.Is(err, repair.ErrUnknownOutcome):
		return Outcome{State: store.StateFailed, Action: Unknown, Err: err,
			Result: fmt.Sprintf("outcome unknown: %d change(s) made, %d may have been applied (ref %s)", done, max(unknown, 1), ref)}
	case err != nil:
		return Outcome{State: store.StateFailed, Action: Failed, Err: err,
			Result: fmt.Sprintf("failed after %d change(s) (ref %s)", done, ref)}
	case res != nil && res.Verified:
		return Outcome{State: store.StateApplied, Action: Applied, Result: "applied; verified healthy"}
	}
	return Outcome{State: store.StateApplied, Action: Applied, Result: "applied; not verified: problems remain"}
}

// Transition records the outcome on the plan: applying to its final state,
// with what the apply did.
func (o Outcome) Transition(rec store.PlanRecord) Transition {
	return Transition{PlanID: rec.ID, From: store.StateApplying, To: o.State, Result: o.Result, Record: o.Record}
}

// Audit is the audit record of a decision about rec by actor ("" when
// nobody decided, as for an expiry), at now.
func Audit(rec store.PlanRecord, actor, action, result string, now time.Time) store.AuditRecord {
	return store.AuditRecord{
		PlanID: rec.ID, RequesterID: rec.RequesterID, ApproverID: actor, ProjectKey: rec.ProjectKey,
		Digest: rec.Digest, Action: action, Result: result, Time: now,
	}
}

// UndoRefusal is why an Undo may not proceed; [UndoAllowed] when it may.
type UndoRefusal int

// The answers of [CanUndo].
const (
	UndoAllowed      UndoRefusal = iota
	UndoNotApplied               // the plan is not applied (never was, or already undone)
	UndoWindowPassed             // the undo window after the apply has passed
	UndoNoRecord                 // the plan holds no record of what the apply did
)

// CanUndo decides whether an applied plan may be undone at now: it must be
// applied, hold the record of its writes, and have been applied (its last
// transition, UpdatedAt) no longer than window ago.
func CanUndo(rec store.PlanRecord, now time.Time, window time.Duration) UndoRefusal {
	switch {
	case rec.State != store.StateApplied:
		return UndoNotApplied
	case len(rec.Record) == 0:
		return UndoNoRecord
	case now.After(rec.UpdatedAt.Add(window)):
		return UndoWindowPassed
	}
	return UndoAllowed
}

// Undoing is the compare-and-set that starts an undo: applied to undone.
// Of two clicks, one wins; only its winner may touch Jira.
func Undoing(rec store.PlanRecord, actor string) Transition {
	return Transition{PlanID: rec.ID, From: store.StateApplied, To: store.StateUndone, Result: "undone by " + actor}
}

// UndoAudit is the audit record of an undo by actor at now: the grants and
// schemes it re-created (Created) and deleted (Removed), in words the front
// end gives (words), and a result that counts what was restored and
// skipped. ref ties a failure to the front end's log line about it.
func UndoAudit(rec store.PlanRecord, actor string, u *repair.UndoResult, err error, ref string, words func(repair.UndoStep) string, now time.Time) store.AuditRecord {
	var done, skipped, unknown int
	r := Audit(rec, actor, Undone, "", now)
	if u != nil {
		for _, s := range u.Steps {
			switch s.Outcome {
			case repair.Made:
				done++
				if s.Action == repair.UndoAddGrant || s.Action == repair.UndoAssignOriginal {
					r.Created = append(r.Created, words(s))
				} else {
					r.Removed = append(r.Removed, words(s))
				}
			case repair.Skipped:
				skipped++
			case repair.Unknown:
				unknown++
				r.Removed = append(r.Removed, "may have been done: "+words(s))
			}
		}
	}
	r.Result = fmt.Sprintf("undone: %d change(s) restored, %d skipped", done, skipped)
	switch {
	case unknown > 0:
		r.Result += fmt.Sprintf(", %d unconfirmed (ref %s)", unknown, ref)
	case err != nil:
		r.Result += fmt.Sprintf("; stopped by an error (ref %s)", ref)
	}
	return r
}
