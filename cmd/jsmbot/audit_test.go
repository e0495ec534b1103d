package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
)

// testFleet is the small fleet the audit tests run on: 40 projects (two of
// each kind: unreadable, software, team-managed, so the summaries speak in
// plurals; the rest readable) on 5 JSM schemes (3 of them broken) and a
// software scheme. A bigger fleet only makes the tests slower.
var testFleet = jirasim.Fleet{Projects: 40, Schemes: 6}

// smallFleet is half of it, one project of each kind, for the tests whose
// checks hold at any size: 17 service projects on the 5 JSM schemes (3 of
// them broken), one unreadable, one software, one team-managed. Each
// audit or fix --scheme on it costs half the requests.
var smallFleet = jirasim.Fleet{Projects: 20, Schemes: 6}

// fleetModel is what jirasim's model says an audit must find.
type fleetModel struct {
	broken, healthy map[int64][]string // scheme → its company-managed, readable service projects
	unchecked       []string           // service projects whose scheme cannot be read
	notApplicable   []string           // team-managed service projects
}

// modelOf reads the site's truth from jirasim, not from the audit.
func modelOf(t *testing.T, sim *jirasim.Server) fleetModel {
	t.Helper()
	m := fleetModel{broken: map[int64][]string{}, healthy: map[int64][]string{}}
	for _, key := range sim.ProjectKeys() {
		p, _ := sim.Project(key)
		if p.TypeKey != jirasim.TypeServiceDesk && p.TypeKey != "" {
			continue
		}
		id, ok := sim.ProjectSchemeID(key)
		switch {
		case p.TeamManaged:
			m.notApplicable = append(m.notApplicable, key)
		case p.Unreadable:
			m.unchecked = append(m.unchecked, key)
		case !ok:
			t.Fatalf("%s has no scheme in the model", key)
		case portalAccessComplete(sim.SchemeGrants(id)):
			m.healthy[id] = append(m.healthy[id], key)
		default:
			m.broken[id] = append(m.broken[id], key)
		}
	}
	if len(m.broken) == 0 || len(m.unchecked) == 0 || len(m.notApplicable) == 0 {
		t.Fatalf("the fleet lacks a kind of project: %+v", m)
	}
	return m
}

// portalAccessComplete: customers on the portal may browse and create.
func portalAccessComplete(gs []jirasim.Grant) bool {
	has := map[string]bool{}
	for _, g := range gs {
		if g.HolderType == "sd.customer.portal.only" {
			has[g.Permission] = true
		}
	}
	return has["BROWSE_PROJECTS"] && has["CREATE_ISSUES"]
}

func newFleetSim(t *testing.T, f jirasim.Fleet) *jirasim.Server {
	t.Helper()
	return jirasim.NewServer(t, jirasim.WithFleet(f))
}

