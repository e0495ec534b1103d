package bot

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/jira"
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
