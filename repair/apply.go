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
	// StepDeleteScheme deletes the copy a copy-mode repair made, when the
	// assignment that should follow failed (and, for the reconciler, a copy
	// a crash left unassigned).
	StepDeleteScheme = "delete-scheme"
)

// Change is one write of a repair and what became of it.
type Change struct {
	Step string
	// SchemeID is the scheme written to; for create-scheme, the new one.
	SchemeID   int64
	SchemeName string
	// Grant is the grant added or removed; for an added grant, ID is the
	// id Jira gave it.
	Grant diagnosis.Grant
	// Outcome is what became of the write.
	Outcome Outcome
	// Done is true when Jira holds the change, whether this step made it
	// or found it already there (AlreadyDone). Both mirror Outcome, for
	// callers that predate it.
	Done        bool
	AlreadyDone bool
	// Err is why the step failed or why its outcome is unknown; steps
	// after either are not tried and have Err nil.
	Err error
}

// set records the outcome of c, keeping Done and AlreadyDone in step.
func (c *Change) set(o Outcome, err error) {
	c.Outcome, c.Err = o, err
	c.Done, c.AlreadyDone = o.Holds(), o == AlreadyThere
}

// Result is the outcome of applying a plan.
type Result struct {
	// Plan is the plan applied. For a copy, CopyName is the name the copy
	// was given, chosen when applying (it may differ from the one planned
	// when another scheme took that name meanwhile).
	Plan diagnosis.Plan
	// PlanID is the plan's id as the caller stores it (see [WithPlanID]).
	PlanID  string
	Changes []Change
	// After is the diagnosis made after the changes, nil when it could not
	// be made. Verified is true when After is healthy.
	After    *Diagnosis
	Verified bool
	// Customer is what Jira says about one real customer of the desk
	// after the changes; nil when it was not asked.
	Customer *CustomerCheck
}

// Applied returns the changes Jira now holds.
func (r *Result) Applied() []Change {
	return r.with(func(c Change) bool { return c.outcome().Holds() })
}

// Unknown returns the changes whose outcome could not be confirmed: Jira
// may hold them. They are neither applied nor failed; [Engine.Settle]
// settles them.
func (r *Result) Unknown() []Change {
	return r.with(func(c Change) bool { return c.outcome() == Unknown })
}

// Failed returns the changes Jira refused or that proved not to land.
func (r *Result) Failed() []Change {
	return r.with(func(c Change) bool { return c.outcome() == Failed })
}

// outcome is c's Outcome, or for a Change built without one (by a caller
// that sets only Done, AlreadyDone and Err) the outcome those say.
func (c Change) outcome() Outcome {
	switch {
	case c.Outcome != "":
		return c.Outcome
	case c.AlreadyDone:
		return AlreadyThere
	case c.Done:
		return Made
	case c.Err != nil:
		return Failed
	}
	return NotAttempted
}

func (r *Result) with(keep func(Change) bool) []Change {
	return slices.DeleteFunc(slices.Clone(r.Changes), func(c Change) bool { return !keep(c) })
}

// ApplyOption configures one [Engine.Apply].
type ApplyOption func(*applyConfig)

type applyConfig struct {
	planID   string
	progress func(Record)
}

// WithPlanID names the plan as the caller stores it (the store's plan id),
// so the copy a copy-mode repair makes names it in its description, and
// [Engine.Settle] and [Engine.OrphanCopies] can find that copy later.
// Without it the plan's own content ID is used.
func WithPlanID(id string) ApplyOption { return func(c *applyConfig) { c.planID = id } }

// WithProgress makes Apply call f after each write settles (made, already
// there, failed or unknown), with the record so far: every write of the
// plan, those not tried yet as [NotAttempted]. An owner stores it, so that
// after a crash [Engine.Settle] starts from the exact ids Jira gave. f runs
// on Apply's goroutine, before the next write.
func WithProgress(f func(Record)) ApplyOption { return func(c *applyConfig) { c.progress = f } }

