package bot

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/store"
)

// withFakeSleep makes the bot's retry backoff advance the harness clock
// instead of waiting. A wait longer than any backoff is the lease
// renewer's (a third of a 30 s lease): it would advance the clock without
// end, so it waits until it is cancelled.
func withFakeSleep() harnessOption {
	return func(h *harness) {
		h.cfg.Lease = 30 * time.Second
		h.cfg.Sleep = func(ctx context.Context, d time.Duration) error {
			if d > maxBackoff {
				<-ctx.Done()
				return ctx.Err()
			}
			h.clock.Advance(d)
			return ctx.Err()
		}
	}
}

// stallingStore is a store whose writes stall for a while, on the
// harness's fake clock, from the first write of an applying plan's outcome:
// a stalled call takes up to recordBudget and fails with ErrUnavailable
// while the stall lasts, as the Redis store's does. onStall runs once, when
// the stall begins.
type stallingStore struct {
	store.Store
	now     func() time.Time
	advance func(time.Duration)
	stall   time.Duration
	onStall func()

	mu    sync.Mutex
	until time.Time
	calls int // stalled calls
}

// stalled simulates one write during the stall: it reports whether the
// write fails.
func (s *stallingStore) stalled(begin bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if begin && s.until.IsZero() {
		s.until = s.now().Add(s.stall)
		s.onStall()
	}
	left := s.until.Sub(s.now())
	if left <= 0 {
		return false
	}
	s.calls++
	s.advance(min(left, recordBudget))
	return s.now().Before(s.until)
}

func (s *stallingStore) Transition(ctx context.Context, id string, from, to store.State, mutate func(*store.PlanRecord)) (store.PlanRecord, error) {
	if s.stalled(from == store.StateApplying) {
		return store.PlanRecord{}, fmt.Errorf("redis: i/o timeout: %w", store.ErrUnavailable)
	}
	return s.Store.Transition(ctx, id, from, to, mutate)
}

func (s *stallingStore) AppendAudit(ctx context.Context, r store.AuditRecord) error {
	if s.stalled(false) {
		return fmt.Errorf("redis: i/o timeout: %w", store.ErrUnavailable)
	}
	return s.Store.AppendAudit(ctx, r)
}

// TestOutcomeSurvivesStallAndRateLimits is issue 9's acceptance story:
// Redis stalls 7 s at the outcome write and chat.update answers
// "ratelimited" twice, yet the outcome, the message and the audit record
// all arrive. Time is fake: the stall and the backoff advance the clock.
func TestOutcomeSurvivesStallAndRateLimits(t *testing.T) {
	t.Parallel()
	var st *stallingStore
	var h *harness
	h = newHarness(t, withFakeSleep(), func(h0 *harness) {
		st = &stallingStore{
			Store: store.NewMemory(store.WithClock(h0.clock.Now)),
			now:   h0.clock.Now, advance: h0.clock.Advance, stall: 7 * time.Second,
			onStall: func() {
				h.slack.RateLimitNext("chat.update", 2*time.Second)
				h.slack.RateLimitNext("chat.update", 2*time.Second)
			},
		}
		h0.store = st
	})
	report := h.diagnose(userRequester, "NOPA")
	planID := buttonValue(t, report, ActionApproveInPlace)
	start := h.clock.Now()
	h.click(userApprover, report, ActionApproveInPlace)

	if got := h.plan(planID); got.State != store.StateApplied {
		t.Errorf("plan is %s (%s), want applied", got.State, got.Result)
	}
	final := slacksim.RenderBlocks(h.message(report).Blocks)
	if !strings.Contains(final, "repaired") || !strings.Contains(final, "Verified") {
		t.Errorf("final message is not the outcome:\n%s", final)
	}
	if diff := cmp.Diff([]string{"applied"}, h.actions(planID)); diff != "" {
		t.Errorf("audit actions (-want +got):\n%s", diff)
	}
	var limited int
	for _, c := range h.slack.Calls("chat.update") {
		if c.Status == 429 {
			limited++
		}
	}
	if limited != 2 {
		t.Errorf("chat.update was rate limited %d time(s), want 2", limited)
	}
	if st.calls == 0 {
		t.Error("the store never stalled")
	}
	if waited := h.clock.Now().Sub(start); waited < 7*time.Second {
		t.Errorf("the fake clock moved %v, want at least the 7 s stall", waited)
	}
}
