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
	"sync/atomic"
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
	// DefaultLease is how long an applying plan's lease lasts; its owner
	// renews it every third of that while it works.
	DefaultLease = 10 * time.Second
	// DefaultReconcileInterval is how often a replica tries to reconcile
	// (one at a time, through the store's "reconciler" lease).
	DefaultReconcileInterval = 5 * time.Second
	// DefaultWriteBudget is what the drain allows each write an apply in
	// flight has not tried yet.
	DefaultWriteBudget = 3 * time.Second
	// DefaultMaxDrain caps the drain of an apply in flight.
	DefaultMaxDrain = 25 * time.Second
	// DefaultUndoWindow is how long an applied repair can be undone.
	DefaultUndoWindow = 168 * time.Hour
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
	// 10 s grace period. While an apply is in flight the drain waits
	// longer, for its writes not yet tried (WriteBudget each, up to
	// MaxDrain), so that a write sequence is not cut in the middle.
	DrainTimeout time.Duration
	// WriteBudget is the drain's allowance per write not yet tried of an
	// apply in flight (DefaultWriteBudget).
	WriteBudget time.Duration
	// MaxDrain caps the drain of an apply in flight (DefaultMaxDrain);
	// an apply still running then is left applying, with the writes it
	// recorded, for the reconciler.
	MaxDrain time.Duration
	// UndoWindow is how long after it was applied a repair's Undo button
	// works (DefaultUndoWindow). It should stay within the store's
	// retention, which keeps the plan's record.
	UndoWindow time.Duration
	// AckTimeout bounds one ack (DefaultAckTimeout).
	AckTimeout time.Duration
	// Now is the clock for plan expiry (time.Now). Give the store the same
	// clock.
	Now func() time.Time
	// Sleep waits d, or until ctx ends (an error then), on Now's clock: the
	// backoff between retries of a step that records an outcome waits on
	// it. Default: a real timer. Tests give one that advances their clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// DetectReports makes the bot watch channel messages for Atlassian's
	// "customers could not be added" error and offer, once per message, to
	// diagnose. Off in the zero Config; jsmbot run turns it on unless
	// JSMBOT_DETECT_REPORTS=false.
	DetectReports bool
	// Lease is how long an applying plan's lease lasts (DefaultLease): a
	// plan whose owner stopped renewing it for that long is settled by
	// the reconciler.
	Lease time.Duration
	// ReconcileInterval is how often Run reconciles
	// (DefaultReconcileInterval); Run also reconciles at start. A lease
	// plus an interval stays well under 30 s.
	ReconcileInterval time.Duration
	// Owner names this replica in the plans it applies and in the
	// reconciler's lease (default: the host name and a random suffix).
	Owner string
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
	PublishViewContext(ctx context.Context, req slack.PublishViewContextRequest) (*slack.ViewResponse, error)
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
	// submissions, see lane.go). Run closes both. The reader never waits
	// on either (admit).
	jobs, fast chan job
	// notices carries the busy answers that an ack cannot carry (button
	// clicks, shortcuts) to the one goroutine that posts them, so the
	// reader never waits on Slack's Web API. Run closes it.
	notices chan notice
	desks   deskCache

	// exec carries out what handlers decide (exec.go); policy and
	// directory are the approval policy and its user groups.
	exec      executor
	policy    approval.Policy
	directory approval.Directory

	// draining is set when Run's context ends: no new apply or undo
	// starts. inflight counts the writes left of the applies under way.
	draining atomic.Bool
	inflight inflight
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
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.ReconcileInterval <= 0 {
		cfg.ReconcileInterval = DefaultReconcileInterval
	}
	if cfg.Owner == "" {
		cfg.Owner = replicaID()
	}
	if cfg.WriteBudget <= 0 {
		cfg.WriteBudget = DefaultWriteBudget
	}
	if cfg.MaxDrain <= 0 {
		cfg.MaxDrain = DefaultMaxDrain
	}
	if cfg.UndoWindow <= 0 {
		cfg.UndoWindow = DefaultUndoWindow
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
		notices: make(chan notice, noticeQueue),
	}
	b.exec = executor{slack: b.slack, store: b.store, tell: b.tell, now: cfg.Now, sleep: cfg.Sleep}
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

