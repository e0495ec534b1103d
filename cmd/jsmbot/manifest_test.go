package main

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
	"go.yaml.in/yaml/v4"
)

func TestManifest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantScopes []string
		wantEvents []string
	}{
		{
			name:       "public channels",
			wantScopes: []string{"commands", "chat:write", "channels:history", "usergroups:read"},
			wantEvents: []string{"message.channels"},
		},
		{
			name:       "private channels too",
			args:       []string{"--private-channels"},
			wantScopes: []string{"commands", "chat:write", "channels:history", "usergroups:read", "groups:history"},
			wantEvents: []string{"message.channels", "message.groups"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := cli(t, nil, nil, append([]string{"manifest"}, tt.args...)...)
			if code != exitOK || errOut != "" {
				t.Fatalf("exit code %d, stderr %q; want 0 and nothing", code, errOut)
			}

			// Strict decoding into slack-go's struct: an unknown or
			// misspelt field fails here.
			var m slack.Manifest
			if err := yaml.Load([]byte(out), &m, yaml.WithKnownFields()); err != nil {
				t.Fatalf("manifest is not valid YAML for slack.Manifest: %v\n%s", err, out)
			}
			want := slack.Manifest{
				Metadata: slack.ManifestMetadata{MajorVersion: 1},
				Features: slack.Features{
					BotUser: slack.BotUser{DisplayName: "jsmbot", AlwaysOnline: true},
					SlashCommands: []slack.ManifestSlashCommand{{
						Command:     "/jsm",
						Description: m.Features.SlashCommands[0].Description,
						UsageHint:   m.Features.SlashCommands[0].UsageHint,
					}},
					Shortcuts: []slack.Shortcut{{
						Name:        "Customer invite failed",
						Type:        slack.MessageShortcut,
						CallbackID:  "customer_invite_failed",
						Description: m.Features.Shortcuts[0].Description,
					}},
				},
				OAuthConfig: slack.OAuthConfig{Scopes: slack.OAuthScopes{Bot: tt.wantScopes}},
				Settings: slack.Settings{
					EventSubscriptions: &slack.EventSubscriptions{BotEvents: tt.wantEvents},
					Interactivity:      &slack.Interactivity{IsEnabled: true},
					SocketModeEnabled:  true,
				},
				Display: m.Display,
			}
			if diff := cmp.Diff(want, m); diff != "" {
				t.Errorf("manifest (-want +got):\n%s", diff)
			}

			// The same facts from the raw document, independent of
			// slack-go's struct tags.
			var raw map[string]any
			if err := yaml.Load([]byte(out), &raw); err != nil {
				t.Fatal(err)
			}
			settings, _ := raw["settings"].(map[string]any)
			if settings["socket_mode_enabled"] != true {
				t.Errorf("settings.socket_mode_enabled = %v, want true", settings["socket_mode_enabled"])
			}
			if strings.Contains(out, "request_url") || strings.Contains(out, "url:") {
				t.Errorf("a Socket Mode manifest must not carry request URLs:\n%s", out)
			}

			// Slack's limits (reference/slack.md §6).
			limits := []struct {
				what string
				val  string
				max  int
			}{
				{"app name", m.Display.Name, 35},
				{"description", m.Display.Description, 140},
				{"long_description", m.Display.LongDescription, 4000},
				{"bot display_name", m.Features.BotUser.DisplayName, 80},
				{"command", m.Features.SlashCommands[0].Command, 32},
				{"command description", m.Features.SlashCommands[0].Description, 2000},
				{"usage_hint", m.Features.SlashCommands[0].UsageHint, 1000},
				{"shortcut description", m.Features.Shortcuts[0].Description, 150},
				{"callback_id", m.Features.Shortcuts[0].CallbackID, 255},
			}
			for _, l := range limits {
				if n := utf8.RuneCountInString(l.val); n == 0 || n > l.max {
					t.Errorf("%s has %d characters, want 1 to %d", l.what, n, l.max)
				}
			}
			if n := utf8.RuneCountInString(m.Display.LongDescription); n < 175 {
				t.Errorf("long_description has %d characters; Slack wants at least 175", n)
			}
			if !regexp.MustCompile(`^[a-z0-9._-]+$`).MatchString(m.Features.BotUser.DisplayName) {
				t.Errorf("bot display_name %q: Slack allows a-z 0-9 - _ . only", m.Features.BotUser.DisplayName)
			}
			if !regexp.MustCompile(`^#[0-9a-fA-F]{6}$`).MatchString(m.Display.BackgroundColor) {
				t.Errorf("background_color %q is not #rrggbb", m.Display.BackgroundColor)
			}

			// Every scope says why it is asked for.
			for _, s := range tt.wantScopes {
				if !regexp.MustCompile(`(?m)^\s*- ` + regexp.QuoteMeta(s) + ` # \S`).MatchString(out) {
					t.Errorf("scope %s has no reason comment:\n%s", s, out)
				}
			}
		})
	}
}

func TestManifestUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--json"}, "flag provided but not defined: -json"},
		{"argument", []string{"extra"}, `manifest takes no arguments, got "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := cli(t, nil, nil, append([]string{"manifest"}, tt.args...)...)
			if code != exitUsage || out != "" {
				t.Errorf("exit code %d, stdout %q; want %d and nothing", code, out, exitUsage)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q, want it to contain %q", errOut, tt.want)
			}
		})
	}
}
