// Package demo is jsmbot demo: the whole story, told against the built-in
// Jira and Slack simulators on loopback through the real clients and the
// real bot. It needs no credentials and changes nothing outside the
// process.
//
// The terminal's words come from the command through [Terminal], so the
// demo shows exactly what jsmbot diagnose and fix print. A new chapter of
// the story is a function beside demoSlackStory and demoReportStory,
// called from [Run] or demoSlack.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
)

// demoProject is the broken project the demo repairs.
const demoProject = "NOPA"

// Terminal is how the command prints, so that the demo shows what
// jsmbot diagnose and fix print.
type Terminal struct {
	PrintDiagnosis func(io.Writer, *repair.Diagnosis)
	PrintResult    func(io.Writer, *repair.Result)
	// Describe is the one line a user sees for an error.
	Describe func(error) string
}

// Run tells the whole story: against the Jira simulator, through the real
// client, an invite fails, jsmbot diagnoses, fixes and the invite works;
// then the Slack stories of demoSlack. Progress goes to stdout, the
// clients' warnings to stderr.
func Run(ctx context.Context, stdout, stderr io.Writer, term Terminal) error {
	sim := jirasim.New(jirasim.WithLatency(5 * time.Millisecond))
	defer sim.Close()

	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	client, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken, jira.WithLogger(logger))
	if err != nil {
		return err
	}
	engine := repair.New(client, repair.WithLogger(logger), repair.WithCustomerCheck())

	fmt.Fprintf(stdout, "jsmbot demo: a simulated Jira Cloud site is running at %s.\n\n", sim.URL)
	fmt.Fprintf(stdout, "An agent of %s invites a customer:\n", demoProject)
	invite := func() {
		err := client.AddCustomers(ctx, demoProject, []string{jirasim.ProspectErinID})
		if err != nil {
			fmt.Fprintf(stdout, "  ✗ %s\n\n", inviteWords(err, term.Describe))
			return
		}
		fmt.Fprintf(stdout, "  ✓ the customer was added to %s\n", demoProject)
	}
	invite()
	fmt.Fprintf(stdout, "$ jsmbot diagnose %s\n\n", demoProject)

	d, err := engine.Diagnose(ctx, demoProject)
	if err != nil {
		return err
	}
	term.PrintDiagnosis(stdout, d)
	if d.Plan == nil {
		return fmt.Errorf("demo: expected %s to need a repair", demoProject)
	}

	fmt.Fprintf(stdout, "\n$ jsmbot fix %s --yes\n\n", demoProject)
	res, err := engine.Apply(ctx, *d.Plan)
	if res != nil {
		term.PrintResult(stdout, res)
	}
	if err != nil {
		return err
	}
	if !res.Verified {
		return fmt.Errorf("demo: %s is not healthy after the repair", demoProject)
	}
	n := 0
	for _, r := range sim.Requests() {
		// Adding the customer and asking Jira about one (a read by POST)
		// are not the repair's writes.
		if r.Method != http.MethodGet && r.Path != "/rest/servicedeskapi/servicedesk/"+demoProject+"/customer" && r.Path != "/rest/api/3/permissions/check" {
			n++
		}
	}
	fmt.Fprintf(stdout, "\nThe repair made %d write(s) to Jira, exactly the plan's %d grant change(s); no other project was touched.\n\n",
		n, len(d.Plan.AddGrants)+len(d.Plan.RemoveGrants))
	fmt.Fprintf(stdout, "The agent invites the customer again:\n")
	invite()
	return demoSlack(ctx, stdout, stderr)
}

// inviteWords is what the agent sees when adding a customer fails.
func inviteWords(err error, describe func(error) string) string {
	var ae *jira.APIError
	if errors.As(err, &ae) && len(ae.Messages) > 0 {
		return strings.Join(ae.Messages, " ")
	}
	return describe(err)
}
