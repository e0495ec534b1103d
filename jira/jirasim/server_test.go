package jirasim_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/jsmbot/jsmbot/jira/jirasim"
)

func TestAuthAndBasePath(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t)
	tests := []struct {
		name       string
		url        string
		user, pass string
		want       int
		wantMsg    string
	}{
		{"good credentials", s.URL + "/rest/api/3/myself", jirasim.DefaultEmail, jirasim.DefaultToken, 200, ""},
		{"no credentials", s.URL + "/rest/api/3/myself", "", "", 401, "You are not authenticated. Authentication required to perform this operation."},
		{"wrong token", s.URL + "/rest/api/3/myself", jirasim.DefaultEmail, "nope", 401, "You are not authenticated. Authentication required to perform this operation."},
		{"wrong email", s.URL + "/rest/api/3/project/search", "x@example.com", jirasim.DefaultToken, 401, "You are not authenticated. Authentication required to perform this operation."},
		{"base path dropped", strings.TrimSuffix(s.URL, jirasim.DefaultBasePath) + "/rest/api/3/myself", jirasim.DefaultEmail, jirasim.DefaultToken, 404, ""},
		{"unknown route", s.URL + "/rest/api/3/nope", jirasim.DefaultEmail, jirasim.DefaultToken, 404, ""},
		{"query ignored", s.URL + "/rest/api/3/myself?x=1", jirasim.DefaultEmail, jirasim.DefaultToken, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequestWithContext(t.Context(), "GET", tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.user != "" {
				req.SetBasicAuth(tt.user, tt.pass)
			}
			r := send(t, http.DefaultClient, req)
			wantStatus(t, tt.name, r, tt.want)
			if tt.want == 200 {
				return
			}
			e := decode[platformError](t, r.Body)
			if len(e.ErrorMessages) == 0 || e.Errors == nil {
				t.Errorf("got error body %s, want errorMessages and an errors map", r.Body)
			}
			if tt.wantMsg != "" {
				if diff := cmp.Diff([]string{tt.wantMsg}, e.ErrorMessages); diff != "" {
					t.Errorf("errorMessages mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestCustomBasePathAndCredentials(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t, jirasim.WithBasePath("/jira/"), jirasim.WithCredentials("ops@example.com", "tok"), jirasim.WithSeed())
	if !strings.HasSuffix(s.URL, "/jira") {
		t.Fatalf("got URL %s, want it to end in /jira", s.URL)
	}
	req := newRequest(t, s, "GET", "/rest/api/3/myself", "")
	req.SetBasicAuth("ops@example.com", "tok")
	r := send(t, http.DefaultClient, req)
	wantStatus(t, "myself", r, 200)
	me := decode[obj](t, r.Body)
	if me["emailAddress"] != "ops@example.com" || me["accountId"] != jirasim.AdminAccountID {
		t.Errorf("got myself %s, want the admin with email ops@example.com", r.Body)
	}
	wantStatus(t, "default credentials", do(t, s, "GET", "/rest/api/3/myself", ""), 401)
}

func TestProjectSearchPaging(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t)
	allJSM := []string{"ADMN", "CUST", "DRFT", "HELP", "NOCR", "NOPA", "SHRA", "SHRB", "SHRC", "TEAM"}
	tests := []struct {
		name      string
		query     string
		wantKeys  []string
		wantPages int
	}{
		{"service desks", "typeKey=service_desk", allJSM, 5},
		{"all types", "", []string{"ADMN", "CUST", "DRFT", "HELP", "NOCR", "NOPA", "SHRA", "SHRB", "SHRC", "SOFT", "TEAM"}, 6},
		{"software only, big page asked", "typeKey=software&maxResults=100", []string{"SOFT"}, 1},
		{"by keys", "keys=HELP&keys=NOPA,SOFT", []string{"HELP", "NOPA", "SOFT"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var keys []string
			pages := 0
			next := s.URL + "/rest/api/3/project/search?" + tt.query
			for next != "" {
				pages++
				if pages > 20 {
					t.Fatal("paging does not end")
				}
				u, err := url.Parse(next)
				if err != nil {
					t.Fatal(err)
				}
				r := do(t, s, "GET", strings.TrimPrefix(u.Path, strings.TrimPrefix(s.URL, "http://"+u.Host))+"?"+u.RawQuery, "")
				wantStatus(t, next, r, 200)
				page := decode[projectPage](t, r.Body)
				if page.MaxResults != 2 {
					t.Errorf("got maxResults %d, want the server cap 2", page.MaxResults)
				}
				if page.Total != len(tt.wantKeys) {
					t.Errorf("got total %d, want %d", page.Total, len(tt.wantKeys))
				}
				if page.IsLast != (page.NextPage == "") {
					t.Errorf("got isLast %v with nextPage %q", page.IsLast, page.NextPage)
				}
				for _, v := range page.Values {
					keys = append(keys, v.Key)
					if !strings.HasPrefix(v.Self, s.URL+"/rest/api/3/project/") {
						t.Errorf("got self %q, want it under %s", v.Self, s.URL)
					}
				}
				next = page.NextPage
			}
			if diff := cmp.Diff(tt.wantKeys, keys); diff != "" {
				t.Errorf("keys mismatch (-want +got):\n%s", diff)
			}
			if pages != tt.wantPages {
				t.Errorf("got %d pages, want %d", pages, tt.wantPages)
			}
		})
	}
	t.Run("nothing matches", func(t *testing.T) {
		t.Parallel()
		r := do(t, s, "GET", "/rest/api/3/project/search?typeKey=business", "")
		wantStatus(t, "business projects", r, 404)
	})
}

// projectPage is PageBeanProject, as far as the tests read it.
type projectPage struct {
	Self, NextPage      string
	MaxResults, StartAt int
	Total               int
	IsLast              bool
	Values              []struct {
		ID, Key, Name, ProjectTypeKey, Style, Self string
		Simplified                                 bool
	}
}

// typeOf wraps a type so decode can fill an anonymous struct.
type typeOf[T any] struct{ v T }

func (w *typeOf[T]) UnmarshalJSON(b []byte) error { return jsonUnmarshal(b, &w.v) }

func TestServiceDeskPaging(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t)
	var keys, ids []string
	path := "/rest/servicedeskapi/servicedesk"
	for i := 0; path != ""; i++ {
		if i > 20 {
			t.Fatal("paging does not end")
		}
		r := do(t, s, "GET", path, "")
		wantStatus(t, path, r, 200)
		page := decode[typeOf[struct {
			Size, Start, Limit int
			IsLastPage         bool
			Links              struct{ Base, Next, Prev string } `json:"_links"`
			Values             []struct{ ID, ProjectID, ProjectKey, ProjectName string }
		}]](t, r.Body).v
		if page.Limit != 50 || page.Size > 2 {
			t.Errorf("got limit %d size %d, want the requested limit 50 and at most 2 values", page.Limit, page.Size)
		}
		if page.Links.Base != s.URL+"/rest/servicedeskapi" {
			t.Errorf("got _links.base %q", page.Links.Base)
		}
		for _, v := range page.Values {
			keys = append(keys, v.ProjectKey)
			ids = append(ids, v.ID)
		}
		path = ""
		if !page.IsLastPage {
			path = strings.TrimPrefix(page.Links.Next, s.URL)
		}
	}
	wantKeys := []string{"HELP", "NOPA", "NOCR", "CUST", "DRFT", "ADMN", "SHRA", "SHRB", "SHRC", "TEAM"}
	if diff := cmp.Diff(wantKeys, keys); diff != "" {
		t.Errorf("desk projects mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}, ids); diff != "" {
		t.Errorf("desk ids mismatch (-want +got):\n%s", diff)
	}
}

func TestServiceDeskIdentifiers(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t)
	p, _ := s.Project("NOPA")
	for _, id := range []string{p.ServiceDeskID, "NOPA", "projectKey:NOPA", fmt.Sprintf("projectId:%d", p.ID), "serviceDeskId:" + p.ServiceDeskID} {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			r := do(t, s, "GET", "/rest/servicedeskapi/servicedesk/"+id, "")
			wantStatus(t, id, r, 200)
			got := decode[obj](t, r.Body)
			if got["projectKey"] != "NOPA" || got["id"] != p.ServiceDeskID {
				t.Errorf("got %s, want desk %s of NOPA", r.Body, p.ServiceDeskID)
			}
		})
	}
	for _, id := range []string{"SOFT", "999", "projectKey:nopa"} {
		t.Run("missing "+id, func(t *testing.T) {
			t.Parallel()
			r := do(t, s, "GET", "/rest/servicedeskapi/servicedesk/"+id, "")
			wantStatus(t, id, r, 404)
			if e := decode[jsmError](t, r.Body); e.ErrorMessage == "" || e.I18nErrorMessage.I18nKey == "" {
				t.Errorf("got %s, want a JSM error body", r.Body)
			}
		})
	}
}

func TestSchemeExpand(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t)
	id, _ := s.ProjectSchemeID("HELP")
	tests := []struct {
		path      string
		wantCount int // -1: no permissions field
	}{
		{"/rest/api/3/project/HELP/permissionscheme", -1},
		{"/rest/api/3/project/HELP/permissionscheme?expand=", -1},
		{"/rest/api/3/project/HELP/permissionscheme?expand=permissions", 116},
		{"/rest/api/3/project/HELP/permissionscheme?expand=group", 116},
		{fmt.Sprintf("/rest/api/3/permissionscheme/%d", id), -1},
		{fmt.Sprintf("/rest/api/3/permissionscheme/%d?expand=all", id), 116},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			r := do(t, s, "GET", tt.path, "")
			wantStatus(t, tt.path, r, 200)
			got := decode[obj](t, r.Body)
			perms, has := got["permissions"].([]any)
			switch {
			case tt.wantCount < 0 && has:
				t.Errorf("got %d grants without expand, want none", len(perms))
			case tt.wantCount >= 0 && len(perms) != tt.wantCount:
				t.Errorf("got %d grants, want %d", len(perms), tt.wantCount)
			}
			if got["name"] != "Jira Service Management Permission Scheme for Project HELP" {
				t.Errorf("got name %v", got["name"])
			}
		})
	}
}

