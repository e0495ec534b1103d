package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// Words for the outcomes written into plans and audit records.
const (
	auditApplied   = "applied"
	auditFailed    = "failed"
	auditStale     = "stale"
	auditDenied    = "denied"
	auditDismissed = "dismissed"
	auditExpired   = "expired"
)

// approve handles a click on an Approve button. Nothing reaches Jira
// unless the clicker may approve, the plan is pending, this is the first
// decision on its message (a store marker) and the plan moved from pending
// to applying in the store (a compare-and-set).
func (b *Bot) approve(ctx context.Context, c click) error {
	rec, data, ok, err := b.pendingPlan(ctx, c)
	if err != nil || !ok {
		return err
	}
	if c.mode != "" && c.mode != rec.Mode {
		c.log.Warn("button mode does not match the plan", "button_mode", c.mode, "plan_mode", rec.Mode)
		return &friendlyError{text: "That button does not match its plan, so I did nothing."}
	}
	allowed, why, err := b.authorize(ctx, c.userID, rec.RequesterID, true)
	if err != nil {
		return &friendlyError{text: "I couldn't check the approver list with Slack, so nothing was changed. Try again in a moment.", err: err}
	}
	if !allowed {
		b.deny(ctx, c, rec, why)
		return nil
	}
	if ok, err := b.claim(ctx, c, data); err != nil || !ok {
		return err
	}
	rec, err = b.store.Transition(ctx, rec.ID, store.StatePending, store.StateApplying, func(p *store.PlanRecord) {
		p.ApproverID = c.userID
	})
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return b.explainCurrent(ctx, c)
	}
	if err != nil {
		// The group's decision marker is taken and stays taken, so this
		// message's buttons are spent: say so instead of "try again".
		return &friendlyError{text: fmt.Sprintf("I couldn't record your approval, so nothing was applied. Run `%s diagnose %s` again in a moment for a fresh diagnosis to approve.", slashCommand, escape(data.Plan.ProjectKey)), err: err}
	}
	c.log.Info("plan approved", "project", rec.ProjectKey, "mode", rec.Mode)
	for _, id := range data.Group {
		if id == rec.ID {
			continue
		}
		_, err := b.store.Transition(ctx, id, store.StatePending, store.StateDismissed, func(p *store.PlanRecord) {
			p.ApproverID = c.userID
			p.Result = fmt.Sprintf("superseded: %s approved the %s fix", c.userID, rec.Mode)
		})
		if err != nil && !errors.Is(err, store.ErrConflict) {
			c.log.Warn("could not retire the other offered plan", "other_plan_id", id, "err", err)
		}
	}

	v := planView{Rec: rec, Data: data}
	if err := b.update(ctx, rec.ChannelID, rec.MessageTS, renderApplying(v)); err != nil {
		c.log.Warn("could not show applying", "err", err)
	}
	res, applyErr := b.engine.Apply(ctx, data.Plan)

	// The outcome is recorded even when ctx ended while applying: the
	// plan must not stay in applying, and the message must say what Jira
	// holds.
	after, cancel := afterwards(ctx)
	defer cancel()
	b.finish(after, c, v, res, applyErr)

	// A report of failed invites is finished by adding its customers
	// again, once the fix is verified.
	if applyErr == nil && res != nil && res.Verified && data.Report != nil && len(data.Report.Emails) > 0 {
		b.retryInvites(ctx, c, planView{Rec: rec, Data: data})
	}
	return nil
}

// afterwards returns a context for recording an outcome: detached from
// ctx's cancellation, with a short budget of its own.
func afterwards(ctx context.Context) (context.Context, context.CancelFunc) {
	budget := 5 * time.Second
	if ctx.Err() != nil {
		budget = time.Second // shutting down or out of time: be quick
	}
	return context.WithTimeout(context.WithoutCancel(ctx), budget)
}

