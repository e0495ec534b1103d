package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/repair"
)

// printDiagnosis writes what an admin needs at a glance: the project and
// scheme, what is wrong and why it matters, and the plan when there is one.
func printDiagnosis(w io.Writer, d *repair.Diagnosis) {
	p := d.Snapshot.Project
	fmt.Fprintf(w, "%s · %s\n", p.Key, p.Name)
	if !d.Report.Applicable {
		// The reason is the command's error line; add only the why.
		for _, f := range d.Report.Findings {
			fmt.Fprintf(w, "  Not applicable: %s\n", f.Why)
		}
		return
	}
	s := d.Snapshot.Scheme
	fmt.Fprintf(w, "  Permission scheme: %q (id %d)\n", s.Name, s.ID)
	fmt.Fprintf(w, "  Shared with:       %s\n", sharedWords(d.Snapshot.SharedWith))
	if d.Unscanned > 0 {
		fmt.Fprintf(w, "  (could not read the scheme of %d other project(s); the list may be incomplete)\n", d.Unscanned)
	}
	fmt.Fprintln(w)

	crit, warn := d.Report.Counts()
	switch {
	case len(d.Report.Findings) == 0:
		fmt.Fprintln(w, "Healthy: customers can be added and can raise requests.")
	case d.Report.Healthy:
		fmt.Fprintf(w, "Healthy, with %d warning(s):\n", warn)
	default:
		fmt.Fprintf(w, "Broken: %d critical problem(s), %d warning(s):\n", crit, warn)
	}
	for i, f := range d.Report.Findings {
		fmt.Fprintf(w, "  %-8s [%s] %s\n", strings.ToUpper(string(f.Severity)), f.Rule, f.Summary)
		// Findings of one rule share their explanation; say it once,
		// after the last of them.
		last := i == len(d.Report.Findings)-1 || d.Report.Findings[i+1].Why != f.Why
		if f.Why != "" && last {
			fmt.Fprintf(w, "           Why it matters: %s\n", f.Why)
		}
	}
	if d.Report.Healthy && warn > 0 {
		fmt.Fprintln(w, "Warnings are not repaired automatically: a default may have been removed on purpose.")
	}
	if d.Plan != nil {
		fmt.Fprintln(w)
		printPlan(w, d, *d.Plan)
	}
}

// printPlan says what the repair changes and which projects it touches.
func printPlan(w io.Writer, d *repair.Diagnosis, p diagnosis.Plan) {
	fmt.Fprintf(w, "Fix (plan %s, mode %s):\n", p.ID, p.Mode)
	if p.Mode == diagnosis.ModeCopy {
		fmt.Fprintf(w, "  Create scheme %q as a copy of %q with these changes, and assign it to %s only:\n", p.CopyName, p.SchemeName, p.ProjectKey)
	} else {
		fmt.Fprintf(w, "  Change scheme %q (id %d):\n", p.SchemeName, p.SchemeID)
	}
	for _, g := range p.AddGrants {
		fmt.Fprintf(w, "    + grant %s to %s\n", g.Permission, holderWords(d, g.Holder))
	}
	for _, g := range p.RemoveGrants {
		fmt.Fprintf(w, "    - remove %s from %s (grant %d)\n", g.Permission, holderWords(d, g.Holder), g.ID)
	}
	switch {
	case p.Mode == diagnosis.ModeCopy && len(d.Snapshot.SharedWith) > 0:
		fmt.Fprintf(w, "  %s keep the original scheme, unchanged.\n", strings.Join(d.Snapshot.SharedWith, ", "))
	case p.Mode == diagnosis.ModeInPlace && len(p.Affects) > 0:
		fmt.Fprintf(w, "  This also changes %s, which use the same scheme (use --mode copy to change %s alone).\n", strings.Join(p.Affects, ", "), p.ProjectKey)
	case p.Mode == diagnosis.ModeInPlace:
		fmt.Fprintf(w, "  No other project uses this scheme.\n")
	}
}

// printResult reports exactly what changed, what did not, and the verified
// state.
func printResult(w io.Writer, r *repair.Result) {
	fmt.Fprintf(w, "Applying plan %s to %s:\n", r.Plan.ID, r.Plan.ProjectKey)
	for _, c := range r.Changes {
		mark := "✓"
		note := ""
		switch {
		case c.Err != nil:
			mark, note = "✗", " — failed: "+describe(c.Err)
		case !c.Done:
			mark, note = "·", " — not attempted"
		case c.AlreadyDone:
			note = " (already there)"
		}
		fmt.Fprintf(w, "  %s %s%s\n", mark, changeWords(r.After, c), note)
	}
	if r.After == nil {
		return
	}
	fmt.Fprintln(w)
	if r.Verified {
		fmt.Fprintf(w, "Verified: %s is healthy now.\n", r.Plan.ProjectKey)
	} else {
		fmt.Fprintf(w, "Not verified: %s still has problems:\n", r.Plan.ProjectKey)
	}
	printDiagnosis(w, r.After)
}

func changeWords(d *repair.Diagnosis, c repair.Change) string {
	switch c.Step {
	case repair.StepAddGrant:
		return fmt.Sprintf("granted %s to %s in %q", c.Grant.Permission, holderWords(d, c.Grant.Holder), c.SchemeName)
	case repair.StepRemoveGrant:
		return fmt.Sprintf("removed %s from %s (grant %d) in %q", c.Grant.Permission, holderWords(d, c.Grant.Holder), c.Grant.ID, c.SchemeName)
	case repair.StepCreateScheme:
		return fmt.Sprintf("created scheme %q (id %d)", c.SchemeName, c.SchemeID)
	case repair.StepAssignScheme:
		return fmt.Sprintf("assigned scheme %q to the project", c.SchemeName)
	}
	return c.Step
}

// holderWords names a holder for people; d (which may be nil) resolves role
// ids to names.
func holderWords(d *repair.Diagnosis, h diagnosis.Holder) string {
	var roles map[string]string
	if d != nil {
		roles = d.Snapshot.Roles
	}
	return diagnosis.HolderName(h, roles)
}

func sharedWords(keys []string) string {
	if len(keys) == 0 {
		return "no other project"
	}
	return strings.Join(keys, ", ")
}
