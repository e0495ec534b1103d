package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/internal/config"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
	"golang.org/x/term"
)

// parseArgs parses flags that may come before or after the one positional
// project key, as admins type them either way.
func parseArgs(fs *flag.FlagSet, args []string, stdout io.Writer) (string, error) {
	positional, err := parsePositional(fs, args, stdout)
	if err != nil {
		return "", err
	}
	if len(positional) != 1 {
		return "", &usageError{msg: fmt.Sprintf("%s needs exactly one project key", fs.Name())}
	}
	key, err := jira.ParseProjectKey(positional[0])
	if err != nil {
		return "", &usageError{msg: err.Error()}
	}
	return key, nil
}

// parsePositional parses flags that may come before, between or after the
// positional arguments, and returns those.
func parsePositional(fs *flag.FlagSet, args []string, stdout io.Writer) ([]string, error) {
	var positional []string
	for {
		if err := parseFlags(fs, args, stdout); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// setup loads the configuration and builds the engine. Only the variables
// the terminal commands read (and the command's extra ones) can stop them.
// The engine checks a real customer after a repair or an undo.
func setup(getenv func(string) string, stderr io.Writer, extra ...string) (*terminal, error) {
	return setupClient(getenv, stderr, extra, nil)
}

// setupClient is setup with client options (audit's --rate) after the
// defaults.
func setupClient(getenv func(string) string, stderr io.Writer, extra []string, opts []jira.Option) (*terminal, error) {
	cfg, err := config.Load(getenv)
	if err := config.Only(err, append(config.TerminalVars(), extra...)...); err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel(config.TerminalLogLevel)}))
	prog := &progress{}
	client, err := cfg.JiraClient(append([]jira.Option{jira.WithLogger(logger), jira.WithObserver(jira.Observer{Call: prog.call})}, opts...)...)
	if err != nil {
		return nil, err
	}
	engine := repair.New(client, repair.WithLogger(logger), repair.WithCustomerCheck())
	return &terminal{Engine: engine, client: client, progress: prog, cfg: cfg}, nil
}

// terminal is the engine of a terminal command, the client under it, the
// progress of its writes and the configuration it was built from.
type terminal struct {
	*repair.Engine
	client   *jira.Client
	progress *progress
	cfg      config.Config
}

// Diagnose is the engine's, except that a project Jira does not find is
// checked against a path every Jira has: when that is not found either,
// JIRA_BASE_URL is wrong, not the key.
func (t *terminal) Diagnose(ctx context.Context, key string) (*repair.Diagnosis, error) {
	d, err := t.Engine.Diagnose(ctx, key)
	if err != nil && repair.KindOf(err) == repair.KindNotFound {
		if _, probe := t.client.Myself(ctx); errors.Is(probe, jira.ErrNotFound) {
			return nil, repair.Mark(repair.KindWrongBaseURL, err)
		}
	}
	return d, err
}

func runDiagnose(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("diagnose")
	asJSON := fs.Bool("json", false, "print one JSON object, an error too")
	timeout := fs.Duration("timeout", defaultTimeout, "time limit of the whole diagnosis")
	key, err := parseArgs(fs, args, stdout)
	if err != nil {
		return err
	}
	return withJSONErrors(stdout, *asJSON, func(stdout io.Writer) error {
		if *timeout <= 0 {
			return &usageError{msg: "diagnose --timeout must be positive"}
		}
		engine, err := setup(getenv, stderr)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		d, err := engine.Diagnose(ctx, key)
		if err != nil {
			return err
		}
		// Who and when is a bonus: without it the diagnosis still stands.
		d.Causes, _ = engine.Causes(ctx, d)
		if *asJSON {
			if err := writeJSON(stdout, toJSON(d)); err != nil {
				return err
			}
		} else {
			printDiagnosis(stdout, d)
			if d.Plan != nil {
				fmt.Fprintf(stdout, "\nTo apply: jsmbot fix %s\n", key)
			}
		}
		return outcome(d)
	})
}

// notApplicableError says why jsmbot leaves a project alone.
type notApplicableError struct{ why string }

