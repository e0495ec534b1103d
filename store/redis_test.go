package store_test

import (
	"context"
	"errors"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/jsmbot/jsmbot/internal/fakeclock"
	"github.com/jsmbot/jsmbot/store"
	"github.com/jsmbot/jsmbot/store/storetest"
)

// redisAddrVar names the address of a real Redis for the contract suite.
const redisAddrVar = "JSMBOT_TEST_REDIS_ADDR"

// newTestClient returns a client for addr that fails fast instead of
// retrying, closed when the test ends.
func newTestClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{
		Addr:          addr,
		MaxRetries:    -1,
		DialerRetries: 1,
		DialTimeout:   2 * time.Second,
	})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// newMiniredis returns a store on a fresh miniredis whose clock and TTLs
// move together, plus the server.
func newMiniredis(t *testing.T) (*store.Redis, *miniredis.Miniredis, *fakeclock.Clock) {
	t.Helper()
	mr := miniredis.RunT(t)
	clock := newTestClock(t)
	s := store.NewRedis(newTestClient(t, mr.Addr()), store.WithRedisClock(clock.Now))
	t.Cleanup(func() { _ = s.Close() })
	return s, mr, clock
}

func TestRedisMiniredis(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		s, mr, clock := newMiniredis(t)
		return storetest.Harness{
			Store: s,
			Advance: func(d time.Duration) {
				clock.Advance(d)
				mr.FastForward(d)
			},
			Now: clock.Now,
		}
	})
}

// TestRedisReal runs the contract suite against the Redis at
// $JSMBOT_TEST_REDIS_ADDR. Each subtest uses its own key prefix, deleted
// afterwards, so runs can share a server. Plan expiry runs on an injected
// clock; subtests that need keys to expire are skipped, because the
// server's clock cannot be moved.
func TestRedisReal(t *testing.T) {
	t.Parallel()
	addr := os.Getenv(redisAddrVar)
	if addr == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set, and CI=true requires the Redis contract run: start redis-server and set %s=127.0.0.1:6379", redisAddrVar, redisAddrVar)
		}
		t.Skipf("set %s=host:port (e.g. 127.0.0.1:6379) to run the store contract suite against a real Redis", redisAddrVar)
	}
	probe := newTestClient(t, addr)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	if err := probe.Ping(ctx).Err(); err != nil {
		t.Fatalf("%s=%s is set but Redis does not answer PING: %v", redisAddrVar, addr, err)
	}

	storetest.Run(t, func(t *testing.T) storetest.Harness {
		prefix := "jsmbot:test:" + mustNewID(t) + ":"
		t.Cleanup(func() { deleteKeys(t, probe, prefix) })
		clock := newTestClock(t)
		s := store.NewRedis(newTestClient(t, addr), store.WithPrefix(prefix), store.WithRedisClock(clock.Now))
		t.Cleanup(func() { _ = s.Close() })
		return storetest.Harness{
			Store:   s,
			Advance: clock.Advance,
			SkipTTL: "real Redis: key TTLs run on the server's clock, which tests cannot move",
			Now:     clock.Now,
		}
	})
}

func mustNewID(t *testing.T) string {
	t.Helper()
	id, err := store.NewID()
	if err != nil {
		t.Fatalf("NewID: %v", err)
	}
	return id
}

// deleteKeys removes every key under prefix.
func deleteKeys(t *testing.T, rdb *redis.Client, prefix string) {
	t.Helper()
	ctx := context.WithoutCancel(t.Context())
	var keys []string
	iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("scan keys of %s: %v", prefix, err)
		return
	}
	if len(keys) > 0 {
		if err := rdb.Unlink(ctx, keys...).Err(); err != nil {
			t.Errorf("delete keys of %s: %v", prefix, err)
		}
	}
}

