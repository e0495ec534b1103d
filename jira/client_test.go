package jira_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// newTestClient returns a client for a fresh simulator, over loopback.
func newTestClient(t *testing.T, simOpts []jirasim.Option, opts ...jira.Option) (*jira.Client, *jirasim.Server) {
	t.Helper()
	sim := jirasim.NewServer(t, simOpts...)
	c, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken, opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c, sim
}

// newBubbleClient returns a client that reaches sim in-process, for tests
// inside a synctest bubble: time is fake there, and a goroutine waiting on
// a real socket would stall the clock. sim must be created outside the
// bubble, since its listener's accept loop never durably blocks.
func newBubbleClient(t *testing.T, sim *jirasim.Server, opts ...jira.Option) *jira.Client {
	t.Helper()
	opts = append([]jira.Option{jira.WithHTTPClient(sim.Client())}, opts...)
	c, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken, opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

func TestNewClientValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url, email, token string
		wantErr                 bool
	}{
		{"site", "https://x.atlassian.net", "a@b.c", "t", false},
		{"gateway with path", "https://api.atlassian.com/ex/jira/abc/", "a@b.c", "t", false},
		{"empty url", "", "a@b.c", "t", true},
		{"no scheme", "x.atlassian.net", "a@b.c", "t", true},
		{"ftp", "ftp://x", "a@b.c", "t", true},
		{"credentials in url", "https://u:p@x.atlassian.net", "a@b.c", "t", true},
		{"no email", "https://x.atlassian.net", "", "t", true},
		{"no token", "https://x.atlassian.net", "a@b.c", " ", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := jira.NewClient(tt.url, tt.email, tt.token)
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewClient(%q) error = %v, want error %v", tt.url, err, tt.wantErr)
			}
		})
	}
}

func TestNewClientErrorHidesToken(t *testing.T) {
	t.Parallel()
	const secret = "super-secret-token"
	_, err := jira.NewClient("https://user:"+secret+"@x.atlassian.net", "a@b.c", secret)
	if err == nil {
		t.Fatal("NewClient accepted credentials in the URL")
	}
	if got := err.Error(); contains(got, secret) {
		t.Errorf("error %q shows the secret", got)
	}
}

