// Package repair is the one orchestration every front end shares: it reads a
// project's state from Jira, diagnoses it with package diagnosis, applies an
// approved plan, and verifies the result by diagnosing again.
//
// The bot, the command line and the demo only translate its results. It
// lives apart from jira (which knows nothing of rules) and diagnosis (which
// does no I/O) because it is the one place that joins the two.
//
// It is also the one place that decides what kind of failure an error is
// ([Classify], [KindOf], in kind.go): front ends switch over the [Kind] and
// choose words, and never inspect an error themselves. A new kind of
// failure is a constant and a case there; a component repair does not own
// tags its errors with [Mark].
//
// What became of each write is an [Outcome] (outcome.go); a write whose
// answer was lost and could not be re-read is [Unknown], never failed. After
// an apply, a [Result] becomes a [Record] (record.go), which front ends
// store; [Engine.Settle] (settle.go) reads Jira, never writing, to say which
// of a record's changes Jira holds and finds the copies a crash left;
// [Engine.Undo] (undo.go) reverts exactly what a record says was made; and
// [Engine.VerifyCustomer] (verify.go) asks Jira about one real customer of
// the desk. A new step of a repair or an undo is a constant beside the
// others and a case in its Words.
//
// Who broke a project, and when, comes from Jira's audit log:
// [Engine.Causes] (cause.go) explains each critical finding by the record
// that removed the grant or moved the project, and says nothing rather
// than guess.
package repair

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira"
)

// DefaultShareCacheTTL is how long [New]'s engine reuses the project→scheme
// index unless [WithShareCacheTTL] says otherwise.
const DefaultShareCacheTTL = time.Minute

// scanConcurrency bounds how many projects' schemes are read at once when
// finding the projects that share a scheme.
const scanConcurrency = 16

// Engine diagnoses and repairs projects on one Jira site. It is safe for
// concurrent use.
type Engine struct {
	jira     *jira.Client
	log      *slog.Logger
	cacheTTL time.Duration
	check    PermissionCheck // how customers are checked (verify.go); nil: not at all

	mu    sync.Mutex
	share *shareIndex // project key → scheme id, from the last scan
}

// Option configures an [Engine].
type Option func(*Engine)

// WithLogger sets the engine's logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(e *Engine) { e.log = l } }

// WithShareCacheTTL sets how long the project→scheme index is reused
// (default [DefaultShareCacheTTL]; zero disables the cache).
func WithShareCacheTTL(d time.Duration) Option { return func(e *Engine) { e.cacheTTL = d } }

