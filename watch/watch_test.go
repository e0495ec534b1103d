package watch_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
	"github.com/jsmbot/jsmbot/watch"
)

// event is one call a recordingSink heard.
type event struct {
	kind    string // "broke" or "healed"
	project string
	ref     string
	at      time.Time // when the sink heard it
	d       *repair.Diagnosis
	heal    watch.Heal
}

// recordingSink records what the watch tells it.
type recordingSink struct {
	mu     sync.Mutex
	events []event
	n      int
}

func (s *recordingSink) Broke(_ context.Context, project string, d *repair.Diagnosis) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	ref := fmt.Sprintf("alert-%d", s.n)
	s.events = append(s.events, event{kind: "broke", project: project, ref: ref, at: time.Now(), d: d})
	return ref, nil
}

func (s *recordingSink) Healed(_ context.Context, h watch.Heal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, event{kind: "healed", project: h.Project, ref: h.Ref, at: time.Now(), heal: h})
	return nil
}

// of returns the events about project, as "kind ref" lines, and the
// events themselves.
func (s *recordingSink) of(project string) ([]string, []event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var lines []string
	var evs []event
	for _, e := range s.events {
		if e.project == project {
			lines = append(lines, e.kind+" "+e.ref)
			evs = append(evs, e)
		}
	}
	return lines, evs
}

// newSite is a Jira site seeded with the scenarios a test uses, whose
// audit records take the bubble's time; make it outside the bubble. Every
// full audit reads every scheme with its grants, so a small site keeps the
// watch's polls cheap.
func newSite(t *testing.T, seed ...jirasim.Scenario) *jirasim.Server {
	t.Helper()
	return jirasim.NewServer(t, jirasim.WithClock(func() time.Time { return time.Now() }), jirasim.WithSeed(seed...))
}

// replica is one watching process, inside a synctest bubble.
type replica struct {
	w    *watch.Watcher
	stop context.CancelFunc
	done chan struct{}
}

