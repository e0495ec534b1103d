package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/slack-go/slack"
	"go.yaml.in/yaml/v4"
)

// The names Slack routes by. The bot registers its handlers under the same
// strings; a rename must change both.
const (
	slashCommand          = "/jsm"
	inviteFailedCallback  = "customer_invite_failed"
	inviteFailedShortcut  = "Customer invite failed"
	manifestAppName       = "jsmbot"
	manifestBotName       = "jsmbot"
	manifestMessageEvents = "message.channels"
)

// scopeReason is one bot scope and why jsmbot cannot work without it. The
// manifest prints the reason next to the scope; README.md has the same table.
type scopeReason struct{ scope, why string }

// botScopes is the fewest bot scopes that work. Each one is justified;
// anything else (users:read, app_mentions:read, chat:write.public, …) is
// left out on purpose, see README.md "Deployment".
func botScopes(privateChannels bool) []scopeReason {
	s := []scopeReason{
		{"commands", "the /jsm slash command and the message shortcut"},
		{"chat:write", "post diagnoses, update them after approval, ephemeral replies, audit thread"},
		{"channels:history", "message.channels events (report detection) and a report's thread"},
		{"usergroups:read", "expand user groups in JSMBOT_APPROVERS (usergroups.users.list)"},
	}
	if privateChannels {
		s = append(s, scopeReason{"groups:history", "message.groups events: report detection in private channels"})
	}
	return s
}

// botEvents are the Events API subscriptions: messages in public channels
// the bot is in (and private ones when asked), to spot pasted invite-failure
// reports. Slash commands and shortcuts arrive without a subscription.
func botEvents(privateChannels bool) []string {
	ev := []string{manifestMessageEvents}
	if privateChannels {
		ev = append(ev, "message.groups")
	}
	return ev
}

// appManifest is the Slack app manifest for jsmbot: Socket Mode (no request
// URLs), /jsm, the message shortcut, interactivity for the buttons and
// modals, and the bot events and scopes above. It uses slack-go's own
// manifest struct, the one apps.manifest.create takes, so the field names are
// Slack's.
func appManifest(privateChannels bool) slack.Manifest {
	var scopes []string
	for _, s := range botScopes(privateChannels) {
		scopes = append(scopes, s.scope)
	}
	return slack.Manifest{
		Metadata: slack.ManifestMetadata{MajorVersion: 1},
		Display: slack.Display{
			Name:        manifestAppName,
			Description: "Diagnoses and repairs Jira Service Management permission schemes",
			LongDescription: "jsmbot finds why customers cannot be added to a Jira Service Management project " +
				"(the permission scheme does not grant Browse Projects and Create Issues to Portal Access), " +
				"shows the exact change and which other projects share the scheme, applies it only after an " +
				"approver clicks Approve, verifies the result and retries the failed invites. " +
				"It runs over Socket Mode: no public endpoint.",
			BackgroundColor: "#0052cc",
		},
		Features: slack.Features{
			BotUser: slack.BotUser{DisplayName: manifestBotName, AlwaysOnline: true},
			SlashCommands: []slack.ManifestSlashCommand{{
				Command:     slashCommand,
				Description: "Diagnose and repair a JSM project's permission scheme",
				UsageHint:   "diagnose KEY | report [KEY] [emails…] | help",
			}},
			Shortcuts: []slack.Shortcut{{
				Name:        inviteFailedShortcut,
				Type:        slack.MessageShortcut,
				CallbackID:  inviteFailedCallback,
				Description: "Diagnose and repair the project behind this failed customer invite",
			}},
		},
		OAuthConfig: slack.OAuthConfig{Scopes: slack.OAuthScopes{Bot: scopes}},
		Settings: slack.Settings{
			EventSubscriptions: &slack.EventSubscriptions{BotEvents: botEvents(privateChannels)},
			Interactivity:      &slack.Interactivity{IsEnabled: true},
			SocketModeEnabled:  true,
		},
	}
}

// manifestYAML renders the manifest as YAML with each bot scope's reason as
// a comment, so whoever pastes it into Slack sees why it is asked for.
func manifestYAML(privateChannels bool) ([]byte, error) {
	var doc yaml.Node
	if err := doc.Encode(appManifest(privateChannels)); err != nil {
		return nil, err
	}
	why := map[string]string{}
	for _, s := range botScopes(privateChannels) {
		why[s.scope] = s.why
	}
	if bot := lookupNode(&doc, "oauth_config", "scopes", "bot"); bot != nil {
		for _, n := range bot.Content {
			n.LineComment = why[n.Value]
		}
	}
	doc.HeadComment = "Slack app manifest for jsmbot (jsmbot manifest). Paste it at https://api.slack.com/apps →\n" +
		"Create New App → From a manifest. Then create an app-level token with the scope\n" +
		"connections:write (SLACK_APP_TOKEN) and install the app (SLACK_BOT_TOKEN)."
	return yaml.Dump(&doc, yaml.WithIndent(2))
}

// lookupNode follows mapping keys from n.
func lookupNode(n *yaml.Node, path ...string) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
				break
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// runManifest prints the Slack app manifest.
func runManifest(_ context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("manifest", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	private := fs.Bool("private-channels", false, "also detect reports in private channels (message.groups, groups:history)")
	if err := fs.Parse(args); err != nil {
		return &usageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("manifest takes no arguments, got %q", fs.Arg(0))}
	}
	out, err := manifestYAML(*private)
	if err != nil {
		return fmt.Errorf("render the manifest: %w", err)
	}
	_, err = stdout.Write(out)
	return err
}
