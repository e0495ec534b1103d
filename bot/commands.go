package bot

import (
	"context"
	"fmt"
	"slices"
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
			name:        "report",
			args:        "[KEY] [emails…]",
			description: "Report that customers could not be added: check the project's permissions, offer the fix, and after an approved fix add the customers again. Without a key, a form asks for what is missing.",
			example:     slashCommand + " report HELP erin@example.com",
			handle:      (*Bot).reportCommand,
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
	// ActionDiagnoseReport is the Diagnose button of the reply to a
	// detected report; its value is a report token, not a plan ID.
	ActionDiagnoseReport = "diagnose_report"
)

// action is a button the bot puts on its messages.
type action struct {
	id          string
	description string
	mode        string // the repair mode an Approve button applies
	// modal is true when the handler opens a modal: it runs on the fast
	// lane, so the 3-second trigger_id is not spent waiting behind Jira.
	modal  bool
	handle func(b *Bot, ctx context.Context, c click) error
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
		{
			id:          ActionDiagnoseReport,
			description: "Diagnose, on my reply to a message that says customers could not be added: opens the report form (anyone).",
			modal:       true,
			handle:      (*Bot).diagnoseDetected,
		},
	}
}

// lookup finds the entry of a table whose ID is id.
func lookup[T any](table []T, idOf func(T) string, id string) (T, bool) {
	for _, e := range table {
		if idOf(e) == id {
			return e, true
		}
	}
	var zero T
	return zero, false
}

// lookupAction finds a button by action ID.
func lookupAction(id string) (action, bool) {
	return lookup(actions(), func(a action) string { return a.id }, id)
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

// ShortcutInviteFailed is the callback ID of the "Customer invite failed"
// message shortcut; the app manifest declares the same string.
const ShortcutInviteFailed = "customer_invite_failed"

// shortcut is a message shortcut. Every shortcut opens a modal, so it runs
// on the fast lane.
type shortcut struct {
	id          string
	name        string // as the manifest names it
	description string
	handle      func(b *Bot, ctx context.Context, sc shortcutCall) error
}

// shortcuts is the message shortcut table.
func shortcuts() []shortcut {
	return []shortcut{{
		id:          ShortcutInviteFailed,
		name:        "Customer invite failed",
		description: "On any message about customers who could not be added: opens the report form, filled in from the message.",
		handle:      (*Bot).inviteFailedShortcut,
	}}
}

// ViewReport is the callback ID of the report form (a modal).
const ViewReport = "report_invite_failure"

// viewCallback is a modal's submission handler. It must call ack exactly
// once, within Slack's 3 seconds, with nil (close the modal) or the errors
// to show in it.
type viewCallback struct {
	id          string
	description string
	handle      func(b *Bot, ctx context.Context, vs viewCall) error
}

// viewCallbacks is the modal table.
func viewCallbacks() []viewCallback {
	return []viewCallback{{
		id:          ViewReport,
		description: "The report form: project, customers' emails and the pasted error. Mistakes are shown in the form.",
		handle:      (*Bot).submitReport,
	}}
}

// lookupShortcut finds a message shortcut by callback ID.
func lookupShortcut(id string) (shortcut, bool) {
	return lookup(shortcuts(), func(s shortcut) string { return s.id }, id)
}

// lookupView finds a modal's submission handler by callback ID.
func lookupView(id string) (viewCallback, bool) {
	return lookup(viewCallbacks(), func(v viewCallback) string { return v.id }, id)
}

// maxCommandText bounds the text the parser reads; Slack sends at most a
// few thousand characters after a slash command.
const maxCommandText = 4000

// parsedCommand is what a user typed after /jsm.
type parsedCommand struct {
	// name is a subcommand from commands(); unknown input becomes "help".
	name string
	// key is the project key of diagnose or report, upper-cased and
	// valid.
	key string
	// emails are report's customers: valid, lower-cased, de-duplicated.
	emails []string
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
	case "report":
		return parseReportArgs(args)
	}
	return parsedCommand{name: "help", problem: fmt.Sprintf("I don't know “%s”.", clipRunes(fields[0], 40))}
}

// complete reports whether a report command carries everything needed to
// start without a form: a project key and at least one email.
func (c parsedCommand) complete() bool { return c.key != "" && len(c.emails) > 0 }

// parseReportArgs parses the arguments of /jsm report: at most one project
// (a key, an issue key or a Jira URL) and any number of emails (plain or as
// Slack's mailto markup), in any order.
func parseReportArgs(args []string) parsedCommand {
	cmd := parsedCommand{name: "report", emails: []string{}}
	usage := " Use " + slashCommand + " report [KEY] [emails…], e.g. " + slashCommand + " report HELP erin@example.com."
	for _, a := range args {
		var key string
		var emails []string
		switch lower := strings.ToLower(a); {
		case validEmail(lower):
			emails = []string{lower}
		case strings.HasPrefix(a, "<") || strings.Contains(a, "://"):
			r := parseReportText(a)
			key, emails = r.Key, r.Emails
			if key == "" && len(emails) == 0 {
				return parsedCommand{name: "help", problem: fmt.Sprintf("I can't find a project or an email in “%s”.", clipRunes(a, 40)) + usage}
			}
		default:
			if m := issueKeyRE.FindStringSubmatch(a); m != nil && m[0] == a {
				key = m[1]
			} else if k, err := jira.ParseProjectKey(a); err == nil && keyRE.MatchString(k) {
				key = k
			} else {
				return parsedCommand{name: "help", problem: fmt.Sprintf("“%s” is neither a project key nor an email address.", clipRunes(a, 40)) + usage}
			}
		}
		if key != "" {
			if cmd.key != "" && cmd.key != key {
				return parsedCommand{name: "help", problem: "report takes one project." + usage}
			}
			cmd.key = key
		}
		for _, e := range emails {
			if !slices.Contains(cmd.emails, e) {
				cmd.emails = append(cmd.emails, e)
			}
		}
		if len(cmd.emails) > maxReportEmails {
			return parsedCommand{name: "help", problem: fmt.Sprintf("report takes at most %d emails at once.", maxReportEmails)}
		}
	}
	return cmd
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
	sb.WriteString("Buttons on my messages:\n")
	for _, a := range actions() {
		fmt.Fprintf(&sb, "• %s\n", a.description)
	}
	for _, s := range shortcuts() {
		fmt.Fprintf(&sb, "• Message shortcut *%s*: %s\n", s.name, s.description)
	}
	for _, v := range viewCallbacks() {
		fmt.Fprintf(&sb, "• %s\n", v.description)
	}
	sb.WriteString("• In channels I'm in, I notice Atlassian's “customers could not be added” error and offer, in the thread, to diagnose (once per message; the operator can turn this off).\n")
	sb.WriteString("Only the configured approvers may approve, and not their own requests unless self-approval is enabled.")
	return sb.String()
}

// slashAck is the payload acknowledging a slash command: the help itself,
// or a note that the work has started. It is computed without I/O.
func slashAck(cmd parsedCommand) map[string]any {
	var text string
	switch {
	case cmd.name == "diagnose":
		text = fmt.Sprintf("Diagnosing %s…", cmd.key)
	case cmd.name == "report" && cmd.complete():
		text = fmt.Sprintf("Looking into the failed invites of %d customer(s) on %s…", len(cmd.emails), cmd.key)
	case cmd.name == "report":
		text = "Opening the report form…"
	default:
		text = helpText(cmd.problem) // built only when it is the answer
	}
	return map[string]any{"response_type": "ephemeral", "text": text}
}
