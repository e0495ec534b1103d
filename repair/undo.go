package repair

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira"
)

// Undo actions: what an [UndoStep] does.
const (
	// UndoDeleteGrant deletes a grant the repair created, by its id.
	UndoDeleteGrant = "delete-grant"
	// UndoAddGrant re-creates a grant the repair removed.
	UndoAddGrant = "add-grant"
	// UndoAssignOriginal assigns the original scheme back to the project
	// a copy was assigned to.
	UndoAssignOriginal = "assign-original"
	// UndoDeleteCopy deletes the copy once no project uses it.
	UndoDeleteCopy = "delete-copy"
)

// SkipReason says why an undo step left Jira alone.
type SkipReason string

// Skip reasons.
const (
	// SkipNotOurs: the change was already there before the repair; it is
	// not the repair's to undo.
	SkipNotOurs SkipReason = "not-ours"
	// SkipGone: what the repair made is no longer there (someone removed
	// the grant, or deleted the copy).
	SkipGone SkipReason = "gone"
	// SkipAlreadyBack: the grant the repair removed is there again, or the
	// project already uses the original scheme.
	SkipAlreadyBack SkipReason = "already-back"
	// SkipMovedOn: the project no longer uses the copy; someone assigned
	// it another scheme, which the undo leaves in place.
	SkipMovedOn SkipReason = "moved-on"
	// SkipOriginalGone: the original scheme no longer exists, so the
	// project keeps the copy.
	SkipOriginalGone SkipReason = "original-gone"
	// SkipInUse: other projects use the copy (UndoStep.UsedBy), so it is
	// kept.
	SkipInUse SkipReason = "in-use"
	// SkipUnscanned: some projects' schemes could not be read, so the copy
	// is kept in case one of them uses it.
	SkipUnscanned SkipReason = "unscanned"
)

// UndoStep is one step of an undo and what became of it.
type UndoStep struct {
	Action     string
	SchemeID   int64
	SchemeName string
	// Grant is the grant deleted or re-created; for a re-created one, ID
	// is the id Jira gave it.
	Grant diagnosis.Grant
	// Outcome is Made (the step was done), Skipped (see Skip), Failed,
	// Unknown or NotAttempted.
	Outcome Outcome
	Skip    SkipReason
	// UsedBy lists the projects that use the copy, for SkipInUse.
	UsedBy []string
	// Err is why the step failed or why its outcome is unknown.
	Err error
}

// UndoResult is the outcome of undoing a repair.
type UndoResult struct {
	PlanID string
	Plan   diagnosis.Plan
	Steps  []UndoStep
	// After is the diagnosis made after the undo; nil when it could not be
	// made. Customer is what Jira then says about one real customer.
	After    *Diagnosis
	Customer *CustomerCheck
}

// Undone returns the steps that changed Jira.
func (u *UndoResult) Undone() []UndoStep { return u.with(Made) }

// Skipped returns the steps that left Jira alone, each with its reason.
func (u *UndoResult) Skipped() []UndoStep { return u.with(Skipped) }

// Unknown returns the steps whose outcome could not be confirmed.
func (u *UndoResult) Unknown() []UndoStep { return u.with(Unknown) }

func (u *UndoResult) with(o Outcome) []UndoStep {
	return slices.DeleteFunc(slices.Clone(u.Steps), func(s UndoStep) bool { return s.Outcome != o })
}

