package jira_test

import (
	"strings"
	"testing"

	"github.com/jsmbot/jsmbot/jira"
)

func TestParseProjectKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"HELP", "HELP", false},
		{" help\n", "HELP", false},
		{"IT_2", "IT_2", false},
		{"A1", "A1", false},
		{"", "", true},
		{"H", "", true},
		{"1HELP", "", true},
		{"_HELP", "", true},
		{"HE LP", "", true},
		{"HELP-1", "", true},
		{"HÉLP", "", true},
		{"ſoft", "", true}, // U+017F upper-cases to S: no folding into a key
		{"ınfo", "", true}, // dotless i upper-cases to I
		{"../../admin", "", true},
		{strings.Repeat("A", 256), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := jira.ParseProjectKey(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseProjectKey(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// FuzzParseProjectKey checks that whatever a user types, an accepted key is
// safe to put in a URL path and parses to itself.
func FuzzParseProjectKey(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		key, err := jira.ParseProjectKey(s)
		if err != nil {
			if len(err.Error()) > 300 {
				t.Errorf("error message is %d bytes long", len(err.Error()))
			}
			return
		}
		if strings.ContainsAny(key, "/?#%. \t\n") || key != strings.ToUpper(key) || key != strings.ToUpper(strings.TrimSpace(s)) {
			t.Errorf("ParseProjectKey(%q) accepted %q", s, key)
		}
		again, err := jira.ParseProjectKey(key)
		if err != nil || again != key {
			t.Errorf("ParseProjectKey(%q) = %q, %v; want it to parse to itself", key, again, err)
		}
	})
}