func (e *notApplicableError) Error() string { return e.why }

func notApplicable(d *repair.Diagnosis) error {
	why := d.Snapshot.Project.Key + " is not a company-managed service project"
	if len(d.Report.Findings) > 0 {
		why = d.Report.Findings[0].Summary
	}
	return &notApplicableError{why: strings.TrimSuffix(why, ".")}
}

// outcome maps a diagnosis to the exit status scripts rely on.
func outcome(d *repair.Diagnosis) error {
	switch {
	case !d.Report.Applicable:
		return notApplicable(d)
	case !d.Report.Healthy:
		return errProblems
	}
	return nil
}

func runFix(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("fix")
	yes := fs.Bool("yes", false, "apply without asking")
	modeFlag := fs.String("mode", string(diagnosis.ModeAuto), "auto, in-place or copy")
	timeout := fs.Duration("timeout", defaultTimeout, "time limit of the diagnosis, and again of the repair (the prompt is not counted)")
	asJSON := fs.Bool("json", false, "print one JSON object, an error too (needs --yes)")
	scheme := fs.Int64("scheme", 0, "repair the permission scheme with this id in place, for every project on it (see jsmbot audit), instead of one project KEY")
	key, schemeSet, err := fixTarget(fs, args, stdout)
	if err != nil {
		return err
	}
	return withJSONErrors(stdout, *asJSON, func(stdout io.Writer) error {
		mode, err := diagnosis.ParseMode(*modeFlag)
		if err != nil {
			return &usageError{msg: err.Error()}
		}
		switch {
		case schemeSet && *scheme <= 0:
			return &usageError{msg: "fix --scheme needs a permission scheme id (jsmbot audit lists them)"}
		case schemeSet && mode == diagnosis.ModeCopy:
			return &usageError{msg: "fix --scheme repairs the scheme in place; --mode copy is for one project KEY"}
		case *timeout <= 0:
			return &usageError{msg: "fix --timeout must be positive"}
		case *asJSON && !*yes:
			// The plan is shown before the question; JSON shows it after.
			return &usageError{msg: "fix --json needs --yes"}
		case !*yes && !isTerminal(stdin):
			// Before any call to Jira: the answer cannot change.
			return &usageError{msg: "fix needs --yes when no terminal can confirm the change"}
		}
		engine, err := setup(getenv, stderr, config.VarRedisURL)
		if err != nil {
			return err
		}
		// A shared record that is configured but does not answer stops
		// fix before Jira is called: a repair must not go unrecorded.
		st, err := openShared(ctx, engine.cfg)
		if err != nil {
			return err
		}
		if st != nil {
			defer st.Close()
		}
		o := fixOptions{mode: mode, yes: *yes, asJSON: *asJSON, timeout: *timeout, shared: st}
		if schemeSet {
			return fixScheme(ctx, engine, *scheme, o, stdin, stdout, stderr)
		}
		return fix(ctx, engine, key, o, stdin, stdout, stderr)
	})
}

// fixOptions are fix's flags.
type fixOptions struct {
	mode    diagnosis.Mode
	yes     bool
	asJSON  bool
	timeout time.Duration
	// shared is the shared record fix saves its plan and audit record
	// in; nil without REDIS_URL.
	shared store.Store
}