// TestRedisKeys checks what the Redis store leaves in Redis: key names under
// the prefix, each with a TTL, so Redis does not grow forever.
func TestRedisKeys(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, mr, clock := newMiniredis(t)
	start := clock.Now()

	id := mustNewID(t)
	if err := s.SavePlan(ctx, store.PlanRecord{ID: id, ExpiresAt: start.Add(time.Hour)}); err != nil {
		t.Fatalf("SavePlan: %v", err)
	}
	if err := s.AppendAudit(ctx, store.AuditRecord{PlanID: id, Action: "denied"}); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	if _, err := s.MarkOnce(ctx, "env-1", 10*time.Minute); err != nil {
		t.Fatalf("MarkOnce: %v", err)
	}

	wantTTL := map[string]time.Duration{
		store.DefaultPrefix + "plan:" + id:  time.Hour + store.DefaultRetention,
		store.DefaultPrefix + "audit:" + id: store.DefaultRetention,
		store.DefaultPrefix + "once:env-1":  10 * time.Minute,
		// The indexes live as long as their longest-lived entry.
		store.DefaultPrefix + "idx:state:pending": time.Hour + store.DefaultRetention,
		store.DefaultPrefix + "idx:all":           time.Hour + store.DefaultRetention,
		store.DefaultPrefix + "idx:deadline":      time.Hour + store.DefaultRetention,
		store.DefaultPrefix + "log":               store.DefaultRetention,
		store.DefaultPrefix + "log:seq":           store.DefaultRetention,
	}
	gotTTL := map[string]time.Duration{}
	for _, k := range mr.Keys() {
		gotTTL[k] = mr.TTL(k).Round(time.Second)
	}
	if d := cmp.Diff(wantTTL, gotTTL); d != "" {
		t.Errorf("keys and TTLs mismatch (-want +got):\n%s", d)
	}

	// A transition after ExpiresAt keeps the plan for a retention period
	// from then.
	clock.Advance(2 * time.Hour)
	mr.FastForward(2 * time.Hour)
	if _, err := s.Transition(ctx, id, store.StatePending, store.StateExpired, nil); err != nil {
		t.Fatalf("Transition: %v", err)
	}
	if got := mr.TTL(store.DefaultPrefix + "plan:" + id).Round(time.Second); got != store.DefaultRetention {
		t.Errorf("plan TTL after a transition = %v, want %v", got, store.DefaultRetention)
	}
}

// TestRedisWireFormat pins the stored encoding with literal JSON, written
// independently of the structs, so a renamed field cannot silently orphan
// records that older replicas wrote.
func TestRedisWireFormat(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, mr, _ := newMiniredis(t)

	const stored = `{"id":"abc","state":"applied","version":3,"projectKey":"HELP","mode":"copy","digest":"d1",` +
		`"plan":{"mode":"copy","note":"<b>"},"requesterId":"U1","approverId":"U2","channelId":"C1",` +
		`"messageTs":"1700000000.000200","threadTs":"1700000000.000100","createdAt":"2026-03-14T14:00:00Z",` +
		`"updatedAt":"2026-03-14T14:05:00.5Z","expiresAt":"2026-03-14T14:15:00Z","result":"2 grants added"}`
	if err := mr.Set(store.DefaultPrefix+"plan:abc", stored); err != nil {
		t.Fatal(err)
	}
	got, err := s.Plan(ctx, "abc")
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UTC()
	}
	want := store.PlanRecord{
		ID: "abc", State: store.StateApplied, Version: 3, ProjectKey: "HELP", Mode: "copy", Digest: "d1",
		Plan: []byte(`{"mode":"copy","note":"<b>"}`), RequesterID: "U1", ApproverID: "U2", ChannelID: "C1",
		MessageTS: "1700000000.000200", ThreadTS: "1700000000.000100",
		CreatedAt: at("2026-03-14T14:00:00Z"), UpdatedAt: at("2026-03-14T14:05:00.5Z"), ExpiresAt: at("2026-03-14T14:15:00Z"),
		Result: "2 grants added",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("decoded plan mismatch (-want +got):\n%s", d)
	}

	// Writing it back (through a transition) produces the same shape.
	if _, err := s.Transition(ctx, "abc", store.StateApplied, store.StateUndone, func(p *store.PlanRecord) { p.Result = "undone" }); err != nil {
		t.Fatalf("Transition: %v", err)
	}
	raw, err := mr.Get(store.DefaultPrefix + "plan:abc")
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{`"state":"undone"`, `"version":4`, `"plan":{"mode":"copy","note":"<b>"}`, `"createdAt":"2026-03-14T14:00:00Z"`, `"result":"undone"`} {
		if !strings.Contains(raw, part) {
			t.Errorf("stored record %s\ndoes not contain %s", raw, part)
		}
	}

	const audit = `{"id":"a1","planId":"abc","time":"2026-03-14T14:05:00Z","requesterId":"U1","approverId":"U2",` +
		`"projectKey":"HELP","digest":"d1","action":"applied","result":"ok","created":["g1","g2"]}`
	if _, err := mr.Push(store.DefaultPrefix+"audit:abc", audit); err != nil {
		t.Fatal(err)
	}
	recs, err := s.Audit(ctx, "abc")
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	wantAudit := []store.AuditRecord{{ID: "a1", PlanID: "abc", Time: at("2026-03-14T14:05:00Z"), RequesterID: "U1", ApproverID: "U2",
		ProjectKey: "HELP", Digest: "d1", Action: "applied", Result: "ok", Created: []string{"g1", "g2"}}}
	if d := cmp.Diff(wantAudit, recs); d != "" {
		t.Errorf("decoded audit mismatch (-want +got):\n%s", d)
	}
}

