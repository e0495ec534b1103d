package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// Defaults for the zero fields of [Config].
const (
	DefaultPlanTTL        = 30 * time.Minute
	DefaultWorkers        = 8
	DefaultHandlerTimeout = 60 * time.Second
	DefaultDrainTimeout   = 8 * time.Second
	DefaultAckTimeout     = 2 * time.Second
)

// dedupTTL is how long an envelope or event id is remembered. Slack retries
// an Events API delivery for about five minutes; ten is the floor DESIGN.md
// sets, fifteen leaves room.
const dedupTTL = 15 * time.Minute

// Config is the bot's policy and tuning. The zero value of every field but
// Approvers means its default; an empty Approvers list means nobody may
// approve (deny by default).
type Config struct {
	// Approvers lists the Slack user IDs (U…, W…) and user-group IDs (S…)
	// allowed to approve a repair.
	Approvers []string
	// AllowSelfApproval lets the user who asked for a diagnosis approve its
	// repair. Off by default.
	AllowSelfApproval bool
	// PlanTTL is how long a plan waits for approval (DefaultPlanTTL).
	PlanTTL time.Duration
	// Workers bounds the envelopes handled at once (DefaultWorkers).
	Workers int
	// HandlerTimeout bounds one envelope's work, Jira retries included
	// (DefaultHandlerTimeout).
	HandlerTimeout time.Duration
	// DrainTimeout bounds how long Run waits for in-flight work after its
	// context ends (DefaultDrainTimeout), so the whole stop fits in Docker's
	// 10 s grace period.
	DrainTimeout time.Duration
	// AckTimeout bounds one ack (DefaultAckTimeout).
	AckTimeout time.Duration
	// Now is the clock for plan expiry (time.Now). Give the store the same
	// clock.
	Now func() time.Time
	// DetectReports makes the bot watch channel messages for Atlassian's
	// "customers could not be added" error and offer, once per message, to
	// diagnose. Off in the zero Config; jsmbot run turns it on unless
	// JSMBOT_DETECT_REPORTS=false.
	DetectReports bool
	// BotUserID is the bot's own Slack user ID (from auth.test), whose
	// messages the detector ignores. Optional: the bot's messages carry a
	// bot_id and are ignored anyway, and events name the bot user in their
	// authorizations.
	BotUserID string
}

// Poster is the part of the Slack Web API the bot uses. *slack.Client and
// *socketmode.Client implement it.
type Poster interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (string, error)
	GetUserGroupMembersContext(ctx context.Context, userGroup string, options ...slack.GetUserGroupMembersOption) ([]string, error)
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
}

// AckFunc acknowledges a Socket Mode envelope, with an optional payload; it
// is the AckCtx method of a *socketmode.Client.
type AckFunc func(ctx context.Context, envelopeID string, payload any) error

// Deps are the bot's collaborators. All are required but Logger.
type Deps struct {
	// Events is the Events channel of a *socketmode.Client, whose
	// RunContext the caller runs alongside [Bot.Run].
	Events <-chan socketmode.Event
	// Ack is that client's AckCtx method.
	Ack AckFunc
	// Slack makes the Web API calls; usually the same socketmode client.
	Slack Poster
	// Engine diagnoses and repairs.
	Engine *repair.Engine
	// Store keeps plans, de-dup markers and the audit trail.
	Store store.Store
	// Logger receives the bot's structured logs (discarded when nil).
	Logger *slog.Logger
	// Observer receives events for metrics (optional).
	Observer Observer
}

// Bot is the Slack front end of the repair engine. Create it with [New] and
// start it with [Bot.Run].
type Bot struct {
	cfg    Config
	events <-chan socketmode.Event
	ack    AckFunc
	slack  Poster
	engine *repair.Engine
	store  store.Store
	log    *slog.Logger
	obs    Observer

	// handled, when set (by tests, before Run), is called after each job,
	// duplicates included, so tests can wait for work without sleeping.
	handled func(envelopeID string)
	// budgets, when set (by tests, before Run), shorten the report form's
	// Jira budgets (modal.go).
	budgets formBudgets

	// jobs feeds the workers; fast feeds the fast lane (modals and view
	// submissions, see lane.go). Run closes both.
	jobs, fast chan job
	desks      deskCache

	// exec carries out what handlers decide (exec.go); policy and
	// directory are the approval policy and its user groups.
	exec      executor
	policy    approval.Policy
	directory approval.Directory
}

