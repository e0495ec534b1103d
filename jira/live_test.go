package jira_test

import (
	"os"
	"testing"

	"github.com/jsmbot/jsmbot/jira"
)

// TestLive runs the client's read operations against a real Jira Cloud site,
// so drift between jirasim and Jira shows up. It is opt-in and read-only:
//
//	JSMBOT_JIRA_LIVE=1 JIRA_BASE_URL=… JIRA_EMAIL=… JIRA_API_TOKEN=… \
//	JSMBOT_JIRA_LIVE_PROJECT=HELP go test -run TestLive ./jira/
func TestLive(t *testing.T) {
	if os.Getenv("JSMBOT_JIRA_LIVE") != "1" {
		t.Skip("set JSMBOT_JIRA_LIVE=1 and JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN, JSMBOT_JIRA_LIVE_PROJECT to run against a real site")
	}
	key := os.Getenv("JSMBOT_JIRA_LIVE_PROJECT")
	c, err := jira.NewClient(os.Getenv("JIRA_BASE_URL"), os.Getenv("JIRA_EMAIL"), os.Getenv("JIRA_API_TOKEN"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := c.Myself(ctx); err != nil {
		t.Fatalf("Myself: %v", err)
	}
	p, err := c.Project(ctx, key)
	if err != nil {
		t.Fatalf("Project(%s): %v", key, err)
	}
	if p.ProjectTypeKey != jira.TypeServiceDesk {
		t.Fatalf("%s is a %s project; pick a service project", key, p.ProjectTypeKey)
	}
	s, err := c.ProjectPermissionScheme(ctx, key)
	if err != nil {
		t.Fatalf("ProjectPermissionScheme: %v", err)
	}
	if len(s.Permissions) == 0 {
		t.Error("the scheme came back without grants: expand=permissions was ignored")
	}
	roles, err := c.ProjectRoles(ctx, key)
	if err != nil || roles["Administrators"] == "" {
		t.Errorf("ProjectRoles = %v, %v; want an Administrators role", roles, err)
	}
	if _, err := c.MyPermissions(ctx, key, "ADMINISTER", "ADMINISTER_PROJECTS"); err != nil {
		t.Errorf("MyPermissions: %v", err)
	}
	for _, err := range c.ServiceDesks(ctx) {
		if err != nil {
			t.Errorf("ServiceDesks: %v", err)
		}
		break
	}
}