// TestRedisCorrupt checks that undecodable data is an error, not a panic
// and not ErrNotFound.
func TestRedisCorrupt(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, mr, _ := newMiniredis(t)
	if err := mr.Set(store.DefaultPrefix+"plan:bad", "not json"); err != nil {
		t.Fatal(err)
	}
	if _, err := mr.Push(store.DefaultPrefix+"audit:bad", "{"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Plan(ctx, "bad"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Plan of a corrupt record: err = %v, want a decode error", err)
	}
	if _, err := s.Transition(ctx, "bad", store.StatePending, store.StateApplying, nil); err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		t.Errorf("Transition of a corrupt record: err = %v, want a decode error", err)
	}
	if _, err := s.Audit(ctx, "bad"); err == nil {
		t.Errorf("Audit of a corrupt list: err = nil, want a decode error")
	}
}

// TestRedisDead checks that a Redis that went away yields errors, not
// panics and not the sentinels, from every method.
func TestRedisDead(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, mr, clock := newMiniredis(t)
	id := mustNewID(t)
	if err := s.SavePlan(ctx, store.PlanRecord{ID: id, ExpiresAt: clock.Now().Add(time.Hour)}); err != nil {
		t.Fatalf("SavePlan: %v", err)
	}
	mr.Close()

	check := func(name string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s on a dead Redis: err = nil, want an error", name)
			return
		}
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
			t.Errorf("%s on a dead Redis: err = %v, want neither ErrNotFound nor ErrConflict", name, err)
		}
		if !strings.HasPrefix(err.Error(), "store: ") {
			t.Errorf("%s on a dead Redis: err = %q, want the prefix \"store: \"", name, err)
		}
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s on a dead Redis: err = %v, want ErrUnavailable", name, err)
		}
	}
	check("Ping", s.Ping(ctx))
	check("SavePlan", s.SavePlan(ctx, store.PlanRecord{ID: mustNewID(t), ExpiresAt: clock.Now().Add(time.Hour)}))
	_, err := s.Plan(ctx, id)
	check("Plan", err)
	_, err = s.Transition(ctx, id, store.StatePending, store.StateApplying, nil)
	check("Transition", err)
	_, err = s.MarkOnce(ctx, "k", time.Minute)
	check("MarkOnce", err)
	check("AppendAudit", s.AppendAudit(ctx, store.AuditRecord{PlanID: id, Action: "applied"}))
	_, err = s.Audit(ctx, id)
	check("Audit", err)
	_, err = s.RenewLease(ctx, id, "replica-1", clock.Now(), nil)
	check("RenewLease", err)
	_, err = s.Plans(ctx, store.PlanFilter{})
	check("Plans", err)
	_, err = s.AuditLog(ctx, store.AuditFilter{})
	check("AuditLog", err)
	_, err = s.AcquireLease(ctx, "watch", "replica-1", time.Minute)
	check("AcquireLease", err)
	check("ReleaseLease", s.ReleaseLease(ctx, "watch", "replica-1"))
	check("PutBlob", s.PutBlob(ctx, "index", []byte("x"), time.Minute))
	_, err = s.Blob(ctx, "index")
	check("Blob", err)
	// Close of a client whose server is gone is fine either way; it must
	// not panic.
	_ = s.Close()
}

