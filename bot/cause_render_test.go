package bot

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jsmbot/jsmbot/repair"
)

// TestRenderReportCause: a finding whose cause the audit log holds gets
// one context line saying who and when, names escaped; the others get
// none.
func TestRenderReportCause(t *testing.T) {
	t.Parallel()
	expires := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	nopa := diagnoseSim(t, "NOPA")
	nopa.Causes = repair.AuditCauses{Log: repair.AuditRead, ByFinding: map[int]repair.AuditCause{
		0: {Kind: repair.AuditGrantRemoved, AuthorAccountID: "5b10a2844c20165700ede2aa", AuthorName: "Olivia <!channel> Owner", At: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), SchemeID: nopa.Snapshot.Scheme.ID, SchemeName: nopa.Snapshot.Scheme.Name},
		1: {Kind: repair.AuditSchemeChanged, AuthorAccountID: "5b10a2844c20165700ede2aa", AuthorName: "Olivia Owner", At: time.Date(2026, 3, 1, 17, 5, 0, 0, time.UTC), SchemeID: nopa.Snapshot.Scheme.ID, SchemeName: nopa.Snapshot.Scheme.Name, FromScheme: "Default Permission Scheme"},
	}}
	msg := renderReport(reportView{D: nopa, Offers: offersOf(t, nopa), RequesterID: userRequester, ExpiresAt: expires})
	checkMessage(t, "report-cause", msg)
	raw, err := json.Marshal(msg.blocks)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(raw), ":bust_in_silhouette:"); n != 2 {
		t.Errorf("%d cause lines, want 2", n)
	}
}