// Apply carries out plan on the project. It first re-reads the project and
// refuses, with a [*StaleError] and no writes, if the digest no longer
// matches. It then makes the plan's writes in order, stopping at the first
// that fails or whose outcome is unknown, and diagnoses again to verify.
// The result always lists what became of each write; the error is non-nil
// when any write failed (or its outcome is unknown: errors.Is
// [ErrUnknownOutcome]) or the verification could not be made.
func (e *Engine) Apply(ctx context.Context, plan diagnosis.Plan, opts ...ApplyOption) (*Result, error) {
	cfg := applyConfig{planID: plan.ID}
	for _, o := range opts {
		o(&cfg)
	}
	fresh, err := e.Diagnose(ctx, plan.ProjectKey)
	if err != nil {
		return nil, fmt.Errorf("re-read %s before applying: %w", plan.ProjectKey, err)
	}
	if diagnosis.Digest(fresh.Snapshot) != plan.Digest || fresh.Snapshot.Scheme.ID != plan.SchemeID {
		return nil, &StaleError{Fresh: fresh}
	}

	res := &Result{Plan: plan, PlanID: cfg.planID}
	settled := func() {
		if cfg.progress != nil {
			cfg.progress(res.Record())
		}
	}
	switch plan.Mode {
	case diagnosis.ModeInPlace:
		err = e.applyInPlace(ctx, plan, res, settled)
	case diagnosis.ModeCopy:
		err = e.applyCopy(ctx, plan, fresh, res, settled)
	default:
		return nil, fmt.Errorf("apply plan %s: mode %q cannot be applied (resolve auto first)", plan.ID, plan.Mode)
	}
	e.noteApplied(ctx, res.Plan, res)
	if err != nil {
		return res, fmt.Errorf("apply plan %s to %s: %w", plan.ID, plan.ProjectKey, err)
	}

	after, err := e.Diagnose(ctx, plan.ProjectKey)
	if err != nil {
		return res, fmt.Errorf("verify %s after applying: %w", plan.ProjectKey, err)
	}
	res.After, res.Verified = after, after.Report.Healthy
	res.Customer = e.VerifyCustomer(ctx, after)
	return res, nil
}

// plannedChanges lists the writes an in-place plan makes, none attempted.
func plannedChanges(plan diagnosis.Plan) []Change {
	var out []Change
	for _, g := range plan.AddGrants {
		out = append(out, Change{Step: StepAddGrant, SchemeID: plan.SchemeID, SchemeName: plan.SchemeName, Grant: g, Outcome: NotAttempted})
	}
	for _, g := range plan.RemoveGrants {
		out = append(out, Change{Step: StepRemoveGrant, SchemeID: plan.SchemeID, SchemeName: plan.SchemeName, Grant: g, Outcome: NotAttempted})
	}
	return out
}

// applyInPlace adds and removes grants on the project's own scheme;
// settled is called after each write.
func (e *Engine) applyInPlace(ctx context.Context, plan diagnosis.Plan, res *Result, settled func()) error {
	res.Changes = plannedChanges(plan)
	for i := range res.Changes {
		c := &res.Changes[i]
		var err error
		if c.Step == StepAddGrant {
			err = e.addGrant(ctx, plan.SchemeID, c)
		} else {
			err = e.removeGrant(ctx, plan.SchemeID, c)
		}
		settled()
		if err != nil {
			return err
		}
	}
	return nil
}

// addGrant adds one grant and records its outcome in c. Whatever the
// error, re-reading the scheme decides: Jira answers 400 both for a
// duplicate and for a bad grant, and a POST whose answer was lost (a
// timeout, a dropped connection, a 5xx) may have been applied. A grant
// found on re-reading is this write's (Made) when the answer was lost, and
// someone else's (AlreadyThere) when Jira refused the write. When the
// answer was lost and the re-read fails too, the outcome is Unknown.
func (e *Engine) addGrant(ctx context.Context, schemeID int64, c *Change) error {
	created, err := e.jira.AddGrant(ctx, schemeID, fromGrant(c.Grant))
	if err == nil {
		c.Grant.ID = created.ID
		c.set(Made, nil)
		return nil
	}
	op := fmt.Sprintf("grant %s to %s", c.Grant.Permission, c.Grant.Holder.Type)
	id, found, rerr := e.findGrant(ctx, schemeID, c.Grant)
	switch {
	case rerr == nil && found:
		c.Grant.ID = id
		c.set(foundAfter(err), nil)
		return nil
	case rerr != nil && mayHaveLanded(err):
		err = unknownOutcome(op, err)
		c.set(Unknown, err)
		return err
	}
	err = needPermission(op, "Administer Jira", err)
	c.set(Failed, err)
	return err
}

// removeGrant deletes one grant and records its outcome in c. As for
// addGrant, re-reading decides: Jira answers 400 for an unknown grant id,
// and a DELETE whose answer was lost may have been applied. A grant gone
// on re-reading was removed by this write (Made) when the answer was lost,
// and by someone else (AlreadyThere) when Jira refused the write.
func (e *Engine) removeGrant(ctx context.Context, schemeID int64, c *Change) error {
	err := e.jira.DeleteGrant(ctx, schemeID, c.Grant.ID)
	if err == nil {
		c.set(Made, nil)
		return nil
	}
	op := fmt.Sprintf("remove grant %d", c.Grant.ID)
	s, rerr := e.jira.PermissionScheme(ctx, schemeID)
	switch {
	case rerr == nil && !hasGrantID(s, c.Grant.ID):
		c.set(foundAfter(err), nil)
		return nil
	case rerr != nil && mayHaveLanded(err):
		err = unknownOutcome(op, err)
		c.set(Unknown, err)
		return err
	}
	err = needPermission(op, "Administer Jira", err)
	c.set(Failed, err)
	return err
}

