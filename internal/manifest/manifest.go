// Package manifest writes jsmbot's Slack app manifest, the document an admin
// pastes into Slack to create the app (jsmbot manifest).
//
// What Slack routes by (the slash command, its usage hint, the message
// shortcuts and their callback IDs, the event subscriptions and the bot
// scopes) comes from the bot's own table through [bot.Surface], so a new
// subcommand or shortcut reaches the manifest without an edit here. Only
// the app's identity (name, descriptions, colour) and the Socket Mode
// settings are written here.
package manifest

import (
	"strings"

	"github.com/slack-go/slack"
	"go.yaml.in/yaml/v4"

	"github.com/jsmbot/jsmbot/bot"
)

// The app's identity, as Slack shows it.
const (
	appName         = "jsmbot"
	botName         = "jsmbot"
	appDescription  = "Diagnoses and repairs Jira Service Management permission schemes"
	longDescription = "jsmbot finds why customers cannot be added to a Jira Service Management project " +
		"(the permission scheme does not grant Browse Projects and Create Issues to Portal Access), " +
		"shows the exact change and which other projects share the scheme, applies it only after an " +
		"approver clicks Approve, verifies the result and retries the failed invites. " +
		"It runs over Socket Mode: no public endpoint."
	backgroundColor = "#0052cc"
)

// New is the Slack app manifest declaring s: Socket Mode (no request URLs),
// the slash command, the message shortcuts, interactivity for the buttons
// and modals, and the bot events and scopes. It is slack-go's own manifest
// struct, the one apps.manifest.create takes, so the field names are
// Slack's.
func New(s bot.Surface) slack.Manifest {
	var scopes []string
	for _, sc := range s.Scopes {
		scopes = append(scopes, sc.Name)
	}
	var shortcuts []slack.Shortcut
	for _, sc := range s.Shortcuts {
		shortcuts = append(shortcuts, slack.Shortcut{
			Name:        sc.Name,
			Type:        slack.MessageShortcut,
			CallbackID:  sc.CallbackID,
			Description: sc.Description,
		})
	}
	m := slack.Manifest{
		Metadata: slack.ManifestMetadata{MajorVersion: 1},
		Display: slack.Display{
			Name:            appName,
			Description:     appDescription,
			LongDescription: longDescription,
			BackgroundColor: backgroundColor,
		},
		Features: slack.Features{
			BotUser: slack.BotUser{DisplayName: botName, AlwaysOnline: true},
			SlashCommands: []slack.ManifestSlashCommand{{
				Command:     s.SlashCommand.Name,
				Description: s.SlashCommand.Description,
				UsageHint:   usageHint(s.SlashCommand),
			}},
			Shortcuts: shortcuts,
		},
		OAuthConfig: slack.OAuthConfig{Scopes: slack.OAuthScopes{Bot: scopes}},
		Settings:    slack.Settings{SocketModeEnabled: true},
	}
	if len(s.Events) > 0 {
		m.Settings.EventSubscriptions = &slack.EventSubscriptions{BotEvents: s.Events}
	}
	if s.HomeTab {
		m.Features.AppHome = slack.AppHome{HomeTabEnabled: true, MessagesTabEnabled: true}
	}
	if s.Interactivity {
		m.Settings.Interactivity = &slack.Interactivity{IsEnabled: true}
	}
	return m
}

// usageHint lists the subcommands' usages, e.g. "diagnose KEY | help".
func usageHint(c bot.SlashCommand) string {
	var usages []string
	for _, sub := range c.Subcommands {
		usages = append(usages, sub.Usage)
	}
	return strings.Join(usages, " | ")
}

// YAML renders the manifest of s as YAML with each bot scope's reason as a
// comment, so whoever pastes it into Slack sees why it is asked for.
func YAML(s bot.Surface) ([]byte, error) {
	var doc yaml.Node
	if err := doc.Encode(New(s)); err != nil {
		return nil, err
	}
	why := map[string]string{}
	for _, sc := range s.Scopes {
		why[sc.Name] = sc.Why
	}
	if scopes := lookupNode(&doc, "oauth_config", "scopes", "bot"); scopes != nil {
		for _, n := range scopes.Content {
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
