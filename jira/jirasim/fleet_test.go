package jirasim_test

import (
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/internal/fakeclock"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// layout is what a test can see of a site: per project, its scheme's name
// ("" for team-managed) and type, and whether its scheme can be read.
func layout(t *testing.T, s *jirasim.Server) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, k := range s.ProjectKeys() {
		p, _ := s.Project(k)
		desc := p.TypeKey
		if id, ok := s.ProjectSchemeID(k); ok {
			desc += " on " + s.SchemeName(id)
		} else {
			desc += " team-managed"
		}
		if p.Unreadable {
			desc += ", unreadable"
		}
		out[k] = desc
	}
	return out
}

func TestFleet(t *testing.T) {
	t.Parallel()
	f := jirasim.Fleet{Projects: 100, Schemes: 10}
	s := jirasim.NewServer(t, jirasim.WithFleet(f), jirasim.WithPageSize(100))
	got := layout(t, s)

	// Deterministic: the same fleet twice is the same site.
	if diff := cmp.Diff(got, layout(t, jirasim.NewServer(t, jirasim.WithFleet(f)))); diff != "" {
		t.Errorf("two sites of one fleet differ (-first +second):\n%s", diff)
	}

	count := map[string]int{}
	unreadable := 0
	for _, d := range got {
		count[d]++
		if strings.HasSuffix(d, ", unreadable") {
			unreadable++
		}
	}
	for d, n := range map[string]int{"service_desk team-managed": 5, "software on Fleet software scheme": 5} {
		if count[d] != n {
			t.Errorf("%d projects are %q, want %d", count[d], d, n)
		}
	}
	if unreadable != 5 {
		t.Errorf("%d unreadable projects, want 5", unreadable)
	}
	if len(got) != 100 {
		t.Errorf("%d projects, want 100", len(got))
	}
	// 9 JSM schemes with 10 service projects each, and the software scheme.
	perScheme := map[string]int{}
	for _, k := range s.ProjectKeys() {
		if id, ok := s.ProjectSchemeID(k); ok {
			perScheme[s.SchemeName(id)]++
		}
	}
	for j := range 9 {
		if n := perScheme[jirasim.FleetSchemeName(j)]; n != 10 {
			t.Errorf("%s has %d projects, want 10", jirasim.FleetSchemeName(j), n)
		}
	}
	if n := len(s.SchemeIDs()); n != 11 {
		t.Errorf("%d schemes, want 10 and the default", n)
	}

	// The kinds of JSM scheme: j mod 4 = 0 lacks both critical grants, 2
	// lacks create, the others are whole.
	portal := func(key string) []string {
		id, _ := s.ProjectSchemeID(key)
		var out []string
		for _, g := range s.SchemeGrants(id) {
			if g.HolderType == "sd.customer.portal.only" && (g.Permission == "BROWSE_PROJECTS" || g.Permission == "CREATE_ISSUES") {
				out = append(out, g.Permission)
			}
		}
		slices.Sort(out)
		return out
	}
	for j, want := range [][]string{nil, {"BROWSE_PROJECTS", "CREATE_ISSUES"}, {"BROWSE_PROJECTS"}, {"BROWSE_PROJECTS", "CREATE_ISSUES"}} {
		key := jirasim.FleetKey(j) // projects 0..3 take JSM schemes 0..3
		if diff := cmp.Diff(want, portal(key)); diff != "" {
			t.Errorf("%s (scheme %d) Portal Access mismatch (-want +got):\n%s", key, j, diff)
		}
	}

	// On the wire: the unreadable project's scheme is a 403, the others'
	// are not; the team-managed project has none.
	for key, status := range map[string]int{jirasim.FleetKey(0): 200, jirasim.FleetKey(17): 403, jirasim.FleetKey(19): 404, jirasim.FleetKey(18): 200} {
		wantStatus(t, key, do(t, s, "GET", "/rest/api/3/project/"+key+"/permissionscheme", ""), status)
	}
	if desks := decode[obj](t, do(t, s, "GET", "/rest/servicedeskapi/servicedesk?limit=100", "").Body); fmt.Sprint(desks["size"]) != "95" {
		t.Errorf("first desk page has %v desks, want the 95 service projects", desks["size"])
	}
}

func TestFleetInvalid(t *testing.T) {
	t.Parallel()
	for _, f := range []jirasim.Fleet{{Projects: 0, Schemes: 1}, {Projects: 1, Schemes: 0}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(WithFleet(%+v)) did not panic", f)
				}
			}()
			jirasim.New(jirasim.WithFleet(f)).Close()
		}()
	}
}