// job is one envelope queued for a worker.
type job struct {
	envelopeID string
	eventID    string // Events API event_id, de-duplicated as well
	kind       socketmode.EventType
	data       any
	// fast routes the job to the fast lane; deferAck means it was not
	// acknowledged yet (a view submission, whose ack carries the answer).
	fast, deferAck bool
	// acked, when not nil, is closed once the reader has acknowledged the
	// envelope: a job is queued before its ack (admit), and its work must
	// not start before it.
	acked chan struct{}
}

// lane is the lane the job runs on.
func (j job) lane() lane {
	if j.fast {
		return fastLane
	}
	return slowLane
}

// Run reads envelopes until ctx ends: it acknowledges each at once, before
// any other I/O, and hands it to a bounded pool of workers that
// de-duplicate it through the store and handle it. It never waits for a
// worker: when the queue is full the ack (or, for a click, an ephemeral
// message) says the bot is busy. When ctx ends it stops
// reading, lets in-flight and queued work finish within
// Config.DrainTimeout (on a context that outlives ctx), cancels what is
// left, and returns. It returns nil after a clean drain and an error if
// handlers were still running after the deadline.
func (b *Bot) Run(ctx context.Context) error {
	// Work outlives ctx so that a shutdown finishes an approval (and
	// records its outcome) instead of abandoning it half way; it is
	// cancelled when the drain deadline passes.
	work, cancelWork := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelWork(nil)

	// The queues absorb bursts; when a lane's queue is full the reader
	// answers "busy" instead of waiting (admit), so it keeps draining
	// Events (slack-go stalls the socket otherwise) and every ack leaves at
	// once, while memory stays bounded.
	var wg, fastWG, noticeWG sync.WaitGroup
	for range b.cfg.Workers {
		wg.Go(func() { b.serve(work, slowLane, b.jobs) })
	}
	for range fastWorkers {
		fastWG.Go(func() { b.serve(work, fastLane, b.fast) })
	}
	noticeWG.Go(func() { b.postNotices(work) })
	reconciled := make(chan struct{})
	go func() {
		defer close(reconciled)
		b.reconcileLoop(ctx)
	}()
	defer func() { <-reconciled }()

	b.read(ctx)
	b.draining.Store(true)
	close(b.fast)
	close(b.notices)

	drained := make(chan struct{})
	go func() {
		// The fast lane may still hand follow-up work to the workers, so
		// their queue closes after it.
		fastWG.Wait()
		close(b.jobs)
		wg.Wait()
		noticeWG.Wait()
		close(drained)
	}()
	budget := b.drainBudget()
	if budget > b.cfg.DrainTimeout {
		writes, plans := b.inflight.writes()
		b.log.Info("draining: waiting for the applies in flight", "plans", plans, "writes_left", writes, "drain_budget", budget)
	}
	timer := time.NewTimer(budget)
	defer timer.Stop()
	select {
	case <-drained:
		b.log.Info("drained")
		return nil
	case <-timer.C:
	}
	if _, plans := b.inflight.writes(); plans > 0 {
		b.log.Warn("drain deadline passed with an apply in flight: it stops after the write under way and stays applying with what it recorded; the reconciler will settle it", "plans", plans, "drain_budget", budget)
	} else {
		b.log.Warn("drain deadline passed; cancelling in-flight work", "drain_timeout", budget)
	}
	cancelWork(errDrainDeadline)
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

// errDrainDeadline is the cause of the cancellation of work still running
// when the drain's deadline passes.
var errDrainDeadline = errors.New("bot: the drain deadline passed")

// drainBudget is how long the drain waits: Config.DrainTimeout, or while
// applies are in flight, WriteBudget for each write they have not tried
// yet, up to MaxDrain.
func (b *Bot) drainBudget() time.Duration {
	writes, _ := b.inflight.writes()
	return max(b.cfg.DrainTimeout, min(time.Duration(writes)*b.cfg.WriteBudget, b.cfg.MaxDrain))
}

// sleep waits d on the bot's clock (Config.Sleep), or until ctx ends.
func (b *Bot) sleep(ctx context.Context, d time.Duration) error {
	if b.cfg.Sleep != nil {
		return b.cfg.Sleep(ctx, d)
	}
	return sleepCtx(ctx, d)
}

// serve is one worker of a lane: it takes jobs off the lane's queue until
// Run closes it.
func (b *Bot) serve(ctx context.Context, l lane, queue <-chan job) {
	for j := range queue {
		b.obs.queued(l, -1)
		if j.acked != nil {
			<-j.acked // the reader acks right after queueing
		}
		b.work(ctx, j)
	}
}

// read is the event loop: it never does more than ack and queue, and never
// waits for a worker.
func (b *Bot) read(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case evt, ok := <-b.events:
			if !ok {
				return
			}
			b.receive(ctx, evt)
		}
	}
}