// Undo restores exactly what the repair rec records changed, and nothing
// else. It re-reads Jira first (as [Engine.Settle] does) and then:
//
//   - deletes, by id, each grant the repair created that still exists as
//     created (same id, holder and permission);
//   - re-creates each grant the repair removed, unless it is back;
//   - for a copy, assigns the original scheme back to the project while
//     the project still uses the copy, then deletes the copy once no
//     project uses it.
//
// Whatever it leaves alone is a Skipped step with its reason: a change
// that was already there, a grant someone removed, a copy others use.
// Changes the record has as not made are not steps at all; give Undo the
// record of a settled result when the apply was cut. The steps run in
// reverse order of the repair's and stop at the first that fails or whose
// outcome is unknown. Undo then diagnoses the project again and checks a
// customer, as [Engine.Apply] does.
func (e *Engine) Undo(ctx context.Context, rec Record) (*UndoResult, error) {
	settled, st, err := e.settle(ctx, rec)
	if err != nil {
		return nil, fmt.Errorf("re-read %s before undoing plan %s: %w", rec.Plan.ProjectKey, rec.PlanID, err)
	}
	u := &UndoResult{PlanID: rec.PlanID, Plan: rec.Plan}
	if rec.Plan.Mode == diagnosis.ModeCopy {
		err = e.undoCopy(ctx, rec, st, u)
		e.forgetShares()
	} else {
		err = e.undoInPlace(ctx, rec, settled, st, u)
	}
	if err != nil {
		return u, fmt.Errorf("undo plan %s of %s: %w", rec.PlanID, rec.Plan.ProjectKey, err)
	}
	after, err := e.Diagnose(ctx, rec.Plan.ProjectKey)
	if err != nil {
		return u, fmt.Errorf("diagnose %s after undoing: %w", rec.Plan.ProjectKey, err)
	}
	u.After = after
	u.Customer = e.VerifyCustomer(ctx, after)
	return u, nil
}

// ours reports whether the record says the plan may have made a change.
func ours(o Outcome) bool { return o == Made || o == Unknown }

