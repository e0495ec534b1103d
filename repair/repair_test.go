package repair_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/repair/repairtest"
)

// newSim returns a simulator seeded with only the scenarios a test uses
// (none: an empty site). A cold diagnosis scans the whole site, every
// scheme with its grants, so a small site means far fewer requests and
// bytes than the default seed of every scenario.
func newSim(t *testing.T, seed ...jirasim.Scenario) *jirasim.Server {
	t.Helper()
	return seeded(t, jirasim.NewServer(t, jirasim.WithSeed(seed...)), seed)
}

// seeds remembers the seed of each simulator seeded made, so that the
// engines made on it (engineOn, newLifecycle) start with the index a scan
// of it would build (warm).
var seeds sync.Map // *jirasim.Server → []jirasim.Scenario

// seeded notes that sim was made with seed and no other option that
// changes what the site holds, and returns it.
func seeded(t *testing.T, sim *jirasim.Server, seed []jirasim.Scenario) *jirasim.Server {
	seeds.Store(sim, seed)
	t.Cleanup(func() { seeds.Delete(sim) })
	return sim
}

// warm returns the option that starts an engine on sim with the index a
// scan of sim would build now (repairtest.WarmIndex), when seeded made sim
// and its site still holds what the seed made. Otherwise it returns no
// option, and the engine's first diagnosis scans.
func warm(t testing.TB, sim *jirasim.Server) []repair.Option {
	t.Helper()
	v, ok := seeds.Load(sim)
	if !ok {
		return nil
	}
	idx := repairtest.WarmIndex(t, sim, v.([]jirasim.Scenario))
	if idx == nil {
		return nil
	}
	return []repair.Option{repair.WithIndexStore(repairtest.NewKeptIndex(idx))}
}

// newEngine returns an engine on a fresh simulator seeded with seed.
func newEngine(t *testing.T, seed ...jirasim.Scenario) (*repair.Engine, *jirasim.Server) {
	t.Helper()
	sim := newSim(t, seed...)
	return engineOn(t, sim), sim
}

// engineOn returns an engine that reaches sim in-process through a client
// with opts, warm when it can be (see warm).
func engineOn(t *testing.T, sim *jirasim.Server, opts ...jira.Option) *repair.Engine {
	t.Helper()
	// In-process by default: no sockets, so much less CPU under -race; a
	// test's own jira.WithHTTPClient (through) comes later and wins.
	opts = append([]jira.Option{jira.WithHTTPClient(sim.Client())}, opts...)
	c, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return repair.New(c, warm(t, sim)...)
}

// through sends a client's requests through rt.
func through(rt http.RoundTripper) jira.Option {
	return jira.WithHTTPClient(&http.Client{Transport: rt})
}

