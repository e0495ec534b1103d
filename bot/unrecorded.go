package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/slack-go/slack"

	"github.com/jsmbot/jsmbot/store"
)

// This file is what the reconciler retries for a finished apply whose
// final state was recorded but whose message update or audit record still
// failed after their retries (issue 9 item 2). The owner leaves a marker in
// the store, a blob "unrecorded:<plan ID>" holding the steps left, listed
// in the blob "unrecorded" (changed under a store lease, one writer at a
// time); every reconcile pass tries them again until they land.

// unrecordedIndex is the blob that lists the plans with steps left.
const unrecordedIndex = "unrecorded"

// unrecordedKey is the blob of one plan's steps left.
func unrecordedKey(planID string) string { return "unrecorded:" + planID }

// unrecorded is the steps left of a plan's outcome.
type unrecorded struct {
	PlanID string `json:"planId"`
	// Update is the message update left, if any.
	Update *leftUpdate `json:"update,omitempty"`
	// Audit is the audit record left, if any; its summary in the thread
	// follows it.
	Audit *store.AuditRecord `json:"audit,omitempty"`
}

// leftUpdate is a message update, as a blob keeps it.
type leftUpdate struct {
	Channel string          `json:"channel"`
	TS      string          `json:"ts"`
	Text    string          `json:"text"`
	Blocks  json.RawMessage `json:"blocks"`
}

// leftOf is the marker of the steps left among effs; ok is false when
// none of them is a message update or an audit record (a thread summary
// alone is not worth a marker).
func leftOf(planID string, effs []effect) (u unrecorded, ok bool, err error) {
	u.PlanID = planID
	for _, e := range effs {
		switch e := e.(type) {
		case update:
			blocks, err := json.Marshal(slack.Blocks{BlockSet: e.msg.blocks})
			if err != nil {
				return u, false, fmt.Errorf("encode the message left: %w", err)
			}
			u.Update = &leftUpdate{Channel: e.channel, TS: e.ts, Text: e.msg.text, Blocks: blocks}
		case audit:
			r := e.rec
			u.Audit = &r
		}
	}
	return u, u.Update != nil || u.Audit != nil, nil
}

// leaveUnrecorded records the steps of a plan's outcome left after their
// retries, for the reconciler. It is itself a recording step.
func (b *Bot) leaveUnrecorded(ctx context.Context, log *slog.Logger, planID string, left []effect) {
	u, ok, err := leftOf(planID, left)
	if err != nil || !ok {
		if err != nil {
			log.Error("could not leave the unrecorded steps for the reconciler", "err", err)
		}
		return
	}
	if err := b.putUnrecorded(context.WithoutCancel(ctx), u); err != nil {
		log.Error("could not leave the unrecorded steps for the reconciler; they are lost", "err", err)
		return
	}
	log.Warn("the outcome's message or audit record is left for the reconciler", "message", u.Update != nil, "audit", u.Audit != nil)
}

// putUnrecorded stores a marker and lists it.
func (b *Bot) putUnrecorded(ctx context.Context, u unrecorded) error {
	raw, err := json.Marshal(u)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, recordBudget)
	defer cancel()
	if err := b.store.PutBlob(ctx, unrecordedKey(u.PlanID), raw, 0); err != nil {
		return err
	}
	return b.withUnrecordedList(ctx, func() error {
		ids, err := b.unrecordedIDs(ctx)
		if err != nil {
			return err
		}
		if slices.Contains(ids, u.PlanID) {
			return nil
		}
		return b.putUnrecordedIDs(ctx, append(ids, u.PlanID))
	})
}

// unrecordedLock is the store lease that makes a change of the list one
// at a time, across goroutines and replicas: the list is read, changed
// and written back, and two writers at once would lose an entry.
const unrecordedLock = "unrecorded-list"

