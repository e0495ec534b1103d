package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/slack-go/slack/slackevents"

	"github.com/jsmbot/jsmbot/store"
)

// The detector: when the bot is in a channel, a person's message carrying
// Atlassian's "customers could not be added" text gets one thread reply
// offering to diagnose, with a Diagnose button. The button's value is a
// report token: the ID of a record in the store holding what the message
// said, so nothing in the button is trusted.

// reportOfferMode marks a store record that is a report token, not a
// repair plan. Plan buttons refuse it.
const reportOfferMode = "report-offer"

// Lifetimes of the detector's state.
const (
	// detectTTL is how long a message is remembered as answered; Slack
	// redelivers for minutes, replicas race at once, so a day is ample.
	detectTTL = 24 * time.Hour
	// offerTTL is how long the Diagnose button works.
	offerTTL = 24 * time.Hour
)

// reportOffer is the content of a report token's record.
type reportOffer struct {
	Emails   []string `json:"emails"`
	PortalID string   `json:"portalId,omitempty"`
	Error    string   `json:"error,omitempty"`
}

// detect answers a channel message that carries Atlassian's error, at most
// once per message across redeliveries and replicas. It ignores bots
// (bot_id, including its own messages), every subtype (edits, joins,
// bot_message…), the bot's own user and direct messages.
func (b *Bot) detect(ctx context.Context, log *slog.Logger, e slackevents.EventsAPIEvent, m *slackevents.MessageEvent) error {
	if !b.cfg.DetectReports || m.BotID != "" || m.SubType != "" || m.User == "" || b.isSelf(e, m.User) {
		return nil
	}
	if m.ChannelType != "channel" && m.ChannelType != "group" {
		return nil
	}
	if !channelIDRE.MatchString(m.Channel) || !tsRE.MatchString(m.TimeStamp) || !isInviteFailure(m.Text) {
		return nil
	}
	log = log.With("channel_id", m.Channel, "message_ts", m.TimeStamp)
	first, err := b.store.MarkOnce(ctx, "detect:"+m.Channel+":"+m.TimeStamp, detectTTL)
	if err != nil {
		// Saying nothing beats answering twice: the shortcut still works.
		log.Warn("report detected but de-duplication is unavailable; not answering", "err", err)
		return nil
	}
	if !first {
		log.Info("report already answered")
		return nil
	}
	thread := m.ThreadTimeStamp
	if !tsRE.MatchString(thread) {
		thread = m.TimeStamp
	}
	f := reportFormFromText(m.Text)
	if f.Key == "" {
		// A bare key ("adding customers to NOCR fails") counts when it is
		// a real desk's.
		if f.Key = deskKey(f.PortalID, m.Text, b.desksForSelect(ctx)); f.Key != "" {
			f.PortalID = ""
		}
	}
	token, err := store.NewID()
	if err != nil {
		return fmt.Errorf("new report token: %w", err)
	}
	data, err := json.Marshal(reportOffer{Emails: f.Emails, PortalID: f.PortalID, Error: f.Error})
	if err != nil {
		return fmt.Errorf("encode report offer: %w", err)
	}
	rec := store.PlanRecord{
		ID: token, ProjectKey: f.Key, Mode: reportOfferMode, Plan: data, RequesterID: m.User,
		ChannelID: m.Channel, MessageTS: m.TimeStamp, ThreadTS: thread, ExpiresAt: b.cfg.Now().Add(offerTTL),
	}
	if err := b.store.SavePlan(ctx, rec); err != nil {
		log.Warn("could not keep the report; not answering", "err", err)
		return nil
	}
	if _, err := b.post(ctx, m.Channel, thread, renderDetected(f.Key, len(f.Emails), token)); err != nil {
		return err
	}
	log.Info("report detected; offered to diagnose", "project", f.Key, "customers", len(f.Emails))
	return nil
}

// isSelf reports whether userID is the bot's own user: configured, or named
// as the bot in the event's authorizations.
func (b *Bot) isSelf(e slackevents.EventsAPIEvent, userID string) bool {
	if b.cfg.BotUserID != "" && userID == b.cfg.BotUserID {
		return true
	}
	if cb, ok := e.Data.(*slackevents.EventsAPICallbackEvent); ok {
		for _, a := range cb.Authorizations {
			if a.IsBot && a.UserID == userID {
				return true
			}
		}
	}
	return false
}

// diagnoseDetected handles the detector's Diagnose button: it opens the
// report form, filled in from the token's record. Anyone in the channel
// may click; nothing changes in Jira without an approver.
func (b *Bot) diagnoseDetected(ctx context.Context, c click) error {
	// A value that cannot be a token is refused before the store is asked,
	// as Approve and Dismiss do.
	var (
		rec store.PlanRecord
		err = store.ErrNotFound
	)
	if store.ValidID(c.planID) {
		rec, err = b.store.Plan(ctx, c.planID)
	}
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && rec.Mode != reportOfferMode:
		c.log.Warn("diagnose button with an unknown report token")
		b.tell(ctx, c.request, "I don't know that report any more. Use the message's *Customer invite failed* shortcut, or `"+slashCommand+" report`.")
		return nil
	case err != nil:
		return &friendlyError{text: "I can't read my records right now. Try again in a moment.", err: err}
	case rec.ChannelID != c.channelID:
		c.log.Warn("report token from another channel", "token_channel", rec.ChannelID)
		b.tell(ctx, c.request, "That button belongs to a message in another channel, so I did nothing.")
		return nil
	case rec.State == store.StateExpired:
		b.tell(ctx, c.request, "This offer has expired. Use the message's *Customer invite failed* shortcut, or `"+slashCommand+" report`.")
		return nil
	}
	var offer reportOffer
	if err := json.Unmarshal(rec.Plan, &offer); err != nil {
		return fmt.Errorf("decode report offer %s: %w", rec.ID, err)
	}
	f := reportForm{Key: rec.ProjectKey, PortalID: offer.PortalID, Emails: offer.Emails, Error: offer.Error}
	return b.openReportForm(ctx, c.request, f, reportMeta{Channel: rec.ChannelID, Thread: rec.ThreadTS, User: c.userID})
}