// finish records how an applied plan ended: the plan's final state, the
// message, the audit record and its summary in the thread, and, when the
// project had changed, a fresh diagnosis.
func (b *Bot) finish(ctx context.Context, c click, v planView, res *repair.Result, applyErr error) {
	rec := v.Rec
	var stale *repair.StaleError
	var (
		to      = store.StateApplied
		action  = auditApplied
		result  string
		msg     message
		failure string
	)
	switch {
	case errors.As(applyErr, &stale):
		to, action = store.StateFailed, auditStale
		result = "not applied: the project changed after the diagnosis; nothing was changed"
		msg = renderStale(v)
	case applyErr != nil:
		text, ref := userText(applyErr)
		c.log.Error("repair failed", "ref", ref, "err", applyErr)
		to, action, failure = store.StateFailed, auditFailed, text
		done := 0
		if res != nil {
			done = len(res.Applied())
		}
		result = fmt.Sprintf("failed after %d change(s) (ref %s)", done, ref)
		msg = renderResult(v, res, failure)
	default:
		result = "applied; verified healthy"
		if !res.Verified {
			result = "applied; not verified: problems remain"
		}
		msg = renderResult(v, res, "")
	}

	final, err := b.store.Transition(ctx, rec.ID, store.StateApplying, to, func(p *store.PlanRecord) { p.Result = result })
	if err != nil {
		c.log.Error("could not record the outcome", "state", to, "err", err)
	} else {
		v.Rec = final
	}
	if err := b.update(ctx, rec.ChannelID, rec.MessageTS, msg); err != nil {
		c.log.Warn("could not show the outcome", "err", err)
	}
	audit := store.AuditRecord{
		PlanID: rec.ID, RequesterID: rec.RequesterID, ApproverID: c.userID,
		ProjectKey: rec.ProjectKey, Digest: rec.Digest, Action: action, Result: result,
	}
	if res != nil {
		for _, ch := range res.Applied() {
			if ch.Step == repair.StepRemoveGrant {
				audit.Removed = append(audit.Removed, changeWords(v.Data.Roles, ch))
			} else {
				audit.Created = append(audit.Created, changeWords(v.Data.Roles, ch))
			}
			if ch.Step == repair.StepCreateScheme {
				audit.Created = append(audit.Created, copyDetails(v.Data.Plan, v.Data.Roles)...)
			}
		}
	}
	b.audit(ctx, c, rec, audit)
	c.log.Info("repair finished", "project", rec.ProjectKey, "action", action, "result", result)

	if stale != nil && stale.Fresh != nil {
		req := request{userID: rec.RequesterID, channelID: rec.ChannelID, log: c.log}
		intro := fmt.Sprintf("Fresh diagnosis of %s, made when %s's approval found that the project had changed:", escape(rec.ProjectKey), mention(c.userID))
		if err := b.postDiagnosis(ctx, req, threadOf(rec), intro, stale.Fresh, v.Data.Report); err != nil {
			text, ref := userText(err)
			c.log.Error("could not post the fresh diagnosis", "ref", ref, "err", err)
			b.tell(ctx, c.request, text)
		}
	}
}

// threadOf is the thread replies about a plan's message go to.
func threadOf(rec store.PlanRecord) string {
	if rec.ThreadTS != "" {
		return rec.ThreadTS
	}
	return rec.MessageTS
}

// audit appends an audit record and posts its readable form in the
// message's thread.
func (b *Bot) audit(ctx context.Context, c click, rec store.PlanRecord, r store.AuditRecord) {
	if r.Time.IsZero() {
		r.Time = b.cfg.Now()
	}
	if err := b.store.AppendAudit(ctx, r); err != nil {
		c.log.Error("could not write the audit record", "action", r.Action, "err", err)
	}
	if r.Action == auditDenied || rec.ChannelID == "" {
		return // refusals are not announced in the channel
	}
	if _, err := b.post(ctx, rec.ChannelID, threadOf(rec), message{text: "Audit: " + r.Action, blocks: []slack.Block{section(auditText(r))}}); err != nil {
		c.log.Warn("could not post the audit summary", "err", err)
	}
}

