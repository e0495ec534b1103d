package main

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/store"
)

// writesOf lists the writes sim received, as "METHOD path"; the customer
// check is a POST that reads.
func writesOf(sim *jirasim.Server) []string {
	var out []string
	for _, r := range sim.Requests() {
		if r.Method != http.MethodGet && r.Path != "/rest/api/3/permissions/check" {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// missingPortalGrants are the Portal Access grants scheme id lacks.
func missingPortalGrants(sim *jirasim.Server, id int64) []string {
	has := map[string]bool{}
	for _, g := range sim.SchemeGrants(id) {
		if g.HolderType == "sd.customer.portal.only" {
			has[g.Permission] = true
		}
	}
	var out []string
	for _, p := range []string{"BROWSE_PROJECTS", "CREATE_ISSUES"} {
		if !has[p] {
			out = append(out, p)
		}
	}
	return out
}

// sharedScheme is a site of SHRA, SHRB and SHRC on one scheme that lacks
// both Portal Access grants, and that scheme's id: fix --scheme changes
// three projects at once on it, and its scan reads three projects, not a
// fleet. The tests of what a scheme's fix says, asks and records use it;
// TestFixSchemeRepairsEveryProject repairs a fleet's schemes.
func sharedScheme(t *testing.T) (*jirasim.Server, int64) {
	t.Helper()
	sim := siteOf(t, "SHRA")
	id, ok := sim.ProjectSchemeID("SHRA")
	if !ok {
		t.Fatal("SHRA has no scheme")
	}
	return sim, id
}

// TestFixSchemeRepairsEveryProject: for a broken scheme of each kind (both
// Portal Access grants missing, CREATE_ISSUES alone), fix --scheme writes
// exactly the scheme's missing grants, to that scheme only, and every
// project on it is then healthy; the other schemes are untouched; a second
// run (on the first, whatever the kind: the scheme is healthy) applies
// nothing. smallFleet's third broken scheme is of the first kind and would
// take the same path.
func TestFixSchemeRepairsEveryProject(t *testing.T) {
	t.Parallel()
	fleet := newFleetSim(t, smallFleet)
	model := modelOf(t, fleet)
	ofKind := map[string]int64{} // the missing grants → the first scheme lacking them
	for _, id := range slices.Sorted(maps.Keys(model.broken)) {
		kind := strings.Join(missingPortalGrants(fleet, id), " ")
		if _, seen := ofKind[kind]; !seen {
			ofKind[kind] = id
		}
	}
	again, ok := ofKind["BROWSE_PROJECTS CREATE_ISSUES"]
	if _, ok2 := ofKind["CREATE_ISSUES"]; len(ofKind) != 2 || !ok || !ok2 {
		t.Fatalf("broken schemes by missing grants: %v; want both missing, and CREATE_ISSUES alone", ofKind)
	}
	for _, id := range ofKind {
		keys := model.broken[id]
		t.Run(strconv.FormatInt(id, 10), func(t *testing.T) {
			t.Parallel()
			sim := newFleetSim(t, smallFleet)
			missing := missingPortalGrants(sim, id)
			code, out, errOut := cli(t, sim, nil, "fix", "--scheme", strconv.FormatInt(id, 10), "--yes")
			if code != exitOK {
				t.Fatalf("exit code %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			var want []string
			for range missing {
				want = append(want, "POST /rest/api/3/permissionscheme/"+strconv.FormatInt(id, 10)+"/permission")
			}
			if diff := cmp.Diff(want, writesOf(sim)); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			if got := missingPortalGrants(sim, id); len(got) != 0 {
				t.Errorf("scheme %d still lacks %v", id, got)
			}
			for _, k := range keys {
				if !strings.Contains(out, k) {
					t.Errorf("the plan does not name %s, a project it changes:\n%s", k, out)
				}
			}
			if want := "Verified: all " + strconv.Itoa(len(keys)) + " service projects on scheme"; !strings.Contains(out, want) {
				t.Errorf("stdout lacks %q:\n%s", want, out)
			}

			// Every project on it is healthy, the other broken schemes are
			// not, in jirasim's model (TestAuditJSONMatchesTheSite shows
			// that audit --json says what the model says).
			after := modelOf(t, sim)
			for s, keys := range model.broken {
				if s == id {
					if diff := cmp.Diff(keys, after.healthy[s]); diff != "" {
						t.Errorf("healthy projects on %d after its fix (-want +got):\n%s", s, diff)
					}
				} else if diff := cmp.Diff(keys, after.broken[s]); diff != "" {
					t.Errorf("broken projects on %d after fixing %d (-want +got):\n%s", s, id, diff)
				}
			}
			for s, keys := range model.healthy {
				if diff := cmp.Diff(keys, after.healthy[s]); diff != "" {
					t.Errorf("healthy projects on %d after fixing %d (-want +got):\n%s", s, id, diff)
				}
			}

			assertClean(t, out, errOut)
			if id != again {
				return
			}
			sim.ResetRequests()
			code, out, errOut = cli(t, sim, nil, "fix", "--scheme", strconv.FormatInt(id, 10), "--yes")
			if code != exitOK || !strings.Contains(out, "Nothing to fix.") {
				t.Errorf("second run: exit %d, want 0 and nothing to fix:\n%s", code, out)
			}
			if w := writesOf(sim); len(w) != 0 {
				t.Errorf("second run wrote %v, want nothing", w)
			}
			assertClean(t, out, errOut)
		})
	}
}

// TestFixSchemeRefusals: bad arguments are usage errors and no terminal
// without --yes refuses, all before any Jira call; an unknown scheme is
// not applicable; none writes.
func TestFixSchemeRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
		noCalls  bool
	}{
		{"no terminal", []string{"fix", "--scheme", "10000"}, exitUsage, "fix needs --yes when no terminal can confirm the change", true},
		{"and a key", []string{"fix", "FL0001", "--scheme", "10000", "--yes"}, exitUsage, `it takes no project key, got "FL0001"`, true},
		{"zero", []string{"fix", "--scheme", "0", "--yes"}, exitUsage, "fix --scheme needs a permission scheme id", true},
		{"not a number", []string{"fix", "--scheme", "ten", "--yes"}, exitUsage, "invalid value", true},
		{"copy mode", []string{"fix", "--scheme", "10000", "--yes", "--mode", "copy"}, exitUsage, "--mode copy is for one project KEY", true},
		{"json without yes", []string{"fix", "--scheme", "10000", "--json"}, exitUsage, "fix --json needs --yes", true},
		{"neither", []string{"fix", "--yes"}, exitUsage, "fix needs exactly one project key (or --scheme ID)", true},
		{"unknown scheme", []string{"fix", "--scheme", "999999", "--yes"}, exitFailed, "no company-managed service project uses permission scheme 999999", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim, _ := sharedScheme(t) // no row needs more: none finds a project to change
			code, out, errOut := cli(t, sim, nil, tt.args...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.wantCode, tt.want)
			}
			if tt.noCalls && len(sim.Requests()) > 0 {
				t.Errorf("called Jira %d times before refusing", len(sim.Requests()))
			}
			if w := writesOf(sim); len(w) > 0 {
				t.Errorf("wrote %v", w)
			}
			assertClean(t, out, errOut)
		})
	}
}

// fixSchemeAt runs fixScheme on sim with stdin, as a terminal would.
func fixSchemeAt(t *testing.T, sim *jirasim.Server, id int64, stdin io.Reader, stdout io.Writer) error {
	t.Helper()
	env := map[string]string{"JIRA_BASE_URL": sim.URL, "JIRA_EMAIL": jirasim.DefaultEmail, "JIRA_API_TOKEN": jirasim.DefaultToken}
	engine, err := setup(func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return fixScheme(t.Context(), engine, id, fixOptions{mode: diagnosis.ModeAuto, timeout: defaultTimeout}, stdin, stdout, io.Discard)
}

// TestFixSchemeDeclined: no at the prompt changes nothing and exits 4.
func TestFixSchemeDeclined(t *testing.T) {
	t.Parallel()
	sim, id := sharedScheme(t)
	var out bytes.Buffer
	err := fixSchemeAt(t, sim, id, strings.NewReader("n\n"), &out)
	if code := report(err, io.Discard); code != exitDeclined {
		t.Errorf("exit code %d, want 4", code)
	}
	if !strings.Contains(out.String(), "changing 3 projects? [y/N]") || !strings.Contains(out.String(), "Nothing changed.") {
		t.Errorf("stdout lacks the question or the answer:\n%s", out.String())
	}
	if w := writesOf(sim); len(w) != 0 {
		t.Errorf("a declined fix wrote %v", w)
	}
}

// TestFixSchemeStale: when the scheme changes while the prompt waits, the
// digest no longer matches and nothing is written.
func TestFixSchemeStale(t *testing.T) {
	t.Parallel()
	sim, id := sharedScheme(t)
	stdin, answer := io.Pipe()
	asked := make(chan struct{})
	out := &syncBuffer{at: "[y/N] ", seen: func() { close(asked) }}
	done := make(chan error, 1)
	go func() { done <- fixSchemeAt(t, sim, id, stdin, out) }()
	<-asked
	sim.AddGrants(id, jirasim.Grant{HolderType: "sd.customer.portal.only", Permission: "BROWSE_PROJECTS"}) // someone else
	if _, err := io.WriteString(answer, "y\n"); err != nil {
		t.Fatal(err)
	}
	err := <-done
	if code := report(err, io.Discard); code != exitFailed {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(out.String(), "changed since it was planned, so nothing was applied") {
		t.Errorf("stdout does not say the scheme changed:\n%s", out.String())
	}
	if w := writesOf(sim); len(w) != 0 {
		t.Errorf("a stale plan wrote %v", w)
	}
}

// TestFixSchemeHelp: fix --help shows --scheme, audit --help its flags.
func TestFixSchemeHelp(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		cmd  string
		want []string
	}{
		{"fix", []string{"jsmbot fix --scheme ID", "-scheme", "every project on it"}},
		{"audit", []string{"Usage: jsmbot audit", "-json", "-csv", "-rate", "85", "-timeout", "15m0s", "Exit 0 all healthy, 3 problems found"}},
	} {
		code, out, errOut := cli(t, nil, nil, tt.cmd, "--help")
		if code != exitOK || errOut != "" {
			t.Errorf("%s --help: exit %d, stderr %q", tt.cmd, code, errOut)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s --help lacks %q:\n%s", tt.cmd, w, out)
			}
		}
	}
	_, out, _ := cli(t, nil, nil, "help")
	for _, w := range []string{"jsmbot audit", "jsmbot fix --scheme ID"} {
		if !strings.Contains(out, w) {
			t.Errorf("jsmbot help lacks %q", w)
		}
	}
}

// TestFixSchemeRecorded: fix --scheme --json is one object listing the
// scheme as planned, each write and every project on the scheme
// verified. With REDIS_URL it records its plan and audit record as fix KEY
// does (applied, verified for the whole scheme, the grants Jira gave) and
// its planId is that plan; jsmbot undo reverts exactly those grants.
func TestFixSchemeRecorded(t *testing.T) {
	t.Parallel()
	sim, id := sharedScheme(t)
	sr := newSharedRecord(t)
	before := sim.SchemeGrants(id)
	code, out, errOut := cli(t, sim, sr.env, "fix", "--scheme", strconv.FormatInt(id, 10), "--yes", "--json")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	var got struct {
		Scheme struct {
			ID   int64
			Plan *diagnosis.Plan
		}
		Changes []struct {
			Step, Status string
			SchemeID     int64
		}
		Verified bool
		Projects []struct {
			Key      string
			Healthy  bool
			SchemeID int64
		}
		Error *errorJSON
	}
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&got); err != nil || dec.More() {
		t.Fatalf("stdout is not one JSON object (%v):\n%s", err, out)
	}
	if got.Scheme.ID != id || got.Scheme.Plan == nil || !got.Verified || got.Error != nil {
		t.Errorf("scheme %d, plan %v, verified %v, error %v; want %d planned, verified, no error", got.Scheme.ID, got.Scheme.Plan, got.Verified, got.Error, id)
	}
	if len(got.Changes) != 2 {
		t.Errorf("%d changes, want the 2 missing grants", len(got.Changes))
	}
	for _, c := range got.Changes {
		if c.Step != "add-grant" || c.Status != "done" || c.SchemeID != id {
			t.Errorf("change %+v, want a grant added to %d", c, id)
		}
	}
	var keys []string
	for _, p := range got.Projects {
		keys = append(keys, p.Key)
		if !p.Healthy || p.SchemeID != id {
			t.Errorf("project %+v, want healthy on %d", p, id)
		}
	}
	if diff := cmp.Diff([]string{"SHRA", "SHRB", "SHRC"}, keys); diff != "" {
		t.Errorf("verified projects (-want +got):\n%s", diff)
	}

	r := decodeReport(t, out)
	if r.PlanID == nil || !r.Verified {
		t.Fatalf("planId %v, verified %v; want a recorded, verified plan", r.PlanID, r.Verified)
	}
	rec, err := sr.st.Plan(t.Context(), *r.PlanID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != store.StateApplied || rec.ProjectKey != "SHRA" || rec.Mode != "in-place" || rec.Result != "applied; verified healthy" {
		t.Errorf("plan = %s %s %s %q, want applied in-place on SHRA, verified", rec.State, rec.ProjectKey, rec.Mode, rec.Result)
	}
	data, err := approval.Decode(rec)
	if err != nil || data.Plan.SchemeID != id || len(data.SharedWith) != len(data.Plan.Affects) || len(data.Plan.Affects) == 0 {
		t.Errorf("plan data = %+v, %v; want the scheme's plan with every other project", data, err)
	}
	audit, err := sr.st.Audit(t.Context(), *r.PlanID)
	if err != nil || len(audit) != 1 || audit[0].Action != approval.Applied || len(audit[0].Created) != 2 {
		t.Errorf("audit = %+v, %v; want one applied record with 2 grants created", audit, err)
	}

	code, out, errOut = cli(t, sim, sr.env, "undo", *r.PlanID, "--yes")
	if code != exitOK {
		t.Fatalf("undo: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if diff := cmp.Diff(before, sim.SchemeGrants(id)); diff != "" {
		t.Errorf("grants after the undo (-want +got):\n%s", diff)
	}
}
