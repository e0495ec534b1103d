package repair

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira"
)

// Errors of the copy operations. Test for them with errors.Is.
var (
	// ErrNotACopy means a scheme's description does not name the plan: it
	// is not a copy jsmbot made for it, and is left alone.
	ErrNotACopy = errors.New("repair: the scheme is not a copy made for the plan")
	// ErrInUse means a project uses the scheme, so it is not deleted.
	ErrInUse = errors.New("repair: a project uses the scheme")
	// ErrIncompleteScan means some projects' schemes could not be read, so
	// whether a scheme is unused is not known.
	ErrIncompleteScan = errors.New("repair: some projects' schemes could not be read")
)

// jiraState is what one settling read found.
type jiraState struct {
	scheme  *jira.PermissionScheme // in place: the scheme, with grants
	schemes []jira.PermissionScheme
	current int64                  // copy: the scheme the project uses
	copy    *jira.PermissionScheme // copy: the plan's copy, nil when none
}

// Settle reads Jira, and never writes to it, to find which changes of
// rec's plan Jira holds: each change of the result is [Made] (or
// [AlreadyThere], when the record says the change was someone else's) or
// [NotMade]. It settles the [Unknown] outcomes of a cut or failed apply,
// and finds what an apply that left no result did (give it
// [PlannedRecord]). The grant ids found are in the changes, so a later
// undo deletes exactly those; with no id recorded, a grant with the
// planned holder and permission counts as made by the plan. For a copy it
// looks for a scheme whose description names rec.PlanID and whether the
// project uses it. It then diagnoses the project again (After, Verified).
func (e *Engine) Settle(ctx context.Context, rec Record) (*Result, error) {
	res, _, err := e.settle(ctx, rec)
	if err != nil {
		return nil, fmt.Errorf("settle plan %s of %s: %w", rec.PlanID, rec.Plan.ProjectKey, err)
	}
	e.forgetShares()
	after, err := e.Diagnose(ctx, rec.Plan.ProjectKey)
	if err != nil {
		return res, fmt.Errorf("diagnose %s after settling: %w", rec.Plan.ProjectKey, err)
	}
	res.After, res.Verified = after, after.Report.Healthy
	return res, nil
}

// settle is Settle's read, without the diagnosis.
func (e *Engine) settle(ctx context.Context, rec Record) (*Result, *jiraState, error) {
	res := rec.Result()
	switch rec.Plan.Mode {
	case diagnosis.ModeInPlace:
		s, err := e.jira.PermissionScheme(ctx, rec.Plan.SchemeID)
		if err != nil {
			return nil, nil, fmt.Errorf("read scheme %d: %w", rec.Plan.SchemeID, err)
		}
		for i := range res.Changes {
			settleGrant(s, &res.Changes[i])
		}
		return res, &jiraState{scheme: s}, nil
	case diagnosis.ModeCopy:
		st, err := e.readCopy(ctx, rec)
		if err != nil {
			return nil, nil, err
		}
		for i := range res.Changes {
			settleCopyStep(st, &res.Changes[i])
		}
		if st.copy != nil {
			res.Plan.CopyName = st.copy.Name
		}
		return res, st, nil
	}
	return nil, nil, fmt.Errorf("mode %q is not a mode plans are applied in", rec.Plan.Mode)
}

// settleGrant settles an in-place change against scheme s.
func settleGrant(s *jira.PermissionScheme, c *Change) {
	switch c.Step {
	case StepAddGrant:
		// The recorded grant, if it is still there as created.
		if c.Grant.ID != 0 {
			if g, ok := grantByID(s, c.Grant.ID); ok && sameGrant(g, c.Grant) {
				c.set(heldAs(c.Outcome), nil)
				return
			}
		}
		id, ok := grantLike(s, c.Grant)
		switch {
		case !ok:
			c.set(NotMade, nil)
		case c.Grant.ID != 0 || c.Outcome == AlreadyThere:
			// Another grant than the one recorded: someone else's.
			c.Grant.ID = id
			c.set(AlreadyThere, nil)
		default:
			c.Grant.ID = id
			c.set(Made, nil)
		}
	case StepRemoveGrant:
		switch {
		case hasGrantID(s, c.Grant.ID):
			c.set(NotMade, nil)
		case c.Outcome == AlreadyThere:
			c.set(AlreadyThere, nil)
		default:
			c.set(Made, nil)
		}
	}
}

// readCopy reads what Settle needs for a copy: the schemes, the plan's
// copy among them and the scheme the project uses. The copy is the one
// recorded if it still names the plan, else the one the project uses,
// else the first naming the plan.
func (e *Engine) readCopy(ctx context.Context, rec Record) (*jiraState, error) {
	schemes, err := e.jira.PermissionSchemes(ctx)
	if err != nil {
		return nil, fmt.Errorf("list permission schemes: %w", err)
	}
	cur, err := e.jira.AssignedPermissionScheme(ctx, rec.Plan.ProjectKey)
	if err != nil {
		return nil, fmt.Errorf("read the scheme of %s: %w", rec.Plan.ProjectKey, err)
	}
	st := &jiraState{schemes: schemes, current: cur.ID}
	var recorded int64
	for _, c := range rec.Changes {
		if c.Step == StepCreateScheme {
			recorded = c.SchemeID
		}
	}
	var ours []jira.PermissionScheme
	for _, s := range schemes {
		if namesPlan(s.Description, rec.PlanID) {
			ours = append(ours, s)
		}
	}
	for _, want := range []int64{recorded, cur.ID} {
		if i := slices.IndexFunc(ours, func(s jira.PermissionScheme) bool { return want != 0 && s.ID == want }); i >= 0 {
			st.copy = &ours[i]
			return st, nil
		}
	}
	if len(ours) > 0 {
		st.copy = &ours[0]
	}
	return st, nil
}