// TestBurstLimits: each endpoint and method has its own token bucket, 100
// per second for GETs and 5 for a desk's customers; an empty bucket answers
// 429 as Jira does, and refills on the simulator's clock.
func TestBurstLimits(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New()
	s := jirasim.NewServer(t, jirasim.WithBurstLimits(), jirasim.WithClock(clock.Now))
	c := s.Client()
	get := func(path string, opts ...reqOpt) response {
		return send(t, c, newRequest(t, s, "GET", path, "", opts...))
	}
	keys := []string{"HELP", "NOPA", "NOCR", "CUST"}
	for i := range 100 {
		if r := get("/rest/api/3/project/" + keys[i%len(keys)]); r.Status != 200 {
			t.Fatalf("GET %d of 100 = %d, want 200", i+1, r.Status)
		}
	}
	r := get("/rest/api/3/project/SOFT") // another project, the same endpoint
	wantStatus(t, "101st GET", r, 429)
	want := map[string]string{"Retry-After": "1", "X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0",
		"X-RateLimit-Reset": fakeclock.Start.Add(10 * time.Millisecond).Format(time.RFC3339), "RateLimit-Reason": "jira-burst-based"}
	for h, v := range want {
		if got := r.Header.Get(h); got != v {
			t.Errorf("%s = %q, want %q", h, got, v)
		}
	}
	if e := decode[platformError](t, r.Body); len(e.ErrorMessages) == 0 {
		t.Errorf("429 body %s, want the ErrorCollection", r.Body)
	}
	wantStatus(t, "another endpoint", get("/rest/api/3/permissionscheme"), 200)
	wantStatus(t, "another method", send(t, c, newRequest(t, s, "POST", "/rest/api/3/permissions/check", `{"projectPermissions":[{"permissions":["BROWSE_PROJECTS"],"projects":[10000]}]}`)), 200)

	clock.Advance(10 * time.Millisecond) // one token back
	wantStatus(t, "after 10ms", get("/rest/api/3/project/HELP"), 200)
	wantStatus(t, "and again", get("/rest/api/3/project/HELP"), 429)

	for i := range 5 {
		wantStatus(t, "customers "+strconv.Itoa(i), get("/rest/servicedeskapi/servicedesk/HELP/customer", experimental), 200)
	}
	r = get("/rest/servicedeskapi/servicedesk/NOPA/customer", experimental)
	wantStatus(t, "6th customers read", r, 429)
	if r.Header.Get("X-RateLimit-Limit") != "5" {
		t.Errorf("customers limit = %q, want 5", r.Header.Get("X-RateLimit-Limit"))
	}
	if e := decode[jsmError](t, r.Body); e.ErrorMessage == "" {
		t.Errorf("JSM 429 body %s, want the ErrorResponse", r.Body)
	}
	clock.Advance(200 * time.Millisecond)
	wantStatus(t, "customers after 200ms", get("/rest/servicedeskapi/servicedesk/NOPA/customer", experimental), 200)

	if n := s.BurstRejections(); n != 3 {
		t.Errorf("BurstRejections = %d, want 3", n)
	}
	s.SetBurstLimits(false)
	for range 200 {
		if r := get("/rest/api/3/project/HELP"); r.Status != 200 {
			t.Fatalf("with burst limits off: %d", r.Status)
		}
	}
}

// TestBurstLimitsOffByDefault: a site without WithBurstLimits serves any
// burst.
func TestBurstLimitsOffByDefault(t *testing.T) {
	t.Parallel()
	s := jirasim.NewServer(t)
	c := s.Client()
	for i := range 20 {
		if r := send(t, c, newRequest(t, s, "GET", "/rest/servicedeskapi/servicedesk/HELP/customer", "", experimental)); r.Status != http.StatusOK {
			t.Fatalf("request %d = %d", i, r.Status)
		}
	}
}

// BenchmarkFleetSite builds a 5,000-project site on 100 schemes and reports
// the heap it keeps (live-MB).
func BenchmarkFleetSite(b *testing.B) {
	b.ReportAllocs()
	var before, after runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := jirasim.New(jirasim.WithFleet(jirasim.Fleet{Projects: 5000, Schemes: 100}))
		runtime.GC()
		runtime.ReadMemStats(&after)
		s.Close()
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "live-MB")
}
