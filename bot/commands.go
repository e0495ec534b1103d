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

// This file is the bot's whole Slack surface, one entry per thing a user
// can do: the /jsm subcommands, the buttons, the message shortcuts, the
// modals, the events it listens for and the scopes they need. Each entry
// owns its parsing, its ack, its lane (lane.go), its help and its handler;
// /jsm help and the app manifest ([SlackSurface]) are generated from it.

// slashCommand is the one slash command the app registers.
const slashCommand = "/jsm"

// slashSummary describes the slash command in Slack's command picker.
const slashSummary = "Diagnose and repair a JSM project's permission scheme"

// command is a /jsm subcommand.
type command struct {
	name string
	// aliases are other words that select it.
	aliases     []string
	args        string // as shown in help and the usage hint, e.g. "KEY"
	description string
	example     string
	// parse reads the words after the subcommand. A non-empty problem
	// makes the command help, showing the problem; otherwise the command
	// is named after the entry.
	parse func(args []string) (cmd parsedCommand, problem string)
	// ack is the text of the slash command's ack: the whole answer, or a
	// note that the work has started. It does no I/O.
	ack func(cmd parsedCommand) string
	// lane is where handle runs (nil: the ordinary workers).
	lane func(cmd parsedCommand) lane
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
			parse:       parseDiagnoseArgs,
			ack:         func(c parsedCommand) string { return fmt.Sprintf("Diagnosing %s…", c.key) },
			handle:      (*Bot).diagnoseCommand,
		},
		{
			name:        "report",
			args:        "[KEY] [emails…]",
			description: "Report that customers could not be added: check the project's permissions, offer the fix, and after an approved fix add the customers again. Without a key, a form asks for what is missing.",
			example:     slashCommand + " report HELP erin@example.com",
			parse:       parseReportArgs,
			ack: func(c parsedCommand) string {
				if c.complete() {
					return fmt.Sprintf("Looking into the failed invites of %d customer(s) on %s…", len(c.emails), c.key)
				}
				return "Opening the report form…"
			},
			// Without a project and an email it opens the form, whose
			// trigger_id must not wait behind Jira.
			lane: func(c parsedCommand) lane {
				if c.complete() {
					return slowLane
				}
				return fastLane
			},
			handle: (*Bot).reportCommand,
		},
		{
			name:        "audit",
			description: "Audit every service project of the site, scheme by scheme, and offer the fix of each broken scheme for approval.",
			example:     slashCommand + " audit",
			parse: func(args []string) (parsedCommand, string) {
				if len(args) > 0 {
					return parsedCommand{}, "audit takes no arguments."
				}
				return parsedCommand{}, ""
			},
			ack:    func(parsedCommand) string { return "Auditing the site…" },
			lane:   func(parsedCommand) lane { return slowLane },
			handle: (*Bot).auditCommand,
		},
		{
			name:        "help",
			aliases:     []string{"-h", "--help", "?"},
			description: "Show this help.",
			example:     slashCommand + " help",
			parse:       func([]string) (parsedCommand, string) { return parsedCommand{}, "" },
			ack:         func(c parsedCommand) string { return helpText(c.problem) }, // built only when it is the answer
		},
	}
}

// usage is the subcommand with its arguments, e.g. "diagnose KEY".
func (c command) usage() string { return strings.TrimSpace(c.name + " " + c.args) }

// lookupCommand finds a subcommand by name or alias, as typed in any case.
func lookupCommand(word string) (command, bool) { return lookupIn(commands(), word) }

// lookupIn is lookupCommand over the subcommand table cmds.
func lookupIn(cmds []command, word string) (command, bool) {
	word = strings.ToLower(word)
	for _, c := range cmds {
		if c.name == word || slices.Contains(c.aliases, word) {
			return c, true
		}
	}
	return command{}, false
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
	// ActionApproveScheme approves the in-place repair of a scheme an
	// audit found broken, for every project on it.
	ActionApproveScheme = "approve_scheme"
	// ActionUndo undoes an applied repair.
	ActionUndo = "undo"
)

