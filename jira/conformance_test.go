package jira_test

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/jsmbot/jsmbot/internal/apispec"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// TestRequestsMatchSpec sends every request the client can make and checks
// each one, as the simulator logged it, against Atlassian's OpenAPI specs:
// the path and method exist, and parameters and body validate. A request the
// simulator understands but Jira does not define fails here.
//
// It runs alone, before the parallel tests, and so loads the specs for
// all of them with the heap to itself: beside them, the parse's garbage
// grows a heap full of their objects, which cost the test binary about
// 0.15 s more CPU under -race (page faults, mostly), and no less wall
// time.
func TestRequestsMatchSpec(t *testing.T) {
	// The calls name HELP and NOPA; a site of the other scenarios too
	// would only lengthen the scheme and project lists.
	c, sim := newTestClient(t, []jirasim.Option{jirasim.WithSeed(jirasim.ScenarioHealthy, jirasim.ScenarioPortalAccessMissing)})
	ctx := t.Context()
	schemeID, _ := sim.ProjectSchemeID("NOPA")
	portal := jira.Holder{Type: "sd.customer.portal.only"}

	calls := []func() error{
		func() error { _, err := c.Project(ctx, "HELP"); return err },
		func() error { _, err := c.ProjectPermissionScheme(ctx, "HELP"); return err },
		func() error { _, err := c.AssignedPermissionScheme(ctx, "HELP"); return err },
		func() error { _, err := c.ProjectRoles(ctx, "HELP"); return err },
		func() error { _, err := c.PermissionSchemes(ctx); return err },
		func() error { _, err := c.PermissionSchemesWithGrants(ctx); return err },
		func() error { _, err := c.PermissionScheme(ctx, schemeID); return err },
		func() error { _, err := c.Myself(ctx); return err },
		func() error { _, err := c.MyPermissions(ctx, "HELP", "ADMINISTER"); return err },
		func() error { _, err := c.SearchUsers(ctx, "alice"); return err },
		func() error { _, err := c.User(ctx, jirasim.OwnerAccountID); return err },
		func() error {
			help, _ := sim.Project("HELP")
			_, err := c.CheckPermissions(ctx, jirasim.CustomerAliceID, []int64{help.ID}, []string{"BROWSE_PROJECTS", "CREATE_ISSUES"})
			return err
		},
		func() error { _, err := c.ServiceDesk(ctx, "HELP"); return err },
		func() error {
			for _, err := range c.Projects(ctx, jira.ProjectSearch{TypeKeys: []string{jira.TypeServiceDesk}}) {
				if err != nil {
					return err
				}
			}
			return nil
		},
		func() error {
			q := jira.AuditQuery{From: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Now(), Filter: "permission scheme"}
			for _, err := range c.AuditRecords(ctx, q) {
				if err != nil {
					return err
				}
			}
			return nil
		},
		func() error {
			for _, err := range c.ServiceDesks(ctx) {
				if err != nil {
					return err
				}
			}
			return nil
		},
		func() error {
			for _, err := range c.DeskCustomers(ctx, "HELP", "a") {
				if err != nil {
					return err
				}
			}
			return nil
		},
		func() error {
			g, err := c.AddGrant(ctx, schemeID, jira.Grant{Holder: portal, Permission: "BROWSE_PROJECTS"})
			if err != nil {
				return err
			}
			return c.DeleteGrant(ctx, schemeID, g.ID)
		},
		func() error {
			s, err := c.CreatePermissionScheme(ctx, jira.PermissionScheme{Name: "Spec copy", Permissions: []jira.Grant{
				{Holder: portal, Permission: "CREATE_ISSUES"},
				{Holder: jira.Holder{Type: "projectRole", Parameter: "10002", Value: "10002"}, Permission: "ADMINISTER_PROJECTS"},
			}})
			if err != nil {
				return err
			}
			return c.AssignPermissionScheme(ctx, "NOPA", s.ID)
		},
		func() error {
			u, err := c.CreateCustomer(ctx, "spec.person@example.com", "Spec Person")
			if err != nil {
				return err
			}
			return c.AddCustomers(ctx, "HELP", []string{u.AccountID})
		},
	}
	for i, call := range calls {
		if err := call(); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}

	seen := map[string]bool{}
	for _, r := range sim.Requests() {
		u := &url.URL{Scheme: "http", Host: "jira.test", Path: r.Path, RawQuery: r.Query.Encode()}
		req, err := http.NewRequest(r.Method, u.String(), bytes.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = r.Header.Clone()
		route := apispec.ValidateRequest(t, req, r.Body)
		seen[route.Method+" "+route.Path] = true
		if route.Experimental && r.Header.Get("X-ExperimentalApi") != "opt-in" {
			t.Errorf("%s %s is experimental but was sent without X-ExperimentalApi: opt-in", r.Method, r.Path)
		}
	}
	if len(seen) < 18 {
		t.Errorf("only %d distinct operations were checked: %v", len(seen), seen)
	}
}
