package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/internal/demo"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// cli runs the command with args against sim and returns its exit code and
// output. env overrides the environment derived from sim.
func cli(t *testing.T, sim *jirasim.Server, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	vars := map[string]string{}
	if sim != nil {
		vars = map[string]string{
			"JIRA_BASE_URL":  sim.URL,
			"JIRA_EMAIL":     jirasim.DefaultEmail,
			"JIRA_API_TOKEN": jirasim.DefaultToken,
		}
	}
	for k, v := range env {
		vars[k] = v
	}
	var out, errOut bytes.Buffer
	err := run(t.Context(), append([]string{"jsmbot"}, args...), func(k string) string { return vars[k] }, strings.NewReader(""), &out, &errOut)
	code = report(err, &errOut)
	return code, out.String(), errOut.String()
}

// siteOf is a Jira simulator seeded with only the scenarios of the
// projects named (HELP, NOPA, ... as jirasim's scenarios define them), not
// the whole default site: every diagnosis scans the site, so each project
// more is requests and JSON the test pays for. No key leaves an empty site.
func siteOf(t *testing.T, keys ...string) *jirasim.Server {
	t.Helper()
	var seed []jirasim.Scenario
	for _, k := range keys {
		if sc := scenarioOf(t, k); !slices.Contains(seed, sc) {
			seed = append(seed, sc)
		}
	}
	return jirasim.NewServer(t, jirasim.WithSeed(seed...))
}

// scenarioOf is the jirasim scenario that seeds project key.
func scenarioOf(t *testing.T, key string) jirasim.Scenario {
	t.Helper()
	switch key {
	case "HELP":
		return jirasim.ScenarioHealthy
	case "NOPA":
		return jirasim.ScenarioPortalAccessMissing
	case "NOCR":
		return jirasim.ScenarioCreateMissing
	case "CUST":
		return jirasim.ScenarioCustomersRole
	case "DRFT":
		return jirasim.ScenarioDrift
	case "ADMN":
		return jirasim.ScenarioAdminMissing
	case "SHRA", "SHRB", "SHRC":
		return jirasim.ScenarioShared
	case "SOFT":
		return jirasim.ScenarioSoftware
	case "TEAM":
		return jirasim.ScenarioTeamManaged
	}
	t.Fatalf("no jirasim scenario seeds project %s", key)
	return ""
}

// assertClean fails if output shows a secret, a stack trace or a panic.
func assertClean(t *testing.T, outputs ...string) {
	t.Helper()
	for _, o := range outputs {
		for _, bad := range []string{jirasim.DefaultToken, "goroutine ", "panic:", "runtime/"} {
			if strings.Contains(o, bad) {
				t.Errorf("output contains %q:\n%s", bad, o)
			}
		}
	}
}

// result is the part of the diagnose --json contract the tests check.
type result struct {
	Healthy    bool `json:"healthy"`
	Applicable bool `json:"applicable"`
	Project    struct {
		Key, ID, Name, ProjectTypeKey string
	} `json:"project"`
	Scheme *struct {
		ID         int64    `json:"id"`
		Name       string   `json:"name"`
		SharedWith []string `json:"sharedWith"`
	} `json:"scheme"`
	Findings []struct {
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
		Holder   struct {
			Type      string `json:"type"`
			Parameter string `json:"parameter"`
		} `json:"holder"`
		Permission string `json:"permission"`
		Summary    string `json:"summary"`
	} `json:"findings"`
	Plan *struct {
		ID        string `json:"id"`
		Mode      string `json:"mode"`
		AddGrants []struct {
			Holder     struct{ Type, Parameter string } `json:"holder"`
			Permission string                           `json:"permission"`
		} `json:"addGrants"`
		RemoveGrants []json.RawMessage `json:"removeGrants"`
	} `json:"plan"`
}

