package bot

import (
	"context"
	"log/slog"

	"github.com/slack-go/slack"
)

// The fast lane. A modal must be opened within 3 seconds of the user's
// action (its trigger_id expires), and a view submission must be answered
// in its ack within 3 seconds too. Neither may wait in the workers' queue
// behind diagnoses and repairs that can take as long as Jira does, so such
// envelopes go to a few workers of their own that never call Jira for
// longer than a short, bounded check. Work that follows a submission (the
// diagnosis, the report) goes back to the ordinary workers as a followUp.
const (
	fastWorkers = 4
	fastQueue   = 64
)

// lane is the pool of workers an envelope's work runs on. Every entry of
// the surface table (commands.go) names its lane.
type lane int

const (
	// slowLane is the ordinary workers, whose work may wait on Jira.
	slowLane lane = iota
	// fastLane is the few workers of the fast lane, for work that opens a
	// modal or answers in its ack.
	fastLane
)

// String names the lane in metrics and logs: "slow" or "fast".
func (l lane) String() string {
	if l == fastLane {
		return "fast"
	}
	return "slow"
}

// interactionLane says how an interactive envelope is handled: on the lane
// of its entry in the table, and with its ack deferred to the handler (a
// view submission, whose ack carries the answer). A shortcut or view the
// table does not know only logs, so it takes the fast lane its kind uses;
// a button press takes the fast lane when any of its buttons does.
func interactionLane(data any) (l lane, deferAck bool) {
	ic, ok := data.(slack.InteractionCallback)
	if !ok {
		return slowLane, false
	}
	switch ic.Type {
	case slack.InteractionTypeViewSubmission:
		if v, ok := lookupView(ic.View.CallbackID); ok {
			return v.lane, true
		}
		return fastLane, true
	case slack.InteractionTypeMessageAction:
		if s, ok := lookupShortcut(ic.CallbackID); ok {
			return s.lane, false
		}
		return fastLane, false
	case slack.InteractionTypeBlockActions:
		for _, a := range ic.ActionCallback.BlockActions {
			if act, ok := lookupAction(a.ActionID); ok && act.lane == fastLane {
				return fastLane, false
			}
		}
	}
	return slowLane, false
}

// followUp is work a fast-lane handler hands to the ordinary workers.
type followUp struct {
	who request
	run func(ctx context.Context, log *slog.Logger) error
}

// handOff queues a followUp for the ordinary workers, under a key of its
// own. It runs on a fast-lane worker, never on the reader, so it may wait
// for room; it reports false, counted as a refusal of kind "follow_up",
// when ctx ended first.
func (b *Bot) handOff(ctx context.Context, envelopeID string, f followUp) bool {
	b.obs.queued(slowLane, 1)
	select {
	case b.jobs <- job{envelopeID: envelopeID + ":work", kind: "follow_up", data: f}:
		return true
	case <-ctx.Done():
		b.obs.queued(slowLane, -1)
		b.obs.refused("follow_up", slowLane)
		return false
	}
}

// shortcutCall is a message shortcut run on a message.
type shortcutCall struct {
	request
	// message is the message the shortcut ran on.
	message slack.Message
}

// routeShortcut hands a message shortcut to its handler.
func (b *Bot) routeShortcut(ctx context.Context, log *slog.Logger, ic slack.InteractionCallback) error {
	sc, ok := lookupShortcut(ic.CallbackID)
	if !ok {
		log.Info("unknown shortcut", "callback_id", ic.CallbackID)
		return nil
	}
	call := shortcutCall{
		request: request{userID: ic.User.ID, channelID: ic.Channel.ID, triggerID: ic.TriggerID, log: log.With("callback_id", ic.CallbackID, "user_id", ic.User.ID)},
		message: ic.Message,
	}
	return sc.handle(b, ctx, call)
}

// viewCall is a modal's submission.
type viewCall struct {
	request
	envelopeID string
	view       slack.View
	// ack answers the submission: nil closes the modal, a
	// slack.ViewSubmissionResponse shows errors in it.
	ack func(payload any)
}

// routeView hands a view submission to its handler.
func (b *Bot) routeView(ctx context.Context, log *slog.Logger, ic slack.InteractionCallback, ack func(any)) error {
	v, ok := lookupView(ic.View.CallbackID)
	if !ok {
		log.Info("unknown view", "callback_id", ic.View.CallbackID)
		return nil // the deferred ack closes it
	}
	call := viewCall{
		request: request{userID: ic.User.ID, log: log.With("callback_id", ic.View.CallbackID, "user_id", ic.User.ID)},
		view:    ic.View,
		ack:     ack,
	}
	return v.handle(b, ctx, call)
}
