// Package store keeps jsmbot's state: repair plans waiting for approval
// and the leases of those being applied, offers to diagnose a reported
// problem, de-duplication markers for Slack envelopes, the audit trail of
// every decision, replica-wide leases (one reconciler, one watcher) and
// small blobs (the site index, the watch cursor, the last audit).
//
// [Store] is the contract. Two implementations ship: [Memory], for a single
// replica, the CLI, the demo and tests, and [Redis], shared by several
// replicas. Package storetest runs the same contract suite against both.
//
// # Plans and approval
//
// A Slack button carries only a plan ID, made by [NewID] so it cannot be
// guessed; everything else is read back with [Store.Plan]. A plan is saved
// in [StatePending] and moves only along
//
//	pending  → applying | dismissed | expired
//	applying → applied | failed
//	applied  → undone
//
// Every move is a compare-and-set ([Store.Transition]): however many clicks,
// redeliveries or replicas race, exactly one wins and the others get
// [ErrConflict]. The usual approval is
//
//	rec, err := st.Transition(ctx, id, store.StatePending, store.StateApplying,
//		func(p *store.PlanRecord) { p.ApproverID = user })
//	if errors.Is(err, store.ErrConflict) {
//		// someone else was first, or the plan expired or was dismissed
//	}
//
// Of the plans offered together (both repair modes of a shared scheme),
// approving one dismisses the others; such a plan records the approved
// plan's ID in SupersededBy, so "not chosen" and "dismissed by a person"
// are told apart by a field, not by words in Result.
//
// # Applying, leases and the reconciler
//
// Approval's pending → applying transition records the replica doing the
// work in Owner and a first lease in LeaseUntil (through mutate). While it
// works the owner calls [Store.RenewLease], which extends the lease and,
// in the same atomic write, stores in Record what has landed so far, so a
// crash loses nothing that Jira holds. A renewal changes neither State nor
// Version and never makes the owner's final Transition lose. The
// reconciler finds the plans whose owner died with
//
//	st.Plans(ctx, store.PlanFilter{State: store.StateApplying, LeaseBefore: now})
//
// and settles each by a Transition to applied or failed, reading Record.
// Undo (applied → undone) reads Record too. [Store.Plans] also lists
// pending plans and a project's plans for the CLI and App Home.
//
// Replica-wide roles use a named lease: [Store.AcquireLease] returns true
// to exactly one replica at a time, which renews it by calling again
// within the ttl and gives it up with [Store.ReleaseLease]. [Store.PutBlob]
// and [Store.Blob] keep small opaque values for a ttl.
//
// # Where new things go
//
// A new record type or operation is added to the [Store] interface with
// its full contract in its doc comment, its shared rules (validation,
// ordering, deadlines) as functions in store.go used by both
// implementations, then [Memory] and [Redis] (a Redis write that decides
// something is one Lua script, indexes included), and a storetest subtest
// for every rule, which then runs against Memory, miniredis and a real
// Redis.
//
// # Offers
//
// An [OfferRecord] is not a plan: the detector's reply to a message about
// customers who could not be added carries an offer's ID, and the offer
// holds what the message said. It has no state; [Store.SaveOffer] stores
// it once and [Store.Offer] reads it back, past its ExpiresAt too, until
// its retention ends.
//
// # Expiry
//
// A pending plan expires at its ExpiresAt (now >= ExpiresAt, on the store's
// clock). Expiry is applied on read and is never written by a read:
// [Store.Plan] reports such a plan as [StateExpired], and a transition from
// pending to applying or dismissed fails with [ErrConflict] (expiry wins).
// Whoever wants the expiry recorded — to update the Slack message and write
// an audit record, once — calls Transition(id, StatePending, StateExpired, …),
// which succeeds for exactly one caller. Plans in any other state never
// expire.
//
// # Retention
//
// Nothing is kept forever. A plan (or an offer) is forgotten
// [DefaultRetention] after the later of its ExpiresAt and its last write
// (a lease renewal is a write), an audit list the same time after its last
// append, a record in [Store.AuditLog] the same time after its Time, a
// [Store.MarkOnce] marker or a blob when its TTL passes, a named lease
// when it ends. In Redis these are key TTLs, and the indexes behind Plans
// and AuditLog are pruned as plans and records go (see [Redis]); [Memory]
// drops entries lazily and sweeps.
//
// # Errors
//
// Errors start with "store: ". Test them with errors.Is against
// [ErrNotFound] (a missing plan; Redis's redis.Nil never escapes) and
// [ErrConflict] (a lost race, an existing ID, a disallowed transition), and
// [ErrUnavailable] (Redis did not answer). A done context yields ctx.Err(),
// unwrapped if it was done on entry.
//
// # Concurrency safety
//
// Every method of both implementations is safe for concurrent use, and the
// Redis implementation stays correct across processes: markers use SET NX,
// plan saves, transitions and lease renewals one Lua script each that
// compare-and-sets the stored record and updates its indexes, and named
// leases a Lua compare-and-set over holder and end.
//
// # Time
//
// Both implementations take an injectable clock ([WithClock],
// [WithRedisClock]) used for CreatedAt, UpdatedAt, expiry, lease ends and
// TTL lengths.
// Times come back in UTC without a monotonic reading, so records compare
// equal after a round trip through either implementation.
package store
