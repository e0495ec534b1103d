package jira_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

const (
	browse = "BROWSE_PROJECTS"
	create = "CREATE_ISSUES"
)

func projectID(t *testing.T, sim *jirasim.Server, key string) int64 {
	t.Helper()
	p, ok := sim.Project(key)
	if !ok {
		t.Fatalf("no project %s", key)
	}
	return p.ID
}

// TestCheckPermissions asks, for accounts of the seeded site, what Jira
// really lets them do on the seeded projects: Portal Access grants reach the
// desk's customers and nobody else; inactive and blocked accounts hold
// nothing although the grants are there.
func TestCheckPermissions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		account string
		project string
		setup   func(*jirasim.Server)
		want    []string // held of browse, create
	}{
		{name: "customer, healthy scheme", account: jirasim.CustomerAliceID, project: "HELP", want: []string{browse, create}},
		{name: "customer, portal access missing", account: jirasim.CustomerAliceID, project: "NOPA"},
		{name: "customer, create missing", account: jirasim.CustomerAliceID, project: "NOCR", want: []string{browse}},
		{name: "customer, grants on the customers role only", account: jirasim.CustomerAliceID, project: "CUST"},
		{name: "customer, shared broken scheme", account: jirasim.CustomerBobID, project: "SHRB"},
		{name: "customer, team-managed desk", account: jirasim.CustomerAliceID, project: "TEAM", want: []string{browse, create}},
		{name: "licensed account that is a customer", account: jirasim.CustomerDaveID, project: "HELP", want: []string{browse, create}},
		{name: "not a customer of this desk", account: jirasim.ProspectErinID, project: "HELP"},
		{name: "inactive customer", account: jirasim.CustomerCarolID, project: "HELP"},
		{name: "customer deactivated", account: jirasim.CustomerBobID, project: "HELP",
			setup: func(s *jirasim.Server) { s.SetUserActive(jirasim.CustomerBobID, false) }},
		{name: "grants present, customer still denied", account: jirasim.CustomerAliceID, project: "HELP",
			setup: func(s *jirasim.Server) { s.SetAccountBlocked(jirasim.CustomerAliceID, true) }},
		{name: "unblocked again", account: jirasim.CustomerAliceID, project: "HELP", want: []string{browse, create},
			setup: func(s *jirasim.Server) {
				s.SetAccountBlocked(jirasim.CustomerAliceID, true)
				s.SetAccountBlocked(jirasim.CustomerAliceID, false)
			}},
		{name: "customer after the repair", account: jirasim.CustomerAliceID, project: "NOPA", want: []string{browse, create},
			setup: func(s *jirasim.Server) {
				id, _ := s.ProjectSchemeID("NOPA")
				s.AddGrants(id, jirasim.Grant{HolderType: "sd.customer.portal.only", Permission: browse},
					jirasim.Grant{HolderType: "sd.customer.portal.only", Permission: create})
			}},
		{name: "agent through the Service Desk Team role", account: jirasim.AgentAccountID, project: "NOPA", want: []string{browse, create}},
		{name: "licensed account through applicationRole", account: jirasim.CustomerDaveID, project: "SOFT",
			setup: func(s *jirasim.Server) {
				id, _ := s.ProjectSchemeID("SOFT")
				s.AddGrants(id, jirasim.Grant{HolderType: "applicationRole", Permission: browse})
			}, want: []string{browse}},
		{name: "customer gets no applicationRole grant", account: jirasim.CustomerAliceID, project: "APPR",
			setup: func(s *jirasim.Server) {
				id := s.AddScheme("Logged-in users", "", jirasim.Grant{HolderType: "applicationRole", Permission: browse})
				s.AddProject(jirasim.Project{Key: "APPR", SchemeID: id, Desk: true})
				s.AddCustomers("APPR", jirasim.CustomerAliceID)
			}},
		{name: "anyone includes customers", account: jirasim.CustomerAliceID, project: "ANYO",
			setup: func(s *jirasim.Server) {
				id := s.AddScheme("Public", "", jirasim.Grant{HolderType: "anyone", Permission: browse})
				s.AddProject(jirasim.Project{Key: "ANYO", SchemeID: id, Desk: true})
			}, want: []string{browse}},
		{name: "a grant to the user", account: jirasim.ProspectErinID, project: "HELP",
			setup: func(s *jirasim.Server) {
				id, _ := s.ProjectSchemeID("HELP")
				s.AddGrants(id, jirasim.Grant{HolderType: "user", HolderParameter: jirasim.ProspectErinID, Permission: create})
			}, want: []string{create}},
		{name: "the caller", account: "", project: "NOPA", want: []string{browse, create}},
		{name: "the caller without browse", account: "", project: "HELP", want: []string{create},
			setup: func(s *jirasim.Server) { s.SetProjectPermission(browse, false) }},
	}
	// Each case's site holds the scenario of its project only, and the
	// seeded accounts (which SOFT's scenario lacks, and APPR and ANYO,
	// added by their cases, need).
	scenarios := map[string][]jirasim.Scenario{
		"HELP": {jirasim.ScenarioHealthy}, "NOPA": {jirasim.ScenarioPortalAccessMissing}, "NOCR": {jirasim.ScenarioCreateMissing},
		"CUST": {jirasim.ScenarioCustomersRole}, "SHRB": {jirasim.ScenarioShared}, "TEAM": {jirasim.ScenarioTeamManaged},
		"SOFT": {jirasim.ScenarioHealthy, jirasim.ScenarioSoftware}, "APPR": {jirasim.ScenarioHealthy}, "ANYO": {jirasim.ScenarioHealthy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sc, ok := scenarios[tt.project]
			if !ok {
				t.Fatalf("no scenario for project %s", tt.project)
			}
			c, sim := newTestClient(t, []jirasim.Option{jirasim.WithSeed(sc...)})
			if tt.setup != nil {
				tt.setup(sim)
			}
			id := projectID(t, sim, tt.project)
			got, err := c.CheckPermissions(t.Context(), tt.account, []int64{id, 4242}, []string{create, browse})
			if err != nil {
				t.Fatal(err)
			}
			want := jira.ProjectPermissions{}
			if len(tt.want) > 0 {
				want[id] = tt.want
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("CheckPermissions mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProjectPermissionsHasAndMissing(t *testing.T) {
	t.Parallel()
	pp := jira.ProjectPermissions{10000: {browse}}
	tests := []struct {
		project int64
		want    []string
	}{
		{10000, []string{create}},
		{10001, []string{browse, create}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, pp.Missing(tt.project, browse, create)); diff != "" {
			t.Errorf("Missing(%d) mismatch (-want +got):\n%s", tt.project, diff)
		}
	}
	if !pp.Has(10000, browse) || pp.Has(10000, create) || pp.Has(10001, browse) {
		t.Errorf("Has disagrees with %v", pp)
	}
	if got := (jira.ProjectPermissions{10000: {browse, create}}).Missing(10000, browse, create); got != nil {
		t.Errorf("Missing with everything held = %v, want nil", got)
	}
}

// TestCheckPermissionsErrors: checking another account needs Administer
// Jira, and Jira refuses unknown accounts and keys; no keys sends nothing.
func TestCheckPermissionsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		account string
		keys    []string
		setup   func(*jirasim.Server)
		want    error
	}{
		{name: "not an admin", account: jirasim.CustomerAliceID, keys: []string{browse},
			setup: func(s *jirasim.Server) { s.SetGlobalPermission("ADMINISTER", false) }, want: jira.ErrForbidden},
		{name: "unknown account", account: "qm:nobody", keys: []string{browse}, want: jira.ErrBadRequest},
		{name: "unknown key", account: jirasim.CustomerAliceID, keys: []string{"FLY"}, want: jira.ErrBadRequest},
		{name: "global key", account: jirasim.CustomerAliceID, keys: []string{"ADMINISTER"}, want: jira.ErrBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, sim := newTestClient(t, nil)
			if tt.setup != nil {
				tt.setup(sim)
			}
			_, err := c.CheckPermissions(t.Context(), tt.account, []int64{projectID(t, sim, "HELP")}, tt.keys)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("no keys", func(t *testing.T) {
		t.Parallel()
		c, sim := newTestClient(t, nil)
		if _, err := c.CheckPermissions(t.Context(), "", []int64{10000}, nil); err == nil {
			t.Error("CheckPermissions without keys succeeded")
		}
		if n := len(sim.Requests()); n != 0 {
			t.Errorf("sent %d requests, want none", n)
		}
	})
}

// TestCheckPermissionsSplitsLongLists: Jira checks at most 1,000 projects
// per request; the client sends more in several and merges the answers.
func TestCheckPermissionsSplitsLongLists(t *testing.T) {
	t.Parallel()
	c, sim := newTestClient(t, nil)
	help, nopa := projectID(t, sim, "HELP"), projectID(t, sim, "NOCR")
	var ids []int64
	for i := range int64(1000) {
		ids = append(ids, 900000+i) // unknown ids, which Jira ignores
	}
	ids = append(ids, help, nopa, help) // the second chunk, once deduplicated
	got, err := c.CheckPermissions(t.Context(), jirasim.CustomerAliceID, ids, []string{browse, create, browse})
	if err != nil {
		t.Fatal(err)
	}
	want := jira.ProjectPermissions{help: {browse, create}, nopa: {browse}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CheckPermissions mismatch (-want +got):\n%s", diff)
	}
	var sizes []int
	for _, r := range sim.Requests() {
		var body struct {
			ProjectPermissions []struct {
				Permissions []string `json:"permissions"`
				Projects    []int64  `json:"projects"`
			} `json:"projectPermissions"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
		for _, pp := range body.ProjectPermissions {
			sizes = append(sizes, len(pp.Projects))
			if diff := cmp.Diff([]string{browse, create}, pp.Permissions); diff != "" {
				t.Errorf("permissions sent mismatch (-want +got):\n%s", diff)
			}
		}
	}
	if diff := cmp.Diff([]int{1000, 2}, sizes); diff != "" {
		t.Errorf("projects per request mismatch (-want +got):\n%s", diff)
	}
}
