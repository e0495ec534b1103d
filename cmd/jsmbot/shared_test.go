package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/internal/fakeclock"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// sharedRecord is a Redis the CLI is pointed at through REDIS_URL, and a
// store on it to look at what the CLI recorded (or to record as the bot
// would).
type sharedRecord struct {
	mr  *miniredis.Miniredis
	st  store.Store
	env map[string]string
}

func newSharedRecord(t *testing.T, opts ...store.RedisOption) *sharedRecord {
	t.Helper()
	mr := miniredis.RunT(t)
	st := store.NewRedis(redis.NewClient(&redis.Options{Addr: mr.Addr()}), opts...)
	t.Cleanup(func() { _ = st.Close() })
	return &sharedRecord{mr: mr, st: st, env: map[string]string{"REDIS_URL": "redis://" + mr.Addr() + "/0"}}
}

// fixReport is the part of fix --json and undo --json these tests read.
type fixReport struct {
	PlanID   *string `json:"planId"`
	Verified bool    `json:"verified"`
	Customer *struct {
		Verdict string   `json:"verdict"`
		Name    string   `json:"name"`
		Missing []string `json:"missing"`
		Causes  []string `json:"causes"`
	} `json:"customer"`
	Steps []struct {
		Action, Words, Status, Skip string
	} `json:"steps"`
	After *result   `json:"after"`
	Error *struct{} `json:"error"`
}

func decodeReport(t *testing.T, out string) fixReport {
	t.Helper()
	var r fixReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
	}
	return r
}

// fixRecorded runs fix --yes --json and returns the plan ID it printed.
func fixRecorded(t *testing.T, sim *jirasim.Server, sr *sharedRecord, key string, extra ...string) string {
	t.Helper()
	code, out, errOut := cli(t, sim, sr.env, append([]string{"fix", key, "--yes", "--json"}, extra...)...)
	if code != exitOK {
		t.Fatalf("fix %s: exit %d\nstdout:\n%s\nstderr:\n%s", key, code, out, errOut)
	}
	r := decodeReport(t, out)
	if r.PlanID == nil || !store.ValidID(*r.PlanID) {
		t.Fatalf("fix --json planId = %v, want a plan ID", r.PlanID)
	}
	return *r.PlanID
}