// fix diagnoses, shows the plan, asks, applies and reports the verified
// result.
func fix(ctx context.Context, engine *terminal, key string, o fixOptions, stdin io.Reader, out, stderr io.Writer) (err error) {
	mode, yes, timeout := o.mode, o.yes, o.timeout
	stdout := out
	var rep fixJSON
	if o.asJSON {
		stdout = io.Discard // the words; the object is written at the end
		defer func() {
			if rep.Diagnosis == nil {
				return // nothing to report but the error: withJSONErrors
			}
			rep.Error = errorOf(err)
			if werr := writeJSON(out, rep); werr != nil && err == nil {
				err = werr
			}
		}()
	}
	diagCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d, err := engine.Diagnose(diagCtx, key)
	if err != nil {
		return err
	}
	before := toJSON(d)
	rep.Diagnosis = &before
	rep.Changes = []changeJSON{}
	rep.Verified = d.Report.Applicable && d.Report.Healthy
	printDiagnosis(stdout, d)
	if !d.Report.Applicable {
		return notApplicable(d)
	}
	plan, err := diagnosis.NewPlan(d.Snapshot, mode)
	if errors.Is(err, diagnosis.ErrNothingToRepair) {
		fmt.Fprintln(stdout, "\nNothing to fix.")
		return nil
	}
	if err != nil {
		return err
	}
	if mode != diagnosis.ModeAuto || d.Plan == nil || plan.ID != d.Plan.ID {
		fmt.Fprintln(stdout)
		printPlan(stdout, d, plan)
	}
	if !yes {
		ok, err := ask(ctx, stdin, stdout, fmt.Sprintf("\nApply plan %s to %s? [y/N] ", plan.ID, key))
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(stdout, "Nothing changed.")
			return errDeclined
		}
	}
	fmt.Fprintln(stdout)
	applyCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	applied, err := engine.applyRecorded(ctx, applyCtx, o.shared, d, plan, stdout, stderr)
	if err != nil {
		return err // before any write: nothing changed
	}
	defer applied.record()
	res, err := applied.res, applied.err
	rep.PlanID = applied.planID
	var stale *repair.StaleError
	if errors.As(err, &stale) {
		fresh := toJSON(stale.Fresh)
		rep.After, rep.Verified = &fresh, false
		fmt.Fprintf(stdout, "%s changed since it was diagnosed, so nothing was applied. Current state:\n\n", key)
		printDiagnosis(stdout, stale.Fresh)
		if o.asJSON {
			return err // the object says so; errReported would print nothing
		}
		return errReported
	}
	if res != nil {
		rep.Changes, rep.Verified = changesJSON(res), res.Verified
		if res.After != nil {
			after := toJSON(res.After)
			rep.After = &after
		}
		rep.Customer = toCustomerJSON(res.Customer)
		printResult(stdout, res)
	}
	if err != nil {
		return err
	}
	if !res.Verified {
		return errProblems
	}
	return nil
}

// appliedFix is what [terminal.applyRecorded] did: the apply's result and
// error, the shared record's plan ID (nil without one), and record, which
// the caller defers to record the outcome and print where it is kept.
type appliedFix struct {
	res    *repair.Result
	err    error
	planID *string
	record func()
}

// applyRecorded applies plan with progress lines, in the shared record when
// there is one: the plan is saved before the first write, and when that
// fails nothing is written and the error is returned. Without a shared
// record it says so once. d is the diagnosis the plan came from.
func (t *terminal) applyRecorded(ctx, applyCtx context.Context, shared store.Store, d *repair.Diagnosis, plan diagnosis.Plan, stdout, stderr io.Writer) (appliedFix, error) {
	a := appliedFix{record: func() {}}
	var (
		rec       *recorder
		applyOpts []repair.ApplyOption
	)
	if shared == nil {
		fmt.Fprintf(stdout, "Note: %s.\n\n", noRecordNote)
	} else {
		rec = newRecorder(shared, stderr)
		if err := rec.begin(applyCtx, d, plan); err != nil {
			return a, err
		}
		applyOpts = append(applyOpts, repair.WithPlanID(rec.rec.ID))
		a.planID = &rec.rec.ID
	}
	t.progress.start(progressOut(stdout, stderr), plan)
	a.res, a.err = t.Apply(applyCtx, plan, applyOpts...)
	t.progress.stop()
	if rec != nil {
		// Recorded with the apply's own error: verification is the
		// caller's to report.
		a.record = func() { printRecorded(stdout, rec.finish(ctx, a.res, a.err), rec.rec.ID) }
	}
	return a, nil
}

// printRecorded says under which ID the shared record keeps the fix, and
// how to undo it when it was applied.
func printRecorded(w io.Writer, o approval.Outcome, id string) {
	if o.State == store.StateApplied {
		fmt.Fprintf(w, "\nRecorded as plan %s; undo with jsmbot undo %s\n", id, id)
		return
	}
	fmt.Fprintf(w, "\nRecorded as plan %s: %s.\n", id, o.Result)
}