// TestDiagnoseJSON: diagnose --json of each scenario gives its exit code,
// findings with the severity README's rule table says, the scheme's other
// projects and the plan.
func TestDiagnoseJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key        string
		neighbour  string // a project on a scheme of its own, when set
		wantCode   int
		wantRules  []string
		wantMode   string
		wantAdds   []string
		wantShared []string
	}{
		{key: "HELP", wantCode: 0, wantRules: []string{}, wantShared: []string{}},
		{key: "NOPA", neighbour: "HELP", wantCode: 3, wantRules: []string{"portal-access", "portal-access"}, wantMode: "in-place", wantAdds: []string{"BROWSE_PROJECTS", "CREATE_ISSUES"}, wantShared: []string{}},
		{key: "NOCR", wantCode: 3, wantRules: []string{"portal-access"}, wantMode: "in-place", wantAdds: []string{"CREATE_ISSUES"}, wantShared: []string{}},
		{key: "CUST", wantCode: 3, wantRules: []string{"portal-access", "portal-access", "customers-role", "customers-role", "customers-role"}, wantMode: "in-place", wantAdds: []string{"BROWSE_PROJECTS", "CREATE_ISSUES"}, wantShared: []string{}},
		{key: "ADMN", wantCode: 3, wantRules: []string{"admin-mandatory"}, wantMode: "in-place", wantAdds: []string{"ADMINISTER_PROJECTS"}, wantShared: []string{}},
		{key: "DRFT", wantCode: 0, wantRules: []string{"default-drift", "default-drift", "default-drift"}, wantShared: []string{}},
		{key: "SHRB", neighbour: "HELP", wantCode: 3, wantRules: []string{"portal-access", "portal-access"}, wantMode: "copy", wantAdds: []string{"BROWSE_PROJECTS", "CREATE_ISSUES"}, wantShared: []string{"SHRA", "SHRC"}},
		{key: "SOFT", wantCode: 1, wantRules: []string{"not-applicable"}},
		{key: "TEAM", wantCode: 1, wantRules: []string{"not-applicable"}},
	}
	// The rows cover README's rule table, and each finding below has the
	// severity the table gives its rule.
	severities := readmeSeverities(t)
	covered := map[string]bool{}
	for _, tt := range tests {
		for _, r := range tt.wantRules {
			covered[r] = true
		}
	}
	for rule := range severities {
		if !covered[rule] {
			t.Errorf("README's rule %s is in no row", rule)
		}
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			t.Parallel()
			// A neighbour shows that sharedWith lists the scheme's projects,
			// not the site's, for a scheme of its own (NOPA) and a shared one
			// (SHRB); each project more is requests for every row.
			keys := []string{tt.key}
			if tt.neighbour != "" {
				keys = append(keys, tt.neighbour)
			}
			sim := siteOf(t, keys...)
			code, out, errOut := cli(t, sim, nil, "diagnose", tt.key, "--json")
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.wantCode, errOut)
			}
			var got result
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
			}
			rules := []string{}
			for _, f := range got.Findings {
				rules = append(rules, f.Rule)
				if f.Summary == "" || f.Severity == "" {
					t.Errorf("finding %+v lacks a summary or severity", f)
				}
				if want, ok := severities[f.Rule]; !ok || want != f.Severity {
					t.Errorf("rule %s has severity %q in the JSON, %q in README", f.Rule, f.Severity, want)
				}
			}
			if diff := cmp.Diff(tt.wantRules, rules); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
			if got.Project.Key != tt.key || got.Project.ProjectTypeKey == "" {
				t.Errorf("project = %+v, want key %s with its type", got.Project, tt.key)
			}
			if tt.wantShared != nil && (got.Scheme == nil || !slices.Equal(got.Scheme.SharedWith, tt.wantShared)) {
				t.Errorf("scheme = %+v, want sharedWith %v", got.Scheme, tt.wantShared)
			}
			if tt.wantMode == "" {
				if got.Plan != nil {
					t.Errorf("plan = %+v, want null", got.Plan)
				}
				return
			}
			if got.Plan == nil || got.Plan.Mode != tt.wantMode || got.Plan.ID == "" || got.Plan.RemoveGrants == nil {
				t.Fatalf("plan = %+v, want mode %s with an id and a removeGrants array", got.Plan, tt.wantMode)
			}
			var adds []string
			for _, g := range got.Plan.AddGrants {
				adds = append(adds, g.Permission)
			}
			if diff := cmp.Diff(tt.wantAdds, adds); diff != "" {
				t.Errorf("addGrants (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFixLeavesScenariosHealthy: fix --yes repairs each scenario with
// exactly its writes, each said as it ends before the result, and exits 0
// only once its own fresh diagnosis after the writes says the project is
// healthy ("Verified"); a healthy project gets no write and "Nothing to
// fix."; the customer check names the customer it verified. It says where
// the repair is recorded: with REDIS_URL the plan ID and the undo command,
// without it once that nothing is recorded.
//
// The words of one run are checked in its row, not by running the same
// fix again elsewhere: each fix is a site's worth of Jira calls.
func TestFixLeavesScenariosHealthy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key        string
		mode       string
		wantWrites int
		recorded   bool     // with REDIS_URL
		want       []string // in stdout, besides the verified line
		progress   []string // the progress lines, in order, before the result
	}{
		{key: "HELP", mode: "auto", want: []string{"Nothing to fix."}},
		{key: "DRFT", mode: "auto", want: []string{"Nothing to fix."}},
		{key: "NOPA", mode: "auto", wantWrites: 2, recorded: true, want: []string{
			"Customer check: verified for Alice Customer",
		}, progress: []string{
			"  … write 1 of 2: add a grant, done",
			"  … write 2 of 2: add a grant, done",
		}},
		{key: "NOCR", mode: "auto", wantWrites: 1},
		{key: "CUST", mode: "auto", wantWrites: 5},
		{key: "ADMN", mode: "auto", wantWrites: 1},
		{key: "SHRA", mode: "auto", wantWrites: 2, progress: []string{ // copy: create + assign
			"  … write 1 of 2: create the scheme copy, done",
			"  … write 2 of 2: assign the scheme, done",
		}},
		{key: "SHRA", mode: "in-place", wantWrites: 2}, // two grants on the shared scheme
		{key: "NOPA", mode: "copy", wantWrites: 2},
	}
	for _, tt := range tests {
		t.Run(tt.key+"/"+tt.mode, func(t *testing.T) {
			t.Parallel()
			sim := siteOf(t, tt.key)
			var sr *sharedRecord
			var env map[string]string
			if tt.recorded {
				sr = newSharedRecord(t)
				env = sr.env
			}
			code, out, errOut := cli(t, sim, env, "fix", tt.key, "--yes", "--mode", tt.mode)
			if code != 0 {
				t.Fatalf("fix exit code %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			n := 0
			for _, r := range sim.Requests() {
				if isWrite(r.Method, r.Path) {
					n++
				}
			}
			if n != tt.wantWrites {
				t.Errorf("%d writes, want %d", n, tt.wantWrites)
			}
			want := tt.want
			if tt.wantWrites > 0 {
				want = append(want, "Verified: "+tt.key+" is healthy now.")
			}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			switch {
			case tt.recorded:
				checkRecordedAs(t, sr, out)
			case tt.wantWrites > 0:
				if c := strings.Count(out, noRecordNote); c != 1 || strings.Contains(out, "Recorded as") {
					t.Errorf("without REDIS_URL: the note %d times and a plan ID %v, want the note once and no plan ID", c, strings.Contains(out, "Recorded as"))
				}
			}
			if tt.progress != nil {
				if diff := cmp.Diff(tt.progress, progressLines(t, out)); diff != "" {
					t.Errorf("progress lines (-want +got):\n%s\nstdout:\n%s", diff, out)
				}
			}
			assertClean(t, out, errOut)
		})
	}
}

func TestHumanOutput(t *testing.T) {
	t.Parallel()
	sim := siteOf(t, "SHRA")
	code, out, _ := cli(t, sim, nil, "diagnose", "shra")
	if code != 3 {
		t.Errorf("exit code %d, want 3", code)
	}
	for _, want := range []string{
		"SHRA ·",
		"Shared with:       SHRB, SHRC",
		"CRITICAL [portal-access]",
		"Why it matters:",
		"mode copy",
		"+ grant BROWSE_PROJECTS to Service Project Customer - Portal Access",
		"SHRB, SHRC keep the original scheme, unchanged.",
		"To apply: jsmbot fix SHRA",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		setup    func(*jirasim.Server)
		site     []string // the simulator's projects: none for a row that stops before Jira
		noSim    bool
		fakeTime bool // in a synctest bubble: waits take no time
		wantCode int
		want     string // in stderr
	}{
		{name: "no command", args: nil, wantCode: 2, want: "Usage:"},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2, want: `unknown command "frobnicate"`},
		{name: "missing configuration", noSim: true, args: []string{"diagnose", "HELP"}, wantCode: 1,
			want: "configuration: JIRA_BASE_URL is not set; JIRA_EMAIL is not set; JIRA_API_TOKEN is not set"},
		{name: "bad base URL", args: []string{"diagnose", "HELP"}, env: map[string]string{"JIRA_BASE_URL": "site.atlassian.net"}, wantCode: 1, want: "JIRA_BASE_URL"},
		{name: "plain http", args: []string{"diagnose", "HELP"}, env: map[string]string{"JIRA_BASE_URL": "http://site.atlassian.net"}, wantCode: 1,
			want: "JIRA_BASE_URL: base URL must start with https://"},
		{name: "malformed key", args: []string{"diagnose", "12-bad"}, wantCode: 2, want: `"12-bad" is not a project key`},
		{name: "no key", args: []string{"diagnose"}, wantCode: 2, want: "needs exactly one project key"},
		{name: "unknown flag", args: []string{"diagnose", "HELP", "--jsn"}, wantCode: 2, want: "flag provided but not defined"},
		{name: "unknown mode", args: []string{"fix", "NOPA", "--yes", "--mode", "sideways"}, wantCode: 2, want: "sideways"},
		{name: "unknown project", args: []string{"diagnose", "NOPE"}, site: []string{"HELP"}, wantCode: 1, want: "project not found"},
		{name: "software project", args: []string{"diagnose", "SOFT"}, site: []string{"SOFT"}, wantCode: 1, want: "SOFT is a software project; jsmbot only repairs company-managed service projects"},
		{name: "team-managed project", args: []string{"fix", "TEAM", "--yes"}, site: []string{"TEAM"}, wantCode: 1, want: "TEAM is team-managed: it has no permission scheme"},
		{name: "bad credentials", args: []string{"diagnose", "HELP"}, site: []string{"HELP"}, env: map[string]string{"JIRA_API_TOKEN": "wrong-token"}, wantCode: 1,
			want: "Jira rejected the credentials: check JIRA_EMAIL and JIRA_API_TOKEN"},
		{name: "no project admin", args: []string{"diagnose", "NOPA"}, site: []string{"NOPA"}, setup: func(s *jirasim.Server) {
			s.SetProjectPermission("ADMINISTER_PROJECTS", false)
			s.SetGlobalPermission("ADMINISTER", false)
		}, wantCode: 1,
			want: `the account needs the "Administer Projects (or Administer Jira)" permission`},
		{name: "no Jira admin", args: []string{"fix", "NOPA", "--yes"}, site: []string{"NOPA"}, setup: func(s *jirasim.Server) { s.SetGlobalPermission("ADMINISTER", false) }, wantCode: 1,
			want: `the account needs the "Administer Jira" permission`},
		{name: "rate limited beyond the budget", args: []string{"diagnose", "HELP"}, site: []string{"HELP"}, setup: func(s *jirasim.Server) { s.RateLimit(1000, 90*time.Second) }, wantCode: 1,
			want: "Jira is rate limiting this account (jira-burst-based) and the retries ran out; try again in 1m30s"},
		// Every retry of the default policy runs, on the bubble's fake clock.
		{name: "Jira unreachable", args: []string{"diagnose", "HELP"}, noSim: true, fakeTime: true, env: map[string]string{
			"JIRA_BASE_URL": "http://127.0.0.1:1", "JIRA_EMAIL": jirasim.DefaultEmail, "JIRA_API_TOKEN": jirasim.DefaultToken,
		}, wantCode: 1, want: "cannot reach Jira"},
		{name: "fix without a terminal", args: []string{"fix", "NOPA"}, wantCode: 2, want: "fix needs --yes when no terminal can confirm the change"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.fakeTime {
				synctest.Test(t, func(t *testing.T) { checkBadInput(t, tt.args, tt.env, nil, tt.wantCode, tt.want) })
				return
			}
			var sim *jirasim.Server
			if !tt.noSim {
				sim = siteOf(t, tt.site...)
				if tt.setup != nil {
					tt.setup(sim)
				}
			}
			checkBadInput(t, tt.args, tt.env, sim, tt.wantCode, tt.want)
		})
	}
}

