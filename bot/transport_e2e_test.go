package bot

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/store"
)

// TestSlashCommandRedeliveredInNewEnvelope: Slack redelivers a slash
// command in a new envelope (a new envelope_id, the same trigger_id); the
// bot diagnoses once.
func TestSlashCommandRedeliveredInNewEnvelope(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	first := h.slash(userRequester, "diagnose NOPA")
	env, ok := h.slack.Envelope(first)
	if !ok {
		t.Fatal("no envelope")
	}
	again, err := h.slack.SendEnvelope(h.ctx(), slacksim.EnvelopeSlashCommands, env.Payload, true)
	if err != nil {
		t.Fatal(err)
	}
	if again == first {
		t.Fatal("the redelivery kept its envelope_id")
	}
	h.track.wait(t, again, 1)
	var reports int
	for _, m := range h.slack.Messages(channel) {
		if m.ThreadTS == "" && strings.HasPrefix(m.Text, "NOPA:") {
			reports++
		}
	}
	if reports != 1 {
		t.Errorf("%d diagnoses posted, want 1", reports)
	}
}

// TestClickOnForgottenPlan: a button whose plan the store no longer holds
// (a Redis that lost its data, or a plan past its retention) says the
// record is gone and to diagnose again; nothing reaches Jira.
func TestClickOnForgottenPlan(t *testing.T) {
	t.Parallel()
	st := &forgetful{Store: store.NewMemory()}
	h := newHarness(t, withStore(st))
	report := h.diagnose(userRequester, "NOPA")
	st.forget.Store(true)
	h.click(userApprover, report, ActionApproveInPlace)
	got := h.lastEphemeral(userApprover)
	for _, w := range []string{"record is gone", "diagnose KEY` again"} {
		if !strings.Contains(got, w) {
			t.Errorf("ephemeral %q lacks %q", got, w)
		}
	}
	if w := h.writes(); len(w) != 0 {
		t.Errorf("the click wrote to Jira: %d write(s)", len(w))
	}
}

// forgetful is a store that, once told to forget, holds no plan.
type forgetful struct {
	store.Store
	forget atomic.Bool
}

func (f *forgetful) Plan(ctx context.Context, id string) (store.PlanRecord, error) {
	if f.forget.Load() {
		return store.PlanRecord{}, store.ErrNotFound
	}
	return f.Store.Plan(ctx, id)
}