// action is a button the bot puts on its messages.
type action struct {
	id          string
	description string
	mode        string // the repair mode an Approve button applies
	// lane is where handle runs: fastLane when it opens a modal, so the
	// 3-second trigger_id is not spent waiting behind Jira.
	lane   lane
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
			id:          ActionApproveScheme,
			description: "Approve: fix scheme, on a scheme /jsm audit found broken: change the scheme for every project on it, then check each of them.",
			mode:        string(diagnosis.ModeInPlace),
			handle:      (*Bot).approveScheme,
		},
		{
			id:          ActionDismiss,
			description: "Dismiss the offered repairs (the requester or an approver).",
			handle:      (*Bot).dismiss,
		},
		{
			id:          ActionDiagnoseReport,
			description: "Diagnose, on my reply to a message that says customers could not be added: opens the report form (anyone).",
			lane:        fastLane,
			handle:      (*Bot).diagnoseDetected,
		},
		{
			id:          ActionUndo,
			description: "Undo, on an applied repair: restore exactly what it changed, for a while after it (approvers only).",
			handle:      (*Bot).undo,
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

// shortcut is a message shortcut.
type shortcut struct {
	id          string
	name        string // as Slack's shortcut menu names it
	summary     string // under the name in that menu, at most 150 characters
	description string // for help
	// lane is where handle runs: fastLane when it opens a modal.
	lane   lane
	handle func(b *Bot, ctx context.Context, sc shortcutCall) error
}

// shortcuts is the message shortcut table.
func shortcuts() []shortcut {
	return []shortcut{{
		id:          ShortcutInviteFailed,
		name:        "Customer invite failed",
		summary:     "Diagnose and repair the project behind this failed customer invite",
		description: "On any message about customers who could not be added: opens the report form, filled in from the message.",
		lane:        fastLane,
		handle:      (*Bot).inviteFailedShortcut,
	}}
}

// ViewReport is the callback ID of the report form (a modal).
const ViewReport = "report_invite_failure"

// viewCallback is a modal's submission handler. It must call ack exactly
// once, within Slack's 3 seconds, with nil (close the modal) or the errors
// to show in it; so it runs on the fast lane and hands longer work to the
// ordinary workers (handOff).
type viewCallback struct {
	id          string
	description string
	lane        lane // fastLane: the ack waits for the handler
	handle      func(b *Bot, ctx context.Context, vs viewCall) error
}

// viewCallbacks is the modal table.
func viewCallbacks() []viewCallback {
	return []viewCallback{{
		id:          ViewReport,
		description: "The report form: project, customers' emails and the pasted error. Mistakes are shown in the form.",
		lane:        fastLane,
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

// listener is a kind of channel event the bot watches, through Events API
// subscriptions. Its events run on the ordinary workers.
type listener struct {
	// events are the bot event subscriptions it needs; privateEvents
	// those it needs in private channels too, when the operator asks.
	events, privateEvents []string
	// homeTab is true when the events need the app's Home tab.
	homeTab     bool
	description string // for help
}

// listeners is the event table: the detector (detect.go) and App Home
// (home.go).
func listeners() []listener {
	return []listener{{
		events:        []string{"message.channels"},
		privateEvents: []string{"message.groups"},
		description:   "In channels I'm in, I notice Atlassian's “customers could not be added” error and offer, in the thread, to diagnose (once per message; the operator can turn this off).",
	}, {
		events:      []string{appHomeOpened},
		homeTab:     true,
		description: "My App Home tab shows the last audit (when, how many broken, by scheme) and the repairs waiting for approval.",
	}}
}

// scope is a bot token scope and why the bot cannot work without it.
type scope struct {
	name, why string
	private   bool // needed only for private channels
}

// scopes is the fewest bot scopes that work. Anything else (users:read,
// app_mentions:read, chat:write.public, …) is left out on purpose, see
// README.md "Deployment", which has the same table.
func scopes() []scope {
	return []scope{
		{name: "commands", why: "the /jsm slash command and the message shortcut"},
		{name: "chat:write", why: "post diagnoses, update them after approval, ephemeral replies, audit thread"},
		{name: "channels:history", why: "message.channels events: report detection (no history or thread is read)"},
		{name: "usergroups:read", why: "expand user groups in JSMBOT_APPROVERS (usergroups.users.list)"},
		{name: "groups:history", why: "message.groups events: report detection in private channels", private: true},
	}
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
func parseCommand(text string) parsedCommand { return parseWith(commands(), text) }

// parseWith is parseCommand over the subcommand table cmds.
func parseWith(cmds []command, text string) parsedCommand {
	if len(text) > maxCommandText {
		text = text[:maxCommandText]
	}
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return parsedCommand{name: "help"}
	}
	c, ok := lookupIn(cmds, fields[0])
	if !ok {
		return parsedCommand{name: "help", problem: fmt.Sprintf("I don't know “%s”.", clipRunes(fields[0], 40))}
	}
	cmd, problem := c.parse(fields[1:])
	if problem != "" {
		return parsedCommand{name: "help", problem: problem}
	}
	cmd.name = c.name
	return cmd
}

// parseDiagnoseArgs parses the arguments of /jsm diagnose: one project key.
func parseDiagnoseArgs(args []string) (parsedCommand, string) {
	if len(args) != 1 {
		return parsedCommand{}, "diagnose needs exactly one project key, e.g. " + slashCommand + " diagnose HELP."
	}
	key, err := jira.ParseProjectKey(args[0])
	if err != nil {
		return parsedCommand{}, fmt.Sprintf("“%s” is not a Jira project key (a letter, then letters, digits or underscores).", clipRunes(args[0], 40))
	}
	return parsedCommand{key: key}, ""
}

// complete reports whether a report command carries everything needed to
// start without a form: a project key and at least one email.
func (c parsedCommand) complete() bool { return c.key != "" && len(c.emails) > 0 }

// parseReportArgs parses the arguments of /jsm report: at most one project
// (a key, an issue key or a Jira URL) and any number of emails (plain or as
// Slack's mailto markup), in any order.
func parseReportArgs(args []string) (parsedCommand, string) {
	cmd := parsedCommand{emails: []string{}}
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
				return parsedCommand{}, fmt.Sprintf("I can't find a project or an email in “%s”.", clipRunes(a, 40)) + usage
			}
		default:
			if m := issueKeyRE.FindStringSubmatch(a); m != nil && m[0] == a {
				key = m[1]
			} else if k, err := jira.ParseProjectKey(a); err == nil && keyRE.MatchString(k) {
				key = k
			} else {
				return parsedCommand{}, fmt.Sprintf("“%s” is neither a project key nor an email address.", clipRunes(a, 40)) + usage
			}
		}
		if key != "" {
			if cmd.key != "" && cmd.key != key {
				return parsedCommand{}, "report takes one project." + usage
			}
			cmd.key = key
		}
		for _, e := range emails {
			if !slices.Contains(cmd.emails, e) {
				cmd.emails = append(cmd.emails, e)
			}
		}
		if len(cmd.emails) > maxReportEmails {
			return parsedCommand{}, fmt.Sprintf("report takes at most %d emails at once.", maxReportEmails)
		}
	}
	return cmd, ""
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
		fmt.Fprintf(&sb, "• `%s %s` — %s (e.g. `%s`)\n", slashCommand, c.usage(), c.description, c.example)
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
	for _, l := range listeners() {
		fmt.Fprintf(&sb, "• %s\n", l.description)
	}
	sb.WriteString("Only the configured approvers may approve, and not their own requests unless self-approval is enabled.")
	return sb.String()
}

// slashAck is the payload acknowledging a slash command, from its entry in
// the table. It is computed without I/O.
func slashAck(cmd parsedCommand) map[string]any {
	c, ok := lookupCommand(cmd.name)
	if !ok { // parseCommand names only commands of the table
		c, _ = lookupCommand("help")
	}
	return map[string]any{"response_type": "ephemeral", "text": c.ack(cmd)}
}

// slashLane is the lane of a parsed slash command's work.
func slashLane(cmd parsedCommand) lane {
	if c, ok := lookupCommand(cmd.name); ok && c.lane != nil {
		return c.lane(cmd)
	}
	return slowLane
}