// checkBadInput runs the command and checks that it fails with the code
// and the one line wanted, changing nothing in Jira (sim, when not nil).
func checkBadInput(t *testing.T, args []string, env map[string]string, sim *jirasim.Server, wantCode int, want string) {
	t.Helper()
	code, out, errOut := cli(t, sim, env, args...)
	if code != wantCode {
		t.Errorf("exit code %d, want %d\nstderr: %s", code, wantCode, errOut)
	}
	if !strings.Contains(errOut, want) {
		t.Errorf("stderr = %q, want it to contain %q", errOut, want)
	}
	if lines := strings.Count(strings.TrimSpace(errOut), "\n"); want != "Usage:" && lines > 0 {
		t.Errorf("stderr has %d lines, want one:\n%s", lines+1, errOut)
	}
	if sim != nil {
		for _, r := range sim.Requests() {
			if isWrite(r.Method, r.Path) && r.Status < 300 {
				t.Errorf("bad input changed Jira: %s %s → %d", r.Method, r.Path, r.Status)
			}
		}
	}
	assertClean(t, out, errOut)
}

// TestDemo runs jsmbot demo through run, on the real commands, for the
// part of its command line that tells HELP's story: who broke it, the
// recorded fix, undo and history, each in the words of the command that
// prints it. It stops the demo, by its context, once history has listed
// the undo: the fleet audit and fix --scheme that follow run the
// commands' code through demoTerminal, as TestDemoTerminal shows on a small
// site, and the Slack part uses no command of this package; internal/demo's
// TestRun tells them, with the rest of the story, to its end and its nil
// error.
func TestDemo(t *testing.T) {
	t.Parallel()
	// The second history's record of the undo.
	const last = "undone: 2 change(s) reverted, 0 left alone"
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := &syncBuffer{at: last, seen: cancel}
	var errOut syncBuffer
	err := run(ctx, []string{"jsmbot", "demo"}, func(string) string { return "" }, strings.NewReader(""), out, &errOut)
	text := out.String()
	if !strings.Contains(text, last) {
		t.Fatalf("demo: %v; its output lacks %q\nstdout:\n%s\nstderr:\n%s", err, last, text, errOut.String())
	}
	// Stopped before its end (how depends on where it was), the demo
	// cannot end well.
	if err == nil {
		t.Error("demo returned nil, though the test stopped it before its end")
	}
	// The story beats, in order.
	rest := text
	for _, want := range []string{"Successfully added 0 customers", "Broken: 2 critical problem(s)", "Removed by Olivia Owner on ",
		"Verified: HELP is healthy now.", "Customer check: verified for Alice Customer", "Recorded as plan ", "the customer was added to HELP",
		"WHEN (UTC)", "applied; verified healthy", "Undoing plan ", "✓ deleted the grant of CREATE_ISSUES", "After the undo:",
		"it deleted the 2 grant(s) the repair created, nothing else.", last} {
		i := strings.Index(rest, want)
		if i < 0 {
			t.Fatalf("demo output lacks %q after the lines before it:\n%s", want, text)
		}
		rest = rest[i+len(want):]
	}
	assertClean(t, text, errOut.String())
}

