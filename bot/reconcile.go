package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/jsmbot/jsmbot/approval"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// This file is the crash safety of an apply (issue 9): the lease an owner
// renews while it applies, and the reconciler that settles a plan whose
// owner stopped renewing it, from what Jira holds, without ever applying
// anything again.

// reconcilerLease is the store lease that lets one replica at a time
// reconcile.
const reconcilerLease = "reconciler"

// replicaID names this process: its host name and a random suffix.
func replicaID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "jsmbot"
	}
	return host + "-" + newRef()
}

// applyLease is the lease of a plan this replica applies. It is renewed
// every third of Config.Lease on the bot's clock (Config.Sleep), and at
// once after each write lands, with the record so far (landed), so that a
// reconciler after a crash starts from the exact ids Jira gave. Renewals
// are serialized, so a stored record never goes back to an older one.
type applyLease struct {
	b      *Bot
	log    *slog.Logger
	planID string
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu  sync.Mutex // held across a renewal
	rec json.RawMessage
	// stored is false while rec has not reached the store.
	stored bool
}

// renewLease starts renewing the lease of the plan this replica applies;
// it counts the plan's writes (planned) as in flight for the drain.
func (b *Bot) renewLease(ctx context.Context, c click, planID string, planned int) *applyLease {
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l := &applyLease{b: b, log: c.log, planID: planID, cancel: cancel, stored: true}
	b.inflight.set(planID, planned)
	l.wg.Go(func() {
		for b.sleep(rctx, b.cfg.Lease/3) == nil {
			l.renew(rctx, b.cfg.Now().Add(b.cfg.Lease))
		}
	})
	return l
}

// landed records a write that settled: the record so far is stored with
// the renewed lease before the next write starts. It is the apply's
// repair.WithProgress hook.
func (l *applyLease) landed(rec repair.Record) {
	raw, err := json.Marshal(rec)
	if err != nil {
		l.log.Error("could not encode the record of the plan being applied", "err", err)
		return
	}
	remaining := 0
	for _, c := range rec.Changes {
		if c.Outcome == repair.NotAttempted {
			remaining++
		}
	}
	l.b.inflight.set(l.planID, remaining)
	l.mu.Lock()
	l.rec, l.stored = raw, false
	l.mu.Unlock()
	l.renew(context.Background(), l.b.cfg.Now().Add(l.b.cfg.Lease))
}

// renew renews the lease until until, with the record when it has not
// reached the store yet.
func (l *applyLease) renew(ctx context.Context, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var rec json.RawMessage
	if !l.stored {
		rec = l.rec
	}
	rctx, cancel := context.WithTimeout(ctx, l.b.cfg.Lease/3)
	_, err := l.b.store.RenewLease(rctx, l.planID, l.b.cfg.Owner, until, rec)
	cancel()
	switch {
	case err == nil:
		l.stored = true
	case rec != nil:
		l.log.Warn("could not record a landed write with the lease; the next renewal tries again", "err", err)
	default:
		l.log.Warn("could not renew the lease of the plan being applied", "err", err)
	}
}

// stop ends the renewals; the plan's writes are no longer in flight.
func (l *applyLease) stop() {
	l.cancel()
	l.wg.Wait()
	l.b.inflight.done(l.planID)
}

// abandon stops the renewals and lets the lease run out now, so that the
// reconciler settles the plan at once from the record stored so far: what
// an apply cut by a shutdown leaves.
func (l *applyLease) abandon() {
	l.stop()
	l.renew(context.Background(), l.b.cfg.Now())
}

// inflight counts the writes not yet tried of the plans this replica
// applies, for the drain's budget (bot.go Run).
type inflight struct {
	mu        sync.Mutex
	remaining map[string]int
}

func (f *inflight) set(planID string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.remaining == nil {
		f.remaining = map[string]int{}
	}
	f.remaining[planID] = n
}

func (f *inflight) done(planID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.remaining, planID)
}

// writes is the number of writes left, over every plan in flight, and
// the number of plans.
func (f *inflight) writes() (writes, plans int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.remaining {
		writes += n
	}
	return writes, len(f.remaining)
}

// reconcileLoop reconciles at once and then every Config.ReconcileInterval
// until ctx ends; it then gives up the reconciler lease.
func (b *Bot) reconcileLoop(ctx context.Context) {
	t := time.NewTicker(b.cfg.ReconcileInterval)
	defer t.Stop()
	for {
		if err := b.reconcile(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("reconcile failed; will try again", "err", err)
		}
		select {
		case <-ctx.Done():
			// Let a replica that starts next reconcile at once.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			defer cancel()
			if err := b.store.ReleaseLease(rctx, reconcilerLease, b.cfg.Owner); err != nil {
				b.log.Warn("could not release the reconciler lease", "err", err)
			}
			return
		case <-t.C:
		}
	}
}

