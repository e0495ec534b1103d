package faulttest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/store"
)

// TestTwoCopiesOfOneSharedScheme: SHRA and SHRB share a scheme; both are
// repaired in copy mode at the same moment (their copies' creations reach
// Jira together, so both chose a name from the same scheme list). Both
// repairs succeed, each project on a copy of its own, the third project
// stays on the shared scheme, and no orphan copy is left.
func TestTwoCopiesOfOneSharedScheme(t *testing.T) {
	t.Parallel()
	b := newBarrier(isSchemeCreate, 2)
	s := newSite(t, 11, b.wrap, jirasim.ScenarioShared)
	s.start()

	shared, _ := s.jira.ProjectSchemeID("SHRA")
	schemesBefore := s.jira.SchemeIDs()
	keys := []string{"SHRA", "SHRB"}
	reports := make([]slacksim.Message, len(keys))
	for i, key := range keys {
		reports[i] = s.diagnose(key, bot.ActionApproveCopy)
	}
	for _, r := range reports {
		s.approve(r, bot.ActionApproveCopy)
	}
	var copies []int64
	for i, key := range keys {
		s.waitMessage(reports[i], 30*time.Second, "say "+key+" was repaired", func(m string) bool {
			return strings.Contains(m, "*Verified*") && !strings.Contains(m, "Applying")
		})
		if rec := s.plan(buttonValue(t, reports[i], bot.ActionApproveCopy)); rec.State != store.StateApplied {
			t.Errorf("%s: plan is %s (%s), want applied", key, rec.State, rec.Result)
		}
		cur, _ := s.jira.ProjectSchemeID(key)
		if cur == shared || slices.Contains(schemesBefore, cur) {
			t.Errorf("%s is on scheme %d, want a new copy", key, cur)
		}
		copies = append(copies, cur)
	}
	if copies[0] == copies[1] {
		t.Errorf("SHRA and SHRB share the copy %d", copies[0])
	}
	if name0, name1 := s.jira.SchemeName(copies[0]), s.jira.SchemeName(copies[1]); name0 == name1 {
		t.Errorf("both copies are named %q", name0)
	}
	if cur, _ := s.jira.ProjectSchemeID("SHRC"); cur != shared {
		t.Errorf("SHRC moved to scheme %d, want the shared %d", cur, shared)
	}
	// Both chose the same free name; Jira refused one, which took the next.
	refused := 0
	for _, r := range s.jira.Requests() {
		if r.Method == "POST" && r.Path == "/rest/api/3/permissionscheme" && r.Status == 400 {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("Jira refused %d copy creation(s) for a taken name, want 1 (else the two were not simultaneous)", refused)
	}
	slices.Sort(copies)
	if got := newSchemes(schemesBefore, s.jira.SchemeIDs()); !slices.Equal(got, copies) {
		t.Errorf("new schemes %v, want only the two copies %v", got, copies)
	}
}