// settleCopyStep settles a copy-mode change against st.
func settleCopyStep(st *jiraState, c *Change) {
	switch c.Step {
	case StepCreateScheme:
		if st.copy == nil {
			c.set(NotMade, nil)
			return
		}
		c.SchemeID, c.SchemeName = st.copy.ID, st.copy.Name
		c.set(Made, nil)
	case StepAssignScheme:
		if st.copy == nil || st.current != st.copy.ID {
			c.set(NotMade, nil)
			return
		}
		c.SchemeID, c.SchemeName = st.copy.ID, st.copy.Name
		c.set(Made, nil)
	case StepDeleteScheme:
		if slices.ContainsFunc(st.schemes, func(s jira.PermissionScheme) bool { return s.ID == c.SchemeID }) {
			c.set(NotMade, nil)
			return
		}
		c.set(heldAs(c.Outcome), nil)
	}
}

// Copy is a permission scheme a copy-mode repair made for a plan.
type Copy struct {
	SchemeID int64
	Name     string
}

// OrphanCopies returns the copies made for planID that no project uses,
// such as one a crash left between creating and assigning it, for a
// reconciler to delete with [Engine.DeleteOrphanCopy]. It reads every
// project's scheme and changes nothing; when some could not be read it
// returns [ErrIncompleteScan], since an unread project may use a copy.
func (e *Engine) OrphanCopies(ctx context.Context, planID string) ([]Copy, error) {
	schemes, err := e.jira.PermissionSchemes(ctx)
	if err != nil {
		return nil, fmt.Errorf("list permission schemes: %w", err)
	}
	var ours []jira.PermissionScheme
	for _, s := range schemes {
		if namesPlan(s.Description, planID) {
			ours = append(ours, s)
		}
	}
	if len(ours) == 0 {
		return nil, nil
	}
	idx, err := e.freshIndex(ctx)
	if err != nil {
		return nil, err
	}
	if len(idx.unscanned) > 0 {
		return nil, fmt.Errorf("find the orphan copies of plan %s: %w", planID, ErrIncompleteScan)
	}
	var out []Copy
	for _, s := range ours {
		if users, _ := idx.using(s.ID, ""); len(users) == 0 {
			out = append(out, Copy{SchemeID: s.ID, Name: s.Name})
		}
	}
	return out, nil
}

// DeleteOrphanCopy deletes the scheme schemeID after reading again that
// its description names planID ([ErrNotACopy] otherwise) and that no
// project uses it ([ErrInUse], [ErrIncompleteScan]). The change says what
// became of the delete; a scheme already gone is [AlreadyThere].
func (e *Engine) DeleteOrphanCopy(ctx context.Context, planID string, schemeID int64) (Change, error) {
	c := Change{Step: StepDeleteScheme, SchemeID: schemeID, Outcome: NotAttempted}
	s, err := e.jira.PermissionScheme(ctx, schemeID)
	if errors.Is(err, jira.ErrNotFound) {
		c.set(AlreadyThere, nil)
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("read scheme %d: %w", schemeID, err)
	}
	c.SchemeName = s.Name
	if !namesPlan(s.Description, planID) {
		return c, fmt.Errorf("delete scheme %d: %w", schemeID, ErrNotACopy)
	}
	if err := e.unused(ctx, schemeID); err != nil {
		return c, fmt.Errorf("delete scheme %d: %w", schemeID, err)
	}
	err = e.deleteScheme(ctx, &c)
	e.forgetShares()
	return c, err
}

// unused returns nil when a fresh scan finds no project on the scheme, and
// an error wrapping [ErrInUse] (naming the projects) or
// [ErrIncompleteScan] otherwise.
func (e *Engine) unused(ctx context.Context, schemeID int64) error {
	idx, err := e.freshIndex(ctx)
	if err != nil {
		return err
	}
	if users, _ := idx.using(schemeID, ""); len(users) > 0 {
		return &inUseError{users: users}
	}
	if len(idx.unscanned) > 0 {
		return ErrIncompleteScan
	}
	return nil
}

// inUseError names the projects that use a scheme.
type inUseError struct{ users []string }

func (e *inUseError) Error() string        { return fmt.Sprintf("%v: %v", ErrInUse, e.users) }
func (e *inUseError) Is(target error) bool { return target == ErrInUse }

// freshIndex scans the projects now, whatever the cache holds, and keeps
// the result for later diagnoses.
func (e *Engine) freshIndex(ctx context.Context) (*shareIndex, error) {
	idx, err := e.scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("find the projects that use each scheme: %w", err)
	}
	e.mu.Lock()
	e.share = idx
	e.mu.Unlock()
	return idx, nil
}

// heldAs is the outcome of a change a read finds in Jira, given the
// outcome recorded for it: someone else's stays someone else's, anything
// else is the plan's.
func heldAs(recorded Outcome) Outcome {
	if recorded == AlreadyThere {
		return AlreadyThere
	}
	return Made
}