// TestDemoTerminal: the fleet part of jsmbot demo prints audit's table
// and runs fix --scheme --yes through the commands' own code, recorded in
// the demo's shared record (demoTerminal), here on a scheme three projects
// share instead of the demo's fleet.
func TestDemoTerminal(t *testing.T) {
	t.Parallel()
	sim, id := sharedScheme(t)
	eng := newEngine(t, sim)
	st := store.NewMemory()
	defer st.Close()
	term := demoTerminal()

	r, err := eng.Audit(t.Context(), repair.AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var audit strings.Builder
	term.PrintAudit(&audit, r)
	for _, w := range []string{"STATUS ", "broken ", "SHRA, SHRB, SHRC", "jsmbot fix --scheme ID (" + strconv.FormatInt(id, 10) + ")", "3 projects on 1 scheme lack Portal Access grants."} {
		if !strings.Contains(audit.String(), w) {
			t.Errorf("audit table lacks %q:\n%s", w, audit.String())
		}
	}

	var out strings.Builder
	if err := term.FixScheme(t.Context(), demo.Site{Engine: eng.Engine, Client: eng.client, Store: st}, id, &out, io.Discard); err != nil {
		t.Fatalf("fix --scheme: %v\n%s", err, out.String())
	}
	if w := `Verified: all 3 service projects on scheme "Shared Support Scheme" are healthy now.`; !strings.Contains(out.String(), w) {
		t.Errorf("fix --scheme's words lack %q:\n%s", w, out.String())
	}
	if w := writesOf(sim); len(w) != 2 {
		t.Errorf("writes %v, want the 2 missing grants", w)
	}
	recs, err := st.AuditLog(t.Context(), store.AuditFilter{})
	if err != nil || len(recs) != 1 || recs[0].Action != approval.Applied {
		t.Errorf("demo's shared record = %+v, %v; want the applied fix", recs, err)
	}
}

func TestAsk(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{{"y\n", true}, {"YES\n", true}, {"n\n", false}, {"\n", false}, {"", false}, {"yes please\n", false}}
	for _, tt := range tests {
		var out bytes.Buffer
		got, err := ask(t.Context(), strings.NewReader(tt.in), &out, "Apply? ")
		if err != nil || got != tt.want {
			t.Errorf("ask(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}
