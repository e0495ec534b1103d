package bot

import (
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// TestFailureLevel: a failed request is logged at the level its cause
// deserves. A typo such as /jsm diagnose NOPE is not an ERROR an operator
// is paged for; an outage is a warning; only what the bot does not
// understand is an error.
func TestFailureLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  func(t *testing.T) error
		want slog.Level
	}{
		{"a project that does not exist", func(t *testing.T) error {
			c, err := jira.NewClient(jirasim.NewServer(t).URL, jirasim.DefaultEmail, jirasim.DefaultToken)
			if err != nil {
				t.Fatal(err)
			}
			_, err = repair.New(c).Diagnose(t.Context(), "NOPE")
			return fmt.Errorf("diagnose: %w", err)
		}, slog.LevelInfo},
		{"a stale plan", func(*testing.T) error { return &repair.StaleError{} }, slog.LevelInfo},
		{"Redis down", func(*testing.T) error { return fmt.Errorf("save plan: %w", store.ErrUnavailable) }, slog.LevelWarn},
		{"Slack down", func(*testing.T) error { return repair.Mark(repair.KindSlackUnavailable, errors.New("dial")) }, slog.LevelWarn},
		{"something the bot does not understand", func(*testing.T) error { return errors.New("boom") }, slog.LevelError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := failureLevel(tt.err(t)); got != tt.want {
				t.Errorf("failureLevel = %v, want %v", got, tt.want)
			}
		})
	}
}
