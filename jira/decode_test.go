package jira_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/jsmbot/jsmbot/jira"
)

// serveFile answers every request with a captured Jira payload, so the
// client's struct tags are checked against real JSON, not the simulator's.
func serveFile(t *testing.T, name string) *jira.Client {
	t.Helper()
	body, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	c, err := jira.NewClient(srv.URL, "a@example.com", "token")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDecodeRealPermissionSchemes(t *testing.T) {
	t.Parallel()
	c := serveFile(t, "platform-get-permission-schemes.json")
	schemes, err := c.PermissionSchemes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var desk *jira.PermissionScheme
	for i := range schemes {
		if schemes[i].ID == 10001 {
			desk = &schemes[i]
		}
	}
	if desk == nil || !strings.HasPrefix(desk.Name, "Jira Service Management Permission Scheme") {
		t.Fatalf("scheme 10001 missing from %d decoded schemes", len(schemes))
	}
	portal, roles := 0, 0
	for _, g := range desk.Permissions {
		switch g.Holder.Type {
		case "sd.customer.portal.only":
			portal++
		case "projectRole":
			if g.Holder.Parameter == "" {
				t.Errorf("role grant %d decoded without its role id", g.ID)
			}
			roles++
		}
	}
	if len(desk.Permissions) != 116 || portal != 20 {
		t.Errorf("scheme 10001: %d grants, %d for portal access; want 116 and 20 (the real capture)", len(desk.Permissions), portal)
	}
}

func TestDecodeProjectRoles(t *testing.T) {
	t.Parallel()
	c := serveFile(t, "platform-get-project-roles.json")
	roles, err := c.ProjectRoles(t.Context(), "MKY")
	if err != nil {
		t.Fatal(err)
	}
	for name, id := range roles {
		if name == "" || id == "" || strings.Contains(id, "/") {
			t.Errorf("role %q → %q, want a name and a bare id", name, id)
		}
	}
	if len(roles) == 0 {
		t.Error("no roles decoded")
	}
}

func TestDecodeServiceDesks(t *testing.T) {
	t.Parallel()
	c := serveFile(t, "jsm-get-service-desk-projects.json")
	for d, err := range c.ServiceDesks(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		if d.ID == "" || d.ProjectKey == "" {
			t.Errorf("desk decoded as %+v, want id and project key", d)
		}
		break
	}
}
