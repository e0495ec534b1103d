package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
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
//	plan:<id>           string: the PlanRecord as JSON; TTL per the retention rule
//	offer:<id>          string: the OfferRecord as JSON; TTL per the retention rule
//	audit:<planID>      list: AuditRecords as JSON, oldest first; TTL per the retention rule
//	once:<key>          string "1": a MarkOnce marker; TTL = the marker's ttl
//	idx:state:<state>   sorted set: IDs of the plans in that (stored) state, scored by UpdatedAt in µs
//	idx:all             sorted set: IDs of every plan, scored by UpdatedAt in µs
//	idx:deadline        sorted set: IDs of every plan, scored by the end of its retention in ms
//	log                 sorted set: every audit record, "<seq><JSON>", scored by its Time in µs
//	log:project:<key>   sorted set: the same, for one project
//	log:seq             string: the counter behind <seq> (16 digits, append order)
//	lease:<name>        string "<until ms>:<owner>": a named lease; TTL = its ttl
//	blob:<key>          string: a blob; TTL = its ttl
//
// The indexes are written by the same Lua scripts as the records they
// index, so they never disagree with a committed write. They do not grow
// without bound: every plan write first drops from every index the plans
// whose retention ended (by idx:deadline score), [Redis.Plans] drops
// entries whose plan key is gone, an audit append drops the log entries
// past their retention, and every index key has a TTL at least that of
// its longest-lived entry.
//
// Time decisions (plan expiry, lease ends, TTL lengths, index pruning)
// use the store's clock, not the Redis server's, so they agree with
// [Memory] and with injected test clocks; key TTLs themselves then run on
// the server's clock.
//
// The multi-key scripts need every key on one server: a standalone Redis,
// or a cluster with a hash-tagged prefix (WithPrefix("{jsmbot}:v1:")).
type Redis struct {
	rdb       redis.UniversalClient
	prefix    string
	now       func() time.Time
	retention time.Duration

	write   *redis.Script
	prune   *redis.Script
	append  *redis.Script
	acquire *redis.Script
	release *redis.Script

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

// writeScript writes a plan and its indexes in one step. KEYS: 1 the plan,
// 2 the index of its stored state, 3 the index of its new state, 4
// idx:all, 5 idx:deadline, 6… every state index. ARGV: 1 the stored
// encoding ("" for a new plan), 2 the new encoding, 3 its TTL in ms, 4 the
// ID, 5 its UpdatedAt in µs, 6 its deadline in ms, 7 now in ms.
//
// A new plan is written only if the key is free; an existing one only if
// it still holds exactly ARGV[1] (a compare-and-set over the whole
// record, which covers its state and version). It returns 1 if written, 0
// if the value differs (or exists, for a new plan) and -1 if it is gone.
// First it drops from every index up to 64 plans whose retention ended.
const writeScript = `
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '' then
  if cur then return 0 end
elseif not cur then
  return -1
elseif cur ~= ARGV[1] then
  return 0
end
local dead = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', ARGV[7], 'LIMIT', 0, 64)
for _, d in ipairs(dead) do
  for i = 4, #KEYS do redis.call('ZREM', KEYS[i], d) end
end
if ARGV[1] == '' then
  for i = 6, #KEYS do redis.call('ZREM', KEYS[i], ARGV[4]) end
elseif KEYS[2] ~= KEYS[3] then
  redis.call('ZREM', KEYS[2], ARGV[4])
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[4])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[4])
redis.call('ZADD', KEYS[5], ARGV[6], ARGV[4])
local ttl = tonumber(ARGV[3])
for i = 3, 5 do
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1
`

// pruneScript drops from the indexes the plans whose key is gone. KEYS: 1
// idx:all, 2 idx:deadline, 3–9 the state indexes, 10… plan keys; ARGV:
// the IDs of those plan keys, in order. A plan saved again meanwhile
// keeps its entries. It returns how many it dropped.
const pruneScript = `
local n = 0
for j = 10, #KEYS do
  if redis.call('EXISTS', KEYS[j]) == 0 then
    for i = 1, 9 do redis.call('ZREM', KEYS[i], ARGV[j - 9]) end
    n = n + 1
  end
end
return n
`

// acquireScript takes the lease KEYS[1] for owner ARGV[1] until ARGV[3]
// (Unix ms) unless another owner holds it past now (ARGV[2], Unix ms);
// ARGV[4] is its TTL in ms. It returns 1 if owner holds it after, else 0.
const acquireScript = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local sep = string.find(cur, ':', 1, true)
  if sep then
    local untilMS = tonumber(string.sub(cur, 1, sep - 1))
    local holder = string.sub(cur, sep + 1)
    if holder ~= ARGV[1] and untilMS and untilMS > tonumber(ARGV[2]) then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[3] .. ':' .. ARGV[1], 'PX', ARGV[4])
