package bot

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/internal/golden"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/repair"
)

// TestRenderReport pins the report flow's messages and checks Block Kit
// limits and escaping on each, as TestRender does for the others.
func TestRenderReport(t *testing.T) {
	t.Parallel()
	expires := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	help, soft, nopa := diagnoseSim(t, "HELP"), diagnoseSim(t, "SOFT"), diagnoseSim(t, "NOPA")
	evil := "<!channel>&<https://evil.example|x>"
	customers := []repair.Customer{
		{Email: "alice@example.com", AccountID: "qm:1", DisplayName: "Alice Customer", Active: true, OnDesk: true},
		{Email: "carol@example.com", AccountID: "qm:2", DisplayName: "Carol Inactive"},
		{Email: "ghost@example.com"},
		{Email: "dave@example.com", AccountID: "5b1", DisplayName: evil, Active: true},
	}
	many := make([]inviteLine, 0, 60)
	for range 60 {
		many = append(many, inviteLine{Invite: repair.Invite{Customer: repair.Customer{Email: "x@example.com", Active: true}, Added: true}})
	}
	tests := []struct {
		name string
		msg  message
	}{
		{"detected", renderDetected("NOPA", 3, "tttttttttttttttttttttttttt")},
		{"detected-unknown", renderDetected("", 0, "tttttttttttttttttttttttttt")},
		{"report-intro", renderReport(reportView{D: nopa, Offers: offersOf(t, nopa), RequesterID: userRequester, ExpiresAt: expires,
			Intro: reportIntro(userRequester, "NOPA", []string{"erin@example.com", evil + "@example.com"})})},
		{"check-healthy", renderCheck(checkView{D: help, RequesterID: userRequester, Emails: []string{"a", "b", "c", "d"}, Customers: customers})},
		{"check-not-applicable", renderCheck(checkView{D: soft, RequesterID: userRequester})},
		{"check-lookup-failed", renderCheck(checkView{D: help, RequesterID: userRequester, Emails: []string{"a"}, LookupFailed: "Jira did not answer in time (ref abcdefgh)"})},
		{"invites", renderInvites(invitesView{Key: "NOPA", ProjectName: "No Portal Access", RequesterID: userRequester, ApproverID: userApprover, Lines: []inviteLine{
			{Invite: repair.Invite{Customer: repair.Customer{Email: "erin@example.com", DisplayName: "Erin Prospect", Active: true}, Added: true}},
			{Invite: repair.Invite{Customer: repair.Customer{Email: "new@example.org", Active: true}, Created: true, Added: true}},
			{Invite: repair.Invite{Customer: repair.Customer{Email: "carol@example.com", DisplayName: "Carol Inactive"}, Added: true}},
			{Invite: repair.Invite{Customer: repair.Customer{Email: "hidden@example.com"}, Err: repair.ErrHiddenAccount}},
			{Invite: repair.Invite{Customer: repair.Customer{Email: evil + "@example.com"}, Err: errors.New("jira: 403")}, Why: "Jira refused to let me create customer: my Jira account needs the *Administer Jira* permission. (ref abcdefgh)"},
		}})},
		{"invites-many", renderInvites(invitesView{Key: "NOPA", Lines: many, Interrupted: "Jira did not answer in time (ref abcdefgh)"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkMessage(t, tt.name, tt.msg)
		})
	}
}

// TestReportModal pins the report form's view JSON in its three shapes
// (project found, a select of desks, a text field) and checks Slack's
// limits on modals.
func TestReportModal(t *testing.T) {
	t.Parallel()
	meta := reportMeta{Channel: channel, Thread: "1700000000.000100", User: userRequester}
	desks := []jira.ServiceDesk{{ID: "1", ProjectKey: "HELP", ProjectName: "Help Desk"}, {ID: "2", ProjectKey: "NOPA", ProjectName: "No Portal Access"}}
	long := strings.Repeat("Successfully added 0 customers. ", 200)
	tests := []struct {
		name string
		form reportForm
	}{
		{"key", reportFormFromText(inviteFailure)},
		{"select", reportForm{PortalID: "2", Emails: []string{"erin@example.com"}, Desks: desks}},
		{"text", reportFormFromText("<!channel> customers could not be added " + long)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := reportModal(tt.form, meta)
			if !slack.ValidateUniqueBlockID(v) {
				t.Error("block IDs are not unique")
			}
			if len(v.PrivateMetadata) > maxMetadata || len(v.Blocks.BlockSet) > 100 || len([]rune(v.Title.Text)) > 24 {
				t.Errorf("modal breaks a limit: metadata %d, %d blocks, title %q", len(v.PrivateMetadata), len(v.Blocks.BlockSet), v.Title.Text)
			}
			raw, err := json.MarshalIndent(v, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, tt.name+".json", append(raw, '\n'))
		})
	}
}

