package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/store"
)

// downAuditStore is a store whose audit appends fail, as a Redis that does
// not answer, while down is set.
type downAuditStore struct {
	store.Store
	down atomic.Bool
}

func (s *downAuditStore) AppendAudit(ctx context.Context, r store.AuditRecord) error {
	if s.down.Load() {
		return fmt.Errorf("redis: i/o timeout: %w", store.ErrUnavailable)
	}
	return s.Store.AppendAudit(ctx, r)
}

// TestReconcilerRecordsWhatAnApplyLeft: the apply's final state is
// recorded but the audit record keeps failing past its retries (on fake
// time). The owner leaves it for the reconciler, which appends it, and
// its summary in the thread, once the store answers again, and only once.
func TestReconcilerRecordsWhatAnApplyLeft(t *testing.T) {
	t.Parallel()
	st := &downAuditStore{}
	h := newHarness(t, withFakeSleep(), withConfig(func(c *Config) { c.ReconcileInterval = time.Hour }), func(h0 *harness) {
		st.Store = store.NewMemory(store.WithClock(h0.clock.Now))
		h0.store = st
	})
	report := h.diagnose(userRequester, "NOPA")
	planID := buttonValue(t, report, ActionApproveInPlace)
	st.down.Store(true)
	h.click(userApprover, report, ActionApproveInPlace)

	if got := h.plan(planID).State; got != store.StateApplied {
		t.Fatalf("plan is %s, want applied", got)
	}
	if acts := h.actions(planID); len(acts) != 0 {
		t.Fatalf("audit %v while the store was down", acts)
	}
	if _, err := h.store.Blob(h.ctx(), unrecordedKey(planID)); err != nil {
		t.Fatalf("no marker for the reconciler: %v", err)
	}
	bot := h.bots[0].bot
	if err := bot.reconcile(h.ctx()); err != nil && !errors.Is(err, store.ErrUnavailable) {
		t.Fatal(err)
	}
	if acts := h.actions(planID); len(acts) != 0 {
		t.Fatalf("audit %v while the store is still down", acts)
	}

	st.down.Store(false)
	for range 2 { // the second pass finds nothing left
		if err := bot.reconcile(h.ctx()); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{approval.Applied}, h.actions(planID)); diff != "" {
		t.Errorf("audit actions (-want +got):\n%s", diff)
	}
	var summaries int
	for _, m := range h.slack.Messages(channel) {
		if m.ThreadTS == report.TS && strings.HasPrefix(m.Text, "Audit: ") {
			summaries++
		}
	}
	if summaries != 1 {
		t.Errorf("%d audit summaries in the thread, want 1", summaries)
	}
	if raw, err := h.store.Blob(h.ctx(), unrecordedKey(planID)); err == nil && len(raw) > 0 {
		t.Errorf("marker still holds %s", raw)
	}
}
