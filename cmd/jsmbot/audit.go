package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/schollz/progressbar/v3"
)

// auditTimeout bounds a whole audit (--timeout). At the default pace a
// site's scan reads about 85 projects' schemes a second, so this covers
// some 75,000 projects.
const auditTimeout = 15 * time.Minute

// runAudit is jsmbot audit: every service project of the site, grouped by
// permission scheme, each scheme diagnosed once. It exits as diagnose
// does: 0 when every project is healthy, 3 when a scheme is broken or a
// project could not be checked, 1 when the audit could not be made.
func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("audit")
	asJSON := fs.Bool("json", false, "print the report as one JSON object (README: Fleet audit), an error too")
	asCSV := fs.Bool("csv", false, "print one CSV row per service project (RFC 4180, with a header row)")
	rate := fs.Float64("rate", jira.DefaultRate, "requests per second to each Jira endpoint (Jira Cloud's burst limit for GETs is 100); 0 turns pacing off")
	timeout := fs.Duration("timeout", auditTimeout, "time limit of the whole audit")
	if err := noArgs(fs, args, stdout, ""); err != nil {
		return err
	}
	return withJSONErrors(stdout, *asJSON, func(stdout io.Writer) error {
		switch {
		case *asJSON && *asCSV:
			return &usageError{msg: "audit takes --json or --csv, not both"}
		case *timeout <= 0:
			return &usageError{msg: "audit --timeout must be positive"}
		case *rate < 0:
			return &usageError{msg: "audit --rate must be zero (no pacing) or more"}
		}
		engine, err := setupClient(getenv, stderr, nil, []jira.Option{jira.WithRate(*rate)})
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		var bar *auditBar
		if isTerminal(stderr) {
			bar = newAuditBar(unsanitized(stderr), barThrottle)
		}
		r, err := engine.Audit(ctx, repair.AuditOptions{Progress: bar.progress})
		bar.stop()
		if err != nil {
			return err
		}
		switch {
		case *asJSON:
			err = writeJSON(stdout, r)
		case *asCSV:
			err = writeAuditCSV(unsanitized(stdout), r)
		default:
			printAudit(stdout, r)
		}
		if err != nil {
			return err
		}
		return auditOutcome(r)
	})
}

// auditOutcome maps an audit to diagnose's exit status: problems found
// when a scheme is broken or a project could not be checked (it may be
// broken too). Team-managed projects have nothing to check.
func auditOutcome(r *repair.AuditReport) error {
	if r.Summary.BrokenSchemes > 0 || r.Summary.Unchecked > 0 {
		return errProblems
	}
	return nil
}

// unsanitized is the writer under run's sanitizer. The progress bar needs
// its carriage returns, and the CSV its CRLFs; neither carries Jira's text
// unsanitized (the CSV's fields are cleaned one by one).
func unsanitized(w io.Writer) io.Writer {
	if s, ok := w.(*sanitizer); ok {
		return s.w
	}
	return w
}

// barThrottle is how often, at most, the bar is redrawn.
const barThrottle = 100 * time.Millisecond

// auditBar draws the scan's progress on a terminal. A nil *auditBar draws
// nothing, so a piped stderr gets no bar.
type auditBar struct {
	w        io.Writer
	throttle time.Duration
	bar      *progressbar.ProgressBar // nil until the scan says how many projects
}

// newAuditBar draws on w, at most once per throttle.
func newAuditBar(w io.Writer, throttle time.Duration) *auditBar {
	return &auditBar{w: w, throttle: throttle}
}

// progress is the audit's Progress: done of total projects read.
func (b *auditBar) progress(done, total int) {
	if b == nil || total <= 0 {
		return
	}
	if b.bar == nil {
		b.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(b.w),
			progressbar.OptionSetDescription("Reading the schemes of projects"),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(b.throttle),
			progressbar.OptionClearOnFinish(),
		)
	}
	if total != b.bar.GetMax() {
		b.bar.ChangeMax(total)
	}
	_ = b.bar.Set(done) // a terminal write that failed loses a frame, nothing else
}

// stop erases the bar, so the report starts on a clean line.
func (b *auditBar) stop() {
	if b == nil || b.bar == nil {
		return
	}
	_ = b.bar.Clear()
}