// deadStore returns a store whose every connection attempt fails at once
// through dial, with no retries, so no test waits on a real timeout.
func deadStore(t *testing.T, dial func(ctx context.Context) error) *store.Redis {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{
		// An IP, never dialled: for a host name, NewClient resolves it
		// (go-redis classifies the endpoint), which can take seconds.
		Addr:          "192.0.2.1:6379",
		MaxRetries:    -1,
		DialerRetries: 1,
		Dialer: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return nil, dial(ctx)
		},
	})
	s := store.NewRedis(rdb)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestRedisUnavailable: a Redis that does not answer is ErrUnavailable from
// every method, so the bot can name it; a caller's cancelled context is
// not, and neither is a closed store.
func TestRedisUnavailable(t *testing.T) {
	t.Parallel()
	refused := func(context.Context) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	timedOut := func(context.Context) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}
	}
	calls := []struct {
		name string
		call func(ctx context.Context, s *store.Redis) error
	}{
		{"Ping", func(ctx context.Context, s *store.Redis) error { return s.Ping(ctx) }},
		{"SavePlan", func(ctx context.Context, s *store.Redis) error {
			return s.SavePlan(ctx, store.PlanRecord{ID: "p1", ExpiresAt: time.Now().Add(time.Hour)})
		}},
		{"Plan", func(ctx context.Context, s *store.Redis) error { _, err := s.Plan(ctx, "p1"); return err }},
		{"Transition", func(ctx context.Context, s *store.Redis) error {
			_, err := s.Transition(ctx, "p1", store.StatePending, store.StateApplying, nil)
			return err
		}},
		{"MarkOnce", func(ctx context.Context, s *store.Redis) error {
			_, err := s.MarkOnce(ctx, "k", time.Minute)
			return err
		}},
		{"AppendAudit", func(ctx context.Context, s *store.Redis) error {
			return s.AppendAudit(ctx, store.AuditRecord{PlanID: "p1", Action: "applied"})
		}},
		{"Audit", func(ctx context.Context, s *store.Redis) error { _, err := s.Audit(ctx, "p1"); return err }},
		{"RenewLease", func(ctx context.Context, s *store.Redis) error {
			_, err := s.RenewLease(ctx, "p1", "replica-1", time.Now(), nil)
			return err
		}},
		{"Plans", func(ctx context.Context, s *store.Redis) error {
			_, err := s.Plans(ctx, store.PlanFilter{})
			return err
		}},
		{"AuditLog", func(ctx context.Context, s *store.Redis) error {
			_, err := s.AuditLog(ctx, store.AuditFilter{})
			return err
		}},
		{"AcquireLease", func(ctx context.Context, s *store.Redis) error {
			_, err := s.AcquireLease(ctx, "watch", "replica-1", time.Minute)
			return err
		}},
		{"ReleaseLease", func(ctx context.Context, s *store.Redis) error { return s.ReleaseLease(ctx, "watch", "replica-1") }},
		{"PutBlob", func(ctx context.Context, s *store.Redis) error { return s.PutBlob(ctx, "index", []byte("x"), 0) }},
		{"Blob", func(ctx context.Context, s *store.Redis) error { _, err := s.Blob(ctx, "index"); return err }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, dial := range []struct {
				name string
				fn   func(context.Context) error
			}{{"refused", refused}, {"timed out", timedOut}} {
				err := c.call(t.Context(), deadStore(t, dial.fn))
				if !errors.Is(err, store.ErrUnavailable) {
					t.Errorf("%s: err = %v, want ErrUnavailable", dial.name, err)
				}
				if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
					t.Errorf("%s: err = %v, want neither ErrNotFound nor ErrConflict", dial.name, err)
				}
			}

			// The caller gives up while the dial is under way.
			ctx, cancel := context.WithCancel(t.Context())
			err := c.call(ctx, deadStore(t, func(context.Context) error {
				cancel()
				return &net.OpError{Op: "dial", Net: "tcp", Err: context.Canceled}
			}))
			if err == nil || errors.Is(err, store.ErrUnavailable) {
				t.Errorf("cancelled during the call: err = %v, want an error that is not ErrUnavailable", err)
			}
			// The context was done before the call.
			if err := c.call(ctx, deadStore(t, refused)); !errors.Is(err, context.Canceled) || errors.Is(err, store.ErrUnavailable) {
				t.Errorf("cancelled before the call: err = %v, want context.Canceled and not ErrUnavailable", err)
			}
			// The store was closed by its owner.
			closed := deadStore(t, refused)
			_ = closed.Close()
			if err := c.call(t.Context(), closed); err == nil || errors.Is(err, store.ErrUnavailable) {
				t.Errorf("closed store: err = %v, want an error that is not ErrUnavailable", err)
			}
		})
	}
}

