// Package demo is jsmbot demo: the whole story, told against the built-in
// Jira and Slack simulators on loopback through the real clients and the
// real bot. It needs no credentials and changes nothing outside the
// process.
//
// The terminal's words and commands come from cmd/jsmbot through
// [Terminal], so the demo shows exactly what jsmbot diagnose, fix, undo,
// history and audit print. A new chapter of the story is a function
// beside demoRecord and demoFleet (the command line, called from [Run]) or
// demoSlackStory, demoWatch, demoReportStory and demoAuditStory (Slack,
// called from demoSlack). Fleets stay small: the demo takes about a
// second.
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
	"github.com/jsmbot/jsmbot/store"
)

// demoProject is the project someone breaks behind the bot's back, and
// jsmbot repairs.
const demoProject = "HELP"

// Site is what a command of the demo runs against: the engine, the
// client under it and the shared record (REDIS_URL's store; here one in
// memory).
type Site struct {
	Engine *repair.Engine
	Client *jira.Client
	Store  store.Store
}

// Terminal is how the command line prints and runs, so that the demo
// shows what jsmbot diagnose, fix, undo, history and audit print. The
// commands run with --yes.
type Terminal struct {
	PrintDiagnosis func(io.Writer, *repair.Diagnosis)
	// PrintAudit prints jsmbot audit's table and summary.
	PrintAudit func(io.Writer, *repair.AuditReport)
	// PrintHistory prints jsmbot history's table.
	PrintHistory func(io.Writer, []store.AuditRecord)
	// Fix is jsmbot fix KEY --yes, recorded in s.Store; it returns the
	// plan's ID there.
	Fix func(ctx context.Context, s Site, key string, stdout, stderr io.Writer) (planID string, err error)
	// FixScheme is jsmbot fix --scheme ID --yes, recorded in s.Store.
	FixScheme func(ctx context.Context, s Site, schemeID int64, stdout, stderr io.Writer) error
	// Undo is jsmbot undo PLAN_ID --yes, from s.Store.
	Undo func(ctx context.Context, s Site, planID string, stdout, stderr io.Writer) error
	// Describe is the one line a user sees for an error.
	Describe func(error) string
}

// Run tells the whole story: against the Jira simulator, through the real
// client, someone breaks a project, an invite fails, jsmbot says who broke
// it, fixes it and the invite works; the shared record undoes it; a fleet
// audit repairs a shared scheme; then the Slack stories of demoSlack.
// Progress goes to stdout, the clients' warnings to stderr.
func Run(ctx context.Context, stdout, stderr io.Writer, term Terminal) error {
	sim := jirasim.New(jirasim.WithLatency(5 * time.Millisecond))
	defer sim.Close()

	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	client, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken, jira.WithLogger(logger))
	if err != nil {
		return err
	}
	engine := repair.New(client, repair.WithLogger(logger), repair.WithCustomerCheck())
	st := store.NewMemory()
	defer st.Close()
	site := Site{Engine: engine, Client: client, Store: st}

	fmt.Fprintf(stdout, "jsmbot demo: a simulated Jira Cloud site is running at %s.\n\n", sim.URL)
	fmt.Fprintf(stdout, "Customers could join %s this morning. Then Olivia Owner, a site admin, tidied its permission\n", demoProject)
	fmt.Fprintf(stdout, "scheme in Jira's UI and removed two grants of Portal Access, behind the bot's back.\n\n")
	schemeID, _ := sim.ProjectSchemeID(demoProject)
	if err := removePortalAccess(sim, schemeID, "BROWSE_PROJECTS", "CREATE_ISSUES"); err != nil {
		return err
	}

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
	d.Causes, _ = engine.Causes(ctx, d) // as diagnose: who and when is a bonus
	term.PrintDiagnosis(stdout, d)
	if d.Plan == nil {
		return fmt.Errorf("demo: expected %s to need a repair", demoProject)
	}
	if len(d.Causes.ByFinding) == 0 {
		return fmt.Errorf("demo: Jira's audit log did not say who broke %s", demoProject)
	}

	fmt.Fprintf(stdout, "\n$ jsmbot fix %s --yes        # REDIS_URL names the shared record; here an in-memory store\n\n", demoProject)
	sim.ResetRequests()
	planID, err := term.Fix(ctx, site, demoProject, stdout, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nThe repair made %d write(s) to Jira, exactly the plan's %d grant change(s); no other project was touched.\n\n",
		writes(sim), len(d.Plan.AddGrants)+len(d.Plan.RemoveGrants))
	fmt.Fprintf(stdout, "The agent invites the customer again:\n")
	invite()

	if err := demoRecord(ctx, sim, site, schemeID, planID, stdout, stderr, term); err != nil {
		return err
	}
	if err := demoFleet(ctx, logger, stdout, stderr, term); err != nil {
		return err
	}
	return demoSlack(ctx, stdout, stderr)
}