// reconcile is one pass of the reconciler, when this replica holds the
// store's reconciler lease: every applying plan whose lease ran out is
// settled (settle), and the message updates and audit records finished
// applies could not record are tried again (unrecorded.go).
func (b *Bot) reconcile(ctx context.Context) error {
	held, err := b.store.AcquireLease(ctx, reconcilerLease, b.cfg.Owner, 2*b.cfg.ReconcileInterval+b.cfg.Lease)
	if err != nil || !held {
		return err
	}
	plans, err := b.store.Plans(ctx, store.PlanFilter{State: store.StateApplying, LeaseBefore: b.cfg.Now()})
	if err != nil {
		return fmt.Errorf("list applying plans: %w", err)
	}
	for _, rec := range plans {
		log := b.log.With("plan_id", rec.ID, "project", rec.ProjectKey, "owner", rec.Owner)
		if err := b.settle(ctx, log, rec); err != nil {
			log.Warn("could not settle the plan; will try again", "err", err)
		}
	}
	if err := b.retryUnrecorded(ctx); err != nil {
		return fmt.Errorf("retry the steps finished applies left: %w", err)
	}
	return nil
}

// settle brings a plan whose owner died to what Jira holds: it reads Jira
// (never writing, but to delete an unassigned copy the plan made), moves
// the plan to applied or failed, updates the message, writes one audit
// record of exactly the changes found, and, when problems remain, offers a
// fresh diagnosis in the thread.
func (b *Bot) settle(ctx context.Context, log *slog.Logger, rec store.PlanRecord) error {
	data, err := approval.Decode(rec)
	if err != nil {
		return err
	}
	record := repair.PlannedRecord(data.Plan, rec.ID)
	if len(rec.Record) > 0 {
		if err := json.Unmarshal(rec.Record, &record); err != nil {
			return fmt.Errorf("decode the record of plan %s: %w", rec.ID, err)
		}
	}
	res, err := b.engine.Settle(ctx, record)
	if res == nil {
		return err
	}
	if err != nil {
		log.Warn("settled, but could not diagnose again", "err", err)
	}
	if data.Plan.Mode == "copy" {
		// A copy the dead owner made but never assigned is deleted; the
		// outcome, the message and the audit record say so.
		res.Changes = append(res.Changes, b.deleteOrphans(ctx, log, rec.ID)...)
	}
	o := approval.Settle(res)
	failure := ""
	if o.State == store.StateFailed {
		failure = "This repair was interrupted: the bot applying it stopped before it finished. I read Jira and recorded what it holds; nothing was applied again."
	}
	// The plan's move to its final state is the reconciler's claim: of two
	// replicas settling it (or a slow owner finishing), one records it.
	won, err := b.exec.transition(ctx, o.Transition(rec))
	if err != nil {
		return fmt.Errorf("record the settled outcome: %w", err)
	}
	log.Info("settled an interrupted apply: its owner's lease ran out", "state", o.State, "result", o.Result)
	v := planView{Rec: won, Data: data}
	_ = b.exec.run(ctx, log, undoable(finished(v, rec.ApproverID, res, o, failure, b.cfg.Now())[1:], v, res, o, b.cfg.UndoWindow))
	if res.After != nil && !res.Verified && res.After.Plan != nil {
		req := request{userID: rec.RequesterID, channelID: rec.ChannelID, log: log}
		intro := fmt.Sprintf("Fresh diagnosis of %s, made after an interrupted repair was settled:", escape(rec.ProjectKey))
		if err := b.offer(ctx, req, threadOf(rec), intro, res.After, data.Report, true); err != nil {
			log.Warn("could not offer the fresh diagnosis", "err", err)
		}
	}
	return nil
}

// deleteOrphans deletes the copies of a plan that no project uses: what a
// crash between creating a copy and assigning it leaves.
func (b *Bot) deleteOrphans(ctx context.Context, log *slog.Logger, planID string) []repair.Change {
	copies, err := b.engine.OrphanCopies(ctx, planID)
	if err != nil {
		log.Warn("could not look for the plan's orphan copies", "err", err)
		return nil
	}
	var deleted []repair.Change
	for _, c := range copies {
		ch, err := b.engine.DeleteOrphanCopy(ctx, planID, c.SchemeID)
		if err != nil {
			log.Warn("could not delete an orphan copy", "scheme_id", c.SchemeID, "err", err)
			continue
		}
		log.Info("deleted an orphan copy of the plan", "scheme_id", c.SchemeID, "scheme", c.Name)
		deleted = append(deleted, ch)
	}
	return deleted
}