// dismiss handles a click on Dismiss: the requester or an approver retires
// every plan offered in the message.
func (b *Bot) dismiss(ctx context.Context, c click) error {
	rec, data, ok, err := b.pendingPlan(ctx, c)
	if err != nil || !ok {
		return err
	}
	allowed := c.userID == rec.RequesterID
	if !allowed {
		allowed, err = b.isApprover(ctx, c.userID)
		if err != nil {
			return &friendlyError{text: "I couldn't check the approver list with Slack, so nothing was changed. Try again in a moment.", err: err}
		}
	}
	if !allowed {
		b.deny(ctx, c, rec, "Only the person who asked for this diagnosis or an approver may dismiss it. Nothing was changed.")
		return nil
	}
	if ok, err := b.claim(ctx, c, data); err != nil || !ok {
		return err
	}
	var won *store.PlanRecord
	for _, id := range data.Group {
		r, err := b.store.Transition(ctx, id, store.StatePending, store.StateDismissed, func(p *store.PlanRecord) {
			p.ApproverID = c.userID
			p.Result = "dismissed by " + c.userID
		})
		switch {
		case err == nil && id == rec.ID:
			won = &r
		case err != nil && !errors.Is(err, store.ErrConflict):
			c.log.Warn("could not dismiss plan", "other_plan_id", id, "err", err)
		}
	}
	if won == nil {
		return b.explainCurrent(ctx, c)
	}
	v := planView{Rec: *won, Data: data}
	if err := b.update(ctx, rec.ChannelID, rec.MessageTS, renderClosed(v, store.StateDismissed, c.userID)); err != nil {
		c.log.Warn("could not show the dismissal", "err", err)
	}
	b.audit(ctx, c, *won, store.AuditRecord{
		PlanID: rec.ID, RequesterID: rec.RequesterID, ApproverID: c.userID, ProjectKey: rec.ProjectKey,
		Digest: rec.Digest, Action: auditDismissed, Result: "nothing was changed",
	})
	c.log.Info("plans dismissed", "project", rec.ProjectKey)
	return nil
}

// claim sets the marker that makes the first decision on a message the
// only one: of an approval of either offered mode and a dismissal, exactly
// one proceeds, across replicas. ok is false when someone else was first
// (the clicker has been told).
func (b *Bot) claim(ctx context.Context, c click, data planData) (bool, error) {
	first, err := b.store.MarkOnce(ctx, data.groupKey(), 2*b.cfg.PlanTTL)
	if err != nil {
		return false, &friendlyError{text: "I couldn't record your decision, so nothing was changed. Try again in a moment.", err: err}
	}
	if !first {
		c.log.Info("decision already taken by another click")
		b.tell(ctx, c.request, b.handledBy(ctx, data))
	}
	return first, nil
}

// handledBy says who is already deciding on a message's plans.
func (b *Bot) handledBy(ctx context.Context, data planData) string {
	for _, id := range data.Group {
		r, err := b.store.Plan(ctx, id)
		if err != nil || r.ApproverID == "" {
			continue
		}
		switch r.State {
		case store.StateApplying:
			return fmt.Sprintf("This fix is already being applied, approved by %s. Nothing more to do.", mention(r.ApproverID))
		case store.StateApplied, store.StateFailed:
			return fmt.Sprintf("%s already approved a fix for this diagnosis. Nothing more to do.", mention(r.ApproverID))
		case store.StateDismissed:
			if strings.HasPrefix(r.Result, "dismissed") {
				return fmt.Sprintf("%s already dismissed this diagnosis. Nothing was changed.", mention(r.ApproverID))
			}
		}
	}
	return "Someone else is already handling this diagnosis. Nothing more to do."
}

// pendingPlan loads the plan a button names. ok is false (and the clicker
// has been told why) when it is unknown or no longer pending.
func (b *Bot) pendingPlan(ctx context.Context, c click) (store.PlanRecord, planData, bool, error) {
	var rec store.PlanRecord
	err := store.ErrNotFound // a value that is not a plan ID is not looked up
	if store.ValidID(c.planID) {
		rec, err = b.store.Plan(ctx, c.planID)
	}
	if errors.Is(err, store.ErrNotFound) {
		// A forged or long-forgotten plan ID: there is no plan to audit,
		// so the log is the record.
		c.log.Warn("click on an unknown plan")
		b.tell(ctx, c.request, "I don't know that plan: it may be too old, or the button was not made by me. Nothing was changed. Run `/jsm diagnose KEY` for a fresh diagnosis.")
		return rec, planData{}, false, nil
	}
	if err != nil {
		return rec, planData{}, false, &friendlyError{text: "I can't read my records right now, so nothing was changed. Try again in a moment.", err: err}
	}
	if rec.Mode == reportOfferMode {
		// A report token is not a plan; its button is Diagnose.
		c.log.Warn("plan button carries a report token")
		b.tell(ctx, c.request, "That button does not match its plan, so I did nothing.")
		return rec, planData{}, false, nil
	}
	data, err := decodePlan(rec)
	if err != nil {
		return rec, data, false, err
	}
	if rec.ChannelID != "" && c.channelID != "" && rec.ChannelID != c.channelID {
		c.log.Warn("click on a plan from another channel", "plan_channel", rec.ChannelID)
		b.tell(ctx, c.request, "That button belongs to a message in another channel, so I did nothing.")
		return rec, data, false, nil
	}
	if rec.State == store.StateExpired {
		b.expire(ctx, c, rec, data)
	}
	if rec.State != store.StatePending {
		b.tell(ctx, c.request, stateText(rec))
		return rec, data, false, nil
	}
	return rec, data, true, nil
}