// writes lists the requests that change Jira the simulator received, as
// "METHOD path": every non-GET but the permission check, which only reads.
func writes(sim *jirasim.Server) []string {
	out := []string{}
	for _, r := range sim.Requests() {
		if r.Method != http.MethodGet && r.Path != "/rest/api/3/permissions/check" {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// brief is a finding as "rule severity holder permission".
func brief(d *repair.Diagnosis) []string {
	out := []string{}
	for _, f := range d.Report.Findings {
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s %s", f.Rule, f.Severity, f.Holder.Type, f.Permission)))
	}
	return out
}

func TestScenarios(t *testing.T) {
	t.Parallel()
	const portal = "sd.customer.portal.only"
	tests := []struct {
		key          string
		scenario     jirasim.Scenario
		wantFindings []string
		wantHealthy  bool
		wantShared   []string
		wantMode     diagnosis.Mode // "" when no plan
		wantAdds     int
		wantRemoves  int
	}{
		{key: "HELP", scenario: jirasim.ScenarioHealthy, wantFindings: []string{}, wantHealthy: true, wantShared: []string{}},
		{
			key: "NOPA", scenario: jirasim.ScenarioPortalAccessMissing,
			wantFindings: []string{"portal-access critical " + portal + " BROWSE_PROJECTS", "portal-access critical " + portal + " CREATE_ISSUES"},
			wantShared:   []string{}, wantMode: diagnosis.ModeInPlace, wantAdds: 2,
		},
		{
			key: "NOCR", scenario: jirasim.ScenarioCreateMissing,
			wantFindings: []string{"portal-access critical " + portal + " CREATE_ISSUES"},
			wantShared:   []string{}, wantMode: diagnosis.ModeInPlace, wantAdds: 1,
		},
		{
			key: "CUST", scenario: jirasim.ScenarioCustomersRole,
			wantFindings: []string{
				"portal-access critical " + portal + " BROWSE_PROJECTS", "portal-access critical " + portal + " CREATE_ISSUES",
				"customers-role critical projectRole ADD_COMMENTS", "customers-role critical projectRole BROWSE_PROJECTS", "customers-role critical projectRole CREATE_ISSUES",
			},
			wantShared: []string{}, wantMode: diagnosis.ModeInPlace, wantAdds: 2, wantRemoves: 3,
		},
		{
			key: "ADMN", scenario: jirasim.ScenarioAdminMissing,
			wantFindings: []string{"admin-mandatory critical projectRole ADMINISTER_PROJECTS"},
			wantShared:   []string{}, wantMode: diagnosis.ModeInPlace, wantAdds: 1,
		},
		{
			key: "DRFT", scenario: jirasim.ScenarioDrift,
			wantFindings: []string{
				"default-drift warning projectRole ADD_COMMENTS", "default-drift warning projectRole SERVICEDESK_AGENT",
				"default-drift warning " + portal + " MANAGE_WATCHERS",
			},
			wantHealthy: true, wantShared: []string{},
		},
		{
			key: "SHRA", scenario: jirasim.ScenarioShared,
			wantFindings: []string{"portal-access critical " + portal + " BROWSE_PROJECTS", "portal-access critical " + portal + " CREATE_ISSUES"},
			wantShared:   []string{"SHRB", "SHRC"}, wantMode: diagnosis.ModeCopy, wantAdds: 2,
		},
	}
	// Every scenario on one site, each project beside the others on
	// schemes of their own: SharedWith must tell them apart. One engine
	// diagnoses and repairs them in turn (each repair touches only its
	// project's scheme, or a copy of it), so the site is scanned once.
	var seed []jirasim.Scenario
	for _, tt := range tests {
		seed = append(seed, tt.scenario)
	}
	e, sim := newEngine(t, seed...)
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			ctx := t.Context()
			sim.ResetRequests()
			d, err := e.Diagnose(ctx, tt.key)
			if err != nil {
				t.Fatalf("Diagnose: %v", err)
			}
			if diff := cmp.Diff(tt.wantFindings, brief(d)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if d.Report.Healthy != tt.wantHealthy {
				t.Errorf("Healthy = %v, want %v", d.Report.Healthy, tt.wantHealthy)
			}
			if diff := cmp.Diff(tt.wantShared, d.Snapshot.SharedWith); diff != "" {
				t.Errorf("SharedWith (-want +got):\n%s", diff)
			}
			if tt.wantMode == "" {
				if d.Plan != nil {
					t.Fatalf("Plan = %+v, want none", d.Plan)
				}
				if w := writes(sim); len(w) != 0 {
					t.Errorf("diagnosing wrote to Jira: %v", w)
				}
				return
			}
			if d.Plan == nil || d.Plan.Mode != tt.wantMode || len(d.Plan.AddGrants) != tt.wantAdds || len(d.Plan.RemoveGrants) != tt.wantRemoves {
				t.Fatalf("Plan = %+v, want mode %s with %d adds and %d removes", d.Plan, tt.wantMode, tt.wantAdds, tt.wantRemoves)
			}
			before := map[string]int64{}
			for _, k := range append([]string{tt.key}, tt.wantShared...) {
				before[k], _ = sim.ProjectSchemeID(k)
			}
			othersGrants := map[string]int{}
			for _, k := range tt.wantShared {
				othersGrants[k] = len(sim.SchemeGrants(before[k]))
			}

			sim.ResetRequests()
			res, err := e.Apply(ctx, *d.Plan)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if !res.Verified || !res.After.Report.Healthy {
				t.Errorf("after Apply: Verified %v, findings %v; want healthy", res.Verified, brief(res.After))
			}
			// Exactly the planned writes, nothing else.
			var want []string
			switch tt.wantMode {
			case diagnosis.ModeInPlace:
				for range d.Plan.AddGrants {
					want = append(want, fmt.Sprintf("POST /rest/api/3/permissionscheme/%d/permission", before[tt.key]))
				}
				for _, g := range d.Plan.RemoveGrants {
					want = append(want, fmt.Sprintf("DELETE /rest/api/3/permissionscheme/%d/permission/%d", before[tt.key], g.ID))
				}
			case diagnosis.ModeCopy:
				want = []string{"POST /rest/api/3/permissionscheme", "PUT /rest/api/3/project/" + tt.key + "/permissionscheme"}
			}
			if diff := cmp.Diff(want, writes(sim)); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			if len(res.Applied()) != len(want) {
				t.Errorf("Result lists %d applied changes, want %d", len(res.Applied()), len(want))
			}
			// A copy leaves the shared scheme and its other projects alone.
			for _, k := range tt.wantShared {
				id, _ := sim.ProjectSchemeID(k)
				if id != before[k] || len(sim.SchemeGrants(id)) != othersGrants[k] {
					t.Errorf("%s: scheme %d with %d grants after the repair, want %d with %d", k, id, len(sim.SchemeGrants(id)), before[k], othersGrants[k])
				}
			}
			if tt.wantMode == diagnosis.ModeCopy {
				id, _ := sim.ProjectSchemeID(tt.key)
				if id == before[tt.key] || sim.SchemeName(id) != d.Plan.CopyName {
					t.Errorf("%s uses scheme %d %q, want the new copy %q", tt.key, id, sim.SchemeName(id), d.Plan.CopyName)
				}
			}
		})
	}
}

func TestInPlaceOnSharedScheme(t *testing.T) {
	t.Parallel()
	e, _ := newEngine(t, jirasim.ScenarioShared)
	d, err := e.Diagnose(t.Context(), "SHRA")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := diagnosis.NewPlan(d.Snapshot, diagnosis.ModeInPlace)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"SHRB", "SHRC"}, plan.Affects); diff != "" {
		t.Errorf("Affects (-want +got):\n%s", diff)
	}
	if _, err := e.Apply(t.Context(), plan); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"SHRB", "SHRC"} {
		d, err := e.Diagnose(t.Context(), k)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Report.Healthy {
			t.Errorf("%s is not healthy after the in-place repair of its shared scheme", k)
		}
	}
}