func TestDecodeMeta(t *testing.T) {
	t.Parallel()
	good := reportMeta{Channel: "C0OPS", Thread: "1700000000.000100", User: "U0REQUEST"}
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"good", good.encode(), true},
		{"no thread", reportMeta{Channel: "C0OPS", User: "U0REQUEST"}.encode(), true},
		{"bad channel", `{"c":"<!channel>","u":"U0REQUEST"}`, false},
		{"bad ts", `{"c":"C0OPS","t":"x","u":"U0REQUEST"}`, false},
		{"no user", `{"c":"C0OPS"}`, false},
		{"not json", "C0OPS", false},
		{"too long", `{"c":"C0OPS","u":"U0REQUEST","x":"` + strings.Repeat("x", 3000) + `"}`, false},
	}
	for _, tt := range tests {
		if _, err := decodeMeta(tt.in); (err == nil) != tt.ok {
			t.Errorf("%s: decodeMeta error %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

// FuzzReportForm checks that whatever is typed into the report form, the
// parser either reports a mistake on a known block or returns a valid key
// (or a numeric portal id) and valid, lower-case, bounded emails.
func FuzzReportForm(f *testing.F) {
	f.Fuzz(func(t *testing.T, project, emails string) {
		sub, errs := parseReportForm(map[string]map[string]slack.BlockAction{
			blockProject: {actionInput: {Value: project}},
			blockEmails:  {actionInput: {Value: emails}},
		})
		for block, msg := range errs {
			if block != blockProject && block != blockEmails {
				t.Errorf("error on unknown block %q", block)
			}
			if msg == "" || len(msg) > 400 {
				t.Errorf("error message %q", msg)
			}
		}
		if _, bad := errs[blockProject]; !bad {
			if (sub.key == "") == (sub.portalID == "") {
				t.Errorf("key %q, portal %q: want exactly one", sub.key, sub.portalID)
			}
			if sub.key != "" && !keyRE.MatchString(sub.key) {
				t.Errorf("key %q", sub.key)
			}
			if sub.portalID != "" && !isDigits(sub.portalID) {
				t.Errorf("portal id %q", sub.portalID)
			}
		}
		if _, bad := errs[blockEmails]; !bad {
			if len(sub.emails) > maxReportEmails {
				t.Errorf("%d emails", len(sub.emails))
			}
			for _, e := range sub.emails {
				if !validEmail(e) || e != strings.ToLower(e) {
					t.Errorf("email %q", e)
				}
			}
		}
	})
}

func TestDeskKey(t *testing.T) {
	t.Parallel()
	desks := []jira.ServiceDesk{{ID: "1", ProjectKey: "HELP"}, {ID: "4", ProjectKey: "NOCR"}}
	tests := []struct {
		name, portal, text, want string
	}{
		{"portal id", "4", "", "NOCR"},
		{"bare key in text", "", "Adding customers to NOCR fails: could not be added", "NOCR"},
		{"shouting is not a key", "", "JSM IS BROKEN, could not be added", ""},
		{"lower case is not a key", "", "nocr could not be added", ""},
		{"unknown portal, key in text", "9", "HELP: could not be added", "HELP"},
	}
	for _, tt := range tests {
		if got := deskKey(tt.portal, tt.text, desks); got != tt.want {
			t.Errorf("%s: deskKey = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := deskKey("", "HELP", nil); got != "" {
		t.Errorf("without desks deskKey = %q", got)
	}
}
