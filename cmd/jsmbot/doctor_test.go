package main

import (
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/bot/slacksim"
	"github.com/jsmbot/jsmbot/jira/jirasim"
)

// doctorEnv is a healthy deployment's environment: Jira, Slack and Redis
// simulators. internal/doctor tests the checks; these test what the
// command gives them (the terminal's words for Jira errors), its exit
// codes and that it reports on stdout alone.
func doctorEnv(t *testing.T, jsim *jirasim.Server, ssim *slacksim.Server) map[string]string {
	t.Helper()
	return map[string]string{
		"JIRA_BASE_URL": jsim.URL, "JIRA_EMAIL": jirasim.DefaultEmail, "JIRA_API_TOKEN": jirasim.DefaultToken,
		"SLACK_BOT_TOKEN": slacksim.DefaultBotToken, "SLACK_APP_TOKEN": slacksim.DefaultAppToken, "SLACK_API_URL": ssim.APIURL(),
		"REDIS_URL": "redis://" + miniredis.RunT(t).Addr() + "/0", "JSMBOT_APPROVERS": "U0APPROVER1",
	}
}

// TestDoctorGetsTheManifestsScopes: doctor compares the bot token's scopes
// with exactly the manifest's (internal/doctor tests the comparison).
func TestDoctorGetsTheManifestsScopes(t *testing.T) {
	t.Parallel()
	want := []string{"commands", "chat:write", "channels:history", "usergroups:read"}
	if diff := cmp.Diff(want, manifestScopes()); diff != "" {
		t.Errorf("scopes given to doctor (-want +got):\n%s", diff)
	}
}

func TestDoctor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		setup     func(t *testing.T, jsim *jirasim.Server, ssim *slacksim.Server, env map[string]string)
		args      []string
		wantCode  int
		wantLines []string // substrings of stdout
	}{
		{
			name:      "healthy",
			wantLines: []string{"✓ Slack bot token: @", "✓ Jira: http", "all 8 checks passed"},
		},
		{
			name: "Jira 401",
			setup: func(_ *testing.T, _ *jirasim.Server, _ *slacksim.Server, env map[string]string) {
				env["JIRA_API_TOKEN"] = "jira-doctor-wrong-token-5e6f"
			},
			wantCode: exitFailed,
			wantLines: []string{
				"✗ Jira: Jira rejected the credentials: check JIRA_EMAIL and JIRA_API_TOKEN",
				"fix: create an API token",
				"1 of 8 checks failed, 3 not checked",
			},
		},
		{
			name: "Jira too slow for the time limit",
			setup: func(_ *testing.T, jsim *jirasim.Server, _ *slacksim.Server, _ map[string]string) {
				jsim.SetLatency(time.Minute)
			},
			args:      []string{"--timeout", "100ms"},
			wantCode:  exitFailed,
			wantLines: []string{"✗ Jira: Jira did not answer in time"},
		},
		{
			name:      "nothing configured",
			setup:     func(_ *testing.T, _ *jirasim.Server, _ *slacksim.Server, env map[string]string) { clear(env) },
			wantCode:  exitFailed,
			wantLines: []string{"✗ configuration: 6 problems", "    JIRA_BASE_URL is not set\n", "    JSMBOT_APPROVERS is not set"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			jsim, ssim := siteOf(t), slacksim.NewServer(t) // doctor reads no project
			env := doctorEnv(t, jsim, ssim)
			if tt.setup != nil {
				tt.setup(t, jsim, ssim, env)
			}
			code, out, errOut := cli(t, nil, env, append([]string{"doctor"}, tt.args...)...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errOut)
			}
			for _, want := range tt.wantLines {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if errOut != "" {
				t.Errorf("stderr %q, want nothing: doctor reports on stdout", errOut)
			}
			assertClean(t, out, errOut)
			if strings.Contains(out, "jira-doctor-wrong-token-5e6f") {
				t.Errorf("output shows the wrong token:\n%s", out)
			}
		})
	}
}

func TestDoctorUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--bogus"}, "flag provided but not defined"},
		{"argument", []string{"HELP"}, `doctor takes no arguments, got "HELP"`},
		{"zero timeout", []string{"--timeout", "0s"}, "doctor --timeout must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := cli(t, nil, nil, append([]string{"doctor"}, tt.args...)...)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d", code, exitUsage)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q, want it to contain %q", errOut, tt.want)
			}
		})
	}
}
