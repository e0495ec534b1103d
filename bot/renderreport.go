package bot

import (
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/repair"
)

// Rendering of the report flow's messages. Like render.go, every function
// is pure and golden-tested (TestRenderReport), and every string from Jira
// or a user is escaped.

// blockIDReportOffer is the actions block of the detector's reply.
const blockIDReportOffer = "report_offer"

// maxCustomerLines bounds the per-customer lines of one message; a report
// names at most maxReportEmails customers anyway.
const maxCustomerLines = maxReportEmails

// renderDetected is the detector's thread reply to a message carrying
// Atlassian's error: what it understood and a Diagnose button whose value
// is the report token.
func renderDetected(key string, emails int, token string) message {
	what := "That looks like Atlassian's “customers could not be added” error"
	switch {
	case key != "" && emails > 0:
		what += fmt.Sprintf(" on %s, for %d customer(s)", escape(key), emails)
	case key != "":
		what += " on " + escape(key)
	case emails > 0:
		what += fmt.Sprintf(", for %d customer(s)", emails)
	}
	text := ":mag: " + what + ". The usual cause is the project's permission scheme. " +
		"I can check it and, once an approver applies the fix, add the customers again."
	btn := slack.NewButtonBlockElement(ActionDiagnoseReport, token, plain("Diagnose", maxButtonRunes)).WithStyle(slack.StylePrimary)
	return message{"Customers could not be added? I can diagnose it.", []slack.Block{
		section(text),
		slack.NewActionBlock(blockIDReportOffer, btn),
		contextLine("Diagnosing changes nothing in Jira; a fix needs an approver."),
	}}
}

// checkView is the answer to a report the permission scheme does not
// explain.
type checkView struct {
	D           *repair.Diagnosis
	RequesterID string
	Emails      []string
	// Customers are the facts about Emails, in order; empty when the
	// lookup failed (LookupFailed says why) or no email was given.
	Customers    []repair.Customer
	LookupFailed string
}

// renderCheck says that the permissions are not the cause, what the API
// can tell about each customer, and the checklist of causes it cannot see.
// It offers no repair.
func renderCheck(v checkView) message {
	p := v.D.Snapshot.Project
	key := escape(p.Key)
	title := p.Key
	if p.Name != "" {
		title += " · " + p.Name
	}
	blocks := []slack.Block{header(title + " — customers could not be added")}
	var status string
	switch {
	case !v.D.Report.Applicable:
		why := "it is not a company-managed service project"
		if len(v.D.Report.Findings) > 0 && v.D.Report.Findings[0].Why != "" {
			why = v.D.Report.Findings[0].Why
		}
		status = fmt.Sprintf(":white_circle: %s has no permission scheme jsmbot checks: %s", key, escape(why))
	case v.D.Plan != nil:
		status = fmt.Sprintf(":large_orange_circle: %s's permission scheme has problems, but not the ones that stop customers from being added. Run `%s diagnose %s` to see and fix them.", key, slashCommand, key)
	default:
		status = fmt.Sprintf(":large_green_circle: %s's permissions are fine: %s has the grants customers need, so the permission scheme is not the cause and there is nothing for jsmbot to repair.", key, escape(diagnosis.PortalAccessName))
	}
	blocks = append(blocks, section(status))

	switch {
	case v.LookupFailed != "":
		blocks = append(blocks, section(":warning: I couldn't look the customers up: "+v.LookupFailed))
	case len(v.Customers) > 0:
		var lines []string
		for i, c := range v.Customers {
			if i == maxCustomerLines {
				lines = append(lines, fmt.Sprintf("…and %d more", len(v.Customers)-i))
				break
			}
			lines = append(lines, customerLine(c, key))
		}
		blocks = append(blocks, section("*What Jira tells me about each customer:*\n"+strings.Join(lines, "\n")))
	}
	blocks = append(blocks, section(checklistText))
	blocks = append(blocks, requestedBy(v.RequesterID))
	text := p.Key + ": the permissions are not the cause"
	if !v.D.Report.Applicable {
		text = p.Key + ": not a project jsmbot repairs"
	}
	return message{text, clamp(blocks)}
}