// progressOut is where fix reports its writes as they happen: stderr on a
// terminal, else stdout, as plain lines before the result.
func progressOut(stdout, stderr io.Writer) io.Writer {
	if isTerminal(stderr) {
		return stderr
	}
	return stdout
}

// isTerminal reports whether f (stdin, or an output, sanitized or not)
// is a terminal. Without one on stdin, fix refuses rather than guess:
// scripts say --yes.
func isTerminal(f any) bool {
	if s, ok := f.(*sanitizer); ok {
		f = s.w
	}
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

// ask asks a yes/no question and reads the answer; anything but y or yes
// is no. When ctx ends first (Ctrl-C), it returns ctx's error at once,
// without waiting for Enter; the read is left to the exiting process.
func ask(ctx context.Context, stdin io.Reader, stdout io.Writer, question string) (bool, error) {
	fmt.Fprint(stdout, question)
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		answer <- line
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(stdout)
		return false, ctx.Err()
	case line := <-answer:
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "y", "yes":
			return true, nil
		}
		return false, nil
	}
}

// diagnosisJSON is the public JSON contract of diagnose --json (DESIGN.md).
type diagnosisJSON struct {
	Healthy    bool            `json:"healthy"`
	Applicable bool            `json:"applicable"`
	Project    projectJSON     `json:"project"`
	Scheme     *schemeJSON     `json:"scheme"`
	Findings   []findingJSON   `json:"findings"`
	Plan       *diagnosis.Plan `json:"plan"`
}

// findingJSON is a finding with, when the audit log says, its cause.
type findingJSON struct {
	diagnosis.Finding
	Cause *causeJSON `json:"cause,omitempty"`
}

// causeJSON is who made the change behind a finding, and when.
type causeJSON struct {
	Kind       repair.AuditCauseKind `json:"kind"`
	Author     authorJSON            `json:"author"`
	At         time.Time             `json:"at"`
	SchemeID   int64                 `json:"schemeId"`
	SchemeName string                `json:"schemeName"`
	FromScheme string                `json:"fromScheme,omitempty"`
}

type authorJSON struct {
	AccountID   string `json:"accountId"`
	DisplayName string `json:"displayName"`
}

type projectJSON struct {
	Key            string `json:"key"`
	ID             string `json:"id"`
	Name           string `json:"name"`
	ProjectTypeKey string `json:"projectTypeKey"`
	TeamManaged    bool   `json:"teamManaged"`
}

type schemeJSON struct {
	ID         int64    `json:"id"`
	Name       string   `json:"name"`
	SharedWith []string `json:"sharedWith"`
}

func toJSON(d *repair.Diagnosis) diagnosisJSON {
	p := d.Snapshot.Project
	out := diagnosisJSON{
		Healthy:    d.Report.Healthy,
		Applicable: d.Report.Applicable,
		Project:    projectJSON{Key: p.Key, ID: p.ID, Name: p.Name, ProjectTypeKey: p.TypeKey, TeamManaged: p.TeamManaged},
		Plan:       d.Plan,
	}
	if d.Report.Findings != nil {
		out.Findings = make([]findingJSON, 0, len(d.Report.Findings))
	}
	for i, f := range d.Report.Findings {
		fj := findingJSON{Finding: f}
		if c, ok := d.Causes.Of(i); ok {
			fj.Cause = &causeJSON{
				Kind: c.Kind, Author: authorJSON{AccountID: c.AuthorAccountID, DisplayName: c.AuthorName},
				At: c.At.UTC(), SchemeID: c.SchemeID, SchemeName: c.SchemeName, FromScheme: c.FromScheme,
			}
		}
		out.Findings = append(out.Findings, fj)
	}
	if d.Report.Applicable {
		out.Scheme = &schemeJSON{ID: d.Snapshot.Scheme.ID, Name: d.Snapshot.Scheme.Name, SharedWith: d.Snapshot.SharedWith}
	}
	return out
}

// writeJSON writes v as one indented JSON object.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