return 1
`

// releaseScript deletes the lease KEYS[1] if owner ARGV[1] holds it.
const releaseScript = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local sep = string.find(cur, ':', 1, true)
  if sep and string.sub(cur, sep + 1) == ARGV[1] then redis.call('DEL', KEYS[1]) end
end
return 1
`

// appendScript appends an audit record. KEYS: 1 the plan's audit list, 2
// log, 3 log:seq, 4 log:project:<key> (only when the record has a project).
// ARGV: 1 the record as JSON, 2 the retention in ms, 3 its Time in µs, 4
// the oldest Time kept in the log, in µs. It pushes the record on the
// list and adds it, behind a 16-digit sequence number, to the logs; drops
// the log entries past their retention; and makes sure every key lives at
// least ARGV[2] ms more, in one step so that no key is ever left without
// a TTL.
const appendScript = `
local ttl = tonumber(ARGV[2])
redis.call('RPUSH', KEYS[1], ARGV[1])
local seq = tostring(redis.call('INCR', KEYS[3]))
local member = string.rep('0', 16 - #seq) .. seq .. ARGV[1]
for i = 2, #KEYS do
  if i ~= 3 then
    redis.call('ZADD', KEYS[i], ARGV[3], member)
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', ARGV[4])
  end
end
for i = 1, #KEYS do
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1
`

// seqLen is the length of the sequence number in front of a log entry.
const seqLen = 16

// casRetries bounds how often a compare-and-set is retried after the plan
// changed without leaving the expected state (a lease renewal).
const casRetries = 32