func TestReads(t *testing.T) {
	t.Parallel()
	c, sim := newTestClient(t, nil)
	ctx := t.Context()

	p, err := c.Project(ctx, "HELP")
	if err != nil {
		t.Fatalf("Project: %v", err)
	}
	if p.Key != "HELP" || p.ProjectTypeKey != jira.TypeServiceDesk || p.TeamManaged() {
		t.Errorf("Project(HELP) = %+v, want a company-managed service desk", p)
	}

	team, err := c.Project(ctx, "TEAM")
	if err != nil {
		t.Fatalf("Project(TEAM): %v", err)
	}
	if !team.TeamManaged() {
		t.Errorf("Project(TEAM).TeamManaged() = false, want true (style %q, simplified %v)", team.Style, team.Simplified)
	}

	s, err := c.ProjectPermissionScheme(ctx, "HELP")
	if err != nil {
		t.Fatalf("ProjectPermissionScheme: %v", err)
	}
	wantID, _ := sim.ProjectSchemeID("HELP")
	if s.ID != wantID || len(s.Permissions) != len(sim.SchemeGrants(wantID)) {
		t.Errorf("ProjectPermissionScheme(HELP) = id %d with %d grants, want id %d with %d", s.ID, len(s.Permissions), wantID, len(sim.SchemeGrants(wantID)))
	}
	if !slices.ContainsFunc(s.Permissions, func(g jira.Grant) bool {
		return g.Holder.Type == "sd.customer.portal.only" && g.Permission == "BROWSE_PROJECTS"
	}) {
		t.Error("HELP's scheme has no portal-access BROWSE_PROJECTS grant")
	}

	bare, err := c.AssignedPermissionScheme(ctx, "HELP")
	if err != nil {
		t.Fatalf("AssignedPermissionScheme: %v", err)
	}
	if bare.ID != wantID || len(bare.Permissions) != 0 {
		t.Errorf("AssignedPermissionScheme(HELP) = id %d with %d grants, want id %d without grants", bare.ID, len(bare.Permissions), wantID)
	}

	roles, err := c.ProjectRoles(ctx, "HELP")
	if err != nil {
		t.Fatalf("ProjectRoles: %v", err)
	}
	if roles["Administrators"] != "10002" || roles["Service Desk Customers"] != "10100" {
		t.Errorf("ProjectRoles(HELP) = %v, want Administrators 10002 and Service Desk Customers 10100", roles)
	}

	schemes, err := c.PermissionSchemes(ctx)
	if err != nil {
		t.Fatalf("PermissionSchemes: %v", err)
	}
	if len(schemes) != len(sim.SchemeIDs()) {
		t.Errorf("PermissionSchemes returned %d schemes, want %d", len(schemes), len(sim.SchemeIDs()))
	}
	full, err := c.PermissionSchemesWithGrants(ctx)
	if err != nil {
		t.Fatalf("PermissionSchemesWithGrants: %v", err)
	}
	for _, s := range full {
		if want := len(sim.SchemeGrants(s.ID)); len(s.Permissions) != want {
			t.Errorf("PermissionSchemesWithGrants: scheme %d has %d grants, want %d", s.ID, len(s.Permissions), want)
		}
	}
	if len(full) != len(schemes) {
		t.Errorf("PermissionSchemesWithGrants returned %d schemes, want %d", len(full), len(schemes))
	}

	me, err := c.Myself(ctx)
	if err != nil {
		t.Fatalf("Myself: %v", err)
	}
	if me.AccountID != jirasim.AdminAccountID {
		t.Errorf("Myself().AccountID = %q, want %q", me.AccountID, jirasim.AdminAccountID)
	}

	perms, err := c.MyPermissions(ctx, "HELP", "ADMINISTER", "BROWSE_PROJECTS")
	if err != nil {
		t.Fatalf("MyPermissions: %v", err)
	}
	if diff := cmp.Diff(map[string]bool{"ADMINISTER": true, "BROWSE_PROJECTS": true}, perms); diff != "" {
		t.Errorf("MyPermissions (-want +got):\n%s", diff)
	}
}

func TestIteratorsFollowPages(t *testing.T) {
	t.Parallel()
	c, sim := newTestClient(t, []jirasim.Option{jirasim.WithPageSize(2)})
	ctx := t.Context()

	var keys []string
	for p, err := range c.Projects(ctx, jira.ProjectSearch{}) {
		if err != nil {
			t.Fatalf("Projects: %v", err)
		}
		keys = append(keys, p.Key)
	}
	if len(keys) < 5 || !slices.IsSorted(keys) || len(slices.Compact(slices.Clone(keys))) != len(keys) {
		t.Errorf("Projects = %v, want every project once, in key order, across several pages", keys)
	}
	pages := 0
	for _, r := range sim.Requests() {
		if r.Path == "/rest/api/3/project/search" {
			pages++
		}
	}
	if want := (len(keys) + 1) / 2; pages != want {
		t.Errorf("project search made %d requests, want %d pages of 2", pages, want)
	}

	var desks []string
	for d, err := range c.ServiceDesks(ctx) {
		if err != nil {
			t.Fatalf("ServiceDesks: %v", err)
		}
		desks = append(desks, d.ProjectKey)
	}
	if !slices.Contains(desks, "HELP") || slices.Contains(desks, "SOFT") {
		t.Errorf("ServiceDesks = %v, want the JSM projects only", desks)
	}

	// Stopping early stops paging.
	sim.ResetRequests()
	for range c.Projects(ctx, jira.ProjectSearch{}) {
		break
	}
	if n := len(sim.Requests()); n != 1 {
		t.Errorf("breaking out of Projects after one item made %d requests, want 1", n)
	}
}

