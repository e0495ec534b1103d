package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// This file is the Slack side of the approval lifecycle (package approval
// holds its decisions): the Approve and Dismiss buttons. Each handler reads
// what it needs, wins the compare-and-sets its decision turns on, and
// hands the rest to the executor as effects built by the pure functions
// below (denied, approved, finished, dismissed, expired), which the value
// tests in approve_test.go pin.

// approve handles a click on an Approve button. Nothing reaches Jira
// unless the clicker may approve, the plan is pending, this is the first
// decision on its message (a store marker) and the plan moved from pending
// to applying in the store (a compare-and-set).
func (b *Bot) approve(ctx context.Context, c click) error {
	if b.restarting(ctx, c) {
		return nil
	}
	rec, data, ok, err := b.pendingPlan(ctx, c)
	if err != nil || !ok {
		return err
	}
	if c.mode != "" && c.mode != rec.Mode {
		c.log.Warn("button mode does not match the plan", "button_mode", c.mode, "plan_mode", rec.Mode)
		return &friendlyError{text: "That button does not match its plan, so I did nothing."}
	}
	refusal, err := b.policy.Authorize(ctx, b.directory, c.userID, rec.RequesterID, approval.Approve)
	if err != nil {
		return &friendlyError{text: "I couldn't check the approver list with Slack, so nothing was changed. Try again in a moment.", err: err}
	}
	if refusal != approval.Allowed {
		c.log.Info("click refused", "why", refusalText(refusal))
		return b.exec.run(ctx, c.log, denied(c, rec, refusal, b.cfg.Now()))
	}
	if ok, err := b.claim(ctx, c, data); err != nil || !ok {
		return err
	}
	rec, err = b.exec.transition(ctx, approval.Approval(rec, c.userID, b.cfg.Owner, b.cfg.Now().Add(b.cfg.Lease)))
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return b.explainCurrent(ctx, c)
	}
	if err != nil {
		// The group's decision marker is taken and stays taken, so this
		// message's buttons are spent: say so instead of "try again".
		return &friendlyError{text: fmt.Sprintf("I couldn't record your approval, so nothing was applied. Run `%s diagnose %s` again in a moment for a fresh diagnosis to approve.", slashCommand, escape(data.Plan.ProjectKey)), err: err}
	}
	c.log.Info("plan approved", "project", rec.ProjectKey, "mode", rec.Mode)
	v := planView{Rec: rec, Data: data}
	if err := b.exec.run(ctx, c.log, approved(v, c.userID)); err != nil {
		return err
	}

	lease := b.renewLease(ctx, c, rec.ID, len(repair.PlannedRecord(data.Plan, rec.ID).Changes))
	res, applyErr := b.engine.Apply(ctx, data.Plan, repair.WithPlanID(rec.ID), repair.WithProgress(lease.landed))
	if errors.Is(context.Cause(ctx), errDrainDeadline) {
		// Shutting down, out of drain: the plan stays applying with the
		// writes it recorded, and its lease ends now.
		lease.abandon()
		c.log.Warn("the shutdown cut the apply; the plan stays applying with the writes it recorded, and the reconciler will settle it", "project", rec.ProjectKey)
		return nil
	}
	lease.stop()
	var failure, ref string
	if applyErr != nil && !errors.Is(applyErr, repair.ErrStale) {
		failure, ref = userText(applyErr)
		c.log.Error("repair failed", "ref", ref, "err", applyErr)
	}
	o := approval.Decide(res, applyErr, ref)
	// The outcome's steps record on budgets of their own, even when ctx
	// ended while applying: the plan must not stay in applying, and the
	// message must say what Jira holds.
	effs := undoable(finished(v, c.userID, res, o, failure, b.cfg.Now()), v, res, o, b.cfg.UndoWindow)
	if left := b.exec.runLeaving(ctx, c.log, effs); len(left) > 0 && !slices.ContainsFunc(left, isTransition) {
		// The plan's final state is recorded (a plan left applying is the
		// reconciler's anyway): the message or the audit record is left.
		b.leaveUnrecorded(ctx, c.log, rec.ID, left)
	}
	c.log.Info("repair finished", "project", rec.ProjectKey, "action", o.Action, "result", o.Result)

	if o.Stale != nil && o.Stale.Fresh != nil {
		// The project changed: offer what Jira holds now, in the thread.
		req := request{userID: rec.RequesterID, channelID: rec.ChannelID, log: c.log}
		intro := fmt.Sprintf("Fresh diagnosis of %s, made when %s's approval found that the project had changed:", escape(rec.ProjectKey), mention(c.userID))
		if err := b.offer(ctx, req, threadOf(rec), intro, o.Stale.Fresh, data.Report, true); err != nil {
			text, ref := userText(err)
			c.log.Error("could not post the fresh diagnosis", "ref", ref, "err", err)
			b.tell(ctx, c.request, text)
		}
	}

	// A report of failed invites is finished by adding its customers
	// again, once the fix is verified.
	if applyErr == nil && res != nil && res.Verified && data.Report != nil && len(data.Report.Emails) > 0 {
		b.retryInvites(ctx, c, v)
	}
	return nil
}