// NewRedis returns a store that keeps its data in rdb. It does no I/O; call
// [Redis.Ping] to check the connection. The store takes ownership of rdb:
// [Redis.Close] closes it.
func NewRedis(rdb redis.UniversalClient, opts ...RedisOption) *Redis {
	s := &Redis{
		rdb:       rdb,
		prefix:    DefaultPrefix,
		now:       time.Now,
		retention: DefaultRetention,
		write:     redis.NewScript(writeScript),
		prune:     redis.NewScript(pruneScript),
		append:    redis.NewScript(appendScript),
		acquire:   redis.NewScript(acquireScript),
		release:   redis.NewScript(releaseScript),
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
func (s *Redis) stateIdx(st State) string  { return s.prefix + "idx:state:" + string(st) }
func (s *Redis) allIdx() string            { return s.prefix + "idx:all" }
func (s *Redis) deadlineIdx() string       { return s.prefix + "idx:deadline" }
func (s *Redis) logKey() string            { return s.prefix + "log" }
func (s *Redis) logSeqKey() string         { return s.prefix + "log:seq" }
func (s *Redis) projectLogKey(k string) string {
	return s.prefix + "log:project:" + k
}
func (s *Redis) leaseKey(n string) string { return s.prefix + "lease:" + n }
func (s *Redis) blobKey(k string) string  { return s.prefix + "blob:" + k }

// stateIndexes returns the index keys of every state, in a fixed order.
func (s *Redis) stateIndexes() []string {
	states := []State{StatePending, StateApplying, StateApplied, StateFailed, StateDismissed, StateExpired, StateUndone}
	keys := make([]string, len(states))
	for i, st := range states {
		keys[i] = s.stateIdx(st)
	}
	return keys
}

// writePlan runs writeScript: it stores next over the stored encoding old
// ("" for a new plan, whose stored state is taken to be next's) and
// updates the indexes.
func (s *Redis) writePlan(ctx context.Context, old string, from State, next PlanRecord, now time.Time) (int64, error) {
	data, err := encode(next)
	if err != nil {
		return 0, err
	}
	deadline := planDeadline(next, now, s.retention)
	ttl := ttlUntil(deadline, now)
	keys := append([]string{s.planKey(next.ID), s.stateIdx(from), s.stateIdx(next.State), s.allIdx(), s.deadlineIdx()}, s.stateIndexes()...)
	return s.write.Run(ctx, s.rdb, keys, old, data, ttl.Milliseconds(), next.ID,
		next.UpdatedAt.UnixMicro(), now.Add(ttl).UnixMilli(), now.UnixMilli()).Int64()
}

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

// SavePlan implements [Store.SavePlan]: writeScript sets the key only if
// it is free (as SET NX would) and indexes the plan in the same step.
func (s *Redis) SavePlan(ctx context.Context, p PlanRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := s.clock()
	rec, err := newPlan(p, now)
	if err != nil {
		return err
	}
	res, err := s.writePlan(ctx, "", rec.State, rec, now)
	if err != nil {
		return fmt.Errorf("store: save plan %s: %w", rec.ID, unavailable(ctx, err))
	}
	if res != 1 {
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
// succeeds only if the stored bytes are still those it read. If they are
// not, it reads again: a renewed lease changes the bytes but not the
// state, and only a change of state makes the transition lose.
func (s *Redis) Transition(ctx context.Context, id string, from, to State, mutate func(*PlanRecord)) (PlanRecord, error) {
	if err := ctx.Err(); err != nil {
		return PlanRecord{}, err
	}
	if !from.CanTransition(to) {
		return PlanRecord{}, invalidTransition(from, to)
	}
	for range casRetries {
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
		res, err := s.writePlan(ctx, old, cur.State, next, now)
		if err != nil {
			return PlanRecord{}, fmt.Errorf("store: transition plan %s: %w", id, unavailable(ctx, err))
		}
		switch res {
		case 1:
			return next, nil
		case -1:
			return PlanRecord{}, fmt.Errorf("store: transition plan %s: %w", id, ErrNotFound)
		}
	}
	return PlanRecord{}, fmt.Errorf("store: transition plan %s from %s to %s: changed concurrently: %w", id, from, to, ErrConflict)
}

// RenewLease implements [Store.RenewLease] with the compare-and-set of
// Transition, retried while the plan stays applying.
func (s *Redis) RenewLease(ctx context.Context, id, owner string, until time.Time, rec json.RawMessage) (PlanRecord, error) {
	if err := ctx.Err(); err != nil {
		return PlanRecord{}, err
	}
	if err := checkRenew(owner, rec); err != nil {
		return PlanRecord{}, err
	}
	for range casRetries {
		cur, old, err := s.get(ctx, "renew lease of plan", id)
		if err != nil {
			return PlanRecord{}, err
		}
		now := s.clock()
		next, err := renewedPlan(cur, owner, until, rec, now)
		if err != nil {
			return PlanRecord{}, err
		}
		res, err := s.writePlan(ctx, old, cur.State, next, now)
		if err != nil {
			return PlanRecord{}, fmt.Errorf("store: renew lease of plan %s: %w", id, unavailable(ctx, err))
		}
		switch res {
		case 1:
			return next, nil
		case -1:
			return PlanRecord{}, fmt.Errorf("store: renew lease of plan %s: %w", id, ErrNotFound)
		}
	}
	return PlanRecord{}, fmt.Errorf("store: renew lease of plan %s: changed concurrently: %w", id, ErrConflict)
}

// plansPage is how many index entries Plans reads at a time.
const plansPage = 200

// Plans implements [Store.Plans]: it walks the index of f.State (or of
// every plan) in score order, a page at a time, reads the plans with
// MGET and filters them in Go; index entries whose plan is gone are
// dropped afterwards.
func (s *Redis) Plans(ctx context.Context, f PlanFilter) ([]PlanRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := s.clock()
	idx := s.allIdx()
	if f.State != "" && f.State != StateExpired {
		// A pending plan past ExpiresAt is indexed as pending but listed
		// as expired, so only StateExpired needs every plan.
		idx = s.stateIdx(f.State)
	}
	limit := limitOf(f.Limit)
	out := []PlanRecord{}
	seen := map[string]bool{}
	var gone []string
	for off := int64(0); len(out) < limit; off += plansPage {
		ids, err := s.rdb.ZRange(ctx, idx, off, off+plansPage-1).Result()
		if err != nil {
			return nil, fmt.Errorf("store: plans: %w", unavailable(ctx, err))
		}
		if len(ids) == 0 {
			break
		}
		keys := make([]string, len(ids))
		for i, id := range ids {
			keys[i] = s.planKey(id)
		}
		vals, err := s.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, fmt.Errorf("store: plans: %w", unavailable(ctx, err))
		}
		for i, v := range vals {
			data, ok := v.(string)
			if !ok {
				gone = append(gone, ids[i])
				continue
			}
			if seen[ids[i]] {
				continue
			}
			seen[ids[i]] = true
			var rec PlanRecord
			if err := decode(data, &rec); err != nil {
				return nil, fmt.Errorf("store: plans: plan %s: %w", ids[i], err)
			}
			if rec = view(normalizePlan(rec), now); matchPlan(rec, f) && len(out) < limit {
				out = append(out, rec)
			}
		}
		if len(ids) < plansPage {
			break
		}
	}
	if len(gone) > 0 {
		// Best effort: a failure leaves entries for the next read or write.
		_ = s.pruneGone(ctx, gone)
	}
	slices.SortFunc(out, comparePlans)
	return out, nil
}

// pruneGone drops the index entries of the plans ids whose keys are gone.
func (s *Redis) pruneGone(ctx context.Context, ids []string) error {
	keys := append([]string{s.allIdx(), s.deadlineIdx()}, s.stateIndexes()...)
	args := make([]any, len(ids))
	for i, id := range ids {
		keys = append(keys, s.planKey(id))
		args[i] = id
	}
	return s.prune.Run(ctx, s.rdb, keys, args...).Err()
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
	keys := []string{s.auditKey(r.PlanID), s.logKey(), s.logSeqKey()}
	if r.ProjectKey != "" {
		keys = append(keys, s.projectLogKey(r.ProjectKey))
	}
	cut := now.Add(-s.retention).UnixMicro()
	if err := s.append.Run(ctx, s.rdb, keys, data, ttl.Milliseconds(), r.Time.UnixMicro(), cut).Err(); err != nil {
		return fmt.Errorf("store: append audit of plan %s: %w", r.PlanID, unavailable(ctx, err))
	}
	return nil
}

// AuditLog implements [Store.AuditLog] with ZREVRANGEBYSCORE over the log
// (of the project, when f names one), past entries excluded.
func (s *Redis) AuditLog(ctx context.Context, f AuditFilter) ([]AuditRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	key := s.logKey()
	if f.ProjectKey != "" {
		key = s.projectLogKey(f.ProjectKey)
	}
	cut := s.clock().Add(-s.retention).UnixMicro()
	items, err := s.rdb.ZRevRangeByScore(ctx, key, &redis.ZRangeBy{
		Max: "+inf", Min: "(" + strconv.FormatInt(cut, 10), Count: int64(limitOf(f.Limit)),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", unavailable(ctx, err))
	}
	out := make([]AuditRecord, 0, len(items))
	for _, item := range items {
		if len(item) < seqLen {
			return nil, fmt.Errorf("store: audit log: entry %q: %w", item, errors.New("too short"))
		}
		var r AuditRecord
		if err := decode(item[seqLen:], &r); err != nil {
			return nil, fmt.Errorf("store: audit log: %w", err)
		}
		r.Time = normalizeTime(r.Time)
		out = append(out, r)
	}
	return out, nil
}

// AcquireLease implements [Store.AcquireLease] with a Lua compare-and-set
// over the lease's holder and end.
func (s *Redis) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	ttl, err := checkLease(name, owner, ttl)
	if err != nil {
		return false, err
	}
	nowMS := s.clock().UnixMilli()
	res, err := s.acquire.Run(ctx, s.rdb, []string{s.leaseKey(name)}, owner, nowMS, nowMS+ttl.Milliseconds(), ttl.Milliseconds()).Int64()
	if err != nil {
		return false, fmt.Errorf("store: acquire lease %s: %w", name, unavailable(ctx, err))
	}
	return res == 1, nil
}

// ReleaseLease implements [Store.ReleaseLease].
func (s *Redis) ReleaseLease(ctx context.Context, name, owner string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.release.Run(ctx, s.rdb, []string{s.leaseKey(name)}, owner).Err(); err != nil {
		return fmt.Errorf("store: release lease %s: %w", name, unavailable(ctx, err))
	}
	return nil
}

// PutBlob implements [Store.PutBlob] with SET PX.
func (s *Redis) PutBlob(ctx context.Context, key string, data []byte, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ttl, err := blobTTL(key, ttl, s.retention)
	if err != nil {
		return err
	}
	if err := s.rdb.Set(ctx, s.blobKey(key), data, ttl).Err(); err != nil {
		return fmt.Errorf("store: put blob %s: %w", key, unavailable(ctx, err))
	}
	return nil
}

// Blob implements [Store.Blob].
func (s *Redis) Blob(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := s.rdb.Get(ctx, s.blobKey(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store: blob %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: blob %s: %w", key, unavailable(ctx, err))
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
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
