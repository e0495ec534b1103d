package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

var _ Store = (*Redis)(nil)

// DefaultPrefix is the key prefix a [Redis] store uses unless told otherwise.
// The version in it changes if the stored encoding ever changes incompatibly.
const DefaultPrefix = "jsmbot:v1:"

// Redis is a [Store] in Redis, shared by every replica of the bot.
//
// Keys, under the prefix (default [DefaultPrefix]):
//
//	plan:<id>      string: the PlanRecord as JSON; TTL per the retention rule
//	offer:<id>     string: the OfferRecord as JSON; TTL per the retention rule
//	audit:<planID> list: AuditRecords as JSON, oldest first; TTL per the retention rule
//	once:<key>     string "1": a MarkOnce marker; TTL = the marker's ttl
//
// Time decisions (plan expiry, TTL lengths) use the store's clock, not the
// Redis server's, so they agree with [Memory] and with injected test clocks;
// key TTLs themselves then run on the server's clock.
type Redis struct {
	rdb       redis.UniversalClient
	prefix    string
	now       func() time.Time
	retention time.Duration

	cas    *redis.Script
	append *redis.Script

	closeOnce sync.Once
	closeErr  error
}

// RedisOption configures a [Redis].
type RedisOption func(*Redis)

// WithPrefix sets the prefix of every key the store uses; the default is
// [DefaultPrefix]. Use it to share one Redis between deployments or tests.
func WithPrefix(p string) RedisOption {
	return func(s *Redis) { s.prefix = p }
}

// WithRedisClock makes a Redis store read the time from now instead of
// time.Now, for plan expiry and for the lengths of the TTLs it sets.
func WithRedisClock(now func() time.Time) RedisOption {
	return func(s *Redis) { s.now = now }
}

// casScript replaces KEYS[1] with ARGV[2] (TTL ARGV[3] ms) only if it still
// holds exactly ARGV[1]: a compare-and-set over the whole encoded record,
// which covers its state and version. It returns 1 if set, 0 if the value
// differs and -1 if the key is gone.
const casScript = `
local cur = redis.call('GET', KEYS[1])
if not cur then return -1 end
if cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`

// appendScript appends ARGV[1] to the list KEYS[1] and makes sure the list
// lives at least ARGV[2] ms more, in one step so that no list is ever left
// without a TTL.
const appendScript = `
redis.call('RPUSH', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`

