package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/repair"
)

// TestCauseOutput: a finding with a cause says who and when under it in
// the terminal, and carries a cause object in --json; one without says
// nothing and has no cause key.
func TestCauseOutput(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	d := &repair.Diagnosis{
		Snapshot: diagnosis.Snapshot{
			Project: diagnosis.Project{Key: "HELP", Name: "Help", TypeKey: diagnosis.TypeServiceDesk},
			Scheme:  diagnosis.Scheme{ID: 10001, Name: "Broken"},
		},
		Report: diagnosis.Report{Applicable: true, Findings: []diagnosis.Finding{
			{Rule: "portal-access", Severity: diagnosis.Critical, Permission: "BROWSE_PROJECTS", Summary: "Browse missing."},
			{Rule: "portal-access", Severity: diagnosis.Critical, Permission: "CREATE_ISSUES", Summary: "Create missing."},
		}},
		Causes: repair.AuditCauses{Log: repair.AuditRead, ByFinding: map[int]repair.AuditCause{
			0: {Kind: repair.AuditSchemeChanged, AuthorAccountID: "5b1", AuthorName: "Olivia Owner", At: at, SchemeID: 10001, SchemeName: "Broken", FromScheme: "Good", RecordID: 7},
		}},
	}

	var b strings.Builder
	printDiagnosis(&b, d)
	lines := strings.Split(b.String(), "\n")
	i := slicesIndexContaining(lines, "Browse missing.")
	if i < 0 || i+1 >= len(lines) {
		t.Fatalf("no finding line in:\n%s", b.String())
	}
	if want := `           The project was moved to scheme "Broken" (from "Good") by Olivia Owner on 2026-03-02 09:00 UTC.`; lines[i+1] != want {
		t.Errorf("line under the finding = %q, want %q", lines[i+1], want)
	}
	if strings.Count(b.String(), " on 2026-03-02") != 1 {
		t.Errorf("a cause line for a finding without a cause:\n%s", b.String())
	}

	raw, err := json.Marshal(toJSON(d))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"kind":       "scheme-changed",
		"author":     map[string]any{"accountId": "5b1", "displayName": "Olivia Owner"},
		"at":         "2026-03-02T09:00:00Z",
		"schemeId":   float64(10001),
		"schemeName": "Broken",
		"fromScheme": "Good",
	}
	if diff := cmp.Diff(want, got.Findings[0]["cause"]); diff != "" {
		t.Errorf("cause mismatch (-want +got):\n%s", diff)
	}
	if _, has := got.Findings[1]["cause"]; has {
		t.Errorf("finding without a cause has one: %v", got.Findings[1])
	}
	if got.Findings[0]["rule"] != "portal-access" || got.Findings[0]["permission"] != "BROWSE_PROJECTS" {
		t.Errorf("finding fields lost: %v", got.Findings[0])
	}
}

func slicesIndexContaining(lines []string, s string) int {
	for i, l := range lines {
		if strings.Contains(l, s) {
			return i
		}
	}
	return -1
}