// restartingText answers a click that would start changing Jira after
// the shutdown's drain ran out of time.
const restartingText = "jsmbot is restarting; nothing was changed — click again in a moment."

// restarting tells the clicker, and reports true, when the bot is shutting
// down and its drain has run out of time: no apply or undo starts then.
// (Once Run's context ends no envelope is read; a click acknowledged
// before that is still honoured while the drain lasts.)
func (b *Bot) restarting(ctx context.Context, c click) bool {
	if !b.draining.Load() || !errors.Is(context.Cause(ctx), errDrainDeadline) {
		return false
	}
	c.log.Info("click refused: shutting down")
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	_ = b.exec.run(tctx, c.log, []effect{ephemeral{who: c.request, text: restartingText}})
	return true
}

// isTransition reports whether e is a state transition.
func isTransition(e effect) bool {
	_, ok := e.(transition)
	return ok
}

// threadOf is the thread replies about a plan's message go to.
func threadOf(rec store.PlanRecord) string {
	if rec.ThreadTS != "" {
		return rec.ThreadTS
	}
	return rec.MessageTS
}

// announce is the audit record's readable form, posted in the message's
// thread; refusals are not announced in the channel.
func announce(rec store.PlanRecord, r store.AuditRecord, s step) []effect {
	if r.Action == approval.Denied || rec.ChannelID == "" {
		return nil
	}
	s.what = "post the audit summary"
	return []effect{post{step: s, channel: rec.ChannelID, thread: threadOf(rec),
		msg: message{text: "Audit: " + r.Action, blocks: []slack.Block{section(auditText(r))}}}}
}

// audited is an audit record and its announcement, which is not posted
// when the record could not be written.
func audited(rec store.PlanRecord, r store.AuditRecord, s step) []effect {
	as := s
	as.what, as.fail = "write the audit record", stop
	return append([]effect{audit{step: as, rec: r}}, announce(rec, r, s)...)
}

// denied is a refused click: the clicker is told why, and the refusal is
// audited. Nothing else changes.
func denied(c click, rec store.PlanRecord, r approval.Refusal, now time.Time) []effect {
	why := refusalText(r)
	return append([]effect{ephemeral{who: c.request, text: why}},
		audited(rec, approval.Audit(rec, c.userID, approval.Denied, why, now), step{})...)
}

// refusalText words a refusal of the approval policy.
func refusalText(r approval.Refusal) string {
	switch r {
	case approval.NoApprovers:
		return "Nobody may approve repairs yet: jsmbot's approver list is empty. Ask whoever runs jsmbot to set JSMBOT_APPROVERS to the Slack user IDs or user-group IDs of the approvers. Nothing was changed."
	case approval.SelfApproval:
		return "You asked for this diagnosis, so another approver must approve its fix (self-approval is turned off). Nothing was changed."
	case approval.NotRequesterOrApprover:
		return "Only the person who asked for this diagnosis or an approver may dismiss it. Nothing was changed."
	}
	return "Only jsmbot's approvers may approve a repair, and you are not one of them. Nothing was changed."
}

// approved follows a won approval: the other offered plans are retired
// and the message shows "applying".
func approved(v planView, approver string) []effect {
	var effs []effect
	for _, t := range approval.Supersede(v.Data, v.Rec, approver) {
		effs = append(effs, transition{step: step{what: "retire the other offered plan"}, t: t})
	}
	return append(effs, update{step: step{what: "show applying"}, channel: v.Rec.ChannelID, ts: v.Rec.MessageTS, msg: renderApplying(v)})
}

