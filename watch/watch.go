// Package watch is jsmbot's watcher: it notices, from Jira's audit log,
// when a service project's permission scheme breaks, and tells a chat
// front end once, with who made the change and when; and again when the
// project is healthy once more (issue 11). It knows no chat platform: a
// front end implements [Sink] (package bot posts to Slack).
//
// # How it watches
//
// Every [Config.Interval] the replica holding the store's "watch" lease
// ([store.Store.AcquireLease], renewed each poll) reads the audit log from
// a cursor kept in the store, with the filter "Permission scheme". Only
// what the new records touch is evaluated again: a scheme updated or
// created, through [repair.Engine.PlanScheme], for every service project
// the site index puts on it; a project added to or removed from a scheme,
// through [repair.Engine.Diagnose]. A quiet poll (no new record) is one
// Jira call. A full audit ([repair.Engine.Audit]) runs every
// [Config.FullEvery], at the first poll, and at every poll for which the
// log cannot be read (a site without Administer Jira, or on free plans:
// 403); the log says so once, and the watch goes on.
//
// Per-project state (broken or not, and the [Sink]'s reference to the
// alert) is kept in the store beside the cursor (state.go), so that a
// replica that takes the lease over resumes where the last holder
// stopped: a change made in between is in the log after the cursor.
// Projects already broken at the very first poll are recorded, not
// alerted: /jsm audit lists those.
//
// # Where new things go
//
// A new kind of audit record the watch should react to is a case in
// touched (eval.go); a new front end implements [Sink]; a new measurement
// is a field of [Observer].
package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// Defaults of [Config].
const (
	DefaultInterval  = 5 * time.Minute
	DefaultFullEvery = 24 * time.Hour
)

// LeaseName is the store lease that makes one replica the watcher.
const LeaseName = "watch"

// Sink is the front end the watch reports to. Calls come one at a time,
// from the replica holding the lease.
type Sink interface {
	// Broke tells that a project went from healthy to broken: d is its
	// diagnosis, with d.Causes filled from the audit log when it says
	// who and when. It returns a reference to the alert, which [Sink.Healed]
	// gets back; an error means no alert was made, and the watch tries
	// again at its next poll.
	Broke(ctx context.Context, project string, d *repair.Diagnosis) (ref string, err error)
	// Healed tells that an alerted project is healthy again. h says who
	// made the change that healed it, when the audit log says.
	Healed(ctx context.Context, h Heal) error
}

// Heal is a project healthy again after an alert.
type Heal struct {
	Project string
	// Ref is what [Sink.Broke] returned for the alert.
	Ref string
	// By names who made the change that healed it (display name, or the
	// accountId when Jira will not say); empty when the log does not say
	// (a full audit found it healthy). At is when; zero when unknown.
	By string
	At time.Time
	// BrokeAt is when the watch noticed the project broken.
	BrokeAt time.Time
}

// Observer hears what the watch does, for metrics. Every field is
// optional.
type Observer struct {
	// Polled is called after each successful poll by the lease holder,
	// with the time it finished.
	Polled func(at time.Time)
	// Records is called with the number of new audit records a poll read.
	Records func(n int)
	// Alerted is called for each alert the sink posted.
	Alerted func()
}

// Config configures a [Watcher]. Zero fields take their defaults.
type Config struct {
	// Interval is the time between polls (DefaultInterval).
	Interval time.Duration
	// FullEvery is the time between full audits (DefaultFullEvery).
	FullEvery time.Duration
	// Lease is the longest a dead holder keeps the watch from running
	// (three intervals): another replica takes over within it.
	Lease time.Duration
	// Owner names this replica in the lease; required.
	Owner string
	// Now is the clock (time.Now); the polls' timer is a real one.
	Now func() time.Time
	// Logger receives the watch's logs (discarded when nil).
	Logger *slog.Logger
	// Observer hears of polls, records and alerts.
	Observer Observer
}

// Watcher watches one Jira site. Create it with [New]; run it with
// [Watcher.Run], or call [Watcher.Poll] yourself.
type Watcher struct {
	cfg    Config
	engine *repair.Engine
	jira   *jira.Client
	store  store.Store
	sink   Sink
	log    *slog.Logger
}

// New returns a watcher. engine should keep its site index at least
// FullEvery (repair.WithIndexMaxAge), so that evaluating what a record
// touched never rescans the site; client reads the audit log and names
// the authors of changes. New does no I/O.
func New(cfg Config, engine *repair.Engine, client *jira.Client, st store.Store, sink Sink) (*Watcher, error) {
	if engine == nil || client == nil || st == nil || sink == nil {
		return nil, errors.New("watch: engine, client, store and sink are required")
	}
	if cfg.Owner == "" {
		return nil, errors.New("watch: no owner")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.FullEvery <= 0 {
		cfg.FullEvery = DefaultFullEvery
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 3 * cfg.Interval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Watcher{cfg: cfg, engine: engine, jira: client, store: st, sink: sink, log: log.With("component", "watch")}, nil
}

// Run polls at once and then every interval until ctx ends; then it gives
// the lease up, so that another replica takes over at its next poll, and
// returns nil. A failed poll is logged and tried again at the next.
func (w *Watcher) Run(ctx context.Context) error {
	t := time.NewTicker(w.cfg.Interval)
	defer t.Stop()
	for {
		if _, err := w.Poll(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("watch poll failed; trying again at the next", "err", err)
		}
		select {
		case <-ctx.Done():
			release, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			if err := w.store.ReleaseLease(release, LeaseName, w.cfg.Owner); err != nil {
				w.log.Warn("could not give the watch lease up", "err", err)
			}
			return nil
		case <-t.C:
		}
	}
}

// Poll is one poll: when this replica holds (or takes) the watch lease, it
// reads the new audit records and evaluates what they touch, or runs a
// full audit when one is due or the log cannot be read, and reports the
// transitions to the sink. It reports whether this replica was the
// watcher.
func (w *Watcher) Poll(ctx context.Context) (watching bool, err error) {
	if held, err := w.hold(ctx); err != nil || !held {
		return false, err
	}
	st, err := w.load(ctx)
	if err != nil {
		return true, err
	}
	p := &poll{w: w, st: st}
	if err := p.run(ctx); err != nil {
		if errors.Is(err, errLostLease) {
			w.log.Info("another replica took the watch over")
			return false, nil
		}
		return true, err
	}
	if w.cfg.Observer.Polled != nil {
		w.cfg.Observer.Polled(w.cfg.Now())
	}
	return true, nil
}

// errLostLease stops a poll whose replica no longer holds the lease.
var errLostLease = errors.New("watch: lease lost")

// hold takes or renews the watch lease. It is taken for one interval less
// than the lease period: the other replicas try for it only at their
// polls, one interval apart, so one of them holds it within a lease period
// of its holder's death. The holder renews it every interval, well before
// it runs out.
func (w *Watcher) hold(ctx context.Context) (bool, error) {
	ttl := w.cfg.Lease
	if ttl > 2*w.cfg.Interval {
		ttl -= w.cfg.Interval
	}
	held, err := w.store.AcquireLease(ctx, LeaseName, w.cfg.Owner, ttl)
	if err != nil {
		return false, fmt.Errorf("watch: acquire the lease: %w", err)
	}
	return held, nil
}
