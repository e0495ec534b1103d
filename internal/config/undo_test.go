package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestUndoWindow: JSMBOT_UNDO_WINDOW is a positive Go duration; unset is 0
// (the bot's default, 168h); anything else is a problem naming the
// variable, never its value.
func TestUndoWindow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		val     string
		want    time.Duration
		problem bool
	}{
		{"", 0, false},
		{"24h", 24 * time.Hour, false},
		{" 90m ", 90 * time.Minute, false},
		{"7d", 0, true},
		{"-1h", 0, true},
		{"0s", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.val, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{
				"JIRA_BASE_URL": "https://x.atlassian.net", "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "t",
				"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", VarUndoWindow: tt.val,
			}
			c, err := Load(func(k string) string { return env[k] })
			if c.UndoWindow != tt.want {
				t.Errorf("UndoWindow = %v, want %v", c.UndoWindow, tt.want)
			}
			var got []Problem
			if e, ok := err.(*Error); ok {
				got = e.Problems
			}
			var want []Problem
			if tt.problem {
				want = []Problem{{VarUndoWindow, "JSMBOT_UNDO_WINDOW must be a positive Go duration such as 168h or 24h"}}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}