// receive acknowledges an envelope and queues its work; ok is false when
// there is nothing to do or the work was refused (the lane's queue is
// full, and the ack or a notice said so). The job is queued before the ack,
// so that the ack can tell a refusal, and is held until the ack is out.
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
	// payload is the ack's when the work is queued; answered means the ack
	// is the whole answer (help), so a full queue refuses nothing.
	var payload any
	var answered bool
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, _ := evt.Data.(slack.SlashCommand)
		parsed := parseCommand(cmd.Text)
		payload = slashAck(parsed)
		j.fast = slashLane(parsed) == fastLane
		c, _ := lookupCommand(parsed.name)
		answered = c.handle == nil
	case socketmode.EventTypeEventsAPI:
		if e, isEvent := evt.Data.(slackevents.EventsAPIEvent); isEvent {
			if cb, isCallback := e.Data.(*slackevents.EventsAPICallbackEvent); isCallback {
				j.eventID = cb.EventID
			}
		}
	default:
		// A view submission is acknowledged by its handler (lane.go).
		l, deferAck := interactionLane(evt.Data)
		j.fast, j.deferAck = l == fastLane, deferAck
	}
	if evt.Request.RetryAttempt > 0 {
		b.log.Info("redelivery", "envelope_id", id, "retry_attempt", evt.Request.RetryAttempt, "retry_reason", evt.Request.RetryReason)
	}
	if !j.deferAck {
		j.acked = make(chan struct{})
		defer close(j.acked)
	}
	if !b.admit(j) {
		if answered {
			b.ackTimed(ctx, kind, start, id, payload)
		} else {
			b.refuse(ctx, kind, start, j)
		}
		return j, false
	}
	if !j.deferAck {
		b.ackTimed(ctx, kind, start, id, payload)
	}
	return j, true
}

// admit queues a job on its lane if the queue has room, without waiting.
func (b *Bot) admit(j job) bool {
	l := j.lane()
	queue := b.jobs
	if l == fastLane {
		queue = b.fast
	}
	// Counted before the send, so that a worker's -1 never comes first.
	b.obs.queued(l, 1)
	select {
	case queue <- j:
		return true
	default:
		b.obs.queued(l, -1)
		return false
	}
}

// Busy answers, for work refused because its lane's queue is full.
const (
	// busySlash is the ack of a slash command.
	busySlash = "I'm busy right now, so I couldn't start on that. Nothing was changed; try again in a moment."
	// busyInteraction is told to whoever clicked a button or ran a
	// shortcut.
	busyInteraction = "I'm busy right now, so I couldn't act on that. Nothing was changed; try again in a moment."
	// busyForm is shown in a submitted form, which stays open.
	busyForm = "I'm busy right now, so nothing was sent. Submit the form again in a moment."
)

