package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

var _ Store = (*Memory)(nil)

// errClosed is returned by a Memory after Close.
var errClosed = errors.New("store: closed")

// sweepInterval bounds how often a Memory scans its maps for entries past
// their deadline, so a long-running bot does not grow without bound while
// each call stays O(1) amortized.
const sweepInterval = time.Minute

// Memory is a [Store] held in process memory, for a single replica, the CLI,
// the demo and tests. It follows the same contract as [Redis], including
// retention and marker TTLs, measured on its clock. The zero value is not
// usable; call [NewMemory].
type Memory struct {
	now       func() time.Time
	retention time.Duration

	mu        sync.Mutex
	closed    bool
	plans     map[string]memPlan
	offers    map[string]memOffer
	audits    map[string]memAudit
	marks     map[string]time.Time // key → deadline
	log       []memLogEntry        // every audit record, in append order
	logSeq    int64
	leases    map[string]memLease
	blobs     map[string]memBlob
	lastSweep time.Time
}

type memLogEntry struct {
	rec AuditRecord
	seq int64 // append order
}

type memLease struct {
	owner   string
	untilMS int64 // Unix milliseconds: held while now's are below
}

type memBlob struct {
	data     []byte
	deadline time.Time
}

type memPlan struct {
	rec      PlanRecord
	deadline time.Time
}

type memOffer struct {
	rec      OfferRecord
	deadline time.Time
}

type memAudit struct {
	recs     []AuditRecord
	deadline time.Time
}

// MemoryOption configures a [Memory].
type MemoryOption func(*Memory)

// WithClock makes a Memory read the time from now instead of time.Now. Tests
// use it to move time without sleeping.
func WithClock(now func() time.Time) MemoryOption {
	return func(s *Memory) { s.now = now }
}

// NewMemory returns an empty in-memory store.
func NewMemory(opts ...MemoryOption) *Memory {
	s := &Memory{
		now:       time.Now,
		retention: DefaultRetention,
		plans:     make(map[string]memPlan),
		offers:    make(map[string]memOffer),
		audits:    make(map[string]memAudit),
		marks:     make(map[string]time.Time),
		leases:    make(map[string]memLease),
		blobs:     make(map[string]memBlob),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// begin checks ctx, takes the lock and returns the current time; the caller
// must call s.mu.Unlock when err is nil.
func (s *Memory) begin(ctx context.Context) (now time.Time, err error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return time.Time{}, errClosed
	}
	now = normalizeTime(s.now())
	s.sweep(now)
	return now, nil
}

// sweep drops entries past their deadline, at most once per sweepInterval.
func (s *Memory) sweep(now time.Time) {
	if now.Sub(s.lastSweep) < sweepInterval {
		return
	}
	s.lastSweep = now
	for k, p := range s.plans {
		if !now.Before(p.deadline) {
			delete(s.plans, k)
		}
	}
	for k, o := range s.offers {
		if !now.Before(o.deadline) {
			delete(s.offers, k)
		}
	}
	for k, a := range s.audits {
		if !now.Before(a.deadline) {
			delete(s.audits, k)
		}
	}
	for k, d := range s.marks {
		if !now.Before(d) {
			delete(s.marks, k)
		}
	}
	s.log = slices.DeleteFunc(s.log, func(e memLogEntry) bool { return !auditKept(e.rec.Time, now, s.retention) })
	for k, l := range s.leases {
		if now.UnixMilli() >= l.untilMS {
			delete(s.leases, k)
		}
	}
	for k, b := range s.blobs {
		if !now.Before(b.deadline) {
			delete(s.blobs, k)
		}
	}
}

// plan returns the live stored record of id.
func (s *Memory) plan(id string, now time.Time) (PlanRecord, bool) {
	p, ok := s.plans[id]
	if !ok || !now.Before(p.deadline) {
		return PlanRecord{}, false
	}
	return p.rec, true
}

// SavePlan implements [Store.SavePlan].
func (s *Memory) SavePlan(ctx context.Context, p PlanRecord) error {
	now, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	rec, err := newPlan(clonePlan(p), now)
	if err != nil {
		return err
	}
	if _, ok := s.plan(rec.ID, now); ok {
		return fmt.Errorf("store: save plan %s: already exists: %w", rec.ID, ErrConflict)
	}
	s.plans[rec.ID] = memPlan{rec: rec, deadline: planDeadline(rec, now, s.retention)}
	return nil
}

// Plan implements [Store.Plan].
func (s *Memory) Plan(ctx context.Context, id string) (PlanRecord, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return PlanRecord{}, err
	}
	defer s.mu.Unlock()
	rec, ok := s.plan(id, now)
	if !ok {
		return PlanRecord{}, fmt.Errorf("store: plan %s: %w", id, ErrNotFound)
	}
	return view(clonePlan(rec), now), nil
}

