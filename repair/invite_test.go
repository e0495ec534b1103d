package repair_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
)

// emailOf returns the email of a seeded account.
func emailOf(t *testing.T, sim *jirasim.Server, id string) string {
	t.Helper()
	for _, u := range sim.Users() {
		if u.AccountID == id {
			return u.Email
		}
	}
	t.Fatalf("no seeded user %s", id)
	return ""
}

func TestInviteAfterRepair(t *testing.T) {
	t.Parallel()
	e, sim := newEngine(t, jirasim.ScenarioPortalAccessMissing)
	ctx := t.Context()
	erin := emailOf(t, sim, jirasim.ProspectErinID)
	emails := []string{erin, "brand.new@example.com"}

	// Before the repair, every invite fails with Jira's message.
	before, err := e.Invite(ctx, "NOPA", emails)
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range before {
		if inv.Added || !errors.Is(inv.Err, jira.ErrBadRequest) {
			t.Errorf("invite of %s before the repair: added %v, err %v; want a 400", inv.Email, inv.Added, inv.Err)
		}
	}
	d, err := e.Diagnose(ctx, "NOPA")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Apply(ctx, *d.Plan); err != nil {
		t.Fatal(err)
	}

	after, err := e.Invite(ctx, "NOPA", emails)
	if err != nil {
		t.Fatal(err)
	}
	type brief struct {
		Email           string
		Added, Existing bool
		Failed          bool
	}
	var got []brief
	for _, inv := range after {
		got = append(got, brief{inv.Email, inv.Added, !inv.Created, inv.Err != nil})
		if inv.Added && !slices.Contains(sim.DeskCustomers("NOPA"), inv.AccountID) {
			t.Errorf("%s reported added but is not a customer of NOPA", inv.Email)
		}
	}
	// The first attempt already created brand.new's account, so both exist now.
	want := []brief{{erin, true, true, false}, {"brand.new@example.com", true, true, false}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("invites (-want +got):\n%s", diff)
	}
}

func TestLookupCustomers(t *testing.T) {
	t.Parallel()
	e, sim := newEngine(t, jirasim.ScenarioHealthy)
	carol := emailOf(t, sim, jirasim.CustomerCarolID) // inactive, on HELP's desk
	erin := emailOf(t, sim, jirasim.ProspectErinID)   // on no desk
	got, err := e.LookupCustomers(t.Context(), "HELP", []string{carol, erin, "nobody@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	want := []repair.Customer{
		{Email: carol, AccountID: jirasim.CustomerCarolID, Active: false, OnDesk: true},
		{Email: erin, AccountID: jirasim.ProspectErinID, Active: true, OnDesk: false},
		{Email: "nobody@example.com"},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(repair.Customer{}, "DisplayName")); diff != "" {
		t.Errorf("LookupCustomers (-want +got):\n%s", diff)
	}
	for _, r := range sim.Requests() {
		if r.Method != "GET" {
			t.Errorf("lookup wrote: %s %s", r.Method, r.Path)
		}
	}
}
