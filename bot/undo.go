package bot

import (
	"context"
	"encoding/json"
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

// This file is the Undo button of an applied repair (issue 9 item 6):
// approvers only, within Config.UndoWindow of the apply, one click wins
// (the plan's compare-and-set from applied to undone), and the engine
// restores exactly what the stored record says the repair changed.

// undoButton is the actions block of an applied repair's message: Undo,
// behind a confirm dialog that says customers lose access again.
func undoButton(rec store.PlanRecord, window time.Duration) slack.Block {
	confirm := slack.NewConfirmationBlockObject(
		plain(fmt.Sprintf("Undo the fix of %s?", rec.ProjectKey), maxConfirmTitle),
		plain("This restores exactly what the fix changed, so customers lose access to the portal again. Anything else in the scheme is left alone.", maxConfirmText),
		plain("Undo", 30), plain("Cancel", 30))
	btn := slack.NewButtonBlockElement(ActionUndo, rec.ID, plain("Undo", maxButtonRunes)).
		WithStyle(slack.StyleDanger).WithConfirm(confirm)
	return slack.NewActionBlock(blockIDActions, btn)
}

// undoNote is the line under the Undo button.
func undoNote(window time.Duration) slack.Block {
	return contextLine(fmt.Sprintf("An approver can undo this repair for %s after it was applied.", windowText(window)))
}

// windowText words a window: "7 days", "12 hours", "30m0s".
func windowText(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d day(s)", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d hour(s)", d/time.Hour)
	}
	return d.String()
}

// withUndo adds the Undo button to an applied repair's message.
func withUndo(m message, rec store.PlanRecord, window time.Duration) message {
	m.blocks = append(m.blocks, undoButton(rec, window), undoNote(window))
	return m
}

// undoRefusalText words a refusal of an Undo.
func undoRefusalText(rec store.PlanRecord, r approval.UndoRefusal, window time.Duration) string {
	switch r {
	case approval.UndoWindowPassed:
		return fmt.Sprintf("This repair was applied more than %s ago, so it can no longer be undone here. Nothing was changed. Run `%s diagnose %s` to see the project now.", windowText(window), slashCommand, escape(rec.ProjectKey))
	case approval.UndoNoRecord:
		return "I have no record of what this repair changed, so I can't undo it safely. Nothing was changed."
	}
	if rec.State == store.StateUndone {
		return "This repair was already undone. Nothing more to do."
	}
	return stateText(rec)
}

// notUndoApprover answers a click on Undo by someone who may not.
const notUndoApprover = "Only jsmbot's approvers may undo a repair, and you are not one of them. Nothing was changed."

// undo handles a click on Undo.
func (b *Bot) undo(ctx context.Context, c click) error {
	if b.restarting(ctx, c) {
		return nil
	}
	s, err := b.loadClicked(ctx, c)
	if err != nil {
		return err
	}
	switch {
	case s.offer || errors.Is(s.err, store.ErrNotFound):
		c.log.Warn("undo click on an unknown plan")
		return b.exec.run(ctx, c.log, []effect{ephemeral{who: c.request, text: goneText}})
	case s.err != nil:
		return &friendlyError{text: "I can't read my records right now, so nothing was changed. Try again in a moment.", err: s.err}
	case s.rec.ChannelID != "" && c.channelID != "" && s.rec.ChannelID != c.channelID:
		c.log.Warn("undo click on a plan from another channel", "plan_channel", s.rec.ChannelID)
		return b.exec.run(ctx, c.log, []effect{ephemeral{who: c.request, text: "That button belongs to a message in another channel, so I did nothing."}})
	}
	rec, data := s.rec, s.data
	is, err := b.policy.IsApprover(ctx, b.directory, c.userID)
	if err != nil {
		return &friendlyError{text: "I couldn't check the approver list with Slack, so nothing was changed. Try again in a moment.", err: err}
	}
	if !is {
		c.log.Info("undo refused: not an approver")
		return b.exec.run(ctx, c.log, append([]effect{ephemeral{who: c.request, text: notUndoApprover}},
			audited(rec, approval.Audit(rec, c.userID, approval.Denied, "undo refused: not an approver", b.cfg.Now()), step{})...))
	}
	if r := approval.CanUndo(rec, b.cfg.Now(), b.cfg.UndoWindow); r != approval.UndoAllowed {
		c.log.Info("undo refused", "state", rec.State, "refusal", r)
		return b.exec.run(ctx, c.log, []effect{ephemeral{who: c.request, text: undoRefusalText(rec, r, b.cfg.UndoWindow)}})
	}
	var record repair.Record
	if err := json.Unmarshal(rec.Record, &record); err != nil {
		return fmt.Errorf("decode the record of plan %s: %w", rec.ID, err)
	}
	won, err := b.exec.transition(ctx, approval.Undoing(rec, c.userID))
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		cur, rerr := b.store.Plan(ctx, rec.ID)
		if rerr != nil {
			cur = rec
		}
		return b.exec.run(ctx, c.log, []effect{ephemeral{who: c.request, text: undoRefusalText(cur, approval.UndoNotApplied, b.cfg.UndoWindow)}})
	}
	if err != nil {
		return &friendlyError{text: "I couldn't record the undo, so nothing was changed. Try again in a moment.", err: err}
	}
	c.log.Info("undoing the repair", "project", rec.ProjectKey, "mode", rec.Mode)
	u, undoErr := b.engine.Undo(ctx, record)
	var failure, ref string
	if undoErr != nil {
		failure, ref = userText(undoErr)
		c.log.Error("undo failed", "ref", ref, "err", undoErr)
	}
	v := planView{Rec: won, Data: data}
	if left := b.exec.runLeaving(ctx, c.log, undid(v, c.userID, u, undoErr, failure, ref, b.cfg.Now())); len(left) > 0 {
		b.leaveUnrecorded(ctx, c.log, rec.ID, left)
	}
	c.log.Info("undo finished", "project", rec.ProjectKey)
	return nil
}

