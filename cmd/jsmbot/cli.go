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

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/internal/config"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/repair"
	"golang.org/x/term"
)

// parseArgs parses flags that may come before or after the one positional
// project key, as admins type them either way.
func parseArgs(fs *flag.FlagSet, args []string) (string, error) {
	fs.SetOutput(io.Discard)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", &usageError{msg: err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
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

// setup loads the configuration and builds the engine. Only the variables
// the terminal commands read can stop them.
func setup(getenv func(string) string, stderr io.Writer) (*repair.Engine, error) {
	cfg, err := config.Load(getenv)
	if err := config.Only(err, config.TerminalVars()...); err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel(config.TerminalLogLevel)}))
	client, err := cfg.JiraClient(jira.WithLogger(logger))
	if err != nil {
		return nil, err
	}
	return repair.New(client, repair.WithLogger(logger)), nil
}

func runDiagnose(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("diagnose", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON object")
	key, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	engine, err := setup(getenv, stderr)
	if err != nil {
		return err
	}
	d, err := engine.Diagnose(ctx, key)
	if err != nil {
		return err
	}
	// Who and when is a bonus: without it the diagnosis still stands.
	d.Causes, _ = engine.Causes(ctx, d)
	if *asJSON {
		if err := writeJSON(stdout, d); err != nil {
			return err
		}
	} else {
		printDiagnosis(stdout, d)
		if d.Plan != nil {
			fmt.Fprintf(stdout, "\nTo apply: jsmbot fix %s\n", key)
		}
	}
	return outcome(d)
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
	fs := flag.NewFlagSet("fix", flag.ContinueOnError)
	yes := fs.Bool("yes", false, "apply without asking")
	modeFlag := fs.String("mode", string(diagnosis.ModeAuto), "auto, in-place or copy")
	key, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	mode, err := diagnosis.ParseMode(*modeFlag)
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	engine, err := setup(getenv, stderr)
	if err != nil {
		return err
	}
	return fix(ctx, engine, key, mode, *yes, stdin, stdout)
}

// fix diagnoses, shows the plan, asks, applies and reports the verified
// result.
func fix(ctx context.Context, engine *repair.Engine, key string, mode diagnosis.Mode, yes bool, stdin io.Reader, stdout io.Writer) error {
	d, err := engine.Diagnose(ctx, key)
	if err != nil {
		return err
	}
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
		ok, err := confirm(stdin, stdout, fmt.Sprintf("\nApply plan %s to %s? [y/N] ", plan.ID, key))
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(stdout, "Nothing changed.")
			return errReported
		}
	}
	fmt.Fprintln(stdout)
	res, err := engine.Apply(ctx, plan)
	var stale *repair.StaleError
	if errors.As(err, &stale) {
		fmt.Fprintf(stdout, "%s changed since it was diagnosed, so nothing was applied. Current state:\n\n", key)
		printDiagnosis(stdout, stale.Fresh)
		return errReported
	}
	if res != nil {
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

// confirm asks a yes/no question on the terminal. Without a terminal it
// refuses rather than guess: scripts say --yes.
func confirm(stdin io.Reader, stdout io.Writer, question string) (bool, error) {
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false, &usageError{msg: "fix needs --yes when no terminal can confirm the change"}
	}
	return ask(stdin, stdout, question)
}

func ask(stdin io.Reader, stdout io.Writer, question string) (bool, error) {
	fmt.Fprint(stdout, question)
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
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

func writeJSON(w io.Writer, d *repair.Diagnosis) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(toJSON(d))
}