// holderPerms returns the permissions a holder has in a scheme.
func holderPerms(s *jirasim.Server, schemeID int64, holderType, param string) []string {
	var out []string
	for _, g := range s.SchemeGrants(schemeID) {
		if g.HolderType == holderType && g.HolderParameter == param {
			out = append(out, g.Permission)
		}
	}
	slices.Sort(out)
	return out
}

func TestScenarios(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t)
	const portal = "sd.customer.portal.only"
	role := func(id int64) string { return fmt.Sprint(id) }
	tests := []struct {
		key                                 string
		wantSchemeName                      string
		wantPortalLacks, wantTeamLacks      []string
		wantAdminLacks                      []string
		wantCustomersRole                   []string
		wantPortal, wantTeam, wantAdmin     int
		wantCustomersRoleGrants, wantAddons int
	}{
		{key: "HELP", wantSchemeName: "Jira Service Management Permission Scheme for Project HELP", wantPortal: 20, wantTeam: 29, wantAdmin: 33, wantAddons: 34},
		{key: "NOPA", wantPortalLacks: []string{"BROWSE_PROJECTS", "CREATE_ISSUES"}, wantPortal: 18, wantTeam: 29, wantAdmin: 33, wantAddons: 34},
		{key: "NOCR", wantPortalLacks: []string{"CREATE_ISSUES"}, wantPortal: 19, wantTeam: 29, wantAdmin: 33, wantAddons: 34},
		{key: "CUST", wantPortalLacks: []string{"BROWSE_PROJECTS", "CREATE_ISSUES"}, wantCustomersRole: []string{"ADD_COMMENTS", "BROWSE_PROJECTS", "CREATE_ISSUES"}, wantPortal: 18, wantTeam: 29, wantAdmin: 33, wantAddons: 34, wantCustomersRoleGrants: 3},
		{key: "DRFT", wantPortalLacks: []string{"MANAGE_WATCHERS"}, wantTeamLacks: []string{"ADD_COMMENTS", "SERVICEDESK_AGENT"}, wantPortal: 19, wantTeam: 27, wantAdmin: 33, wantAddons: 34},
		{key: "ADMN", wantAdminLacks: []string{"ADMINISTER_PROJECTS"}, wantPortal: 20, wantTeam: 29, wantAdmin: 32, wantAddons: 34},
		{key: "SHRB", wantSchemeName: "Shared Support Scheme", wantPortalLacks: []string{"BROWSE_PROJECTS", "CREATE_ISSUES"}, wantPortal: 18, wantTeam: 29, wantAdmin: 33, wantAddons: 34},
	}
	help, _ := s.ProjectSchemeID("HELP")
	full := func(holderType, param string) []string { return holderPerms(s, help, holderType, param) }
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			t.Parallel()
			id, ok := s.ProjectSchemeID(tt.key)
			if !ok {
				t.Fatalf("no scheme for %s", tt.key)
			}
			if tt.wantSchemeName != "" && s.SchemeName(id) != tt.wantSchemeName {
				t.Errorf("got scheme name %q, want %q", s.SchemeName(id), tt.wantSchemeName)
			}
			check := func(what, holderType, param string, lacks []string, wantN int) {
				t.Helper()
				got := holderPerms(s, id, holderType, param)
				missing := slices.DeleteFunc(full(holderType, param), func(p string) bool { return slices.Contains(got, p) })
				if diff := cmp.Diff(lacks, missing, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("%s: missing grants mismatch (-want +got):\n%s", what, diff)
				}
				if len(got) != wantN {
					t.Errorf("%s: got %d grants, want %d", what, len(got), wantN)
				}
			}
			check("portal access", portal, "", tt.wantPortalLacks, tt.wantPortal)
			check("service desk team", "projectRole", role(jirasim.RoleServiceDeskTeam), tt.wantTeamLacks, tt.wantTeam)
			check("administrators", "projectRole", role(jirasim.RoleAdministrators), tt.wantAdminLacks, tt.wantAdmin)
			check("addons", "projectRole", role(jirasim.RoleAddonsProjectAccess), nil, tt.wantAddons)
			if diff := cmp.Diff(tt.wantCustomersRole, holderPerms(s, id, "projectRole", role(jirasim.RoleServiceDeskCustomers)), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("customers role grants mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("shared scheme", func(t *testing.T) {
		t.Parallel()
		a, _ := s.ProjectSchemeID("SHRA")
		b, _ := s.ProjectSchemeID("SHRB")
		c, _ := s.ProjectSchemeID("SHRC")
		if a != b || b != c {
			t.Errorf("got schemes %d %d %d, want one shared", a, b, c)
		}
	})
	t.Run("grant ids unique site-wide", func(t *testing.T) {
		t.Parallel()
		seen := map[int64]bool{}
		for _, id := range s.SchemeIDs() {
			for _, g := range s.SchemeGrants(id) {
				if seen[g.ID] || g.ID < 10000 {
					t.Fatalf("grant id %d repeated or below 10000", g.ID)
				}
				seen[g.ID] = true
			}
		}
		if s.SchemeName(0) != "Default Permission Scheme" {
			t.Errorf("got scheme 0 %q, want the Default Permission Scheme", s.SchemeName(0))
		}
	})
	t.Run("team-managed has no scheme", func(t *testing.T) {
		t.Parallel()
		r := do(t, s, "GET", "/rest/api/3/project/TEAM", "")
		wantStatus(t, "project TEAM", r, 200)
		p := decode[obj](t, r.Body)
		if p["style"] != "next-gen" || p["simplified"] != true || p["projectTypeKey"] != "service_desk" {
			t.Errorf("got project %s, want a team-managed service project", r.Body)
		}
		wantStatus(t, "scheme of TEAM", do(t, s, "GET", "/rest/api/3/project/TEAM/permissionscheme", ""), 404)
	})
	t.Run("software project", func(t *testing.T) {
		t.Parallel()
		r := do(t, s, "GET", "/rest/api/3/project/SOFT", "")
		wantStatus(t, "project SOFT", r, 200)
		if p := decode[obj](t, r.Body); p["projectTypeKey"] != "software" || p["style"] != "classic" {
			t.Errorf("got project %s, want a company-managed software project", r.Body)
		}
		wantStatus(t, "desk of SOFT", do(t, s, "GET", "/rest/servicedeskapi/servicedesk/SOFT", ""), 404)
	})
	t.Run("project keys are case-sensitive", func(t *testing.T) {
		t.Parallel()
		r := do(t, s, "GET", "/rest/api/3/project/help", "")
		wantStatus(t, "project help", r, 404)
		if diff := cmp.Diff([]string{"No project could be found with key 'help'."}, decode[platformError](t, r.Body).ErrorMessages); diff != "" {
			t.Errorf("404 body mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestGrantLifecycle(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t)
	id, _ := s.ProjectSchemeID("NOPA")
	base := fmt.Sprintf("/rest/api/3/permissionscheme/%d/permission", id)
	before := len(s.SchemeGrants(id))

	r := do(t, s, "POST", base, `{"holder":{"type":"sd.customer.portal.only"},"permission":"BROWSE_PROJECTS"}`)
	wantStatus(t, "add grant", r, 201)
	g := decode[obj](t, r.Body)
	gid := g["id"]
	wantSelf := fmt.Sprintf("%s%s/%v", s.URL, base, gid)
	if g["self"] != wantSelf || g["permission"] != "BROWSE_PROJECTS" {
		t.Errorf("got grant %s, want self %s", r.Body, wantSelf)
	}
	if diff := cmp.Diff(obj{"type": "sd.customer.portal.only"}, g["holder"]); diff != "" {
		t.Errorf("holder mismatch (-want +got):\n%s", diff)
	}

	tests := []struct {
		name, method, path, body string
		want                     int
		wantMsg                  string
	}{
		{"duplicate", "POST", base, `{"holder":{"type":"sd.customer.portal.only"},"permission":"BROWSE_PROJECTS"}`, 400, "The permission scheme already contains this permission grant."},
		{"unknown permission", "POST", base, `{"holder":{"type":"sd.customer.portal.only"},"permission":"FLY"}`, 400, "The permission with key 'FLY' does not exist."},
		{"not for portal access", "POST", base, `{"holder":{"type":"sd.customer.portal.only"},"permission":"VIEW_AGGREGATED_DATA"}`, 400, "The permission 'VIEW_AGGREGATED_DATA' can't be granted to 'sd.customer.portal.only'"},
		{"unknown role", "POST", base, `{"holder":{"type":"projectRole","parameter":"999"},"permission":"BROWSE_PROJECTS"}`, 400, "The project role with id '999' does not exist."},
		{"not JSON", "POST", base, `{`, 400, "The request body is not valid JSON."},
		{"unknown scheme", "POST", "/rest/api/3/permissionscheme/4242/permission", `{"holder":{"type":"anyone"},"permission":"BROWSE_PROJECTS"}`, 404, "A permission scheme with the id '4242' does not exist."},
		{"delete unknown grant", "DELETE", base + "/1", "", 400, "The permission grant with id '1' does not exist."},
		{"get unknown grant", "GET", base + "/1", "", 404, "The permission grant with id '1' does not exist."},
	}
	for _, tt := range tests {
		r := do(t, s, tt.method, tt.path, tt.body)
		wantStatus(t, tt.name, r, tt.want)
		if diff := cmp.Diff([]string{tt.wantMsg}, decode[platformError](t, r.Body).ErrorMessages); diff != "" {
			t.Errorf("%s: errorMessages mismatch (-want +got):\n%s", tt.name, diff)
		}
	}

	r = do(t, s, "POST", base, `{"holder":{"type":"projectRole","parameter":"10101","value":"10101"},"permission":"VIEW_AGGREGATED_DATA"}`)
	wantStatus(t, "role grant", r, 201)
	if len(s.SchemeGrants(id)) != before+2 {
		t.Errorf("got %d grants, want %d", len(s.SchemeGrants(id)), before+2)
	}
	wantStatus(t, "get grant", do(t, s, "GET", fmt.Sprintf("%s/%v", base, gid), ""), 200)
	wantStatus(t, "delete grant", do(t, s, "DELETE", fmt.Sprintf("%s/%v", base, gid), ""), 204)
	wantStatus(t, "delete again", do(t, s, "DELETE", fmt.Sprintf("%s/%v", base, gid), ""), 400)
	if got := holderPerms(s, id, "sd.customer.portal.only", ""); slices.Contains(got, "BROWSE_PROJECTS") {
		t.Errorf("BROWSE_PROJECTS still granted after delete: %v", got)
	}
}

func TestCreateAndAssignScheme(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t)
	body := `{"name":"Copy of NOPA","description":"fixed","permissions":[
		{"holder":{"type":"sd.customer.portal.only"},"permission":"BROWSE_PROJECTS"},
		{"holder":{"type":"sd.customer.portal.only"},"permission":"CREATE_ISSUES"},
		{"holder":{"type":"projectRole","parameter":"10002","value":"10002"},"permission":"ADMINISTER_PROJECTS"}]}`
	r := do(t, s, "POST", "/rest/api/3/permissionscheme?expand=permissions", body)
	wantStatus(t, "create scheme", r, 201)
	sc := decode[obj](t, r.Body)
	if n := len(sc["permissions"].([]any)); n != 3 {
		t.Errorf("got %d grants in the new scheme, want 3", n)
	}
	newID := fmt.Sprint(sc["id"])

	tests := []struct {
		name, method, path, body string
		want                     int
	}{
		{"duplicate name", "POST", "/rest/api/3/permissionscheme", `{"name":"copy of nopa"}`, 400},
		{"missing name", "POST", "/rest/api/3/permissionscheme", `{"description":"x"}`, 400},
		{"bad grant in scheme", "POST", "/rest/api/3/permissionscheme", `{"name":"X","permissions":[{"holder":{"type":"sd.customer.portal.only"},"permission":"VIEW_AGGREGATED_DATA"}]}`, 400},
		{"assign unknown scheme", "PUT", "/rest/api/3/project/NOPA/permissionscheme", `{"id":4242}`, 404},
		{"assign to unknown project", "PUT", "/rest/api/3/project/NOPE/permissionscheme", `{"id":0}`, 404},
		{"assign without id", "PUT", "/rest/api/3/project/NOPA/permissionscheme", `{}`, 400},
		{"assign", "PUT", "/rest/api/3/project/NOPA/permissionscheme", `{"id":` + newID + `}`, 200},
	}
	for _, tt := range tests {
		wantStatus(t, tt.name, do(t, s, tt.method, tt.path, tt.body), tt.want)
	}
	if got, _ := s.ProjectSchemeID("NOPA"); fmt.Sprint(got) != newID {
		t.Errorf("NOPA on scheme %d, want %s", got, newID)
	}
	if s.SchemeName(mustAtoi(t, newID)) != "Copy of NOPA" {
		t.Errorf("got name %q", s.SchemeName(mustAtoi(t, newID)))
	}
	r = do(t, s, "POST", "/rest/api/3/permissionscheme", `{"name":""}`)
	if diff := cmp.Diff(map[string]string{"name": "You must enter a name for the permission scheme."}, decode[platformError](t, r.Body).Errors); diff != "" {
		t.Errorf("field errors mismatch (-want +got):\n%s", diff)
	}
}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAddCustomers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		desk          string
		body          string
		fix           bool // grant the portal-access basics first
		want          int
		wantCustomers []string
	}{
		{"healthy desk", "HELP", `{"accountIds":["` + jirasim.ProspectErinID + `"]}`, false, 204,
			[]string{jirasim.CustomerAliceID, jirasim.CustomerBobID, jirasim.CustomerCarolID, jirasim.CustomerDaveID, jirasim.ProspectErinID}},
		{"already a customer", "HELP", `{"accountIds":["` + jirasim.CustomerAliceID + `"]}`, false, 204,
			[]string{jirasim.CustomerAliceID, jirasim.CustomerBobID, jirasim.CustomerCarolID, jirasim.CustomerDaveID}},
		{"portal access missing", "NOPA", `{"accountIds":["` + jirasim.ProspectErinID + `"]}`, false, 400,
			[]string{jirasim.CustomerAliceID, jirasim.CustomerBobID}},
		{"create missing", "NOCR", `{"accountIds":["` + jirasim.ProspectErinID + `"]}`, false, 400,
			[]string{jirasim.CustomerAliceID, jirasim.CustomerBobID}},
		{"after the repair", "projectKey:NOPA", `{"accountIds":["` + jirasim.ProspectErinID + `","` + jirasim.ProspectFrankID + `"]}`, true, 204,
			[]string{jirasim.CustomerAliceID, jirasim.CustomerBobID, jirasim.ProspectErinID, jirasim.ProspectFrankID}},
		{"unknown account, valid one still added", "HELP", `{"accountIds":["qm:nope","` + jirasim.ProspectFrankID + `"]}`, false, 400,
			[]string{jirasim.CustomerAliceID, jirasim.CustomerBobID, jirasim.CustomerCarolID, jirasim.CustomerDaveID, jirasim.ProspectFrankID}},
		{"team-managed desk", "TEAM", `{"accountIds":["` + jirasim.ProspectErinID + `"]}`, false, 204,
			[]string{jirasim.CustomerAliceID, jirasim.CustomerBobID, jirasim.ProspectErinID}},
		{"nobody", "HELP", `{"accountIds":[]}`, false, 400,
			[]string{jirasim.CustomerAliceID, jirasim.CustomerBobID, jirasim.CustomerCarolID, jirasim.CustomerDaveID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := jirasim.NewServer(t, jirasim.WithSeed(jirasim.ScenarioHealthy, jirasim.ScenarioPortalAccessMissing,
				jirasim.ScenarioCreateMissing, jirasim.ScenarioTeamManaged))
			key := strings.TrimPrefix(tt.desk, "projectKey:")
			if tt.fix {
				id, _ := s.ProjectSchemeID(key)
				s.AddGrants(id,
					jirasim.Grant{HolderType: "sd.customer.portal.only", Permission: "BROWSE_PROJECTS"},
					jirasim.Grant{HolderType: "sd.customer.portal.only", Permission: "CREATE_ISSUES"})
			}
			r := do(t, s, "POST", "/rest/servicedeskapi/servicedesk/"+tt.desk+"/customer", tt.body)
			wantStatus(t, "add customers", r, tt.want)
			if tt.want != 204 {
				if e := decode[jsmError](t, r.Body); e.ErrorMessage == "" {
					t.Errorf("got %s, want a JSM error body", r.Body)
				}
			} else if len(r.Body) != 0 {
				t.Errorf("got body %q with 204", r.Body)
			}
			if diff := cmp.Diff(tt.wantCustomers, s.DeskCustomers(key)); diff != "" {
				t.Errorf("customers mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("message names the customers", func(t *testing.T) {
		t.Parallel()
		s := jirasim.NewServer(t)
		r := do(t, s, "POST", "/rest/servicedeskapi/servicedesk/NOPA/customer", `{"accountIds":["`+jirasim.ProspectErinID+`"]}`)
		e := decode[jsmError](t, r.Body)
		if !strings.Contains(e.ErrorMessage, "could not be added") || !strings.Contains(e.ErrorMessage, jirasim.ProspectErinID) {
			t.Errorf("got errorMessage %q, want it to say %s could not be added", e.ErrorMessage, jirasim.ProspectErinID)
		}
	})
}

func TestListCustomers(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t)
	r := do(t, s, "GET", "/rest/servicedeskapi/servicedesk/HELP/customer", "")
	wantStatus(t, "without opt-in", r, 412)
	if e := decode[jsmError](t, r.Body); !strings.Contains(e.ErrorMessage, "X-ExperimentalApi: opt-in") {
		t.Errorf("got %s, want the opt-in header named", r.Body)
	}
	var got []string
	path := "/rest/servicedeskapi/servicedesk/1/customer"
	for path != "" {
		r := do(t, s, "GET", path, "", experimental)
		wantStatus(t, path, r, 200)
		page := decode[typeOf[struct {
			IsLastPage bool
			Links      struct{ Next string } `json:"_links"`
			Values     []struct {
				AccountID, EmailAddress string
				Active                  bool
			}
		}]](t, r.Body).v
		for _, v := range page.Values {
			got = append(got, fmt.Sprintf("%s active=%v", v.EmailAddress, v.Active))
		}
		path = ""
		if !page.IsLastPage {
			path = strings.TrimPrefix(page.Links.Next, s.URL)
		}
	}
	want := []string{"alice@example.com active=true", "bob@example.com active=true", "carol@example.com active=false", "dave@example.com active=true"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("customers mismatch (-want +got):\n%s", diff)
	}
	r = do(t, s, "GET", "/rest/servicedeskapi/servicedesk/HELP/customer?query=CAROL", "", experimental)
	wantStatus(t, "query", r, 200)
	if v := decode[obj](t, r.Body)["values"].([]any); len(v) != 1 || !strings.HasPrefix(v[0].(obj)["accountId"].(string), "qm:") {
		t.Errorf("got %s, want only Carol's portal-only account", r.Body)
	}
}

func TestCreateCustomer(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t)
	r := do(t, s, "POST", "/rest/servicedeskapi/customer", `{"email":"gina@example.com","displayName":"Gina New"}`)
	wantStatus(t, "create", r, 201)
	u := decode[obj](t, r.Body)
	id, _ := u["accountId"].(string)
	if !strings.HasPrefix(id, "qm:") || u["emailAddress"] != "gina@example.com" || u["displayName"] != "Gina New" || u["active"] != true {
		t.Errorf("got %s, want an active portal-only customer", r.Body)
	}
	tests := []struct {
		name, path, body string
		want             int
	}{
		{"existing email", "/rest/servicedeskapi/customer", `{"email":"GINA@example.com","displayName":"Gina"}`, 400},
		{"existing email, strict", "/rest/servicedeskapi/customer?strictConflictStatusCode=true", `{"email":"alice@example.com","displayName":"A"}`, 409},
		{"no email", "/rest/servicedeskapi/customer", `{"displayName":"A"}`, 400},
	}
	for _, tt := range tests {
		wantStatus(t, tt.name, do(t, s, "POST", tt.path, tt.body), tt.want)
	}
	s.SetGlobalPermission("ADMINISTER", false)
	wantStatus(t, "not an admin", do(t, s, "POST", "/rest/servicedeskapi/customer", `{"email":"hal@example.com"}`), 403)
}

func TestPermissionKnobs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		setup  func(*jirasim.Server)
		method string
		path   string
		body   string
		want   int
	}{
		{"scheme write without ADMINISTER", func(s *jirasim.Server) { s.SetGlobalPermission("ADMINISTER", false) },
			"POST", "/rest/api/3/permissionscheme/0/permission", `{"holder":{"type":"anyone"},"permission":"BROWSE_PROJECTS"}`, 403},
		{"grant delete without ADMINISTER", func(s *jirasim.Server) { s.SetGlobalPermission("ADMINISTER", false) },
			"DELETE", "/rest/api/3/permissionscheme/0/permission/10000", "", 403},
		{"scheme create without ADMINISTER", func(s *jirasim.Server) { s.SetGlobalPermission("ADMINISTER", false) },
			"POST", "/rest/api/3/permissionscheme", `{"name":"x"}`, 403},
		{"assign without ADMINISTER", func(s *jirasim.Server) { s.SetGlobalPermission("ADMINISTER", false) },
			"PUT", "/rest/api/3/project/HELP/permissionscheme", `{"id":0}`, 403},
		{"scheme read without ADMINISTER is fine", func(s *jirasim.Server) { s.SetGlobalPermission("ADMINISTER", false) },
			"GET", "/rest/api/3/project/HELP/permissionscheme", "", 200},
		{"scheme read without ADMINISTER_PROJECTS", func(s *jirasim.Server) { noProjectAdmin(s) },
			"GET", "/rest/api/3/project/HELP/permissionscheme", "", 403},
		{"roles without ADMINISTER_PROJECTS", func(s *jirasim.Server) { noProjectAdmin(s) },
			"GET", "/rest/api/3/project/HELP/role", "", 401},
		{"role without ADMINISTER_PROJECTS", func(s *jirasim.Server) { noProjectAdmin(s) },
			"GET", "/rest/api/3/project/HELP/role/10002", "", 404},
		{"add customers without ADMINISTER_PROJECTS", func(s *jirasim.Server) { noProjectAdmin(s) },
			"POST", "/rest/servicedeskapi/servicedesk/HELP/customer", `{"accountIds":["` + jirasim.ProspectErinID + `"]}`, 403},
		{"user search without USER_PICKER is empty", func(s *jirasim.Server) { s.SetGlobalPermission("USER_PICKER", false) },
			"GET", "/rest/api/3/user/search?query=alice", "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := jirasim.NewServer(t, jirasim.WithSeed(jirasim.ScenarioHealthy))
			tt.setup(s)
			r := do(t, s, tt.method, tt.path, tt.body)
			wantStatus(t, tt.name, r, tt.want)
		})
	}
	t.Run("mypermissions reflects the knobs", func(t *testing.T) {
		t.Parallel()
		s := jirasim.NewServer(t, jirasim.WithSeed(jirasim.ScenarioHealthy))
		s.SetGlobalPermission("ADMINISTER", false)
		noProjectAdmin(s)
		r := do(t, s, "GET", "/rest/api/3/mypermissions?permissions=ADMINISTER,USER_PICKER,ADMINISTER_PROJECTS,BROWSE_PROJECTS&projectKey=HELP", "")
		wantStatus(t, "mypermissions", r, 200)
		got := decode[typeOf[struct {
			Permissions map[string]struct {
				Key, Type      string
				HavePermission bool
			}
		}]](t, r.Body).v
		have := map[string]string{}
		for k, v := range got.Permissions {
			have[k] = fmt.Sprintf("%s %s %v", v.Key, v.Type, v.HavePermission)
		}
		want := map[string]string{
			"ADMINISTER":          "ADMINISTER GLOBAL false",
			"USER_PICKER":         "USER_PICKER GLOBAL true",
			"ADMINISTER_PROJECTS": "ADMINISTER_PROJECTS PROJECT false",
			"BROWSE_PROJECTS":     "BROWSE_PROJECTS PROJECT true",
		}
		if diff := cmp.Diff(want, have); diff != "" {
			t.Errorf("permissions mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestMyPermissionsErrors(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t)
	for path, want := range map[string]int{
		"/rest/api/3/mypermissions":                                      400,
		"/rest/api/3/mypermissions?permissions=":                         400,
		"/rest/api/3/mypermissions?permissions=BROWSE_PROJECTS,FLY":      400,
		"/rest/api/3/mypermissions?permissions=ADMINISTER&projectKey=NO": 404,
	} {
		wantStatus(t, path, do(t, s, "GET", path, ""), want)
	}
}

func TestUserSearch(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t)
	tests := []struct {
		query string
		want  []string
	}{
		{"alice", []string{jirasim.CustomerAliceID}},
		{"Customer", []string{jirasim.CustomerAliceID, jirasim.CustomerBobID}},
		{"admin@", []string{jirasim.AdminAccountID}},
		{"zzz", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			r := do(t, s, "GET", "/rest/api/3/user/search?query="+url.QueryEscape(tt.query), "")
			wantStatus(t, tt.query, r, 200)
			got := []string{}
			for _, u := range decode[[]obj](t, r.Body) {
				got = append(got, u["accountId"].(string))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("accounts mismatch (-want +got):\n%s", diff)
			}
		})
	}
	wantStatus(t, "no query", do(t, s, "GET", "/rest/api/3/user/search", ""), 400)
}

func TestRoles(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t)
	p, _ := s.Project("HELP")
	r := do(t, s, "GET", "/rest/api/3/project/HELP/role", "")
	wantStatus(t, "roles", r, 200)
	want := map[string]string{}
	for name, id := range map[string]int64{
		"Administrators": 10002, "Service Desk Customers": 10100, "Service Desk Team": 10101,
		"Developers": 10200, "atlassian-addons-project-access": 10300,
	} {
		want[name] = fmt.Sprintf("%s/rest/api/3/project/%d/role/%d", s.URL, p.ID, id)
	}
	if diff := cmp.Diff(want, decode[map[string]string](t, r.Body)); diff != "" {
		t.Errorf("roles mismatch (-want +got):\n%s", diff)
	}
	r = do(t, s, "GET", "/rest/api/3/project/HELP/role/10101", "")
	wantStatus(t, "team role", r, 200)
	role := decode[obj](t, r.Body)
	if role["name"] != "Service Desk Team" || len(role["actors"].([]any)) != 2 {
		t.Errorf("got %s, want the Service Desk Team with two actors", r.Body)
	}
	wantStatus(t, "unknown role", do(t, s, "GET", "/rest/api/3/project/HELP/role/1", ""), 404)
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t)
	s.FailNext("GET", "/rest/api/3/project", 2, 503, http.Header{"Retry-After": {"3"}})
	s.FailNext("", "/rest/servicedeskapi/", 1, 500, nil)

	// A POST does not match the GET rule.
	wantStatus(t, "other method", do(t, s, "POST", "/rest/api/3/permissionscheme", `{"name":"n"}`), 201)
	for i := range 2 {
		r := do(t, s, "GET", "/rest/api/3/project/HELP", "")
		wantStatus(t, fmt.Sprint("fault ", i), r, 503)
		if r.Header.Get("Retry-After") != "3" {
			t.Errorf("got Retry-After %q, want 3", r.Header.Get("Retry-After"))
		}
		if len(decode[platformError](t, r.Body).ErrorMessages) != 1 {
			t.Errorf("got %s, want a platform error body", r.Body)
		}
	}
	wantStatus(t, "after the faults", do(t, s, "GET", "/rest/api/3/project/HELP", ""), 200)

	r := do(t, s, "GET", "/rest/servicedeskapi/servicedesk", "")
	wantStatus(t, "JSM fault", r, 500)
	if e := decode[jsmError](t, r.Body); e.ErrorMessage == "" {
		t.Errorf("got %s, want a JSM error body", r.Body)
	}
	wantStatus(t, "JSM after the fault", do(t, s, "GET", "/rest/servicedeskapi/servicedesk", ""), 200)
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t)
	s.RateLimit(2, 1500*time.Millisecond)
	for i := range 2 {
		r := do(t, s, "GET", "/rest/servicedeskapi/servicedesk", "")
		wantStatus(t, fmt.Sprint("limited ", i), r, 429)
		got := map[string]string{}
		for _, h := range []string{"Retry-After", "X-RateLimit-Remaining", "RateLimit-Reason"} {
			got[h] = r.Header.Get(h)
		}
		want := map[string]string{"Retry-After": "2", "X-RateLimit-Remaining": "0", "RateLimit-Reason": "jira-burst-based"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("headers mismatch (-want +got):\n%s", diff)
		}
		if _, err := time.Parse(time.RFC3339, r.Header.Get("X-RateLimit-Reset")); err != nil || r.Header.Get("X-RateLimit-Limit") == "" {
			t.Errorf("got X-RateLimit-Reset %q, X-RateLimit-Limit %q", r.Header.Get("X-RateLimit-Reset"), r.Header.Get("X-RateLimit-Limit"))
		}
		if decode[jsmError](t, r.Body).ErrorMessage == "" {
			t.Errorf("got %s, want the JSM error body", r.Body)
		}
	}
	wantStatus(t, "after the limit", do(t, s, "GET", "/rest/servicedeskapi/servicedesk", ""), 200)
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t)
	do(t, s, "GET", "/rest/api/3/project/search?typeKey=service_desk&startAt=2", "")
	do(t, s, "POST", "/rest/api/3/permissionscheme/0/permission", `{"holder":{"type":"anyone"},"permission":"BROWSE_PROJECTS"}`)
	do(t, s, "GET", "/rest/api/3/myself", "", noAuth)
	got := s.Requests()
	type entry struct {
		Method, Path string
		Query        url.Values
		Body         string
		Status       int
		HasAuth      bool
	}
	var gotEntries []entry
	for _, r := range got {
		gotEntries = append(gotEntries, entry{r.Method, r.Path, r.Query, string(r.Body), r.Status, r.Header.Get("Authorization") != ""})
		if r.Header.Get("Accept") != "application/json" {
			t.Errorf("got Accept %q in the log, want the request's header", r.Header.Get("Accept"))
		}
	}
	want := []entry{
		{"GET", "/rest/api/3/project/search", url.Values{"typeKey": {"service_desk"}, "startAt": {"2"}}, "", 200, false},
		{"POST", "/rest/api/3/permissionscheme/0/permission", url.Values{}, `{"holder":{"type":"anyone"},"permission":"BROWSE_PROJECTS"}`, 201, false},
		{"GET", "/rest/api/3/myself", url.Values{}, "", 401, false},
	}
	if diff := cmp.Diff(want, gotEntries); diff != "" {
		t.Errorf("log mismatch (-want +got):\n%s", diff)
	}
	s.ResetRequests()
	if n := len(s.Requests()); n != 0 {
		t.Errorf("got %d entries after ResetRequests, want 0", n)
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	// The simulator lives outside the bubble; requests through Client() are
	// served in the bubble's goroutine, so the latency runs on fake time.
	s := jirasim.NewServer(t, jirasim.WithLatency(3*time.Second))
	synctest.Test(t, func(t *testing.T) {
		c := s.Client()
		start := time.Now()
		r := send(t, c, newRequest(t, s, "GET", "/rest/api/3/myself", ""))
		wantStatus(t, "myself", r, 200)
		if got := time.Since(start); got != 3*time.Second {
			t.Errorf("got latency %v, want 3s", got)
		}
		s.SetLatency(0)
		start = time.Now()
		send(t, c, newRequest(t, s, "GET", "/rest/api/3/myself", ""))
		if got := time.Since(start); got != 0 {
			t.Errorf("got latency %v after SetLatency(0), want 0", got)
		}
	})
}

