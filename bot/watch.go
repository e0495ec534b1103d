package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
	"github.com/jsmbot/jsmbot/watch"
)

// The watch's Slack side (issue 11): package watch notices a project break
// or heal from Jira's audit log; this sink posts one alert per break in the
// watch channel, the diagnosis with who and when and the Approve buttons
// under the usual approval rules (the same offer as /jsm diagnose), and
// updates the alert once the project is healthy again.

// alertTimeLayout is how the alert writes a time: UTC, to the minute.
const alertTimeLayout = "2006-01-02 15:04 UTC"

// WatchSink returns the [watch.Sink] that alerts in channel through this
// bot. The alert's reference is "channel ts".
func (b *Bot) WatchSink(channel string) watch.Sink { return watchSink{b: b, channel: channel} }

type watchSink struct {
	b       *Bot
	channel string
}

// Broke posts the alert: the diagnosis introduced by what jsmbot noticed,
// with its repairs offered for approval (read-only without approvers).
func (s watchSink) Broke(ctx context.Context, project string, d *repair.Diagnosis) (string, error) {
	b := s.b
	log := b.log.With("component", "watch", "project", project)
	intro := watchIntro(d)
	plans, err := approval.Offers(d)
	if err != nil {
		return "", err
	}
	var effs []effect
	if len(plans) == 0 || len(b.cfg.Approvers) == 0 {
		// Deny by default, as offer does: without approvers the fixes are
		// shown without buttons.
		v := reportView{D: d, Intro: intro, ReadOnly: len(plans) > 0}
		for _, p := range plans {
			v.Offers = append(v.Offers, offer{Plan: p})
		}
		effs = []effect{post{step: step{fail: abort}, channel: s.channel, msg: renderReport(v), as: "report"}}
	} else {
		ids := make([]string, len(plans))
		for i := range plans {
			if ids[i], err = store.NewID(); err != nil {
				return "", fmt.Errorf("new plan id: %w", err)
			}
		}
		o := approval.Origin{ChannelID: s.channel}
		if effs, err = offered(d, plans, ids, o, intro, nil, b.cfg.Now().Add(b.cfg.PlanTTL), false); err != nil {
			return "", err
		}
	}
	refs := map[string]string{}
	if err := b.exec.runWith(ctx, log, effs, refs); err != nil {
		return "", err
	}
	ts := refs["report"]
	if ts == "" {
		return "", errors.New("watch alert: not posted")
	}
	return s.channel + " " + ts, nil
}

// Healed updates the alert to say the project is healthy again. When the
// alert's own repair was applied, its message already says so (and may
// carry an Undo button): the news goes in its thread instead.
func (s watchSink) Healed(ctx context.Context, h watch.Heal) error {
	b := s.b
	channelID, ts, ok := strings.Cut(h.Ref, " ")
	if !ok || channelID == "" || ts == "" {
		return fmt.Errorf("watch alert: bad reference %q", h.Ref)
	}
	msg := renderHealed(h)
	var effs []effect
	repaired, pending, err := b.alertPlans(ctx, h.Project, channelID, ts)
	if err != nil {
		return err
	}
	if repaired {
		effs = append(effs, post{step: step{what: "say the project is healthy again", fail: abort}, channel: channelID, thread: ts, msg: msg})
	} else {
		effs = append(effs, update{step: step{what: "update the watch alert", fail: abort}, channel: channelID, ts: ts, msg: msg})
		// The alert no longer offers its fixes: retire them, so that App
		// Home stops listing them as waiting for approval.
		for _, id := range pending {
			effs = append(effs, transition{step: step{what: "retire the alert's offer"}, t: approval.Transition{
				PlanID: id, From: store.StatePending, To: store.StateDismissed,
				Result: "not needed: the project was healthy again before anyone approved",
			}})
		}
	}
	return b.exec.run(ctx, b.log.With("component", "watch", "project", h.Project), effs)
}

// alertPlans reports whether a plan offered on the message was approved
// (whatever became of it then), and which of its plans still wait for an
// approval.
func (b *Bot) alertPlans(ctx context.Context, key, channelID, ts string) (repaired bool, pending []string, err error) {
	plans, err := b.store.Plans(ctx, store.PlanFilter{ProjectKey: key})
	if err != nil {
		return false, nil, fmt.Errorf("watch alert: list the plans of %s: %w", key, err)
	}
	for _, p := range plans {
		if p.ChannelID != channelID || p.MessageTS != ts {
			continue
		}
		switch p.State {
		case store.StatePending:
			pending = append(pending, p.ID)
		case store.StateExpired, store.StateDismissed:
		default:
			repaired = true
		}
	}
	return repaired, pending, nil
}

// watchIntro opens an alert: what jsmbot noticed and, when the audit log
// says, who did it and when.
func watchIntro(d *repair.Diagnosis) string {
	key := escape(d.Snapshot.Project.Key)
	intro := ":rotating_light: *jsmbot noticed that " + key + " broke*"
	causes := d.Causes.ByFinding
	if len(causes) == 0 {
		switch d.Causes.Log {
		case repair.AuditUnreadable:
			return intro + ". Jira's audit log cannot be read, so I can't say who changed it."
		default:
			return intro + ". Jira's audit log does not say who changed it."
		}
	}
	first := causes[slices.Min(slices.Collect(maps.Keys(causes)))]
	return intro + ": " + escape(first.Sentence(func(s string) string { return "“" + s + "”" }))
}

// renderHealed is the alert once the project is healthy again.
func renderHealed(h watch.Heal) message {
	key := escape(h.Project)
	status := ":large_green_circle: *" + key + " is healthy again*: its permission scheme lets customers in."
	if h.By != "" || !h.At.IsZero() {
		var who strings.Builder
		who.WriteString(" Fixed")
		if h.By != "" {
			who.WriteString(" by " + escape(h.By))
		}
		if !h.At.IsZero() {
			who.WriteString(" on " + h.At.UTC().Format(alertTimeLayout))
		}
		status += who.String() + " (from Jira's audit log)."
	}
	note := "jsmbot noticed it broken"
	if !h.BrokeAt.IsZero() {
		note += " on " + h.BrokeAt.UTC().Format(alertTimeLayout)
	}
	note += "; this alert is closed."
	return message{h.Project + ": healthy again", []slack.Block{
		header(cmp.Or(h.Project, "Project") + " — healthy again"),
		section(status),
		contextLine(note),
	}}
}
