package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// diagnoseCommand handles /jsm diagnose KEY.
func (b *Bot) diagnoseCommand(ctx context.Context, req request, cmd parsedCommand) error {
	d, err := b.engine.Diagnose(ctx, cmd.key)
	if err != nil {
		return fmt.Errorf("diagnose: %w", err)
	}
	// Who broke it, from Jira's audit log; without it the diagnosis still
	// stands, so a failure is only logged.
	if d.Causes, err = b.engine.Causes(ctx, d); err != nil && req.log != nil {
		req.log.Warn("could not read the audit log for the cause", "project", cmd.key, "err", err)
	}
	return b.offer(ctx, req, "", "", d, nil, false)
}

// offer posts a diagnosis in the channel (in a thread when threadTS is
// set), with its repairs for approval. rep, when not nil, is the report of
// failed invites the diagnosis answers; its plans keep it. record runs
// every step on an outcome's budget (a fresh diagnosis after a stale
// approval).
func (b *Bot) offer(ctx context.Context, req request, threadTS, intro string, d *repair.Diagnosis, rep *approval.Report, record bool) error {
	plans, err := approval.Offers(d)
	if err != nil {
		return err
	}
	if len(plans) > 0 && len(b.cfg.Approvers) == 0 {
		// Deny by default: with nobody allowed to approve, show what the
		// fix would change and say why there is no button.
		v := reportView{D: d, RequesterID: req.userID, Intro: intro, ReadOnly: true}
		for _, p := range plans {
			v.Offers = append(v.Offers, offer{Plan: p})
		}
		return b.exec.run(ctx, req.log, []effect{post{step: step{fail: abort, record: record}, channel: req.channelID, thread: threadTS, msg: renderReport(v)}})
	}
	ids := make([]string, len(plans))
	for i := range plans {
		if ids[i], err = store.NewID(); err != nil {
			return fmt.Errorf("new plan id: %w", err)
		}
	}
	o := approval.Origin{RequesterID: req.userID, ChannelID: req.channelID, ThreadTS: threadTS}
	effs, err := offered(d, plans, ids, o, intro, rep, b.cfg.Now().Add(b.cfg.PlanTTL), record)
	if err != nil {
		return err
	}
	return b.exec.run(ctx, req.log, effs)
}

// offered is how a diagnosis is posted. Without repairs it is one post.
// With repairs it is posted first without buttons, then one plan per
// offered repair is saved with the message's ts, and only then are the
// buttons added, so no button can be clicked before its plan is in the
// store. When the plans cannot be saved the message withdraws the offer.
func offered(d *repair.Diagnosis, plans []diagnosis.Plan, ids []string, o approval.Origin, intro string, rep *approval.Report, expires time.Time, record bool) ([]effect, error) {
	v := reportView{D: d, RequesterID: o.RequesterID, Intro: intro}
	if len(plans) == 0 {
		return []effect{post{step: step{fail: abort, record: record}, channel: o.ChannelID, thread: o.ThreadTS, msg: renderReport(v)}}, nil
	}
	recs, err := approval.NewRecords(d, plans, ids, o, rep, expires)
	if err != nil {
		return nil, err
	}
	v.ExpiresAt = expires
	for i, p := range plans {
		v.Offers = append(v.Offers, offer{ID: ids[i], Plan: p})
	}
	preparing, ready, withdrawn := v, v, v
	preparing.Preparing = true
	withdraw := func(text string) []effect {
		withdrawn.Offers = nil
		withdrawn.Intro = ":warning: I can't offer the fix for approval right now: " + text
		// If this fails too, the message keeps saying "Preparing…"; the
		// log says why.
		return []effect{update{step: step{what: "withdraw the offer", record: record}, channel: o.ChannelID, tsOf: "report", msg: renderReport(withdrawn)}}
	}
	return []effect{
		post{step: step{fail: abort, record: record}, channel: o.ChannelID, thread: o.ThreadTS, msg: renderReport(preparing), as: "report"},
		savePlans{step: step{what: "offer the repair", record: record, orElse: withdraw}, recs: recs, tsOf: "report"},
		update{step: step{fail: abort, record: record}, channel: o.ChannelID, tsOf: "report", msg: renderReport(ready)},
	}, nil
}