func TestNotApplicable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		key  string
		seed jirasim.Scenario
	}{{"SOFT", jirasim.ScenarioSoftware}, {"TEAM", jirasim.ScenarioTeamManaged}} {
		t.Run(tt.key, func(t *testing.T) {
			t.Parallel()
			e, sim := newEngine(t, tt.seed, jirasim.ScenarioHealthy)
			d, err := e.Diagnose(t.Context(), tt.key)
			if err != nil {
				t.Fatalf("Diagnose: %v", err)
			}
			if d.Report.Applicable || d.Plan != nil || len(d.Report.Findings) != 1 || d.Report.Findings[0].Rule != diagnosis.RuleNotApplicable {
				t.Errorf("report = %+v, plan %v; want one not-applicable finding and no plan", d.Report, d.Plan)
			}
			if w := writes(sim); len(w) != 0 {
				t.Errorf("writes: %v", w)
			}
		})
	}
}

func TestDiagnoseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		key     string
		setup   func(*jirasim.Server)
		wantErr error
		wantPE  string // the permission a *PermissionError names
	}{
		{name: "unknown project", key: "NOPE", wantErr: jira.ErrNotFound},
		{name: "no project admin", key: "NOPA", setup: func(s *jirasim.Server) {
			s.SetProjectPermission("ADMINISTER_PROJECTS", false)
			s.SetGlobalPermission("ADMINISTER", false)
		}, wantPE: "Administer Projects (or Administer Jira)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, sim := newEngine(t, jirasim.ScenarioPortalAccessMissing)
			if tt.setup != nil {
				tt.setup(sim)
			}
			_, err := e.Diagnose(t.Context(), tt.key)
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			var pe *repair.PermissionError
			if tt.wantPE != "" && (!errors.As(err, &pe) || pe.Permission != tt.wantPE) {
				t.Errorf("err = %v, want a PermissionError naming %q", err, tt.wantPE)
			}
		})
	}
}

