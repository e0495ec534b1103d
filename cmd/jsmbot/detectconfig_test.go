package main

import (
	"strings"
	"testing"
)

// TestDetectReportsConfig: report detection is on unless
// JSMBOT_DETECT_REPORTS says false, and anything but a boolean is a
// config error naming the variable.
func TestDetectReportsConfig(t *testing.T) {
	t.Parallel()
	base := map[string]string{
		"JIRA_BASE_URL": "https://x.atlassian.net", "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "t",
		"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxb-1",
	}
	tests := []struct {
		value   string
		want    bool
		problem string
	}{
		{"", true, ""},
		{"true", true, ""},
		{"false", false, ""},
		{"0", false, ""},
		{"sometimes", false, "JSMBOT_DETECT_REPORTS must be true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"JSMBOT_DETECT_REPORTS": tt.value}
			for k, v := range base {
				env[k] = v
			}
			c, err := loadBotConfig(func(k string) string { return env[k] })
			if tt.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tt.problem) {
					t.Fatalf("err = %v, want it to say %q", err, tt.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.DetectReports != tt.want {
				t.Errorf("DetectReports = %v, want %v", c.DetectReports, tt.want)
			}
		})
	}
}
