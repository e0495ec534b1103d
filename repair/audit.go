package repair

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira"
)

// ErrNoServiceProject reports that no company-managed service project
// uses a permission scheme, so jsmbot has nothing to diagnose or repair on
// it.
var ErrNoServiceProject = errors.New("repair: no service project uses the scheme")

// AuditOptions configures [Engine.Audit].
type AuditOptions struct {
	// Progress, when set, hears how many projects the scan has read of
	// how many it knows of, while it runs. Calls come one at a time and
	// must be quick.
	Progress func(done, total int)
	// MaxAge, when positive, lets the audit use a site index younger
	// than it instead of scanning; zero always scans (joining a scan
	// under way).
	MaxAge time.Duration
}

// AuditReport is the fleet audit of a site: every company-managed service
// project grouped by the permission scheme it uses, each scheme diagnosed
// once. It is a public JSON contract (jsmbot audit --json), one object:
//
//	{
//	  "builtAt": "2026-03-02T09:00:12Z",
//	  "rolesFrom": "FL0001",
//	  "schemes": [{"id": 10100, "name": "…", "healthy": false,
//	               "projects": [{"key", "id", "name", "projectTypeKey"}…],
//	               "otherProjects": ["SOFT"…],
//	               "findings": [Finding…], "plan": Plan|null}…],
//	  "unchecked": [{"key", "id", "name", "projectTypeKey", "reason"}…],
//	  "notApplicable": [{"key", "id", "name", "projectTypeKey", "reason"}…],
//	  "summary": {"projects", "schemes", "brokenProjects", "brokenSchemes",
//	              "unchecked", "notApplicable", "text"}
//	}
//
// findings and plan have the shapes of diagnose --json (DESIGN.md); the
// plan repairs the scheme in place, for every project on it. Schemes come
// worst first: broken before healthy, then by how many service projects
// they serve, then by their critical findings. Lists are never null.
type AuditReport struct {
	// BuiltAt is when the site index the audit read was built.
	BuiltAt time.Time `json:"builtAt"`
	// RolesFrom is the project whose roles resolved role holders. Project
	// roles are global in Jira Cloud (reference §2.5): every project of a
	// site maps a role name to the same id, so one read serves every
	// scheme. Empty when no scheme was diagnosed.
	RolesFrom     string         `json:"rolesFrom"`
	Schemes       []AuditScheme  `json:"schemes"`
	Unchecked     []AuditProject `json:"unchecked"`
	NotApplicable []AuditProject `json:"notApplicable"`
	Summary       AuditSummary   `json:"summary"`
}

// AuditScheme is one scheme of an [AuditReport], diagnosed once for all
// its projects.
type AuditScheme struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Healthy bool   `json:"healthy"`
	// Projects are the company-managed service projects on the scheme,
	// sorted by key.
	Projects []AuditProject `json:"projects"`
	// OtherProjects are the keys of the other projects on the scheme
	// (software, business): an in-place repair changes them too.
	OtherProjects []string            `json:"otherProjects"`
	Findings      []diagnosis.Finding `json:"findings"`
	// Plan repairs the scheme in place; nil when there is nothing to
	// repair. Its ProjectKey is the project it was diagnosed as (the
	// first of Projects), which [Engine.Apply] re-reads to check the
	// digest; its Affects are all the other projects on the scheme.
	Plan *diagnosis.Plan `json:"plan"`
}

// AuditProject is a project in an [AuditReport].
type AuditProject struct {
	Key     string `json:"key"`
	ID      string `json:"id"`
	Name    string `json:"name"`
	TypeKey string `json:"projectTypeKey"`
	// Reason says why the project is unchecked or not applicable; empty
	// for a project on a scheme.
	Reason string `json:"reason,omitempty"`
}

// AuditSummary counts an [AuditReport].
type AuditSummary struct {
	// Projects and Schemes count the service projects on a scheme and
	// their schemes; BrokenProjects and BrokenSchemes those with a
	// critical finding.
	Projects       int `json:"projects"`
	Schemes        int `json:"schemes"`
	BrokenProjects int `json:"brokenProjects"`
	BrokenSchemes  int `json:"brokenSchemes"`
	Unchecked      int `json:"unchecked"`
	NotApplicable  int `json:"notApplicable"`
	// Text says it in one line, e.g. "12 projects on 3 schemes lack
	// Portal Access grants".
	Text string `json:"text"`
}

