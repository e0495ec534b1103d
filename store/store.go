package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrNotFound is returned when a plan does not exist: it was never saved, or
// its retention period has passed.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a write loses: a plan ID that already exists,
// a compare-and-set whose expected state no longer holds, or a transition the
// state machine does not allow. Errors that wrap it carry the detail; test
// with errors.Is.
var ErrConflict = errors.New("store: conflict")

// ErrUnavailable is wrapped by an error of a store whose backend did not
// answer: Redis refused the connection, timed out or dropped it. It is
// never wrapped around a failure caused by the caller's context ending, nor
// around ErrNotFound or ErrConflict; test with errors.Is. The memory store
// never returns it.
var ErrUnavailable = errors.New("store: unavailable")

// DefaultRetention is how long a store keeps a plan and its audit records
// after they stop changing (see [Store] for the exact rule).
const DefaultRetention = 7 * 24 * time.Hour

// State is the lifecycle state of a repair plan.
//
// The allowed transitions are
//
//	pending  → applying | dismissed | expired
//	applying → applied | failed
//	applied  → undone
//
// Every other pair, including a state to itself, is refused with
// [ErrConflict]. Failed, dismissed, expired and undone are final.
type State string

// The plan states. A plan is saved as [StatePending].
const (
	StatePending   State = "pending"   // waiting for an approver
	StateApplying  State = "applying"  // approved; the repair is running
	StateApplied   State = "applied"   // the repair succeeded
	StateFailed    State = "failed"    // the repair ran and failed
	StateDismissed State = "dismissed" // someone declined the plan
	StateExpired   State = "expired"   // nobody approved it before ExpiresAt
	StateUndone    State = "undone"    // an applied repair was reverted
)

// CanTransition reports whether the state machine allows moving a plan from
// s to the state to. It is false for unknown states and for s == to.
func (s State) CanTransition(to State) bool {
	switch s {
	case StatePending:
		return to == StateApplying || to == StateDismissed || to == StateExpired
	case StateApplying:
		return to == StateApplied || to == StateFailed
	case StateApplied:
		return to == StateUndone
	}
	return false
}

// PlanRecord is a repair plan waiting for, or past, approval. The Slack
// button carries only ID; everything else is read back from the store.
//
// Stores return times in UTC with the monotonic clock reading stripped, so a
// record read back compares equal with == on its time fields regardless of
// the implementation.
type PlanRecord struct {
	// ID is the plan's unguessable identifier, as made by [NewID].
	ID string `json:"id"`
	// State is set by the store: [StatePending] on save, then by [Store.Transition].
	State State `json:"state"`
	// Version is set by the store: 1 on save, incremented by every transition.
	Version int64 `json:"version"`

	ProjectKey string `json:"projectKey"` // Jira project the plan repairs
	Mode       string `json:"mode"`       // repair mode: "in-place" or "copy"
	Digest     string `json:"digest"`     // digest of the scheme state the plan was computed from

	// Plan is the repair plan itself, opaque to the store. It must be valid
	// JSON (or empty); stores keep it in compact form.
	Plan json.RawMessage `json:"plan,omitempty"`

	RequesterID string `json:"requesterId"` // Slack user who asked for the diagnosis
	ApproverID  string `json:"approverId"`  // Slack user who approved or dismissed it

	ChannelID string `json:"channelId"` // Slack channel of the report message
	MessageTS string `json:"messageTs"` // timestamp of the report message
	ThreadTS  string `json:"threadTs"`  // thread of the report message, if any

	CreatedAt time.Time `json:"createdAt"` // set by the store on save
	UpdatedAt time.Time `json:"updatedAt"` // set by the store on save and on every transition
	ExpiresAt time.Time `json:"expiresAt"` // a pending plan expires at this instant; required

	// Result is a short outcome text, set by the caller through the mutate
	// function of [Store.Transition] after applying or failing. It is for
	// people: decisions read State and SupersededBy, never Result.
	Result string `json:"result,omitempty"`

	// SupersededBy is set on a plan that went from pending to dismissed
	// because another plan offered with it (the other repair mode) was
	// approved: it holds that plan's ID. A plan dismissed by a person has
	// it empty. Set it through the mutate function of [Store.Transition].
	SupersededBy string `json:"supersededBy,omitempty"`

	// Owner is the replica applying (or undoing) the plan. Approval sets it
	// through the mutate function of the pending → applying [Store.Transition];
	// [Store.RenewLease] accepts only this owner.
	Owner string `json:"owner,omitempty"`
	// LeaseUntil is an applying plan's lease: its owner renews it with
	// [Store.RenewLease] while it works, and the reconciler settles the plan
	// after this instant ([PlanFilter].LeaseBefore). Zero counts as run out.
	LeaseUntil time.Time `json:"leaseUntil,omitzero"`
	// Record is what the apply did (a repair.Record as JSON), for settle and
	// undo; opaque to the store. It must be valid JSON (or empty); stores keep
	// it in compact form, like Plan.
	Record json.RawMessage `json:"record,omitempty"`
}

