package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/internal/config"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// runUndo is jsmbot undo PLAN_ID: it reverts exactly what an applied
// repair changed, whether the bot or the command line applied it, from
// the shared record.
func runUndo(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("undo")
	yes := fs.Bool("yes", false, "undo without asking")
	timeout := fs.Duration("timeout", defaultTimeout, "time limit of the undo and the diagnosis after it (the prompt is not counted)")
	asJSON := fs.Bool("json", false, "print one JSON object, an error too (needs --yes)")
	positional, err := parsePositional(fs, args, stdout)
	if err != nil {
		return err
	}
	return withJSONErrors(stdout, *asJSON, func(stdout io.Writer) error {
		switch {
		case len(positional) != 1:
			return &usageError{msg: "undo needs exactly one plan ID (jsmbot fix and the bot's messages print it; jsmbot history lists them)"}
		case !store.ValidID(positional[0]):
			return &usageError{msg: fmt.Sprintf("%q is not a plan ID: a plan ID is 26 lower-case letters and digits 2-7", positional[0])}
		case *timeout <= 0:
			return &usageError{msg: "undo --timeout must be positive"}
		case *asJSON && !*yes:
			return &usageError{msg: "undo --json needs --yes"}
		case !*yes && !isTerminal(stdin):
			// Before any call to Jira or Redis: the answer cannot change.
			return &usageError{msg: "undo needs --yes when no terminal can confirm the change"}
		}
		engine, err := setup(getenv, stderr, config.VarRedisURL, config.VarUndoWindow)
		if err != nil {
			return err
		}
		st, err := openShared(ctx, engine.cfg)
		if err != nil {
			return err
		}
		if st == nil {
			return errNoSharedRecord
		}
		defer st.Close()
		return undo(ctx, engine, st, positional[0], undoOptions{yes: *yes, asJSON: *asJSON, timeout: *timeout, window: engine.cfg.UndoWindow, now: time.Now}, stdin, stdout, stderr)
	})
}

// undoOptions are undo's flags and the undo window.
type undoOptions struct {
	yes, asJSON bool
	timeout     time.Duration
	window      time.Duration
	now         func() time.Time
}

// undo reads the plan, refuses what cannot be undone, shows what the
// repair changed, asks, wins applied → undone, undoes and records it.
func undo(ctx context.Context, engine *terminal, st store.Store, id string, o undoOptions, stdin io.Reader, out, stderr io.Writer) (err error) {
	readCtx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	rec, err := st.Plan(readCtx, id)
	if errors.Is(err, store.ErrNotFound) {
		return &recordError{kind: "no-such-plan", msg: fmt.Sprintf("no such plan in the shared record: %s (a plan is kept %s after its last change)", id, store.DefaultRetention)}
	}
	if err != nil {
		return err
	}
	if err := undoable(rec, o.window, o.now()); err != nil {
		return err
	}
	var record repair.Record
	if len(rec.Record) == 0 || json.Unmarshal(rec.Record, &record) != nil {
		return refused("plan %s has no record of what it changed in Jira, so it cannot be undone exactly; run jsmbot diagnose %s", id, rec.ProjectKey)
	}
	data, _ := approval.Decode(rec) // the roles' names, when the plan has them
	record.PlanID = rec.ID

	stdout := out
	var rep undoJSON
	if o.asJSON {
		stdout = io.Discard
		rep = undoJSON{PlanID: rec.ID, ProjectKey: rec.ProjectKey, Mode: rec.Mode, Steps: []undoStepJSON{}}
		defer func() {
			rep.Error = errorOf(err)
			if werr := writeJSON(out, rep); werr != nil && err == nil {
				err = werr
			}
		}()
	}
	printUndoPreview(stdout, rec, record, data.Roles)
	if !o.yes {
		ok, err := ask(ctx, stdin, stdout, fmt.Sprintf("\nUndo plan %s on %s? Customers lose the access it gave. [y/N] ", rec.ID, rec.ProjectKey))
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(stdout, "Nothing changed.")
			return errDeclined
		}
	}

	actor := cliActor()
	undoCtx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	rec, err = st.Transition(undoCtx, rec.ID, store.StateApplied, store.StateUndone, func(p *store.PlanRecord) {
		p.Result = "undone by " + actor
	})
	switch {
	case errors.Is(err, store.ErrConflict):
		// Someone else (the bot's Undo button, another terminal) was first.
		if cur, rerr := st.Plan(undoCtx, id); rerr == nil && cur.State != store.StateApplied {
			return undoable(cur, o.window, o.now())
		}
		return fmt.Errorf("plan %s changed in the shared record while asking; nothing was undone, try again", id)
	case err != nil:
		return fmt.Errorf("record the undo of plan %s in the shared record (nothing was undone): %w", id, err)
	}

	fmt.Fprintln(stdout)
	u, undoErr := engine.Undo(undoCtx, record)
	if u != nil {
		printUndo(stdout, u, data.Roles)
		rep.Steps = undoStepsJSON(u, data.Roles)
		if u.After != nil {
			after := toJSON(u.After)
			rep.After = &after
		}
		rep.Customer = toCustomerJSON(u.Customer)
	}
	a := approval.Audit(rec, actor, approval.Undone, undoResult(u, undoErr), o.now())
	if u != nil {
		a.Created, a.Removed = undoneWords(u, data.Roles)
	}
	actx, acancel := context.WithTimeout(context.WithoutCancel(ctx), recordBudget)
	defer acancel()
	if err := st.AppendAudit(actx, a); err != nil {
		fmt.Fprintf(stderr, "jsmbot: could not write the audit record of the undo of plan %s (%s)\n", id, describe(err))
	}
	return undoErr
}