func TestApplyRefusesStalePlan(t *testing.T) {
	t.Parallel()
	e, sim := newEngine(t, jirasim.ScenarioPortalAccessMissing)
	d, err := e.Diagnose(t.Context(), "NOPA")
	if err != nil {
		t.Fatal(err)
	}
	// Someone grants CREATE_ISSUES by hand after the diagnosis.
	id, _ := sim.ProjectSchemeID("NOPA")
	sim.AddGrants(id, jirasim.Grant{HolderType: "sd.customer.portal.only", Permission: "CREATE_ISSUES"})
	sim.ResetRequests()

	_, err = e.Apply(t.Context(), *d.Plan)
	var stale *repair.StaleError
	if !errors.Is(err, repair.ErrStale) || !errors.As(err, &stale) {
		t.Fatalf("Apply = %v, want ErrStale", err)
	}
	if w := writes(sim); len(w) != 0 {
		t.Errorf("a stale plan wrote %v", w)
	}
	if got := brief(stale.Fresh); !slices.Equal(got, []string{"portal-access critical sd.customer.portal.only BROWSE_PROJECTS"}) {
		t.Errorf("fresh diagnosis = %v, want only BROWSE_PROJECTS missing", got)
	}
}

// hookTransport runs before on each request, then sends it on.
type hookTransport struct {
	next   http.RoundTripper
	before func(*http.Request) (*http.Response, bool)
}

func (h hookTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if resp, done := h.before(r); done {
		return resp, nil
	}
	return h.next.RoundTrip(r)
}

func TestApplyTreatsExistingGrantAsDone(t *testing.T) {
	t.Parallel()
	sim := newSim(t, jirasim.ScenarioPortalAccessMissing)
	id, _ := sim.ProjectSchemeID("NOPA")
	var raced atomic.Bool
	// Between the digest check and the first POST, another admin adds the
	// same grant: Jira answers the POST with 400.
	e := engineOn(t, sim, through(hookTransport{next: sim.Client().Transport, before: func(r *http.Request) (*http.Response, bool) {
		if r.Method == http.MethodPost && !raced.Swap(true) {
			sim.AddGrants(id, jirasim.Grant{HolderType: "sd.customer.portal.only", Permission: "BROWSE_PROJECTS"})
		}
		return nil, false
	}}))
	d, err := e.Diagnose(t.Context(), "NOPA")
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Apply(t.Context(), *d.Plan)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if !res.Verified || !res.Changes[0].Done || !res.Changes[0].AlreadyDone || res.Changes[1].AlreadyDone {
		t.Errorf("changes = %+v, verified %v; want the first already done, the second made", res.Changes, res.Verified)
	}
}

