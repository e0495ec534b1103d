package manifest

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
	"go.yaml.in/yaml/v4"

	"github.com/jsmbot/jsmbot/bot"
	"github.com/jsmbot/jsmbot/internal/golden"
)

func TestManifest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       bot.SurfaceOptions
		golden     string
		wantScopes []string
		wantEvents []string
	}{
		{
			name:       "public channels",
			golden:     "public.yaml",
			wantScopes: []string{"commands", "chat:write", "channels:history", "usergroups:read"},
			wantEvents: []string{"message.channels", "app_home_opened"},
		},
		{
			name:       "private channels too",
			opts:       bot.SurfaceOptions{PrivateChannels: true},
			golden:     "private.yaml",
			wantScopes: []string{"commands", "chat:write", "channels:history", "usergroups:read", "groups:history"},
			wantEvents: []string{"message.channels", "message.groups", "app_home_opened"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw, err := YAML(bot.SlackSurface(tt.opts))
			if err != nil {
				t.Fatal(err)
			}
			out := string(raw)
			golden.Check(t, tt.golden, raw)

			// Strict decoding into slack-go's struct: an unknown or
			// misspelt field fails here.
			var m slack.Manifest
			if err := yaml.Load(raw, &m, yaml.WithKnownFields()); err != nil {
				t.Fatalf("manifest is not valid YAML for slack.Manifest: %v\n%s", err, out)
			}
			if len(m.Features.SlashCommands) != 1 || len(m.Features.Shortcuts) != 1 {
				t.Fatalf("manifest has %d slash commands and %d shortcuts, want 1 and 1:\n%s", len(m.Features.SlashCommands), len(m.Features.Shortcuts), out)
			}
			want := slack.Manifest{
				Metadata: slack.ManifestMetadata{MajorVersion: 1},
				Features: slack.Features{
					AppHome: slack.AppHome{HomeTabEnabled: true, MessagesTabEnabled: true},
					BotUser: slack.BotUser{DisplayName: "jsmbot", AlwaysOnline: true},
					SlashCommands: []slack.ManifestSlashCommand{{
						Command:     "/jsm",
						Description: m.Features.SlashCommands[0].Description,
						UsageHint:   "diagnose KEY | report [KEY] [emails…] | audit | help",
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
			var doc map[string]any
			if err := yaml.Load(raw, &doc); err != nil {
				t.Fatal(err)
			}
			settings, _ := doc["settings"].(map[string]any)
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

// TestManifestMatchesTheBot: Slack routes by the names the manifest
// declares, and the bot must handle the same ones. They come from the bot's
// table, so they are equal by construction; this pins it.
func TestManifestMatchesTheBot(t *testing.T) {
	t.Parallel()
	s := bot.SlackSurface(bot.SurfaceOptions{})
	m := New(s)
	var shortcutIDs []string
	for _, sc := range m.Features.Shortcuts {
		shortcutIDs = append(shortcutIDs, sc.CallbackID)
	}
	if diff := cmp.Diff([]string{bot.ShortcutInviteFailed}, shortcutIDs); diff != "" {
		t.Errorf("manifest shortcut callback IDs (-bot +manifest):\n%s", diff)
	}
	var usages []string
	for _, sub := range s.SlashCommand.Subcommands {
		usages = append(usages, sub.Usage)
	}
	if got, want := m.Features.SlashCommands[0].UsageHint, strings.Join(usages, " | "); got != want {
		t.Errorf("usage hint %q, want the table's %q", got, want)
	}
}

// TestManifestIsGeneratedFromTheSurface: whatever the bot's surface holds,
// and nothing else, reaches the manifest; a new subcommand, shortcut, event
// or scope needs no edit here.
func TestManifestIsGeneratedFromTheSurface(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   bot.Surface
		want slack.Features
		// wantSettings is the manifest's settings.
		wantSettings slack.Settings
		wantScopes   []string
	}{
		{
			name: "a new subcommand and shortcut",
			in: bot.Surface{
				SlashCommand: bot.SlashCommand{Name: "/fake", Description: "Fake things", Subcommands: []bot.Subcommand{
					{Name: "audit", Usage: "audit"},
					{Name: "undo", Args: "PLAN", Usage: "undo PLAN"},
				}},
				Shortcuts: []bot.Shortcut{
					{Name: "One", CallbackID: "one", Description: "The first"},
					{Name: "Two", CallbackID: "two", Description: "The second"},
				},
				Interactivity: true,
				Events:        []string{"app_home_opened"},
				Scopes:        []bot.Scope{{Name: "files:write", Why: "attach the audit"}},
			},
			want: slack.Features{
				BotUser:       slack.BotUser{DisplayName: "jsmbot", AlwaysOnline: true},
				SlashCommands: []slack.ManifestSlashCommand{{Command: "/fake", Description: "Fake things", UsageHint: "audit | undo PLAN"}},
				Shortcuts: []slack.Shortcut{
					{Name: "One", Type: slack.MessageShortcut, CallbackID: "one", Description: "The first"},
					{Name: "Two", Type: slack.MessageShortcut, CallbackID: "two", Description: "The second"},
				},
			},
			wantSettings: slack.Settings{
				EventSubscriptions: &slack.EventSubscriptions{BotEvents: []string{"app_home_opened"}},
				Interactivity:      &slack.Interactivity{IsEnabled: true},
				SocketModeEnabled:  true,
			},
			wantScopes: []string{"files:write"},
		},
		{
			name: "no buttons, no events",
			in:   bot.Surface{SlashCommand: bot.SlashCommand{Name: "/fake", Subcommands: []bot.Subcommand{{Name: "help", Usage: "help"}}}},
			want: slack.Features{
				BotUser:       slack.BotUser{DisplayName: "jsmbot", AlwaysOnline: true},
				SlashCommands: []slack.ManifestSlashCommand{{Command: "/fake", UsageHint: "help"}},
			},
			wantSettings: slack.Settings{SocketModeEnabled: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := New(tt.in)
			if diff := cmp.Diff(tt.want, m.Features); diff != "" {
				t.Errorf("features (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSettings, m.Settings); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantScopes, m.OAuthConfig.Scopes.Bot); diff != "" {
				t.Errorf("bot scopes (-want +got):\n%s", diff)
			}
			raw, err := YAML(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.in.Scopes {
				if !strings.Contains(string(raw), "- "+s.Name+" # "+s.Why+"\n") {
					t.Errorf("scope %s lacks its reason:\n%s", s.Name, raw)
				}
			}
		})
	}
}