func TestLatencyCancelled(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t, jirasim.WithLatency(time.Hour))
	synctest.Test(t, func(t *testing.T) {
		req := newRequest(t, s, "GET", "/rest/api/3/myself", "")
		ctx, cancel := context.WithTimeout(req.Context(), time.Second)
		defer cancel()
		_, err := s.Client().Do(req.WithContext(ctx))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got error %v, want the deadline", err)
		}
	})
}

func TestConcurrentGrants(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t)
	id, _ := s.ProjectSchemeID("NOPA")
	path := fmt.Sprintf("/rest/api/3/permissionscheme/%d/permission", id)
	const n = 16
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			statuses[i] = do(t, s, "POST", path, `{"holder":{"type":"sd.customer.portal.only"},"permission":"CREATE_ISSUES"}`).Status
		})
	}
	wg.Wait()
	slices.Sort(statuses)
	want := append([]int{201}, slices.Repeat([]int{400}, n-1)...)
	if diff := cmp.Diff(want, statuses); diff != "" {
		t.Errorf("statuses mismatch (-want +got):\n%s", diff)
	}
	if got := len(s.Requests()); got != n {
		t.Errorf("got %d logged requests, want %d", got, n)
	}
}

func TestSeeding(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t, jirasim.WithSeed(jirasim.ScenarioHealthy), jirasim.WithPageSize(10))
	id := s.AddScheme("Custom", "d", jirasim.Grant{HolderType: "projectRole", HolderParameter: "10002", Permission: "ADMINISTER_PROJECTS"})
	p := s.AddProject(jirasim.Project{Key: "CUS", Name: "Custom", SchemeID: id, Desk: true})
	u := s.AddUser(jirasim.User{Email: "zoe@example.com", DisplayName: "Zoe", Active: true, Customer: true})
	s.AddCustomers("CUS", u.AccountID)
	if p.ID == 0 || p.ServiceDeskID == "" || !strings.HasPrefix(u.AccountID, "qm:") {
		t.Errorf("got project %+v user %+v, want assigned ids", p, u)
	}
	if diff := cmp.Diff([]string{u.AccountID}, s.DeskCustomers("CUS")); diff != "" {
		t.Errorf("customers mismatch (-want +got):\n%s", diff)
	}
	r := do(t, s, "GET", "/rest/api/3/project/search", "")
	if got := decode[obj](t, r.Body); fmt.Sprint(got["total"]) != "2" || got["isLast"] != true {
		t.Errorf("got %s, want HELP and CUS on one page", r.Body)
	}
	g := s.SchemeGrants(id)
	if len(g) != 1 || g[0].HolderValue != "10002" {
		t.Errorf("got grants %+v", g)
	}
}

func TestUnknownScenarioPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("New with an unknown scenario did not panic")
		}
	}()
	s := jirasim.New(jirasim.WithSeed("nope"))
	s.Close()
}

// TestErrorShapeFollowsAPI: every error the server itself makes (unknown
// route, unreadable body) has the body of the API the path belongs to, like
// the handlers' own errors: JSM's ErrorResponse under /rest/servicedeskapi.
func TestErrorShapeFollowsAPI(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t)
	// Just over the simulator's 1 MiB limit.
	big := `{"accountIds":["` + strings.Repeat("x", 1<<20) + `"]}`
	tests := []struct {
		name, method, path, body string
		status                   int
		jsm                      bool
	}{
		{"platform unknown route", "GET", "/rest/api/3/nope", "", 404, false},
		{"jsm unknown route", "GET", "/rest/servicedeskapi/nope", "", 404, true},
		{"jsm known path, other method", "DELETE", "/rest/servicedeskapi/servicedesk/1", "", 404, true},
		{"jsm body too large", "POST", "/rest/servicedeskapi/servicedesk/1/customer", big, 413, true},
		{"platform body too large", "POST", "/rest/api/3/permissionscheme", big, 413, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := do(t, s, tt.method, tt.path, tt.body)
			wantStatus(t, tt.name, r, tt.status)
			if tt.jsm {
				if e := decode[jsmError](t, r.Body); e.ErrorMessage == "" || e.I18nErrorMessage.I18nKey == "" {
					t.Errorf("body %s, want JSM's ErrorResponse", r.Body)
				}
				return
			}
			if e := decode[platformError](t, r.Body); len(e.ErrorMessages) == 0 || e.Errors == nil {
				t.Errorf("body %s, want the platform's ErrorCollection", r.Body)
			}
		})
	}
}