func TestCustomers(t *testing.T) {
	t.Parallel()
	c, sim := newTestClient(t, nil)
	ctx := t.Context()

	var got []string
	for u, err := range c.DeskCustomers(ctx, "HELP", "") {
		if err != nil {
			t.Fatalf("DeskCustomers: %v", err)
		}
		got = append(got, u.AccountID)
	}
	if diff := cmp.Diff(sim.DeskCustomers("HELP"), got); diff != "" {
		t.Errorf("DeskCustomers(HELP) (-want +got):\n%s", diff)
	}
	for _, r := range sim.Requests() {
		if r.Method == http.MethodGet && r.Path != "" && r.Header.Get("X-ExperimentalApi") != "opt-in" {
			t.Errorf("%s %s sent without X-ExperimentalApi: opt-in", r.Method, r.Path)
		}
	}

	u, err := c.CreateCustomer(ctx, "new.person@example.com", "New Person")
	if err != nil {
		t.Fatalf("CreateCustomer: %v", err)
	}
	if err := c.AddCustomers(ctx, "HELP", []string{u.AccountID}); err != nil {
		t.Fatalf("AddCustomers(HELP): %v", err)
	}
	if !slices.Contains(sim.DeskCustomers("HELP"), u.AccountID) {
		t.Errorf("customer %s was not added to HELP", u.AccountID)
	}
	_, err = c.CreateCustomer(ctx, "new.person@example.com", "Again")
	var ae *jira.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusConflict {
		t.Errorf("CreateCustomer of an existing email: err = %v, want a 409 APIError", err)
	}

	// The symptom this bot exists for: a desk whose scheme lacks the
	// portal-access grants refuses new customers.
	if err := c.AddCustomers(ctx, "NOPA", []string{u.AccountID}); !errors.Is(err, jira.ErrBadRequest) {
		t.Errorf("AddCustomers(NOPA) = %v, want ErrBadRequest", err)
	}

	users, err := c.SearchUsers(ctx, "new.person@")
	if err != nil {
		t.Fatalf("SearchUsers: %v", err)
	}
	if len(users) != 1 || users[0].AccountID != u.AccountID {
		t.Errorf("SearchUsers = %+v, want the new customer", users)
	}
}

func TestWrites(t *testing.T) {
	t.Parallel()
	c, sim := newTestClient(t, nil)
	ctx := t.Context()
	schemeID, _ := sim.ProjectSchemeID("NOPA")
	portal := jira.Holder{Type: "sd.customer.portal.only"}

	g, err := c.AddGrant(ctx, schemeID, jira.Grant{Holder: portal, Permission: "BROWSE_PROJECTS"})
	if err != nil {
		t.Fatalf("AddGrant: %v", err)
	}
	if g.ID == 0 || g.Permission != "BROWSE_PROJECTS" || g.Holder.Type != portal.Type {
		t.Errorf("AddGrant = %+v, want the new grant with an id", g)
	}
	if _, err := c.AddGrant(ctx, schemeID, jira.Grant{Holder: portal, Permission: "BROWSE_PROJECTS"}); !errors.Is(err, jira.ErrBadRequest) {
		t.Errorf("duplicate AddGrant = %v, want ErrBadRequest (Jira answers 400)", err)
	}
	if err := c.DeleteGrant(ctx, schemeID, g.ID); err != nil {
		t.Fatalf("DeleteGrant: %v", err)
	}
	if err := c.DeleteGrant(ctx, schemeID, g.ID); !errors.Is(err, jira.ErrBadRequest) {
		t.Errorf("DeleteGrant of an unknown grant = %v, want ErrBadRequest (Jira answers 400, not 404)", err)
	}

	created, err := c.CreatePermissionScheme(ctx, jira.PermissionScheme{
		Name:        "Copy for NOPA",
		Permissions: []jira.Grant{{ID: 99, Holder: portal, Permission: "CREATE_ISSUES"}},
	})
	if err != nil {
		t.Fatalf("CreatePermissionScheme: %v", err)
	}
	if _, err := c.CreatePermissionScheme(ctx, jira.PermissionScheme{Name: "Copy for NOPA"}); !errors.Is(err, jira.ErrBadRequest) {
		t.Errorf("CreatePermissionScheme with a taken name = %v, want ErrBadRequest", err)
	}
	if err := c.AssignPermissionScheme(ctx, "NOPA", created.ID); err != nil {
		t.Fatalf("AssignPermissionScheme: %v", err)
	}
	if id, _ := sim.ProjectSchemeID("NOPA"); id != created.ID {
		t.Errorf("NOPA uses scheme %d, want %d", id, created.ID)
	}
	full, err := c.PermissionScheme(ctx, created.ID)
	if err != nil {
		t.Fatalf("PermissionScheme: %v", err)
	}
	if len(full.Permissions) != 1 || full.Permissions[0].Permission != "CREATE_ISSUES" {
		t.Errorf("PermissionScheme(%d).Permissions = %+v, want the one grant sent", created.ID, full.Permissions)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	sim := jirasim.NewServer(t)
	tests := []struct {
		name   string
		token  string
		setup  func()
		call   func(ctx context.Context, c *jira.Client) error
		want   error
		status int
	}{
		{
			name:   "unknown project",
			call:   func(ctx context.Context, c *jira.Client) error { _, err := c.Project(ctx, "NOPE"); return err },
			want:   jira.ErrNotFound,
			status: http.StatusNotFound,
		},
		{
			name:   "bad credentials",
			token:  "wrong",
			call:   func(ctx context.Context, c *jira.Client) error { _, err := c.Myself(ctx); return err },
			want:   jira.ErrUnauthorized,
			status: http.StatusUnauthorized,
		},
		{
			name: "missing permission key",
			call: func(ctx context.Context, c *jira.Client) error {
				_, err := c.MyPermissions(ctx, "", "NOT_A_KEY")
				return err
			},
			want:   jira.ErrBadRequest,
			status: http.StatusBadRequest,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			token := jirasim.DefaultToken
			if tt.token != "" {
				token = tt.token
			}
			c, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, token)
			if err != nil {
				t.Fatal(err)
			}
			err = tt.call(t.Context(), c)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var ae *jira.APIError
			if !errors.As(err, &ae) || ae.StatusCode != tt.status || len(ae.Messages)+len(ae.Errors) == 0 {
				t.Errorf("err = %#v, want an APIError with status %d and Jira's message", err, tt.status)
			}
			if contains(err.Error(), token) && token != "" {
				t.Errorf("error %q shows the token", err)
			}
		})
	}
}

