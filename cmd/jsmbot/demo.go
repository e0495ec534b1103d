package main

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

// runDemo tells the whole story against the built-in Jira simulator on
// loopback, through the real client: diagnose, fix, diagnose again. It
// needs no credentials and changes nothing outside this process.
func runDemo(ctx context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		return &usageError{msg: "demo takes no arguments"}
	}
	sim := jirasim.New(jirasim.WithLatency(5 * time.Millisecond))
	defer sim.Close()

	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	client, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken, jira.WithLogger(logger))
	if err != nil {
		return err
	}
	engine := repair.New(client, repair.WithLogger(logger))

	fmt.Fprintf(stdout, "jsmbot demo: a simulated Jira Cloud site is running at %s.\n\n", sim.URL)
	fmt.Fprintf(stdout, "An agent of %s invites a customer:\n", demoProject)
	invite := func() {
		err := client.AddCustomers(ctx, demoProject, []string{jirasim.ProspectErinID})
		if err != nil {
			fmt.Fprintf(stdout, "  ✗ %s\n\n", inviteWords(err))
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
	printDiagnosis(stdout, d)
	if d.Plan == nil {
		return fmt.Errorf("demo: expected %s to need a repair", demoProject)
	}

	fmt.Fprintf(stdout, "\n$ jsmbot fix %s --yes\n\n", demoProject)
	res, err := engine.Apply(ctx, *d.Plan)
	if res != nil {
		printResult(stdout, res)
	}
	if err != nil {
		return err
	}
	if !res.Verified {
		return fmt.Errorf("demo: %s is not healthy after the repair", demoProject)
	}
	n := 0
	for _, r := range sim.Requests() {
		if r.Method != http.MethodGet && r.Path != "/rest/servicedeskapi/servicedesk/"+demoProject+"/customer" {
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
func inviteWords(err error) string {
	var ae *jira.APIError
	if errors.As(err, &ae) && len(ae.Messages) > 0 {
		return strings.Join(ae.Messages, " ")
	}
	return describe(err)
}