// findGrant re-reads a scheme and looks for a grant by holder and
// permission.
func (e *Engine) findGrant(ctx context.Context, schemeID int64, want diagnosis.Grant) (int64, bool, error) {
	s, err := e.jira.PermissionScheme(ctx, schemeID)
	if err != nil {
		return 0, false, err
	}
	id, ok := grantLike(s, want)
	return id, ok, nil
}

// grantLike finds a grant of s with want's holder and permission.
func grantLike(s *jira.PermissionScheme, want diagnosis.Grant) (int64, bool) {
	for _, g := range s.Permissions {
		if sameGrant(g, want) {
			return g.ID, true
		}
	}
	return 0, false
}

// grantByID finds a grant of s by id.
func grantByID(s *jira.PermissionScheme, id int64) (jira.Grant, bool) {
	for _, g := range s.Permissions {
		if g.ID == id {
			return g, true
		}
	}
	return jira.Grant{}, false
}

func hasGrantID(s *jira.PermissionScheme, id int64) bool {
	_, ok := grantByID(s, id)
	return ok
}

// sameGrant reports whether g gives want's permission to want's holder.
func sameGrant(g jira.Grant, want diagnosis.Grant) bool {
	return g.Permission == want.Permission && g.Holder.Type == want.Holder.Type && g.Holder.Parameter == want.Holder.Parameter
}

// maxCopyNames bounds how many names applyCopy tries when Jira answers
// that the name it chose is taken.
const maxCopyNames = 5

// applyCopy does what Jira's "Fix permissions" button does: create a copy
// of the scheme with the plan's changes and assign it to this project only.
// The shared scheme is not touched.
//
// The copy's name is chosen now, from the scheme names of the fresh
// diagnosis, not the planned one: two copy plans made at about the same
// time planned the same name. When Jira still answers that the name is
// taken, the next free name is tried, a few times. The description names
// the plan (res.PlanID), which is how a copy whose answer was lost, or one
// left by a crash, is found again. When the assignment fails, the copy is
// deleted again, since nothing uses it.
//
// The copy's grants are diagnosis.ApplyTo of the fresh snapshot's, the one
// computation of a scheme after a plan. Grants kept from the original are
// sent as Jira gave them, so holders keep every field Jira sent (a group's
// id as well as its name). settled is called after each write.
func (e *Engine) applyCopy(ctx context.Context, plan diagnosis.Plan, fresh *Diagnosis, res *Result, settled func()) error {
	res.Changes = []Change{
		{Step: StepCreateScheme, SchemeName: plan.CopyName, Outcome: NotAttempted},
		{Step: StepAssignScheme, SchemeName: plan.CopyName, Outcome: NotAttempted},
	}
	create, assign := &res.Changes[0], &res.Changes[1]
	body := jira.PermissionScheme{
		Description: copyDescription(plan, res.PlanID),
		Permissions: copyGrants(fresh, plan),
	}
	created, err := e.createCopy(ctx, fresh.Snapshot, body, res.PlanID, create)
	if err != nil {
		settled()
		return err
	}
	res.Plan.CopyName = created.Name
	create.SchemeID, create.SchemeName = created.ID, created.Name
	assign.SchemeID, assign.SchemeName = created.ID, created.Name
	settled()
	defer settled() // the assignment, and the deletion of a copy it left unused

	err = e.jira.AssignPermissionScheme(ctx, plan.ProjectKey, created.ID)
	if err == nil {
		assign.set(Made, nil)
		return nil
	}
	op := fmt.Sprintf("assign scheme %d to %s", created.ID, plan.ProjectKey)
	cur, rerr := e.jira.AssignedPermissionScheme(ctx, plan.ProjectKey)
	switch {
	case rerr == nil && cur.ID == created.ID:
		assign.set(Made, nil) // the answer was lost; the PUT landed
		return nil
	case rerr != nil && mayHaveLanded(err):
		// The project may use the copy: it must not be deleted.
		err = onProject(plan.ProjectKey, unknownOutcome(op, err))
		assign.set(Unknown, err)
		return err
	}
	err = onProject(plan.ProjectKey, needPermission(op, "Administer Jira", err))
	assign.set(Failed, err)
	del := Change{Step: StepDeleteScheme, SchemeID: created.ID, SchemeName: created.Name, Outcome: NotAttempted}
	_ = e.deleteScheme(ctx, &del) // if it fails, the reconciler finds the orphan by its description
	res.Changes = append(res.Changes, del)
	return err
}

