package demo

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
)

// plainTerminal prints one line per diagnosis and result, so the test sees
// what the demo printed and in which order.
func plainTerminal() Terminal {
	return Terminal{
		PrintDiagnosis: func(w io.Writer, d *repair.Diagnosis) {
			fmt.Fprintf(w, "[diagnosis %s healthy=%v plan=%v]\n", d.Snapshot.Project.Key, d.Report.Healthy, d.Plan != nil)
		},
		PrintResult: func(w io.Writer, r *repair.Result) { fmt.Fprintf(w, "[result verified=%v]\n", r.Verified) },
		Describe:    func(err error) string { return "described: " + err.Error() },
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
		"An agent of NOPA invites a customer:",
		"✗ Successfully added 0 customers",
		"$ jsmbot diagnose NOPA",
		"[diagnosis NOPA healthy=false plan=true]",
		"$ jsmbot fix NOPA --yes",
		"[result verified=true]",
		"The repair made 2 write(s) to Jira, exactly the plan's 2 grant change(s)",
		"✓ the customer was added to NOPA",
		"──── Now in Slack ────",
		"alice in #support: /jsm diagnose SHRA",
		"jsmbot updates its message:",
		"──── A failed invite, reported in chat ────",
		"error on NOCR, for 2 customer(s)",
		"reported that customers could not be added to NOCR",
		"2 of 2 added",
		"created a customer account and added it to NOCR",
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