// refuse acknowledges an envelope whose work its lane's queue had no room
// for, and says so: in the ack of a slash command or a form, in an
// ephemeral message for a click or a shortcut, and in the log and the
// refusal count always. It never waits for anything but the ack.
func (b *Bot) refuse(ctx context.Context, kind string, start time.Time, j job) {
	l := j.lane()
	b.obs.refused(kind, l)
	log := b.log.With("envelope_id", j.envelopeID, "envelope_type", kind, "lane", l.String())
	data, isInteraction := j.data.(slack.InteractionCallback)
	switch {
	case j.kind == socketmode.EventTypeSlashCommand:
		b.ackTimed(ctx, kind, start, j.envelopeID, map[string]any{"response_type": "ephemeral", "text": busySlash})
		log.Warn("queue full: slash command refused; the ack says so")
	case isInteraction && j.deferAck:
		if block := firstInputBlock(data.View); block != "" {
			b.ackTimed(ctx, kind, start, j.envelopeID, slack.NewErrorsViewSubmissionResponse(map[string]string{block: busyForm}))
			log.Warn("queue full: form submission refused; the form says so", "callback_id", data.View.CallbackID)
			return
		}
		b.ackTimed(ctx, kind, start, j.envelopeID, nil)
		log.Warn("queue full: form submission refused; it has no field to say so in", "callback_id", data.View.CallbackID)
	case isInteraction:
		b.ackTimed(ctx, kind, start, j.envelopeID, nil)
		if b.notify(requester(j), busyInteraction) {
			log.Warn("queue full: interaction refused; the user is told", "interaction", string(data.Type))
		} else {
			log.Warn("queue full: interaction refused; the user could not be told", "interaction", string(data.Type))
		}
	default:
		b.ackTimed(ctx, kind, start, j.envelopeID, nil)
		log.Warn("queue full: envelope refused", "event_id", j.eventID)
	}
}

// firstInputBlock is the block ID of a view's first input block, where a
// view submission's ack can show an error; "" when it has none.
func firstInputBlock(v slack.View) string {
	for _, blk := range v.Blocks.BlockSet {
		if in, ok := blk.(*slack.InputBlock); ok && in.BlockID != "" {
			return in.BlockID
		}
	}
	return ""
}

// noticeQueue bounds the busy answers waiting to be posted; past it they
// are logged instead.
const noticeQueue = 64

// noticeTimeout bounds the posting of one notice.
const noticeTimeout = 5 * time.Second

// notice is an ephemeral message for the side path.
type notice struct {
	who  request
	text string
}

// notify queues an ephemeral message for who, without waiting. It reports
// false when nobody can be told (no user or channel) or the side path is
// full.
func (b *Bot) notify(who request, text string) bool {
	if who.userID == "" || who.channelID == "" {
		return false
	}
	select {
	case b.notices <- notice{who: who, text: text}:
		return true
	default:
		return false
	}
}

// postNotices posts the queued notices until Run closes their queue.
func (b *Bot) postNotices(ctx context.Context) {
	for n := range b.notices {
		ctx, cancel := context.WithTimeout(ctx, noticeTimeout)
		b.tell(ctx, n.who, n.text)
		cancel()
	}
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
	if t := triggerOf(j.data); t != "" && !b.firstTime(ctx, log, "trigger:"+t) {
		return // the same command or click, redelivered in a new envelope
	}
	if err := b.route(ctx, log, j, ackOnce); err != nil {
		text, ref := userText(err)
		log.Log(ctx, failureLevel(err), "request failed", "ref", ref, "kind", repair.KindOf(err).String(), "err", err)
		b.tell(ctx, who, text)
	}
}

// triggerOf is the trigger_id of a slash command or an interaction: one
// per user action, so a redelivery that comes in a new envelope (a new
// envelope_id) still carries it. "" for events.
func triggerOf(data any) string {
	switch d := data.(type) {
	case slack.SlashCommand:
		return d.TriggerID
	case slack.InteractionCallback:
		return d.TriggerID
	}
	return ""
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
		if c, ok := lookupCommand(cmd.name); ok && c.handle != nil {
			return c.handle(b, ctx, req, cmd)
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
		if e, ok := data.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent); ok {
			return b.home(ctx, log, e)
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
