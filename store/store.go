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
}

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
// after the later of its ExpiresAt and its last save or transition, an
// offer until Retention after the later of its ExpiresAt and its save; a
// plan's audit list is kept until Retention after its last append. After that, they
// are gone: Plan returns [ErrNotFound] and Audit an empty list.
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
	next.ID = cur.ID
	next.State = to
	next.Version = cur.Version + 1
	next.CreatedAt = cur.CreatedAt
	next.UpdatedAt = now
	return normalizePlan(next), nil
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
	return (ttl + time.Millisecond - 1).Truncate(time.Millisecond), nil
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

func normalizePlan(p PlanRecord) PlanRecord {
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
