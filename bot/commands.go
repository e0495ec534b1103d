package bot

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira"
)

// This file maps the bot's whole Slack surface: the /jsm subcommands, the
// button action IDs and the view callbacks. /jsm help is generated from it.

// slashCommand is the one slash command the app registers.
const slashCommand = "/jsm"

// command is a /jsm subcommand.
type command struct {
	name        string
	args        string // as shown in help, e.g. "KEY"
	description string
	example     string
	// handle does the work after the ack; nil when the ack answers fully.
	handle func(b *Bot, ctx context.Context, req request, cmd parsedCommand) error
}

// commands is the subcommand table, in the order help lists it.
func commands() []command {
	return []command{
		{
			name:        "diagnose",
			args:        "KEY",
			description: "Check the permission scheme of a Jira Service Management project, explain what is wrong, and offer the fix for approval.",
			example:     slashCommand + " diagnose HELP",
			handle:      (*Bot).diagnoseCommand,
		},
		{
			name:        "help",
			description: "Show this help.",
			example:     slashCommand + " help",
		},
	}
}

// Button action IDs, as they appear in block_actions payloads. The value of
// every button is a plan ID and nothing else; the rest is read back from
// the store.
const (
	// ActionApproveInPlace approves the repair that changes the scheme.
	ActionApproveInPlace = "approve_in_place"
	// ActionApproveCopy approves the repair on a copy of the scheme.
	ActionApproveCopy = "approve_copy"
	// ActionDismiss dismisses the offered repairs.
	ActionDismiss = "dismiss"
)

// action is a button the bot puts on its messages.
type action struct {
	id          string
	description string
	mode        string // the repair mode an Approve button applies
	handle      func(b *Bot, ctx context.Context, c click) error
}

// actions is the button table.
func actions() []action {
	return []action{
		{
			id:          ActionApproveInPlace,
			description: "Approve the in-place repair: change the scheme, for every project on it.",
			mode:        string(diagnosis.ModeInPlace),
			handle:      (*Bot).approve,
		},
		{
			id:          ActionApproveCopy,
			description: "Approve the copy repair: a fixed copy of the scheme for this project only.",
			mode:        string(diagnosis.ModeCopy),
			handle:      (*Bot).approve,
		},
		{
			id:          ActionDismiss,
			description: "Dismiss the offered repairs (the requester or an approver).",
			handle:      (*Bot).dismiss,
		},
	}
}

// lookupAction finds a button by action ID.
func lookupAction(id string) (action, bool) {
	for _, a := range actions() {
		if a.id == id {
			return a, true
		}
	}
	return action{}, false
}

// approveAction is the action ID of the Approve button for a mode.
func approveAction(mode diagnosis.Mode) string {
	for _, a := range actions() {
		if a.mode != "" && a.mode == string(mode) {
			return a.id
		}
	}
	return ""
}

// View callbacks: the bot opens no modal yet, so there are none. A view
// callback added later belongs in a table here.

// maxCommandText bounds the text the parser reads; Slack sends at most a
// few thousand characters after a slash command.
const maxCommandText = 4000

// parsedCommand is what a user typed after /jsm.
type parsedCommand struct {
	// name is a subcommand from commands(); unknown input becomes "help".
	name string
	// key is the project key of diagnose, upper-cased and valid.
	key string
	// problem says, for help, what was wrong with the input ("" when the
	// user asked for help).
	problem string
}

// parseCommand parses the text of a /jsm command. It never fails: anything
// it does not understand becomes help with a problem to show.
func parseCommand(text string) parsedCommand {
	if len(text) > maxCommandText {
		text = text[:maxCommandText]
	}
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return parsedCommand{name: "help"}
	}
	sub := strings.ToLower(fields[0])
	args := fields[1:]
	switch sub {
	case "help", "-h", "--help", "?":
		return parsedCommand{name: "help"}
	case "diagnose":
		if len(args) != 1 {
			return parsedCommand{name: "help", problem: "diagnose needs exactly one project key, e.g. " + slashCommand + " diagnose HELP."}
		}
		key, err := jira.ParseProjectKey(args[0])
		if err != nil {
			return parsedCommand{name: "help", problem: fmt.Sprintf("“%s” is not a Jira project key (a letter, then letters, digits or underscores).", clipRunes(args[0], 40))}
		}
		return parsedCommand{name: "diagnose", key: key}
	}
	return parsedCommand{name: "help", problem: fmt.Sprintf("I don't know “%s”.", clipRunes(fields[0], 40))}
}

// clipRunes shortens s to at most n runes, dropping invalid UTF-8.
func clipRunes(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// helpText is /jsm help, generated from the tables above.
func helpText(problem string) string {
	var sb strings.Builder
	if problem != "" {
		sb.WriteString(escape(problem) + "\n\n")
	}
	sb.WriteString("*jsmbot* diagnoses and repairs Jira Service Management permission schemes.\n")
	for _, c := range commands() {
		usage := strings.TrimSpace(slashCommand + " " + c.name + " " + c.args)
		fmt.Fprintf(&sb, "• `%s` — %s (e.g. `%s`)\n", usage, c.description, c.example)
	}
	sb.WriteString("A diagnosis that finds a broken scheme offers buttons:\n")
	for _, a := range actions() {
		fmt.Fprintf(&sb, "• %s\n", a.description)
	}
	sb.WriteString("Only the configured approvers may approve, and not their own requests unless self-approval is enabled.")
	return sb.String()
}

// slashAck is the payload acknowledging a slash command: the help itself,
// or a note that the work has started. It is computed without I/O.
func slashAck(cmd parsedCommand) map[string]any {
	text := helpText(cmd.problem)
	if cmd.name == "diagnose" {
		text = fmt.Sprintf("Diagnosing %s…", cmd.key)
	}
	return map[string]any{"response_type": "ephemeral", "text": text}
}