// TestRedisIndexesBounded: the plan indexes hold only live plans. A write
// drops the plans whose retention ended; Plans skips and drops entries
// whose plan key is gone (expired on the server's clock, or deleted).
func TestRedisIndexesBounded(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, mr, clock := newMiniredis(t)
	advance := func(d time.Duration) { clock.Advance(d); mr.FastForward(d) }
	save := func(expiresIn time.Duration) string {
		t.Helper()
		id := mustNewID(t)
		if err := s.SavePlan(ctx, store.PlanRecord{ID: id, ProjectKey: "HELP", ExpiresAt: clock.Now().Add(expiresIn)}); err != nil {
			t.Fatalf("SavePlan: %v", err)
		}
		return id
	}
	members := func(key string) []string {
		t.Helper()
		if !mr.Exists(store.DefaultPrefix + key) {
			return nil
		}
		m, err := mr.ZMembers(store.DefaultPrefix + key)
		if err != nil {
			t.Fatalf("ZMembers(%s): %v", key, err)
		}
		return m
	}
	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }

	// keeper lives long, and with it every index key: only pruning can
	// drop the others' entries.
	keeper := save(30 * 24 * time.Hour)
	if _, err := s.Transition(ctx, keeper, store.StatePending, store.StateApplying, nil); err != nil {
		t.Fatalf("Transition: %v", err)
	}
	old1, old2 := save(time.Minute), save(time.Minute)
	if _, err := s.Transition(ctx, old2, store.StatePending, store.StateApplying, nil); err != nil {
		t.Fatalf("Transition: %v", err)
	}
	if _, err := s.Transition(ctx, old2, store.StateApplying, store.StateFailed, nil); err != nil {
		t.Fatalf("Transition: %v", err)
	}
	if d := cmp.Diff(sorted(keeper, old1, old2), sorted(members("idx:all")...)); d != "" {
		t.Errorf("idx:all (-want +got):\n%s", d)
	}
	if got := members("idx:state:applying"); !slices.Equal(got, []string{keeper}) {
		t.Errorf("idx:state:applying = %v, want only %s: a plan leaves its old state's index", got, keeper)
	}
	if d := cmp.Diff([]string{old2}, members("idx:state:failed")); d != "" {
		t.Errorf("a transition moves the plan between state indexes (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{old1}, members("idx:state:pending")); d != "" {
		t.Errorf("idx:state:pending (-want +got):\n%s", d)
	}

	// Past both plans' retention the keys are gone; the next write prunes
	// their index entries, without anyone reading them.
	advance(time.Minute + store.DefaultRetention)
	fresh := save(time.Minute)
	for key, want := range map[string][]string{
		"idx:all": sorted(keeper, fresh), "idx:deadline": sorted(keeper, fresh),
		"idx:state:pending": {fresh}, "idx:state:applying": {keeper},
	} {
		if d := cmp.Diff(want, sorted(members(key)...)); d != "" {
			t.Errorf("%s after a write past retention (-want +got):\n%s", key, d)
		}
	}
	if got := members("idx:state:failed"); len(got) != 0 {
		t.Errorf("idx:state:failed after a write past retention = %v, want empty", got)
	}

	// A plan key gone behind the store's back is skipped and dropped.
	mr.Del(store.DefaultPrefix + "plan:" + fresh)
	got, err := s.Plans(ctx, store.PlanFilter{State: store.StatePending})
	if err != nil || len(got) != 0 {
		t.Fatalf("Plans with a vanished plan key = %v, %v; want none", got, err)
	}
	for key, want := range map[string][]string{"idx:all": {keeper}, "idx:deadline": {keeper}, "idx:state:pending": nil} {
		if d := cmp.Diff(want, members(key)); d != "" {
			t.Errorf("%s after Plans met a vanished plan (-want +got):\n%s", key, d)
		}
	}

	// The audit log drops records past retention on append.
	if err := s.AppendAudit(ctx, store.AuditRecord{PlanID: fresh, ProjectKey: "HELP", Action: "denied"}); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	advance(store.DefaultRetention)
	if err := s.AppendAudit(ctx, store.AuditRecord{PlanID: fresh, ProjectKey: "HELP", Action: "applied"}); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	for _, key := range []string{"log", "log:project:HELP"} {
		if n := len(members(key)); n != 1 {
			t.Errorf("%s holds %d entries after an append past the first's retention, want 1", key, n)
		}
	}
}