// New returns a bot. It does no I/O; it returns an error if a required
// dependency is missing.
func New(cfg Config, deps Deps) (*Bot, error) {
	var missing []string
	if deps.Events == nil {
		missing = append(missing, "Events")
	}
	if deps.Ack == nil {
		missing = append(missing, "Ack")
	}
	if deps.Slack == nil {
		missing = append(missing, "Slack")
	}
	if deps.Engine == nil {
		missing = append(missing, "Engine")
	}
	if deps.Store == nil {
		missing = append(missing, "Store")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("bot: missing dependencies: %s", strings.Join(missing, ", "))
	}
	if cfg.PlanTTL <= 0 {
		cfg.PlanTTL = DefaultPlanTTL
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.HandlerTimeout <= 0 {
		cfg.HandlerTimeout = DefaultHandlerTimeout
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = DefaultDrainTimeout
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = DefaultAckTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Approvers = cleanIDs(cfg.Approvers)
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Bot{
		cfg: cfg, events: deps.Events, ack: deps.Ack, slack: deps.Slack,
		engine: deps.Engine, store: observeStore(deps.Store, deps.Observer), log: log,
		obs:  deps.Observer,
		jobs: make(chan job, cfg.Workers*32), fast: make(chan job, fastQueue),
		policy: policyOf(cfg), directory: slackDirectory{deps.Slack},
	}
	b.exec = executor{slack: b.slack, store: b.store, tell: b.tell}
	return b, nil
}

// cleanIDs trims, drops empty entries and de-duplicates.
func cleanIDs(ids []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// job is one acknowledged envelope waiting for a worker.
type job struct {
	envelopeID string
	eventID    string // Events API event_id, de-duplicated as well
	kind       socketmode.EventType
	data       any
	// fast routes the job to the fast lane; deferAck means it was not
	// acknowledged yet (a view submission, whose ack carries the answer).
	fast, deferAck bool
}

// Run reads envelopes until ctx ends: it acknowledges each at once, before
// any other I/O, and hands it to a bounded pool of workers that
// de-duplicate it through the store and handle it. When ctx ends it stops
// reading, lets in-flight and queued work finish within
// Config.DrainTimeout (on a context that outlives ctx), cancels what is
// left, and returns. It returns nil after a clean drain and an error if
// handlers were still running after the deadline.
func (b *Bot) Run(ctx context.Context) error {
	// Work outlives ctx so that a shutdown finishes an approval (and
	// records its outcome) instead of abandoning it half way; it is
	// cancelled when the drain deadline passes.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()

	// The queue absorbs bursts so the reader keeps draining Events (slack-go
	// stalls the socket otherwise); when it is full the reader waits, which
	// bounds memory.
	var wg, fastWG sync.WaitGroup
	for range b.cfg.Workers {
		wg.Go(func() {
			for j := range b.jobs {
				b.work(work, j)
			}
		})
	}
	for range fastWorkers {
		fastWG.Go(func() {
			for j := range b.fast {
				b.work(work, j)
			}
		})
	}

	b.read(ctx)
	close(b.fast)

	drained := make(chan struct{})
	go func() {
		// The fast lane may still hand follow-up work to the workers, so
		// their queue closes after it.
		fastWG.Wait()
		close(b.jobs)
		wg.Wait()
		close(drained)
	}()
	timer := time.NewTimer(b.cfg.DrainTimeout)
	defer timer.Stop()
	select {
	case <-drained:
		b.log.Info("drained")
		return nil
	case <-timer.C:
	}
	b.log.Warn("drain deadline passed; cancelling in-flight work", "drain_timeout", b.cfg.DrainTimeout)
	cancelWork()
	// Handlers honour their context; give them a moment to notice.
	grace := time.NewTimer(time.Second)
	defer grace.Stop()
	select {
	case <-drained:
		return nil
	case <-grace.C:
		return errors.New("bot: handlers still running after the drain deadline")
	}
}

// read is the event loop: it never does more than ack and enqueue.
func (b *Bot) read(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case evt, ok := <-b.events:
			if !ok {
				return
			}
			j, ok := b.receive(ctx, evt)
			if !ok {
				continue
			}
			queue := b.jobs
			if j.fast {
				queue = b.fast
			}
			// The envelope is acked: Slack will not send it again, so a
			// shutdown must not drop it. select picks at random among ready
			// cases, so try the queue on its own first; only a full queue
			// during shutdown loses the job, and says so.
			select {
			case queue <- j:
				continue
			default:
			}
			select {
			case queue <- j:
			case <-ctx.Done():
				b.log.Error("acknowledged envelope dropped: the queue is full and the bot is stopping", "envelope_id", j.envelopeID, "envelope_type", string(j.kind))
				return
			}
		}
	}
}

// receive acknowledges an envelope and turns it into a job; ok is false
// when there is nothing to do.
func (b *Bot) receive(ctx context.Context, evt socketmode.Event) (j job, ok bool) {
	start := time.Now()
	b.obs.observeEvent(evt)
	switch evt.Type {
	case socketmode.EventTypeErrorBadMessage:
		// slack-go could not decode the envelope and gives no Request, so
		// ack it by the raw id or Slack would redeliver it forever.
		if bad, isBad := evt.Data.(*socketmode.ErrorBadMessage); isBad {
			var env struct {
				EnvelopeID string `json:"envelope_id"`
			}
			if json.Unmarshal(bad.Message, &env) == nil && env.EnvelopeID != "" {
				b.ackTimed(ctx, "bad_message", start, env.EnvelopeID, nil)
			}
			b.log.Warn("undecodable envelope", "envelope_id", env.EnvelopeID, "err", bad.Cause)
		}
		return job{}, false
	case socketmode.EventTypeConnecting, socketmode.EventTypeConnected, socketmode.EventTypeHello:
		b.log.Debug("socket mode", "event", string(evt.Type))
		return job{}, false
	case socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError,
		socketmode.EventTypeErrorWriteFailed, socketmode.EventTypeInvalidAuth:
		b.log.Warn("socket mode", "event", string(evt.Type), "data", fmt.Sprint(evt.Data))
		return job{}, false
	}
	if evt.Request == nil {
		b.log.Debug("socket mode event without envelope", "event", string(evt.Type))
		return job{}, false
	}
	id := evt.Request.EnvelopeID
	j = job{envelopeID: id, kind: evt.Type, data: evt.Data}
	kind := string(evt.Type)
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, _ := evt.Data.(slack.SlashCommand)
		parsed := parseCommand(cmd.Text)
		b.ackTimed(ctx, kind, start, id, slashAck(parsed))
		j.fast = slashLane(parsed) == fastLane
	case socketmode.EventTypeEventsAPI:
		b.ackTimed(ctx, kind, start, id, nil)
		if e, isEvent := evt.Data.(slackevents.EventsAPIEvent); isEvent {
			if cb, isCallback := e.Data.(*slackevents.EventsAPICallbackEvent); isCallback {
				j.eventID = cb.EventID
			}
		}
	default:
		// A view submission is acknowledged by its handler (lane.go).
		l, deferAck := interactionLane(evt.Data)
		j.fast, j.deferAck = l == fastLane, deferAck
		if !deferAck {
			b.ackTimed(ctx, kind, start, id, nil)
		}
	}
	if evt.Request.RetryAttempt > 0 {
		b.log.Info("redelivery", "envelope_id", id, "retry_attempt", evt.Request.RetryAttempt, "retry_reason", evt.Request.RetryReason)
	}
	return j, true
}