// explainCurrent re-reads a plan after a lost race and tells the clicker
// its state.
func (b *Bot) explainCurrent(ctx context.Context, c click) error {
	rec, err := b.store.Plan(ctx, c.planID)
	if err != nil {
		return &friendlyError{text: "Someone else decided on this plan first. Nothing more to do.", err: err}
	}
	b.tell(ctx, c.request, stateText(rec))
	return nil
}

// stateText tells a clicker why a plan that is not pending can't be used.
func stateText(rec store.PlanRecord) string {
	again := fmt.Sprintf("Run `%s diagnose %s` for a fresh diagnosis.", slashCommand, escape(rec.ProjectKey))
	switch rec.State {
	case store.StateExpired:
		return fmt.Sprintf("This diagnosis expired at %s without approval, so nothing was changed. %s", rec.ExpiresAt.UTC().Format("15:04 UTC"), again)
	case store.StateDismissed:
		if rec.ApproverID != "" && !strings.HasPrefix(rec.Result, "dismissed") {
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
func (b *Bot) expire(ctx context.Context, c click, rec store.PlanRecord, data planData) {
	var won *store.PlanRecord
	for _, id := range data.Group {
		r, err := b.store.Transition(ctx, id, store.StatePending, store.StateExpired, nil)
		if err == nil && id == rec.ID {
			won = &r
		}
	}
	if won == nil {
		return
	}
	if err := b.update(ctx, rec.ChannelID, rec.MessageTS, renderClosed(planView{Rec: *won, Data: data}, store.StateExpired, "")); err != nil {
		c.log.Warn("could not show the expiry", "err", err)
	}
	b.audit(ctx, c, *won, store.AuditRecord{
		PlanID: rec.ID, RequesterID: rec.RequesterID, ProjectKey: rec.ProjectKey, Digest: rec.Digest,
		Action: auditExpired, Result: "expired unapproved; nothing was changed",
	})
}

// deny refuses a click: the clicker is told why, and the refusal is
// audited. Nothing else changes.
func (b *Bot) deny(ctx context.Context, c click, rec store.PlanRecord, why string) {
	c.log.Info("click refused", "why", why)
	b.tell(ctx, c.request, why)
	b.audit(ctx, c, rec, store.AuditRecord{
		PlanID: rec.ID, RequesterID: rec.RequesterID, ApproverID: c.userID, ProjectKey: rec.ProjectKey,
		Digest: rec.Digest, Action: auditDenied, Result: why,
	})
}

// authorize applies the approval policy: deny by default, approvers only,
// and no self-approval unless allowed. why is the refusal to show.
func (b *Bot) authorize(ctx context.Context, userID, requesterID string, approving bool) (ok bool, why string, err error) {
	if len(b.cfg.Approvers) == 0 {
		return false, "Nobody may approve repairs yet: jsmbot's approver list is empty. Ask whoever runs jsmbot to set JSMBOT_APPROVERS to the Slack user IDs or user-group IDs of the approvers. Nothing was changed.", nil
	}
	if approving && userID == requesterID && !b.cfg.AllowSelfApproval {
		return false, "You asked for this diagnosis, so another approver must approve its fix (self-approval is turned off). Nothing was changed.", nil
	}
	is, err := b.isApprover(ctx, userID)
	if err != nil {
		return false, "", err
	}
	if !is {
		return false, "Only jsmbot's approvers may approve a repair, and you are not one of them. Nothing was changed.", nil
	}
	return true, "", nil
}

// isApprover reports whether a user is listed, directly or through one of
// the listed user groups (IDs starting with S).
func (b *Bot) isApprover(ctx context.Context, userID string) (bool, error) {
	if userID == "" {
		return false, nil
	}
	if slices.Contains(b.cfg.Approvers, userID) {
		return true, nil
	}
	var errs []error
	for _, id := range b.cfg.Approvers {
		if !strings.HasPrefix(id, "S") {
			continue
		}
		members, err := b.slack.GetUserGroupMembersContext(ctx, id)
		if err != nil {
			errs = append(errs, fmt.Errorf("members of user group %s: %w", id, err))
			continue
		}
		if slices.Contains(members, userID) {
			return true, nil
		}
	}
	return false, errors.Join(errs...)
}
