package bot

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// TestProgressThrottle: the first report is shown, then one every two
// seconds or every tenth of the site, never the last (the summary replaces
// the message).
func TestProgressThrottle(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	type report struct {
		done, total int
		at          time.Duration
	}
	tests := []struct {
		name    string
		reports []report
		want    []bool
	}{
		{"first shown", []report{{0, 100, 0}}, []bool{true}},
		{"unknown total", []report{{0, 0, 0}}, []bool{false}},
		{"small steps within 2 s", []report{{0, 100, 0}, {3, 100, time.Second}, {9, 100, 1900 * time.Millisecond}}, []bool{true, false, false}},
		{"a tenth of the site", []report{{0, 100, 0}, {10, 100, 100 * time.Millisecond}, {15, 100, 200 * time.Millisecond}, {20, 100, 300 * time.Millisecond}}, []bool{true, true, false, true}},
		{"two seconds", []report{{0, 1000, 0}, {1, 1000, 2 * time.Second}, {2, 1000, 3 * time.Second}, {3, 1000, 4 * time.Second}}, []bool{true, true, false, true}},
		{"last not shown", []report{{0, 10, 0}, {10, 10, time.Minute}}, []bool{true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			th := throttle{every: progressEvery, step: progressStep}
			var got []bool
			for _, r := range tt.reports {
				got = append(got, th.due(r.done, r.total, t0.Add(r.at)))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("shown (-want +got):\n%s", diff)
			}
		})
	}
}

// fleetReport is an audit report of n schemes of perScheme projects each,
// every other one broken, with long names, and some unchecked projects.
func fleetReport(n, perScheme, unchecked int) *repair.AuditReport {
	r := &repair.AuditReport{BuiltAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), Schemes: []repair.AuditScheme{}, Unchecked: []repair.AuditProject{}, NotApplicable: []repair.AuditProject{}}
	k := 0
	for i := range n {
		s := repair.AuditScheme{ID: int64(10000 + i), Name: strings.Repeat("Scheme & <co> ", 20) + fmt.Sprint(i), Healthy: i%2 == 1, OtherProjects: []string{}}
		for range perScheme {
			k++
			s.Projects = append(s.Projects, repair.AuditProject{Key: fmt.Sprintf("P%05d", k), ID: fmt.Sprint(k)})
		}
		if !s.Healthy {
			s.Findings = []diagnosis.Finding{{Rule: diagnosis.RulePortalAccess, Severity: diagnosis.Critical, Permission: "BROWSE_PROJECTS", Summary: "Customers can't browse"}}
			r.Summary.BrokenSchemes++
		}
		r.Schemes = append(r.Schemes, s)
	}
	for i := range unchecked {
		r.Unchecked = append(r.Unchecked, repair.AuditProject{Key: fmt.Sprintf("U%05d", i), Reason: "Jira refused to show its permission scheme"})
	}
	r.Summary.Schemes, r.Summary.Text = n, "some projects lack Portal Access grants"
	return r
}

// checkBlocks fails when a message breaks a Block Kit limit: 50 blocks,
// 3,000 characters per section, one table of at most 100 rows of at most
// 20 cells.
func checkBlocks(t *testing.T, m message) {
	t.Helper()
	if len(m.blocks) > maxBlocks {
		t.Errorf("%q has %d blocks, more than %d", m.text, len(m.blocks), maxBlocks)
	}
	tables := 0
	for _, b := range m.blocks {
		switch b := b.(type) {
		case *slack.SectionBlock:
			if n := utf8.RuneCountInString(b.Text.Text); n > maxTextRunes {
				t.Errorf("%q has a section of %d characters", m.text, n)
			}
		case *slack.TableBlock:
			tables++
			if len(b.Rows) > maxTableRows {
				t.Errorf("%q has a table of %d rows", m.text, len(b.Rows))
			}
			for _, r := range b.Rows {
				if len(r) > 20 {
					t.Errorf("%q has a row of %d cells", m.text, len(r))
				}
				for _, c := range r {
					if n := utf8.RuneCountInString(c.(*slack.TableRawTextCell).Text); n > maxCellRunes {
						t.Errorf("%q has a cell of %d characters", m.text, n)
					}
				}
			}
		}
	}
	if tables > 1 {
		t.Errorf("%q has %d tables", m.text, tables)
	}
}