// acknowledge acks an envelope with a short deadline: slack-go's Ack blocks
// forever when no connection is up and its queue is full.
func (b *Bot) acknowledge(ctx context.Context, envelopeID string, payload any) {
	b.ackTimed(ctx, "", time.Time{}, envelopeID, payload)
}

// ackTimed is acknowledge for an envelope of type kind read at start, for
// the ack latency metric (kind "" is not observed).
func (b *Bot) ackTimed(ctx context.Context, kind string, start time.Time, envelopeID string, payload any) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.AckTimeout)
	defer cancel()
	err := b.ack(ctx, envelopeID, payload)
	if kind != "" {
		b.obs.acked(kind, start, err)
	}
	if err != nil {
		b.log.Warn("ack failed", "envelope_id", envelopeID, "envelope_type", kind, "err", err)
	}
}

// work handles one job on a worker: de-duplication, routing, and turning a
// returned error or a panic into a friendly message.
func (b *Bot) work(ctx context.Context, j job) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.HandlerTimeout)
	defer cancel()
	log := b.log.With("envelope_id", j.envelopeID, "envelope_type", string(j.kind))
	who := requester(j)
	if b.handled != nil {
		defer b.handled(j.envelopeID)
	}
	// A view submission is acknowledged by its handler, with the errors to
	// show or nothing; whatever happens, it is acknowledged once.
	var acked bool
	ackOnce := func(payload any) {
		if !acked {
			acked = true
			b.acknowledge(ctx, j.envelopeID, payload)
		}
	}
	if j.deferAck {
		defer ackOnce(nil)
	}
	defer func() {
		if r := recover(); r != nil {
			ref := newRef()
			log.Error("handler panicked", "ref", ref, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			b.tell(ctx, who, genericText(ref))
		}
	}()

	if !b.firstTime(ctx, log, "envelope:"+j.envelopeID) {
		return
	}
	if j.eventID != "" && !b.firstTime(ctx, log, "event:"+j.eventID) {
		return
	}
	if err := b.route(ctx, log, j, ackOnce); err != nil {
		text, ref := userText(err)
		log.Error("handler failed", "ref", ref, "err", err)
		b.tell(ctx, who, text)
	}
}

