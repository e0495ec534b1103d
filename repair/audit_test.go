package repair_test

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
)

// newFleet returns a simulator seeded with a fleet, one page of projects
// per 100 (Jira's own page size).
func newFleet(t testing.TB, f jirasim.Fleet, opts ...jirasim.Option) *jirasim.Server {
	t.Helper()
	return jirasim.NewServer(t, append([]jirasim.Option{jirasim.WithFleet(f), jirasim.WithPageSize(100)}, opts...)...)
}

// bubbleEngine returns an engine that reaches sim in-process, for a
// synctest bubble (sim must be made outside it).
func bubbleEngine(t *testing.T, sim *jirasim.Server, opts ...repair.Option) *repair.Engine {
	t.Helper()
	c, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken, jira.WithHTTPClient(sim.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return repair.New(c, opts...)
}

// fleetLayout is what the simulator says an audit must find: the service
// projects of each scheme by name, and the unchecked and not applicable
// projects.
type fleetLayout struct {
	schemes       map[string][]string
	broken        map[string]bool
	unchecked     []string
	notApplicable []string
}

func layoutOf(sim *jirasim.Server) fleetLayout {
	l := fleetLayout{schemes: map[string][]string{}, broken: map[string]bool{}, unchecked: []string{}, notApplicable: []string{}}
	for _, k := range sim.ProjectKeys() {
		p, _ := sim.Project(k)
		switch {
		case p.TeamManaged:
			l.notApplicable = append(l.notApplicable, k)
		case p.Unreadable:
			l.unchecked = append(l.unchecked, k)
		case p.TypeKey == jirasim.TypeServiceDesk:
			id, _ := sim.ProjectSchemeID(k)
			name := sim.SchemeName(id)
			l.schemes[name] = append(l.schemes[name], k)
			have := map[string]bool{}
			for _, g := range sim.SchemeGrants(id) {
				if g.HolderType == portal {
					have[g.Permission] = true
				}
			}
			l.broken[name] = !have["BROWSE_PROJECTS"] || !have["CREATE_ISSUES"]
		}
	}
	return l
}

// layoutOfReport is the same, as an audit report says it.
func layoutOfReport(r *repair.AuditReport) fleetLayout {
	l := fleetLayout{schemes: map[string][]string{}, broken: map[string]bool{}, unchecked: []string{}, notApplicable: []string{}}
	for _, s := range r.Schemes {
		for _, p := range s.Projects {
			l.schemes[s.Name] = append(l.schemes[s.Name], p.Key)
		}
		l.broken[s.Name] = !s.Healthy
	}
	for _, p := range r.Unchecked {
		l.unchecked = append(l.unchecked, p.Key)
	}
	for _, p := range r.NotApplicable {
		l.notApplicable = append(l.notApplicable, p.Key)
	}
	return l
}

var allowLayout = cmp.AllowUnexported(fleetLayout{})

// TestAudit: the audit lists every scheme with exactly its service
// projects, broken ones first, with the unreadable projects unchecked and
// the team-managed ones not applicable, in about one Jira call per
// project; each scheme's findings and plan are exactly what a diagnosis of
// one of its projects says.
func TestAudit(t *testing.T) {
	t.Parallel()
	// Two pages of projects: pages of 20 instead of Jira's 100 make two
	// pages of 40 projects, two of each kind.
	const n = 40
	// Three JSM schemes, one of each kind (lacking both Portal Access
	// grants, healthy, lacking CREATE_ISSUES), and the software scheme.
	sim := newFleet(t, jirasim.Fleet{Projects: n, Schemes: 4}, jirasim.WithPageSize(20))
	// In a bubble, the client's pacing of the scheme reads takes no real
	// time.
	synctest.Test(t, func(t *testing.T) { testAudit(t, sim, n) })
}

func testAudit(t *testing.T, sim *jirasim.Server, n int) {
	e := bubbleEngine(t, sim)
	var (
		mu       sync.Mutex
		progress [][2]int
	)
	r, err := e.Audit(t.Context(), repair.AuditOptions{Progress: func(done, total int) {
		mu.Lock()
		progress = append(progress, [2]int{done, total})
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	calls := len(sim.Requests())

	if diff := cmp.Diff(layoutOf(sim), layoutOfReport(r), allowLayout); diff != "" {
		t.Errorf("audit layout (-want +got):\n%s", diff)
	}
	if max := n*105/100 + 10; calls > max {
		t.Errorf("the audit made %d Jira calls for %d projects, want at most %d", calls, n, max)
	}
	if !slices.IsSortedFunc(r.Schemes, func(a, b repair.AuditScheme) int {
		return boolRank(a.Healthy) - boolRank(b.Healthy)
	}) {
		t.Errorf("schemes are not broken first: %v", names(r))
	}
	// 3 JSM schemes, those with j mod 4 = 0 or 2 broken (2 of them);
	// one project in 20 unreadable, one team-managed.
	l := layoutOf(sim)
	broken := 0
	for name, keys := range l.schemes {
		if l.broken[name] {
			broken += len(keys)
		}
	}
	wantSummary := repair.AuditSummary{Projects: n * 17 / 20, Schemes: 3, BrokenProjects: broken, BrokenSchemes: 2, Unchecked: n / 20, NotApplicable: n / 20,
		Text: strconv.Itoa(broken) + " projects on 2 schemes lack Portal Access grants; " + strconv.Itoa(n/20) + " projects could not be checked"}
	if diff := cmp.Diff(wantSummary, r.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}

	// One scheme, diagnosed once, says what diagnosing its project says.
	ids := map[int64]bool{}
	for _, s := range r.Schemes {
		if ids[s.ID] {
			t.Errorf("scheme %d listed twice", s.ID)
		}
		ids[s.ID] = true
		d, err := e.Diagnose(t.Context(), s.Projects[len(s.Projects)-1].Key)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(d.Report.Findings, s.Findings); diff != "" {
			t.Errorf("%s: findings differ from a diagnosis of %s (-diagnosis +audit):\n%s", s.Name, d.Snapshot.Project.Key, diff)
		}
		if s.Healthy {
			if s.Plan != nil {
				t.Errorf("%s is healthy but has a plan", s.Name)
			}
			continue
		}
		d, err = e.Diagnose(t.Context(), s.Plan.ProjectKey)
		if err != nil {
			t.Fatal(err)
		}
		want, err := diagnosis.NewPlan(d.Snapshot, diagnosis.ModeInPlace)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, *s.Plan); diff != "" {
			t.Errorf("%s: plan differs from the in-place plan of a diagnosis (-diagnosis +audit):\n%s", s.Name, diff)
		}
	}

	mu.Lock()
	defer mu.Unlock()
	last := progress[len(progress)-1]
	if last != [2]int{n, n} || !slices.IsSortedFunc(progress, func(a, b [2]int) int { return a[0] - b[0] }) {
		t.Errorf("progress ends at %v after %d reports, want done rising to %d of %d", last, len(progress), n, n)
	}
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func names(r *repair.AuditReport) []string {
	var out []string
	for _, s := range r.Schemes {
		out = append(out, s.Name)
	}
	return out
}

// TestAuditJSON: the report is one object with the contract's keys, and
// findings and plans in the shapes diagnose --json uses.
func TestAuditJSON(t *testing.T) {
	t.Parallel()
	sim := newFleet(t, jirasim.Fleet{Projects: 20, Schemes: 2})
	r, err := engineOn(t, sim).Audit(t.Context(), repair.AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"builtAt", "notApplicable", "rolesFrom", "schemes", "summary", "unchecked"}, slices.Sorted(maps.Keys(top))); diff != "" {
		t.Errorf("top-level keys (-want +got):\n%s", diff)
	}
	var schemes []map[string]json.RawMessage
	if err := json.Unmarshal(top["schemes"], &schemes); err != nil {
		t.Fatal(err)
	}
	first := schemes[0]
	if diff := cmp.Diff([]string{"findings", "healthy", "id", "name", "otherProjects", "plan", "projects"}, slices.Sorted(maps.Keys(first))); diff != "" {
		t.Errorf("scheme keys (-want +got):\n%s", diff)
	}
	// The shapes of diagnose --json: a finding and a plan decode into the
	// diagnosis types and marshal back to the same bytes.
	var fs []diagnosis.Finding
	var plan diagnosis.Plan
	if err := json.Unmarshal(first["findings"], &fs); err != nil || len(fs) == 0 {
		t.Fatalf("findings %s: %v", first["findings"], err)
	}
	if err := json.Unmarshal(first["plan"], &plan); err != nil || plan.Mode != diagnosis.ModeInPlace {
		t.Fatalf("plan %s: %v, want an in-place plan", first["plan"], err)
	}
	if again, _ := json.Marshal(plan); string(again) != string(first["plan"]) {
		t.Errorf("plan JSON %s is not the diagnosis.Plan shape (%s)", first["plan"], again)
	}
	for _, key := range []string{"unchecked", "notApplicable"} {
		if !strings.Contains(string(top[key]), `"reason":`) {
			t.Errorf("%s = %s, want each project with its reason", key, top[key])
		}
	}
}

// TestPlanSchemeRepairsEveryProject: the scheme plan, applied with Apply,
// adds exactly the missing grants to that scheme, once, and every project
// on it is then healthy; planning again finds nothing to repair.
func TestPlanSchemeRepairsEveryProject(t *testing.T) {
	t.Parallel()
	sim := newFleet(t, jirasim.Fleet{Projects: 20, Schemes: 5})
	e := engineOn(t, sim)
	broken, _ := sim.ProjectSchemeID(jirasim.FleetKey(0)) // JSM scheme 0 lacks both grants
	as, err := e.PlanScheme(t.Context(), broken)
	if err != nil {
		t.Fatal(err)
	}
	if as.Plan == nil || as.Plan.Mode != diagnosis.ModeInPlace || len(as.Plan.AddGrants) != 2 || len(as.Plan.Affects) != len(as.Projects)-1 {
		t.Fatalf("plan = %+v for %d projects, want an in-place plan adding 2 grants affecting the others", as.Plan, len(as.Projects))
	}
	sim.ResetRequests()
	res, err := e.Apply(t.Context(), *as.Plan)
	if err != nil || !res.Verified {
		t.Fatalf("Apply: %v, verified %v", err, res != nil && res.Verified)
	}
	want := []string{"POST /rest/api/3/permissionscheme/" + itoa(broken) + "/permission", "POST /rest/api/3/permissionscheme/" + itoa(broken) + "/permission"}
	if diff := cmp.Diff(want, writes(sim)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if n := searches(sim); n != 0 {
		t.Errorf("applying made %d project searches, want 0 (no rescan)", n)
	}
	for _, p := range as.Projects {
		d, err := e.Diagnose(t.Context(), p.Key)
		if err != nil || !d.Report.Healthy {
			t.Errorf("%s after the scheme repair: %v, healthy %v", p.Key, err, err == nil && d.Report.Healthy)
		}
	}
	again, err := e.PlanScheme(t.Context(), broken)
	if err != nil || again.Plan != nil || !again.Healthy {
		t.Errorf("PlanScheme again = %+v, %v; want healthy with no plan", again, err)
	}

	software, _ := sim.ProjectSchemeID(jirasim.FleetKey(18))
	for _, id := range []int64{software, 999999} {
		if _, err := e.PlanScheme(t.Context(), id); !errors.Is(err, repair.ErrNoServiceProject) {
			t.Errorf("PlanScheme(%d) = %v, want ErrNoServiceProject", id, err)
		}
	}
}

// searches counts the project searches (pages of a scan) sim received.
func searches(sim *jirasim.Server) int {
	n := 0
	for _, r := range sim.Requests() {
		if r.Path == "/rest/api/3/project/search" {
			n++
		}
	}
	return n
}

// schemeReads counts the per-project scheme reads of a scan (without the
// grants a diagnosis asks for).
func schemeReads(sim *jirasim.Server) int {
	n := 0
	for _, r := range sim.Requests() {
		if r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/permissionscheme") && strings.HasPrefix(r.Path, "/rest/api/3/project/") && r.Query.Get("expand") == "" {
			n++
		}
	}
	return n
}

// TestConcurrentColdDiagnosesShareOneScan: 8 diagnoses at once on a cold
// engine and a site with Jira's burst limits make one scan, not 8, and
// every one succeeds without a 429. 120 projects show the mechanism: two
// pages of projects, and more reads of the per-project scheme endpoint
// (114 for the scan, 8 for the diagnoses) than Jira's bucket of 100
// holds, so they pass only paced. Two JSM schemes (one broken, one
// healthy) and the software scheme are enough for the diagnoses to land on
// different shared schemes; each scheme more is only more JSON in the
// scan. BenchmarkConcurrentColdDiagnoses checks the case, 50
// diagnoses on 1,000 projects.
func TestConcurrentColdDiagnosesShareOneScan(t *testing.T) {
	t.Parallel()
	const n = 120
	sim := newFleet(t, jirasim.Fleet{Projects: n, Schemes: 3}, jirasim.WithBurstLimits(), jirasim.WithLatency(20*time.Millisecond))
	synctest.Test(t, func(t *testing.T) {
		concurrentColdDiagnoses(t, bubbleEngine(t, sim), sim, n, 8)
	})
	checkOneScan(t, sim, n)
}

// coldDiagnoses runs the 50 diagnoses at once (see
// concurrentColdDiagnoses).
func coldDiagnoses(tb testing.TB, e *repair.Engine, sim *jirasim.Server, n int) {
	tb.Helper()
	concurrentColdDiagnoses(tb, e, sim, n, 50)
}

// concurrentColdDiagnoses runs k diagnoses at once on e, spread over the
// readable service projects of sim's n-project fleet, and checks that each
// succeeds and lists the other readable projects on its scheme.
func concurrentColdDiagnoses(tb testing.TB, e *repair.Engine, sim *jirasim.Server, n, k int) {
	tb.Helper()
	// The diagnosed projects, and the readable projects on each scheme.
	var keys []string
	onScheme := map[int64]int{}
	for i := range n {
		k := jirasim.FleetKey(i)
		if i%20 < 17 {
			keys = append(keys, k)
		}
		if id, ok := sim.ProjectSchemeID(k); ok && i%20 != 17 {
			onScheme[id]++
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, k)
	shared := make([]int, k)
	for i := range k {
		wg.Go(func() {
			d, err := e.Diagnose(tb.Context(), keys[i*len(keys)/k])
			if errs[i] = err; err == nil {
				shared[i] = len(d.Snapshot.SharedWith)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			tb.Errorf("diagnosis %d: %v", i, err)
		}
	}
	for i, s := range shared {
		key := keys[i*len(keys)/k]
		id, _ := sim.ProjectSchemeID(key)
		if want := onScheme[id] - 1; s != want {
			tb.Errorf("%s shares its scheme with %d projects, want %d", key, s, want)
		}
	}
}

// checkOneScan checks that sim's n-project fleet saw one scan (one search
// per page of 100, one scheme read per company-managed project) and no
// request refused by the burst limits.
func checkOneScan(tb testing.TB, sim *jirasim.Server, n int) {
	tb.Helper()
	if got, want := searches(sim), (n+99)/100; got != want {
		tb.Errorf("%d project searches, want %d (one scan)", got, want)
	}
	if got, want := schemeReads(sim), n*19/20; got != want {
		tb.Errorf("%d per-project scheme reads, want %d (one per company-managed project, once)", got, want)
	}
	if got := sim.BurstRejections(); got != 0 {
		tb.Errorf("%d requests refused by Jira's burst limits, want 0", got)
	}
}

// TestAuditStorm: when every call is answered 429 with Retry-After: 2 for
// 10 seconds, at the start of the audit or in the middle of its scan, the
// audit waits it out and reports the same as in calm weather.
func TestAuditStorm(t *testing.T) {
	t.Parallel()
	// 60 projects: 57 paced scheme reads, a burst of 42 and then 85 a
	// second, a scan of about 200ms in fake time, so a storm at 100ms hits
	// it mid-scan (the reads before and after it are checked below).
	f := jirasim.Fleet{Projects: 60, Schemes: 3}
	calmSim := newFleet(t, f)
	var calm *repair.AuditReport
	synctest.Test(t, func(t *testing.T) { // paced in fake time
		var err error
		if calm, err = bubbleEngine(t, calmSim).Audit(t.Context(), repair.AuditOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	for _, tt := range []struct {
		name  string
		start time.Duration
	}{
		{name: "from the start", start: 0},
		{name: "mid-scan", start: 100 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newFleet(t, f, jirasim.WithBurstLimits(), jirasim.WithLatency(20*time.Millisecond))
			synctest.Test(t, func(t *testing.T) {
				e := bubbleEngine(t, sim)
				storm := func() { sim.RateLimit(1<<30, 2*time.Second) }
				if tt.start == 0 {
					storm()
				} else {
					time.AfterFunc(tt.start, storm)
				}
				time.AfterFunc(tt.start+10*time.Second, func() { sim.RateLimit(0, 0) })
				start := time.Now()
				r, err := e.Audit(t.Context(), repair.AuditOptions{})
				if err != nil {
					t.Fatalf("Audit in a storm: %v", err)
				}
				if took := time.Since(start); took < tt.start+10*time.Second {
					t.Errorf("the audit took %v, want at least the storm's end (%v)", took, tt.start+10*time.Second)
				}
				if diff := cmp.Diff(calm, r, cmpopts.IgnoreFields(repair.AuditReport{}, "BuiltAt")); diff != "" {
					t.Errorf("report after a storm differs from the calm one (-calm +storm):\n%s", diff)
				}
			})
			stormed, readBefore, readAfter := 0, false, false
			for _, r := range sim.Requests() {
				isRead := r.Status == http.StatusOK && strings.HasSuffix(r.Path, "/permissionscheme") && strings.HasPrefix(r.Path, "/rest/api/3/project/")
				switch {
				case r.Status == http.StatusTooManyRequests:
					stormed++
				case isRead && stormed == 0:
					readBefore = true
				case isRead:
					readAfter = true
				}
			}
			if stormed == 0 {
				t.Error("no request was answered 429: there was no storm")
			}
			if tt.start > 0 && (!readBefore || !readAfter) {
				t.Errorf("scheme reads answered before the storm: %v, after it: %v; want both (a storm mid-scan)", readBefore, readAfter)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