// PlanFilter selects plans for [Store.Plans]. Zero fields match every plan;
// set fields must all match.
type PlanFilter struct {
	// State matches the state [Store.Plan] reports, expiry applied: a
	// pending plan past its ExpiresAt matches StateExpired, not StatePending.
	State State
	// ProjectKey matches PlanRecord.ProjectKey exactly.
	ProjectKey string
	// LeaseBefore, when not zero, matches plans whose LeaseUntil is before
	// it or zero: with State StateApplying and the current time, the
	// applying plans whose lease ran out.
	LeaseBefore time.Time
	// Limit is the most plans returned; zero or less means 100.
	Limit int
}

// AuditFilter selects audit records for [Store.AuditLog].
type AuditFilter struct {
	// ProjectKey, when set, keeps only records whose ProjectKey it is.
	ProjectKey string
	// Limit is the most records returned; zero or less means 100.
	Limit int
}

// DefaultLimit is the number of plans or audit records [Store.Plans] and
// [Store.AuditLog] return when the filter's Limit is zero.
const DefaultLimit = 100

// OfferRecord is an offer to diagnose a reported problem: what a message
// said about customers who could not be added, behind an unguessable ID
// that the offer's button carries. It is not a plan: it has no state, it
// is never approved, and [Store.Plan] does not know its ID.
//
// Stores return times in UTC without the monotonic clock reading, as for
// [PlanRecord].
type OfferRecord struct {
	// ID is the offer's unguessable identifier, as made by [NewID].
	ID string `json:"id"`

	ProjectKey string   `json:"projectKey,omitempty"` // project the message named, if any
	PortalID   string   `json:"portalId,omitempty"`   // customer portal the message linked, if no key
	Emails     []string `json:"emails,omitempty"`     // customers the message said could not be added
	Error      string   `json:"error,omitempty"`      // the message's text, clipped, for the form

	RequesterID string `json:"requesterId"` // user who wrote the message
	ChannelID   string `json:"channelId"`   // channel of the message
	MessageTS   string `json:"messageTs"`   // timestamp of the message
	ThreadTS    string `json:"threadTs"`    // thread the offer was posted in

	CreatedAt time.Time `json:"createdAt"` // set by the store on save
	ExpiresAt time.Time `json:"expiresAt"` // the offer's button stops working at this instant; required
}

// AuditRecord is one decision about a plan: who asked, who decided, what the
// repair changed, and how it ended.
type AuditRecord struct {
	ID          string    `json:"id"`     // set by the store with [NewID] when empty
	PlanID      string    `json:"planId"` // required
	Time        time.Time `json:"time"`   // set to the store's clock when zero
	RequesterID string    `json:"requesterId"`
	ApproverID  string    `json:"approverId"`
	ProjectKey  string    `json:"projectKey"`
	Digest      string    `json:"digest"`
	// Action says what happened: "applied", "failed", "dismissed", "denied",
	// "expired", "undone", and so on.
	Action  string   `json:"action"`
	Result  string   `json:"result,omitempty"`
	Created []string `json:"created,omitempty"` // grants the repair created
	Removed []string `json:"removed,omitempty"` // grants the repair removed
}