// TestAuditJSONMatchesTheSite: audit --json lists every broken scheme with
// exactly its projects, the healthy ones too, and the unreadable and
// team-managed projects as such; exit 3 for problems found; no writes;
// its objects have the fields README documents (checkAuditJSONShape).
func TestAuditJSONMatchesTheSite(t *testing.T) {
	t.Parallel()
	sim := newFleetSim(t, smallFleet)
	want := modelOf(t, sim)
	code, out, errOut := cli(t, sim, nil, "audit", "--json")
	if code != exitProblems {
		t.Errorf("exit code %d, want 3 (stderr %q)", code, errOut)
	}
	if errOut != "" {
		t.Errorf("stderr = %q, want nothing (no progress bar when not a terminal)", errOut)
	}
	var r repair.AuditReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
	}
	got := fleetModel{broken: map[int64][]string{}, healthy: map[int64][]string{}}
	for _, s := range r.Schemes {
		keys := keysOf(s.Projects)
		if s.Healthy {
			got.healthy[s.ID] = keys
		} else {
			got.broken[s.ID] = keys
			if s.Plan == nil || s.Plan.SchemeID != s.ID {
				t.Errorf("broken scheme %d has plan %+v, want one repairing it", s.ID, s.Plan)
			}
		}
		if name := sim.SchemeName(s.ID); s.Name != name {
			t.Errorf("scheme %d named %q, want %q", s.ID, s.Name, name)
		}
	}
	got.unchecked, got.notApplicable = keysOf(r.Unchecked), keysOf(r.NotApplicable)
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(fleetModel{})); diff != "" {
		t.Errorf("audit vs jirasim's model (-want +got):\n%s", diff)
	}
	for i := 1; i < len(r.Schemes); i++ {
		if r.Schemes[i-1].Healthy && !r.Schemes[i].Healthy {
			t.Errorf("scheme %d (broken) comes after a healthy one: not worst first", r.Schemes[i].ID)
		}
	}
	if r.Summary.BrokenSchemes != len(want.broken) || !strings.Contains(r.Summary.Text, "Portal Access") {
		t.Errorf("summary = %+v, want %d broken schemes, in words", r.Summary, len(want.broken))
	}
	for _, req := range sim.Requests() {
		if req.Method != http.MethodGet {
			t.Errorf("audit wrote to Jira: %s %s", req.Method, req.Path)
		}
	}
	checkAuditJSONShape(t, out)
}

// checkAuditJSONShape pins the public contract of audit --json: the fields
// of each object, no more, no fewer (README's Fleet audit documents them).
func checkAuditJSONShape(t *testing.T, out string) {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &top); err != nil {
		t.Fatal(err)
	}
	var schemes, unchecked []map[string]json.RawMessage
	var summary map[string]json.RawMessage
	for key, v := range map[string]any{"schemes": &schemes, "unchecked": &unchecked, "summary": &summary} {
		if err := json.Unmarshal(top[key], v); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
	}
	var project map[string]json.RawMessage
	if err := json.Unmarshal(schemes[0]["projects"], &[]any{&project}); err != nil {
		t.Fatal(err)
	}
	var plan map[string]json.RawMessage
	if err := json.Unmarshal(schemes[0]["plan"], &plan); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		obj  map[string]json.RawMessage
		want []string
	}{
		{"report", top, []string{"builtAt", "notApplicable", "rolesFrom", "schemes", "summary", "unchecked"}},
		{"scheme", schemes[0], []string{"findings", "healthy", "id", "name", "otherProjects", "plan", "projects"}},
		{"project", project, []string{"id", "key", "name", "projectTypeKey"}},
		{"unchecked project", unchecked[0], []string{"id", "key", "name", "projectTypeKey", "reason"}},
		{"summary", summary, []string{"brokenProjects", "brokenSchemes", "notApplicable", "projects", "schemes", "text", "unchecked"}},
		{"plan (diagnose's shape)", plan, []string{"addGrants", "affects", "digest", "id", "mode", "projectKey", "removeGrants", "schemeId", "schemeName"}},
	}
	for _, tt := range tests {
		got := slices.Sorted(maps.Keys(tt.obj))
		for _, k := range tt.want { // plan may have more fields (copyName, …): want a subset there
			if !slices.Contains(got, k) {
				t.Errorf("%s lacks %q: %v", tt.name, k, got)
			}
		}
		if !strings.HasPrefix(tt.name, "plan") {
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s fields (-want +got):\n%s", tt.name, diff)
			}
		}
	}
}

