package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// The executor. Handlers decide: they read what they need (a plan, a
// diagnosis, a group's members), win the compare-and-sets a decision turns
// on (the claim on a message, a plan's approval), and return the rest as
// a list of effects, plain values that tests compare. The executor is the
// one place that carries effects out against the Slack Web API and the
// store, in order, with the failure and budget policy of each step.
//
// A step that needs an earlier step's result names it: a post can be
// named (as), and a later update or plan save takes the ts of that post
// (tsOf). That is how "post without buttons, save the plans with the
// message's ts, then add the buttons" stays one list.

// effect is one step for the executor: post, update, ephemeral, openView,
// savePlans, saveOffer, saveBlob, publishHome, transition or audit.
type effect interface {
	// policy is how the executor treats the step.
	policy() step
	// String describes the effect in one line, for tests and the log.
	String() string
}

// onFail is what a failed step does to the rest of the run.
type onFail int

const (
	// goOn logs the failure and runs the next step.
	goOn onFail = iota
	// stop logs the failure and ends the run quietly: the later steps
	// depend on this one.
	stop
	// abort ends the run and returns the error, which the worker turns
	// into a message for the user.
	abort
)

// recordBudget is the budget of a step that records an outcome, on a
// context of its own: a plan must not stay applying, nor its message say
// "Applying…", because the handler's context ran out while Jira worked.
// When the handler's context is already done it is shorter, to fit the
// drain.
const (
	recordBudget     = 5 * time.Second
	lateRecordBudget = time.Second
)

// Retries of a recording step. A transient failure (Slack's 429, honouring
// its Retry-After; a Slack 5xx or no answer; a Redis that did not answer)
// is tried again with a doubling backoff, on the executor's clock, for up
// to recordRetries attempts within recordPatience of the first; a step that
// still fails is left for the reconciler. Shutting down, the patience is
// latePatience.
const (
	recordRetries  = 8
	recordPatience = 30 * time.Second
	latePatience   = 3 * time.Second
	firstBackoff   = 250 * time.Millisecond
	maxBackoff     = 4 * time.Second
)

// step is the failure and budget policy of one effect.
type step struct {
	// what names the step in the log: "could not <what>".
	what string
	// fail is what a failure does to the rest of the run.
	fail onFail
	// record runs the step detached from the handler's context, each
	// attempt on recordBudget, so that an outcome is recorded even when
	// the handler ran out of time; transient failures are retried (retry).
	record bool
	// budget, when set, bounds the step (views.open: the trigger expires).
	budget time.Duration
	// orElse, when set, replaces the rest of the run after a failure: it
	// is given the user text of the error, whose ref is in the log, and
	// returns the effects to run instead. The run then returns nil.
	orElse func(userText string) []effect
}

func (s step) policy() step { return s }

// post posts a message (in a thread when thread is set). as, when set,
// names its ts for later steps.
type post struct {
	step
	channel, thread string
	msg             message
	as              string
}

func (p post) String() string {
	s := "post " + p.channel
	if p.thread != "" {
		s += " thread " + p.thread
	}
	if p.as != "" {
		s += " as " + p.as
	}
	return s + ": " + p.msg.text
}

// update replaces a message: the one at ts, or the one posted as tsOf.
type update struct {
	step
	channel, ts, tsOf string
	msg               message
}

func (u update) String() string {
	return "update " + u.channel + " " + u.ts + at(u.tsOf) + ": " + u.msg.text
}

// ephemeral tells one user something where they are (chat.postEphemeral).
type ephemeral struct {
	step
	who  request
	text string
}

func (e ephemeral) String() string {
	return "tell " + e.who.userID + " in " + e.who.channelID + ": " + e.text
}

// openView opens a modal on a trigger.
type openView struct {
	step
	trigger string
	view    slack.ModalViewRequest
}

func (o openView) String() string { return "open view " + o.view.CallbackID }

// savePlans stores offered plans, stamped with the ts of the message posted
// as tsOf.
type savePlans struct {
	step
	recs []store.PlanRecord
	tsOf string
}

func (s savePlans) String() string {
	ids := make([]string, len(s.recs))
	for i, r := range s.recs {
		ids[i] = r.ID + " (" + r.Mode + ")"
	}
	return "save plans " + strings.Join(ids, ", ") + at(s.tsOf)
}

// saveOffer stores a report offer.
type saveOffer struct {
	step
	rec store.OfferRecord
}

func (s saveOffer) String() string { return "save offer " + s.rec.ID + " on " + s.rec.ProjectKey }

// saveBlob keeps a small value in the store (the last audit, audit.go).
type saveBlob struct {
	step
	key  string
	data []byte
	ttl  time.Duration
}

func (s saveBlob) String() string { return fmt.Sprintf("save blob %s (%d bytes)", s.key, len(s.data)) }