// finished records how an applied plan ended: its final state, the
// message, the audit record and its summary in the thread. Every step
// records an outcome, on a budget of its own. failure is the user text of
// the error that stopped the apply ("" when none).
func finished(v planView, approver string, res *repair.Result, o approval.Outcome, failure string, now time.Time) []effect {
	rec := v.Rec
	var msg message
	switch {
	case o.Stale != nil:
		msg = renderStale(v)
	default:
		msg = renderResult(v, res, failure)
	}
	r := approval.Audit(rec, approver, o.Action, o.Result, now)
	if res != nil {
		r.Created, r.Removed = auditChanges(v.Data, res)
	}
	rs := step{record: true}
	return append([]effect{
		transition{step: step{what: "record the outcome", record: true}, t: o.Transition(rec)},
		update{step: step{what: "show the outcome", record: true}, channel: rec.ChannelID, ts: rec.MessageTS, msg: msg},
	}, audited(rec, r, rs)...)
}

// auditChanges lists what an apply left in Jira, for its audit record: the
// grants and schemes it created, and those it removed (a deleted copy is
// removed). A change whose outcome is unknown is listed as one that "may
// have been applied".
func auditChanges(data approval.PlanData, res *repair.Result) (created, removed []string) {
	for _, ch := range res.Changes {
		words := changeWords(data.Roles, ch)
		switch {
		case ch.Outcome == repair.Unknown:
			words = "may have been applied: " + words
		case !ch.Done:
			continue
		}
		switch ch.Step {
		case repair.StepRemoveGrant, repair.StepDeleteScheme:
			removed = append(removed, words)
		default:
			created = append(created, words)
		}
		if ch.Step == repair.StepCreateScheme && ch.Done {
			created = append(created, copyDetails(data.Plan, data.Roles)...)
		}
	}
	return created, removed
}

// dismiss handles a click on Dismiss: the requester or an approver retires
// every plan offered in the message.
func (b *Bot) dismiss(ctx context.Context, c click) error {
	rec, data, ok, err := b.pendingPlan(ctx, c)
	if err != nil || !ok {
		return err
	}
	refusal, err := b.policy.Authorize(ctx, b.directory, c.userID, rec.RequesterID, approval.Dismiss)
	if err != nil {
		return &friendlyError{text: "I couldn't check the approver list with Slack, so nothing was changed. Try again in a moment.", err: err}
	}
	if refusal != approval.Allowed {
		c.log.Info("click refused", "why", refusalText(refusal))
		return b.exec.run(ctx, c.log, denied(c, rec, refusal, b.cfg.Now()))
	}
	if ok, err := b.claim(ctx, c, data); err != nil || !ok {
		return err
	}
	var (
		won  *store.PlanRecord
		rest []effect
	)
	for _, t := range approval.Dismissal(data, c.userID) {
		if t.PlanID != rec.ID {
			rest = append(rest, transition{step: step{what: "dismiss the other offered plan"}, t: t})
			continue
		}
		if r, err := b.exec.transition(ctx, t); err == nil {
			won = &r
		}
	}
	if won == nil {
		return b.explainCurrent(ctx, c)
	}
	c.log.Info("plans dismissed", "project", rec.ProjectKey)
	return b.exec.run(ctx, c.log, dismissed(planView{Rec: *won, Data: data}, rest, c.userID, b.cfg.Now()))
}

// dismissed follows a won dismissal: the other plans, the message, the
// audit record.
func dismissed(v planView, others []effect, by string, now time.Time) []effect {
	rec := v.Rec
	effs := append(others, update{step: step{what: "show the dismissal"}, channel: rec.ChannelID, ts: rec.MessageTS, msg: renderClosed(v, store.StateDismissed, by)})
	return append(effs, audited(rec, approval.Audit(rec, by, approval.Dismissed, "nothing was changed", now), step{})...)
}