// New returns an engine that works through c.
func New(c *jira.Client, opts ...Option) *Engine {
	e := &Engine{
		jira:     c,
		log:      slog.New(slog.DiscardHandler),
		cacheTTL: DefaultShareCacheTTL,
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Diagnosis is the state of one project and what is wrong with it.
type Diagnosis struct {
	Snapshot diagnosis.Snapshot
	Report   diagnosis.Report
	// Plan is the repair in auto mode; nil when there is nothing to repair
	// or the project is not one jsmbot repairs. Other modes come from
	// diagnosis.NewPlan(d.Snapshot, mode).
	Plan *diagnosis.Plan
	// Unscanned counts the projects whose scheme could not be read while
	// looking for projects that share this one's scheme.
	Unscanned int
	// Causes are who and when behind the critical findings; empty until a
	// front end fills it from [Engine.Causes] (cause.go).
	Causes AuditCauses

	// scheme is the scheme as Jira sent it, holders complete, for copying.
	scheme *jira.PermissionScheme
}

// Diagnose reads the project's state and diagnoses it. The reads run
// concurrently with the scan for projects sharing the scheme, so a
// diagnosis costs about two Jira round trips, not one per call.
//
// A project that is not a company-managed service project is not an error:
// its Report says it is not applicable. Errors are a [*ProjectError]
// wrapping Jira's (with errors.Is support for jira's sentinels) or a
// [*PermissionError].
func (e *Engine) Diagnose(ctx context.Context, projectKey string) (*Diagnosis, error) {
	// The scan starts first and runs beside the snapshot's reads; it is
	// cancelled as soon as the snapshot shows it is not needed.
	scanCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg      sync.WaitGroup
		idx     *shareIndex
		scanErr error
	)
	wg.Go(func() { idx, scanErr = e.shareIndex(scanCtx) })
	snap, scheme, err := e.snapshot(ctx, projectKey)
	repairable := err == nil && diagnosis.ApplicabilityOf(snap.Project) == diagnosis.Applicable
	if !repairable {
		cancel()
	}
	wg.Wait()
	if err != nil {
		return nil, aboutProject(projectKey, err)
	}
	if !repairable {
		return e.diagnose(*snap, nil, nil), nil
	}
	if scanErr != nil {
		return nil, aboutProject(projectKey, scanErr)
	}
	return e.diagnose(*snap, scheme, idx), nil
}

func (e *Engine) diagnose(snap diagnosis.Snapshot, scheme *jira.PermissionScheme, idx *shareIndex) *Diagnosis {
	d := &Diagnosis{Snapshot: snap, scheme: scheme}
	d.Snapshot.SharedWith = []string{}
	if idx != nil {
		d.Snapshot.SharedWith, d.Unscanned = idx.using(snap.Scheme.ID, snap.Project.Key)
	}
	d.Report = diagnosis.Diagnose(d.Snapshot)
	if p, err := diagnosis.NewPlan(d.Snapshot, diagnosis.ModeAuto); err == nil {
		d.Plan = &p
	}
	return d
}

// snapshot reads the project, its scheme with grants, its roles and the
// site's scheme names, all at once. The project's answer decides: a
// missing project is reported as such even though the other reads failed
// too, and a project jsmbot does not repair needs nothing else.
func (e *Engine) snapshot(ctx context.Context, key string) (*diagnosis.Snapshot, *jira.PermissionScheme, error) {
	var (
		wg                                        sync.WaitGroup
		project                                   *jira.Project
		scheme                                    *jira.PermissionScheme
		roles                                     map[string]string
		schemes                                   []jira.PermissionScheme
		projectErr, schemeErr, rolesErr, namesErr error
	)
	wg.Go(func() { project, projectErr = e.jira.Project(ctx, key) })
	wg.Go(func() { scheme, schemeErr = e.jira.ProjectPermissionScheme(ctx, key) })
	wg.Go(func() { roles, rolesErr = e.jira.ProjectRoles(ctx, key) })
	wg.Go(func() { schemes, namesErr = e.jira.PermissionSchemes(ctx) })
	wg.Wait()

	if projectErr != nil {
		return nil, nil, onProject(key, fmt.Errorf("read project %s: %w", key, projectErr))
	}
	snap := &diagnosis.Snapshot{Project: toProject(project), Roles: map[string]string{}}
	if diagnosis.ApplicabilityOf(snap.Project) != diagnosis.Applicable {
		return snap, nil, nil
	}
	if schemeErr != nil {
		return nil, nil, onProject(key, needPermission("read the permission scheme of "+key, "Administer Projects (or Administer Jira)", schemeErr))
	}
	if rolesErr != nil {
		// Jira answers 401 or 404 here, not 403, to an account without
		// Administer Projects; the project read above already proved the
		// credentials and the project, so say what is really missing.
		if errors.Is(rolesErr, jira.ErrUnauthorized) || errors.Is(rolesErr, jira.ErrNotFound) || errors.Is(rolesErr, jira.ErrForbidden) {
			return nil, nil, &PermissionError{Op: "read the roles of " + key, Permission: "Administer Projects (or Administer Jira)", Err: rolesErr}
		}
		return nil, nil, fmt.Errorf("read the roles of %s: %w", key, rolesErr)
	}
	if namesErr != nil {
		return nil, nil, fmt.Errorf("list permission schemes: %w", namesErr)
	}
	snap.Scheme = toScheme(scheme)
	snap.Roles = roles
	for _, s := range schemes {
		snap.SchemeNames = append(snap.SchemeNames, s.Name)
	}
	slices.Sort(snap.SchemeNames)
	return snap, scheme, nil
}

func toProject(p *jira.Project) diagnosis.Project {
	return diagnosis.Project{ID: p.ID, Key: p.Key, Name: p.Name, TypeKey: p.ProjectTypeKey, TeamManaged: p.TeamManaged()}
}

func toScheme(s *jira.PermissionScheme) diagnosis.Scheme {
	out := diagnosis.Scheme{ID: s.ID, Name: s.Name, Grants: make([]diagnosis.Grant, 0, len(s.Permissions))}
	for _, g := range s.Permissions {
		out.Grants = append(out.Grants, toGrant(g))
	}
	return out
}

func toGrant(g jira.Grant) diagnosis.Grant {
	return diagnosis.Grant{ID: g.ID, Holder: diagnosis.Holder{Type: g.Holder.Type, Parameter: g.Holder.Parameter}, Permission: g.Permission}
}

// fromGrant turns a planned grant into the body Jira expects. A role
// holder carries the role id as both parameter and value, as Jira's own
// grants do.
func fromGrant(g diagnosis.Grant) jira.Grant {
	h := jira.Holder{Type: g.Holder.Type, Parameter: g.Holder.Parameter}
	if h.Type == diagnosis.HolderProjectRole {
		h.Value = h.Parameter
	}
	return jira.Grant{Holder: h, Permission: g.Permission}
}

// PermissionError says which Jira permission the account lacks for an
// operation.
type PermissionError struct {
	// Op is what was refused, e.g. "read the permission scheme of HELP".
	Op string
	// Permission names the Jira permission the account needs, as Jira's
	// UI labels it, e.g. "Administer Jira".
	Permission string
	// Err is Jira's answer.
	Err error
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("%s: the Jira account needs the %s permission: %v", e.Op, e.Permission, e.Err)
}

func (e *PermissionError) Unwrap() error { return e.Err }

// needPermission wraps err as a [*PermissionError] when Jira refused it
// with 403, and as an operation error otherwise.
func needPermission(op, permission string, err error) error {
	if errors.Is(err, jira.ErrForbidden) {
		return &PermissionError{Op: op, Permission: permission, Err: err}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// ProjectError is an error about one project. Key names the project, so a
// front end can say which one without reading Jira's text; [Classify]
// reports it as Failure.Project. [Engine.Diagnose] and
// [Engine.LookupCustomers] return their errors as one.
type ProjectError struct {
	// Key is the project's key as the caller gave it.
	Key string
	// Missing is true when Jira answered 404 for the project itself or
	// one of its own resources: the project does not exist, or the
	// account may not see it. [KindOf] then says [KindNotFound].
	Missing bool
	// Err is what failed.
	Err error
}

// Error is Err's text, which already names the project.
func (e *ProjectError) Error() string { return e.Err.Error() }

// Unwrap returns Err.
func (e *ProjectError) Unwrap() error { return e.Err }

// onProject wraps err, from a request for one of project key's own
// resources (the project, its scheme), as a [*ProjectError]; a 404 there
// means the project is missing.
func onProject(key string, err error) error {
	return &ProjectError{Key: key, Missing: errors.Is(err, jira.ErrNotFound), Err: err}
}

// aboutProject ties err to project key, unless it already names a project.
func aboutProject(key string, err error) error {
	var pe *ProjectError
	if err == nil || errors.As(err, &pe) {
		return err
	}
	return &ProjectError{Key: key, Err: err}
}
