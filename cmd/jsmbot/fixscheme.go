package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/repair"
	"golang.org/x/sync/errgroup"
)

// verifyConcurrency is how many projects fix --scheme diagnoses at once
// to verify them. The client's pacer keeps them under Jira's burst limits;
// this keeps a scheme of thousands of projects from holding thousands of
// requests open.
const verifyConcurrency = 16

// fixTarget parses fix's arguments: one project KEY, or --scheme and none.
// schemeSet says which.
func fixTarget(fs *flag.FlagSet, args []string, stdout io.Writer) (key string, schemeSet bool, err error) {
	positional, err := parsePositional(fs, args, stdout)
	if err != nil {
		return "", false, err
	}
	fs.Visit(func(f *flag.Flag) { schemeSet = schemeSet || f.Name == "scheme" })
	if schemeSet {
		if len(positional) > 0 {
			return "", true, &usageError{msg: fmt.Sprintf("fix --scheme repairs every project on the scheme; it takes no project key, got %q", positional[0])}
		}
		return "", true, nil
	}
	if len(positional) != 1 {
		return "", false, &usageError{msg: "fix needs exactly one project key (or --scheme ID)"}
	}
	key, err = jira.ParseProjectKey(positional[0])
	if err != nil {
		return "", false, &usageError{msg: err.Error()}
	}
	return key, false, nil
}

// fixSchemeJSON is the object of fix --scheme --json: the scheme as
// planned (the audit's shape), each write, every project on the scheme as
// verified after, and the error if any.
type fixSchemeJSON struct {
	Scheme  *repair.AuditScheme `json:"scheme"`
	Changes []changeJSON        `json:"changes"`
	// Verified is true when every project on the scheme is healthy after.
	Verified bool                `json:"verified"`
	Projects []projectVerifyJSON `json:"projects"`
	// Customer is what Jira said about one real customer of the project
	// the plan was made as, after the changes; null when nobody was asked.
	Customer *customerJSON `json:"customer"`
	// PlanID is the plan's ID in the shared record; null without
	// REDIS_URL.
	PlanID *string    `json:"planId"`
	Error  *errorJSON `json:"error,omitempty"`
}

// projectVerifyJSON is one project's state after a scheme repair.
type projectVerifyJSON struct {
	Key      string              `json:"key"`
	Healthy  bool                `json:"healthy"`
	SchemeID int64               `json:"schemeId,omitempty"`
	Findings []diagnosis.Finding `json:"findings"`
	Error    *errorJSON          `json:"error,omitempty"`
}

// projectCheck is what verifying one project found.
type projectCheck struct {
	key string
	d   *repair.Diagnosis
	err error
}

func (c projectCheck) healthy() bool { return c.err == nil && c.d.Report.Healthy }