// noProjectAdmin makes the caller unable to administer projects: neither
// Administer Projects nor Administer Jira, which Jira accepts instead.
func noProjectAdmin(s *jirasim.Server) {
	s.SetProjectPermission("ADMINISTER_PROJECTS", false)
	s.SetGlobalPermission("ADMINISTER", false)
}

func TestAdministerJiraReadsProjectConfiguration(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t)
	s.SetProjectPermission("ADMINISTER_PROJECTS", false) // Administer Jira is still held
	for _, path := range []string{"/rest/api/3/project/HELP/permissionscheme", "/rest/api/3/project/HELP/role"} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(jirasim.DefaultEmail, jirasim.DefaultToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s as a Jira admin without Administer Projects = %d, want 200", path, resp.StatusCode)
		}
	}
}

// TestLinksNoTestPackages: the release binary links the simulator for its
// demo, so the simulator must not pull in testing or net/http/httptest.
func TestLinksNoTestPackages(t *testing.T) {
	t.Parallel()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	out, err := exec.CommandContext(t.Context(), gobin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for pkg := range strings.FieldsSeq(string(out)) {
		if pkg == "testing" || pkg == "net/http/httptest" {
			t.Errorf("jirasim links %s", pkg)
		}
	}
}

// TestCloseDropsUnusedConnections: a connection that never carried a
// request (accepted before the later one, which was answered) is closed by
// Close rather than waited for, and Close may be called again.
func TestCloseDropsUnusedConnections(t *testing.T) {
	t.Parallel()
	s := jirasim.New()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	unused, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer unused.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	if r := send(t, &http.Client{Transport: tr}, newRequest(t, s, "GET", "/rest/api/3/myself", "")); r.Status != 200 {
		t.Fatalf("myself = %d", r.Status)
	}
	s.Close()
	s.Close()
	if n, err := unused.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("read on an unused connection after Close = %d, %v; want EOF", n, err)
	}
}