// createCopy creates the copy under the first free name, recording the
// outcome in c. On an error it re-lists the schemes: a scheme naming the
// plan is this copy (the answer was lost); a taken name means another copy
// got there first, and the next free name is tried.
func (e *Engine) createCopy(ctx context.Context, snap diagnosis.Snapshot, body jira.PermissionScheme, planID string, c *Change) (*jira.PermissionScheme, error) {
	for attempt := 1; ; attempt++ {
		body.Name = copyNameAmong(snap)
		c.SchemeName = body.Name
		created, err := e.jira.CreatePermissionScheme(ctx, body)
		if err == nil {
			c.set(Made, nil)
			return created, nil
		}
		op := "create permission scheme " + body.Name
		schemes, lerr := e.jira.PermissionSchemes(ctx)
		if lerr != nil {
			if mayHaveLanded(err) {
				err = unknownOutcome(op, err)
				c.set(Unknown, err)
				return nil, err
			}
			err = needPermission(op, "Administer Jira", err)
			c.set(Failed, err)
			return nil, err
		}
		if s, ok := copyFor(schemes, planID); ok {
			c.set(Made, nil)
			return &s, nil
		}
		if mayHaveLanded(err) || !nameTaken(schemes, body.Name) || attempt == maxCopyNames {
			err = needPermission(op, "Administer Jira", err)
			c.set(Failed, err)
			return nil, err
		}
		snap.SchemeNames = schemeNames(schemes)
	}
}

// copyNameAmong is the name a copy of snap's scheme gets among the scheme
// names in snap: the name diagnosis.NewPlan plans for them, the one
// computation of a copy's name.
func copyNameAmong(snap diagnosis.Snapshot) string {
	p, err := diagnosis.NewPlan(snap, diagnosis.ModeCopy)
	if err != nil {
		// Unreachable: the snapshot's digest matched a plan's, so it has
		// something to repair.
		return snap.Scheme.Name + " 2"
	}
	return p.CopyName
}

func schemeNames(schemes []jira.PermissionScheme) []string {
	out := make([]string, 0, len(schemes))
	for _, s := range schemes {
		out = append(out, s.Name)
	}
	return out
}

// nameTaken reports whether a scheme has name, ignoring case as Jira does.
func nameTaken(schemes []jira.PermissionScheme, name string) bool {
	return slices.ContainsFunc(schemes, func(s jira.PermissionScheme) bool { return strings.EqualFold(s.Name, name) })
}

// deleteScheme deletes the copy c names and records the outcome in c. A
// delete whose answer was lost is settled by listing the schemes.
func (e *Engine) deleteScheme(ctx context.Context, c *Change) error {
	err := e.jira.DeletePermissionScheme(ctx, c.SchemeID)
	if err == nil {
		c.set(Made, nil)
		return nil
	}
	op := fmt.Sprintf("delete permission scheme %d", c.SchemeID)
	schemes, lerr := e.jira.PermissionSchemes(ctx)
	switch {
	case lerr == nil && !slices.ContainsFunc(schemes, func(s jira.PermissionScheme) bool { return s.ID == c.SchemeID }):
		c.set(foundAfter(err), nil)
		return nil
	case lerr != nil && mayHaveLanded(err):
		err = unknownOutcome(op, err)
		c.set(Unknown, err)
		return err
	}
	err = needPermission(op, "Administer Jira", err)
	c.set(Failed, err)
	return err
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

// copyDescription is the description of the copy a plan makes. It names
// the plan as "(plan ID)", which [namesPlan] looks for.
func copyDescription(plan diagnosis.Plan, planID string) string {
	return fmt.Sprintf("Copy of %q made by jsmbot for project %s (plan %s): adds the grants JSM needs; the original scheme is unchanged.",
		plan.SchemeName, plan.ProjectKey, planID)
}

// namesPlan reports whether a scheme's description says jsmbot made it for
// the plan planID.
func namesPlan(description, planID string) bool {
	return planID != "" && strings.Contains(description, "made by jsmbot") && strings.Contains(description, "(plan "+planID+")")
}

// copyFor finds the copy made for planID among schemes.
func copyFor(schemes []jira.PermissionScheme, planID string) (jira.PermissionScheme, bool) {
	for _, s := range schemes {
		if namesPlan(s.Description, planID) {
			return s, true
		}
	}
	return jira.PermissionScheme{}, false
}