// TestAuditCSV: one row per service project under a header, parsed back
// with encoding/csv, each row saying its scheme as jirasim's model does.
func TestAuditCSV(t *testing.T) {
	t.Parallel()
	sim := newFleetSim(t, smallFleet)
	want := modelOf(t, sim)
	code, out, errOut := cli(t, sim, nil, "audit", "--csv")
	if code != exitProblems || errOut != "" {
		t.Errorf("exit code %d, stderr %q; want 3 and nothing", code, errOut)
	}
	if !strings.Contains(out, "\r\n") || strings.Count(out, "\n") != strings.Count(out, "\r\n") {
		t.Errorf("lines do not end in CRLF (RFC 4180):\n%q", out[:min(200, len(out))])
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v", err)
	}
	if diff := cmp.Diff(auditCSVHeader, rows[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	status := map[string]string{}
	for _, row := range rows[1:] {
		key := row[0]
		if _, dup := status[key]; dup {
			t.Errorf("%s has two rows", key)
		}
		status[key] = row[4]
		if row[4] == "broken" || row[4] == "healthy" {
			id, _ := sim.ProjectSchemeID(key)
			if row[2] != strconv.FormatInt(id, 10) || row[3] != sim.SchemeName(id) {
				t.Errorf("%s: scheme %s %q, want %d %q", key, row[2], row[3], id, sim.SchemeName(id))
			}
		}
	}
	wantStatus := map[string]string{}
	for _, ks := range want.broken {
		for _, k := range ks {
			wantStatus[k] = "broken"
		}
	}
	for _, ks := range want.healthy {
		for _, k := range ks {
			wantStatus[k] = "healthy"
		}
	}
	for _, k := range want.unchecked {
		wantStatus[k] = "unchecked"
	}
	for _, k := range want.notApplicable {
		wantStatus[k] = "not-applicable"
	}
	if diff := cmp.Diff(wantStatus, status); diff != "" {
		t.Errorf("status by project (-want +got):\n%s", diff)
	}
}

// TestAuditCSVQuoting: Jira's text with commas, quotes, line breaks,
// escape sequences and formulas comes back from a CSV reader as the text,
// cleaned and defused, each value in its own cell.
func TestAuditCSVQuoting(t *testing.T) {
	t.Parallel()
	r := &repair.AuditReport{
		Schemes: []repair.AuditScheme{{ID: 10100, Name: "Support, \"EMEA\"\nand APAC", Projects: []repair.AuditProject{
			{Key: "ONE", Name: "=HYPERLINK(\"http://evil\")"},
			{Key: "TWO", Name: "\x1b]0;owned\x07Two\x1b[31m, red"},
		}}},
		Unchecked: []repair.AuditProject{{Key: "THREE", Name: "-3", Reason: "403, Jira said \"no\""}},
	}
	var b bytes.Buffer
	if err := writeAuditCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("does not parse: %v\n%s", err, b.String())
	}
	want := [][]string{
		auditCSVHeader,
		{"ONE", "'=HYPERLINK(\"http://evil\")", "10100", "Support, \"EMEA\"\nand APAC", "broken", "0", "0", "", ""},
		{"TWO", "Two, red", "10100", "Support, \"EMEA\"\nand APAC", "broken", "0", "0", "", ""},
		{"THREE", "'-3", "", "", "unchecked", "", "", "", "403, Jira said \"no\""},
	}
	// The writer wrote the field's line break as CRLF; a reader gives \n.
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// TestAuditTable: the terminal output lists the schemes worst first, the
// unchecked and team-managed projects, how to fix, and ends with the
// summary line.
func TestAuditTable(t *testing.T) {
	t.Parallel()
	sim := newFleetSim(t, testFleet) // plurals: "2 projects could not be checked"
	want := modelOf(t, sim)
	code, out, errOut := cli(t, sim, nil, "audit")
	if code != exitProblems || errOut != "" {
		t.Errorf("exit code %d, stderr %q; want 3 and nothing", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "STATUS") {
		t.Errorf("first line %q, want the table's header", lines[0])
	}
	for i, l := range lines[1 : 1+len(want.broken)] {
		if !strings.HasPrefix(l, "broken ") {
			t.Errorf("row %d = %q, want the broken schemes first", i+1, l)
		}
	}
	last := lines[len(lines)-1]
	if !strings.Contains(last, "Portal Access grants") || !strings.Contains(last, strconv.Itoa(len(want.unchecked))+" projects could not be checked") {
		t.Errorf("last line %q, want the summary", last)
	}
	for _, k := range append(slices.Clone(want.unchecked), want.notApplicable...) {
		if !strings.Contains(out, "  "+k+" · ") {
			t.Errorf("output does not list %s:\n%s", k, out)
		}
	}
	for id := range want.broken {
		if !strings.Contains(out, strconv.FormatInt(id, 10)) {
			t.Errorf("output does not name broken scheme %d", id)
		}
	}
	if !strings.Contains(out, "jsmbot fix --scheme ID") {
		t.Errorf("output does not say how to fix:\n%s", out)
	}
	assertClean(t, out, errOut)
}

// TestAuditHealthySite: exit 0 when every project is healthy.
func TestAuditHealthySite(t *testing.T) {
	t.Parallel()
	sim := jirasim.NewServer(t, jirasim.WithSeed(jirasim.ScenarioHealthy))
	code, out, errOut := cli(t, sim, nil, "audit")
	if code != exitOK {
		t.Errorf("exit code %d, want 0\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "are healthy.") {
		t.Errorf("output lacks the healthy summary:\n%s", out)
	}
}

// TestAuditUsageAndErrors: bad flags are usage errors before any Jira
// call; with --json every failure is the JSON error object.
func TestAuditUsageAndErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		wantKind string // of the JSON error; "" for none expected
		want     string // in stderr
	}{
		{name: "json and csv", args: []string{"audit", "--json", "--csv"}, wantCode: exitUsage, wantKind: "usage", want: "--json or --csv, not both"},
		{name: "negative rate", args: []string{"audit", "--rate", "-1"}, wantCode: exitUsage, want: "--rate must be zero"},
		{name: "zero timeout", args: []string{"audit", "--timeout", "0s"}, wantCode: exitUsage, want: "--timeout must be positive"},
		{name: "an argument", args: []string{"audit", "FL0001"}, wantCode: exitUsage, want: "audit takes no arguments"},
		{name: "bad credentials", args: []string{"audit", "--json"}, env: map[string]string{"JIRA_API_TOKEN": "wrong"}, wantCode: exitFailed, wantKind: "unauthenticated",
			want: "Jira rejected the credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newFleetSim(t, smallFleet)
			code, out, errOut := cli(t, sim, tt.env, tt.args...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.wantCode, tt.want)
			}
			if tt.wantKind != "" {
				var got struct{ Error errorJSON }
				if err := json.Unmarshal([]byte(out), &got); err != nil || got.Error.Kind != tt.wantKind {
					t.Errorf("stdout = %q, want the error object of kind %s", out, tt.wantKind)
				}
			}
			if tt.wantCode == exitUsage && len(sim.Requests()) > 0 {
				t.Errorf("a usage error called Jira %d times", len(sim.Requests()))
			}
			assertClean(t, out, errOut)
		})
	}
}

// TestAuditBar: on a terminal the bar draws the scan's progress to the
// writer it is given, and a nil bar (stderr piped) draws nothing.
func TestAuditBar(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	bar := newAuditBar(&b, 0) // every frame drawn
	bar.progress(0, 0)        // the scan knows no project yet: nothing to draw
	if b.Len() != 0 {
		t.Errorf("drew %q before knowing the total", b.String())
	}
	bar.progress(3, 40)
	if got := b.String(); !strings.Contains(got, "Reading the schemes of projects") || !strings.Contains(got, "3/40") {
		t.Errorf("bar = %q, want the description and 3/40", got)
	}
	bar.progress(40, 60) // the total grows as pages come in
	if got := b.String(); !strings.Contains(got, "40/60") {
		t.Errorf("bar = %q, want 40/60 after the total changed", got)
	}
	bar.stop()

	var none *auditBar
	none.progress(1, 2) // must not panic
	none.stop()
}
