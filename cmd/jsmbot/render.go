package main

import (
	"fmt"
	"io"
	"strconv"
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
	fmt.Fprintf(w, "  Shared with:       %s\n", diagnosis.SharedWords(d.Snapshot.SharedWith))
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
		if c, ok := d.Causes.Of(i); ok {
			fmt.Fprintf(w, "           %s\n", c.Sentence(strconv.Quote))
		}
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

// terminalMarks sets names apart on a terminal: scheme names quoted as Go
// quotes them, and removed grants with their ids.
var terminalMarks = diagnosis.Marks{Quote: strconv.Quote, GrantIDs: true}

// printPlan says what the repair changes and which projects it touches.
func printPlan(w io.Writer, d *repair.Diagnosis, p diagnosis.Plan) {
	pw := diagnosis.DescribePlan(p, rolesOf(d), d.Snapshot.SharedWith, terminalMarks)
	fmt.Fprintf(w, "Fix (plan %s, mode %s):\n", p.ID, p.Mode)
	fmt.Fprintf(w, "  %s\n", pw.Head)
	for _, a := range pw.Add {
		fmt.Fprintf(w, "    + %s\n", a)
	}
	for _, r := range pw.Remove {
		fmt.Fprintf(w, "    - %s\n", r)
	}
	switch {
	case pw.AlsoChanges:
		fmt.Fprintf(w, "  %s (use --mode copy to change %s alone).\n", pw.Others, p.ProjectKey)
	case pw.Others != "":
		fmt.Fprintf(w, "  %s.\n", pw.Others)
	}
}

// printChanges reports each write of a repair: made, already there, failed
// with why, or skipped.
func printChanges(w io.Writer, r *repair.Result) {
	for _, c := range r.Changes {
		words := c.Words(rolesOf(r.After), terminalMarks)
		switch {
		case c.Err != nil:
			fmt.Fprintf(w, "  ✗ could not %s: %s\n", intended(c, words), describe(c.Err))
		case !c.Done:
			fmt.Fprintf(w, "  · skipped: %s (an earlier write failed)\n", intended(c, words))
		case c.AlreadyDone:
			fmt.Fprintf(w, "  ✓ %s (already there)\n", words)
		default:
			fmt.Fprintf(w, "  ✓ %s\n", words)
		}
	}
}

// printResult reports exactly what changed, what did not, and the verified
// state.
func printResult(w io.Writer, r *repair.Result) {
	fmt.Fprintf(w, "Applying plan %s to %s:\n", r.Plan.ID, r.Plan.ProjectKey)
	printChanges(w, r)
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
	printCustomer(w, r.Customer, r.Plan.ProjectKey)
}

// intended turns the words of what a step did ("granted …") into what it
// was to do ("grant …"), for a write that failed or was never made.
func intended(c repair.Change, words string) string {
	for _, verb := range [][2]string{{"granted ", "grant "}, {"removed ", "remove "}, {"created ", "create "}, {"assigned ", "assign "}} {
		if rest, ok := strings.CutPrefix(words, verb[0]); ok {
			words = verb[1] + rest
			break
		}
	}
	if c.Step == repair.StepCreateScheme && c.SchemeID == 0 {
		words = strings.TrimSuffix(words, " (id 0)") // it has no id yet
	}
	return words
}

// rolesOf returns the role names (name → id) of d's project, nil for a nil
// d.
func rolesOf(d *repair.Diagnosis) map[string]string {
	if d == nil {
		return nil
	}
	return d.Snapshot.Roles
}