// firstTime reports whether key is seen for the first time. When the store
// cannot say, the envelope is handled anyway: reads are harmless and every
// write that matters needs a durable transition in the same store.
func (b *Bot) firstTime(ctx context.Context, log *slog.Logger, key string) bool {
	first, err := b.store.MarkOnce(ctx, key, dedupTTL)
	if err != nil {
		log.Warn("de-duplication unavailable; handling anyway", "key", key, "err", err)
		return true
	}
	if !first {
		log.Info("duplicate delivery ignored", "key", key)
	}
	return first
}

// route hands a job to its handler from the command table. ack
// acknowledges a job whose ack was deferred.
func (b *Bot) route(ctx context.Context, log *slog.Logger, j job, ack func(any)) error {
	switch data := j.data.(type) {
	case slack.SlashCommand:
		req := request{userID: data.UserID, channelID: data.ChannelID, triggerID: data.TriggerID, log: log}
		cmd := parseCommand(data.Text)
		for _, c := range commands() {
			if c.name == cmd.name && c.handle != nil {
				return c.handle(b, ctx, req, cmd)
			}
		}
		return nil // help and usage were answered in the ack
	case slack.InteractionCallback:
		switch data.Type {
		case slack.InteractionTypeMessageAction:
			return b.routeShortcut(ctx, log, data)
		case slack.InteractionTypeViewSubmission:
			return b.routeView(ctx, log, data, ack)
		case slack.InteractionTypeBlockActions:
		default:
			log.Info("interaction without handler", "type", string(data.Type))
			return nil
		}
		for _, a := range data.ActionCallback.BlockActions {
			act, ok := lookupAction(a.ActionID)
			if !ok {
				log.Info("unknown action", "action_id", a.ActionID)
				continue
			}
			c := click{
				request:   request{userID: data.User.ID, channelID: data.Channel.ID, triggerID: data.TriggerID, log: log},
				messageTS: data.Container.MessageTs,
				planID:    a.Value,
				mode:      act.mode,
			}
			if c.channelID == "" {
				c.channelID = data.Container.ChannelID
			}
			c.log = log.With("plan_id", c.planID, "action_id", a.ActionID, "user_id", c.userID)
			if err := act.handle(b, ctx, c); err != nil {
				return err
			}
		}
		return nil
	case slackevents.EventsAPIEvent:
		if msg, ok := data.InnerEvent.Data.(*slackevents.MessageEvent); ok {
			return b.detect(ctx, log, data, msg)
		}
		log.Debug("events api event without handler", "type", data.InnerEvent.Type)
		return nil
	case followUp:
		return data.run(ctx, log)
	}
	log.Debug("envelope without handler", "type", string(j.kind))
	return nil
}

// requester is who to tell when handling a job fails.
func requester(j job) request {
	switch d := j.data.(type) {
	case slack.SlashCommand:
		return request{userID: d.UserID, channelID: d.ChannelID}
	case slack.InteractionCallback:
		ch := d.Channel.ID
		if ch == "" {
			ch = d.Container.ChannelID
		}
		return request{userID: d.User.ID, channelID: ch}
	case followUp:
		return d.who
	}
	return request{}
}

// request is who asked, and where.
type request struct {
	userID    string
	channelID string
	triggerID string // for opening a modal, valid 3 s from the user's action
	log       *slog.Logger
}

// click is a button press on a plan.
type click struct {
	request
	messageTS string
	planID    string
	mode      string // the repair mode of an Approve button
}
