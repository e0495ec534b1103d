package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/internal/golden"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// checkLimits fails if a message breaks a Block Kit limit or carries
// Slack markup the bot did not make (a channel ping or a link).
func checkLimits(t *testing.T, m message) {
	t.Helper()
	if len(m.blocks) > maxBlocks {
		t.Errorf("%d blocks, limit %d", len(m.blocks), maxBlocks)
	}
	raw, err := json.Marshal(m.blocks)
	if err != nil {
		t.Fatal(err)
	}
	var texts, markup []string
	collectTexts(json.RawMessage(raw), &texts, &markup)
	// The notification text is mrkdwn as well.
	markup = append(markup, m.text)
	for _, s := range texts {
		if n := utf8.RuneCountInString(s); n > maxTextRunes {
			t.Errorf("a text has %d runes, limit %d", n, maxTextRunes)
		}
	}
	// plain_text is shown literally; only mrkdwn could ping or link.
	for _, s := range markup {
		for _, bad := range []string{"<!", "<http", "<mailto"} {
			if strings.Contains(s, bad) {
				t.Errorf("text carries %q: %q", bad, s)
			}
		}
	}
}

// collectTexts gathers every "text" string in a JSON tree, and separately
// those of mrkdwn text objects.
func collectTexts(raw json.RawMessage, out, markup *[]string) {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if s, ok := c.(string); ok && k == "text" {
					*out = append(*out, s)
					if x["type"] == "mrkdwn" {
						*markup = append(*markup, s)
					}
				}
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
}

// seededDiagnoses are the diagnoses of the seeded projects the render
// tests show, made once per test binary on one site of their scenarios
// (the golden files pin its ids) by one engine, whose site index they
// share. They are read only: diagnoseSim hands out copies.
var seededDiagnoses = sync.OnceValues(func() (map[string]*repair.Diagnosis, error) {
	sim := jirasim.New(jirasim.WithSeed(jirasim.ScenarioHealthy, jirasim.ScenarioPortalAccessMissing, jirasim.ScenarioShared, jirasim.ScenarioSoftware))
	defer sim.Close()
	client, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken, jira.WithHTTPClient(sim.Client()))
	if err != nil {
		return nil, err
	}
	engine := repair.New(client)
	out := map[string]*repair.Diagnosis{}
	for _, key := range []string{"HELP", "NOPA", "SHRA", "SOFT"} {
		d, err := engine.Diagnose(context.Background(), key)
		if err != nil {
			return nil, fmt.Errorf("diagnose %s: %w", key, err)
		}
		out[key] = d
	}
	return out, nil
})

// diagnoseSim returns a diagnosis of a seeded project of the default
// jirasim site, a copy the caller may change.
func diagnoseSim(t *testing.T, key string) *repair.Diagnosis {
	t.Helper()
	all, err := seededDiagnoses()
	if err != nil {
		t.Fatal(err)
	}
	d, ok := all[key]
	if !ok {
		t.Fatalf("no seeded diagnosis of %s", key)
	}
	c := *d
	return &c
}

func offersOf(t *testing.T, d *repair.Diagnosis) []offer {
	t.Helper()
	plans, err := approval.Offers(d)
	if err != nil {
		t.Fatal(err)
	}
	var out []offer
	for i, p := range plans {
		out = append(out, offer{ID: strings.Repeat(string(rune('a'+i)), 26), Plan: p})
	}
	return out
}

// hostile is a diagnosis whose Jira-controlled strings try to ping the
// channel and forge links, with more findings than a message can hold.
func hostile() *repair.Diagnosis {
	evil := "<!channel> & <https://evil.example|click me>"
	d := &repair.Diagnosis{Snapshot: diagnosis.Snapshot{
		Project:    diagnosis.Project{Key: "EVIL", Name: evil + strings.Repeat("x", 200), TypeKey: "service_desk"},
		Scheme:     diagnosis.Scheme{ID: 1, Name: evil},
		SharedWith: []string{"OTHER"},
	}}
	d.Report.Applicable = true
	for i := range 30 {
		summary := evil
		if i == 0 {
			summary += strings.Repeat(" long", 700)
		}
		d.Report.Findings = append(d.Report.Findings, diagnosis.Finding{
			Rule: "portal-access", Severity: diagnosis.Critical, Summary: summary, Why: evil,
		})
	}
	return d
}

