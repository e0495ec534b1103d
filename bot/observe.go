package bot

import (
	"context"
	"time"

	"github.com/slack-go/slack/socketmode"

	"github.com/jsmbot/jsmbot/store"
)

// Observer receives what the bot does, for metrics. It is the bot's side of
// the seam: cmd/jsmbot turns it into Prometheus series, tests into counts,
// and the bot itself knows nothing about either. Every field may be nil.
// Each function must be safe for concurrent use and quick: most are called
// on the event loop, before the next envelope is read.
type Observer struct {
	// Envelope is told about every envelope received, by its type
	// ("slash_commands", "interactive", "events_api", …), duplicates
	// included.
	Envelope func(kind string)
	// Acked is told how long an envelope's ack took, from reading the
	// envelope to the ack being handed to the socket, and whether it
	// failed.
	Acked func(kind string, d time.Duration, err error)
	// Connection is told when the Socket Mode connection comes up (true)
	// and when it is lost or being replaced (false).
	Connection func(connected bool)
	// Activity is told whenever Slack is heard from on the socket: a
	// connection, a hello or an envelope.
	Activity func()
	// Queued is told when a job joins a lane's queue (delta +1) and when a
	// worker takes it off (-1), by lane ("slow": the ordinary workers,
	// "fast": the fast lane); the running sum is the queue's depth. The
	// calls commute, so a gauge that adds them ends right whatever order
	// concurrent calls arrive in.
	Queued func(lane string, delta int)
	// Refused is told about every envelope acknowledged without its work
	// being queued because its lane's queue was full (the ack, an
	// ephemeral message or the log said so), by envelope type and lane;
	// kind "follow_up" is the work of a submitted form that found the
	// workers' queue full until its deadline (the user is told).
	Refused func(kind, lane string)
	// Transition is told about every plan state change the bot records:
	// from "" to pending when a plan is offered, then each compare-and-set
	// that succeeded. Report offers are not plans and are not counted.
	Transition func(from, to store.State)
}

// observeEvent reports what a Socket Mode event says about the connection.
func (o Observer) observeEvent(evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected, socketmode.EventTypeHello:
		o.connection(true)
		o.activity()
	case socketmode.EventTypeConnecting, socketmode.EventTypeConnectionError,
		socketmode.EventTypeIncomingError, socketmode.EventTypeInvalidAuth,
		socketmode.EventTypeDisconnect:
		// slack-go emits connecting before every (re)connection attempt,
		// and incoming_error when the socket broke: either way no
		// connection receives envelopes until the next connected.
		o.connection(false)
	default:
		if evt.Request != nil {
			o.activity()
			if o.Envelope != nil {
				o.Envelope(evt.Request.Type)
			}
		}
	}
}

func (o Observer) connection(up bool) {
	if o.Connection != nil {
		o.Connection(up)
	}
}

func (o Observer) activity() {
	if o.Activity != nil {
		o.Activity()
	}
}

func (o Observer) acked(kind string, start time.Time, err error) {
	if o.Acked != nil {
		o.Acked(kind, time.Since(start), err)
	}
}

func (o Observer) queued(l lane, delta int) {
	if o.Queued != nil {
		o.Queued(l.String(), delta)
	}
}

func (o Observer) refused(kind string, l lane) {
	if o.Refused != nil {
		o.Refused(kind, l.String())
	}
}

// observedStore reports the plan state changes that went through it.
type observedStore struct {
	store.Store
	transition func(from, to store.State)
}

// observeStore wraps s when someone listens for transitions.
func observeStore(s store.Store, o Observer) store.Store {
	if o.Transition == nil {
		return s
	}
	return observedStore{Store: s, transition: o.Transition}
}

// SavePlan saves a new plan and reports it as pending.
func (s observedStore) SavePlan(ctx context.Context, p store.PlanRecord) error {
	if err := s.Store.SavePlan(ctx, p); err != nil {
		return err
	}
	s.transition("", store.StatePending)
	return nil
}

// Transition moves a plan and reports the move when it happened.
func (s observedStore) Transition(ctx context.Context, id string, from, to store.State, mutate func(*store.PlanRecord)) (store.PlanRecord, error) {
	rec, err := s.Store.Transition(ctx, id, from, to, mutate)
	if err == nil {
		s.transition(from, to)
	}
	return rec, err
}
