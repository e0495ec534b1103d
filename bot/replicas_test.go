package bot

import (
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/jsmbot/jsmbot/internal/fakeclock"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/store"
)

// TestTwoReplicasShareRedis runs two bot processes (each with its own
// socketmode client, engine and Redis client) against one Redis and one
// Slack workspace. Clicks of two approvers on both modes, all in flight at
// once (a send does not wait for the bot), and redeliveries reach both;
// one plan is applied, once.
func TestTwoReplicasShareRedis(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	clk := fakeclock.New()
	newRedis := func() store.Store {
		s := store.NewRedis(redis.NewClient(&redis.Options{Addr: mr.Addr()}), store.WithRedisClock(clk.Now))
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	h := newHarness(t, withSeed(jirasim.ScenarioShared), withStore(newRedis()), func(h *harness) { h.clock = clk })
	h.store = newRedis()
	h.startBot()

	report := h.diagnose(userRequester, "SHRA")
	clicks := []struct{ user, action string }{
		{userApprover, ActionApproveCopy}, {userGroupMember, ActionApproveInPlace},
		{userApprover, ActionApproveInPlace}, {userGroupMember, ActionApproveCopy},
	}
	var ids []string
	for _, c := range clicks {
		ids = append(ids, h.send(c.user, report, c.action))
	}
	// Round robin sends the redeliveries to the other process.
	for _, id := range ids[:2] {
		if err := h.slack.Redeliver(h.ctx(), id); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range ids {
		want := 1
		if i < 2 {
			want = 2
		}
		h.track.wait(t, id, want)
	}
	assertAppliedOnce(t, h, report)
}