func TestForbidden(t *testing.T) {
	t.Parallel()
	c, sim := newTestClient(t, nil)
	sim.SetGlobalPermission("ADMINISTER", false)
	id, _ := sim.ProjectSchemeID("NOPA")
	_, err := c.AddGrant(t.Context(), id, jira.Grant{Holder: jira.Holder{Type: "sd.customer.portal.only"}, Permission: "CREATE_ISSUES"})
	if !errors.Is(err, jira.ErrForbidden) {
		t.Errorf("AddGrant without Administer Jira = %v, want ErrForbidden", err)
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	const projectPath = "/rest/api/3/project/HELP"
	// The two calls the cases make: a GET (idempotent) and a POST (not).
	getProject := func(ctx context.Context, c *jira.Client, _ *jirasim.Server) error {
		_, err := c.Project(ctx, "HELP")
		return err
	}
	postGrant := func(ctx context.Context, c *jira.Client, sim *jirasim.Server) error {
		id, _ := sim.ProjectSchemeID("NOPA")
		_, err := c.AddGrant(ctx, id, jira.Grant{Holder: jira.Holder{Type: "sd.customer.portal.only"}, Permission: "CREATE_ISSUES"})
		return err
	}
	tests := []struct {
		name         string
		fault        func(sim *jirasim.Server)
		call         func(ctx context.Context, c *jira.Client, sim *jirasim.Server) error
		method, path string
		wantAttempts int
		wantErr      error
		wantStatus   int           // of the returned *APIError, when not 0
		wantWait     time.Duration // fake time that passed
	}{
		{
			name:         "429 then success honours Retry-After",
			fault:        func(sim *jirasim.Server) { sim.RateLimit(2, 3*time.Second) },
			call:         getProject,
			method:       http.MethodGet,
			path:         projectPath,
			wantAttempts: 3,
			wantWait:     6 * time.Second,
		},
		{
			name:         "429 retried for POST too",
			fault:        func(sim *jirasim.Server) { sim.RateLimit(1, time.Second) },
			call:         postGrant,
			method:       http.MethodPost,
			path:         "/rest/api/3/permissionscheme/", // prefix checked below
			wantAttempts: 2,
			wantWait:     time.Second,
		},
		{
			name: "503 on GET is retried",
			fault: func(sim *jirasim.Server) {
				sim.FailNext(http.MethodGet, projectPath, 2, http.StatusServiceUnavailable, http.Header{"Retry-After": {"2"}})
			},
			call:         getProject,
			method:       http.MethodGet,
			path:         projectPath,
			wantAttempts: 3,
			wantWait:     4 * time.Second,
		},
		{
			name: "503 on POST is not retried",
			fault: func(sim *jirasim.Server) {
				sim.FailNext(http.MethodPost, "/rest/api/3/permissionscheme", 1, http.StatusServiceUnavailable, nil)
			},
			call:         postGrant,
			method:       http.MethodPost,
			path:         "/rest/api/3/permissionscheme/",
			wantAttempts: 1,
			wantStatus:   http.StatusServiceUnavailable,
		},
		{
			name:         "429 beyond the budget reports when to retry",
			fault:        func(sim *jirasim.Server) { sim.RateLimit(100, 2*time.Second) },
			call:         getProject,
			method:       http.MethodGet,
			path:         projectPath,
			wantAttempts: 5,
			wantErr:      jira.ErrRateLimited,
			wantWait:     8 * time.Second,
		},
		{
			name:         "Retry-After longer than the wait budget is not waited for",
			fault:        func(sim *jirasim.Server) { sim.RateLimit(1, 10*time.Minute) },
			call:         getProject,
			method:       http.MethodGet,
			path:         projectPath,
			wantAttempts: 1,
			wantErr:      jira.ErrRateLimited,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := jirasim.NewServer(t)
			synctest.Test(t, func(t *testing.T) {
				c := newBubbleClient(t, sim)
				tt.fault(sim)
				start := time.Now()
				err := tt.call(t.Context(), c, sim)
				waited := time.Since(start)
				var ae *jira.APIError
				switch {
				case tt.wantStatus != 0:
					if !errors.As(err, &ae) || ae.StatusCode != tt.wantStatus {
						t.Fatalf("err = %v, want an APIError with status %d", err, tt.wantStatus)
					}
				case !errors.Is(err, tt.wantErr):
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				n := 0
				for _, r := range sim.Requests() {
					if r.Method == tt.method && len(r.Path) >= len(tt.path) && r.Path[:len(tt.path)] == tt.path {
						n++
					}
				}
				if n != tt.wantAttempts {
					t.Errorf("%d attempts, want %d", n, tt.wantAttempts)
				}
				if waited != tt.wantWait {
					t.Errorf("waited %v, want %v", waited, tt.wantWait)
				}
				if tt.wantErr == jira.ErrRateLimited && (!errors.As(err, &ae) || ae.RetryAfter == 0 || ae.RateLimitReason == "") {
					t.Errorf("err = %#v, want an APIError with RetryAfter and RateLimitReason", err)
				}
			})
		})
	}
}

func TestContextEndsRetryWait(t *testing.T) {
	t.Parallel()
	sim := jirasim.NewServer(t)
	synctest.Test(t, func(t *testing.T) {
		c := newBubbleClient(t, sim)
		sim.RateLimit(100, 20*time.Second)
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.Project(ctx, "HELP")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want context.DeadlineExceeded", err)
		}
		if waited := time.Since(start); waited != 5*time.Second {
			t.Errorf("returned after %v, want 5s (the context's deadline)", waited)
		}
	})
}

