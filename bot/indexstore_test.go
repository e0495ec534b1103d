package bot

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack/socketmode"

	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
	"github.com/jsmbot/jsmbot/store"
)

// withFleet seeds the harness's Jira with a fleet site and keeps the bots'
// site index in the store, as jsmbot run does.
func withFleet(f jirasim.Fleet, opts ...jirasim.Option) harnessOption {
	return func(h *harness) {
		h.jira = jirasim.NewServer(h.t, append([]jirasim.Option{jirasim.WithFleet(f)}, opts...)...)
		h.indexInStore = true
	}
}

// scans counts the site scans sim served (first pages of the project
// search).
func scans(sim *jirasim.Server) int {
	n := 0
	for _, r := range sim.Requests() {
		if r.Path == "/rest/api/3/project/search" && r.Query.Get("startAt") == "0" {
			n++
		}
	}
	return n
}

// schemeReadsBut counts the reads of a project's scheme that a scan makes,
// of projects other than keys.
func schemeReadsBut(sim *jirasim.Server, keys ...string) int {
	n := 0
	for _, r := range sim.Requests() {
		path := r.Path
		key, ok := strings.CutPrefix(path, "/rest/api/3/project/")
		if !ok || r.Method != http.MethodGet {
			continue
		}
		key, ok = strings.CutSuffix(key, "/permissionscheme")
		if !ok {
			continue
		}
		other := true
		for _, k := range keys {
			if key == k {
				other = false
			}
		}
		if other {
			n++
		}
	}
	return n
}

// TestIndexInStoreSparesDiagnoseAndApproval: with the index refreshed in
// the background and kept in the store, /jsm diagnose on a fleet site reads
// only its own project, and approving its fix reads no other project's
// scheme either: neither rescans the site.
func TestIndexInStoreSparesDiagnoseAndApproval(t *testing.T) {
	t.Parallel()
	// Eight projects on two JSM schemes: FL0001's broken one is shared
	// with three others, whose schemes a rescan would read.
	const projects = 8
	h := newHarness(t, withFleet(jirasim.Fleet{Projects: projects, Schemes: 3}))
	h.bots[0].bot.refreshIndex(h.ctx(), time.Minute)
	raw, err := h.store.Blob(h.ctx(), indexBlob)
	if err != nil {
		t.Fatalf("no site index in the store after a refresh: %v", err)
	}
	idx, err := NewIndexStore(h.store).LoadIndex(h.ctx())
	if err != nil || idx == nil || len(idx.Projects) != projects {
		t.Fatalf("stored index (%d bytes) = %v, %v; want %d projects", len(raw), idx, err, projects)
	}

	key := jirasim.FleetKey(0) // on a broken, shared scheme
	h.jira.ResetRequests()
	m := h.diagnose(userRequester, key)
	if n, r := scans(h.jira), schemeReadsBut(h.jira, key); n != 0 || r != 0 {
		t.Errorf("a warm diagnose made %d scans and read %d other projects' schemes, want 0 and 0", n, r)
	}
	h.jira.ResetRequests()
	h.click(userApprover, m, ActionApproveInPlace)
	if got := h.message(m); !strings.Contains(got.Text, "repaired and verified") {
		t.Fatalf("after approval the message says %q", got.Text)
	}
	if n, r := scans(h.jira), schemeReadsBut(h.jira, key); n != 0 || r != 0 {
		t.Errorf("the approval made %d scans and read %d other projects' schemes, want 0 and 0", n, r)
	}
}

// bubbleEngine is an engine on sim reached in-process, for a synctest
// bubble, with its index in st.
func bubbleEngine(t *testing.T, sim *jirasim.Server, st store.Store) *repair.Engine {
	t.Helper()
	c, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken, jira.WithHTTPClient(sim.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return repair.New(c, repair.WithIndexStore(NewIndexStore(st)))
}

// TestKeepIndexFreshOneReplicaAtATime: two replicas sharing a store refresh
// the index once per interval between them, and when the refreshing one
// stops, the other takes over once its lease has run out.
func TestKeepIndexFreshOneReplicaAtATime(t *testing.T) {
	t.Parallel()
	const projects = 4 // who refreshes does not depend on the site's size
	sim := jirasim.NewServer(t, jirasim.WithFleet(jirasim.Fleet{Projects: projects, Schemes: 2}))
	synctest.Test(t, func(t *testing.T) {
		st := store.NewMemory()
		replica := func(owner string) *Bot {
			b, err := New(Config{Owner: owner}, Deps{
				Events: make(chan socketmode.Event), Ack: func(context.Context, string, any) error { return nil },
				Slack: nopPoster{}, Engine: bubbleEngine(t, sim, st), Store: st,
			})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		a, b := replica("a"), replica("b")
		ctxA, stopA := context.WithCancel(t.Context())
		ctxB, stopB := context.WithCancel(t.Context())
		defer stopB()
		doneA, doneB := make(chan struct{}), make(chan struct{})
		go func() { defer close(doneA); a.KeepIndexFresh(ctxA, time.Minute) }()
		synctest.Wait() // a refreshes first
		go func() { defer close(doneB); b.KeepIndexFresh(ctxB, time.Minute) }()
		synctest.Wait()
		var got []int
		got = append(got, scans(sim))
		time.Sleep(time.Minute + time.Second)
		synctest.Wait()
		got = append(got, scans(sim))
		stopA()
		<-doneA
		// a renewed its two-minute lease at 1m: b's ticks at 2m fail, at 3m
		// win.
		time.Sleep(time.Minute)
		synctest.Wait()
		got = append(got, scans(sim))
		time.Sleep(time.Minute)
		synctest.Wait()
		got = append(got, scans(sim))
		if diff := cmp.Diff([]int{1, 2, 2, 3}, got); diff != "" {
			t.Errorf("scans after 0, 1, 2 and 3 minutes (-want +got):\n%s", diff)
		}
		idx, err := NewIndexStore(st).LoadIndex(t.Context())
		if err != nil || idx == nil || len(idx.Projects) != projects {
			t.Errorf("stored index = %v, %v; want %d projects", idx, err, projects)
		}
		stopB()
		<-doneB
	})
}