// checkRecordedPlan checks that fix recorded plan id of key as the bot
// would (PlanData, a Record with the ids Jira gave), owned and leased
// while applying, approved by the CLI user, with an applied audit record
// of what it created.
func checkRecordedPlan(t *testing.T, sr *sharedRecord, id, key, wantMode string, wantCreated int) {
	t.Helper()
	rec, err := sr.st.Plan(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != store.StateApplied || rec.ProjectKey != key || rec.Mode != wantMode || rec.Result != "applied; verified healthy" {
		t.Errorf("plan = %s %s %s %q, want applied %s %s, verified", rec.State, rec.ProjectKey, rec.Mode, rec.Result, key, wantMode)
	}
	if !strings.HasPrefix(rec.RequesterID, "cli:") || rec.ApproverID != rec.RequesterID {
		t.Errorf("requester %q, approver %q; want the CLI user for both", rec.RequesterID, rec.ApproverID)
	}
	if !strings.HasPrefix(rec.Owner, rec.ApproverID+"/") || rec.LeaseUntil.IsZero() {
		t.Errorf("owner %q, lease %v; want the CLI process and a lease", rec.Owner, rec.LeaseUntil)
	}
	data, err := approval.Decode(rec)
	if err != nil || data.Plan.ProjectKey != key || rec.Digest != data.Plan.Digest || !slices.Equal(data.Group, []string{id}) {
		t.Errorf("plan data = %+v, %v; want the bot's PlanData of %s", data, err, key)
	}
	var record repair.Record
	if err := json.Unmarshal(rec.Record, &record); err != nil {
		t.Fatalf("record: %v", err)
	}
	if record.PlanID != id || len(record.Changes) != 2 {
		t.Errorf("record = %+v, want plan %s and 2 changes", record, id)
	}
	for _, c := range record.Changes {
		if c.Outcome != repair.Made {
			t.Errorf("change %s: %s, want made", c.Step, c.Outcome)
		}
		if c.Step == repair.StepAddGrant && (c.Grant == nil || c.Grant.ID == 0) {
			t.Errorf("add-grant without Jira's grant id: %+v", c.Grant)
		}
	}
	audit, err := sr.st.Audit(t.Context(), id)
	if err != nil || len(audit) != 1 {
		t.Fatalf("audit = %+v, %v; want one record", audit, err)
	}
	if a := audit[0]; a.Action != approval.Applied || a.ApproverID != rec.ApproverID || a.ProjectKey != key || len(a.Created) != wantCreated {
		t.Errorf("audit = %+v, want applied by the CLI user with %d created", a, wantCreated)
	}
}

// checkRecordedAs checks that fix's words out end with the plan ID the
// shared record sr holds, the one plan there, and the undo command, and
// do not say that nothing is recorded.
func checkRecordedAs(t *testing.T, sr *sharedRecord, out string) {
	t.Helper()
	plans, err := sr.st.Plans(t.Context(), store.PlanFilter{})
	if err != nil || len(plans) != 1 {
		t.Fatalf("plans = %v, %v; want one", plans, err)
	}
	id := plans[0].ID
	if want := "Recorded as plan " + id + "; undo with jsmbot undo " + id + "\n"; !strings.HasSuffix(out, want) {
		t.Errorf("stdout does not end with %q:\n%s", want, out)
	}
	if strings.Contains(out, "REDIS_URL is not set") {
		t.Errorf("stdout says there is no shared record:\n%s", out)
	}
}

// TestCustomerCheck: fix says that a customer blocked by something other
// than the scheme is still denied (and what to check), or that there is
// no customer. TestFixLeavesScenariosHealthy sees the verified customer
// named, TestFixJSON the verified verdict in fix --json, and
// TestCustomerJSON the words of every verdict there.
func TestCustomerCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(*jirasim.Server)
		want  []string
	}{
		{"blocked by something else", func(s *jirasim.Server) {
			s.SetUserActive(jirasim.CustomerBobID, false) // Alice is the only customer
			s.SetAccountBlocked(jirasim.CustomerAliceID, true)
		}, []string{
			"Customer check: grants present, customer still denied: the permission scheme is right, yet Jira denies Alice Customer BROWSE_PROJECTS and CREATE_ISSUES on NOPA. Other causes to check:",
			"  - the desk's customer access settings",
			"  - the account is deactivated or suspended",
		}},
		{"no customer", func(s *jirasim.Server) {
			s.SetUserActive(jirasim.CustomerAliceID, false)
			s.SetUserActive(jirasim.CustomerBobID, false)
		}, []string{"Customer check: no customer to check: NOPA's desk has no active customer yet."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := siteOf(t, "NOPA")
			tt.setup(sim)
			code, out, errOut := cli(t, sim, nil, "fix", "NOPA", "--yes")
			if code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestCustomerJSON: the customer object of fix --json and undo --json
// says each verdict in its word, with the customer, what Jira denied and
// the other causes, as arrays even when empty, and Jira's error when it
// could not be asked.
func TestCustomerJSON(t *testing.T) {
	t.Parallel()
	jiraErr := context.DeadlineExceeded
	errObj, err := json.Marshal(errorOf(jiraErr)) // errorOf's kinds are TestJSONErrors'
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		check *repair.CustomerCheck
		want  string
	}{
		{nil, `null`},
		{&repair.CustomerCheck{Verdict: repair.VerdictVerified, AccountID: jirasim.CustomerAliceID, Name: "Alice Customer", Allowed: true},
			`{"verdict":"verified","accountId":"` + jirasim.CustomerAliceID + `","name":"Alice Customer","missing":[],"causes":[]}`},
		{&repair.CustomerCheck{Verdict: repair.VerdictStillDenied, AccountID: jirasim.CustomerAliceID, Name: "Alice Customer",
			Missing: []string{"BROWSE_PROJECTS", "CREATE_ISSUES"}, Causes: []repair.Cause{repair.CauseCustomerAccess, repair.CauseAccountState}},
			`{"verdict":"still-denied","accountId":"` + jirasim.CustomerAliceID + `","name":"Alice Customer","missing":["BROWSE_PROJECTS","CREATE_ISSUES"],"causes":["customer-access","account-state"]}`},
		{&repair.CustomerCheck{Verdict: repair.VerdictDenied, AccountID: jirasim.CustomerAliceID, Missing: []string{"CREATE_ISSUES"}},
			`{"verdict":"denied","accountId":"` + jirasim.CustomerAliceID + `","missing":["CREATE_ISSUES"],"causes":[]}`},
		{&repair.CustomerCheck{Verdict: repair.VerdictNoCustomer, NoCustomer: true}, `{"verdict":"no-customer","missing":[],"causes":[]}`},
		{&repair.CustomerCheck{Verdict: repair.VerdictNotChecked, Err: jiraErr},
			`{"verdict":"not-checked","missing":[],"causes":[],"error":` + string(errObj) + `}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(toCustomerJSON(tt.check))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.want {
			t.Errorf("customer JSON\n got %s\nwant %s", b, tt.want)
		}
	}
}

// TestUndo: with REDIS_URL, fix records the plan in the bot's shapes
// (checkRecordedPlan). undo then reverts exactly what the repair changed —
// the created grants by id, or the copy's assignment and the copy — and
// nothing else: a grant someone else added meanwhile survives. The plan is
// undone and an undone audit record says what was reverted; the output
// says each step, the diagnosis after and the customer check. A second
// undo is refused.
func TestUndo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, wantMode string
		wantCreated   int
	}{
		{"NOPA", "in-place", 2},
		{"SHRA", "copy", 4}, // the copy, its two grants, the assignment
	}
	for _, tt := range tests {
		key := tt.key
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			sim, sr := siteOf(t, key), newSharedRecord(t)
			original, _ := sim.ProjectSchemeID(key)
			before := sim.SchemeGrants(original)
			id := fixRecorded(t, sim, sr, key)
			checkRecordedPlan(t, sr, id, key, tt.wantMode, tt.wantCreated)
			scheme, _ := sim.ProjectSchemeID(key)
			// Someone else adds a grant to the scheme the project now uses.
			theirs := sim.AddGrants(scheme, jirasim.Grant{HolderType: "group", HolderParameter: "jira-admins", Permission: "EDIT_ISSUES"})[0]
			sim.ResetRequests()

			code, out, errOut := cli(t, sim, sr.env, "undo", id, "--yes")
			if code != exitOK {
				t.Fatalf("undo: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			wantOut := []string{"Undoing plan " + id + " of " + key + ":", "After the undo:", "Broken: 2 critical problem(s)",
				"Customer check: Jira denies Alice Customer BROWSE_PROJECTS and CREATE_ISSUES on " + key}
			if key == "NOPA" {
				wantOut = append(wantOut, `  ✓ deleted the grant of BROWSE_PROJECTS to Service Project Customer - Portal Access in "`)
			} else {
				wantOut = append(wantOut, `  ✓ assigned "Shared Support Scheme" back to the project`, `  ✓ deleted the copy "Shared Support Scheme 2"`)
			}
			for _, w := range wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if now, _ := sim.ProjectSchemeID(key); now != original {
				t.Errorf("%s uses scheme %d after the undo, want the original %d", key, now, original)
			}
			if key == "NOPA" {
				got := sim.SchemeGrants(original)
				want := append(slices.Clone(before), theirs)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("grants after the undo (-want +got):\n%s", diff)
				}
			} else if slices.Contains(sim.SchemeIDs(), scheme) {
				t.Errorf("the copy %d survived the undo", scheme)
			}
			rec, err := sr.st.Plan(t.Context(), id)
			if err != nil || rec.State != store.StateUndone {
				t.Errorf("plan after the undo: %s, %v; want undone", rec.State, err)
			}
			audit, _ := sr.st.Audit(t.Context(), id)
			if len(audit) != 2 || audit[1].Action != approval.Undone || !strings.HasPrefix(audit[1].ApproverID, "cli:") || len(audit[1].Created)+len(audit[1].Removed) != 2 {
				t.Errorf("audit = %+v, want applied then undone by the CLI user, 2 changes reverted", audit)
			}
			// Undoing twice is refused.
			code, _, errOut = cli(t, sim, sr.env, "undo", id, "--yes")
			if code != exitFailed || !strings.Contains(errOut, "plan "+id+" was undone already") {
				t.Errorf("second undo: exit %d, stderr %q; want 1 and already undone", code, errOut)
			}
		})
	}
}

