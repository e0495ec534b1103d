package repair

import (
	"github.com/jsmbot/jsmbot/diagnosis"
)

// Record is what an apply did, in a form to store (it marshals to JSON)
// and to hand back later to [Engine.Settle] and [Engine.Undo]: the plan,
// the id the caller stores it under, and each write with its outcome and
// the ids Jira gave (grant ids, the copy's scheme id). For a copy, the
// original scheme is Plan.SchemeID.
type Record struct {
	PlanID  string          `json:"planId"`
	Plan    diagnosis.Plan  `json:"plan"`
	Changes []AppliedChange `json:"changes"`
}

// AppliedChange is one write of a [Record].
type AppliedChange struct {
	Step    string  `json:"step"`
	Outcome Outcome `json:"outcome"`
	// SchemeID is the scheme written to; for create-scheme and
	// delete-scheme, the copy.
	SchemeID   int64  `json:"schemeId,omitempty"`
	SchemeName string `json:"schemeName,omitempty"`
	// Grant is the grant added (with the id Jira gave it) or removed (with
	// the id it had); nil for scheme steps.
	Grant *diagnosis.Grant `json:"grant,omitempty"`
}

// Record returns what the apply did, to store.
func (r *Result) Record() Record {
	rec := Record{PlanID: r.PlanID, Plan: r.Plan, Changes: make([]AppliedChange, 0, len(r.Changes))}
	for _, c := range r.Changes {
		rec.Changes = append(rec.Changes, c.applied())
	}
	return rec
}

// applied is c as a record holds it.
func (c Change) applied() AppliedChange {
	a := AppliedChange{Step: c.Step, Outcome: c.outcome(), SchemeID: c.SchemeID, SchemeName: c.SchemeName}
	if c.Step == StepAddGrant || c.Step == StepRemoveGrant {
		g := c.Grant
		a.Grant = &g
	}
	return a
}

// change is a as a [Change], without an error.
func (a AppliedChange) change() Change {
	c := Change{Step: a.Step, SchemeID: a.SchemeID, SchemeName: a.SchemeName}
	if a.Grant != nil {
		c.Grant = *a.Grant
	}
	o := a.Outcome
	if o == "" {
		o = NotAttempted
	}
	c.set(o, nil)
	return c
}

// PlannedRecord is the record of a plan none of whose writes is known to
// have been made: what a caller has when an apply left no result (it was
// cut by a crash). [Engine.Settle] finds out from Jira what it holds.
func PlannedRecord(plan diagnosis.Plan, planID string) Record {
	rec := Record{PlanID: planID, Plan: plan}
	var changes []Change
	if plan.Mode == diagnosis.ModeCopy {
		changes = []Change{
			{Step: StepCreateScheme, SchemeName: plan.CopyName, Outcome: NotAttempted},
			{Step: StepAssignScheme, SchemeName: plan.CopyName, Outcome: NotAttempted},
		}
	} else {
		changes = plannedChanges(plan)
	}
	for _, c := range changes {
		rec.Changes = append(rec.Changes, c.applied())
	}
	return rec
}

// Result returns the record as a [Result] without a diagnosis, for a
// front end to show what a stored apply did.
func (rec Record) Result() *Result {
	res := &Result{Plan: rec.Plan, PlanID: rec.PlanID}
	for _, a := range rec.Changes {
		res.Changes = append(res.Changes, a.change())
	}
	return res
}
