package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
	"github.com/jsmbot/jsmbot/watch"
)

// TestWatchAlertEndToEnd: through slacksim and the bot, a Portal Access
// grant removed behind the bot's back is alerted once in the watch
// channel, with who removed it and when and an Approve button; putting it
// back updates the alert; a repair approved on a second alert keeps its
// message and the news goes in the thread.
func TestWatchAlertEndToEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withSeed(jirasim.ScenarioHealthy))
	client, err := jira.NewClient(h.jira.URL, jirasim.DefaultEmail, jirasim.DefaultToken, jira.WithHTTPClient(h.jira.Client()))
	if err != nil {
		t.Fatal(err)
	}
	w, err := watch.New(watch.Config{Interval: 2 * time.Second, Owner: "watcher", Logger: testLogger(t)},
		repair.New(client, repair.WithIndexMaxAge(48*time.Hour)), client, h.store, h.bots[0].bot.WatchSink(channel))
	if err != nil {
		t.Fatal(err)
	}
	poll := func() {
		t.Helper()
		if watching, err := w.Poll(h.ctx()); err != nil || !watching {
			t.Fatalf("poll: watching %v, %v", watching, err)
		}
	}
	poll() // the first poll: nothing alerted
	schemeID, _ := h.jira.ProjectSchemeID("HELP")
	remove := func() {
		t.Helper()
		for _, g := range h.jira.SchemeGrants(schemeID) {
			if g.HolderType == "sd.customer.portal.only" && g.Permission == "CREATE_ISSUES" {
				h.jira.RemoveGrants(schemeID, g.ID)
				return
			}
		}
		t.Fatal("no Portal Access CREATE_ISSUES grant")
	}
	alerts := func() []slacksim.Message {
		var out []slacksim.Message
		for _, m := range h.slack.Messages(channel) {
			if m.ThreadTS == "" && strings.Contains(string(m.Blocks), "jsmbot noticed that HELP broke") {
				out = append(out, m)
			}
		}
		return out
	}

	remove()
	poll()
	poll() // a second poll alerts nothing more
	got := alerts()
	if len(got) != 1 {
		t.Fatalf("%d alerts in the channel, want 1", len(got))
	}
	alert := got[0]
	blocks := slacksim.RenderBlocks(alert.Blocks)
	for _, want := range []string{"Removed by Olivia Owner on ", "Broken"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("the alert lacks %q:\n%s", want, blocks)
		}
	}
	offered := buttonValue(t, alert, ActionApproveInPlace) // the usual Approve button

	h.jira.AddGrants(schemeID, jirasim.Grant{HolderType: "sd.customer.portal.only", Permission: "CREATE_ISSUES"})
	poll()
	healed := h.message(alert)
	if healed.Text != "HELP: healthy again" || !strings.Contains(string(healed.Blocks), "Fixed by Olivia Owner on ") {
		t.Errorf("the alert was not updated to say who fixed it: %q\n%s", healed.Text, slacksim.RenderBlocks(healed.Blocks))
	}
	// Its offer is retired, so App Home no longer lists it as waiting.
	if rec, err := h.store.Plan(t.Context(), offered); err != nil || rec.State != store.StateDismissed {
		t.Errorf("the healed alert's plan is %v (%v), want dismissed", rec.State, err)
	}

	remove()
	poll()
	// The first alert now says healthy: the one alert left is the new one.
	if got = alerts(); len(got) != 1 || got[0].TS == alert.TS {
		t.Fatalf("after the second removal the channel has %d broken alerts, want 1 new one", len(got))
	}
	second := got[0]
	h.click(userApprover, second, ActionApproveInPlace)
	if !h.healthy("HELP") {
		t.Fatal("the approved repair did not heal HELP")
	}
	poll()
	after := h.message(second)
	if after.Text == "HELP: healthy again" {
		t.Errorf("the applied repair's message was overwritten by the watch")
	}
	if _, err := h.slack.WaitMessage(h.ctx(), channel, func(m slacksim.Message) bool {
		return m.ThreadTS == second.TS && m.Text == "HELP: healthy again"
	}); err != nil {
		t.Errorf("no thread reply saying HELP is healthy again: %v", err)
	}
}