// withUnrecordedList runs change while holding the list's lease, waiting
// for it (on the bot's clock) while another writer holds it.
func (b *Bot) withUnrecordedList(ctx context.Context, change func() error) error {
	me, err := store.NewID()
	if err != nil {
		return err
	}
	for {
		held, err := b.store.AcquireLease(ctx, unrecordedLock, me, recordBudget)
		if err != nil {
			return fmt.Errorf("lock the unrecorded list: %w", err)
		}
		if held {
			break
		}
		// A writer holds the list for two store calls: try again soon,
		// at a jittered moment so that waiters do not wake together.
		if err := b.sleep(ctx, 5*time.Millisecond+rand.N(20*time.Millisecond)); err != nil {
			return fmt.Errorf("lock the unrecorded list: %w", err)
		}
	}
	defer func() {
		release, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = b.store.ReleaseLease(release, unrecordedLock, me)
	}()
	return change()
}

// unrecordedIDs reads the list of plans with steps left.
func (b *Bot) unrecordedIDs(ctx context.Context) ([]string, error) {
	raw, err := b.store.Blob(ctx, unrecordedIndex)
	if errors.Is(err, store.ErrNotFound) || (err == nil && len(raw) == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	if err := json.Unmarshal(raw, &ids); err != nil {
		return nil, fmt.Errorf("decode the unrecorded list: %w", err)
	}
	return ids, nil
}

func (b *Bot) putUnrecordedIDs(ctx context.Context, ids []string) error {
	raw, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	return b.store.PutBlob(ctx, unrecordedIndex, raw, 0)
}

// retryUnrecorded is the reconciler's retry of the steps finished applies
// left: each that lands is dropped from its marker, and a marker with
// nothing left is dropped from the list.
func (b *Bot) retryUnrecorded(ctx context.Context) error {
	ids, err := b.unrecordedIDs(ctx)
	if err != nil || len(ids) == 0 {
		return err
	}
	var keep []string
	for _, id := range ids {
		log := b.log.With("plan_id", id)
		if b.retryOne(ctx, log, id) {
			keep = append(keep, id)
		}
	}
	return b.withUnrecordedList(ctx, func() error {
		// A plan listed meanwhile by another owner is kept.
		cur, err := b.unrecordedIDs(ctx)
		if err != nil {
			return err
		}
		for _, id := range cur {
			if !slices.Contains(ids, id) && !slices.Contains(keep, id) {
				keep = append(keep, id)
			}
		}
		return b.putUnrecordedIDs(ctx, keep)
	})
}

// retryOne retries one plan's steps left; it reports whether some are
// still left.
func (b *Bot) retryOne(ctx context.Context, log *slog.Logger, id string) (left bool) {
	raw, err := b.store.Blob(ctx, unrecordedKey(id))
	if errors.Is(err, store.ErrNotFound) || (err == nil && len(raw) == 0) {
		return false
	}
	var u unrecorded
	if err == nil {
		err = json.Unmarshal(raw, &u)
	}
	if err != nil {
		log.Warn("could not read the unrecorded steps; will try again", "err", err)
		return true
	}
	var effs []effect
	if u.Update != nil {
		var bs slack.Blocks
		if err := bs.UnmarshalJSON(u.Update.Blocks); err != nil {
			log.Warn("could not decode the message left; dropping it", "err", err)
		} else {
			effs = append(effs, update{step: step{what: "show the outcome", record: true}, channel: u.Update.Channel, ts: u.Update.TS,
				msg: message{text: u.Update.Text, blocks: bs.BlockSet}})
		}
	}
	if u.Audit != nil {
		rec, err := b.store.Plan(ctx, id)
		if err != nil {
			rec = store.PlanRecord{ID: id} // the record alone, without the thread summary
		}
		effs = append(effs, audited(rec, *u.Audit, step{record: true})...)
	}
	rest := b.exec.runLeaving(ctx, log, effs)
	next, ok, err := leftOf(id, rest)
	if err == nil && ok {
		if err := b.putUnrecorded(ctx, next); err != nil {
			log.Warn("could not keep the unrecorded steps", "err", err)
		}
		return true
	}
	if err := b.store.PutBlob(ctx, unrecordedKey(id), []byte{}, 0); err != nil {
		log.Warn("could not clear the unrecorded steps", "err", err)
	}
	log.Info("recorded the steps an apply left", "message", u.Update != nil, "audit", u.Audit != nil)
	return false
}