// Store keeps repair plans, de-duplication markers and the audit trail. It
// is shared by every replica of the bot, so every write that decides
// something is atomic. The package storetest checks these rules against
// every implementation.
//
// All methods are safe for concurrent use. Each one first checks ctx and
// returns ctx.Err() unchanged if it is done; an operation interrupted by ctx
// ending returns an error (for Redis, whatever the client reports: usually
// wrapping ctx.Err(), sometimes a network timeout). A backend that does not
// answer while ctx is live yields an error wrapping [ErrUnavailable]. After
// Close, every method returns an error.
//
// Retention: a plan is kept until Retention (by default [DefaultRetention])
// after the later of its ExpiresAt and its last write (save, transition or
// [Store.RenewLease]), an offer until Retention after the later of its
// ExpiresAt and its save; a plan's audit list is kept until Retention after
// its last append. After that, they are gone: Plan returns [ErrNotFound],
// Plans does not list the plan, and Audit returns an empty list. In
// [Store.AuditLog] each record is kept until Retention after its Time. A
// blob is kept for its ttl, a named lease until it expires or is released.
type Store interface {
	// SavePlan stores a new plan in StatePending with Version 1, setting
	// CreatedAt and UpdatedAt to the store's clock; the State, Version,
	// CreatedAt and UpdatedAt fields of p are ignored. It returns
	// ErrConflict if a plan with p.ID already exists (it never overwrites),
	// and a plain error if p.ID is empty, p.ExpiresAt is zero or p.Plan is
	// not valid JSON. Of concurrent saves of one ID exactly one succeeds.
	SavePlan(ctx context.Context, p PlanRecord) error

	// Plan returns the plan with the given ID, or ErrNotFound. A pending
	// plan whose ExpiresAt has passed (now >= ExpiresAt) is reported with
	// State StateExpired; the stored record is not changed by reading, so
	// Version and UpdatedAt stay as they were until someone calls
	// Transition(id, StatePending, StateExpired, …).
	Plan(ctx context.Context, id string) (PlanRecord, error)

	// Transition atomically moves the plan from state from to state to, a
	// compare-and-set: of any number of concurrent calls with the same from,
	// across processes, exactly one succeeds.
	//
	// mutate, if not nil, is called with a copy of the current record and
	// may set fields such as ApproverID and Result; the store then sets
	// State to to, increments Version, sets UpdatedAt to its clock, and
	// restores ID and CreatedAt. mutate may run even when the transition
	// then loses, so it must have no other effect; it must not call the
	// store. Transition returns the record as stored.
	//
	// It returns an error wrapping ErrConflict, leaving the plan unchanged,
	// if from→to is not an allowed transition (checked before the plan is
	// looked up), or if the plan is not in state from. Expiry wins: a
	// pending plan past its ExpiresAt can no longer go to applying or
	// dismissed, but going to expired records the expiry (once). It
	// returns ErrNotFound if the plan does not exist.
	Transition(ctx context.Context, id string, from, to State, mutate func(*PlanRecord)) (PlanRecord, error)

	// MarkOnce sets the de-duplication marker key for ttl, if it is not set
	// already. It reports true if this call set it and false if it was
	// present. Of concurrent calls with one key exactly one gets true. After
	// ttl has passed the marker is gone and the next call gets true again.
	// ttl must be positive; it is rounded up to a whole millisecond.
	MarkOnce(ctx context.Context, key string, ttl time.Duration) (bool, error)

	// AppendAudit appends r to the audit list of plan r.PlanID, which need
	// not exist as a plan. An empty r.ID is filled with NewID and a zero
	// r.Time with the store's clock. It returns an error if r.PlanID is empty.
	AppendAudit(ctx context.Context, r AuditRecord) error

	// SaveOffer stores a new report offer, setting CreatedAt to the
	// store's clock. It returns ErrConflict if an offer with o.ID already
	// exists (it never overwrites), and a plain error if o.ID is empty or
	// o.ExpiresAt is zero. Offers and plans have separate IDs: an offer's
	// ID is unknown to Plan and a plan's to Offer.
	SaveOffer(ctx context.Context, o OfferRecord) error

	// Offer returns the offer with the given ID, or ErrNotFound. An offer
	// past its ExpiresAt is still returned, unchanged, until its retention
	// ends (the same rule as a plan's), so that the caller can tell "expired"
	// from "unknown" by comparing ExpiresAt with its clock.
	Offer(ctx context.Context, id string) (OfferRecord, error)

	// Audit returns the audit records of plan planID in the order they were
	// appended (oldest first), or an empty, non-nil slice if there are none.
	Audit(ctx context.Context, planID string) ([]AuditRecord, error)

	// RenewLease extends the lease of a plan in StateApplying owned by
	// owner to until. It returns an error wrapping ErrConflict if the plan
	// is not applying (expiry does not apply: only pending plans expire) or
	// has another owner, ErrNotFound if it does not exist, and a plain
	// error if owner is empty or rec is not valid JSON. When rec is not nil
	// it also sets Record to rec (an empty, non-nil rec clears it) in the
	// same atomic write, so an owner records each write as it lands. It
	// does not change Version (a lease is not a transition) but sets
	// UpdatedAt to the store's clock, which also restarts the plan's
	// retention. It returns the record as stored. A renewal never makes a
	// concurrent Transition of the plan lose: only a change of state does.
	RenewLease(ctx context.Context, id, owner string, until time.Time, rec json.RawMessage) (PlanRecord, error)

	// Plans lists the plans matching f, as Plan reports them (expiry
	// applied), oldest UpdatedAt first (to the microsecond; ties by ID), at
	// most f.Limit (zero: [DefaultLimit]). It returns an empty, non-nil
	// slice when none match. It is not a snapshot: a plan written while
	// Plans runs may be listed in either form or missed. For the reconciler,
	// PlanFilter{State: StateApplying, LeaseBefore: now} lists the applying
	// plans whose lease ran out; for the CLI and App Home,
	// PlanFilter{State: StatePending} and PlanFilter{ProjectKey: "HELP"}.
	Plans(ctx context.Context, f PlanFilter) ([]PlanRecord, error)

	// AuditLog returns the audit records of every plan, newest Time first
	// (to the microsecond; equal times latest append first), at most
	// f.Limit (zero: [DefaultLimit]), only those whose ProjectKey is
	// f.ProjectKey when that is set. It returns an empty, non-nil slice
	// when there are none. A record leaves the log Retention after its Time
	// (it may stay longer in its plan's Audit list). For `jsmbot history [KEY]`.
	AuditLog(ctx context.Context, f AuditFilter) ([]AuditRecord, error)

	// AcquireLease takes or renews the named lease (a replica-wide role
	// such as "reconciler" or "watch") for owner until now+ttl on the
	// store's clock, to the millisecond. It reports true when owner holds
	// it after the call: it was free, expired (now >= its end), released,
	// or already owner's (then renewed to now+ttl). Of concurrent callers
	// exactly one wins a free lease. It returns a plain error if name or
	// owner is empty or ttl is not positive; ttl is rounded up to a whole
	// millisecond.
	AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)

	// ReleaseLease gives up the named lease if owner holds it, so that the
	// next AcquireLease by anyone wins at once; otherwise it does nothing
	// and returns nil.
	ReleaseLease(ctx context.Context, name, owner string) error

	// PutBlob keeps a small opaque value (the site index, the watch cursor,
	// the last audit) under key for ttl (zero: the store's retention,
	// [DefaultRetention]), replacing any value there. It returns a plain
	// error if key is empty or ttl is negative; ttl is rounded up to a
	// whole millisecond. Blob keys are their own namespace.
	PutBlob(ctx context.Context, key string, data []byte, ttl time.Duration) error

	// Blob returns a copy of the value under key (non-nil, possibly empty),
	// or ErrNotFound when there is none or its ttl has passed.
	Blob(ctx context.Context, key string) ([]byte, error)

	// Ping reports whether the store answers; it returns nil if it does.
	Ping(ctx context.Context) error

	// Close releases the store's resources (for Redis, the client it was
	// given). Calling it again returns the first call's result.
	Close() error
}