// demoRecord is the shared record: history lists the fix, undo reverts
// exactly what it created, and history says so.
func demoRecord(ctx context.Context, sim *jirasim.Server, site Site, schemeID int64, planID string, stdout, stderr io.Writer, term Terminal) error {
	fmt.Fprintf(stdout, "\n──── The shared record ────\n\n")
	fmt.Fprintf(stdout, "Olivia removed those grants on purpose: %s's customers move to another desk. The command line\n", demoProject)
	fmt.Fprintf(stdout, "and the bot keep one record, so she finds the fix and undoes it.\n\n")
	history := func() error {
		recs, err := site.Store.AuditLog(ctx, store.AuditFilter{Limit: 20})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "$ jsmbot history\n\n")
		term.PrintHistory(stdout, recs)
		return nil
	}
	if err := history(); err != nil {
		return err
	}
	before := len(sim.SchemeGrants(schemeID))
	fmt.Fprintf(stdout, "\n$ jsmbot undo %s --yes\n\n", planID)
	sim.ResetRequests()
	if err := term.Undo(ctx, site, planID, stdout, stderr); err != nil {
		return err
	}
	n, deleted := writes(sim), before-len(sim.SchemeGrants(schemeID))
	if n != deleted {
		return fmt.Errorf("demo: the undo made %d write(s) to Jira but deleted %d grant(s)", n, deleted)
	}
	fmt.Fprintf(stdout, "\nThe undo made %d write(s) to Jira: it deleted the %d grant(s) the repair created, nothing else.\n\n", n, deleted)
	return history()
}

// Fleet is the site of the fleet audit: small, so that the demo stays
// quick, yet with shared schemes, broken and healthy.
var demoFleetSite = jirasim.Fleet{Projects: 40, Schemes: 5}

// demoFleet is the fleet audit: every project of a second site by scheme,
// one broken shared scheme repaired for all its projects at once, and the
// audit again.
func demoFleet(ctx context.Context, logger *slog.Logger, stdout, stderr io.Writer, term Terminal) error {
	sim := jirasim.New(jirasim.WithFleet(demoFleetSite), jirasim.WithLatency(time.Millisecond))
	defer sim.Close()
	client, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken, jira.WithLogger(logger))
	if err != nil {
		return err
	}
	engine := repair.New(client, repair.WithLogger(logger), repair.WithCustomerCheck())
	st := store.NewMemory()
	defer st.Close()
	site := Site{Engine: engine, Client: client, Store: st}

	fmt.Fprintf(stdout, "\n──── A whole site: the fleet audit ────\n\n")
	fmt.Fprintf(stdout, "A second simulated site has %d projects (service, software and team-managed) on %d permission schemes.\n\n", demoFleetSite.Projects, demoFleetSite.Schemes)
	fmt.Fprintf(stdout, "$ jsmbot audit\n\n")
	r, err := engine.Audit(ctx, repair.AuditOptions{})
	if err != nil {
		return err
	}
	term.PrintAudit(stdout, r)
	var worst *repair.AuditScheme
	for i, s := range r.Schemes {
		if s.Plan != nil && (worst == nil || len(s.Projects) > len(worst.Projects)) {
			worst = &r.Schemes[i]
		}
	}
	if worst == nil {
		return errors.New("demo: the fleet audit found no broken scheme")
	}
	fmt.Fprintf(stdout, "\n$ jsmbot fix --scheme %d --yes\n\n", worst.ID)
	if err := term.FixScheme(ctx, site, worst.ID, stdout, stderr); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n$ jsmbot audit\n\n")
	r, err = engine.Audit(ctx, repair.AuditOptions{})
	if err != nil {
		return err
	}
	term.PrintAudit(stdout, r)
	for _, s := range r.Schemes {
		if s.ID == worst.ID && !s.Healthy {
			return fmt.Errorf("demo: scheme %d is not healthy after fix --scheme", s.ID)
		}
	}
	return nil
}

// removePortalAccess removes Portal Access's grants of perms from a
// scheme, as an admin in Jira's UI would: the change author (Olivia Owner)
// is in Jira's audit log.
func removePortalAccess(sim *jirasim.Server, schemeID int64, perms ...string) error {
	var ids []int64
	for _, g := range sim.SchemeGrants(schemeID) {
		for _, p := range perms {
			if g.HolderType == portalAccess && g.Permission == p {
				ids = append(ids, g.ID)
			}
		}
	}
	if len(ids) != len(perms) {
		return fmt.Errorf("demo: scheme %d has %d of the %d Portal Access grants to remove", schemeID, len(ids), len(perms))
	}
	sim.RemoveGrants(schemeID, ids...)
	return nil
}

// portalAccess is the holder type of Service Project Customer - Portal
// Access in Jira's REST API.
const portalAccess = "sd.customer.portal.only"

// writes counts the writes to Jira the simulator logged since its last
// reset. Adding a customer and asking Jira about one (a read by POST) are
// not a repair's writes.
func writes(sim *jirasim.Server) int {
	n := 0
	for _, r := range sim.Requests() {
		if r.Method != http.MethodGet && !strings.HasSuffix(r.Path, "/customer") && r.Path != "/rest/api/3/permissions/check" {
			n++
		}
	}
	return n
}

// inviteWords is what the agent sees when adding a customer fails.
func inviteWords(err error, describe func(error) string) string {
	var ae *jira.APIError
	if errors.As(err, &ae) && len(ae.Messages) > 0 {
		return strings.Join(ae.Messages, " ")
	}
	return describe(err)
}