// publishHome publishes a user's App Home tab (views.publish, home.go).
type publishHome struct {
	step
	userID string
	view   slack.HomeTabViewRequest
}

func (p publishHome) String() string { return "publish home of " + p.userID }

// transition moves a plan's state; a lost race (ErrConflict) is not logged
// as a failure.
type transition struct {
	step
	t approval.Transition
}

func (t transition) String() string {
	s := fmt.Sprintf("transition %s %s→%s", t.t.PlanID, t.t.From, t.t.To)
	if t.t.SupersededBy != "" {
		s += " superseded by " + t.t.SupersededBy
	}
	if t.t.Result != "" {
		s += ": " + t.t.Result
	}
	return s
}

// audit appends an audit record.
type audit struct {
	step
	rec store.AuditRecord
}

func (a audit) String() string {
	return fmt.Sprintf("audit %s of %s by %s: %s", a.rec.Action, a.rec.PlanID, a.rec.ApproverID, a.rec.Result)
}

func at(ref string) string {
	if ref == "" {
		return ""
	}
	return " @" + ref
}

// executor carries effects out. It is the only code that posts, updates,
// opens views and writes the store on a handler's behalf.
type executor struct {
	slack Poster
	store store.Store
	// tell sends an ephemeral message (Bot.tell).
	tell func(ctx context.Context, who request, text string)
	// now and sleep are the clock the retries' backoff waits on
	// (Config.Now and Config.Sleep).
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// run carries out effs in order. It returns the error of a failed abort
// step and nil otherwise.
func (x executor) run(ctx context.Context, log *slog.Logger, effs []effect) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return x.runWith(ctx, log, effs, map[string]string{})
}

// runLeaving is run for steps that record an outcome: it returns the
// effects that still failed after their retries, for the reconciler to
// retry later (unrecorded.go).
func (x executor) runLeaving(ctx context.Context, log *slog.Logger, effs []effect) []effect {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var left []effect
	_ = x.runLeft(ctx, log, effs, map[string]string{}, &left)
	return left
}

// runWith is run with the named results of earlier steps, which the steps
// that replace a failed one (orElse) still refer to.
func (x executor) runWith(ctx context.Context, log *slog.Logger, effs []effect, refs map[string]string) error {
	return x.runLeft(ctx, log, effs, refs, nil)
}

// runLeft is runWith that, when left is not nil, adds to it the steps that
// failed after their retries (errLeft).
func (x executor) runLeft(ctx context.Context, log *slog.Logger, effs []effect, refs map[string]string, left *[]effect) error {
	for _, e := range effs {
		p := e.policy()
		err := x.retry(ctx, p, e, refs, log)
		if err == nil {
			continue
		}
		if left != nil && errors.Is(err, errLeft) {
			*left = append(*left, e)
		}
		switch {
		case p.orElse != nil:
			text, ref := userText(err)
			log.Error("could not "+p.what, "ref", ref, "err", err)
			return x.runLeft(ctx, log, p.orElse(text), refs, left)
		case p.fail == abort:
			return err
		case errors.Is(err, store.ErrConflict):
			log.Info("could not "+p.what+": lost a race", "err", err)
		default:
			log.Warn("could not "+p.what, "err", err)
		}
		if p.fail != goOn {
			return nil // stop: the later steps depend on this one
		}
	}
	return nil
}

// errLeft marks a recording step that kept failing: the reconciler
// retries it later.
var errLeft = errors.New("left for the reconciler")

// retry carries out one effect; a recording step's transient failures are
// tried again (see recordRetries).
func (x executor) retry(ctx context.Context, p step, e effect, refs map[string]string, log *slog.Logger) error {
	if !p.record {
		return x.do(ctx, p, e, refs, log)
	}
	patience := recordPatience
	if ctx.Err() != nil {
		patience = latePatience
	}
	now := x.now
	if now == nil {
		now = time.Now
	}
	start := now()
	for attempt := 1; ; attempt++ {
		err := x.do(ctx, p, e, refs, log)
		wait, again := transient(err, attempt)
		if !again {
			return err
		}
		if attempt >= recordRetries || now().Add(wait).Sub(start) > patience {
			log.Error("could not "+p.what+" after retries; the reconciler will retry it", "attempts", attempt, "err", err)
			return fmt.Errorf("%w: %w", errLeft, err)
		}
		log.Info("retrying: could not "+p.what, "attempt", attempt, "wait", wait, "err", err)
		if err := x.wait(context.WithoutCancel(ctx), wait); err != nil {
			return err
		}
	}
}

// wait sleeps d on the executor's clock.
func (x executor) wait(ctx context.Context, d time.Duration) error {
	if x.sleep != nil {
		return x.sleep(ctx, d)
	}
	return sleepCtx(ctx, d)
}

