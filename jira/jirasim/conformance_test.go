package jirasim_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/internal/apispec"
	"github.com/jsmbot/jsmbot/internal/fakeclock"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// TestConformance performs every operation the simulator serves, in its
// success and its error answers, and validates request and response against
// Atlassian's OpenAPI documents (internal/apispec). Error bodies the
// documents leave undescribed are checked against ErrorCollection /
// ErrorResponse by apispec.ValidateResponse.
//
// It runs alone, before the parallel tests (its cases in parallel with
// each other): it loads the specs, and the parse's garbage beside the
// other tests' objects grew the heap, which cost the test binary more CPU
// under -race (page faults, mostly) and saved no wall time.
func TestConformance(t *testing.T) {
	const portalGrant = `{"holder":{"type":"sd.customer.portal.only"},"permission":"BROWSE_PROJECTS"}`
	noAdmin := func(s *jirasim.Server) { s.SetGlobalPermission("ADMINISTER", false) }
	tests := []struct {
		name   string
		method string
		path   string // below s.URL; "{nopa}" is replaced by NOPA's scheme id
		body   string
		opts   []reqOpt
		setup  func(*jirasim.Server)
		// simOpts configure the simulator of the case.
		simOpts []jirasim.Option
		// invalidRequest marks requests that the spec itself rejects (the
		// test sends them on purpose).
		invalidRequest bool
		want           int
	}{
		// Projects.
		{name: "project", method: "GET", path: "/rest/api/3/project/HELP", want: 200},
		{name: "project by id", method: "GET", path: "/rest/api/3/project/10000", want: 200},
		{name: "team-managed project", method: "GET", path: "/rest/api/3/project/TEAM", want: 200},
		{name: "project missing", method: "GET", path: "/rest/api/3/project/NOPE", want: 404},
		{name: "project unauthenticated", method: "GET", path: "/rest/api/3/project/HELP", opts: []reqOpt{noAuth}, want: 401},
		{name: "project search", method: "GET", path: "/rest/api/3/project/search?typeKey=service_desk&startAt=2&maxResults=50", want: 200},
		{name: "project search last page", method: "GET", path: "/rest/api/3/project/search?startAt=10", want: 200},
		{name: "project search nothing", method: "GET", path: "/rest/api/3/project/search?keys=NOPE", want: 404},
		{name: "project search bad startAt", method: "GET", path: "/rest/api/3/project/search?startAt=x", invalidRequest: true, want: 400},

		// Project permission scheme.
		{name: "project scheme", method: "GET", path: "/rest/api/3/project/HELP/permissionscheme", want: 200},
		{name: "project scheme expanded", method: "GET", path: "/rest/api/3/project/NOPA/permissionscheme?expand=permissions", want: 200},
		{name: "project scheme forbidden", method: "GET", path: "/rest/api/3/project/HELP/permissionscheme", setup: noProjectAdmin, want: 403},
		{name: "project scheme team-managed", method: "GET", path: "/rest/api/3/project/TEAM/permissionscheme", want: 404},
		{name: "project scheme missing project", method: "GET", path: "/rest/api/3/project/NOPE/permissionscheme", want: 404},
		{name: "assign scheme", method: "PUT", path: "/rest/api/3/project/NOPA/permissionscheme", body: `{"id":0}`, want: 200},
		{name: "assign scheme expanded", method: "PUT", path: "/rest/api/3/project/NOPA/permissionscheme?expand=permissions", body: `{"id":0}`, want: 200},
		{name: "assign scheme forbidden", method: "PUT", path: "/rest/api/3/project/NOPA/permissionscheme", body: `{"id":0}`, setup: noAdmin, want: 403},
		{name: "assign missing scheme", method: "PUT", path: "/rest/api/3/project/NOPA/permissionscheme", body: `{"id":4242}`, want: 404},

		// Roles.
		{name: "roles", method: "GET", path: "/rest/api/3/project/HELP/role", want: 200},
		{name: "roles without admin", method: "GET", path: "/rest/api/3/project/HELP/role", setup: noProjectAdmin, want: 401},
		{name: "roles missing project", method: "GET", path: "/rest/api/3/project/NOPE/role", want: 404},
		{name: "role", method: "GET", path: "/rest/api/3/project/HELP/role/10002", want: 200},
		{name: "role with group actor", method: "GET", path: "/rest/api/3/project/HELP/role/10300", want: 200},
		{name: "role empty", method: "GET", path: "/rest/api/3/project/HELP/role/10100", want: 200},
		{name: "role missing", method: "GET", path: "/rest/api/3/project/HELP/role/1", want: 404},

		// Schemes.
		{name: "schemes", method: "GET", path: "/rest/api/3/permissionscheme", want: 200},
		// Every grant shape: the default scheme's application roles, a JSM
		// scheme's roles and portal access, a software scheme; the other
		// scenarios' schemes are subsets of HELP's (a ninth of the grants
		// to validate).
		{name: "schemes expanded", method: "GET", path: "/rest/api/3/permissionscheme?expand=permissions", simOpts: []jirasim.Option{jirasim.WithSeed(jirasim.ScenarioHealthy, jirasim.ScenarioSoftware)}, want: 200},
		{name: "create scheme", method: "POST", path: "/rest/api/3/permissionscheme", body: `{"name":"Copy","description":"d","permissions":[` + portalGrant + `]}`, want: 201},
		{name: "create scheme expanded", method: "POST", path: "/rest/api/3/permissionscheme?expand=permissions", body: `{"name":"Copy","permissions":[` + portalGrant + `]}`, want: 201},
		{name: "create scheme duplicate name", method: "POST", path: "/rest/api/3/permissionscheme", body: `{"name":"Shared Support Scheme"}`, want: 400},
		{name: "create scheme forbidden grant", method: "POST", path: "/rest/api/3/permissionscheme", body: `{"name":"X","permissions":[{"holder":{"type":"sd.customer.portal.only"},"permission":"VIEW_AGGREGATED_DATA"}]}`, want: 400},
		{name: "create scheme forbidden", method: "POST", path: "/rest/api/3/permissionscheme", body: `{"name":"X"}`, setup: noAdmin, want: 403},
		{name: "scheme", method: "GET", path: "/rest/api/3/permissionscheme/0", want: 200},
		{name: "scheme expanded", method: "GET", path: "/rest/api/3/permissionscheme/{nopa}?expand=all", want: 200},
		{name: "scheme missing", method: "GET", path: "/rest/api/3/permissionscheme/4242", want: 404},
		{name: "update scheme", method: "PUT", path: "/rest/api/3/permissionscheme/{nopa}", body: `{"name":"Renamed","description":"d"}`, want: 200},
		{name: "update scheme grants", method: "PUT", path: "/rest/api/3/permissionscheme/{nopa}?expand=permissions", body: `{"name":"Renamed","permissions":[` + portalGrant + `]}`, want: 200},
		{name: "update scheme taken name", method: "PUT", path: "/rest/api/3/permissionscheme/{nopa}", body: `{"name":"Shared Support Scheme"}`, want: 400},
		{name: "update scheme forbidden", method: "PUT", path: "/rest/api/3/permissionscheme/{nopa}", body: `{"name":"X"}`, setup: noAdmin, want: 403},
		{name: "update missing scheme", method: "PUT", path: "/rest/api/3/permissionscheme/4242", body: `{"name":"X"}`, want: 404},
		{name: "delete scheme", method: "DELETE", path: "/rest/api/3/permissionscheme/{nopa}", want: 204},
		{name: "delete default scheme", method: "DELETE", path: "/rest/api/3/permissionscheme/0", want: 400},
		{name: "delete scheme forbidden", method: "DELETE", path: "/rest/api/3/permissionscheme/{nopa}", setup: noAdmin, want: 403},
		{name: "delete missing scheme", method: "DELETE", path: "/rest/api/3/permissionscheme/4242", want: 404},

		// Grants.
		{name: "grants", method: "GET", path: "/rest/api/3/permissionscheme/{nopa}/permission", want: 200},
		{name: "grants missing scheme", method: "GET", path: "/rest/api/3/permissionscheme/4242/permission", want: 404},
		{name: "add grant", method: "POST", path: "/rest/api/3/permissionscheme/{nopa}/permission", body: portalGrant, want: 201},
		{name: "add role grant", method: "POST", path: "/rest/api/3/permissionscheme/{nopa}/permission", body: `{"holder":{"type":"projectRole","parameter":"10002","value":"10002"},"permission":"VIEW_AGGREGATED_DATA"}`, want: 201},
		{name: "add duplicate grant", method: "POST", path: "/rest/api/3/permissionscheme/{nopa}/permission", body: `{"holder":{"type":"projectRole","parameter":"10002"},"permission":"ADMINISTER_PROJECTS"}`, want: 400},
		{name: "add unknown permission", method: "POST", path: "/rest/api/3/permissionscheme/{nopa}/permission", body: `{"holder":{"type":"anyone"},"permission":"FLY"}`, want: 400},
		{name: "add grant forbidden", method: "POST", path: "/rest/api/3/permissionscheme/{nopa}/permission", body: portalGrant, setup: noAdmin, want: 403},
		{name: "grant", method: "GET", path: "/rest/api/3/permissionscheme/0/permission/10000", want: 200},
		{name: "grant missing", method: "GET", path: "/rest/api/3/permissionscheme/0/permission/1", want: 404},
		{name: "delete grant", method: "DELETE", path: "/rest/api/3/permissionscheme/0/permission/10000", want: 204},
		{name: "delete unknown grant", method: "DELETE", path: "/rest/api/3/permissionscheme/0/permission/1", want: 400},
		{name: "delete grant forbidden", method: "DELETE", path: "/rest/api/3/permissionscheme/0/permission/10000", setup: noAdmin, want: 403},

		// The caller and users.
		{name: "myself", method: "GET", path: "/rest/api/3/myself", want: 200},
		{name: "myself unauthenticated", method: "GET", path: "/rest/api/3/myself", opts: []reqOpt{noAuth}, want: 401},
		{name: "mypermissions", method: "GET", path: "/rest/api/3/mypermissions?permissions=ADMINISTER,USER_PICKER,BROWSE_PROJECTS", want: 200},
		{name: "mypermissions in a project", method: "GET", path: "/rest/api/3/mypermissions?permissions=ADMINISTER_PROJECTS&projectKey=HELP", want: 200},
		{name: "mypermissions without keys", method: "GET", path: "/rest/api/3/mypermissions", want: 400},
		{name: "mypermissions unknown key", method: "GET", path: "/rest/api/3/mypermissions?permissions=FLY", want: 400},
		{name: "mypermissions unknown project", method: "GET", path: "/rest/api/3/mypermissions?permissions=BROWSE_PROJECTS&projectKey=NOPE", want: 404},
		{name: "check permissions", method: "POST", path: "/rest/api/3/permissions/check", body: `{"accountId":"` + jirasim.CustomerAliceID + `","projectPermissions":[{"permissions":["BROWSE_PROJECTS","CREATE_ISSUES"],"projects":[10000,10001,4242]}]}`, want: 200},
		{name: "check permissions, the caller", method: "POST", path: "/rest/api/3/permissions/check", body: `{"globalPermissions":["ADMINISTER"],"projectPermissions":[{"permissions":["EDIT_ISSUES"],"projects":[10000],"issues":[10010]}]}`, want: 200},
		{name: "check permissions, nothing granted", method: "POST", path: "/rest/api/3/permissions/check", body: `{"accountId":"` + jirasim.ProspectErinID + `","projectPermissions":[{"permissions":["BROWSE_PROJECTS"],"projects":[10000]}]}`, want: 200},
		{name: "check permissions, unknown key", method: "POST", path: "/rest/api/3/permissions/check", body: `{"projectPermissions":[{"permissions":["FLY"],"projects":[10000]}]}`, want: 400},
		{name: "check permissions, no key", method: "POST", path: "/rest/api/3/permissions/check", body: `{"projectPermissions":[{"permissions":[""],"projects":[10000]}]}`, want: 400},
		{name: "check permissions, unknown account", method: "POST", path: "/rest/api/3/permissions/check", body: `{"accountId":"qm:nobody","projectPermissions":[{"permissions":["BROWSE_PROJECTS"],"projects":[10000]}]}`, want: 400},
		{name: "check permissions, other account forbidden", method: "POST", path: "/rest/api/3/permissions/check", body: `{"accountId":"` + jirasim.CustomerAliceID + `","projectPermissions":[{"permissions":["BROWSE_PROJECTS"],"projects":[10000]}]}`, setup: noAdmin, want: 403},
		{name: "audit records", method: "GET", path: "/rest/api/3/auditing/record?offset=0&limit=10&filter=portal", setup: auditTrail, want: 200},
		{name: "audit records by time", method: "GET", path: "/rest/api/3/auditing/record?from=2020-01-01T00:00:00.000%2B0000&to=2099-01-01", setup: auditTrail, want: 200},
		{name: "audit records empty", method: "GET", path: "/rest/api/3/auditing/record", want: 200},
		{name: "audit records forbidden", method: "GET", path: "/rest/api/3/auditing/record", setup: noAdmin, want: 403},
		{name: "audit records free plan", method: "GET", path: "/rest/api/3/auditing/record", setup: func(s *jirasim.Server) { s.SetAuditLogAvailable(false) }, want: 403},
		{name: "user search", method: "GET", path: "/rest/api/3/user/search?query=alice", want: 200},
		{name: "user", method: "GET", path: "/rest/api/3/user?accountId=" + jirasim.OwnerAccountID, want: 200},
		{name: "user unknown", method: "GET", path: "/rest/api/3/user?accountId=qm:nobody", want: 404},
		{name: "user without accountId", method: "GET", path: "/rest/api/3/user", want: 400},
		{name: "user forbidden", method: "GET", path: "/rest/api/3/user?accountId=" + jirasim.OwnerAccountID, setup: func(s *jirasim.Server) { s.SetGlobalPermission("USER_PICKER", false) }, want: 403},
		{name: "user search without query", method: "GET", path: "/rest/api/3/user/search", want: 400},

		// JSM.
		{name: "desks", method: "GET", path: "/rest/servicedeskapi/servicedesk", want: 200},
		{name: "desks second page", method: "GET", path: "/rest/servicedeskapi/servicedesk?start=2&limit=2", want: 200},
		{name: "desks unauthenticated", method: "GET", path: "/rest/servicedeskapi/servicedesk", opts: []reqOpt{noAuth}, want: 401},
		{name: "desk", method: "GET", path: "/rest/servicedeskapi/servicedesk/1", want: 200},
		{name: "desk by project key", method: "GET", path: "/rest/servicedeskapi/servicedesk/projectKey:NOPA", want: 200},
		{name: "desk missing", method: "GET", path: "/rest/servicedeskapi/servicedesk/999", want: 404},
		{name: "customers", method: "GET", path: "/rest/servicedeskapi/servicedesk/HELP/customer?start=2", opts: []reqOpt{experimental}, want: 200},
		{name: "customers query", method: "GET", path: "/rest/servicedeskapi/servicedesk/HELP/customer?query=alice", opts: []reqOpt{experimental}, want: 200},
		{name: "customers without opt-in", method: "GET", path: "/rest/servicedeskapi/servicedesk/HELP/customer", want: 412},
		{name: "customers missing desk", method: "GET", path: "/rest/servicedeskapi/servicedesk/999/customer", opts: []reqOpt{experimental}, want: 404},
		{name: "add customers", method: "POST", path: "/rest/servicedeskapi/servicedesk/HELP/customer", body: `{"accountIds":["` + jirasim.ProspectErinID + `"]}`, want: 204},
		{name: "add customers, portal access missing", method: "POST", path: "/rest/servicedeskapi/servicedesk/NOPA/customer", body: `{"accountIds":["` + jirasim.ProspectErinID + `"]}`, want: 400},
		{name: "add unknown customer", method: "POST", path: "/rest/servicedeskapi/servicedesk/HELP/customer", body: `{"accountIds":["qm:nope"]}`, want: 400},
		{name: "add customers forbidden", method: "POST", path: "/rest/servicedeskapi/servicedesk/HELP/customer", body: `{"accountIds":["` + jirasim.ProspectErinID + `"]}`, setup: noProjectAdmin, want: 403},
		{name: "add customers missing desk", method: "POST", path: "/rest/servicedeskapi/servicedesk/SOFT/customer", body: `{"accountIds":["` + jirasim.ProspectErinID + `"]}`, want: 404},
		{name: "create customer", method: "POST", path: "/rest/servicedeskapi/customer", body: `{"email":"gina@example.com","displayName":"Gina"}`, want: 201},
		{name: "create customer exists", method: "POST", path: "/rest/servicedeskapi/customer", body: `{"email":"alice@example.com","displayName":"Alice"}`, want: 400},
		{name: "create customer exists, strict", method: "POST", path: "/rest/servicedeskapi/customer?strictConflictStatusCode=true", body: `{"email":"alice@example.com","displayName":"Alice"}`, want: 409},
		{name: "create customer forbidden", method: "POST", path: "/rest/servicedeskapi/customer", body: `{"email":"gina@example.com"}`, setup: noAdmin, want: 403},

		// Injected faults keep the documented shapes.
		{name: "JSM rate limited", method: "GET", path: "/rest/servicedeskapi/servicedesk/1", setup: func(s *jirasim.Server) { s.RateLimit(1, time.Second) }, want: 429},
		{name: "burst limited", method: "GET", path: "/rest/api/3/project/HELP", simOpts: burstFrozen, setup: exhaustBurst("/rest/api/3/project/NOPA", 100), want: 429},
		{name: "JSM burst limited", method: "GET", path: "/rest/servicedeskapi/servicedesk/HELP/customer", opts: []reqOpt{experimental}, simOpts: burstFrozen, setup: exhaustBurst("/rest/servicedeskapi/servicedesk/NOPA/customer", 5), want: 429},
		{name: "rate limited", method: "GET", path: "/rest/api/3/project/HELP", setup: func(s *jirasim.Server) { s.RateLimit(1, time.Second) }, want: 429},
		{name: "platform fault", method: "GET", path: "/rest/api/3/permissionscheme", setup: func(s *jirasim.Server) { s.FailNext("", "/rest/api/3/", 1, 503, http.Header{"Retry-After": {"5"}}) }, want: 503},
		{name: "JSM fault", method: "GET", path: "/rest/servicedeskapi/servicedesk", setup: func(s *jirasim.Server) { s.FailNext("GET", "/rest/servicedeskapi", 1, 500, nil) }, want: 500},
	}

	var (
		mu      sync.Mutex
		covered = map[string]bool{}
	)
	// The GET cases without setup read a default site and change nothing
	// (burst and rate limits are off by default), so they share one
	// simulator, a seeded site fewer each; every other case gets its own,
	// seeded with the scenarios the table names (HELP, NOPA, the shared
	// scheme, SOFT, TEAM): the other four only add JSM schemes of a
	// hundred grants each.
	readOnly := jirasim.NewServer(t)
	site := []jirasim.Option{jirasim.WithSeed(jirasim.ScenarioHealthy, jirasim.ScenarioPortalAccessMissing,
		jirasim.ScenarioShared, jirasim.ScenarioSoftware, jirasim.ScenarioTeamManaged)}
	t.Run("operations", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				s := readOnly
				switch {
				case tt.simOpts != nil:
					s = jirasim.NewServer(t, tt.simOpts...)
				case tt.method != http.MethodGet || tt.setup != nil:
					s = jirasim.NewServer(t, site...)
				}
				if tt.setup != nil {
					tt.setup(s)
				}
				path := tt.path
				if strings.Contains(path, "{nopa}") {
					id, _ := s.ProjectSchemeID("NOPA")
					path = strings.ReplaceAll(path, "{nopa}", itoa(id))
				}
				if !tt.invalidRequest {
					apispec.ValidateRequest(t, newRequest(t, s, tt.method, path, tt.body, tt.opts...), []byte(tt.body))
				}
				req := newRequest(t, s, tt.method, path, tt.body, tt.opts...)
				// In-process: the simulator's listener serves the same
				// handler, and the other tests use it; a socket per case
				// only added dials and copies.
				r := send(t, s.Client(), req)
				if r.Status != tt.want {
					t.Errorf("got status %d, want %d; body %s", r.Status, tt.want, r.Body)
				}
				route := apispec.ValidateResponse(t, req, r.Status, r.Header, r.Body)
				if r.Status < 300 {
					mu.Lock()
					covered[route.Method+" "+route.Path] = true
					mu.Unlock()
				}
			})
		}
	})

	// Every operation the simulator serves answered successfully at least
	// once above.
	want := []string{
		"DELETE /rest/api/3/permissionscheme/{schemeId}",
		"DELETE /rest/api/3/permissionscheme/{schemeId}/permission/{permissionId}",
		"GET /rest/api/3/auditing/record",
		"GET /rest/api/3/mypermissions",
		"GET /rest/api/3/myself",
		"GET /rest/api/3/permissionscheme",
		"GET /rest/api/3/permissionscheme/{schemeId}",
		"GET /rest/api/3/permissionscheme/{schemeId}/permission",
		"GET /rest/api/3/permissionscheme/{schemeId}/permission/{permissionId}",
		"GET /rest/api/3/project/search",
		"GET /rest/api/3/project/{projectIdOrKey}",
		"GET /rest/api/3/project/{projectIdOrKey}/role",
		"GET /rest/api/3/project/{projectIdOrKey}/role/{id}",
		"GET /rest/api/3/project/{projectKeyOrId}/permissionscheme",
		"GET /rest/api/3/user",
		"GET /rest/api/3/user/search",
		"GET /rest/servicedeskapi/servicedesk",
		"GET /rest/servicedeskapi/servicedesk/{serviceDeskId}",
		"GET /rest/servicedeskapi/servicedesk/{serviceDeskId}/customer",
		"POST /rest/api/3/permissions/check",
		"POST /rest/api/3/permissionscheme",
		"POST /rest/api/3/permissionscheme/{schemeId}/permission",
		"POST /rest/servicedeskapi/customer",
		"POST /rest/servicedeskapi/servicedesk/{serviceDeskId}/customer",
		"PUT /rest/api/3/permissionscheme/{schemeId}",
		"PUT /rest/api/3/project/{projectKeyOrId}/permissionscheme",
	}
	var got []string
	for k := range covered {
		got = append(got, k)
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("operations covered mismatch (-want +got):\n%s", diff)
	}
}