// TestAuditSummaryWithinLimits: the summary keeps within Block Kit's
// limits on any site, says when it left something out, and the full list
// in the thread then names every project, within the limits too.
func TestAuditSummaryWithinLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                      string
		schemes, per, unchecked   int
		wantFits                  bool
		wantTableRows, wantMinMsg int
	}{
		{"small site", 3, 4, 2, true, 4, 0},
		{"many projects per scheme", 3, 400, 0, false, 4, 1},
		{"more schemes than rows", 250, 2, 0, false, maxTableRows, 1},
		{"many unchecked", 2, 2, 300, false, 3, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := fleetReport(tt.schemes, tt.per, tt.unchecked)
			m, fits := renderAuditSummary(r, nil, userRequester)
			checkBlocks(t, m)
			if fits != tt.wantFits {
				t.Errorf("fits = %v, want %v", fits, tt.wantFits)
			}
			var rows int
			for _, b := range m.blocks {
				if tb, ok := b.(*slack.TableBlock); ok {
					rows = len(tb.Rows)
				}
			}
			if rows != tt.wantTableRows {
				t.Errorf("table of %d rows, want %d", rows, tt.wantTableRows)
			}
			if got := strings.Contains(auditJSON(t, m), "The full list is in the thread"); got == fits {
				t.Errorf("summary says the full list is in the thread: %v, fits %v", got, fits)
			}
			list := renderAuditList(r)
			if len(list) < tt.wantMinMsg {
				t.Errorf("%d messages of the full list, want at least %d", len(list), tt.wantMinMsg)
			}
			var all strings.Builder
			for _, lm := range list {
				checkBlocks(t, lm)
				all.WriteString(auditJSON(t, lm))
			}
			for _, s := range r.Schemes {
				for _, p := range s.Projects {
					if !strings.Contains(all.String(), p.Key) {
						t.Fatalf("the full list lacks %s", p.Key)
					}
				}
			}
			for _, p := range r.Unchecked {
				if !strings.Contains(all.String(), p.Key) {
					t.Fatalf("the full list lacks unchecked %s", p.Key)
				}
			}
		})
	}
}

// auditJSON is a message's blocks as JSON, without HTML escapes.
func auditJSON(t *testing.T, m message) string {
	t.Helper()
	return plainJSON(t, m.blocks)
}

