package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// This file keeps the engine's site index (repair.Index: which project
// uses which scheme) in the store, shared by every replica, and refreshes
// it in the background, so that a diagnosis or an approval never pays for
// a scan of the whole site inside its handler's timeout (issue 10).

// indexBlob is the store blob that holds the site index, as JSON.
const indexBlob = "site-index"

// indexBlobTTL is how long a stored index outlives its last save: long
// enough for a restart, short enough that a stopped deployment does not
// keep it. A diagnosis ignores an index older than the engine's maximum
// age anyway.
const indexBlobTTL = 24 * time.Hour

// indexRefreshLease is the store lease that lets one replica at a time
// refresh the site index.
const indexRefreshLease = "index-refresh"

// DefaultIndexRefresh is how often [Bot.KeepIndexFresh] refreshes the site
// index: well within [repair.DefaultIndexMaxAge], so that a diagnosis
// always finds a fresh one.
const DefaultIndexRefresh = 4 * time.Minute

// NewIndexStore returns a [repair.IndexStore] that keeps the site index in
// st (the blob "site-index"), so that replicas sharing one Redis share one
// index. Give it to the engine with [repair.WithIndexStore].
func NewIndexStore(st store.Store) repair.IndexStore { return &storeIndex{st: st} }

// storeIndex is the [repair.IndexStore] of [NewIndexStore]. It remembers
// the last index it decoded or saved with its bytes, so that loading an
// unchanged index neither decodes it again nor hands the engine a new
// pointer (the engine then keeps its lookups).
type storeIndex struct {
	st store.Store

	mu  sync.Mutex
	raw []byte
	idx *repair.Index
}

// LoadIndex implements [repair.IndexStore].
func (s *storeIndex) LoadIndex(ctx context.Context) (*repair.Index, error) {
	raw, err := s.st.Blob(ctx, indexBlob)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load the site index: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.idx != nil && bytes.Equal(raw, s.raw) {
		return s.idx, nil
	}
	var idx repair.Index
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, fmt.Errorf("decode the site index: %w", err)
	}
	s.raw, s.idx = raw, &idx
	return &idx, nil
}

// SaveIndex implements [repair.IndexStore].
func (s *storeIndex) SaveIndex(ctx context.Context, idx *repair.Index) error {
	raw, err := json.Marshal(idx)
	if err != nil {
		return fmt.Errorf("encode the site index: %w", err)
	}
	if err := s.st.PutBlob(ctx, indexBlob, raw, indexBlobTTL); err != nil {
		return fmt.Errorf("save the site index: %w", err)
	}
	s.mu.Lock()
	s.raw, s.idx = raw, idx
	s.mu.Unlock()
	return nil
}

// KeepIndexFresh refreshes the engine's site index at once and then every
// interval (DefaultIndexRefresh when not positive) until ctx ends, one
// replica at a time through the store's "index-refresh" lease, which the
// refreshing replica holds for two intervals and renews each time. It
// waits on [Config.Sleep]'s clock. A failed refresh is logged; the next
// one tries again, and a diagnosis meanwhile scans itself when the index
// grows too old.
func (b *Bot) KeepIndexFresh(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultIndexRefresh
	}
	for {
		b.refreshIndex(ctx, interval)
		if err := b.exec.wait(ctx, interval); err != nil {
			return
		}
	}
}

// refreshIndex refreshes the site index when this replica holds (or
// takes) the refresh lease.
func (b *Bot) refreshIndex(ctx context.Context, interval time.Duration) {
	log := b.log.With("lease", indexRefreshLease)
	held, err := b.store.AcquireLease(ctx, indexRefreshLease, b.cfg.Owner, 2*interval)
	if err != nil {
		log.Warn("could not take the index refresh lease", "err", err)
		return
	}
	if !held {
		log.Debug("another replica refreshes the site index")
		return
	}
	start := time.Now()
	idx, err := b.engine.RefreshIndex(ctx)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("could not refresh the site index", "err", err)
		}
		return
	}
	log.Info("site index refreshed", "projects", len(idx.Projects), "schemes", len(idx.Schemes), "took", time.Since(start))
}
