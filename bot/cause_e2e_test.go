package bot

import (
	"strings"
	"testing"

	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// TestDiagnosisSaysWhoBrokeIt: a Portal Access grant removed behind the
// bot's back is named in /jsm diagnose with who removed it, from Jira's
// audit log.
func TestDiagnosisSaysWhoBrokeIt(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withSeed(jirasim.ScenarioHealthy))
	id, ok := h.jira.ProjectSchemeID("HELP")
	if !ok {
		t.Fatal("HELP has no scheme")
	}
	for _, g := range h.jira.SchemeGrants(id) {
		if g.HolderType == "sd.customer.portal.only" && g.Permission == "CREATE_ISSUES" {
			h.jira.RemoveGrants(id, g.ID)
		}
	}
	got := h.diagnose(userRequester, "HELP")
	blocks := string(got.Blocks)
	if !strings.Contains(blocks, "Broken") || !strings.Contains(blocks, "Removed by Olivia Owner on ") {
		t.Errorf("diagnosis does not say who removed the grant:\n%s", blocks)
	}
}