func TestTransportErrorIsRetriedThenReported(t *testing.T) {
	t.Parallel()
	sim := jirasim.NewServer(t, jirasim.WithSeed())
	url := sim.URL
	sim.Close() // nothing listens any more
	var retries atomic.Int32
	obs := jira.Observer{Retry: func(jira.Retry) { retries.Add(1) }}
	// A short backoff: the retry is what is checked, not its wait.
	c, err := jira.NewClient(url, jirasim.DefaultEmail, jirasim.DefaultToken, jira.WithMaxRetries(1), jira.WithRetryWait(time.Millisecond), jira.WithObserver(obs))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Project(t.Context(), "HELP")
	var ae *jira.APIError
	if err == nil || errors.As(err, &ae) {
		t.Fatalf("err = %v, want a transport error", err)
	}
	if n := retries.Load(); n != 1 {
		t.Errorf("%d retries, want 1 (a transport error is retried)", n)
	}
	if !contains(err.Error(), "/rest/api/3/project/HELP") {
		t.Errorf("err = %q, want it to name the request", err)
	}
}

func contains(s, sub string) bool { return sub != "" && strings.Contains(s, sub) }

func TestObserver(t *testing.T) {
	t.Parallel()
	sim := jirasim.NewServer(t)
	var (
		mu      sync.Mutex
		calls   []jira.Call
		retries []jira.Retry
	)
	obs := jira.Observer{
		Call:  func(c jira.Call) { mu.Lock(); calls = append(calls, c); mu.Unlock() },
		Retry: func(r jira.Retry) { mu.Lock(); retries = append(retries, r); mu.Unlock() },
	}
	synctest.Test(t, func(t *testing.T) {
		c := newBubbleClient(t, sim, jira.WithObserver(obs))
		sim.RateLimit(1, time.Second)
		if _, err := c.Project(t.Context(), "HELP"); err != nil {
			t.Fatal(err)
		}
	})
	wantCalls := []jira.Call{{Method: "GET", Endpoint: "/rest/api/3/project/{projectIdOrKey}", Status: 200, Attempts: 2}}
	if diff := cmp.Diff(wantCalls, calls, cmpopts.IgnoreFields(jira.Call{}, "Duration")); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	wantRetries := []jira.Retry{{Method: "GET", Endpoint: "/rest/api/3/project/{projectIdOrKey}", Status: 429, Reason: "jira-burst-based"}}
	if diff := cmp.Diff(wantRetries, retries); diff != "" {
		t.Errorf("retries (-want +got):\n%s", diff)
	}
}