func plainJSON(t *testing.T, v any) string {
	t.Helper()
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

// schemeOfferFixture is a broken scheme of three service projects and a
// software project, with its in-place plan.
func schemeOfferFixture(id string) schemeOffer {
	plan := diagnosis.Plan{ID: "p1", Mode: diagnosis.ModeInPlace, ProjectKey: "AAA", SchemeID: 10100, SchemeName: "Shared",
		AddGrants: []diagnosis.Grant{{Permission: "BROWSE_PROJECTS", Holder: diagnosis.Holder{Type: "applicationRole"}}},
		Affects:   []string{"BBB", "CCC", "SOFT"}, Digest: "d1"}
	return schemeOffer{ID: id, Scheme: repair.AuditScheme{ID: 10100, Name: "Shared",
		Projects:      []repair.AuditProject{{Key: "AAA", ID: "1", Name: "Alpha"}, {Key: "BBB", ID: "2"}, {Key: "CCC", ID: "3"}},
		OtherProjects: []string{"SOFT"}, Plan: &plan}}
}

// TestSchemeOfferRecords: a scheme's offer is a normal in-place plan on its
// first service project, alone in its group, whose Affects are the others;
// its record also names the service projects to verify, and decodes as any
// plan.
func TestSchemeOfferRecords(t *testing.T) {
	t.Parallel()
	expires := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	o := approval.Origin{RequesterID: userRequester, ChannelID: channel, ThreadTS: "1.000100"}
	so := schemeOfferFixture("planid0000000000000000001")
	rec, err := schemeRecord(so, o, expires)
	if err != nil {
		t.Fatal(err)
	}
	want := store.PlanRecord{ID: so.ID, ProjectKey: "AAA", Mode: "in-place", Digest: "d1", RequesterID: userRequester, ChannelID: channel, ThreadTS: "1.000100", ExpiresAt: expires}
	got := rec
	got.Plan = nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	data, err := approval.Decode(rec)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(approval.PlanData{Plan: *so.Scheme.Plan, Group: []string{so.ID}, ProjectName: "Alpha", SharedWith: []string{"BBB", "CCC", "SOFT"}}, data); diff != "" {
		t.Errorf("plan data (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&schemeInfo{ID: 10100, Name: "Shared", Projects: []string{"AAA", "BBB", "CCC"}}, decodeScheme(rec)); diff != "" {
		t.Errorf("scheme (-want +got):\n%s", diff)
	}
	plain, _ := approval.NewRecords(&repair.Diagnosis{}, []diagnosis.Plan{*so.Scheme.Plan}, []string{"x"}, o, nil, expires)
	if decodeScheme(plain[0]) != nil {
		t.Error("a plain plan's record decodes as a scheme offer")
	}
}

// TestAuditShown: the summary replaces the progress message, the full list
// follows when needed, the summary is kept for App Home, and each offer is
// posted without its button, its plan saved, and only then the button
// added; without approvers the offers have no buttons and nothing is
// saved; an offer that could not be planned says why.
func TestAuditShown(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	o := approval.Origin{RequesterID: userRequester, ChannelID: channel, ThreadTS: "1.000100"}
	r := fleetReport(2, 3, 0)
	ok := schemeOfferFixture("planid0000000000000000001")
	failed := schemeOffer{Scheme: r.Schemes[0], Problem: "Jira is throttling"}
	tests := []struct {
		name        string
		offers      []schemeOffer
		withButtons bool
		want        []string
	}{
		{"offered", []schemeOffer{ok, failed}, true, []string{
			"update C0OPS 1.000100: Site audit: some projects lack Portal Access grants",
			"save blob last-audit",
			"post C0OPS thread 1.000100 as offer0: Scheme “Shared”: 3 service projects broken",
			"save plans planid0000000000000000001 (in-place) @offer0",
			"update C0OPS  @offer0: Scheme “Shared”: 3 service projects broken",
			"post C0OPS thread 1.000100: Scheme “" + r.Schemes[0].Name + "”: 3 service projects broken",
		}},
		{"no approvers", []schemeOffer{ok}, false, []string{
			"update C0OPS 1.000100: Site audit: some projects lack Portal Access grants",
			"save blob last-audit",
			"post C0OPS thread 1.000100: Scheme “Shared”: 3 service projects broken",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			effs, err := auditShown(r, tt.offers, o, now, now.Add(time.Hour), tt.withButtons)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range effs {
				s := e.String()
				if strings.HasPrefix(s, "save blob") {
					s = "save blob " + e.(saveBlob).key
				}
				got = append(got, s)
				if m, isPost := e.(post); isPost {
					checkBlocks(t, m.msg)
					if strings.Contains(auditJSON(t, m.msg), ActionApproveScheme) {
						t.Errorf("%s carries a button before its plan is saved", s)
					}
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("effects (-want +got):\n%s", diff)
			}
			var last lastAudit
			for _, e := range effs {
				if b, isBlob := e.(saveBlob); isBlob {
					if err := json.Unmarshal(b.data, &last); err != nil {
						t.Fatal(err)
					}
				}
			}
			if diff := cmp.Diff(lastAudit{At: now, BuiltAt: r.BuiltAt, RequesterID: userRequester, Summary: r.Summary,
				Broken: []lastAuditScheme{{ID: 10000, Name: r.Schemes[0].Name, Projects: 3}}}, last); diff != "" {
				t.Errorf("kept for App Home (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSchemeOfferButton: the ready offer's button approves the scheme
// behind a confirm dialog naming how many projects it changes.
func TestSchemeOfferButton(t *testing.T) {
	t.Parallel()
	m := renderSchemeOffer(schemeOfferFixture("planid0000000000000000001"), userRequester, offerReady)
	checkBlocks(t, m)
	raw := auditJSON(t, m)
	for _, want := range []string{`"text":"Approve: fix scheme","emoji":false},"action_id":"approve_scheme","value":"planid0000000000000000001"`, "Fix the scheme for 4 projects?", "for all 4 projects on it"} {
		if !strings.Contains(raw, want) {
			t.Errorf("offer lacks %s:\n%s", want, raw)
		}
	}
}

// TestHomeView: the Home tab shows the last audit and the pending plans,
// within Slack's 100 blocks however many there are.
func TestHomeView(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	last := &lastAudit{At: now.Add(-time.Hour), RequesterID: userRequester, Summary: repair.AuditSummary{Text: "3 projects on 1 scheme lack Portal Access grants", Schemes: 4, BrokenSchemes: 1, BrokenProjects: 3},
		Broken: []lastAuditScheme{{ID: 10100, Name: "Shared <x>", Projects: 3}}}
	var many []store.PlanRecord
	for i := range 200 {
		many = append(many, store.PlanRecord{ProjectKey: fmt.Sprintf("K%03d", i), Mode: "in-place", RequesterID: userRequester, ChannelID: channel, ExpiresAt: now.Add(20 * time.Minute)})
	}
	tests := []struct {
		name    string
		last    *lastAudit
		pending []store.PlanRecord
		want    []string
	}{
		{"nothing yet", nil, nil, []string{"No audit yet", "No repair is waiting for approval."}},
		{"audit and plans", last, many[:2], []string{"3 projects on 1 scheme lack Portal Access grants", "2026-03-02 08:00 UTC", "“Shared &lt;x&gt;” (10100): 3 service projects", "*K000* — Fix in place, asked by <@U0REQUEST> in <#C0OPS>; expires in 20 min."}},
		{"many plans", last, many, []string{"…and 170 more."}},
		{"a plan the watch offered", nil, []store.PlanRecord{{ProjectKey: "HELP", Mode: "in-place", ChannelID: channel, ExpiresAt: now.Add(20 * time.Minute)}},
			[]string{"*HELP* — Fix in place, noticed by the watch in <#C0OPS>; expires in 20 min."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := homeView(tt.last, tt.pending, now)
			if n := len(v.Blocks.BlockSet); n > maxViewBlocks {
				t.Errorf("%d blocks, more than %d", n, maxViewBlocks)
			}
			raw := plainJSON(t, v.Blocks.BlockSet)
			for _, w := range tt.want {
				if !strings.Contains(raw, w) {
					t.Errorf("Home tab lacks %q:\n%s", w, raw)
				}
			}
		})
	}
}