// recordError is a plan the shared record does not have, or one that
// cannot be undone: kind is its --json kind.
type recordError struct{ kind, msg string }

func (e *recordError) Error() string { return e.msg }

// refused is a plan that cannot be undone, with why.
func refused(format string, args ...any) error {
	return &recordError{kind: "not-undoable", msg: fmt.Sprintf(format, args...)}
}

// undoable refuses a plan that is not an applied repair within the undo
// window, with the line that says why.
func undoable(rec store.PlanRecord, window time.Duration, now time.Time) error {
	id, key := rec.ID, rec.ProjectKey
	switch rec.State {
	case store.StateApplied:
		if at := rec.UpdatedAt; now.Sub(at) > window {
			return refused("plan %s was applied at %s, more than %s (JSMBOT_UNDO_WINDOW) ago, so it can no longer be undone; run jsmbot diagnose %s", id, at.UTC().Format(time.RFC3339), window, key)
		}
		return nil
	case store.StateUndone:
		return refused("plan %s was undone already (%s); nothing to do", id, rec.Result)
	case store.StatePending:
		return refused("plan %s is pending: it was never applied, so there is nothing to undo", id)
	case store.StateApplying:
		return refused("plan %s is being applied now; undo it once it is applied", id)
	case store.StateFailed:
		return refused("plan %s failed (%s), so it cannot be undone; run jsmbot diagnose %s to see what Jira holds", id, rec.Result, key)
	case store.StateDismissed, store.StateExpired:
		return refused("plan %s was %s and never applied, so there is nothing to undo", id, rec.State)
	}
	return refused("plan %s is %s, so it cannot be undone", id, rec.State)
}

// printUndoPreview says what the repair changed, which the undo reverts.
func printUndoPreview(w io.Writer, rec store.PlanRecord, record repair.Record, roles map[string]string) {
	by := rec.ApproverID
	if by == "" {
		by = "unknown"
	}
	fmt.Fprintf(w, "Plan %s of %s (mode %s) was applied at %s, approved by %s: %s.\n",
		rec.ID, rec.ProjectKey, rec.Mode, rec.UpdatedAt.UTC().Format(time.RFC3339), by, rec.Result)
	fmt.Fprintln(w, "It changed:")
	n := 0
	for _, c := range record.Result().Changes {
		switch c.Outcome {
		case repair.Made:
			fmt.Fprintf(w, "  ✓ %s\n", c.Words(roles, terminalMarks))
		case repair.Unknown:
			fmt.Fprintf(w, "  ? %s (may have been applied)\n", c.Words(roles, terminalMarks))
		default:
			continue
		}
		n++
	}
	if n == 0 {
		fmt.Fprintln(w, "  nothing the repair made itself")
	}
	fmt.Fprintln(w, "Undo re-reads Jira, reverts each of these changes that is still as the repair left it, and touches nothing else.")
}