// customerLine is one customer's facts, escaped; key is already escaped.
func customerLine(c repair.Customer, key string) string {
	email := "`" + escape(c.Email) + "`"
	name := ""
	if c.DisplayName != "" {
		name = " (" + escape(c.DisplayName) + ")"
	}
	switch {
	case c.AccountID == "":
		return fmt.Sprintf("❔ %s — no account with this email is visible to me. Adding them would create a portal-only customer; if that fails, the person may have an account that privacy settings hide, or the causes below apply.", email)
	case !c.Active:
		return fmt.Sprintf("⛔ %s%s — the account is *deactivated*: it can't be used until an admin reactivates it at admin.atlassian.com.", email, name)
	case c.OnDesk:
		return fmt.Sprintf("✅ %s%s — active, and already a customer of %s: nothing to add. If they still can't use the portal, check the list below.", email, name, key)
	}
	return fmt.Sprintf("➖ %s%s — active account, not a customer of %s yet.", email, name, key)
}

// checklistText is what the REST API cannot see (reference §0 and §2.8).
const checklistText = "*What the API can't show me — please check in Jira:*\n" +
	"1. *Customer access* (Project settings → Customer access): if only agents and admins may add customers, an agent who is not a project admin cannot add them; with public sign-up off, new people can't sign up or email in. No REST API exposes this setting.\n" +
	"2. *Approved domains*: when access is limited to approved domains, other email domains can't be added or sign up.\n" +
	"3. *Accounts managed elsewhere*: an email on a domain another Atlassian organization has verified, or one behind an external identity provider, is managed there; its admin decides whether it may be a customer here.\n" +
	"4. *Agents and licensed users*: an email that belongs to an Atlassian account with product access is not a portal-only customer; check the account's product access at admin.atlassian.com.\n" +
	"5. *Issue security*: if customers are added but can't see their requests, an issue security scheme may hide them."

// inviteLine is one customer's retried invite, with the user text of its
// error when it is not one renderInvites words itself.
type inviteLine struct {
	repair.Invite
	Why string
}

// outcome says, unescaped, what happened to one customer, for the audit.
func (l inviteLine) outcome() string {
	switch {
	case l.Err == nil && l.Created:
		return "created and added"
	case l.Err == nil:
		return "added"
	case errors.Is(l.Err, repair.ErrHiddenAccount):
		return "not added: the account is hidden from jsmbot"
	}
	return "not added"
}

// invitesView is the per-customer result of retried invites.
type invitesView struct {
	Key, ProjectName        string
	RequesterID, ApproverID string
	Lines                   []inviteLine
	// Interrupted is the user text of an error that stopped the batch.
	Interrupted string
}

// renderInvites posts one line per customer after the fix: added, created
// and added, or why not.
func renderInvites(v invitesView) message {
	key := escape(v.Key)
	title := v.Key
	if v.ProjectName != "" {
		title += " · " + v.ProjectName
	}
	added := 0
	var lines []string
	for i, l := range v.Lines {
		if l.Added {
			added++
		}
		if i >= maxCustomerLines {
			continue
		}
		email := "`" + escape(l.Email) + "`"
		switch {
		case l.Err == nil && l.Created:
			lines = append(lines, fmt.Sprintf("✅ %s — created a customer account and added it to %s", email, key))
		case l.Err == nil:
			line := fmt.Sprintf("✅ %s — added to %s", email, key)
			if l.DisplayName != "" {
				line += " (" + escape(l.DisplayName) + ")"
			}
			if !l.Active {
				line += " · :warning: the account is deactivated, so they can't sign in until an admin reactivates it"
			}
			lines = append(lines, line)
		case errors.Is(l.Err, repair.ErrHiddenAccount):
			lines = append(lines, fmt.Sprintf("❌ %s — an account with this email exists, but Jira hides it from me (privacy settings): add them from %s's Customers page", email, key))
		default:
			why := l.Why
			if why == "" {
				why = "it could not be added"
			}
			lines = append(lines, fmt.Sprintf("❌ %s — %s", email, why))
		}
	}
	if n := len(v.Lines) - maxCustomerLines; n > 0 {
		lines = append(lines, fmt.Sprintf("…and %d more", n))
	}
	blocks := []slack.Block{header(title + " — customers added again")}
	blocks = append(blocks, section(fmt.Sprintf("*After the verified fix I added the reported customers again: %d of %d added.*\n%s", added, len(v.Lines), strings.Join(lines, "\n"))))
	if v.Interrupted != "" {
		blocks = append(blocks, section(":warning: I had to stop before finishing: "+v.Interrupted))
	}
	people := requestedByText(v.RequesterID)
	if v.ApproverID != "" {
		people += " Fix approved by " + mention(v.ApproverID) + "."
	}
	blocks = append(blocks, contextLine(people))
	return message{fmt.Sprintf("%s: %d of %d customer(s) added", v.Key, added, len(v.Lines)), clamp(blocks)}
}
