package bot

import (
	"context"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

func TestParseCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want parsedCommand
	}{
		{"", parsedCommand{name: "help"}},
		{"   ", parsedCommand{name: "help"}},
		{"help", parsedCommand{name: "help"}},
		{"HELP", parsedCommand{name: "help"}},
		{"diagnose help", parsedCommand{name: "diagnose", key: "HELP"}},
		{"  Diagnose\tNOPA  ", parsedCommand{name: "diagnose", key: "NOPA"}},
		{"diagnose", parsedCommand{name: "help", problem: "diagnose needs exactly one project key, e.g. /jsm diagnose HELP."}},
		{"diagnose A B", parsedCommand{name: "help", problem: "diagnose needs exactly one project key, e.g. /jsm diagnose HELP."}},
		{"diagnose 1X", parsedCommand{name: "help", problem: "“1X” is not a Jira project key (a letter, then letters, digits or underscores)."}},
		{"fix HELP", parsedCommand{name: "help", problem: "I don't know “fix”."}},
		{"report", parsedCommand{name: "report", emails: []string{}}},
		{"report help", parsedCommand{name: "report", key: "HELP", emails: []string{}}},
		{"report HELP-12 Erin@Example.com <mailto:frank@example.com|frank@example.com> erin@example.com",
			parsedCommand{name: "report", key: "HELP", emails: []string{"erin@example.com", "frank@example.com"}}},
		{"report https://acme.atlassian.net/jira/servicedesk/projects/SUP/queues/custom/1 a@b.co",
			parsedCommand{name: "report", key: "SUP", emails: []string{"a@b.co"}}},
		{"report HELP NOPA", parsedCommand{name: "help", problem: "report takes one project. Use /jsm report [KEY] [emails…], e.g. /jsm report HELP erin@example.com."}},
		{"report HELP erin(at)example.com", parsedCommand{name: "help", problem: "“erin(at)example.com” is neither a project key nor an email address. Use /jsm report [KEY] [emails…], e.g. /jsm report HELP erin@example.com."}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, parseCommand(tt.text), cmp.AllowUnexported(parsedCommand{})); diff != "" {
			t.Errorf("parseCommand(%q) (-want +got):\n%s", tt.text, diff)
		}
	}
}

// FuzzParseCommand checks that any text a user types gives a known
// subcommand, a valid key for diagnose, and an ack whose text is valid
// UTF-8, small, and free of Slack markup the user could inject.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"", "help", "diagnose HELP", "diagnose <!channel>", "x\xff", "diagnose " + strings.Repeat("A", 5000),
		"report", "report HELP a@b.co", "report <mailto:a@b.co|a@b.co> https://x.atlassian.net/browse/HELP-1", "report " + strings.Repeat("a@b.co ", 80)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd := parseCommand(text)
		switch cmd.name {
		case "help":
			if cmd.key != "" {
				t.Errorf("help with key %q", cmd.key)
			}
		case "diagnose":
			if k, err := jira.ParseProjectKey(cmd.key); err != nil || k != cmd.key {
				t.Errorf("diagnose key %q: %v", cmd.key, err)
			}
		case "report":
			if cmd.key != "" && !keyRE.MatchString(cmd.key) {
				t.Errorf("report key %q", cmd.key)
			}
			if len(cmd.emails) > maxReportEmails {
				t.Errorf("%d emails", len(cmd.emails))
			}
			for _, e := range cmd.emails {
				if !validEmail(e) || e != strings.ToLower(e) {
					t.Errorf("report email %q", e)
				}
			}
		default:
			t.Fatalf("unknown subcommand %q", cmd.name)
		}
		ack := slashAck(cmd)["text"].(string)
		if !utf8.ValidString(ack) {
			t.Errorf("ack text is not valid UTF-8: %q", ack)
		}
		if len(ack) > 4000 {
			t.Errorf("ack text is %d bytes", len(ack))
		}
		if strings.ContainsAny(ack, "<>") {
			t.Errorf("ack carries a mention: %q", ack)
		}
	})
}