// undid records an undo: the message says what was restored and what was
// left alone, with the project's state now; the audit record and its
// summary follow. Every step records an outcome.
func undid(v planView, by string, u *repair.UndoResult, err error, failure, ref string, now time.Time) []effect {
	words := func(s repair.UndoStep) string { return undoWords(v.Data.Roles, s) }
	r := approval.UndoAudit(v.Rec, by, u, err, ref, words, now)
	rs := step{record: true}
	return append([]effect{
		update{step: step{what: "show the undo", record: true}, channel: v.Rec.ChannelID, ts: v.Rec.MessageTS, msg: renderUndone(v, by, u, failure)},
	}, audited(v.Rec, r, rs)...)
}

// undoWords says what an undo step does, unescaped, in Slack's marks.
func undoWords(roles map[string]string, s repair.UndoStep) string { return s.Words(roles, slackMarks) }

// renderUndone is the message of an undone repair.
func renderUndone(v planView, by string, u *repair.UndoResult, failure string) message {
	key := v.Rec.ProjectKey
	blocks := []slack.Block{v.title("undone")}
	text := key + ": the repair was undone"
	if failure != "" {
		text = key + ": the undo stopped"
		blocks[0] = v.title("undo stopped")
		blocks = append(blocks, section(":x: "+failure))
	}
	blocks = append(blocks, section(fmt.Sprintf(":leftwards_arrow_with_hook: Undone by %s: customers may lose access to the portal again.", mention(by))))
	if u != nil && len(u.Steps) > 0 {
		var lines []string
		for _, s := range u.Steps {
			w := escape(undoWords(v.Data.Roles, s))
			switch s.Outcome {
			case repair.Made:
				lines = append(lines, "✅ "+w)
			case repair.Skipped:
				lines = append(lines, fmt.Sprintf("⏭️ left alone: %s — %s", w, escape(s.SkipWords())))
			case repair.Unknown:
				lines = append(lines, "❔ "+w+" — may have been done")
			case repair.Failed:
				lines = append(lines, "❌ "+w+" — failed")
			default:
				lines = append(lines, "⏸️ "+w+" — not attempted")
			}
		}
		if len(lines) > maxPlanLines {
			lines = append(lines[:maxPlanLines], fmt.Sprintf("…and %d more", len(lines)-maxPlanLines))
		}
		blocks = append(blocks, section("*What the undo did in Jira:*\n"+strings.Join(lines, "\n")))
	} else if failure == "" {
		blocks = append(blocks, section("Nothing needed restoring: Jira no longer holds anything this repair changed."))
	}
	if u != nil && u.After != nil {
		if u.After.Report.Healthy {
			blocks = append(blocks, section(fmt.Sprintf(":white_check_mark: %s is healthy even so.", escape(key))))
		} else {
			var probs []string
			for _, f := range u.After.Report.Findings {
				if f.Severity == diagnosis.Critical {
					probs = append(probs, "• "+escape(f.Summary))
				}
			}
			blocks = append(blocks, section(fmt.Sprintf(":warning: %s has these problems again (run `%s diagnose %s` to fix them again):\n%s", escape(key), slashCommand, escape(key), strings.Join(probs, "\n"))))
		}
		if line := customerText(u.Customer, key); line != "" {
			blocks = append(blocks, section(line))
		}
	}
	blocks = append(blocks, contextLine(v.people()+" The audit record is in the thread."))
	return message{text, clamp(blocks)}
}

// undoable adds the Undo button to the outcome message among effs (the
// update of the plan's message that finished returns) when the plan ends
// applied and the repair made a change.
func undoable(effs []effect, v planView, res *repair.Result, o approval.Outcome, window time.Duration) []effect {
	if o.State != store.StateApplied || res == nil || !madeAny(res) {
		return effs
	}
	for i, e := range effs {
		if u, ok := e.(update); ok && u.ts == v.Rec.MessageTS {
			u.msg = withUndo(u.msg, v.Rec, window)
			effs[i] = u
			break
		}
	}
	return effs
}

// madeAny reports whether the repair itself changed Jira.
func madeAny(res *repair.Result) bool {
	for _, c := range res.Changes {
		if c.Outcome == repair.Made {
			return true
		}
	}
	return false
}