// burstFrozen enforces the burst limits on a clock that stands still, so
// an emptied bucket stays empty.
var burstFrozen = []jirasim.Option{jirasim.WithBurstLimits(), jirasim.WithClock(fakeclock.New().Now)}

// exhaustBurst empties the bucket of path's endpoint with n requests.
func exhaustBurst(path string, n int) func(*jirasim.Server) {
	return func(s *jirasim.Server) {
		c := s.Client()
		for range n {
			req, err := http.NewRequest("GET", s.URL+path, nil)
			if err != nil {
				panic(err)
			}
			req.SetBasicAuth(jirasim.DefaultEmail, jirasim.DefaultToken)
			req.Header.Set("X-ExperimentalApi", "opt-in")
			if resp, err := c.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	}
}

// auditTrail makes one change of every recorded kind behind the API's back.
func auditTrail(s *jirasim.Server) {
	id, _ := s.ProjectSchemeID("NOPA")
	g := s.AddGrants(id, jirasim.Grant{HolderType: "sd.customer.portal.only", Permission: "BROWSE_PROJECTS"})
	s.RemoveGrants(id, g[0].ID)
	s.AddScheme("Audited", "d", jirasim.Grant{HolderType: "projectRole", HolderParameter: "10002", Permission: "ADMINISTER_PROJECTS"})
	s.AssignScheme("NOPA", 0)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
