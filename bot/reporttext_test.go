package bot

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestParseReportText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want reportText
	}{
		{
			name: "pasted error with issue key and emails",
			text: "Trying to add customers on HELP-12: Successfully added 0 customers. The following customers could not be added. alice@example.com, Bob.Smith@Example.com",
			want: reportText{Key: "HELP", Emails: []string{"alice@example.com", "bob.smith@example.com"}, Failure: true},
		},
		{
			name: "Slack mailto markup and an agent URL",
			text: "<https://acme.atlassian.net/jira/servicedesk/projects/SUP/queues/custom/1|the queue> won't take <mailto:erin@example.org|erin@example.org>",
			want: reportText{Key: "SUP", Emails: []string{"erin@example.org"}},
		},
		{
			name: "customer portal URL gives a portal id",
			text: "customers could not be added via https://acme.atlassian.net/servicedesk/customer/portal/4/group/1",
			want: reportText{PortalID: "4", Emails: []string{}, Failure: true},
		},
		{
			name: "browse URL",
			text: "see https://acme.atlassian.net/browse/ITH-7",
			want: reportText{Key: "ITH", Emails: []string{}},
		},
		{
			name: "project settings URL",
			text: "<https://acme.atlassian.net/plugins/servlet/project-config/DESK/permissions>",
			want: reportText{Key: "DESK", Emails: []string{}},
		},
		{
			name: "mentions and broadcast markup are ignored",
			text: "<!channel> <@U123> <#C42|general> nothing to see",
			want: reportText{Emails: []string{}},
		},
		{
			name: "duplicates and invalid emails",
			text: "a@example.com A@EXAMPLE.COM not-an-email@ foo@bar x@y.z",
			want: reportText{Emails: []string{"a@example.com"}},
		},
		{
			name: "no false key from shouting",
			text: "JSM IS BROKEN AGAIN",
			want: reportText{Emails: []string{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, parseReportText(tt.text)); diff != "" {
				t.Errorf("parseReportText(%q) (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestValidEmail(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"alice@example.com": true, "a.b+c@sub.example.co": true,
		"": false, "alice": false, "alice@": false, "alice@example": false,
		"Alice <alice@example.com>": false, "a@b.c, d@e.f": false, " alice@example.com": false,
	} {
		if got := validEmail(s); got != want {
			t.Errorf("validEmail(%q) = %v, want %v", s, got, want)
		}
	}
}

// FuzzParseReportText checks the parsers never panic and only return
// values the rest of the bot can trust: a well-formed key, a numeric portal
// id, valid lower-case emails, a bounded list.
func FuzzParseReportText(f *testing.F) {
	f.Fuzz(func(t *testing.T, text string) {
		r := parseReportText(text)
		if r.Key != "" && !keyRE.MatchString(r.Key) {
			t.Errorf("key %q is not a project key", r.Key)
		}
		if r.PortalID != "" && (!isDigits(r.PortalID) || r.Key != "") {
			t.Errorf("portal id %q (key %q)", r.PortalID, r.Key)
		}
		if len(r.Emails) > maxReportEmails {
			t.Errorf("%d emails, want at most %d", len(r.Emails), maxReportEmails)
		}
		for _, e := range r.Emails {
			if !validEmail(e) || e != strings.ToLower(e) || !utf8.ValidString(e) {
				t.Errorf("email %q is not a valid lower-case address", e)
			}
		}
		if r.Failure != isInviteFailure(text) {
			t.Errorf("Failure = %v, isInviteFailure = %v", r.Failure, !r.Failure)
		}
	})
}