// Audit diagnoses every company-managed service project of the site,
// scheme by scheme: one scan (the site index; see [AuditOptions.MaxAge])
// and one read of the site's roles, so about one Jira call per project.
// Team-managed service projects are listed as not applicable, projects
// whose scheme could not be read as unchecked. Errors are the scan's (the
// projects or the schemes could not be listed) or the roles' read (a
// [*PermissionError] when the account lacks Administer Projects).
func (e *Engine) Audit(ctx context.Context, opts AuditOptions) (*AuditReport, error) {
	var x *shareIndex
	if opts.MaxAge > 0 {
		x = e.freshIndexOrNil(ctx, opts.MaxAge)
		if x != nil && opts.Progress != nil {
			n := len(x.idx.Projects)
			opts.Progress(n, n)
		}
	}
	if x == nil {
		var err error
		if x, err = e.join(ctx, opts.Progress); err != nil {
			return nil, fmt.Errorf("audit the site: %w", err)
		}
	}
	groups := groupByScheme(x.idx)
	r := &AuditReport{BuiltAt: x.idx.BuiltAt, Schemes: []AuditScheme{}, Unchecked: []AuditProject{}, NotApplicable: []AuditProject{}}
	var roles map[string]string
	if len(groups) > 0 {
		r.RolesFrom = firstService(groups)
		var err error
		if roles, err = e.roles(ctx, r.RolesFrom); err != nil {
			return nil, fmt.Errorf("audit the site: %w", err)
		}
	}
	names := make([]string, 0, len(x.idx.Schemes))
	for _, s := range x.idx.Schemes {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	for id, g := range groups {
		r.Schemes = append(r.Schemes, diagnoseScheme(x.idx.Schemes[id], g, roles, names))
	}
	for _, k := range slices.Sorted(maps.Keys(x.idx.Projects)) {
		p := x.idx.Projects[k]
		switch {
		case p.TeamManaged && p.TypeKey == diagnosis.TypeServiceDesk:
			r.NotApplicable = append(r.NotApplicable, auditProject(p, "team-managed: it has no permission scheme to check"))
		case !p.TeamManaged && !p.HasScheme():
			r.Unchecked = append(r.Unchecked, auditProject(p, p.Unchecked))
		}
	}
	slices.SortFunc(r.Schemes, worstFirst)
	r.Summary = summarize(r)
	return r, nil
}

// PlanScheme diagnoses one scheme for every project on it and plans its
// in-place repair, for [Engine.Apply]: the projects come from the site
// index (scanned first when stale), the scheme's grants, the roles and the
// scheme names are read now, so the plan's digest is current. The result
// has Plan nil when the scheme is healthy. Errors wrap [ErrNoServiceProject]
// when the index has no company-managed service project on the scheme (an
// unknown scheme id included), and Jira's error otherwise (a
// [*PermissionError] when the account may not read the scheme).
func (e *Engine) PlanScheme(ctx context.Context, schemeID int64) (*AuditScheme, error) {
	idx, err := e.SiteIndex(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan the repair of scheme %d: %w", schemeID, err)
	}
	g, ok := groupByScheme(idx)[schemeID]
	if !ok {
		return nil, fmt.Errorf("plan the repair of scheme %d: %w", schemeID, ErrNoServiceProject)
	}
	var (
		wg                        sync.WaitGroup
		scheme                    *jira.PermissionScheme
		roles                     map[string]string
		schemes                   []jira.PermissionScheme
		schemeErr, rolesErr, nErr error
	)
	wg.Go(func() { scheme, schemeErr = e.jira.PermissionScheme(ctx, schemeID) })
	wg.Go(func() { roles, rolesErr = e.roles(ctx, g.service[0].Key) })
	wg.Go(func() { schemes, nErr = e.jira.PermissionSchemes(ctx) })
	wg.Wait()
	switch {
	case schemeErr != nil:
		err = needPermission(fmt.Sprintf("read permission scheme %d", schemeID), "Administer Jira", schemeErr)
	case rolesErr != nil:
		err = rolesErr
	case nErr != nil:
		err = fmt.Errorf("list permission schemes: %w", nErr)
	}
	if err != nil {
		return nil, fmt.Errorf("plan the repair of scheme %d: %w", schemeID, err)
	}
	e.update(ctx, func(idx *Index) bool {
		idx.Schemes[schemeID] = toIndexScheme(*scheme)
		return true
	})
	as := diagnoseScheme(toIndexScheme(*scheme), g, roles, schemeNames(schemes))
	return &as, nil
}

// schemeGroup is the projects on one scheme.
type schemeGroup struct {
	service []IndexProject // company-managed service projects, by key
	others  []string       // other projects' keys, sorted
}

// groupByScheme groups the projects of idx by scheme, keeping the schemes
// with at least one company-managed service project.
func groupByScheme(idx *Index) map[int64]schemeGroup {
	all := map[int64]schemeGroup{}
	for _, k := range slices.Sorted(maps.Keys(idx.Projects)) {
		p := idx.Projects[k]
		if !p.HasScheme() {
			continue
		}
		g := all[p.SchemeID]
		if p.TypeKey == diagnosis.TypeServiceDesk {
			g.service = append(g.service, p)
		} else {
			g.others = append(g.others, k)
		}
		all[p.SchemeID] = g
	}
	maps.DeleteFunc(all, func(_ int64, g schemeGroup) bool { return len(g.service) == 0 })
	return all
}

// firstService is the first service project, by key, of any group.
func firstService(groups map[int64]schemeGroup) string {
	first := ""
	for _, g := range groups {
		if k := g.service[0].Key; first == "" || k < first {
			first = k
		}
	}
	return first
}

// roles reads a project's roles, saying which permission is missing when
// Jira refuses (as snapshot does).
func (e *Engine) roles(ctx context.Context, key string) (map[string]string, error) {
	roles, err := e.jira.ProjectRoles(ctx, key)
	if err == nil {
		return roles, nil
	}
	if errors.Is(err, jira.ErrUnauthorized) || errors.Is(err, jira.ErrNotFound) || errors.Is(err, jira.ErrForbidden) {
		return nil, &PermissionError{Op: "read the roles of " + key, Permission: "Administer Projects (or Administer Jira)", Err: err}
	}
	return nil, fmt.Errorf("read the roles of %s: %w", key, err)
}

// diagnoseScheme diagnoses scheme once, as its first service project, with
// every other project of the scheme sharing it.
func diagnoseScheme(scheme IndexScheme, g schemeGroup, roles map[string]string, names []string) AuditScheme {
	as := AuditScheme{ID: scheme.ID, Name: scheme.Name, Projects: []AuditProject{}, OtherProjects: slices.Clone(g.others)}
	if as.OtherProjects == nil {
		as.OtherProjects = []string{}
	}
	shared := slices.Clone(g.others)
	for _, p := range g.service {
		as.Projects = append(as.Projects, auditProject(p, ""))
		shared = append(shared, p.Key)
	}
	rep := g.service[0]
	snap := diagnosis.Snapshot{
		Project:     diagnosis.Project{ID: rep.ID, Key: rep.Key, Name: rep.Name, TypeKey: rep.TypeKey},
		Scheme:      toScheme(&jira.PermissionScheme{ID: scheme.ID, Name: scheme.Name, Permissions: scheme.Grants}),
		Roles:       roles,
		SharedWith:  shared,
		SchemeNames: names,
	}
	report := diagnosis.Diagnose(snap)
	as.Healthy, as.Findings = report.Healthy, report.Findings
	if p, err := diagnosis.NewPlan(snap, diagnosis.ModeInPlace); err == nil {
		as.Plan = &p
	}
	return as
}

func auditProject(p IndexProject, reason string) AuditProject {
	return AuditProject{Key: p.Key, ID: p.ID, Name: p.Name, TypeKey: p.TypeKey, Reason: reason}
}

// worstFirst orders schemes: broken first, then by service projects, then
// by critical findings, then by warnings; then by name and id.
func worstFirst(a, b AuditScheme) int {
	if a.Healthy != b.Healthy {
		if !a.Healthy {
			return -1
		}
		return 1
	}
	return cmp.Or(
		-cmp.Compare(len(a.Projects), len(b.Projects)),
		-cmp.Compare(count(a.Findings, diagnosis.Critical), count(b.Findings, diagnosis.Critical)),
		-cmp.Compare(count(a.Findings, diagnosis.Warning), count(b.Findings, diagnosis.Warning)),
		cmp.Compare(a.Name, b.Name),
		cmp.Compare(a.ID, b.ID),
	)
}

func count(fs []diagnosis.Finding, s diagnosis.Severity) int {
	n := 0
	for _, f := range fs {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// summarize counts r and says it in one line.
func summarize(r *AuditReport) AuditSummary {
	s := AuditSummary{Schemes: len(r.Schemes), Unchecked: len(r.Unchecked), NotApplicable: len(r.NotApplicable)}
	var portalProjects, portalSchemes, otherProjects, otherSchemes int
	for _, sc := range r.Schemes {
		s.Projects += len(sc.Projects)
		if sc.Healthy {
			continue
		}
		s.BrokenSchemes++
		s.BrokenProjects += len(sc.Projects)
		if slices.ContainsFunc(sc.Findings, func(f diagnosis.Finding) bool { return f.Rule == diagnosis.RulePortalAccess }) {
			portalProjects += len(sc.Projects)
			portalSchemes++
		} else {
			otherProjects += len(sc.Projects)
			otherSchemes++
		}
	}
	var parts []string
	switch {
	case s.Schemes == 0:
		parts = append(parts, "No company-managed service project to check")
	case s.BrokenSchemes == 0:
		parts = append(parts, fmt.Sprintf("All %s on %s are healthy", plural(s.Projects, "service project"), plural(s.Schemes, "scheme")))
	default:
		if portalSchemes > 0 {
			parts = append(parts, fmt.Sprintf("%s on %s %s Portal Access grants", plural(portalProjects, "project"), plural(portalSchemes, "scheme"), verb(portalProjects, "lacks", "lack")))
		}
		if otherSchemes > 0 {
			parts = append(parts, fmt.Sprintf("%s on %s %s other critical permission problems", plural(otherProjects, "project"), plural(otherSchemes, "scheme"), verb(otherProjects, "has", "have")))
		}
	}
	if s.Unchecked > 0 {
		parts = append(parts, fmt.Sprintf("%s could not be checked", plural(s.Unchecked, "project")))
	}
	s.Text = strings.Join(parts, "; ")
	return s
}

// plural is "1 project" or "12 projects".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func verb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