// NewID returns a new random identifier for a plan: 128 bits from
// crypto/rand, written as 26 characters of lowercase unpadded base32
// (a–z, 2–7), safe in URLs, Redis keys and Slack action values. The ID is
// what a Slack button carries, so it must not be guessable. The error is
// that of crypto/rand (which, since Go 1.24, does not fail).
func NewID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("store: new id: %w", err)
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])), nil
}

// ValidID reports whether id has the shape of an ID from [NewID]: 26
// characters of lower-case base32. A value that does not is refused before
// any lookup, so forged text never reaches a key.
func ValidID(id string) bool {
	if len(id) != 26 {
		return false
	}
	for _, r := range id {
		if (r < 'a' || r > 'z') && (r < '2' || r > '7') {
			return false
		}
	}
	return true
}

// The functions below hold the rules both implementations share, so Memory
// and Redis cannot drift apart: each does only the storing.

// newPlan validates p and returns the record to store as a new plan.
func newPlan(p PlanRecord, now time.Time) (PlanRecord, error) {
	if p.ID == "" {
		return PlanRecord{}, errors.New("store: save plan: empty id")
	}
	if p.ExpiresAt.IsZero() {
		return PlanRecord{}, fmt.Errorf("store: save plan %s: zero ExpiresAt", p.ID)
	}
	plan, err := compactJSON(p.Plan)
	if err != nil {
		return PlanRecord{}, fmt.Errorf("store: save plan %s: %w", p.ID, err)
	}
	p.Plan = plan
	if p.Record, err = compactRecord(p.Record); err != nil {
		return PlanRecord{}, fmt.Errorf("store: save plan %s: %w", p.ID, err)
	}
	p.State = StatePending
	p.Version = 1
	p.CreatedAt = now
	p.UpdatedAt = now
	return normalizePlan(p), nil
}

