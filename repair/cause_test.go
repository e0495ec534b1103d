package repair_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/internal/fakeclock"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
)

// oldLabels rewrites the audit log's Portal Access label to the one older
// sites write.
type oldLabels struct{ next http.RoundTripper }

func (o oldLabels) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := o.next.RoundTrip(r)
	if err != nil || !strings.HasSuffix(r.URL.Path, "/auditing/record") {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	b = bytes.ReplaceAll(b, []byte("Service Project Customer - Portal Access"), []byte("Service Desk Customer - Portal Access"))
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// grantID returns the id of the scheme's grant of perm to holder type
// (and parameter).
func grantID(t *testing.T, sim *jirasim.Server, schemeID int64, holderType, param, perm string) int64 {
	t.Helper()
	for _, g := range sim.SchemeGrants(schemeID) {
		if g.HolderType == holderType && g.HolderParameter == param && g.Permission == perm {
			return g.ID
		}
	}
	t.Fatalf("scheme %d has no %s %s grant of %s", schemeID, holderType, param, perm)
	return 0
}

// causeLine is a cause with the finding it explains, for comparison.
type causeLine struct {
	Rule, Permission string
	Cause            repair.AuditCause
}

func TestCauses(t *testing.T) {
	t.Parallel()
	const portal = "sd.customer.portal.only"
	rita := jirasim.User{AccountID: "5b10a2844c20165700ede2rr", Email: "rita@example.com", DisplayName: "Rita Remover", Active: true}
	at := fakeclock.Start.Add(time.Hour)

	tests := []struct {
		name string
		key  string
		// change runs at fakeclock.Start + 1h, behind the bot's back.
		change    func(t *testing.T, sim *jirasim.Server)
		transport func(http.RoundTripper) http.RoundTripper
		want      []causeLine
		wantLog   repair.AuditLog
		// wantUserCalls is how many GET /user the search may make.
		wantUserCalls int
		// withNOPA seeds NOPA, on a broken scheme of its own, beside HELP.
		withNOPA bool
	}{
		{
			name: "grant removed by a named author",
			key:  "HELP",
			change: func(t *testing.T, sim *jirasim.Server) {
				id, _ := sim.ProjectSchemeID("HELP")
				sim.SetChangeAuthor(rita.AccountID)
				sim.RemoveGrants(id, grantID(t, sim, id, portal, "", "BROWSE_PROJECTS"), grantID(t, sim, id, portal, "", "CREATE_ISSUES"))
			},
			want: []causeLine{
				{"portal-access", "BROWSE_PROJECTS", repair.AuditCause{Kind: repair.AuditGrantRemoved, AuthorAccountID: rita.AccountID, AuthorName: "Rita Remover", At: at}},
				{"portal-access", "CREATE_ISSUES", repair.AuditCause{Kind: repair.AuditGrantRemoved, AuthorAccountID: rita.AccountID, AuthorName: "Rita Remover", At: at}},
			},
			wantLog:       repair.AuditRead,
			wantUserCalls: 1, // names are cached within one call
		},
		{
			name: "older label",
			key:  "HELP",
			change: func(t *testing.T, sim *jirasim.Server) {
				id, _ := sim.ProjectSchemeID("HELP")
				sim.RemoveGrants(id, grantID(t, sim, id, portal, "", "CREATE_ISSUES"))
			},
			transport: func(next http.RoundTripper) http.RoundTripper { return oldLabels{next} },
			want: []causeLine{
				{"portal-access", "CREATE_ISSUES", repair.AuditCause{Kind: repair.AuditGrantRemoved, AuthorAccountID: jirasim.OwnerAccountID, AuthorName: "Olivia Owner", At: at}},
			},
			wantLog:       repair.AuditRead,
			wantUserCalls: 1,
		},
		{
			name:     "project moved to a broken scheme",
			key:      "HELP",
			withNOPA: true,
			change: func(t *testing.T, sim *jirasim.Server) {
				nopa, _ := sim.ProjectSchemeID("NOPA")
				sim.AssignScheme("HELP", nopa)
			},
			want: []causeLine{
				{"portal-access", "BROWSE_PROJECTS", repair.AuditCause{Kind: repair.AuditSchemeChanged, AuthorAccountID: jirasim.OwnerAccountID, AuthorName: "Olivia Owner", At: at, FromScheme: "Jira Service Management Permission Scheme for Project HELP"}},
				{"portal-access", "CREATE_ISSUES", repair.AuditCause{Kind: repair.AuditSchemeChanged, AuthorAccountID: jirasim.OwnerAccountID, AuthorName: "Olivia Owner", At: at, FromScheme: "Jira Service Management Permission Scheme for Project HELP"}},
			},
			wantLog:       repair.AuditRead,
			wantUserCalls: 1,
		},
		{
			name: "Administer Projects removed from the Administrators role",
			key:  "HELP",
			change: func(t *testing.T, sim *jirasim.Server) {
				id, _ := sim.ProjectSchemeID("HELP")
				sim.RemoveGrants(id, grantID(t, sim, id, "projectRole", "10002", "ADMINISTER_PROJECTS"))
			},
			want: []causeLine{
				{"admin-mandatory", "ADMINISTER_PROJECTS", repair.AuditCause{Kind: repair.AuditGrantRemoved, AuthorAccountID: jirasim.OwnerAccountID, AuthorName: "Olivia Owner", At: at}},
			},
			wantLog:       repair.AuditRead,
			wantUserCalls: 1,
		},
		{
			name: "a grant to the customers role added",
			key:  "HELP",
			change: func(t *testing.T, sim *jirasim.Server) {
				id, _ := sim.ProjectSchemeID("HELP")
				sim.AddGrants(id, jirasim.Grant{HolderType: "projectRole", HolderParameter: "10100", Permission: "EDIT_ISSUES"})
			},
			want: []causeLine{
				{"customers-role", "EDIT_ISSUES", repair.AuditCause{Kind: repair.AuditGrantAdded, AuthorAccountID: jirasim.OwnerAccountID, AuthorName: "Olivia Owner", At: at}},
			},
			wantLog:       repair.AuditRead,
			wantUserCalls: 1,
		},
		{
			name: "an author Jira does not know is named by the accountId",
			key:  "HELP",
			change: func(t *testing.T, sim *jirasim.Server) {
				id, _ := sim.ProjectSchemeID("HELP")
				sim.RemoveGrants(id, grantID(t, sim, id, portal, "", "CREATE_ISSUES"))
				sim.FailNext(http.MethodGet, "/rest/api/3/user", 1, http.StatusNotFound, nil)
			},
			want: []causeLine{
				{"portal-access", "CREATE_ISSUES", repair.AuditCause{Kind: repair.AuditGrantRemoved, AuthorAccountID: jirasim.OwnerAccountID, AuthorName: jirasim.OwnerAccountID, At: at}},
			},
			wantLog:       repair.AuditRead,
			wantUserCalls: 1,
		},
		{
			name: "audit log unreadable",
			key:  "HELP",
			change: func(t *testing.T, sim *jirasim.Server) {
				id, _ := sim.ProjectSchemeID("HELP")
				sim.RemoveGrants(id, grantID(t, sim, id, portal, "", "CREATE_ISSUES"))
				sim.SetAuditLogAvailable(false)
			},
			wantLog: repair.AuditUnreadable,
		},
		{
			name:     "nothing in the log",
			key:      "NOPA", // broken since before the log's records
			wantLog:  repair.AuditRead,
			withNOPA: true,
		},
		{
			name:    "healthy: no search",
			key:     "HELP",
			wantLog: repair.AuditNotSearched,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := fakeclock.New()
			seed := []jirasim.Scenario{jirasim.ScenarioHealthy}
			if tt.withNOPA {
				seed = append(seed, jirasim.ScenarioPortalAccessMissing)
			}
			sim := seeded(t, jirasim.NewServer(t, jirasim.WithClock(clock.Now), jirasim.WithSeed(seed...)), seed)
			var opts []jira.Option
			if tt.transport != nil {
				opts = append(opts, jira.WithHTTPClient(&http.Client{Transport: tt.transport(sim.Client().Transport)}))
			}
			// The engine knew the site before the change, as a running bot
			// does.
			e := engineOn(t, sim, opts...)
			sim.AddUser(rita)
			clock.Set(at)
			if tt.change != nil {
				tt.change(t, sim)
			}
			clock.Advance(time.Minute)
			d, err := e.Diagnose(t.Context(), tt.key)
			if err != nil {
				t.Fatal(err)
			}
			sim.ResetRequests()
			got, err := e.Causes(t.Context(), d, repair.CauseClock(clock.Now))
			if err != nil {
				t.Fatalf("Causes: %v", err)
			}
			if got.Log != tt.wantLog {
				t.Errorf("Log = %q, want %q", got.Log, tt.wantLog)
			}
			var lines []causeLine
			for i, f := range d.Report.Findings {
				if c, ok := got.Of(i); ok {
					lines = append(lines, causeLine{f.Rule, f.Permission, c})
				}
			}
			// Every cause names the project's current scheme.
			for i := range tt.want {
				tt.want[i].Cause.SchemeID, tt.want[i].Cause.SchemeName = d.Snapshot.Scheme.ID, d.Snapshot.Scheme.Name
			}
			if diff := cmp.Diff(tt.want, lines, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".RecordID" }, cmp.Ignore())); diff != "" {
				t.Errorf("causes mismatch (-want +got):\n%s", diff)
			}
			for _, l := range lines {
				if l.Cause.RecordID == 0 {
					t.Errorf("cause of %s %s has no record id", l.Rule, l.Permission)
				}
			}
			var audit, users int
			for _, r := range sim.Requests() {
				switch r.Path {
				case "/rest/api/3/auditing/record":
					audit++
				case "/rest/api/3/user":
					users++
				}
			}
			wantAudit := 2
			if tt.wantLog == repair.AuditNotSearched {
				wantAudit = 0
			}
			if audit != wantAudit || users != tt.wantUserCalls {
				t.Errorf("Jira calls: %d audit reads and %d user lookups, want %d and %d", audit, users, wantAudit, tt.wantUserCalls)
			}
		})
	}
}