// Transition implements [Store.Transition]. The whole compare-and-set,
// mutate included, runs under the store's lock, so it is atomic by
// construction; that is why mutate must not call the store.
func (s *Memory) Transition(ctx context.Context, id string, from, to State, mutate func(*PlanRecord)) (PlanRecord, error) {
	if err := ctx.Err(); err != nil {
		return PlanRecord{}, err
	}
	if !from.CanTransition(to) {
		return PlanRecord{}, invalidTransition(from, to)
	}
	now, err := s.begin(ctx)
	if err != nil {
		return PlanRecord{}, err
	}
	defer s.mu.Unlock()
	cur, ok := s.plan(id, now)
	if !ok {
		return PlanRecord{}, fmt.Errorf("store: transition plan %s: %w", id, ErrNotFound)
	}
	if err := checkTransition(cur, from, to, now); err != nil {
		return PlanRecord{}, err
	}
	next, err := nextPlan(cur, to, now, mutate)
	if err != nil {
		return PlanRecord{}, err
	}
	s.plans[id] = memPlan{rec: next, deadline: planDeadline(next, now, s.retention)}
	return clonePlan(next), nil
}

// MarkOnce implements [Store.MarkOnce].
func (s *Memory) MarkOnce(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	ttl, err := checkTTL(ttl)
	if err != nil {
		return false, err
	}
	now, err := s.begin(ctx)
	if err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	if d, ok := s.marks[key]; ok && now.Before(d) {
		return false, nil
	}
	s.marks[key] = now.Add(ttl)
	return true, nil
}

// SaveOffer implements [Store.SaveOffer].
func (s *Memory) SaveOffer(ctx context.Context, o OfferRecord) error {
	now, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	rec, err := newOffer(o, now)
	if err != nil {
		return err
	}
	if cur, ok := s.offers[rec.ID]; ok && now.Before(cur.deadline) {
		return fmt.Errorf("store: save offer %s: already exists: %w", rec.ID, ErrConflict)
	}
	s.offers[rec.ID] = memOffer{rec: rec, deadline: offerDeadline(rec, now, s.retention)}
	return nil
}

// Offer implements [Store.Offer].
func (s *Memory) Offer(ctx context.Context, id string) (OfferRecord, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return OfferRecord{}, err
	}
	defer s.mu.Unlock()
	o, ok := s.offers[id]
	if !ok || !now.Before(o.deadline) {
		return OfferRecord{}, fmt.Errorf("store: offer %s: %w", id, ErrNotFound)
	}
	return normalizeOffer(o.rec), nil
}

// AppendAudit implements [Store.AppendAudit].
func (s *Memory) AppendAudit(ctx context.Context, r AuditRecord) error {
	now, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	r, err = newAudit(r, now)
	if err != nil {
		return err
	}
	a := s.audits[r.PlanID]
	if !now.Before(a.deadline) {
		a = memAudit{}
	}
	a.recs = append(a.recs, r)
	if d := now.Add(s.retention); d.After(a.deadline) {
		a.deadline = d
	}
	s.audits[r.PlanID] = a
	s.logSeq++
	s.log = append(s.log, memLogEntry{rec: cloneAudit(r), seq: s.logSeq})
	return nil
}

// Audit implements [Store.Audit].
func (s *Memory) Audit(ctx context.Context, planID string) ([]AuditRecord, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := []AuditRecord{}
	if a, ok := s.audits[planID]; ok && now.Before(a.deadline) {
		for _, r := range a.recs {
			out = append(out, cloneAudit(r))
		}
	}
	return out, nil
}

