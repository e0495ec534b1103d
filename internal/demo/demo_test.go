package demo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// plainTerminal prints one line per diagnosis, audit and history, and
// runs fix, fix --scheme and undo on the engine alone (the commands live
// in package main; cmd/jsmbot's TestDemo runs the demo's first story on
// them, and TestDemoTerminal its audit and fix --scheme), so the
// test sees what the demo printed and in which order.
func plainTerminal() Terminal {
	var (
		mu      sync.Mutex
		records = map[string]repair.Record{}
	)
	return Terminal{
		PrintDiagnosis: func(w io.Writer, d *repair.Diagnosis) {
			fmt.Fprintf(w, "[diagnosis %s healthy=%v plan=%v causes=%d]\n", d.Snapshot.Project.Key, d.Report.Healthy, d.Plan != nil, len(d.Causes.ByFinding))
		},
		PrintAudit: func(w io.Writer, r *repair.AuditReport) {
			fmt.Fprintf(w, "[audit broken=%d schemes=%d]\n", r.Summary.BrokenSchemes, len(r.Schemes))
		},
		PrintHistory: func(w io.Writer, recs []store.AuditRecord) { fmt.Fprintf(w, "[history %d]\n", len(recs)) },
		Fix: func(ctx context.Context, s Site, key string, stdout, _ io.Writer) (string, error) {
			d, err := s.Engine.Diagnose(ctx, key)
			if err != nil {
				return "", err
			}
			res, err := s.Engine.Apply(ctx, *d.Plan)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(stdout, "[fix %s verified=%v]\n", key, res.Verified)
			mu.Lock()
			defer mu.Unlock()
			id := fmt.Sprintf("plan%d", len(records)+1)
			records[id] = res.Record()
			return id, nil
		},
		FixScheme: func(ctx context.Context, s Site, id int64, stdout, _ io.Writer) error {
			as, err := s.Engine.PlanScheme(ctx, id)
			if err != nil {
				return err
			}
			if _, err := s.Engine.Apply(ctx, *as.Plan); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "[fix --scheme %d projects=%d]\n", id, len(as.Projects))
			return nil
		},
		Undo: func(ctx context.Context, s Site, id string, stdout, _ io.Writer) error {
			mu.Lock()
			rec, ok := records[id]
			mu.Unlock()
			if !ok {
				return fmt.Errorf("no plan %s", id)
			}
			u, err := s.Engine.Undo(ctx, rec)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "[undo %s reverted=%d]\n", id, len(u.Undone()))
			return nil
		},
		Describe: func(err error) string { return "described: " + err.Error() },
	}
}

// TestRun tells the whole story: the CLI part repairs NOPA with the plan's
// writes only, and the Slack parts run through the real bot.
func TestRun(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if err := Run(t.Context(), &out, &errOut, plainTerminal()); err != nil {
		t.Fatalf("Run: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	text := out.String()
	inOrder := []string{
		"Olivia Owner, a site admin",
		"An agent of HELP invites a customer:",
		"✗ Successfully added 0 customers",
		"$ jsmbot diagnose HELP",
		"[diagnosis HELP healthy=false plan=true causes=2]",
		"$ jsmbot fix HELP --yes",
		"[fix HELP verified=true]",
		"The repair made 2 write(s) to Jira, exactly the plan's 2 grant change(s)",
		"✓ the customer was added to HELP",
		"──── The shared record ────",
		"$ jsmbot history",
		"$ jsmbot undo plan1 --yes",
		"[undo plan1 reverted=2]",
		"The undo made 2 write(s) to Jira: it deleted the 2 grant(s) the repair created, nothing else.",
		"$ jsmbot history",
		"──── A whole site: the fleet audit ────",
		"$ jsmbot audit",
		"[audit broken=2 schemes=4]",
		"$ jsmbot fix --scheme 10000 --yes",
		"[fix --scheme 10000 projects=9]",
		"$ jsmbot audit",
		"[audit broken=1 schemes=4]",
		"──── Now in Slack ────",
		"alice in #support: /jsm diagnose SHRA",
		"jsmbot updates its message:",
		"Verified for Alice Customer",
		"[ Undo ]",
		"bob clicks [ Undo ] and confirms",
		"SHRA · Shared Support A — undone",
		"deleted the copy “Shared Support Scheme 2”",
		"──── The watch ────",
		"jsmbot noticed that HELP broke*: Removed by Olivia Owner on ",
		"[ Approve fix ]",
		"HELP — healthy again",
		"Fixed by Olivia Owner on ",
		"──── A failed invite, reported in chat ────",
		"error on NOCR, for 2 customer(s)",
		"reported that customers could not be added to NOCR",
		"2 of 2 added",
		"created a customer account and added it to NOCR",
		"──── The whole site, in chat ────",
		"alice in #support: /jsm audit",
		"Site audit — 4 schemes broken",
		"Shared Support Scheme  ",
		"Scheme “Shared Support Scheme” — 3 service projects",
		"[ Approve: fix scheme ]",
		"*Verified:* all 3 projects on the scheme “Shared Support Scheme” are healthy now.",
		"The bot drained and stopped.",
	}
	rest := text
	for _, want := range inOrder {
		i := strings.Index(rest, want)
		if i < 0 {
			t.Fatalf("the demo output lacks %q after the lines before it:\n%s", want, text)
		}
		rest = rest[i+len(want):]
	}
	for _, bad := range []string{jirasim.DefaultToken, "goroutine ", "panic:"} {
		if strings.Contains(text+errOut.String(), bad) {
			t.Errorf("output contains %q", bad)
		}
	}
}