// TestUndoBotPlan: a plan the bot applied (Slack users, a channel, its
// own records) is undone from the command line the same way.
func TestUndoBotPlan(t *testing.T) {
	t.Parallel()
	sim, sr := siteOf(t, "NOPA"), newSharedRecord(t)
	id := botApplied(t, sim, sr.st, "NOPA")
	code, out, errOut := cli(t, sim, sr.env, "undo", id, "--yes", "--json")
	if code != exitOK {
		t.Fatalf("undo: exit %d\n%s\n%s", code, out, errOut)
	}
	r := decodeReport(t, out)
	var statuses []string
	for _, s := range r.Steps {
		statuses = append(statuses, s.Action+" "+s.Status)
	}
	if diff := cmp.Diff([]string{"delete-grant done", "delete-grant done"}, statuses); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if r.After == nil || r.After.Healthy || r.Customer == nil || r.Customer.Verdict != "denied" {
		t.Errorf("after = %+v, customer = %+v; want the broken diagnosis and a denied customer", r.After, r.Customer)
	}
	audit, _ := sr.st.Audit(t.Context(), id)
	if last := audit[len(audit)-1]; last.Action != approval.Undone || last.RequesterID != "U0REQ" || !strings.HasPrefix(last.ApproverID, "cli:") {
		t.Errorf("undo audit = %+v, want undone, the bot's requester, the CLI user", last)
	}
}