// TestRender pins every message the bot posts (the Block Kit JSON and how
// it reads) and checks Block Kit limits and escaping on each.
func TestRender(t *testing.T) {
	t.Parallel()
	expires := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	nopa, shra := diagnoseSim(t, "NOPA"), diagnoseSim(t, "SHRA")
	nopaOffers := offersOf(t, nopa)
	rec := store.PlanRecord{
		ID: "aaaaaaaaaaaaaaaaaaaaaaaaaa", State: store.StateApplying, ProjectKey: "NOPA", Mode: "in-place",
		Digest: nopaOffers[0].Plan.Digest, RequesterID: userRequester, ApproverID: userApprover,
		ChannelID: channel, MessageTS: "1.000001", ExpiresAt: expires,
	}
	view := planView{Rec: rec, Data: approval.PlanData{Plan: nopaOffers[0].Plan, Group: []string{rec.ID}, ProjectName: nopa.Snapshot.Project.Name, Roles: nopa.Snapshot.Roles}}
	var changes []repair.Change
	for _, g := range nopaOffers[0].Plan.AddGrants {
		changes = append(changes, repair.Change{Step: repair.StepAddGrant, SchemeID: 1, SchemeName: "NOPA scheme", Grant: g, Done: true})
	}
	partial := append([]repair.Change(nil), changes...)
	partial[len(partial)-1].Done, partial[len(partial)-1].Err = false, errors.New("jira: 403")
	after := diagnoseSim(t, "HELP")

	tests := []struct {
		name string
		msg  message
	}{
		{"report-healthy", renderReport(reportView{D: diagnoseSim(t, "HELP"), RequesterID: userRequester})},
		{"report-not-applicable", renderReport(reportView{D: diagnoseSim(t, "SOFT"), RequesterID: userRequester})},
		{"report-broken", renderReport(reportView{D: nopa, Offers: nopaOffers, RequesterID: userRequester, ExpiresAt: expires})},
		{"report-preparing", renderReport(reportView{D: nopa, Offers: nopaOffers, RequesterID: userRequester, ExpiresAt: expires, Preparing: true})},
		{"report-shared", renderReport(reportView{D: shra, Offers: offersOf(t, shra), RequesterID: userRequester, ExpiresAt: expires})},
		{"report-hostile", renderReport(reportView{D: hostile(), Offers: offersOf(t, nopa), RequesterID: "<!channel>", ExpiresAt: expires})},
		{"applying", renderApplying(view)},
		{"result-verified", renderResult(view, &repair.Result{Plan: view.Data.Plan, Changes: changes, After: after, Verified: true}, "")},
		{"result-partial", renderResult(view, &repair.Result{Plan: view.Data.Plan, Changes: partial}, "Jira refused to let me add a grant (ref abcdefgh)")},
		{"stale", renderStale(view)},
		{"dismissed", renderClosed(view, store.StateDismissed, userRequester)},
		{"expired", renderClosed(view, store.StateExpired, "")},
		{"audit", message{text: "Audit", blocks: []slack.Block{section(auditText(store.AuditRecord{
			PlanID: rec.ID, Time: expires, RequesterID: userRequester, ApproverID: userApprover, ProjectKey: "NOPA",
			Digest: rec.Digest, Action: "applied", Result: "applied; verified healthy",
			Created: []string{"granted `BROWSE_PROJECTS` to <!channel> in “x”"},
		}))}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkMessage(t, tt.name, tt.msg)
		})
	}
}

// checkMessage checks msg against Block Kit's limits and pins it in a golden
// file: its fallback text, its readable rendering and its blocks' JSON.
func checkMessage(t *testing.T, name string, msg message) {
	t.Helper()
	checkLimits(t, msg)
	blocks, err := json.MarshalIndent(msg.blocks, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	out.WriteString("text: " + msg.text + "\n\n")
	out.WriteString(slacksim.RenderBlocks(blocks))
	out.WriteString("\n---\n")
	out.Write(blocks)
	out.WriteString("\n")
	golden.Check(t, name+".txt", []byte(out.String()))
}

func TestHelpIsGeneratedFromTheTable(t *testing.T) {
	t.Parallel()
	help := helpText("")
	for _, c := range commands() {
		if !strings.Contains(help, c.example) || !strings.Contains(help, c.description) {
			t.Errorf("help lacks command %q", c.name)
		}
	}
	for _, a := range actions() {
		if !strings.Contains(help, a.description) {
			t.Errorf("help lacks action %q", a.id)
		}
	}
	golden.Check(t, "help.txt", []byte(help+"\n"))
}

func TestEscapeAndTruncate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"escape", escape("<!channel> & <@U1>"), "&lt;!channel&gt; &amp; &lt;@U1&gt;"},
		{"mention", mention("U0ABC"), "<@U0ABC>"},
		{"mention forged", mention("<!here>"), "&lt;!here&gt;"},
		{"truncate short", truncate("héllo", 5), "héllo"},
		{"truncate runes", truncate("héllo wörld", 6), "héllo…"},
		{"truncate keeps entities whole", truncate("ab &amp; cd", 6), "ab …"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}