// TestReceiveTakesAckAndLaneFromTheTable: the ack a slash command gets and
// the lane its work and a click's work run on come from their entries.
func TestReceiveTakesAckAndLaneFromTheTable(t *testing.T) {
	t.Parallel()
	slash := func(text string) socketmode.Event {
		return socketmode.Event{Type: socketmode.EventTypeSlashCommand, Request: &socketmode.Request{EnvelopeID: "env"},
			Data: slack.SlashCommand{Command: "/jsm", Text: text, UserID: userRequester, ChannelID: "C1"}}
	}
	interactive := func(ic slack.InteractionCallback) socketmode.Event {
		return socketmode.Event{Type: socketmode.EventTypeInteractive, Request: &socketmode.Request{EnvelopeID: "env"}, Data: ic}
	}
	click := func(ids ...string) socketmode.Event {
		ic := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions}
		for _, id := range ids {
			ic.ActionCallback.BlockActions = append(ic.ActionCallback.BlockActions, &slack.BlockAction{ActionID: id, Value: "p1"})
		}
		return interactive(ic)
	}
	tests := []struct {
		name     string
		evt      socketmode.Event
		wantAck  string // the ack's text; "" for an ack without payload
		acked    bool
		fast     bool
		deferAck bool
	}{
		{"diagnose", slash("diagnose help"), "Diagnosing HELP…", true, false, false},
		{"report with everything", slash("report HELP a@b.co c@d.co"), "Looking into the failed invites of 2 customer(s) on HELP…", true, false, false},
		{"report opens the form", slash("report HELP"), "Opening the report form…", true, true, false},
		{"help", slash("?"), helpText(""), true, false, false},
		{"unknown", slash("fix HELP"), helpText("I don't know “fix”."), true, false, false},
		{"approve", click(ActionApproveInPlace), "", true, false, false},
		{"dismiss", click(ActionDismiss), "", true, false, false},
		{"diagnose a detected report", click(ActionDiagnoseReport), "", true, true, false},
		{"any fast button", click("nope", ActionDiagnoseReport), "", true, true, false},
		{"unknown button", click("nope"), "", true, false, false},
		{"shortcut", interactive(slack.InteractionCallback{Type: slack.InteractionTypeMessageAction, CallbackID: ShortcutInviteFailed}), "", true, true, false},
		{"unknown shortcut", interactive(slack.InteractionCallback{Type: slack.InteractionTypeMessageAction, CallbackID: "nope"}), "", true, true, false},
		{"view submission", interactive(slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, View: slack.View{CallbackID: ViewReport}}), "", false, true, true},
		{"unknown view", interactive(slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, View: slack.View{CallbackID: "nope"}}), "", false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var acks []any
			b := newTableBot(t, func(_ context.Context, _ string, payload any) error {
				acks = append(acks, payload)
				return nil
			})
			j, ok := b.receive(t.Context(), tt.evt)
			if !ok {
				t.Fatal("no job")
			}
			if j.fast != tt.fast || j.deferAck != tt.deferAck {
				t.Errorf("fast, deferAck = %v, %v; want %v, %v", j.fast, j.deferAck, tt.fast, tt.deferAck)
			}
			var want []any
			switch {
			case tt.wantAck != "":
				want = []any{map[string]any{"response_type": "ephemeral", "text": tt.wantAck}}
			case tt.acked:
				want = []any{nil}
			}
			if diff := cmp.Diff(want, acks); diff != "" {
				t.Errorf("acks (-want +got):\n%s", diff)
			}
		})
	}
}