func TestTimeoutIsRetriedThenReported(t *testing.T) {
	t.Parallel()
	sim := jirasim.NewServer(t)
	sim.SetLatency(time.Minute) // Jira hangs
	synctest.Test(t, func(t *testing.T) {
		c := newBubbleClient(t, sim, jira.WithTimeout(5*time.Second), jira.WithMaxRetries(2))
		start := time.Now()
		_, err := c.Project(t.Context(), "HELP")
		var ne interface{ Timeout() bool }
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("err = %v, want a timeout", err)
		}
		if n := len(sim.Requests()); n != 3 {
			t.Errorf("%d attempts, want 3 (a timed-out GET is retried)", n)
		}
		if waited := time.Since(start); waited < 15*time.Second || waited > 20*time.Second {
			t.Errorf("gave up after %v, want three 5s attempts plus short backoffs", waited)
		}
	})
}

// TestObserverRetryOnlyWhenRepeated: Observer.Retry (and the debug log)
// hear of an attempt only when it is really repeated, not of the last
// attempt nor of a 429 whose Retry-After is beyond the wait budget.
func TestObserverRetryOnlyWhenRepeated(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		retryAfter  time.Duration
		wantAttempt int
	}{
		{name: "retries used up", retryAfter: time.Second, wantAttempt: 3},
		{name: "wait beyond budget", retryAfter: time.Hour, wantAttempt: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := jirasim.NewServer(t)
			var (
				mu      sync.Mutex
				retries int
			)
			obs := jira.Observer{Retry: func(jira.Retry) { mu.Lock(); retries++; mu.Unlock() }}
			synctest.Test(t, func(t *testing.T) {
				c := newBubbleClient(t, sim, jira.WithObserver(obs), jira.WithMaxRetries(2))
				sim.RateLimit(10, tt.retryAfter)
				if _, err := c.Project(t.Context(), "HELP"); !errors.Is(err, jira.ErrRateLimited) {
					t.Fatalf("err = %v, want rate limited", err)
				}
			})
			if n := len(sim.Requests()); n != tt.wantAttempt {
				t.Errorf("%d attempts, want %d", n, tt.wantAttempt)
			}
			if retries != tt.wantAttempt-1 {
				t.Errorf("Observer.Retry called %d times for %d attempts, want %d", retries, tt.wantAttempt, tt.wantAttempt-1)
			}
		})
	}
}