func TestApplyReportsPartialFailure(t *testing.T) {
	t.Parallel()
	sim := newSim(t, jirasim.ScenarioCustomersRole)
	var posts atomic.Int32
	// The second grant POST fails with a 500: not retried (it is a POST),
	// and the third change is not attempted.
	e := engineOn(t, sim, through(hookTransport{next: sim.Client().Transport, before: func(r *http.Request) (*http.Response, bool) {
		if r.Method == http.MethodPost && posts.Add(1) == 2 {
			return &http.Response{StatusCode: 500, Header: http.Header{}, Body: http.NoBody, Request: r}, true
		}
		return nil, false
	}}))
	d, err := e.Diagnose(t.Context(), "CUST")
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Apply(t.Context(), *d.Plan)
	if err == nil {
		t.Fatal("Apply succeeded, want the injected failure")
	}
	var got []string
	for _, ch := range res.Changes {
		state := "not attempted"
		switch {
		case ch.Err != nil:
			state = "failed"
		case ch.Done:
			state = "done"
		}
		got = append(got, ch.Step+" "+ch.Grant.Permission+" "+state)
	}
	want := []string{
		"add-grant BROWSE_PROJECTS done", "add-grant CREATE_ISSUES failed",
		"remove-grant ADD_COMMENTS not attempted", "remove-grant BROWSE_PROJECTS not attempted", "remove-grant CREATE_ISSUES not attempted",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	id, _ := sim.ProjectSchemeID("CUST")
	portal := 0
	for _, g := range sim.SchemeGrants(id) {
		if g.HolderType == "sd.customer.portal.only" && (g.Permission == "BROWSE_PROJECTS" || g.Permission == "CREATE_ISSUES") {
			portal++
		}
	}
	if portal != 1 {
		t.Errorf("Jira holds %d of the portal grants, want exactly the 1 reported done", portal)
	}
}

func TestApplyWithoutAdministerJira(t *testing.T) {
	t.Parallel()
	e, sim := newEngine(t, jirasim.ScenarioPortalAccessMissing)
	d, err := e.Diagnose(t.Context(), "NOPA")
	if err != nil {
		t.Fatal(err)
	}
	sim.SetGlobalPermission("ADMINISTER", false)
	_, err = e.Apply(t.Context(), *d.Plan)
	var pe *repair.PermissionError
	if !errors.As(err, &pe) || pe.Permission != "Administer Jira" {
		t.Fatalf("Apply = %v, want a PermissionError naming Administer Jira", err)
	}
	id, _ := sim.ProjectSchemeID("NOPA")
	for _, g := range sim.SchemeGrants(id) {
		if g.HolderType == "sd.customer.portal.only" && g.Permission == "BROWSE_PROJECTS" {
			t.Error("a grant was added without Administer Jira")
		}
	}
}

// lostAnswerTransport sends the first request lose picks on to Jira, then
// drops Jira's answer and reports a broken connection: the write was
// applied but the client cannot know.
type lostAnswerTransport struct {
	next http.RoundTripper
	lose func(*http.Request) bool
	lost atomic.Bool
}

func (l *lostAnswerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(r)
	if err == nil && l.lose(r) && !l.lost.Swap(true) {
		resp.Body.Close()
		return nil, io.ErrUnexpectedEOF
	}
	return resp, err
}

// TestApplyResolvesLostAnswers: a grant POST or DELETE that Jira applied but
// whose answer was lost is reported as done, since Jira holds it, and the
// plan goes on; it is not sent twice.
func TestApplyResolvesLostAnswers(t *testing.T) {
	t.Parallel()
	for _, method := range []string{http.MethodPost, http.MethodDelete} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, jirasim.ScenarioCustomersRole)
			tr := &lostAnswerTransport{next: sim.Client().Transport, lose: func(r *http.Request) bool { return r.Method == method }}
			e := engineOn(t, sim, through(tr), jira.WithMaxRetries(0))
			d, err := e.Diagnose(t.Context(), "CUST")
			if err != nil {
				t.Fatal(err)
			}
			res, err := e.Apply(t.Context(), *d.Plan)
			if err != nil {
				t.Fatalf("Apply: %v (changes %+v)", err, res.Changes)
			}
			if !res.Verified || len(res.Applied()) != len(res.Changes) {
				t.Errorf("changes = %+v, verified %v; want all done and verified", res.Changes, res.Verified)
			}
			n := 0
			for _, w := range writes(sim) {
				if strings.HasPrefix(w, method+" ") {
					n++
				}
			}
			want := map[string]int{http.MethodPost: 2, http.MethodDelete: 3}[method]
			if n != want {
				t.Errorf("%d %s requests, want %d (none sent twice)", n, method, want)
			}
		})
	}
}

