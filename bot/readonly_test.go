package bot

import (
	"strings"
	"testing"
)

// TestReadOnlyBotOffersNoDeadButtons: with an empty approver list nobody
// may approve (deny by default), so a broken project's diagnosis shows
// what the fix would change and why there is no button.
func TestReadOnlyBotOffersNoDeadButtons(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withConfig(func(c *Config) { c.Approvers = nil }))
	got := h.diagnose(userRequester, "NOPA")
	blocks := string(got.Blocks)
	for _, want := range []string{"Broken", "read-only", "JSMBOT_APPROVERS", "jsmbot fix NOPA", "Browse Projects"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("read-only report lacks %q:\n%s", want, blocks)
		}
	}
	for _, id := range []string{ActionApproveInPlace, ActionApproveCopy, ActionDismiss} {
		if strings.Contains(blocks, `"action_id":"`+id+`"`) {
			t.Errorf("read-only report has the button %s:\n%s", id, blocks)
		}
	}
}