// NewRedis returns a store that keeps its data in rdb. It does no I/O; call
// [Redis.Ping] to check the connection. The store takes ownership of rdb:
// [Redis.Close] closes it.
func NewRedis(rdb redis.UniversalClient, opts ...RedisOption) *Redis {
	s := &Redis{
		rdb:       rdb,
		prefix:    DefaultPrefix,
		now:       time.Now,
		retention: DefaultRetention,
		cas:       redis.NewScript(casScript),
		append:    redis.NewScript(appendScript),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

func (s *Redis) planKey(id string) string  { return s.prefix + "plan:" + id }
func (s *Redis) offerKey(id string) string { return s.prefix + "offer:" + id }
func (s *Redis) auditKey(id string) string { return s.prefix + "audit:" + id }
func (s *Redis) onceKey(k string) string   { return s.prefix + "once:" + k }

func (s *Redis) clock() time.Time { return normalizeTime(s.now()) }

// encode and decode are the only place where records meet their stored form.
// HTML escaping is off so that a plan's JSON is stored as compactJSON left it.
func encode(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("store: encode: %w", err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

func decode(data string, v any) error {
	if err := json.Unmarshal([]byte(data), v); err != nil {
		return fmt.Errorf("store: decode: %w", err)
	}
	return nil
}

// unavailable marks an error of the Redis client as [ErrUnavailable] when it
// says Redis did not answer: the connection was refused, timed out or
// broke, the pool had no connection to give, or Redis replied that it
// cannot serve yet (loading, no master, cluster down). It leaves alone
// anything after ctx ended, a cancellation, the client having been closed
// by us, and Redis's other error replies (a failed script): those are no
// outage.
func unavailable(ctx context.Context, err error) error {
	var reply redis.Error
	switch {
	case ctx.Err() != nil, errors.Is(err, context.Canceled), errors.Is(err, redis.ErrClosed):
		return err
	case errors.As(err, &reply):
		if !redis.IsLoadingError(err) && !redis.IsMasterDownError(err) && !redis.IsClusterDownError(err) && !redis.IsTryAgainError(err) {
			return err
		}
	}
	return &unavailableError{err: err}
}

// unavailableError adds [ErrUnavailable] to an error without changing its
// text.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string        { return e.err.Error() }
func (e *unavailableError) Unwrap() error        { return e.err }
func (e *unavailableError) Is(target error) bool { return target == ErrUnavailable }

// ttlUntil is the TTL that makes a key expire at deadline, rounded up to
// Redis's millisecond and at least 1 ms.
func ttlUntil(deadline, now time.Time) time.Duration {
	return max(deadline.Sub(now)+time.Millisecond-1, time.Millisecond).Truncate(time.Millisecond)
}

// SavePlan implements [Store.SavePlan] with SET NX.
func (s *Redis) SavePlan(ctx context.Context, p PlanRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := s.clock()
	rec, err := newPlan(p, now)
	if err != nil {
		return err
	}
	data, err := encode(rec)
	if err != nil {
		return err
	}
	ok, err := s.rdb.SetNX(ctx, s.planKey(rec.ID), data, ttlUntil(planDeadline(rec, now, s.retention), now)).Result()
	if err != nil {
		return fmt.Errorf("store: save plan %s: %w", rec.ID, unavailable(ctx, err))
	}
	if !ok {
		return fmt.Errorf("store: save plan %s: already exists: %w", rec.ID, ErrConflict)
	}
	return nil
}

// get returns the stored record of id and its encoded form.
func (s *Redis) get(ctx context.Context, op, id string) (PlanRecord, string, error) {
	data, err := s.rdb.Get(ctx, s.planKey(id)).Result()
	if errors.Is(err, redis.Nil) {
		return PlanRecord{}, "", fmt.Errorf("store: %s %s: %w", op, id, ErrNotFound)
	}
	if err != nil {
		return PlanRecord{}, "", fmt.Errorf("store: %s %s: %w", op, id, unavailable(ctx, err))
	}
	var rec PlanRecord
	if err := decode(data, &rec); err != nil {
		return PlanRecord{}, "", fmt.Errorf("store: %s %s: %w", op, id, err)
	}
	return normalizePlan(rec), data, nil
}

// Plan implements [Store.Plan].
func (s *Redis) Plan(ctx context.Context, id string) (PlanRecord, error) {
	if err := ctx.Err(); err != nil {
		return PlanRecord{}, err
	}
	rec, _, err := s.get(ctx, "plan", id)
	if err != nil {
		return PlanRecord{}, err
	}
	return view(rec, s.clock()), nil
}

// Transition implements [Store.Transition]: it reads the record, checks and
// builds the new one in Go, and writes it with a Lua compare-and-set that
// succeeds only if the stored bytes are still those it read.
func (s *Redis) Transition(ctx context.Context, id string, from, to State, mutate func(*PlanRecord)) (PlanRecord, error) {
	if err := ctx.Err(); err != nil {
		return PlanRecord{}, err
	}
	if !from.CanTransition(to) {
		return PlanRecord{}, invalidTransition(from, to)
	}
	cur, old, err := s.get(ctx, "transition plan", id)
	if err != nil {
		return PlanRecord{}, err
	}
	now := s.clock()
	if err := checkTransition(cur, from, to, now); err != nil {
		return PlanRecord{}, err
	}
	next, err := nextPlan(cur, to, now, mutate)
	if err != nil {
		return PlanRecord{}, err
	}
	data, err := encode(next)
	if err != nil {
		return PlanRecord{}, err
	}
	ttl := ttlUntil(planDeadline(next, now, s.retention), now)
	res, err := s.cas.Run(ctx, s.rdb, []string{s.planKey(id)}, old, data, ttl.Milliseconds()).Int64()
	if err != nil {
		return PlanRecord{}, fmt.Errorf("store: transition plan %s: %w", id, unavailable(ctx, err))
	}
	switch res {
	case 1:
		return next, nil
	case -1:
		return PlanRecord{}, fmt.Errorf("store: transition plan %s: %w", id, ErrNotFound)
	default:
		// Every write is a transition and states never repeat, so a changed
		// record means the plan has left state from.
		return PlanRecord{}, fmt.Errorf("store: transition plan %s from %s to %s: changed concurrently: %w", id, from, to, ErrConflict)
	}
}

// MarkOnce implements [Store.MarkOnce] with SET NX PX.
func (s *Redis) MarkOnce(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	ttl, err := checkTTL(ttl)
	if err != nil {
		return false, err
	}
	// A sub-second ttl is sent as PX and a whole number of seconds as EX:
	// both exact, since checkTTL rounded it to a millisecond.
	ok, err := s.rdb.SetNX(ctx, s.onceKey(key), "1", ttl).Result()
	if err != nil {
		return false, fmt.Errorf("store: mark once: %w", unavailable(ctx, err))
	}
	return ok, nil
}

// SaveOffer implements [Store.SaveOffer] with SET NX.
func (s *Redis) SaveOffer(ctx context.Context, o OfferRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := s.clock()
	rec, err := newOffer(o, now)
	if err != nil {
		return err
	}
	data, err := encode(rec)
	if err != nil {
		return err
	}
	ok, err := s.rdb.SetNX(ctx, s.offerKey(rec.ID), data, ttlUntil(offerDeadline(rec, now, s.retention), now)).Result()
	if err != nil {
		return fmt.Errorf("store: save offer %s: %w", rec.ID, err)
	}
	if !ok {
		return fmt.Errorf("store: save offer %s: already exists: %w", rec.ID, ErrConflict)
	}
	return nil
}

// Offer implements [Store.Offer].
func (s *Redis) Offer(ctx context.Context, id string) (OfferRecord, error) {
	if err := ctx.Err(); err != nil {
		return OfferRecord{}, err
	}
	data, err := s.rdb.Get(ctx, s.offerKey(id)).Result()
	if errors.Is(err, redis.Nil) {
		return OfferRecord{}, fmt.Errorf("store: offer %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return OfferRecord{}, fmt.Errorf("store: offer %s: %w", id, err)
	}
	var rec OfferRecord
	if err := decode(data, &rec); err != nil {
		return OfferRecord{}, fmt.Errorf("store: offer %s: %w", id, err)
	}
	return normalizeOffer(rec), nil
}

// AppendAudit implements [Store.AppendAudit].
func (s *Redis) AppendAudit(ctx context.Context, r AuditRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := s.clock()
	r, err := newAudit(r, now)
	if err != nil {
		return err
	}
	data, err := encode(r)
	if err != nil {
		return err
	}
	ttl := ttlUntil(now.Add(s.retention), now)
	if err := s.append.Run(ctx, s.rdb, []string{s.auditKey(r.PlanID)}, data, ttl.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("store: append audit of plan %s: %w", r.PlanID, unavailable(ctx, err))
	}
	return nil
}

// Audit implements [Store.Audit].
func (s *Redis) Audit(ctx context.Context, planID string) ([]AuditRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	items, err := s.rdb.LRange(ctx, s.auditKey(planID), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("store: audit of plan %s: %w", planID, unavailable(ctx, err))
	}
	out := make([]AuditRecord, 0, len(items))
	for _, item := range items {
		var r AuditRecord
		if err := decode(item, &r); err != nil {
			return nil, fmt.Errorf("store: audit of plan %s: %w", planID, err)
		}
		r.Time = normalizeTime(r.Time)
		out = append(out, r)
	}
	return out, nil
}

// Ping implements [Store.Ping] with the PING command.
func (s *Redis) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("store: ping: %w", unavailable(ctx, err))
	}
	return nil
}

// Close implements [Store.Close]: it closes the client given to [NewRedis].
func (s *Redis) Close() error {
	s.closeOnce.Do(func() {
		if err := s.rdb.Close(); err != nil {
			s.closeErr = fmt.Errorf("store: close: %w", err)
		}
	})
	return s.closeErr
}