// sleepCtx waits d or until ctx ends, on the real clock.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// transient reports whether err, the attempt-th failure of a step, is
// worth another try, and after how long: a Slack rate limit after its
// Retry-After, a Slack server error or a lost answer, a store that did not
// answer, with a doubling backoff.
func transient(err error, attempt int) (time.Duration, bool) {
	if err == nil {
		return 0, false
	}
	backoff := min(firstBackoff<<(attempt-1), maxBackoff)
	var rl *slack.RateLimitedError
	var sce slack.StatusCodeError
	var ser slack.SlackErrorResponse
	switch {
	case errors.As(err, &rl):
		return max(rl.RetryAfter, firstBackoff), true
	case errors.Is(err, store.ErrUnavailable),
		errors.Is(err, context.DeadlineExceeded),
		repair.KindOf(err) == repair.KindSlackUnavailable,
		errors.As(err, &sce) && sce.Code >= 500:
		return backoff, true
	case errors.As(err, &ser) && (ser.Err == "internal_error" || ser.Err == "fatal_error" || ser.Err == "service_unavailable" || ser.Err == "request_timeout"):
		return backoff, true
	}
	return 0, false
}

// stepContext is the context a step runs on: ctx, or a budget of its own.
func stepContext(ctx context.Context, p step) (context.Context, context.CancelFunc) {
	switch {
	case p.record:
		budget := recordBudget
		if ctx.Err() != nil {
			budget = lateRecordBudget // shutting down or out of time: be quick
		}
		return context.WithTimeout(context.WithoutCancel(ctx), budget)
	case p.budget > 0:
		return context.WithTimeout(ctx, p.budget)
	}
	return ctx, func() {}
}

// do carries out one effect.
func (x executor) do(ctx context.Context, p step, e effect, refs map[string]string, log *slog.Logger) error {
	ctx, cancel := stepContext(ctx, p)
	defer cancel()
	switch e := e.(type) {
	case post:
		ts, err := x.post(ctx, e.channel, e.thread, e.msg)
		if err == nil && e.as != "" {
			refs[e.as] = ts
		}
		return err
	case update:
		ts := e.ts
		if e.tsOf != "" {
			ts = refs[e.tsOf]
		}
		return x.update(ctx, e.channel, ts, e.msg)
	case ephemeral:
		x.tell(ctx, e.who, e.text)
		return nil
	case openView:
		_, err := x.slack.OpenViewContext(ctx, e.trigger, e.view)
		if err != nil {
			return fmt.Errorf("open view: %w", err)
		}
		return nil
	case savePlans:
		ts := refs[e.tsOf]
		ids := make([]string, len(e.recs))
		for i, rec := range e.recs {
			rec.MessageTS = ts
			if err := x.store.SavePlan(ctx, rec); err != nil {
				return fmt.Errorf("save plan: %w", err)
			}
			ids[i] = rec.ID
		}
		log.Info("repair offered", "plan_ids", ids, "message_ts", ts)
		return nil
	case saveOffer:
		return x.store.SaveOffer(ctx, e.rec)
	case saveBlob:
		return x.store.PutBlob(ctx, e.key, e.data, e.ttl)
	case publishHome:
		if _, err := x.slack.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: e.userID, View: e.view}); err != nil {
			return fmt.Errorf("publish home: %w", slackFailed(err))
		}
		return nil
	case transition:
		_, err := x.transition(ctx, e.t)
		return err
	case audit:
		return x.store.AppendAudit(ctx, e.rec)
	}
	return fmt.Errorf("bot: unknown effect %T", e)
}

// claim sets a store marker; it reports whether this call set it. It is
// the executor's for the compare-and-sets a handler's decision turns on.
func (x executor) claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	return x.store.MarkOnce(ctx, key, ttl)
}

// transition runs one compare-and-set of a plan's state.
func (x executor) transition(ctx context.Context, t approval.Transition) (store.PlanRecord, error) {
	return x.store.Transition(ctx, t.PlanID, t.From, t.To, t.Mutate())
}

// post posts a message and returns its ts.
func (x executor) post(ctx context.Context, channelID, threadTS string, m message) (string, error) {
	opts := []slack.MsgOption{slack.MsgOptionText(m.text, false), slack.MsgOptionBlocks(m.blocks...)}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	_, ts, err := x.slack.PostMessageContext(ctx, channelID, opts...)
	if err != nil {
		return "", fmt.Errorf("post message: %w", slackFailed(err))
	}
	return ts, nil
}

// update replaces a message's text and blocks.
func (x executor) update(ctx context.Context, channelID, ts string, m message) error {
	if channelID == "" || ts == "" {
		return errors.New("update message: no channel or ts")
	}
	_, _, _, err := x.slack.UpdateMessageContext(ctx, channelID, ts, slack.MsgOptionText(m.text, false), slack.MsgOptionBlocks(m.blocks...))
	if err != nil {
		return fmt.Errorf("update message: %w", slackFailed(err))
	}
	return nil
}