// TestApplyCopyResolvesLostCreate: when the answer to creating the copy is
// lost, Jira may hold the copy all the same; Apply finds it by its name,
// assigns it, and reports it, instead of failing and leaving it orphaned.
func TestApplyCopyResolvesLostCreate(t *testing.T) {
	t.Parallel()
	sim := newSim(t, jirasim.ScenarioShared)
	tr := &lostAnswerTransport{next: sim.Client().Transport, lose: func(r *http.Request) bool {
		return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/rest/api/3/permissionscheme")
	}}
	e := engineOn(t, sim, through(tr))
	d, err := e.Diagnose(t.Context(), "SHRA")
	if err != nil {
		t.Fatal(err)
	}
	if d.Plan == nil || d.Plan.Mode != diagnosis.ModeCopy {
		t.Fatalf("plan = %+v, want a copy plan", d.Plan)
	}
	res, err := e.Apply(t.Context(), *d.Plan)
	if err != nil {
		t.Fatalf("Apply: %v (changes %+v)", err, res.Changes)
	}
	if !res.Verified || len(res.Applied()) != 2 {
		t.Errorf("changes = %+v, verified %v; want the copy created, assigned and verified", res.Changes, res.Verified)
	}
	id, _ := sim.ProjectSchemeID("SHRA")
	if got := sim.SchemeName(id); got != d.Plan.CopyName || res.Changes[0].SchemeID != id {
		t.Errorf("SHRA uses scheme %d %q, reported %d; want the copy %q", id, got, res.Changes[0].SchemeID, d.Plan.CopyName)
	}
	n := 0
	for _, w := range writes(sim) {
		if strings.HasPrefix(w, "POST ") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d scheme POSTs, want 1 (never sent twice)", n)
	}
}

// TestApplyCopyBody: the copy holds exactly the grants diagnosis.ApplyTo
// computes from the scheme it copies, and the grants it keeps keep every
// field of their holder (a group's id as well as its name).
func TestApplyCopyBody(t *testing.T) {
	t.Parallel()
	e, sim := newEngine(t, jirasim.ScenarioShared)
	shared, _ := sim.ProjectSchemeID("SHRA")
	sim.AddGrants(shared,
		jirasim.Grant{HolderType: "projectRole", HolderParameter: fmt.Sprint(jirasim.RoleServiceDeskCustomers), Permission: "BROWSE_PROJECTS"},
		jirasim.Grant{HolderType: "group", HolderParameter: "jira-servicedesk-users", HolderValue: "8a9c7b1e-group-id", Permission: "ADD_COMMENTS"},
	)
	d, err := e.Diagnose(t.Context(), "SHRA")
	if err != nil {
		t.Fatal(err)
	}
	if d.Plan == nil || d.Plan.Mode != diagnosis.ModeCopy || len(d.Plan.RemoveGrants) != 1 {
		t.Fatalf("plan = %+v, want a copy plan that removes the customers-role grant", d.Plan)
	}
	if _, err := e.Apply(t.Context(), *d.Plan); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	type grant struct{ Type, Parameter, Value, Permission string }
	var want []grant
	for _, g := range diagnosis.ApplyTo(d.Snapshot.Scheme.Grants, *d.Plan) {
		value := g.Holder.Parameter
		if g.Holder.Type == "group" {
			value = "8a9c7b1e-group-id"
		}
		want = append(want, grant{g.Holder.Type, g.Holder.Parameter, value, g.Permission})
	}
	copyID, _ := sim.ProjectSchemeID("SHRA")
	var got []grant
	for _, g := range sim.SchemeGrants(copyID) {
		got = append(got, grant{g.HolderType, g.HolderParameter, g.HolderValue, g.Permission})
	}
	less := func(a, b grant) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) }
	slices.SortFunc(want, less)
	slices.SortFunc(got, less)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the copy's grants (-ApplyTo +got):\n%s", diff)
	}
}