// undoInPlace plans the grant steps from the record and the settled
// read, then runs them.
func (e *Engine) undoInPlace(ctx context.Context, rec Record, settled *Result, st *jiraState, u *UndoResult) error {
	p := rec.Plan
	for i := len(rec.Changes) - 1; i >= 0; i-- {
		was, now := rec.Changes[i], settled.Changes[i]
		step := UndoStep{SchemeID: p.SchemeID, SchemeName: p.SchemeName, Grant: now.Grant, Outcome: NotAttempted}
		switch was.Step {
		case StepAddGrant:
			step.Action = UndoDeleteGrant
		case StepRemoveGrant:
			step.Action = UndoAddGrant
		default:
			continue
		}
		switch {
		case was.Outcome == AlreadyThere:
			step.Outcome, step.Skip = Skipped, SkipNotOurs
		case !ours(was.Outcome):
			continue // nothing was made
		case was.Outcome == Unknown && now.Outcome == NotMade:
			continue // it never landed
		case step.Action == UndoDeleteGrant && now.Outcome != Made:
			step.Outcome, step.Skip = Skipped, SkipGone
		case step.Action == UndoAddGrant && now.Outcome != Made:
			step.Outcome, step.Skip = Skipped, SkipAlreadyBack
		case step.Action == UndoAddGrant:
			if id, ok := grantLike(st.scheme, now.Grant); ok {
				step.Grant.ID = id
				step.Outcome, step.Skip = Skipped, SkipAlreadyBack
			}
		}
		u.Steps = append(u.Steps, step)
	}
	for i := range u.Steps {
		s := &u.Steps[i]
		if s.Outcome != NotAttempted {
			continue
		}
		c := Change{Grant: s.Grant}
		var err error
		if s.Action == UndoDeleteGrant {
			err = e.removeGrant(ctx, s.SchemeID, &c)
		} else {
			c.Grant.ID = 0
			err = e.addGrant(ctx, s.SchemeID, &c)
		}
		s.Grant = c.Grant
		s.Outcome, s.Err = c.Outcome, c.Err
		if c.Outcome == AlreadyThere {
			// Someone else did it between the read and the write.
			s.Outcome, s.Skip = Skipped, SkipGone
			if s.Action == UndoAddGrant {
				s.Skip = SkipAlreadyBack
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// undoCopy assigns the original scheme back and deletes the copy.
func (e *Engine) undoCopy(ctx context.Context, rec Record, st *jiraState, u *UndoResult) error {
	p := rec.Plan
	was := map[string]Outcome{}
	for _, c := range rec.Changes {
		was[c.Step] = c.Outcome
	}
	assignedCopy := st.copy != nil && st.current == st.copy.ID

	// 1. The project goes back to the original scheme.
	if ours(was[StepAssignScheme]) || assignedCopy {
		step := UndoStep{Action: UndoAssignOriginal, SchemeID: p.SchemeID, SchemeName: p.SchemeName, Outcome: NotAttempted}
		switch {
		case st.current == p.SchemeID:
			step.Outcome, step.Skip = Skipped, SkipAlreadyBack
		case !assignedCopy:
			step.Outcome, step.Skip = Skipped, SkipMovedOn
		case !slices.ContainsFunc(st.schemes, func(s jira.PermissionScheme) bool { return s.ID == p.SchemeID }):
			step.Outcome, step.Skip = Skipped, SkipOriginalGone
		}
		if step.Outcome == NotAttempted {
			err := e.assignBack(ctx, p, &step)
			u.Steps = append(u.Steps, step)
			if err != nil {
				return err
			}
		} else {
			u.Steps = append(u.Steps, step)
			if step.Skip == SkipOriginalGone {
				return nil // the project keeps the copy, so the copy stays
			}
		}
	}

	// 2. The copy goes once no project uses it.
	if st.copy == nil {
		if was[StepCreateScheme] == Made && !was[StepDeleteScheme].Holds() {
			u.Steps = append(u.Steps, UndoStep{Action: UndoDeleteCopy, SchemeName: p.CopyName, Outcome: Skipped, Skip: SkipGone})
		}
		return nil
	}
	step := UndoStep{Action: UndoDeleteCopy, SchemeID: st.copy.ID, SchemeName: st.copy.Name, Outcome: NotAttempted}
	err := e.unused(ctx, st.copy.ID)
	var inUse *inUseError
	switch {
	case errors.As(err, &inUse):
		step.Outcome, step.Skip, step.UsedBy = Skipped, SkipInUse, inUse.users
		err = nil
	case errors.Is(err, ErrIncompleteScan):
		step.Outcome, step.Skip = Skipped, SkipUnscanned
		err = nil
	case err == nil:
		c := Change{SchemeID: st.copy.ID}
		err = e.deleteScheme(ctx, &c)
		step.Outcome, step.Err = c.Outcome, c.Err
		if c.Outcome == AlreadyThere {
			step.Outcome, step.Skip = Skipped, SkipGone
		}
	default:
		step.Outcome, step.Err = Failed, err
	}
	u.Steps = append(u.Steps, step)
	return err
}

// assignBack assigns the original scheme to the project again; a lost
// answer is settled by reading the project's scheme.
func (e *Engine) assignBack(ctx context.Context, p diagnosis.Plan, s *UndoStep) error {
	err := e.jira.AssignPermissionScheme(ctx, p.ProjectKey, p.SchemeID)
	if err == nil {
		s.Outcome = Made
		return nil
	}
	op := fmt.Sprintf("assign scheme %d to %s", p.SchemeID, p.ProjectKey)
	cur, rerr := e.jira.AssignedPermissionScheme(ctx, p.ProjectKey)
	switch {
	case rerr == nil && cur.ID == p.SchemeID:
		s.Outcome = Made
		return nil
	case rerr != nil && mayHaveLanded(err):
		s.Outcome, s.Err = Unknown, onProject(p.ProjectKey, unknownOutcome(op, err))
		return s.Err
	}
	s.Outcome, s.Err = Failed, onProject(p.ProjectKey, needPermission(op, "Administer Jira", err))
	return s.Err
}

// SkipWords says why an undo step left Jira alone, in the words every
// front end shows; "" for a step that was not skipped.
func (s UndoStep) SkipWords() string {
	switch s.Skip {
	case SkipNotOurs:
		return "it was there before the repair, so it is not the repair's to undo"
	case SkipGone:
		return "it is no longer there as the repair left it (someone removed it)"
	case SkipAlreadyBack:
		return "it is back already"
	case SkipMovedOn:
		return "the project no longer uses the copy: someone assigned it another scheme, which stays"
	case SkipOriginalGone:
		return "the original scheme no longer exists, so the project keeps the copy"
	case SkipInUse:
		return "other projects use the copy (" + strings.Join(s.UsedBy, ", ") + "), so it is kept"
	case SkipUnscanned:
		return "some projects' schemes could not be read, so the copy is kept in case one of them uses it"
	}
	return string(s.Skip)
}