// RenewLease implements [Store.RenewLease].
func (s *Memory) RenewLease(ctx context.Context, id, owner string, until time.Time, rec json.RawMessage) (PlanRecord, error) {
	if err := ctx.Err(); err != nil {
		return PlanRecord{}, err
	}
	if err := checkRenew(owner, rec); err != nil {
		return PlanRecord{}, err
	}
	now, err := s.begin(ctx)
	if err != nil {
		return PlanRecord{}, err
	}
	defer s.mu.Unlock()
	cur, ok := s.plan(id, now)
	if !ok {
		return PlanRecord{}, fmt.Errorf("store: renew lease of plan %s: %w", id, ErrNotFound)
	}
	next, err := renewedPlan(cur, owner, until, rec, now)
	if err != nil {
		return PlanRecord{}, err
	}
	s.plans[id] = memPlan{rec: next, deadline: planDeadline(next, now, s.retention)}
	return clonePlan(next), nil
}

// Plans implements [Store.Plans].
func (s *Memory) Plans(ctx context.Context, f PlanFilter) ([]PlanRecord, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := []PlanRecord{}
	for id := range s.plans {
		rec, ok := s.plan(id, now)
		if !ok {
			continue
		}
		if rec = view(rec, now); matchPlan(rec, f) {
			out = append(out, clonePlan(rec))
		}
	}
	slices.SortFunc(out, comparePlans)
	if n := limitOf(f.Limit); len(out) > n {
		out = out[:n:n]
	}
	return out, nil
}

// AuditLog implements [Store.AuditLog].
func (s *Memory) AuditLog(ctx context.Context, f AuditFilter) ([]AuditRecord, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var hits []memLogEntry
	for _, e := range s.log {
		if auditKept(e.rec.Time, now, s.retention) && (f.ProjectKey == "" || e.rec.ProjectKey == f.ProjectKey) {
			hits = append(hits, e)
		}
	}
	slices.SortFunc(hits, func(a, b memLogEntry) int {
		if c := cmpInt(b.rec.Time.UnixMicro(), a.rec.Time.UnixMicro()); c != 0 {
			return c
		}
		return cmpInt(b.seq, a.seq)
	})
	out := make([]AuditRecord, 0, min(len(hits), limitOf(f.Limit)))
	for _, e := range hits[:min(len(hits), limitOf(f.Limit))] {
		out = append(out, cloneAudit(e.rec))
	}
	return out, nil
}

// AcquireLease implements [Store.AcquireLease].
func (s *Memory) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	ttl, err := checkLease(name, owner, ttl)
	if err != nil {
		return false, err
	}
	now, err := s.begin(ctx)
	if err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	nowMS := now.UnixMilli()
	if l, ok := s.leases[name]; ok && l.owner != owner && nowMS < l.untilMS {
		return false, nil
	}
	s.leases[name] = memLease{owner: owner, untilMS: nowMS + ttl.Milliseconds()}
	return true, nil
}

// ReleaseLease implements [Store.ReleaseLease].
func (s *Memory) ReleaseLease(ctx context.Context, name, owner string) error {
	if _, err := s.begin(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if l, ok := s.leases[name]; ok && l.owner == owner {
		delete(s.leases, name)
	}
	return nil
}

// PutBlob implements [Store.PutBlob].
func (s *Memory) PutBlob(ctx context.Context, key string, data []byte, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ttl, err := blobTTL(key, ttl, s.retention)
	if err != nil {
		return err
	}
	now, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.blobs[key] = memBlob{data: bytes.Clone(data), deadline: now.Add(ttl)}
	return nil
}

// Blob implements [Store.Blob].
func (s *Memory) Blob(ctx context.Context, key string) ([]byte, error) {
	now, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	b, ok := s.blobs[key]
	if !ok || !now.Before(b.deadline) {
		return nil, fmt.Errorf("store: blob %s: %w", key, ErrNotFound)
	}
	return append([]byte{}, b.data...), nil
}

// Ping implements [Store.Ping]: it returns nil until Close.
func (s *Memory) Ping(ctx context.Context) error {
	if _, err := s.begin(ctx); err != nil {
		return err
	}
	s.mu.Unlock()
	return nil
}

// Close implements [Store.Close]: it drops all data, and every later call
// except Close returns an error.
func (s *Memory) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.plans, s.offers, s.audits, s.marks = nil, nil, nil, nil
	s.log, s.leases, s.blobs = nil, nil, nil
	return nil
}
