package repair

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira"
)

// ErrStale reports that the project changed between the diagnosis and the
// attempt to apply its plan; nothing was changed. errors.As with
// [*StaleError] gives the fresh diagnosis.
var ErrStale = errors.New("repair: the project changed since it was diagnosed")

// StaleError carries the fresh diagnosis of a project whose plan no longer
// matches it.
type StaleError struct {
	Fresh *Diagnosis
}

func (e *StaleError) Error() string { return ErrStale.Error() }

// Is makes errors.Is(err, ErrStale) work.
func (e *StaleError) Is(target error) bool { return target == ErrStale }

// Step kinds of a [Change].
const (
	StepAddGrant     = "add-grant"
	StepRemoveGrant  = "remove-grant"
	StepCreateScheme = "create-scheme"
	StepAssignScheme = "assign-scheme"
)

// Change is one write of a repair and what became of it.
type Change struct {
	Step string
	// SchemeID is the scheme written to; for create-scheme, the new one.
	SchemeID   int64
	SchemeName string
	Grant      diagnosis.Grant
	// Done is true when Jira holds the change, whether this step made it
	// or found it already there (AlreadyDone).
	Done        bool
	AlreadyDone bool
	// Err is why the step failed; steps after a failure are not tried
	// and have Done false and Err nil.
	Err error
}

// Result is the outcome of applying a plan.
type Result struct {
	Plan    diagnosis.Plan
	Changes []Change
	// After is the diagnosis made after the changes, nil when it could not
	// be made. Verified is true when After is healthy.
	After    *Diagnosis
	Verified bool
}

// Applied returns the changes Jira now holds.
func (r *Result) Applied() []Change {
	return slices.DeleteFunc(slices.Clone(r.Changes), func(c Change) bool { return !c.Done })
}

// Apply carries out plan on the project. It first re-reads the project and
// refuses, with a [*StaleError] and no writes, if the digest no longer
// matches. It then makes the plan's writes in order, stopping at the first
// failure, and diagnoses again to verify. The result always lists exactly
// which writes Jira holds; the error is non-nil when any write failed or
// the verification could not be made.
func (e *Engine) Apply(ctx context.Context, plan diagnosis.Plan) (*Result, error) {
	fresh, err := e.Diagnose(ctx, plan.ProjectKey)
	if err != nil {
		return nil, fmt.Errorf("re-read %s before applying: %w", plan.ProjectKey, err)
	}
	if diagnosis.Digest(fresh.Snapshot) != plan.Digest || fresh.Snapshot.Scheme.ID != plan.SchemeID {
		return nil, &StaleError{Fresh: fresh}
	}

	res := &Result{Plan: plan}
	switch plan.Mode {
	case diagnosis.ModeInPlace:
		err = e.applyInPlace(ctx, plan, res)
	case diagnosis.ModeCopy:
		err = e.applyCopy(ctx, plan, fresh, res)
		e.forgetShares()
	default:
		return nil, fmt.Errorf("apply plan %s: mode %q cannot be applied (resolve auto first)", plan.ID, plan.Mode)
	}
	if err != nil {
		return res, fmt.Errorf("apply plan %s to %s: %w", plan.ID, plan.ProjectKey, err)
	}

	after, err := e.Diagnose(ctx, plan.ProjectKey)
	if err != nil {
		return res, fmt.Errorf("verify %s after applying: %w", plan.ProjectKey, err)
	}
	res.After, res.Verified = after, after.Report.Healthy
	return res, nil
}

// applyInPlace adds and removes grants on the project's own scheme.
func (e *Engine) applyInPlace(ctx context.Context, plan diagnosis.Plan, res *Result) error {
	for _, g := range plan.AddGrants {
		res.Changes = append(res.Changes, Change{Step: StepAddGrant, SchemeID: plan.SchemeID, SchemeName: plan.SchemeName, Grant: g})
	}
	for _, g := range plan.RemoveGrants {
		res.Changes = append(res.Changes, Change{Step: StepRemoveGrant, SchemeID: plan.SchemeID, SchemeName: plan.SchemeName, Grant: g})
	}
	for i := range res.Changes {
		c := &res.Changes[i]
		var err error
		if c.Step == StepAddGrant {
			err = e.addGrant(ctx, plan.SchemeID, c)
		} else {
			err = e.removeGrant(ctx, plan.SchemeID, c)
		}
		if err != nil {
			c.Err = err
			return err
		}
		c.Done = true
	}
	return nil
}

// addGrant adds one grant. Whatever the error, re-reading the scheme
// decides: Jira answers 400 both for a duplicate and for a bad grant, and a
// POST whose answer was lost (a timeout, a dropped connection, a 5xx) may
// have been applied. A grant found on re-reading is done (AlreadyDone).
func (e *Engine) addGrant(ctx context.Context, schemeID int64, c *Change) error {
	created, err := e.jira.AddGrant(ctx, schemeID, fromGrant(c.Grant))
	if err == nil {
		c.Grant.ID = created.ID
		return nil
	}
	if id, ok, rerr := e.findGrant(ctx, schemeID, c.Grant); rerr == nil && ok {
		c.Grant.ID, c.AlreadyDone = id, true
		return nil
	}
	return needPermission(fmt.Sprintf("grant %s to %s", c.Grant.Permission, c.Grant.Holder.Type), "Administer Jira", err)
}

