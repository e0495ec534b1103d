package bot

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// TestFleet5000Manual is the acceptance case of issue 10 item 1, run by
// hand (JSMBOT_FLEET_5000=1; it takes minutes): on 5,000 projects with
// 200 ms of latency, the background refresh builds the index, then
// /jsm diagnose succeeds within the handler's timeout, and its approval
// rescans nothing. It logs the times it measured.
func TestFleet5000Manual(t *testing.T) {
	if os.Getenv("JSMBOT_FLEET_5000") != "1" {
		t.Skip("set JSMBOT_FLEET_5000=1 to run the 5,000-project case")
	}
	h := newHarness(t, withFleet(jirasim.Fleet{Projects: 5000, Schemes: 100}, jirasim.WithLatency(200*time.Millisecond), jirasim.WithPageSize(100)))
	start := time.Now()
	h.bots[0].bot.refreshIndex(t.Context(), 10*time.Minute)
	t.Logf("background refresh: %v, %d Jira calls", time.Since(start), len(h.jira.Requests()))
	key := jirasim.FleetKey(0)
	h.jira.ResetRequests()
	start = time.Now()
	m := h.diagnose(userRequester, key)
	t.Logf("/jsm diagnose %s: %v, %d Jira calls, %d scans", key, time.Since(start), len(h.jira.Requests()), scans(h.jira))
	h.jira.ResetRequests()
	start = time.Now()
	h.click(userApprover, m, ActionApproveInPlace)
	t.Logf("approval: %v, %d Jira calls, %d scans, %d other projects' scheme reads", time.Since(start), len(h.jira.Requests()), scans(h.jira), schemeReadsBut(h.jira, key))
	if got := h.message(m); !strings.Contains(got.Text, "repaired and verified") {
		t.Errorf("after approval the message says %q", got.Text)
	}
}
