package faulttest

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/store"
)

// TestSIGTERMDuringFiveWrites' timing: the production stop (writes of
// about 2 s against an 8 s drain, 3 s a write not yet tried, 25 s at most)
// scaled by 0.1, so that the four writes left at SIGTERM outlast the
// plain drain timeout, and only the per-write budget lets them finish, as
// at full scale.
const (
	writeLatency = 200 * time.Millisecond
	drainTimeout = "800ms"
	writeBudget  = "300ms"
	maxDrain     = "2500ms"
)

// TestSIGTERMDuringFiveWrites: CUST's plan has five writes (two grants to
// add, three to remove) and Jira takes a while for each: four of them
// take longer than the drain timeout, each less than the drain's budget a
// write. SIGTERM arrives once the first has landed. Either the bot finishes the sequence (all five in
// Jira, the plan applied, one audit record listing the five) and exits 0,
// or it leaves the plan applying and a restarted bot's reconciler records
// exactly what landed. Never a half-repair without a record.
func TestSIGTERMDuringFiveWrites(t *testing.T) {
	t.Parallel()
	g := newGate(isAnyWrite, 0)
	s := newSite(t, 10, g.wrap, jirasim.ScenarioCustomersRole)
	s.extraEnv = map[string]string{"JSMBOT_DRAIN_TIMEOUT": drainTimeout, "JSMBOT_WRITE_BUDGET": writeBudget, "JSMBOT_MAX_DRAIN": maxDrain}
	t.Cleanup(g.open)
	c := s.start()

	report := s.diagnose("CUST", bot.ActionApproveInPlace)
	planID := buttonValue(t, report, bot.ActionApproveInPlace)
	g.latency.Store(int64(writeLatency))
	s.approve(report, bot.ActionApproveInPlace)
	waitFor(t, g.answered, 20*time.Second, "the first write did not land")
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, c.done, 20*time.Second, "jsmbot run did not exit after SIGTERM")

	rec := s.plan(planID)
	switch rec.State {
	case store.StateApplied:
		if c.err != nil {
			t.Errorf("jsmbot run ended with %v after finishing the repair, want exit 0", c.err)
		}
		if n := len(landed(s.jira.Requests())); n != 5 {
			t.Errorf("the plan is applied but %d of its 5 writes landed", n)
		}
	case store.StateApplying:
		// Cut: the log must say who settles it, and a restarted bot does.
		if out := c.out.String(); !strings.Contains(out, "reconcil") {
			t.Errorf("the bot stopped mid-sequence without saying the reconciler will settle it:\n%s", out)
		}
		s.waitGone()
		s.start()
		s.waitMessage(report, settleWithin, "show the settled outcome", func(m string) bool { return !strings.Contains(m, "Applying") })
		s.waitAudit(planID, 1, settleWithin)
		rec = s.plan(planID)
		if !final(rec.State) {
			t.Errorf("after the restart the plan is %s, want final", rec.State)
		}
	default:
		t.Fatalf("SIGTERM left the plan %s (%s)", rec.State, rec.Result)
	}

	got := landed(s.jira.Requests())
	audits := s.audit(planID)
	if len(audits) != 1 {
		t.Fatalf("%d audit records, want 1: %+v", len(audits), audits)
	}
	if n := len(audits[0].Created) + len(audits[0].Removed); n != len(got) {
		t.Errorf("the audit record lists %d change(s), Jira took %d write(s):\ncreated %q\nremoved %q\nwrites:\n%s",
			n, len(got), audits[0].Created, audits[0].Removed, describe(got))
	}
	t.Logf("plan %s (%s) after %d write(s)", rec.State, rec.Result, len(got))
}