// view returns the record as Plan reports it at now: expiry is applied on
// read, never written.
func view(p PlanRecord, now time.Time) PlanRecord {
	if p.State == StatePending && !now.Before(p.ExpiresAt) {
		p.State = StateExpired
	}
	return p
}

// checkTransition reports whether from→to may be applied to the stored
// record cur at now.
func checkTransition(cur PlanRecord, from, to State, now time.Time) error {
	if !from.CanTransition(to) {
		return invalidTransition(from, to)
	}
	state := view(cur, now).State
	if from == StatePending && to == StateExpired {
		// Recording an expiry that has already happened on read is what
		// this transition is for, so it compares the stored state.
		state = cur.State
	}
	if state != from {
		return fmt.Errorf("store: transition plan %s from %s to %s: plan is %s: %w", cur.ID, from, to, state, ErrConflict)
	}
	return nil
}

func invalidTransition(from, to State) error {
	return fmt.Errorf("store: transition from %q to %q is not allowed: %w", from, to, ErrConflict)
}

// nextPlan returns the record that replaces cur after a transition to to.
func nextPlan(cur PlanRecord, to State, now time.Time, mutate func(*PlanRecord)) (PlanRecord, error) {
	next := clonePlan(cur)
	if mutate != nil {
		mutate(&next)
	}
	plan, err := compactJSON(next.Plan)
	if err != nil {
		return PlanRecord{}, fmt.Errorf("store: transition plan %s: %w", cur.ID, err)
	}
	next.Plan = plan
	if next.Record, err = compactRecord(next.Record); err != nil {
		return PlanRecord{}, fmt.Errorf("store: transition plan %s: %w", cur.ID, err)
	}
	next.ID = cur.ID
	next.State = to
	next.Version = cur.Version + 1
	next.CreatedAt = cur.CreatedAt
	next.UpdatedAt = now
	return normalizePlan(next), nil
}