// startReplica runs a watcher on sim and st, with a 2 s interval; its
// logs go to logs when not nil.
func startReplica(t *testing.T, sim *jirasim.Server, st store.Store, sink watch.Sink, owner string, logs *syncBuffer, obs watch.Observer) *replica {
	t.Helper()
	w := newWatcher(t, sim, st, sink, owner, logs, obs)
	ctx, cancel := context.WithCancel(t.Context())
	r := &replica{w: w, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		if err := w.Run(ctx); err != nil {
			t.Errorf("watcher %s: %v", owner, err)
		}
	}()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

func newWatcher(t *testing.T, sim *jirasim.Server, st store.Store, sink watch.Sink, owner string, logs *syncBuffer, obs watch.Observer) *watch.Watcher {
	t.Helper()
	c, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken, jira.WithHTTPClient(sim.Client()))
	if err != nil {
		t.Fatal(err)
	}
	engine := repair.New(c, repair.WithIndexMaxAge(48*time.Hour))
	logger := slog.New(slog.DiscardHandler)
	if logs != nil {
		logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	w, err := watch.New(watch.Config{Interval: 2 * time.Second, Owner: owner, Logger: logger, Observer: obs}, engine, c, st, sink)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// syncBuffer is a log buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// removePortalCreate removes a project's Portal Access CREATE_ISSUES grant behind the
// bot's back and returns a function that puts it back.
func removePortalCreate(t *testing.T, sim *jirasim.Server, key string) (restore func()) {
	t.Helper()
	id, ok := sim.ProjectSchemeID(key)
	if !ok {
		t.Fatalf("%s has no scheme", key)
	}
	for _, g := range sim.SchemeGrants(id) {
		if g.HolderType == "sd.customer.portal.only" && g.Permission == "CREATE_ISSUES" {
			sim.RemoveGrants(id, g.ID)
			return func() {
				sim.AddGrants(id, jirasim.Grant{HolderType: "sd.customer.portal.only", Permission: "CREATE_ISSUES"})
			}
		}
	}
	t.Fatalf("%s's scheme has no Portal Access CREATE_ISSUES grant", key)
	return nil
}

// TestAlertOnceNamingWho: a grant removed behind the bot's back gives
// exactly one alert within 10 s, naming who removed it and when; putting
// it back updates that alert; removing it again gives one new alert.
// Projects already broken when the watch starts are not alerted.
func TestAlertOnceNamingWho(t *testing.T) {
	t.Parallel()
	sim := newSite(t, jirasim.ScenarioHealthy, jirasim.ScenarioPortalAccessMissing, jirasim.ScenarioShared)
	synctest.Test(t, func(t *testing.T) {
		sink := &recordingSink{}
		startReplica(t, sim, store.NewMemory(), sink, "a", nil, watch.Observer{})
		synctest.Wait() // the first poll: a full audit, no alert
		if got := len(sink.events); got != 0 {
			t.Fatalf("the first poll told the sink %d things; projects broken before the watch started are not alerted", got)
		}

		time.Sleep(3 * time.Second)
		restore := removePortalCreate(t, sim, "HELP")
		removedAt := time.Now()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		lines, evs := sink.of("HELP")
		if diff := cmp.Diff([]string{"broke alert-1"}, lines); diff != "" {
			t.Fatalf("after the removal (-want +got):\n%s", diff)
		}
		if late := evs[0].at.Sub(removedAt); late > 10*time.Second {
			t.Errorf("the alert came %v after the change, want within 10s", late)
		}
		cause := onlyCause(t, evs[0].d)
		if cause.Kind != repair.AuditGrantRemoved || cause.AuthorName != "Olivia Owner" || !cause.At.Equal(removedAt.Truncate(time.Millisecond)) {
			t.Errorf("cause = %+v, want the removal by Olivia Owner at %v", cause, removedAt)
		}

		restore()
		restoredAt := time.Now()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		lines, evs = sink.of("HELP")
		if diff := cmp.Diff([]string{"broke alert-1", "healed alert-1"}, lines); diff != "" {
			t.Fatalf("after the restore (-want +got):\n%s", diff)
		}
		if h := evs[1].heal; h.By != "Olivia Owner" || !h.At.Equal(restoredAt.Truncate(time.Millisecond)) {
			t.Errorf("heal = %+v, want by Olivia Owner at %v", h, restoredAt)
		}

		removePortalCreate(t, sim, "HELP")
		time.Sleep(10 * time.Second)
		synctest.Wait()
		lines, _ = sink.of("HELP")
		if diff := cmp.Diff([]string{"broke alert-1", "healed alert-1", "broke alert-2"}, lines); diff != "" {
			t.Errorf("after the second removal (-want +got):\n%s", diff)
		}
		if len(sink.events) != 3 {
			t.Errorf("the sink heard %d things, want 3 (nothing about other projects)", len(sink.events))
		}
	})
}

// onlyCause is the one cause of a diagnosis.
func onlyCause(t *testing.T, d *repair.Diagnosis) repair.AuditCause {
	t.Helper()
	if d == nil || d.Causes.Log != repair.AuditRead || len(d.Causes.ByFinding) != 1 {
		t.Fatalf("want one cause from the audit log, got %+v", d.Causes)
	}
	for _, c := range d.Causes.ByFinding {
		return c
	}
	return repair.AuditCause{}
}

// TestMoveToBrokenScheme: a project moved to a scheme that lacks the
// grants is alerted, naming the move, who made it and when.
func TestMoveToBrokenScheme(t *testing.T) {
	t.Parallel()
	sim := newSite(t, jirasim.ScenarioHealthy, jirasim.ScenarioPortalAccessMissing)
	broken, ok := sim.ProjectSchemeID("NOPA")
	if !ok {
		t.Fatal("NOPA has no scheme")
	}
	synctest.Test(t, func(t *testing.T) {
		sink := &recordingSink{}
		startReplica(t, sim, store.NewMemory(), sink, "a", nil, watch.Observer{})
		synctest.Wait()
		time.Sleep(time.Second)
		sim.AssignScheme("HELP", broken)
		movedAt := time.Now()
		time.Sleep(5 * time.Second)
		synctest.Wait()
		lines, evs := sink.of("HELP")
		if diff := cmp.Diff([]string{"broke alert-1"}, lines); diff != "" {
			t.Fatalf("after the move (-want +got):\n%s", diff)
		}
		for _, c := range evs[0].d.Causes.ByFinding {
			if c.Kind != repair.AuditSchemeChanged || c.AuthorName != "Olivia Owner" || !c.At.Equal(movedAt.Truncate(time.Millisecond)) || c.FromScheme == "" {
				t.Errorf("cause = %+v, want the move from HELP's scheme by Olivia Owner at %v", c, movedAt)
			}
		}
		if len(evs[0].d.Causes.ByFinding) == 0 {
			t.Errorf("the alert names no cause: %+v", evs[0].d.Causes)
		}
		// NOPA was broken before the watch started and is not alerted;
		// the move touched no other project.
		if len(sink.events) != 1 {
			t.Errorf("the sink heard %d things, want 1", len(sink.events))
		}
	})
}

// TestAuditLogForbidden: without the audit log (403) the watch falls back
// to full audits, says so once, and still alerts.
func TestAuditLogForbidden(t *testing.T) {
	t.Parallel()
	// HELP alone: every poll is a full audit, which reads every scheme.
	sim := newSite(t, jirasim.ScenarioHealthy)
	sim.SetAuditLogAvailable(false)
	synctest.Test(t, func(t *testing.T) {
		sink := &recordingSink{}
		logs := &syncBuffer{}
		var mu sync.Mutex
		polls := 0
		obs := watch.Observer{Polled: func(time.Time) { mu.Lock(); polls++; mu.Unlock() }}
		startReplica(t, sim, store.NewMemory(), sink, "a", logs, obs)
		synctest.Wait()
		time.Sleep(5 * time.Second)
		removePortalCreate(t, sim, "HELP")
		time.Sleep(5 * time.Second)
		synctest.Wait()
		lines, evs := sink.of("HELP")
		if diff := cmp.Diff([]string{"broke alert-1"}, lines); diff != "" {
			t.Fatalf("alerts (-want +got):\n%s", diff)
		}
		if got := evs[0].d.Causes.Log; got != repair.AuditUnreadable {
			t.Errorf("causes log = %q, want unreadable (nothing guessed)", got)
		}
		if n := strings.Count(logs.String(), "falls back to full audits every 2s; grant Administer Jira to read the audit log"); n != 1 {
			t.Errorf("the fallback is said %d times in the log, want once:\n%s", n, logs.String())
		}
		mu.Lock()
		defer mu.Unlock()
		if polls < 5 {
			t.Errorf("%d successful polls in 10s, want one every 2s", polls)
		}
	})
}

// TestQuietPollCost: a poll with no new record reads the audit log and
// nothing else.
func TestQuietPollCost(t *testing.T) {
	t.Parallel()
	sim := newSite(t, jirasim.ScenarioHealthy, jirasim.ScenarioPortalAccessMissing)
	synctest.Test(t, func(t *testing.T) {
		w := newWatcher(t, sim, store.NewMemory(), &recordingSink{}, "a", nil, watch.Observer{})
		if _, err := w.Poll(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		sim.ResetRequests()
		if _, err := w.Poll(t.Context()); err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, r := range sim.Requests() {
			paths = append(paths, r.Method+" "+r.Path)
		}
		if diff := cmp.Diff([]string{"GET /rest/api/3/auditing/record"}, paths); diff != "" {
			t.Errorf("a quiet poll's Jira calls (-want +got):\n%s", diff)
		}
	})
}

// diesWithLease is a store whose ReleaseLease does nothing: its replica
// dies holding the lease, as a killed process does.
type diesWithLease struct{ store.Store }

func (diesWithLease) ReleaseLease(context.Context, string, string) error { return nil }

// TestReplicas: two replicas on one store alert once, not twice; when the
// watching one dies, the other takes over within a lease period, and a
// change made in between is alerted.
func TestReplicas(t *testing.T) {
	t.Parallel()
	sim := newSite(t, jirasim.ScenarioHealthy, jirasim.ScenarioDrift, jirasim.ScenarioPortalAccessMissing)
	synctest.Test(t, func(t *testing.T) {
		shared := store.NewMemory()
		sink := &recordingSink{}
		a := startReplica(t, sim, diesWithLease{shared}, sink, "a", nil, watch.Observer{})
		synctest.Wait() // a polls first and holds the lease
		startReplica(t, sim, shared, sink, "b", nil, watch.Observer{})
		synctest.Wait()

		time.Sleep(time.Second)
		removePortalCreate(t, sim, "HELP")
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if lines, _ := sink.of("HELP"); !cmp.Equal(lines, []string{"broke alert-1"}) {
			t.Fatalf("two replicas told the sink %q, want one alert", lines)
		}

		a.stop()
		<-a.done
		killedAt := time.Now()
		time.Sleep(time.Second)
		removePortalCreate(t, sim, "DRFT")
		deadline := killedAt.Add(3 * 2 * time.Second) // the lease period
		for time.Now().Before(deadline) {
			time.Sleep(500 * time.Millisecond)
			synctest.Wait()
			if lines, _ := sink.of("DRFT"); len(lines) > 0 {
				break
			}
		}
		lines, evs := sink.of("DRFT")
		if !cmp.Equal(lines, []string{"broke alert-2"}) {
			t.Fatalf("%v after the watching replica died, the sink heard %q about DRFT, want one alert", time.Since(killedAt), lines)
		}
		if took := evs[0].at.Sub(killedAt); took > 6*time.Second {
			t.Errorf("the other replica took over %v after the holder died, want within the 6s lease period", took)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if len(sink.events) != 2 {
			t.Errorf("the sink heard %d things, want 2 alerts", len(sink.events))
		}
	})
}
