package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/jsmbot/jsmbot/internal/config"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/store"
)

// defaultHistoryLimit is how many audit records history lists unless
// told.
const defaultHistoryLimit = 20

// runHistory is jsmbot history [KEY]: the audit records of the shared
// record, newest first — who did what to which project, when, and how it
// ended, whether the bot or the command line did it.
func runHistory(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newFlags("history")
	asJSON := fs.Bool("json", false, "print one JSON array, an error as an object")
	limit := fs.Int("limit", defaultHistoryLimit, "the most records to list, newest first")
	positional, err := parsePositional(fs, args, stdout)
	if err != nil {
		return err
	}
	return withJSONErrors(stdout, *asJSON, func(stdout io.Writer) error {
		var key string
		switch {
		case len(positional) > 1:
			return &usageError{msg: "history takes at most one project key"}
		case *limit <= 0:
			return &usageError{msg: "history --limit must be positive"}
		case len(positional) == 1:
			if key, err = jira.ParseProjectKey(positional[0]); err != nil {
				return &usageError{msg: err.Error()}
			}
		}
		// history reads Redis only: Jira's variables may be unset.
		cfg, err := config.Load(getenv)
		if err := config.Only(err, config.VarRedisURL); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(ctx, defaultTimeout)
		defer cancel()
		st, err := openShared(ctx, cfg)
		if err != nil {
			return err
		}
		if st == nil {
			return errNoSharedRecord
		}
		defer st.Close()
		recs, err := st.AuditLog(ctx, store.AuditFilter{ProjectKey: key, Limit: *limit})
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, historyJSON(recs))
		}
		printHistory(stdout, recs, key)
		return nil
	})
}

// printHistory writes the records as a table, each cell one clean line,
// with what each repair created and removed under it.
func printHistory(w io.Writer, recs []store.AuditRecord, key string) {
	if len(recs) == 0 {
		where := ""
		if key != "" {
			where = " of " + key
		}
		fmt.Fprintf(w, "No audit records%s in the shared record (they are kept %s).\n", where, store.DefaultRetention)
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN (UTC)\tPROJECT\tACTION\tBY\tPLAN\tRESULT")
	for _, r := range recs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.UTC().Format("2006-01-02 15:04:05"), oneLine(r.ProjectKey),
			oneLine(r.Action), oneLine(actorOf(r)), oneLine(r.PlanID), oneLine(r.Result))
		for _, c := range r.Created {
			fmt.Fprintf(tw, "\t\t\t\t\t+ %s\n", oneLine(c))
		}
		for _, c := range r.Removed {
			fmt.Fprintf(tw, "\t\t\t\t\t- %s\n", oneLine(c))
		}
	}
	_ = tw.Flush()
}

// actorOf is who decided, or who asked when nobody decided (an expiry).
func actorOf(r store.AuditRecord) string {
	if r.ApproverID != "" {
		return r.ApproverID
	}
	if r.RequesterID != "" {
		return r.RequesterID
	}
	return "-"
}

// auditJSON is one audit record in history --json, a public contract
// (README.md).
type auditJSON struct {
	Time        time.Time `json:"time"`
	ProjectKey  string    `json:"projectKey"`
	Action      string    `json:"action"`
	Result      string    `json:"result"`
	PlanID      string    `json:"planId"`
	RequesterID string    `json:"requesterId"`
	ApproverID  string    `json:"approverId"`
	Created     []string  `json:"created"`
	Removed     []string  `json:"removed"`
	Digest      string    `json:"digest"`
	ID          string    `json:"id"`
}

func historyJSON(recs []store.AuditRecord) []auditJSON {
	out := make([]auditJSON, 0, len(recs))
	for _, r := range recs {
		a := auditJSON{
			Time: r.Time.UTC(), ProjectKey: r.ProjectKey, Action: r.Action, Result: r.Result, PlanID: r.PlanID,
			RequesterID: r.RequesterID, ApproverID: r.ApproverID, Created: r.Created, Removed: r.Removed, Digest: r.Digest, ID: r.ID,
		}
		if a.Created == nil {
			a.Created = []string{}
		}
		if a.Removed == nil {
			a.Removed = []string{}
		}
		out = append(out, a)
	}
	return out
}