// removeGrant deletes one grant. As for addGrant, re-reading decides: Jira
// answers 400 for an unknown grant id, and a DELETE whose answer was lost
// may have been applied. A grant gone on re-reading is done (AlreadyDone).
func (e *Engine) removeGrant(ctx context.Context, schemeID int64, c *Change) error {
	err := e.jira.DeleteGrant(ctx, schemeID, c.Grant.ID)
	if err == nil {
		return nil
	}
	if _, ok, rerr := e.findGrant(ctx, schemeID, c.Grant); rerr == nil && !ok {
		c.AlreadyDone = true
		return nil
	}
	return needPermission(fmt.Sprintf("remove grant %d", c.Grant.ID), "Administer Jira", err)
}

// findGrant re-reads a scheme and looks for a grant by holder and
// permission.
func (e *Engine) findGrant(ctx context.Context, schemeID int64, want diagnosis.Grant) (int64, bool, error) {
	s, err := e.jira.PermissionScheme(ctx, schemeID)
	if err != nil {
		return 0, false, err
	}
	for _, g := range s.Permissions {
		if g.Permission == want.Permission && g.Holder.Type == want.Holder.Type && g.Holder.Parameter == want.Holder.Parameter {
			return g.ID, true, nil
		}
	}
	return 0, false, nil
}

// applyCopy does what Jira's "Fix permissions" button does: create a copy
// of the scheme with the plan's changes and assign it to this project only.
// The shared scheme is not touched.
//
// The copy's grants are diagnosis.ApplyTo of the fresh snapshot's, the one
// computation of a scheme after a plan. Grants kept from the original are
// sent as Jira gave them, so holders keep every field Jira sent (a group's
// id as well as its name).
func (e *Engine) applyCopy(ctx context.Context, plan diagnosis.Plan, fresh *Diagnosis, res *Result) error {
	res.Changes = []Change{
		{Step: StepCreateScheme, SchemeName: plan.CopyName},
		{Step: StepAssignScheme, SchemeName: plan.CopyName},
	}
	body := jira.PermissionScheme{
		Name: plan.CopyName,
		Description: fmt.Sprintf("Copy of %q made by jsmbot for project %s (plan %s): adds the grants JSM needs; the original scheme is unchanged.",
			plan.SchemeName, plan.ProjectKey, plan.ID),
		Permissions: copyGrants(fresh, plan),
	}
	created, err := e.jira.CreatePermissionScheme(ctx, body)
	if err != nil {
		// A POST whose answer was lost may have been applied: a scheme
		// with the copy's name and this plan's description is this copy.
		found, ok := e.findCopy(ctx, body)
		if !ok {
			err = needPermission("create permission scheme "+plan.CopyName, "Administer Jira", err)
			res.Changes[0].Err = err
			return err
		}
		created, res.Changes[0].AlreadyDone = found, true
	}
	res.Changes[0].Done, res.Changes[0].SchemeID = true, created.ID
	res.Changes[1].SchemeID = created.ID

	if err := e.jira.AssignPermissionScheme(ctx, plan.ProjectKey, created.ID); err != nil {
		err = onProject(plan.ProjectKey, needPermission(fmt.Sprintf("assign scheme %d to %s", created.ID, plan.ProjectKey), "Administer Jira", err))
		res.Changes[1].Err = err
		return err
	}
	res.Changes[1].Done = true
	return nil
}

// copyGrants is the body of the copy plan makes of d's scheme: the grants
// diagnosis.ApplyTo computes, each kept grant as Jira sent it and each new
// one as Jira expects it.
func copyGrants(d *Diagnosis, plan diagnosis.Plan) []jira.Grant {
	sent := make(map[int64]jira.Grant, len(d.scheme.Permissions))
	for _, g := range d.scheme.Permissions {
		sent[g.ID] = g
	}
	after := diagnosis.ApplyTo(d.Snapshot.Scheme.Grants, plan)
	out := make([]jira.Grant, 0, len(after))
	for _, g := range after {
		if j, ok := sent[g.ID]; ok && g.ID != 0 {
			out = append(out, jira.Grant{Holder: j.Holder, Permission: j.Permission})
		} else {
			out = append(out, fromGrant(g))
		}
	}
	return out
}

// findCopy looks for a scheme with want's name and description.
func (e *Engine) findCopy(ctx context.Context, want jira.PermissionScheme) (*jira.PermissionScheme, bool) {
	schemes, err := e.jira.PermissionSchemes(ctx)
	if err != nil {
		return nil, false
	}
	for _, s := range schemes {
		if s.Name == want.Name && s.Description == want.Description {
			return &s, true
		}
	}
	return nil, false
}