// TestCausesMostRecentWins: a project moved to a scheme whose grant is
// removed afterwards is broken by the removal, not the move.
func TestCausesMostRecentWins(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New()
	// Pages of 50: the copy's creation writes an audit record per grant,
	// which the search pages through (2 a page would take 60 calls).
	seed := []jirasim.Scenario{jirasim.ScenarioHealthy}
	sim := seeded(t, jirasim.NewServer(t, jirasim.WithClock(clock.Now), jirasim.WithSeed(seed...), jirasim.WithPageSize(50)), seed)
	e := engineOn(t, sim) // it knew the site before the changes
	help, _ := sim.ProjectSchemeID("HELP")
	copyID := sim.AddScheme("Copy of HELP", "", sim.SchemeGrants(help)...)
	clock.Advance(time.Hour)
	sim.AssignScheme("HELP", copyID)
	clock.Advance(time.Hour)
	sim.RemoveGrants(copyID, grantID(t, sim, copyID, "sd.customer.portal.only", "", "BROWSE_PROJECTS"))
	clock.Advance(time.Minute)

	d, err := e.Diagnose(t.Context(), "HELP")
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Causes(t.Context(), d, repair.CauseClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []repair.AuditCauseKind
	for i, f := range d.Report.Findings {
		if c, ok := got.Of(i); ok && f.Severity == diagnosis.Critical {
			kinds = append(kinds, c.Kind)
			if want := fakeclock.Start.Add(2 * time.Hour); !c.At.Equal(want) {
				t.Errorf("At = %v, want %v", c.At, want)
			}
		}
	}
	if diff := cmp.Diff([]repair.AuditCauseKind{repair.AuditGrantRemoved}, kinds); diff != "" {
		t.Errorf("kinds mismatch (-want +got):\n%s", diff)
	}
}

func TestCauseSentence(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	quote := func(s string) string { return "«" + s + "»" }
	tests := []struct {
		name  string
		cause repair.AuditCause
		want  string
	}{
		{"removed", repair.AuditCause{Kind: repair.AuditGrantRemoved, AuthorName: "Olivia Owner", At: at}, "Removed by Olivia Owner on 2026-03-02 09:00 UTC."},
		{"added", repair.AuditCause{Kind: repair.AuditGrantAdded, AuthorName: "Olivia Owner", At: at}, "Granted by Olivia Owner on 2026-03-02 09:00 UTC."},
		{"moved", repair.AuditCause{Kind: repair.AuditSchemeChanged, AuthorName: "Olivia Owner", At: at, SchemeName: "X", FromScheme: "Y"}, "The project was moved to scheme «X» (from «Y») by Olivia Owner on 2026-03-02 09:00 UTC."},
		{"moved, origin unknown", repair.AuditCause{Kind: repair.AuditSchemeChanged, AuthorAccountID: "abc", At: at, SchemeName: "X"}, "The project was moved to scheme «X» by abc on 2026-03-02 09:00 UTC."},
		{"no author", repair.AuditCause{Kind: repair.AuditGrantRemoved, At: at}, "Removed on 2026-03-02 09:00 UTC."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.cause.Sentence(quote); got != tt.want {
				t.Errorf("Sentence = %q, want %q", got, tt.want)
			}
		})
	}
}