// fixScheme plans the in-place repair of a scheme for every project on
// it, shows the plan and the projects, asks, applies (Apply checks the
// digest), verifies every project on the scheme and reports. Planning,
// applying and verifying each get o.timeout.
func fixScheme(ctx context.Context, engine *terminal, schemeID int64, o fixOptions, stdin io.Reader, out, stderr io.Writer) (err error) {
	stdout := out
	rep := fixSchemeJSON{Changes: []changeJSON{}, Projects: []projectVerifyJSON{}}
	if o.asJSON {
		stdout = io.Discard // the words; the object is written at the end
		defer func() {
			if rep.Scheme == nil {
				return // nothing to report but the error: withJSONErrors
			}
			rep.Error = errorOf(err)
			if werr := writeJSON(out, rep); werr != nil && err == nil {
				err = werr
			}
		}()
	}
	planCtx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	as, err := engine.PlanScheme(planCtx, schemeID)
	if errors.Is(err, repair.ErrNoServiceProject) {
		return &notApplicableError{why: fmt.Sprintf("no company-managed service project uses permission scheme %d (jsmbot audit lists the schemes)", schemeID)}
	}
	if err != nil {
		return err
	}
	rep.Scheme = as
	var roles map[string]string
	if as.Plan != nil {
		roles = planRoles(planCtx, engine, *as.Plan)
	}
	printSchemePlan(stdout, as, roles)
	if as.Plan == nil {
		rep.Verified = true
		for _, p := range as.Projects {
			rep.Projects = append(rep.Projects, projectVerifyJSON{Key: p.Key, Healthy: true, SchemeID: as.ID, Findings: as.Findings})
		}
		fmt.Fprintln(stdout, "\nNothing to fix.")
		return nil
	}
	plan := *as.Plan
	if !o.yes {
		ok, err := ask(ctx, stdin, stdout, fmt.Sprintf("\nApply plan %s to scheme %q, changing %s? [y/N] ", plan.ID, oneLine(as.Name), plural(len(as.Projects)+len(as.OtherProjects), "project")))
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(stdout, "Nothing changed.")
			return errDeclined
		}
	}
	fmt.Fprintln(stdout)
	applyCtx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	// Recorded as fix KEY records, with the apply's error: a project that
	// could not be verified is not a failed apply. Verified, by then, says
	// whether every project on the scheme is healthy.
	applied, err := engine.applyRecorded(ctx, applyCtx, o.shared, schemeDiagnosis(as, roles), plan, stdout, stderr)
	if err != nil {
		return err // before any write: nothing changed
	}
	defer applied.record()
	res, err := applied.res, applied.err
	rep.PlanID = applied.planID
	var stale *repair.StaleError
	if errors.As(err, &stale) {
		fmt.Fprintf(stdout, "Scheme %d changed since it was planned, so nothing was applied. Current state, as %s sees it:\n\n", as.ID, plan.ProjectKey)
		printDiagnosis(stdout, stale.Fresh)
		if o.asJSON {
			return err // the object says so; errReported would print nothing
		}
		return errReported
	}
	if res == nil {
		return err
	}
	rep.Changes = changesJSON(res)
	rep.Customer = toCustomerJSON(res.Customer)
	printSchemeChanges(stdout, res)
	if err != nil {
		return err
	}
	printCustomer(stdout, res.Customer, plan.ProjectKey)

	verifyCtx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	checks := verifyScheme(verifyCtx, engine, as, res)
	rep.Verified = true
	for _, c := range checks {
		rep.Verified = rep.Verified && c.healthy()
		rep.Projects = append(rep.Projects, verifyJSON(c))
	}
	res.Verified = rep.Verified // for the record: the whole scheme
	printVerification(stdout, as, checks)
	for _, c := range checks {
		if c.err != nil {
			return c.err // the first that could not be verified: 1, could not
		}
	}
	if !rep.Verified {
		return errProblems
	}
	return nil
}

// printSchemePlan shows the scheme's diagnosis, its plan and every project
// the plan changes; roles name the role holders.
func printSchemePlan(w io.Writer, as *repair.AuditScheme, roles map[string]string) {
	fmt.Fprintf(w, "Permission scheme %q (id %d)\n", oneLine(as.Name), as.ID)
	fmt.Fprintf(w, "  Service projects on it (%d): %s\n", len(as.Projects), strings.Join(keysOf(as.Projects), ", "))
	if len(as.OtherProjects) > 0 {
		fmt.Fprintf(w, "  Other projects on it (%d):   %s\n", len(as.OtherProjects), strings.Join(as.OtherProjects, ", "))
	}
	fmt.Fprintln(w)
	crit, warn := counts(as.Findings)
	switch {
	case len(as.Findings) == 0:
		fmt.Fprintln(w, "Healthy: customers can be added and can raise requests.")
	case as.Healthy:
		fmt.Fprintf(w, "Healthy, with %d warning(s):\n", warn)
	default:
		fmt.Fprintf(w, "Broken: %d critical problem(s), %d warning(s):\n", crit, warn)
	}
	for _, f := range as.Findings {
		fmt.Fprintf(w, "  %-8s [%s] %s\n", strings.ToUpper(string(f.Severity)), f.Rule, f.Summary)
	}
	if as.Plan == nil {
		return
	}
	p := *as.Plan
	pw := diagnosis.DescribePlan(p, roles, nil, terminalMarks)
	fmt.Fprintf(w, "\nFix (plan %s, mode %s):\n", p.ID, p.Mode)
	fmt.Fprintf(w, "  %s\n", pw.Head)
	for _, a := range pw.Add {
		fmt.Fprintf(w, "    + %s\n", a)
	}
	for _, r := range pw.Remove {
		fmt.Fprintf(w, "    - %s\n", r)
	}
	fmt.Fprintf(w, "  This changes every project on the scheme: %s.\n", plural(len(as.Projects)+len(as.OtherProjects), "project"))
}