// claim sets the marker that makes the first decision on a message the
// only one: of an approval of either offered mode and a dismissal, exactly
// one proceeds, across replicas. ok is false when someone else was first
// (the clicker has been told).
func (b *Bot) claim(ctx context.Context, c click, data approval.PlanData) (bool, error) {
	first, err := b.exec.claim(ctx, data.ClaimKey(), approval.ClaimTTL(b.cfg.PlanTTL))
	if err != nil {
		return false, &friendlyError{text: "I couldn't record your decision, so nothing was changed. Try again in a moment.", err: err}
	}
	if !first {
		c.log.Info("decision already taken by another click")
		var recs []store.PlanRecord
		for _, id := range data.Group {
			if r, err := b.store.Plan(ctx, id); err == nil {
				recs = append(recs, r)
			}
		}
		_ = b.exec.run(ctx, c.log, []effect{ephemeral{who: c.request, text: handledBy(recs)}})
	}
	return first, nil
}

// handledBy says who is already deciding on a message's plans.
func handledBy(group []store.PlanRecord) string {
	for _, r := range group {
		if r.ApproverID == "" {
			continue
		}
		switch r.State {
		case store.StateApplying:
			return fmt.Sprintf("This fix is already being applied, approved by %s. Nothing more to do.", mention(r.ApproverID))
		case store.StateApplied, store.StateFailed:
			return fmt.Sprintf("%s already approved a fix for this diagnosis. Nothing more to do.", mention(r.ApproverID))
		case store.StateDismissed:
			if r.SupersededBy == "" {
				return fmt.Sprintf("%s already dismissed this diagnosis. Nothing was changed.", mention(r.ApproverID))
			}
		}
	}
	return "Someone else is already handling this diagnosis. Nothing more to do."
}

// clicked is what the store says about the plan a button names.
type clicked struct {
	rec  store.PlanRecord
	err  error // from the store; ErrNotFound for an unknown or invalid ID
	data approval.PlanData
	// offer is true when the ID is a report offer's, not a plan's.
	offer bool
}

// loadClicked reads the plan a button names. A value that is not a plan
// ID is not looked up.
func (b *Bot) loadClicked(ctx context.Context, c click) (clicked, error) {
	if !store.ValidID(c.planID) {
		return clicked{err: store.ErrNotFound}, nil
	}
	rec, err := b.store.Plan(ctx, c.planID)
	if errors.Is(err, store.ErrNotFound) {
		_, oerr := b.store.Offer(ctx, c.planID)
		return clicked{err: err, offer: oerr == nil}, nil
	}
	if err != nil {
		return clicked{err: err}, nil
	}
	data, err := approval.Decode(rec)
	if err != nil {
		return clicked{}, err
	}
	return clicked{rec: rec, data: data}, nil
}

// gated is the decision on a click before any policy.
type gated struct {
	// ok: the plan may be decided on. Otherwise tell says why.
	ok   bool
	tell string
	// warn, when set, is logged: the click was suspicious.
	warn string
	// expire: the plan was found past its expiry, which is recorded once.
	expire bool
}

// gate decides on a click before any policy. err is for a store that
// cannot say.
func gate(c click, s clicked) (gated, error) {
	switch {
	case s.offer:
		// A report token is not a plan; its button is Diagnose.
		return gated{warn: "plan button carries a report token", tell: "That button does not match its plan, so I did nothing."}, nil
	case errors.Is(s.err, store.ErrNotFound):
		// A forged or long-forgotten plan ID: there is no plan to audit,
		// so the log is the record.
		return gated{warn: "click on an unknown plan", tell: goneText}, nil
	case s.err != nil:
		return gated{}, &friendlyError{text: "I can't read my records right now, so nothing was changed. Try again in a moment.", err: s.err}
	case s.rec.ChannelID != "" && c.channelID != "" && s.rec.ChannelID != c.channelID:
		return gated{warn: "click on a plan from another channel", tell: "That button belongs to a message in another channel, so I did nothing."}, nil
	case !approval.Usable(s.rec):
		return gated{tell: stateText(s.rec), expire: s.rec.State == store.StateExpired}, nil
	}
	return gated{ok: true}, nil
}

// goneText answers a click on a plan the store does not hold: its record
// is gone (past its retention, or a Redis that lost its data), or the
// button is forged.
const goneText = "I don't know that plan: its record is gone (records are kept for a while after a plan ends), or the button was not made by me. Nothing was changed. Run `" + slashCommand + " diagnose KEY` again for a fresh diagnosis."