// renewedPlan returns the record that replaces cur after RenewLease, or
// the error RenewLease returns.
func renewedPlan(cur PlanRecord, owner string, until time.Time, rec json.RawMessage, now time.Time) (PlanRecord, error) {
	if cur.State != StateApplying {
		return PlanRecord{}, fmt.Errorf("store: renew lease of plan %s: plan is %s: %w", cur.ID, cur.State, ErrConflict)
	}
	if cur.Owner != owner {
		return PlanRecord{}, fmt.Errorf("store: renew lease of plan %s: owned by another replica: %w", cur.ID, ErrConflict)
	}
	next := clonePlan(cur)
	next.LeaseUntil = until
	if rec != nil {
		r, err := compactRecord(rec)
		if err != nil {
			return PlanRecord{}, fmt.Errorf("store: renew lease of plan %s: %w", cur.ID, err)
		}
		next.Record = r
	}
	next.UpdatedAt = now
	return normalizePlan(next), nil
}

// checkRenew validates RenewLease's arguments before any lookup.
func checkRenew(owner string, rec json.RawMessage) error {
	if owner == "" {
		return errors.New("store: renew lease: empty owner")
	}
	if _, err := compactRecord(rec); err != nil {
		return fmt.Errorf("store: renew lease: %w", err)
	}
	return nil
}

// limitOf returns the number of entries a filter's limit asks for.
func limitOf(n int) int {
	if n <= 0 {
		return DefaultLimit
	}
	return n
}

// matchPlan reports whether p, as Plan reports it at now, matches f.
func matchPlan(p PlanRecord, f PlanFilter) bool {
	if f.State != "" && p.State != f.State {
		return false
	}
	if f.ProjectKey != "" && p.ProjectKey != f.ProjectKey {
		return false
	}
	if !f.LeaseBefore.IsZero() && !p.LeaseUntil.IsZero() && !p.LeaseUntil.Before(f.LeaseBefore) {
		return false
	}
	return true
}