// planRoles names the role holders of p's grants: the roles of the
// project the plan was made as, read only when a grant holds a role (one
// round trip with a warm index). Without them a role is named by its id.
func planRoles(ctx context.Context, engine *terminal, p diagnosis.Plan) map[string]string {
	hasRole := slices.ContainsFunc(slices.Concat(p.AddGrants, p.RemoveGrants), func(g diagnosis.Grant) bool {
		return g.Holder.Type == diagnosis.HolderProjectRole
	})
	if !hasRole {
		return nil
	}
	d, err := engine.Diagnose(ctx, p.ProjectKey)
	if err != nil {
		return nil
	}
	return d.Snapshot.Roles
}

// schemeDiagnosis is the scheme's state as the project the plan was made
// as sees it, for the shared record: the bot records a plan with its
// project's name, roles and the projects sharing the scheme.
func schemeDiagnosis(as *repair.AuditScheme, roles map[string]string) *repair.Diagnosis {
	p := as.Projects[0] // PlanScheme plans as the first; never empty
	for _, q := range as.Projects {
		if q.Key == as.Plan.ProjectKey {
			p = q
		}
	}
	return &repair.Diagnosis{Snapshot: diagnosis.Snapshot{
		Project:    diagnosis.Project{ID: p.ID, Key: p.Key, Name: p.Name, TypeKey: p.TypeKey},
		Roles:      roles,
		SharedWith: as.Plan.Affects,
	}}
}

// printSchemeChanges reports each write of a scheme repair.
func printSchemeChanges(w io.Writer, r *repair.Result) {
	fmt.Fprintf(w, "Applying plan %s to scheme %q:\n", r.Plan.ID, oneLine(r.Plan.SchemeName))
	printChanges(w, r)
}

// verifyScheme diagnoses every service project on the scheme after the
// repair, concurrently within the client's pacer; the project the plan was
// made as was diagnosed by Apply already. Checks come in the order of
// as.Projects.
func verifyScheme(ctx context.Context, engine *terminal, as *repair.AuditScheme, res *repair.Result) []projectCheck {
	checks := make([]projectCheck, len(as.Projects))
	var g errgroup.Group
	g.SetLimit(verifyConcurrency)
	for i, p := range as.Projects {
		if p.Key == res.Plan.ProjectKey && res.After != nil {
			checks[i] = projectCheck{key: p.Key, d: res.After}
			continue
		}
		g.Go(func() error {
			d, err := engine.Diagnose(ctx, p.Key)
			checks[i] = projectCheck{key: p.Key, d: d, err: err} // its own element
			return nil                                           // one project's failure does not stop the others'
		})
	}
	_ = g.Wait() // every Go returns nil
	return checks
}

// printVerification says which projects on the scheme are healthy now.
func printVerification(w io.Writer, as *repair.AuditScheme, checks []projectCheck) {
	var sick, failed []string
	for _, c := range checks {
		switch {
		case c.err != nil:
			failed = append(failed, c.key)
		case !c.d.Report.Healthy:
			sick = append(sick, c.key)
		}
	}
	fmt.Fprintln(w)
	if len(sick) == 0 && len(failed) == 0 {
		fmt.Fprintf(w, "Verified: all %s on scheme %q are healthy now.\n", plural(len(checks), "service project"), oneLine(as.Name))
		return
	}
	if len(sick) > 0 {
		fmt.Fprintf(w, "Not verified: %s still %s problems: %s\n", plural(len(sick), "project"), map[bool]string{true: "has", false: "have"}[len(sick) == 1], strings.Join(sick, ", "))
		for _, c := range checks {
			if c.err == nil && !c.d.Report.Healthy {
				fmt.Fprintln(w)
				printDiagnosis(w, c.d)
				break // the first says what is left; jsmbot diagnose KEY says the rest
			}
		}
	}
	for _, c := range checks {
		if c.err != nil {
			fmt.Fprintf(w, "Could not verify %s: %s\n", c.key, describe(c.err))
		}
	}
}

func verifyJSON(c projectCheck) projectVerifyJSON {
	v := projectVerifyJSON{Key: c.key, Findings: []diagnosis.Finding{}, Error: errorOf(c.err)}
	if c.err != nil {
		return v
	}
	v.Healthy, v.SchemeID = c.d.Report.Healthy, c.d.Snapshot.Scheme.ID
	if c.d.Report.Findings != nil {
		v.Findings = c.d.Report.Findings
	}
	return v
}

func keysOf(ps []repair.AuditProject) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Key)
	}
	return out
}

// plural is "1 project" or "12 projects".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