// newTableBot is a bot whose Jira is never reached, acknowledging with ack.
func newTableBot(t *testing.T, ack AckFunc) *Bot {
	t.Helper()
	client, err := jira.NewClient("http://127.0.0.1:1", "bot@example.com", "token")
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{}, Deps{
		Events: make(chan socketmode.Event), Ack: ack, Slack: &ephemeralPoster{},
		Engine: repair.New(client), Store: store.NewMemory(), Logger: testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTable checks what every entry must hold: a unique name or ID, a
// parser and an ack for every subcommand, and the fast lane for a modal's
// submission, whose ack waits for its handler.
func TestTable(t *testing.T) {
	t.Parallel()
	words := map[string]bool{}
	for _, c := range commands() {
		for _, w := range append([]string{c.name}, c.aliases...) {
			if w != strings.ToLower(w) || strings.ContainsAny(w, " \t") || words[w] {
				t.Errorf("subcommand word %q is not lower case, one word and unique", w)
			}
			words[w] = true
		}
		if c.parse == nil || c.ack == nil || c.description == "" || !strings.HasPrefix(c.example, slashCommand+" "+c.name) {
			t.Errorf("subcommand %q lacks a parser, an ack, a description or an example of itself", c.name)
		}
	}
	if _, ok := lookupCommand("help"); !ok {
		t.Error("no help subcommand, which every mistake becomes")
	}
	ids := map[string]bool{}
	for _, a := range actions() {
		if ids[a.id] || a.description == "" || a.handle == nil {
			t.Errorf("action %q is a duplicate or lacks a description or a handler", a.id)
		}
		ids[a.id] = true
	}
	for _, s := range shortcuts() {
		if s.name == "" || s.summary == "" || utf8.RuneCountInString(s.summary) > 150 || s.description == "" || s.handle == nil {
			t.Errorf("shortcut %q lacks a name, a summary of at most 150 characters, a description or a handler", s.id)
		}
	}
	for _, v := range viewCallbacks() {
		if v.lane != fastLane || v.description == "" || v.handle == nil {
			t.Errorf("view %q is not on the fast lane or lacks a description or a handler", v.id)
		}
	}
}

// TestNewSubcommandIsOneEntry: an entry added to the table (the package
// doc's example) is parsed, acked and described with no other change.
func TestNewSubcommandIsOneEntry(t *testing.T) {
	t.Parallel()
	ping := command{
		name:        "ping",
		description: "Check that the bot answers.",
		example:     slashCommand + " ping",
		parse: func(args []string) (parsedCommand, string) {
			if len(args) > 0 {
				return parsedCommand{}, "ping takes no arguments."
			}
			return parsedCommand{}, ""
		},
		ack: func(parsedCommand) string { return "Pong." },
	}
	cmds := append(commands(), ping)

	tests := []struct {
		text string
		want parsedCommand
	}{
		{"PING", parsedCommand{name: "ping"}},
		{"ping now", parsedCommand{name: "help", problem: "ping takes no arguments."}},
		{"diagnose HELP", parsedCommand{name: "diagnose", key: "HELP"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, parseWith(cmds, tt.text), cmp.AllowUnexported(parsedCommand{})); diff != "" {
			t.Errorf("parse %q (-want +got):\n%s", tt.text, diff)
		}
	}
	unknown := parsedCommand{name: "help", problem: "I don't know “ping”."}
	if diff := cmp.Diff(unknown, parseCommand("ping"), cmp.AllowUnexported(parsedCommand{})); diff != "" {
		t.Errorf("the real table knows the fake entry (-want +got):\n%s", diff)
	}

	s := surface(SurfaceOptions{}, cmds, actions(), shortcuts(), viewCallbacks(), listeners(), scopes())
	last := s.SlashCommand.Subcommands[len(s.SlashCommand.Subcommands)-1]
	want := Subcommand{Name: "ping", Description: ping.description, Usage: "ping", Example: "/jsm ping"}
	if diff := cmp.Diff(want, last); diff != "" {
		t.Errorf("surface's last subcommand (-want +got):\n%s", diff)
	}
}

// TestSurfaceIsGeneratedFromTheTable: what the manifest declares is the
// table's, entry by entry, with the private-channel entries only on
// request.
func TestSurfaceIsGeneratedFromTheTable(t *testing.T) {
	t.Parallel()
	subs := []Subcommand{
		{Name: "diagnose", Args: "KEY", Usage: "diagnose KEY", Description: commands()[0].description, Example: "/jsm diagnose HELP"},
		{Name: "report", Args: "[KEY] [emails…]", Usage: "report [KEY] [emails…]", Description: commands()[1].description, Example: "/jsm report HELP erin@example.com"},
		{Name: "audit", Usage: "audit", Description: commands()[2].description, Example: "/jsm audit"},
		{Name: "help", Usage: "help", Description: "Show this help.", Example: "/jsm help"},
	}
	base := Surface{
		SlashCommand:  SlashCommand{Name: "/jsm", Description: slashSummary, Subcommands: subs},
		Shortcuts:     []Shortcut{{Name: "Customer invite failed", CallbackID: ShortcutInviteFailed, Description: shortcuts()[0].summary}},
		Interactivity: true,
		Events:        []string{"message.channels", "app_home_opened"},
		HomeTab:       true,
		Scopes: []Scope{
			{Name: "commands", Why: scopes()[0].why}, {Name: "chat:write", Why: scopes()[1].why},
			{Name: "channels:history", Why: scopes()[2].why}, {Name: "usergroups:read", Why: scopes()[3].why},
		},
	}
	private := base
	private.Events = []string{"message.channels", "message.groups", "app_home_opened"}
	private.Scopes = append(slices.Clone(base.Scopes), Scope{Name: "groups:history", Why: scopes()[4].why})

	fake := base
	fake.Shortcuts = append(slices.Clone(base.Shortcuts), Shortcut{Name: "Undo", CallbackID: "undo_sc", Description: "Undo it"})
	fake.Events = []string{"message.channels", "app_home_opened", "app_mention"}
	fake.Scopes = append(slices.Clone(base.Scopes), Scope{Name: "files:write", Why: "attach the audit"})

	tests := []struct {
		name string
		got  Surface
		want Surface
	}{
		{"public", SlackSurface(SurfaceOptions{}), base},
		{"private", SlackSurface(SurfaceOptions{PrivateChannels: true}), private},
		{"new entries", surface(SurfaceOptions{}, commands(), actions(),
			append(shortcuts(), shortcut{id: "undo_sc", name: "Undo", summary: "Undo it"}),
			viewCallbacks(),
			append(listeners(), listener{events: []string{"app_mention"}}),
			append(scopes(), scope{name: "files:write", why: "attach the audit"}, scope{name: "im:history", private: true})), fake},
		{"no buttons, shortcuts or modals", surface(SurfaceOptions{}, commands(), nil, nil, nil, nil, nil),
			Surface{SlashCommand: base.SlashCommand}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s: surface (-want +got):\n%s", tc.name, diff)
		}
	}
}