// botApplied applies the fix of key as the bot does and records it in st:
// an applied plan with its Record.
func botApplied(t *testing.T, sim *jirasim.Server, st store.Store, key string) string {
	t.Helper()
	return saveApplied(t, st, applyAsBot(t, sim, key))
}

// appliedPlan is a repair the bot made: the diagnosis it came from, the
// plan record the bot offered and the Record of what the repair changed
// in Jira.
type appliedPlan struct {
	before  *repair.Diagnosis
	pending store.PlanRecord
	record  []byte
}

// applyAsBot applies the fix of key to sim as the bot does: its first
// offer, approved by U0APP.
func applyAsBot(t *testing.T, sim *jirasim.Server, key string) appliedPlan {
	t.Helper()
	eng := newEngine(t, sim)
	d, err := eng.Diagnose(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	plans, err := approval.Offers(d)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := store.NewID()
	recs, err := approval.NewRecords(d, plans[:1], []string{id}, approval.Origin{RequesterID: "U0REQ", ChannelID: "C0CHAN"}, nil, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Apply(t.Context(), plans[0], repair.WithPlanID(id))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res.Record())
	return appliedPlan{before: d, pending: recs[0], record: b}
}

// saveApplied records p in st as the bot does, offered, approved and
// applied, and returns its ID.
func saveApplied(t *testing.T, st store.Store, p appliedPlan) string {
	t.Helper()
	id := p.pending.ID
	if err := st.SavePlan(t.Context(), p.pending); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Transition(t.Context(), id, store.StatePending, store.StateApplying, approval.Approval(p.pending, "U0APP", "test-replica", time.Now().Add(time.Minute)).Mutate()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Transition(t.Context(), id, store.StateApplying, store.StateApplied, func(r *store.PlanRecord) {
		r.Result, r.Record = "applied; verified healthy", p.record
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// newEngine is an engine on sim, as the bot builds it.
func newEngine(t *testing.T, sim *jirasim.Server) *terminal {
	t.Helper()
	env := map[string]string{"JIRA_BASE_URL": sim.URL, "JIRA_EMAIL": jirasim.DefaultEmail, "JIRA_API_TOKEN": jirasim.DefaultToken}
	e, err := setup(func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestUndoRefuses: what is not an applied repair within the window is
// refused with its own line, before any write to Jira; so is an undo
// that cannot ask, a malformed ID, and an undo without the shared record.
//
// The rows' plans come from one repair of NOPA (and the diagnosis before
// it), saved in each row's own shared record: a refusal reads the record,
// not the site, so each row's site is a fresh NOPA.
func TestUndoRefuses(t *testing.T) {
	t.Parallel()
	repaired := applyAsBot(t, siteOf(t, "NOPA"), "NOPA")
	pending := func(t *testing.T, st store.Store) string { return storedPlan(t, repaired.before, st) }
	applied := func(t *testing.T, st store.Store) string { return saveApplied(t, st, repaired) }
	past := fakeclock.New()
	past.Set(time.Now().Add(-2 * time.Hour))
	tests := []struct {
		name     string
		plan     func(t *testing.T, st store.Store) string // the plan's ID
		clock    *fakeclock.Clock
		args     []string // after undo ID
		env      map[string]string
		noRedis  bool
		wantCode int
		want     string
	}{
		{name: "unknown", plan: func(*testing.T, store.Store) string { id, _ := store.NewID(); return id },
			wantCode: exitFailed, want: "no such plan in the shared record: "},
		{name: "pending", plan: pending,
			wantCode: exitFailed, want: "is pending: it was never applied, so there is nothing to undo"},
		{name: "applying", plan: func(t *testing.T, st store.Store) string {
			id := pending(t, st)
			mustTransition(t, st, id, store.StatePending, store.StateApplying)
			return id
		}, wantCode: exitFailed, want: "is being applied now"},
		{name: "failed", plan: func(t *testing.T, st store.Store) string {
			id := pending(t, st)
			mustTransition(t, st, id, store.StatePending, store.StateApplying)
			mustTransition(t, st, id, store.StateApplying, store.StateFailed)
			return id
		}, wantCode: exitFailed, want: "failed (), so it cannot be undone; run jsmbot diagnose NOPA"},
		{name: "dismissed", plan: func(t *testing.T, st store.Store) string {
			id := pending(t, st)
			mustTransition(t, st, id, store.StatePending, store.StateDismissed)
			return id
		}, wantCode: exitFailed, want: "was dismissed and never applied"},
		{name: "past the window", clock: past, env: map[string]string{"JSMBOT_UNDO_WINDOW": "1h"},
			plan:     applied,
			wantCode: exitFailed, want: "more than 1h0m0s (JSMBOT_UNDO_WINDOW) ago, so it can no longer be undone"},
		{name: "no terminal", plan: applied,
			args: []string{}, wantCode: exitUsage, want: "undo needs --yes when no terminal can confirm the change"},
		{name: "json without yes", plan: applied,
			args: []string{"--json"}, wantCode: exitUsage, want: "undo --json needs --yes"},
		{name: "malformed id", plan: func(*testing.T, store.Store) string { return "HELP-1" },
			wantCode: exitUsage, want: `"HELP-1" is not a plan ID`},
		{name: "no shared record", noRedis: true, plan: func(*testing.T, store.Store) string { id, _ := store.NewID(); return id },
			wantCode: exitFailed, want: "there is no shared record: REDIS_URL is not set"},
		{name: "bad window", env: map[string]string{"JSMBOT_UNDO_WINDOW": "soon"}, plan: func(*testing.T, store.Store) string { id, _ := store.NewID(); return id },
			wantCode: exitFailed, want: "JSMBOT_UNDO_WINDOW must be a positive Go duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts []store.RedisOption
			if tt.clock != nil {
				opts = append(opts, store.WithRedisClock(tt.clock.Now))
			}
			sim, sr := siteOf(t, "NOPA"), newSharedRecord(t, opts...) // every plan is NOPA's
			id := tt.plan(t, sr.st)
			var before store.PlanRecord
			if store.ValidID(id) {
				before, _ = sr.st.Plan(t.Context(), id)
			}
			sim.ResetRequests()
			env := map[string]string{}
			if !tt.noRedis {
				env["REDIS_URL"] = sr.env["REDIS_URL"]
			}
			for k, v := range tt.env {
				env[k] = v
			}
			args := tt.args
			if args == nil {
				args = []string{"--yes"}
			}
			checkBadInput(t, append([]string{"undo", id}, args...), env, sim, tt.wantCode, tt.want)
			if store.ValidID(id) {
				after, _ := sr.st.Plan(t.Context(), id)
				if diff := cmp.Diff(before, after); diff != "" {
					t.Errorf("a refused undo changed the plan (-before +after):\n%s", diff)
				}
			}
			if tt.wantCode == exitUsage {
				if reqs := sim.Requests(); len(reqs) != 0 {
					t.Errorf("a usage error called Jira %d times", len(reqs))
				}
			}
		})
	}
}

// storedPlan saves a pending plan of d's fix in st, as the bot offers it.
func storedPlan(t *testing.T, d *repair.Diagnosis, st store.Store) string {
	t.Helper()
	id, _ := store.NewID()
	recs, err := approval.NewRecords(d, []diagnosis.Plan{*d.Plan}, []string{id}, approval.Origin{RequesterID: "U0REQ"}, nil, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SavePlan(t.Context(), recs[0]); err != nil {
		t.Fatal(err)
	}
	return id
}

func mustTransition(t *testing.T, st store.Store, id string, from, to store.State) {
	t.Helper()
	if _, err := st.Transition(t.Context(), id, from, to, nil); err != nil {
		t.Fatal(err)
	}
}

// TestUndoDeclined: no at the prompt undoes nothing, leaves the plan
// applied and exits 4.
func TestUndoDeclined(t *testing.T) {
	t.Parallel()
	sim, sr := siteOf(t, "NOPA"), newSharedRecord(t)
	id := botApplied(t, sim, sr.st, "NOPA")
	sim.ResetRequests()
	var out, errOut bytes.Buffer
	err := undo(t.Context(), newEngine(t, sim), sr.st, id, undoOptions{timeout: defaultTimeout, window: time.Hour, now: time.Now}, strings.NewReader("n\n"), &out, io.Discard)
	if code := report(err, &errOut); code != exitDeclined {
		t.Errorf("exit %d, want %d (stderr %q)", code, exitDeclined, errOut.String())
	}
	for _, w := range []string{"Plan " + id + " of NOPA (mode in-place) was applied at ", "approved by U0APP", "It changed:\n  ✓ granted BROWSE_PROJECTS",
		"Undo plan " + id + " on NOPA? Customers lose the access it gave. [y/N] ", "Nothing changed."} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("stdout lacks %q:\n%s", w, out.String())
		}
	}
	if rec, _ := sr.st.Plan(t.Context(), id); rec.State != store.StateApplied {
		t.Errorf("plan is %s after a declined undo, want applied", rec.State)
	}
	for _, r := range sim.Requests() {
		if isWrite(r.Method, r.Path) {
			t.Errorf("a declined undo wrote to Jira: %s %s", r.Method, r.Path)
		}
	}
}

// TestHistory: history lists the audit records newest first, of one
// project when given, as a table or as the JSON array README documents;
// it needs only REDIS_URL, and Jira's text is made safe on the way out.
//
// NOPA's records are a real fix and undo; the newest, NOCR's, is NOPA's
// applied record again under another project and plan, as a second fix
// would write it, so that a filter on NOPA has a newer record to skip.
func TestHistory(t *testing.T) {
	t.Parallel()
	sim, sr := siteOf(t, "NOPA"), newSharedRecord(t)
	id := fixRecorded(t, sim, sr, "NOPA")
	if code, out, errOut := cli(t, sim, sr.env, "undo", id, "--yes"); code != exitOK {
		t.Fatalf("undo: exit %d\n%s\n%s", code, out, errOut)
	}
	nopa, err := sr.st.Audit(t.Context(), id)
	if err != nil || len(nopa) != 2 {
		t.Fatalf("NOPA's audit = %+v, %v; want applied and undone", nopa, err)
	}
	other, _ := store.NewID()
	nocr := nopa[0]
	nocr.ID, nocr.PlanID, nocr.ProjectKey, nocr.Time = "", other, "NOCR", nopa[1].Time.Add(time.Minute)
	if err := sr.st.AppendAudit(t.Context(), nocr); err != nil {
		t.Fatal(err)
	}
	if err := sr.st.AppendAudit(t.Context(), store.AuditRecord{PlanID: "p-evil", ProjectKey: "EVIL", Action: "denied", ApproverID: "U0X", Result: "bad \x1b]0;title\x07news\x1b[31m", Time: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}

	// history reads no Jira variable.
	code, out, errOut := cli(t, nil, sr.env, "history", "--json")
	if code != exitOK {
		t.Fatalf("history --json: exit %d\n%s", code, errOut)
	}
	var all []map[string]any
	if err := json.Unmarshal([]byte(out), &all); err != nil {
		t.Fatalf("history --json is not an array: %v\n%s", err, out)
	}
	var got []string
	for _, r := range all {
		got = append(got, r["projectKey"].(string)+" "+r["action"].(string)+" "+r["planId"].(string))
	}
	want := []string{"NOCR applied " + other, "NOPA undone " + id, "NOPA applied " + id, "EVIL denied p-evil"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("history --json (-want +got):\n%s", diff)
	}
	var fields []string
	for k := range all[0] {
		fields = append(fields, k)
	}
	slices.Sort(fields)
	if diff := cmp.Diff([]string{"action", "approverId", "created", "digest", "id", "planId", "projectKey", "removed", "requesterId", "result", "time"}, fields); diff != "" {
		t.Errorf("history --json fields (-want +got):\n%s", diff)
	}

	_, out, _ = cli(t, nil, sr.env, "history", "nopa", "--limit", "1", "--json")
	if err := json.Unmarshal([]byte(out), &all); err != nil || len(all) != 1 || all[0]["action"] != "undone" {
		t.Errorf("history nopa --limit 1 = %s, want NOPA's undo alone", out)
	}

	code, out, _ = cli(t, nil, sr.env, "history")
	if code != exitOK {
		t.Fatalf("history: exit %d", code)
	}
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "WHEN (UTC)") || !strings.Contains(lines[0], "PROJECT  ACTION   BY") {
		t.Errorf("history table header = %q", lines[0])
	}
	for _, w := range []string{"NOCR     applied", "NOPA     undone", id, "undone: 2 change(s) reverted, 0 left alone", "+ granted `CREATE_ISSUES` to Service Project Customer - Portal Access", "cli:", "bad news"} {
		if !strings.Contains(out, w) {
			t.Errorf("history table lacks %q:\n%s", w, out)
		}
	}
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("history passed an escape sequence through:\n%q", out)
	}

	_, out, _ = cli(t, nil, sr.env, "history", "HELP")
	if out != "No audit records of HELP in the shared record (they are kept 168h0m0s).\n" {
		t.Errorf("history HELP = %q", out)
	}
	_, out, _ = cli(t, nil, sr.env, "history", "HELP", "--json")
	if strings.TrimSpace(out) != "[]" {
		t.Errorf("history HELP --json = %q, want []", out)
	}
}

// TestNoSharedRecord: without REDIS_URL, undo and history say so plainly
// and exit 1; a malformed REDIS_URL stops fix before Jira.
func TestNoSharedRecord(t *testing.T) {
	t.Parallel()
	id, _ := store.NewID()
	for _, args := range [][]string{{"history"}, {"history", "NOPA", "--json"}, {"undo", id, "--yes"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			checkBadInput(t, args, nil, siteOf(t, "NOPA"), exitFailed, "there is no shared record: REDIS_URL is not set")
		})
	}
	_, out, _ := cli(t, nil, nil, "history", "--json")
	if !strings.Contains(out, `"kind": "no-shared-record"`) {
		t.Errorf("history --json without REDIS_URL = %s, want the no-shared-record error", out)
	}
	sim := siteOf(t, "NOPA")
	checkBadInput(t, []string{"fix", "NOPA", "--yes"}, map[string]string{"REDIS_URL": "http://nowhere"}, sim, exitFailed, "REDIS_URL must look like redis://")
	if n := len(sim.Requests()); n != 0 {
		t.Errorf("fix with a malformed REDIS_URL called Jira %d times", n)
	}
}

// TestDeadRedis: a shared record that does not answer is named as such,
// and fix stops before it calls Jira: a repair must not go unrecorded.
func TestDeadRedis(t *testing.T) {
	t.Parallel()
	id, _ := store.NewID()
	for _, args := range [][]string{{"fix", "NOPA", "--yes"}, {"undo", id, "--yes"}, {"history"}} {
		t.Run(args[0], func(t *testing.T) {
			t.Parallel()
			sr := newSharedRecord(t)
			sr.mr.Close()
			sim := siteOf(t, "NOPA")
			// In a synctest bubble, so go-redis's dial retries and backoff
			// against the dead address take no real time.
			synctest.Test(t, func(t *testing.T) {
				checkBadInput(t, args, sr.env, sim, exitFailed, "jsmbot: Redis is not answering: cannot reach Redis at ")
			})
			for _, r := range sim.Requests() {
				if r.Method != http.MethodGet {
					t.Errorf("%s wrote to Jira with the shared record down: %s %s", args[0], r.Method, r.Path)
				}
			}
		})
	}
}