// printUndo says what the undo did, step by step, then the diagnosis and
// the customer check after it.
func printUndo(w io.Writer, u *repair.UndoResult, roles map[string]string) {
	fmt.Fprintf(w, "Undoing plan %s of %s:\n", u.PlanID, u.Plan.ProjectKey)
	if len(u.Steps) == 0 {
		fmt.Fprintln(w, "  nothing to revert: the repair made no change that is still there")
	}
	for _, s := range u.Steps {
		words := s.Words(roles, terminalMarks)
		switch s.Outcome {
		case repair.Made:
			fmt.Fprintf(w, "  ✓ %s\n", words)
		case repair.Skipped:
			fmt.Fprintf(w, "  · left alone: %s — %s\n", undoIntended(words), s.SkipWords())
		case repair.Unknown:
			fmt.Fprintf(w, "  ? may have %s: Jira's answer was lost (%s)\n", words, describe(s.Err))
		case repair.Failed:
			fmt.Fprintf(w, "  ✗ could not %s: %s\n", undoIntended(words), describe(s.Err))
		default:
			fmt.Fprintf(w, "  · not attempted: %s (an earlier step failed)\n", undoIntended(words))
		}
	}
	if u.After == nil {
		return
	}
	fmt.Fprintf(w, "\nAfter the undo:\n")
	printDiagnosis(w, u.After)
	printCustomer(w, u.Customer, u.Plan.ProjectKey)
}

// undoIntended turns the words of what an undo step did into what it was
// to do: "deleted the grant …" into "delete the grant …".
func undoIntended(words string) string {
	for _, verb := range [][2]string{{"deleted ", "delete "}, {"granted ", "grant "}, {"assigned ", "assign "}} {
		if rest, ok := strings.CutPrefix(words, verb[0]); ok {
			return verb[1] + rest
		}
	}
	return words
}

// undoResult is the audit record's result of an undo.
func undoResult(u *repair.UndoResult, err error) string {
	var made, skipped int
	if u != nil {
		made, skipped = len(u.Undone()), len(u.Skipped())
	}
	switch {
	case errors.Is(err, repair.ErrUnknownOutcome):
		return fmt.Sprintf("undo outcome unknown: %d change(s) reverted, one may have been (ref cli)", made)
	case err != nil:
		return fmt.Sprintf("undo stopped after %d change(s) reverted, %d left alone (ref cli)", made, skipped)
	}
	return fmt.Sprintf("undone: %d change(s) reverted, %d left alone", made, skipped)
}

// undoneWords are the undo audit record's created and removed lines, as
// the bot words its records.
func undoneWords(u *repair.UndoResult, roles map[string]string) (created, removed []string) {
	for _, s := range u.Undone() {
		words := s.Words(roles, recordMarks)
		switch s.Action {
		case repair.UndoDeleteGrant, repair.UndoDeleteCopy:
			removed = append(removed, words)
		default:
			created = append(created, words)
		}
	}
	return created, removed
}

// undoJSON is the object of undo --json.
type undoJSON struct {
	PlanID     string         `json:"planId"`
	ProjectKey string         `json:"projectKey"`
	Mode       string         `json:"mode"`
	Steps      []undoStepJSON `json:"steps"`
	After      *diagnosisJSON `json:"after"`
	Customer   *customerJSON  `json:"customer"`
	Error      *errorJSON     `json:"error,omitempty"`
}

// undoStepJSON is one undo step: action is delete-grant, add-grant,
// assign-original or delete-copy; status is done, skipped (with skip),
// failed, unknown or not-attempted.
type undoStepJSON struct {
	Action   string            `json:"action"`
	SchemeID int64             `json:"schemeId"`
	Words    string            `json:"words"`
	Status   string            `json:"status"`
	Skip     repair.SkipReason `json:"skip,omitempty"`
	UsedBy   []string          `json:"usedBy,omitempty"`
	Error    *errorJSON        `json:"error,omitempty"`
}

func undoStepsJSON(u *repair.UndoResult, roles map[string]string) []undoStepJSON {
	out := []undoStepJSON{}
	for _, s := range u.Steps {
		sj := undoStepJSON{Action: s.Action, SchemeID: s.SchemeID, Words: s.Words(roles, terminalMarks), Status: string(s.Outcome), Skip: s.Skip, UsedBy: s.UsedBy}
		switch s.Outcome {
		case repair.Made:
			sj.Status = "done"
		case repair.Skipped, repair.Failed, repair.NotAttempted:
			sj.Words = undoIntended(sj.Words)
		}
		if s.Err != nil {
			sj.Error = errorOf(s.Err)
		}
		out = append(out, sj)
	}
	return out
}
