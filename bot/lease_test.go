package bot

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/slack-go/slack/socketmode"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/internal/fakeclock"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// TestLeaseRenewsOnTheBotsClock: the owner's renewals wait on Config.Sleep
// and stamp the lease from Config.Now, so a fake clock drives them.
func TestLeaseRenewsOnTheBotsClock(t *testing.T) {
	t.Parallel()
	clk := fakeclock.New()
	st := store.NewMemory(store.WithClock(clk.Now))
	woke := make(chan time.Duration)
	proceed := make(chan struct{})
	client, err := jira.NewClient("https://jira.example.net", "a@example.com", "token")
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{Now: clk.Now, Owner: "me", Lease: 9 * time.Second,
		Sleep: func(ctx context.Context, d time.Duration) error {
			select {
			case woke <- d:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case <-proceed:
				clk.Advance(d)
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}}, Deps{Events: make(chan socketmode.Event), Ack: func(context.Context, string, any) error { return nil },
		Slack: nopPoster{}, Engine: repair.New(client), Store: st})
	if err != nil {
		t.Fatal(err)
	}
	rec := store.PlanRecord{ID: "p1", ProjectKey: "HELP", Mode: "in-place", ExpiresAt: clk.Now().Add(time.Hour)}
	if err := st.SavePlan(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Transition(t.Context(), rec.ID, store.StatePending, store.StateApplying,
		approval.Approval(rec, userApprover, "me", clk.Now().Add(9*time.Second)).Mutate()); err != nil {
		t.Fatal(err)
	}
	l := b.renewLease(t.Context(), click{request: request{log: slog.New(slog.DiscardHandler)}}, rec.ID, 2)
	if d := <-woke; d != 3*time.Second {
		t.Fatalf("renewer sleeps %v, want a third of the lease", d)
	}
	for i := range 3 {
		proceed <- struct{}{}
		<-woke // renewed, and sleeping again
		got, err := st.Plan(t.Context(), rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := clk.Now().Add(9 * time.Second); !got.LeaseUntil.Equal(want) {
			t.Errorf("renewal %d: lease until %v, want %v", i, got.LeaseUntil, want)
		}
	}
	l.stop()
	if w, p := b.inflight.writes(); w != 0 || p != 0 {
		t.Errorf("after stop, %d writes of %d plans in flight, want none", w, p)
	}
}