// comparePlans orders plans as Plans lists them: UpdatedAt to the
// microsecond (the resolution of Redis's index scores), then ID.
func comparePlans(a, b PlanRecord) int {
	if c := cmpInt(a.UpdatedAt.UnixMicro(), b.UpdatedAt.UnixMicro()); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// auditKept reports whether a record of time tm is still in the audit log
// at now: until retention after tm, to the microsecond.
func auditKept(tm, now time.Time, retention time.Duration) bool {
	return tm.UnixMicro() > now.Add(-retention).UnixMicro()
}

// checkLease validates AcquireLease's arguments and rounds ttl up to a
// whole millisecond.
func checkLease(name, owner string, ttl time.Duration) (time.Duration, error) {
	if name == "" || owner == "" {
		return 0, fmt.Errorf("store: acquire lease %q for %q: empty name or owner", name, owner)
	}
	if ttl <= 0 {
		return 0, fmt.Errorf("store: acquire lease %s: ttl %v is not positive", name, ttl)
	}
	return roundMillis(ttl), nil
}

// blobTTL validates PutBlob's arguments and returns the ttl to use.
func blobTTL(key string, ttl, retention time.Duration) (time.Duration, error) {
	if key == "" {
		return 0, errors.New("store: put blob: empty key")
	}
	if ttl < 0 {
		return 0, fmt.Errorf("store: put blob %s: ttl %v is negative", key, ttl)
	}
	if ttl == 0 {
		ttl = retention
	}
	return roundMillis(ttl), nil
}

// roundMillis rounds d up to a whole millisecond, Redis's resolution.
func roundMillis(d time.Duration) time.Duration {
	return (d + time.Millisecond - 1).Truncate(time.Millisecond)
}

// newOffer validates o and returns the record to store as a new offer.
func newOffer(o OfferRecord, now time.Time) (OfferRecord, error) {
	if o.ID == "" {
		return OfferRecord{}, errors.New("store: save offer: empty id")
	}
	if o.ExpiresAt.IsZero() {
		return OfferRecord{}, fmt.Errorf("store: save offer %s: zero ExpiresAt", o.ID)
	}
	o.CreatedAt = now
	return normalizeOffer(o), nil
}

// offerDeadline is when a stored offer may be forgotten: the plan rule.
func offerDeadline(o OfferRecord, now time.Time, retention time.Duration) time.Time {
	return planDeadline(PlanRecord{ExpiresAt: o.ExpiresAt}, now, retention)
}

// normalizeOffer puts o's times in UTC and deep-copies its emails; an
// empty list becomes nil, as a JSON round trip (omitempty) makes it.
func normalizeOffer(o OfferRecord) OfferRecord {
	o.CreatedAt = normalizeTime(o.CreatedAt)
	o.ExpiresAt = normalizeTime(o.ExpiresAt)
	o.Emails = cloneStrings(o.Emails)
	return o
}

// planDeadline is when a stored plan may be forgotten.
func planDeadline(p PlanRecord, now time.Time, retention time.Duration) time.Time {
	if p.ExpiresAt.After(now) {
		return p.ExpiresAt.Add(retention)
	}
	return now.Add(retention)
}

// newAudit validates r and fills in its ID and time.
func newAudit(r AuditRecord, now time.Time) (AuditRecord, error) {
	if r.PlanID == "" {
		return AuditRecord{}, errors.New("store: append audit: empty plan id")
	}
	if r.ID == "" {
		id, err := NewID()
		if err != nil {
			return AuditRecord{}, err
		}
		r.ID = id
	}
	if r.Time.IsZero() {
		r.Time = now
	}
	r.Time = normalizeTime(r.Time)
	return cloneAudit(r), nil
}

// checkTTL validates a MarkOnce ttl and rounds it up to a whole millisecond,
// Redis's resolution.
func checkTTL(ttl time.Duration) (time.Duration, error) {
	if ttl <= 0 {
		return 0, fmt.Errorf("store: mark once: ttl %v is not positive", ttl)
	}
	return roundMillis(ttl), nil
}

// compactJSON validates raw and returns it compacted, without HTML escaping,
// exactly as it will read back after a JSON round trip. Empty stays nil.
func compactJSON(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, fmt.Errorf("plan is not valid JSON: %w", err)
	}
	return buf.Bytes(), nil
}

// compactRecord is compactJSON for PlanRecord.Record.
func compactRecord(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, fmt.Errorf("record is not valid JSON: %w", err)
	}
	return buf.Bytes(), nil
}

func normalizePlan(p PlanRecord) PlanRecord {
	p.LeaseUntil = normalizeTime(p.LeaseUntil)
	p.CreatedAt = normalizeTime(p.CreatedAt)
	p.UpdatedAt = normalizeTime(p.UpdatedAt)
	p.ExpiresAt = normalizeTime(p.ExpiresAt)
	return p
}

// normalizeTime returns t in UTC without its monotonic reading, the form a
// JSON round trip produces.
func normalizeTime(t time.Time) time.Time {
	return t.UTC()
}

func clonePlan(p PlanRecord) PlanRecord {
	p.Plan = bytes.Clone(p.Plan)
	p.Record = bytes.Clone(p.Record)
	return p
}

// cloneAudit deep-copies r; empty lists become nil, as a JSON round trip
// (omitempty) makes them.
func cloneAudit(r AuditRecord) AuditRecord {
	r.Created = cloneStrings(r.Created)
	r.Removed = cloneStrings(r.Removed)
	return r
}

func cloneStrings(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}
