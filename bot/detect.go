package bot

import (
	"context"
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

// Lifetimes of the detector's state.
const (
	// detectTTL is how long a message is remembered as answered; Slack
	// redelivers for minutes, replicas race at once, so a day is ample.
	detectTTL = 24 * time.Hour
	// offerTTL is how long the Diagnose button works.
	offerTTL = 24 * time.Hour
)

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
	first, err := b.exec.claim(ctx, "detect:"+m.Channel+":"+m.TimeStamp, detectTTL)
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
	o := store.OfferRecord{
		ID: token, ProjectKey: f.Key, PortalID: f.PortalID, Emails: f.Emails, Error: f.Error, RequesterID: m.User,
		ChannelID: m.Channel, MessageTS: m.TimeStamp, ThreadTS: thread, ExpiresAt: b.cfg.Now().Add(offerTTL),
	}
	log.Info("report detected; offering to diagnose", "project", f.Key, "customers", len(f.Emails))
	return b.exec.run(ctx, log, detected(o))
}

// detected is the answer to a detected report: keep the offer, then post
// the reply whose Diagnose button carries its ID. Saying nothing beats a
// button that leads nowhere, so a failed save ends it.
func detected(o store.OfferRecord) []effect {
	return []effect{
		saveOffer{step: step{what: "keep the report; not answering", fail: stop}, rec: o},
		post{step: step{fail: abort}, channel: o.ChannelID, thread: o.ThreadTS, msg: renderDetected(o.ProjectKey, len(o.Emails), o.ID)},
	}
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
// report form, filled in from the offer. Anyone in the channel may click;
// nothing changes in Jira without an approver.
func (b *Bot) diagnoseDetected(ctx context.Context, c click) error {
	// A value that cannot be a token is refused before the store is asked,
	// as Approve and Dismiss do.
	var (
		o   store.OfferRecord
		err = store.ErrNotFound
	)
	if store.ValidID(c.planID) {
		o, err = b.store.Offer(ctx, c.planID)
	}
	tell, warn, err := offerGate(c, o, err, b.cfg.Now())
	if warn != "" {
		c.log.Warn(warn, "token_channel", o.ChannelID)
	}
	if err != nil || tell != "" {
		return errors.Join(err, b.exec.run(ctx, c.log, []effect{ephemeral{who: c.request, text: tell}}))
	}
	f := reportForm{Key: o.ProjectKey, PortalID: o.PortalID, Emails: o.Emails, Error: o.Error}
	return b.openReportForm(ctx, c.request, f, reportMeta{Channel: o.ChannelID, Thread: o.ThreadTS, User: c.userID})
}

// offerGate decides on a click of Diagnose: tell, when set, is why the
// form does not open; warn is logged. err is for a store that cannot say.
func offerGate(c click, o store.OfferRecord, err error, now time.Time) (tell, warn string, _ error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "I don't know that report any more. Use the message's *Customer invite failed* shortcut, or `" + slashCommand + " report`.", "diagnose button with an unknown report token", nil
	case err != nil:
		return "", "", &friendlyError{text: "I can't read my records right now. Try again in a moment.", err: err}
	case o.ChannelID != c.channelID:
		return "That button belongs to a message in another channel, so I did nothing.", "report token from another channel", nil
	case !now.Before(o.ExpiresAt):
		return "This offer has expired. Use the message's *Customer invite failed* shortcut, or `" + slashCommand + " report`.", "", nil
	}
	return "", "", nil
}
