package bot

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// hostileText is text a Jira admin or a Slack user controls, full of mrkdwn
// control sequences: broadcasts, a user mention, a spoofed link, a
// channel link, formatting and a fake code fence.
const hostileText = "<!channel> <!here|here> <@U0VICTIM> <http://evil.example|HELP> <#C0OPS> *urgent* ```x``` &amp;"

// unescaped lists the control sequences of hostileText that must never reach
// Slack as written.
var unescaped = []string{"<!channel>", "<!here", "<@U0VICTIM>", "<http://evil", "|HELP>", "<#C0OPS>"}

// slackTexts returns every string of a message that Slack parses as
// mrkdwn: its text (the notification) and each mrkdwn text object in its
// blocks. plain_text objects (headers, buttons) are shown as written.
func slackTexts(t *testing.T, m slacksim.Message) []string {
	t.Helper()
	out := []string{m.Text}
	if len(m.Blocks) == 0 {
		return out
	}
	var blocks any
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if s, ok := v["text"].(string); ok && v["type"] == "mrkdwn" {
				out = append(out, s)
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(blocks)
	return out
}

// TestHostileTextIsEscaped runs a diagnosis and an approval of a project
// whose name is hostileText, and commands with hostileText text, then checks every
// message, ack and ephemeral the bot sent.
func TestHostileTextIsEscaped(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	scheme, _ := h.jira.ProjectSchemeID("NOPA")
	h.jira.AddProject(jirasim.Project{Key: "EVIL", Name: hostileText, SchemeID: scheme, Desk: true})

	report := h.diagnose(userRequester, "EVIL")
	// The header is plain_text, which Slack shows as written: the name
	// appears there verbatim and harmless; mrkdwn texts are checked below.
	if !strings.Contains(slacksim.RenderBlocks(report.Blocks), hostileText) {
		t.Errorf("the report does not name the project:\n%s", slacksim.RenderBlocks(report.Blocks))
	}
	h.click(userApprover, report, ActionApproveCopy)
	for _, text := range []string{
		"diagnose " + hostileText,
		hostileText,
		"diagnose EVIL " + hostileText,
		"report EVIL " + hostileText,
		"help " + hostileText,
	} {
		h.slash(userRequester, text)
	}

	for _, m := range h.slack.Messages(channel) {
		for _, s := range slackTexts(t, m) {
			for _, bad := range unescaped {
				if strings.Contains(s, bad) {
					t.Errorf("message %s carries %q unescaped: %q", m.TS, bad, s)
				}
			}
		}
	}
	for _, a := range h.slack.Acks() {
		var p struct{ Text string }
		_ = json.Unmarshal(a.Payload, &p)
		for _, bad := range unescaped {
			if strings.Contains(p.Text, bad) {
				t.Errorf("ack %s carries %q unescaped: %q", a.EnvelopeID, bad, p.Text)
			}
		}
	}
}

// TestPayloadBounds: oversized input is cut before it is parsed or echoed,
// and no ack reaches Slack's 20 KB limit, whatever the user sent.
func TestPayloadBounds(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// ~25 KB: over every bound the bot has (maxCommandText, Block Kit's
	// 3000 characters, Slack's 20 KB ack), so an echo of it, escaped or
	// not, would break the ack. Bigger inputs only cost time under the
	// race detector.
	huge := strings.Repeat("<!channel> x@example.com ", 1000)
	var ids []string
	for _, text := range []string{
		huge,
		"diagnose " + huge,
		"report HELP " + huge,
		strings.Repeat("é", 12500), // 25 KB
	} {
		ids = append(ids, h.slash(userRequester, text))
	}
	id, err := h.slack.SubmitView(h.ctx(), slacksim.ViewSubmission{UserID: userRequester, CallbackID: ViewReport,
		Values: map[string]map[string]slacksim.Value{
			"project": {"value": {Value: strings.Repeat("A", 25_000)}},
			"emails":  {"value": {Value: huge}},
			"error":   {"value": {Value: huge}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	h.track.wait(t, id, 1)

	const slackAckLimit = 20 << 10
	for _, id := range append(ids, id) {
		a, err := h.slack.WaitAck(h.ctx(), id)
		if err != nil {
			t.Fatalf("envelope %s was not acked: %v", id, err)
		}
		if n := len(a.Payload) + len(`{"envelope_id":"","payload":}`) + len(a.EnvelopeID); n >= slackAckLimit {
			t.Errorf("ack of %s is %d bytes, over Slack's %d", a.EnvelopeID, n, slackAckLimit)
		}
	}
	for _, m := range h.slack.Messages(channel) {
		for _, s := range slackTexts(t, m) {
			if len([]rune(s)) > 3000 {
				t.Errorf("a text object of %d characters, over Block Kit's 3000", len([]rune(s)))
			}
		}
	}
	if w := h.writes(); len(w) != 0 {
		t.Errorf("oversized input wrote to Jira: %+v", w)
	}
}
