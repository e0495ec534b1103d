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

// renewLease renews the lease of the plan this replica applies, every
// third of Config.Lease, until the returned function is called.
func (b *Bot) renewLease(ctx context.Context, c click, planID string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(b.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.Lease/3)
			_, err := b.store.RenewLease(rctx, planID, b.cfg.Owner, b.cfg.Now().Add(b.cfg.Lease), nil)
			cancel()
			if err != nil {
				c.log.Warn("could not renew the lease of the plan being applied", "err", err)
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// reconcileLoop reconciles at once and then every Config.ReconcileInterval
// until ctx ends.
func (b *Bot) reconcileLoop(ctx context.Context) {
	t := time.NewTicker(b.cfg.ReconcileInterval)
	defer t.Stop()
	for {
		if err := b.reconcile(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("reconcile failed; will try again", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// reconcile is one pass of the reconciler, when this replica holds the
// store's reconciler lease: every applying plan whose lease ran out is
// settled (settle).
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
		b.deleteOrphans(ctx, log, rec.ID)
	}
	o := approval.Settle(res)
	// The plan's move to its final state is the reconciler's claim: of two
	// replicas settling it (or a slow owner finishing), one records it.
	won, err := b.exec.transition(ctx, o.Transition(rec))
	if err != nil {
		return fmt.Errorf("record the settled outcome: %w", err)
	}
	log.Info("settled an interrupted apply: its owner's lease ran out", "state", o.State, "result", o.Result)
	v := planView{Rec: won, Data: data}
	_ = b.exec.run(ctx, log, finished(v, rec.ApproverID, res, o, "", b.cfg.Now())[1:])
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
func (b *Bot) deleteOrphans(ctx context.Context, log *slog.Logger, planID string) {
	copies, err := b.engine.OrphanCopies(ctx, planID)
	if err != nil {
		log.Warn("could not look for the plan's orphan copies", "err", err)
		return
	}
	for _, c := range copies {
		if _, err := b.engine.DeleteOrphanCopy(ctx, planID, c.SchemeID); err != nil {
			log.Warn("could not delete an orphan copy", "scheme_id", c.SchemeID, "err", err)
			continue
		}
		log.Info("deleted an orphan copy of the plan", "scheme_id", c.SchemeID, "scheme", c.Name)
	}
}