// pendingPlan loads the plan a button names. ok is false (and the clicker
// has been told why) when it is unknown or no longer pending.
func (b *Bot) pendingPlan(ctx context.Context, c click) (store.PlanRecord, approval.PlanData, bool, error) {
	s, err := b.loadClicked(ctx, c)
	if err != nil {
		return s.rec, s.data, false, err
	}
	g, err := gate(c, s)
	if err != nil || g.ok {
		return s.rec, s.data, g.ok, err
	}
	if g.warn != "" {
		c.log.Warn(g.warn, "plan_channel", s.rec.ChannelID)
	}
	if g.expire {
		b.expire(ctx, c, s.rec, s.data)
	}
	return s.rec, s.data, false, b.exec.run(ctx, c.log, []effect{ephemeral{who: c.request, text: g.tell}})
}

// explainCurrent re-reads a plan after a lost race and tells the clicker
// its state.
func (b *Bot) explainCurrent(ctx context.Context, c click) error {
	rec, err := b.store.Plan(ctx, c.planID)
	if err != nil {
		return &friendlyError{text: "Someone else decided on this plan first. Nothing more to do.", err: err}
	}
	return b.exec.run(ctx, c.log, []effect{ephemeral{who: c.request, text: stateText(rec)}})
}

// stateText tells a clicker why a plan that is not pending can't be used.
func stateText(rec store.PlanRecord) string {
	again := fmt.Sprintf("Run `%s diagnose %s` for a fresh diagnosis.", slashCommand, escape(rec.ProjectKey))
	switch rec.State {
	case store.StateExpired:
		return fmt.Sprintf("This diagnosis expired at %s without approval, so nothing was changed. %s", rec.ExpiresAt.UTC().Format("15:04 UTC"), again)
	case store.StateDismissed:
		if rec.SupersededBy != "" {
			return fmt.Sprintf("This fix was not chosen: %s approved the other one. Nothing more to do.", mention(rec.ApproverID))
		}
		return fmt.Sprintf("This diagnosis was dismissed by %s; nothing was changed. %s", mention(rec.ApproverID), again)
	case store.StateApplying:
		return fmt.Sprintf("This fix is being applied now, approved by %s.", mention(rec.ApproverID))
	case store.StateApplied:
		return fmt.Sprintf("This fix was already applied, approved by %s.", mention(rec.ApproverID))
	case store.StateFailed:
		return fmt.Sprintf("This plan already ran (%s). %s", escape(rec.Result), again)
	case store.StateUndone:
		return "This fix was applied and later undone. " + again
	}
	return "This plan can't be used any more. " + again
}

// expire records, once, that a message's plans expired: the first clicker
// after the deadline updates the message and writes the audit record.
func (b *Bot) expire(ctx context.Context, c click, rec store.PlanRecord, data approval.PlanData) {
	var (
		won  *store.PlanRecord
		rest []effect
	)
	for _, t := range approval.Expiry(data) {
		if t.PlanID != rec.ID {
			rest = append(rest, transition{step: step{what: "record the expiry of the other offered plan"}, t: t})
			continue
		}
		if r, err := b.exec.transition(ctx, t); err == nil {
			won = &r
		}
	}
	if won == nil {
		return // someone else recorded it
	}
	_ = b.exec.run(ctx, c.log, expired(planView{Rec: *won, Data: data}, rest, b.cfg.Now()))
}

// expired follows a recorded expiry: the other plans, the message, the
// audit record.
func expired(v planView, others []effect, now time.Time) []effect {
	rec := v.Rec
	effs := append(others, update{step: step{what: "show the expiry"}, channel: rec.ChannelID, ts: rec.MessageTS, msg: renderClosed(v, store.StateExpired, "")})
	return append(effs, audited(rec, approval.Audit(rec, "", approval.Expired, "expired unapproved; nothing was changed", now), step{})...)
}

// slackDirectory is the approval policy's directory: Slack user groups.
type slackDirectory struct{ slack Poster }

// GroupMembers implements [approval.Directory] with usergroups.users.list.
func (d slackDirectory) GroupMembers(ctx context.Context, group string) ([]string, error) {
	return d.slack.GetUserGroupMembersContext(ctx, group)
}

// policyOf splits the configured approvers into users and user groups
// (IDs starting with S).
func policyOf(cfg Config) approval.Policy {
	p := approval.Policy{AllowSelfApproval: cfg.AllowSelfApproval}
	for _, id := range cfg.Approvers {
		if strings.HasPrefix(id, "S") {
			p.Groups = append(p.Groups, id)
		} else {
			p.Users = append(p.Users, id)
		}
	}
	return p
}