// printAudit writes the audit as a table, worst scheme first, then the
// projects that were not checked, and ends with the one-line summary.
func printAudit(w io.Writer, r *repair.AuditReport) {
	if len(r.Schemes) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "STATUS\tSCHEME\tID\tPROJECTS\tCRITICAL\tWARNINGS\tPROBLEMS\tSERVICE PROJECTS")
		for _, s := range r.Schemes {
			crit, warn := counts(s.Findings)
			projects := strconv.Itoa(len(s.Projects))
			if n := len(s.OtherProjects); n > 0 {
				projects += fmt.Sprintf(" (+%d other)", n)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%d\t%s\t%s\n", schemeStatus(s), oneLine(s.Name), s.ID, projects, crit, warn,
				orDash(strings.Join(rules(s.Findings), ", ")), someKeys(s.Projects, 6))
		}
		_ = tw.Flush() // w is the terminal's writer; its errors end the program anyway
	}
	printProjects(w, "Could not be checked", r.Unchecked)
	printProjects(w, "Not applicable (team-managed)", r.NotApplicable)
	var broken []string
	for _, s := range r.Schemes {
		if s.Plan != nil {
			broken = append(broken, strconv.FormatInt(s.ID, 10))
		}
	}
	if len(broken) > 0 {
		fmt.Fprintf(w, "\nTo repair a scheme for every project on it: jsmbot fix --scheme ID (%s)\n", strings.Join(broken, ", "))
	}
	if len(r.Schemes) > 0 {
		fmt.Fprintln(w, "Every project of each scheme: jsmbot audit --csv")
	}
	fmt.Fprintf(w, "\n%s.\n", r.Summary.Text)
}

// listedProjects is how many unchecked or team-managed projects the table
// lists; the CSV has them all.
const listedProjects = 20

// printProjects lists projects with why they were left out.
func printProjects(w io.Writer, title string, ps []repair.AuditProject) {
	if len(ps) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s (%d):\n", title, len(ps))
	for _, p := range ps[:min(len(ps), listedProjects)] {
		fmt.Fprintf(w, "  %s · %s: %s\n", p.Key, oneLine(p.Name), oneLine(p.Reason))
	}
	if more := len(ps) - listedProjects; more > 0 {
		fmt.Fprintf(w, "  … and %d more\n", more)
	}
}

// schemeStatus is broken (a critical finding), warnings or healthy.
func schemeStatus(s repair.AuditScheme) string {
	crit, warn := counts(s.Findings)
	switch {
	case !s.Healthy || crit > 0:
		return "broken"
	case warn > 0:
		return "warnings"
	}
	return "healthy"
}

func counts(fs []diagnosis.Finding) (critical, warnings int) {
	return diagnosis.Report{Findings: fs}.Counts()
}

// rules are the distinct rules of fs, in the order they come.
func rules(fs []diagnosis.Finding) []string {
	out := []string{}
	for _, f := range fs {
		if r := string(f.Rule); !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// someKeys lists the first n keys of ps and says how many more there are.
func someKeys(ps []repair.AuditProject, n int) string {
	keys := make([]string, 0, min(n, len(ps)))
	for _, p := range ps[:min(n, len(ps))] {
		keys = append(keys, p.Key)
	}
	s := strings.Join(keys, ", ")
	if more := len(ps) - len(keys); more > 0 {
		s += fmt.Sprintf(" … +%d more", more)
	}
	return s
}

// auditCSVHeader names the columns of audit --csv, one row per service
// project: the schemes' projects worst scheme first, then the unchecked,
// then the team-managed.
var auditCSVHeader = []string{"project", "project_name", "scheme_id", "scheme_name", "status", "critical", "warnings", "rules", "reason"}

// writeAuditCSV writes r as RFC 4180 CSV: CRLF line ends, fields quoted
// when they hold a comma, a quote or a line break. Jira's text in it is
// cleaned of escape sequences and control characters, and a text field
// that a spreadsheet would take for a formula (it starts with =, +, - or
// @) is prefixed with an apostrophe.
func writeAuditCSV(w io.Writer, r *repair.AuditReport) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(auditCSVHeader); err != nil {
		return err
	}
	for _, s := range r.Schemes {
		crit, warn := counts(s.Findings)
		for _, p := range s.Projects {
			row := []string{p.Key, textField(p.Name), strconv.FormatInt(s.ID, 10), textField(s.Name), schemeStatus(s),
				strconv.Itoa(crit), strconv.Itoa(warn), strings.Join(rules(s.Findings), " "), ""}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	for _, left := range []struct {
		status string
		ps     []repair.AuditProject
	}{{"unchecked", r.Unchecked}, {"not-applicable", r.NotApplicable}} {
		for _, p := range left.ps {
			if err := cw.Write([]string{p.Key, textField(p.Name), "", "", left.status, "", "", "", textField(p.Reason)}); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// textField is Jira's text made safe for a spreadsheet cell: no escape
// sequences or control characters (line breaks and tabs stay, quoted),
// and no formula.
func textField(s string) string {
	var b strings.Builder
	_, _ = io.WriteString(&sanitizer{w: &b}, s) // a strings.Builder does not fail
	s = b.String()
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		s = "'" + s
	}
	return s
}
