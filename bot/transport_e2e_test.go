package bot

import (
	"strings"
	"testing"

	"github.com/jsmbot/jsmbot/bot/slacksim"
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
