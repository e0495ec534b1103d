package bot

import (
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// This file holds the parsers of what people paste into Slack when adding
// customers failed: the project (a key, an issue key, or a JSM agent or
// portal URL), the customers' emails and Atlassian's error text. They are
// pure and fuzzed (FuzzParseReportText).

// maxReportText bounds the text the parsers look at; a message longer than
// Slack's 40,000 characters is not a report.
const maxReportText = 40_000

// maxReportEmails bounds how many customers one report may name.
const maxReportEmails = 50

// failurePhrases are the fragments of Atlassian's error text that mark a
// message as a failed customer invite, matched case-insensitively.
var failurePhrases = []string{
	"could not be added",
	"successfully added 0 customers",
}

var (
	// issueKeyRE finds issue keys (HELP-123) in running text.
	issueKeyRE = regexp.MustCompile(`\b([A-Z][A-Z0-9_]{1,9})-[0-9]+\b`)
	// emailRE finds email-like tokens; each is then checked with net/mail.
	emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-']+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	// wholeEmailRE is one email address and nothing else.
	wholeEmailRE = regexp.MustCompile(`^[A-Za-z0-9._%+\-']+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$`)
	// slackLinkRE matches Slack's link markup <target|label> and <target>.
	slackLinkRE = regexp.MustCompile(`<([^<>|]+)(?:\|([^<>]*))?>`)
	// urlRE finds bare URLs.
	urlRE = regexp.MustCompile(`https?://[^\s<>|]+`)
	// keyRE is a whole project key.
	keyRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,9}$`)
)

// reportText is what a pasted report says.
type reportText struct {
	// Key is the project key the text names, or "".
	Key string
	// PortalID is the customer portal id of a portal URL, when no key was
	// found; it is resolved through the service desk API.
	PortalID string
	// Emails are the customers' addresses, lower-cased, de-duplicated, in
	// order of appearance.
	Emails []string
	// Failure is true when the text carries Atlassian's error message.
	Failure bool
}

// isInviteFailure reports whether text carries Atlassian's "customers could
// not be added" message.
func isInviteFailure(text string) bool {
	text = strings.ToLower(clip(text))
	for _, p := range failurePhrases {
		if strings.Contains(text, p) {
			return true
		}
	}
	return false
}

// parseReportText extracts the project, the emails and the failure flag from
// a message. Slack link markup is unwrapped first, so <mailto:a@b.c|a@b.c>
// and <https://…|label> read as their targets.
func parseReportText(text string) reportText {
	text = clip(text)
	var r reportText
	r.Failure = isInviteFailure(text)

	var urls []string
	plain := slackLinkRE.ReplaceAllStringFunc(text, func(m string) string {
		sub := slackLinkRE.FindStringSubmatch(m)
		target, label := sub[1], sub[2]
		if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") {
			urls = append(urls, target)
			return " " + label + " "
		}
		if addr, ok := strings.CutPrefix(target, "mailto:"); ok {
			return " " + addr + " "
		}
		// User, channel and special mentions (<@U1>, <#C1>, <!here>) carry
		// nothing for a report.
		return " " + label + " "
	})
	urls = append(urls, urlRE.FindAllString(plain, -1)...)
	plain = urlRE.ReplaceAllString(plain, " ")

	for _, u := range urls {
		key, portal := projectFromURL(u)
		if r.Key == "" && key != "" {
			r.Key = key
		}
		if r.PortalID == "" && portal != "" {
			r.PortalID = portal
		}
	}
	if r.Key == "" {
		if m := issueKeyRE.FindStringSubmatch(plain); m != nil {
			r.Key = m[1]
		}
	}
	if r.Key != "" {
		r.PortalID = ""
	}
	r.Emails = parseEmails(plain)
	return r
}

// parseEmails returns the valid email addresses in text, lower-cased and
// de-duplicated, at most maxReportEmails.
func parseEmails(text string) []string {
	out := []string{}
	for _, m := range emailRE.FindAllString(clip(text), -1) {
		m = strings.ToLower(strings.Trim(m, ".'-"))
		if addr, err := mail.ParseAddress(m); err != nil || addr.Address != m {
			continue
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
		if len(out) == maxReportEmails {
			break
		}
	}
	return out
}

// validEmail reports whether s is one plain email address.
func validEmail(s string) bool {
	addr, err := mail.ParseAddress(s)
	return err == nil && addr.Address == s && wholeEmailRE.MatchString(s)
}

// projectFromURL reads a project key or portal id from a Jira URL:
//
//	…/jira/servicedesk/projects/HELP/queues/custom/1   agent view
//	…/projects/HELP/…, …/browse/HELP-12                 project and issue pages
//	…/plugins/servlet/project-config/HELP/…            project settings
//	…/servicedesk/customer/portal/4[/…]                customer portal (an id, not a key)
func projectFromURL(raw string) (key, portalID string) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", ""
	}
	// The path's segments, empty ones (doubled or trailing slashes) dropped.
	parts := strings.FieldsFunc(u.Path, func(r rune) bool { return r == '/' })
	for i := 0; i+1 < len(parts); i++ {
		next := parts[i+1]
		switch parts[i] {
		case "projects", "project-config":
			if keyRE.MatchString(next) {
				return next, ""
			}
		case "browse":
			if m := issueKeyRE.FindStringSubmatch(next); m != nil && m[0] == next {
				return m[1], ""
			}
			if keyRE.MatchString(next) {
				return next, ""
			}
		case "portal":
			if i > 0 && parts[i-1] == "customer" && isDigits(next) {
				return "", next
			}
		}
	}
	return "", ""
}

func isDigits(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// clip bounds the text the parsers read.
func clip(s string) string {
	if len(s) > maxReportText {
		return s[:maxReportText]
	}
	return s
}
