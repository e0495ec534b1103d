package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// This file is the "customers could not be added" report flow. Every entry
// point (the message shortcut, /jsm report, the detector's Diagnose button)
// ends in runReport: diagnose the project; when the permission rules
// explain the failure, post the report with its Approve buttons in the
// thread of the original message, remembering the reported emails in the
// plans, so that an approved, verified fix is followed by retrying the
// invites (retryInvites, called from approve); when they do not, post what
// the API can tell about each customer and a checklist of the causes it
// cannot see, and offer no repair.

// reportRequest is one report of failed invites, from any entry point.
type reportRequest struct {
	request
	// threadTS is the thread of the message that reported the failure, or
	// "" when the report came from a slash command (then the report is
	// posted in the channel and its follow-ups in its own thread).
	threadTS string
	key      string
	emails   []string
}

// reportCommand handles /jsm report. With a key and emails it goes
// straight to the work; otherwise (on the fast lane) it opens the report
// form, filled in with what was given.
func (b *Bot) reportCommand(ctx context.Context, req request, cmd parsedCommand) error {
	if cmd.complete() {
		return b.runReport(ctx, reportRequest{request: req, key: cmd.key, emails: cmd.emails})
	}
	return b.openReportForm(ctx, req, reportForm{Key: cmd.key, Emails: cmd.emails},
		reportMeta{Channel: req.channelID, User: req.userID})
}

// explains reports whether a diagnosis explains customers who cannot be
// added: the Portal Access grants are missing, or customers' permissions
// went to the Service Desk Customers role.
func explains(d *repair.Diagnosis) bool {
	for _, f := range d.Report.Findings {
		if f.Severity == diagnosis.Critical && (f.Rule == diagnosis.RulePortalAccess || f.Rule == diagnosis.RuleCustomersRole) {
			return true
		}
	}
	return false
}

// runReport diagnoses the reported project and answers in the report's
// thread: the repair for approval when the permissions explain the
// failure, the customer facts and the checklist when they do not.
func (b *Bot) runReport(ctx context.Context, r reportRequest) error {
	log := r.log.With("project", r.key, "customers", len(r.emails))
	d, err := b.engine.Diagnose(ctx, r.key)
	if err != nil {
		return b.reportError(ctx, r, fmt.Errorf("diagnose: %w", err))
	}
	if explains(d) && d.Plan != nil {
		log.Info("report explained by the permission scheme")
		intro := reportIntro(r.userID, r.key, r.emails)
		return b.offer(ctx, r.request, r.threadTS, intro, d, &approval.Report{Emails: r.emails}, false)
	}
	v := checkView{D: d, RequesterID: r.userID, Emails: r.emails}
	if len(r.emails) > 0 {
		v.Customers, err = b.engine.LookupCustomers(ctx, r.key, r.emails)
		if err != nil {
			text, ref := userText(err)
			log.Error("could not look the customers up", "ref", ref, "err", err)
			v.LookupFailed = text
		}
	}
	log.Info("report not explained by the permission scheme; posting the checklist")
	return b.exec.run(ctx, log, []effect{post{step: step{fail: abort}, channel: r.channelID, thread: r.threadTS, msg: renderCheck(v)}})
}

// reportError answers a report that could not be diagnosed, in its thread
// when it has one (where the reporter is looking), else to the requester.
func (b *Bot) reportError(ctx context.Context, r reportRequest, err error) error {
	if r.threadTS == "" {
		return err
	}
	text, ref := userText(err)
	r.log.Error("report failed", "ref", ref, "err", err)
	return b.exec.run(ctx, r.log, reportFailed(r, text))
}

// reportFailed is a report's failure in its thread, told to the requester
// when the thread cannot have it.
func reportFailed(r reportRequest, text string) []effect {
	tell := func(string) []effect { return []effect{ephemeral{who: r.request, text: text}} }
	return []effect{post{step: step{what: "post the failure in the thread", orElse: tell}, channel: r.channelID, thread: r.threadTS,
		msg: message{text: text, blocks: []slack.Block{section(":x: " + text), requestedBy(r.userID)}}}}
}

// retryInvites adds the reported customers again after a verified repair
// and posts one line per customer in the report's thread. The outcome is
// an audit record of its own.
func (b *Bot) retryInvites(ctx context.Context, c click, v planView) {
	rec, emails := v.Rec, v.Data.Report.Emails
	invites, err := b.engine.Invite(ctx, rec.ProjectKey, emails)
	iv := invitesView{Key: rec.ProjectKey, ProjectName: v.Data.ProjectName, RequesterID: rec.RequesterID, ApproverID: c.userID}
	for i, inv := range invites {
		line := inviteLine{Invite: inv}
		if inv.Err != nil && !errors.Is(inv.Err, repair.ErrHiddenAccount) {
			text, ref := userText(inv.Err)
			c.log.Error("invite failed", "ref", ref, "customer", i, "err", inv.Err)
			line.Why = text
		}
		iv.Lines = append(iv.Lines, line)
	}
	if err != nil {
		text, ref := userText(err)
		c.log.Error("invites interrupted", "ref", ref, "err", err)
		iv.Interrupted = text
	}
	effs, added := invited(rec, iv, len(emails), b.cfg.Now())
	_ = b.exec.run(ctx, c.log, effs)
	c.log.Info("invites retried", "project", rec.ProjectKey, "added", added, "of", len(emails))
}

// invited records retried invites: one line per customer in the thread,
// and an audit record of their own. Both are outcomes, recorded even when
// the handler ran out of time.
func invited(rec store.PlanRecord, iv invitesView, asked int, now time.Time) ([]effect, int) {
	added := 0
	r := approval.Audit(rec, iv.ApproverID, approval.Invited, "", now)
	for _, l := range iv.Lines {
		if l.Added {
			added++
		}
		r.Created = append(r.Created, l.Email+": "+l.outcome())
	}
	r.Result = fmt.Sprintf("%d of %d customer(s) added", added, asked)
	return []effect{
		post{step: step{what: "post the invite results", record: true}, channel: rec.ChannelID, thread: threadOf(rec), msg: renderInvites(iv)},
		audit{step: step{what: "write the audit record", record: true}, rec: r},
	}, added
}

// reportIntro opens a report whose permissions explain the failure.
func reportIntro(requesterID, key string, emails []string) string {
	who := "Someone"
	if requesterID != "" {
		who = mention(requesterID)
	}
	s := fmt.Sprintf(":envelope_with_arrow: %s reported that customers could not be added to %s", who, escape(key))
	if len(emails) > 0 {
		s += ": " + escape(emailList(emails, 10))
	}
	s += ". The permission scheme explains it (below)."
	if len(emails) > 0 {
		s += " Once an approver applies the fix and it is verified, I'll add these customers again and report each one here."
	}
	return s
}

// emailList joins up to n emails and says how many more there are.
func emailList(emails []string, n int) string {
	if len(emails) <= n {
		return strings.Join(emails, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(emails[:n], ", "), len(emails)-n)
}
