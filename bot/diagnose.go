package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// planData is what the bot keeps beside the plan in PlanRecord.Plan: enough
// to render every later message without asking Jira again.
type planData struct {
	Plan diagnosis.Plan `json:"plan"`
	// Group lists the IDs of every plan offered in the same message, this
	// one included, in offer order. Approving one dismisses the others,
	// and only one of them may ever be applied.
	Group       []string          `json:"group"`
	ProjectName string            `json:"projectName,omitempty"`
	Roles       map[string]string `json:"roles,omitempty"`
	SharedWith  []string          `json:"sharedWith,omitempty"`
	// Report, when the diagnosis answered a report of failed invites,
	// holds the customers to add again after a verified fix.
	Report *inviteReport `json:"report,omitempty"`
}

// groupKey is the store marker that the first approval of a group sets, so
// that of two Approve buttons of one message only one is ever applied.
func (d planData) groupKey() string { return "approve:" + d.Group[0] }

func decodePlan(rec store.PlanRecord) (planData, error) {
	var d planData
	if err := json.Unmarshal(rec.Plan, &d); err != nil {
		return d, fmt.Errorf("decode plan %s: %w", rec.ID, err)
	}
	if len(d.Group) == 0 {
		d.Group = []string{rec.ID}
	}
	return d, nil
}

// diagnoseCommand handles /jsm diagnose KEY.
func (b *Bot) diagnoseCommand(ctx context.Context, req request, cmd parsedCommand) error {
	d, err := b.engine.Diagnose(ctx, cmd.key)
	if err != nil {
		return fmt.Errorf("diagnose: %w", err)
	}
	return b.postDiagnosis(ctx, req, "", "", d, nil)
}

// offers returns the repairs to offer for a diagnosis: none when there is
// nothing to repair, the auto plan when the scheme serves this project
// alone, and both in-place and copy when it is shared.
func offers(d *repair.Diagnosis) ([]diagnosis.Plan, error) {
	if d.Plan == nil {
		return nil, nil
	}
	if len(d.Snapshot.SharedWith) == 0 {
		return []diagnosis.Plan{*d.Plan}, nil
	}
	var plans []diagnosis.Plan
	for _, m := range []diagnosis.Mode{diagnosis.ModeInPlace, diagnosis.ModeCopy} {
		p, err := diagnosis.NewPlan(d.Snapshot, m)
		if err != nil {
			return nil, fmt.Errorf("plan %s repair: %w", m, err)
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// postDiagnosis posts a diagnosis in the channel (in a thread when
// threadTS is set). When it offers repairs it posts first without buttons,
// saves one plan per offered repair with the message's channel and ts, and
// only then adds the buttons, so no button can be clicked before its plan
// is in the store. rep, when not nil, is the report of failed invites the
// diagnosis answers; its plans keep it.
func (b *Bot) postDiagnosis(ctx context.Context, req request, threadTS, intro string, d *repair.Diagnosis, rep *inviteReport) error {
	plans, err := offers(d)
	if err != nil {
		return err
	}
	v := reportView{D: d, RequesterID: req.userID, Intro: intro}
	if len(plans) == 0 {
		_, err := b.post(ctx, req.channelID, threadTS, renderReport(v))
		return err
	}

	now := b.cfg.Now()
	v.ExpiresAt = now.Add(b.cfg.PlanTTL)
	v.Preparing = true
	group := make([]string, len(plans))
	for i, p := range plans {
		id, err := store.NewID()
		if err != nil {
			return fmt.Errorf("new plan id: %w", err)
		}
		group[i] = id
		v.Offers = append(v.Offers, offer{ID: id, Plan: p})
	}
	ts, err := b.post(ctx, req.channelID, threadTS, renderReport(v))
	if err != nil {
		return err
	}

	for i, p := range plans {
		data, err := json.Marshal(planData{
			Plan: p, Group: group, ProjectName: d.Snapshot.Project.Name,
			Roles: d.Snapshot.Roles, SharedWith: d.Snapshot.SharedWith, Report: rep,
		})
		if err != nil {
			return fmt.Errorf("encode plan: %w", err)
		}
		rec := store.PlanRecord{
			ID: group[i], ProjectKey: p.ProjectKey, Mode: string(p.Mode), Digest: p.Digest, Plan: data,
			RequesterID: req.userID, ChannelID: req.channelID, MessageTS: ts, ThreadTS: threadTS,
			ExpiresAt: v.ExpiresAt,
		}
		if err := b.store.SavePlan(ctx, rec); err != nil {
			err = fmt.Errorf("save plan: %w", err)
			text, ref := userText(err)
			req.log.Error("cannot offer the repair", "ref", ref, "err", err)
			v.Offers, v.Preparing = nil, false
			v.Intro = ":warning: I can't offer the fix for approval right now: " + text
			if err := b.update(ctx, req.channelID, ts, renderReport(v)); err != nil {
				// The message keeps saying "Preparing…"; the log says why.
				req.log.Warn("could not withdraw the offer", "ref", ref, "err", err)
			}
			return nil
		}
	}
	if req.log != nil {
		req.log.Info("repair offered", "project", d.Snapshot.Project.Key, "plan_ids", group, "message_ts", ts)
	}
	v.Preparing = false
	return b.update(ctx, req.channelID, ts, renderReport(v))
}

// post posts a message and returns its ts.
func (b *Bot) post(ctx context.Context, channelID, threadTS string, m message) (string, error) {
	opts := []slack.MsgOption{slack.MsgOptionText(m.text, false), slack.MsgOptionBlocks(m.blocks...)}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	_, ts, err := b.slack.PostMessageContext(ctx, channelID, opts...)
	if err != nil {
		return "", fmt.Errorf("post message: %w", slackFailed(err))
	}
	return ts, nil
}

// update replaces a message's text and blocks.
func (b *Bot) update(ctx context.Context, channelID, ts string, m message) error {
	if channelID == "" || ts == "" {
		return errors.New("update message: no channel or ts")
	}
	_, _, _, err := b.slack.UpdateMessageContext(ctx, channelID, ts, slack.MsgOptionText(m.text, false), slack.MsgOptionBlocks(m.blocks...))
	if err != nil {
		return fmt.Errorf("update message: %w", slackFailed(err))
	}
	return nil
}
