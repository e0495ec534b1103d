package bot

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/watch"
)

// TestWatchIntro: an alert opens with what jsmbot noticed and, when the
// audit log says, who did it and when; it never guesses.
func TestWatchIntro(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		causes repair.AuditCauses
		want   string
	}{
		{"removed", repair.AuditCauses{Log: repair.AuditRead, ByFinding: map[int]repair.AuditCause{
			1: {Kind: repair.AuditGrantRemoved, AuthorName: "Olivia Owner", At: at},
			0: {Kind: repair.AuditGrantRemoved, AuthorName: "First <Finding>", At: at},
		}}, ":rotating_light: *jsmbot noticed that HELP broke*: Removed by First &lt;Finding&gt; on 2026-03-02 09:30 UTC."},
		{"moved", repair.AuditCauses{Log: repair.AuditRead, ByFinding: map[int]repair.AuditCause{
			0: {Kind: repair.AuditSchemeChanged, AuthorName: "Olivia Owner", At: at, SchemeName: "Broken", FromScheme: "Good"},
		}}, ":rotating_light: *jsmbot noticed that HELP broke*: The project was moved to scheme “Broken” (from “Good”) by Olivia Owner on 2026-03-02 09:30 UTC."},
		{"unreadable", repair.AuditCauses{Log: repair.AuditUnreadable},
			":rotating_light: *jsmbot noticed that HELP broke*. Jira's audit log cannot be read, so I can't say who changed it."},
		{"nothing in the log", repair.AuditCauses{Log: repair.AuditRead},
			":rotating_light: *jsmbot noticed that HELP broke*. Jira's audit log does not say who changed it."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := &repair.Diagnosis{Snapshot: diagnosis.Snapshot{Project: diagnosis.Project{Key: "HELP"}}, Causes: tc.causes}
			if diff := cmp.Diff(tc.want, watchIntro(d)); diff != "" {
				t.Errorf("intro (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRenderHealed: the updated alert says who fixed it when the log
// says, and nothing about who when it does not.
func TestRenderHealed(t *testing.T) {
	t.Parallel()
	broke := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		h    watch.Heal
		want string
	}{
		{"by whom", watch.Heal{Project: "HELP", By: "Olivia Owner", At: broke.Add(time.Hour), BrokeAt: broke},
			":large_green_circle: *HELP is healthy again*: its permission scheme lets customers in. Fixed by Olivia Owner on 2026-03-02 10:00 UTC (from Jira's audit log)."},
		{"unknown", watch.Heal{Project: "HELP", BrokeAt: broke},
			":large_green_circle: *HELP is healthy again*: its permission scheme lets customers in."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := renderHealed(tc.h)
			if m.text != "HELP: healthy again" {
				t.Errorf("text = %q", m.text)
			}
			if diff := cmp.Diff(tc.want, blockText(t, m.blocks[1])); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}

// blockText is the mrkdwn text of a section block.
func blockText(t *testing.T, b slack.Block) string {
	t.Helper()
	s, ok := b.(*slack.SectionBlock)
	if !ok || s.Text == nil {
		t.Fatalf("block %T is not a section with text", b)
	}
	return s.Text.Text
}