// TestRedisWireFormatLease pins the encoding of the fields issue 9 added,
// and that a record without them (as older replicas wrote) still reads.
func TestRedisWireFormatLease(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, mr, clock := newMiniredis(t)
	id := mustNewID(t)
	if err := s.SavePlan(ctx, store.PlanRecord{ID: id, ExpiresAt: clock.Now().Add(time.Hour)}); err != nil {
		t.Fatalf("SavePlan: %v", err)
	}
	raw, _ := mr.Get(store.DefaultPrefix + "plan:" + id)
	for _, absent := range []string{`"owner"`, `"leaseUntil"`, `"record"`} {
		if strings.Contains(raw, absent) {
			t.Errorf("a plan without owner, lease or record is stored as %s, which contains %s", raw, absent)
		}
	}
	lease := time.Date(2026, 3, 14, 14, 5, 30, 500_000_000, time.UTC)
	if _, err := s.Transition(ctx, id, store.StatePending, store.StateApplying, func(p *store.PlanRecord) {
		p.Owner = "replica-1"
		p.LeaseUntil = lease
		p.Record = []byte(`{"created":["10001"]}`)
	}); err != nil {
		t.Fatalf("Transition: %v", err)
	}
	raw, _ = mr.Get(store.DefaultPrefix + "plan:" + id)
	for _, part := range []string{`"owner":"replica-1"`, `"leaseUntil":"2026-03-14T14:05:30.5Z"`, `"record":{"created":["10001"]}`} {
		if !strings.Contains(raw, part) {
			t.Errorf("stored record %s\ndoes not contain %s", raw, part)
		}
	}
}
