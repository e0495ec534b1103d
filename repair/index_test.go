package repair_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/internal/fakeclock"
	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
)

// jsonStore keeps the index as JSON, as a shared store (Redis) would:
// what is loaded is a fresh decoding of what was saved.
type jsonStore struct {
	mu    sync.Mutex
	raw   []byte
	saves int
}

func (s *jsonStore) LoadIndex(context.Context) (*repair.Index, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.raw == nil {
		return nil, nil
	}
	var idx repair.Index
	err := json.Unmarshal(s.raw, &idx)
	return &idx, err
}

func (s *jsonStore) SaveIndex(_ context.Context, idx *repair.Index) error {
	raw, err := json.Marshal(idx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raw, s.saves = raw, s.saves+1
	return err
}

// engineWith returns an engine on sim, in-process, with opts.
func engineWith(t *testing.T, sim *jirasim.Server, opts ...repair.Option) *repair.Engine {
	t.Helper()
	c, err := jira.NewClient(sim.URL, jirasim.DefaultEmail, jirasim.DefaultToken, jira.WithHTTPClient(sim.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return repair.New(c, opts...)
}

// TestIndexFreshness: a diagnosis uses an index younger than the maximum
// age and rescans once it is older; a warm diagnosis reads only its own
// project, four calls at once.
func TestIndexFreshness(t *testing.T) {
	t.Parallel()
	sim := newSim(t, jirasim.ScenarioShared, jirasim.ScenarioHealthy)
	clock := fakeclock.New()
	e := engineWith(t, sim, repair.WithClock(clock.Now), repair.WithIndexMaxAge(5*time.Minute))
	steps := []struct {
		advance  time.Duration
		wantScan bool
	}{
		{0, true},                // cold
		{4 * time.Minute, false}, // warm
		{2 * time.Minute, true},  // 6 minutes old
		{time.Minute, false},
	}
	for i, st := range steps {
		clock.Advance(st.advance)
		sim.ResetRequests()
		d, err := e.Diagnose(t.Context(), "SHRA")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"SHRB", "SHRC"}, d.Snapshot.SharedWith); diff != "" {
			t.Errorf("step %d: SharedWith (-want +got):\n%s", i, diff)
		}
		if got := searches(sim) > 0; got != st.wantScan {
			t.Errorf("step %d (+%v): scanned %v, want %v", i, st.advance, got, st.wantScan)
		}
		if !st.wantScan {
			var got []string
			for _, r := range sim.Requests() {
				got = append(got, r.Method+" "+r.Path)
			}
			slices.Sort(got)
			want := []string{"GET /rest/api/3/permissionscheme", "GET /rest/api/3/project/SHRA", "GET /rest/api/3/project/SHRA/permissionscheme", "GET /rest/api/3/project/SHRA/role"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("step %d: a warm diagnosis's calls (-want +got):\n%s", i, diff)
			}
		}
	}
}

// TestIndexStampedWhenScanFinishes: the index carries the time its scan
// finished, not the time it started.
func TestIndexStampedWhenScanFinishes(t *testing.T) {
	t.Parallel()
	sim := newFleet(t, jirasim.Fleet{Projects: 20, Schemes: 2}, jirasim.WithLatency(time.Second))
	synctest.Test(t, func(t *testing.T) {
		e := bubbleEngine(t, sim)
		start := time.Now()
		idx, err := e.RefreshIndex(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		// One page (1s), then the scheme reads at once (1s more).
		if got, want := idx.BuiltAt.Sub(start), 2*time.Second; got != want {
			t.Errorf("BuiltAt is %v after the scan started, want %v (when it finished)", got, want)
		}
		if got := time.Since(start); got != 2*time.Second {
			t.Errorf("the scan took %v, want 2s", got)
		}
	})
}

// TestIndexStoreShared: engines sharing one store (as replicas share
// Redis) share the index: only the first scans, and the index survives a
// JSON round trip.
func TestIndexStoreShared(t *testing.T) {
	t.Parallel()
	sim := newFleet(t, jirasim.Fleet{Projects: 20, Schemes: 2}) // one project of each kind
	store := &jsonStore{}
	a := engineWith(t, sim, repair.WithIndexStore(store))
	b := engineWith(t, sim, repair.WithIndexStore(store))
	key := jirasim.FleetKey(0)
	da, err := a.Diagnose(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	sim.ResetRequests()
	db, err := b.Diagnose(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	if n := searches(sim); n != 0 {
		t.Errorf("the second engine scanned (%d searches), want it to use the stored index", n)
	}
	if diff := cmp.Diff(da.Snapshot.SharedWith, db.Snapshot.SharedWith); diff != "" || len(da.Snapshot.SharedWith) == 0 {
		t.Errorf("SharedWith differs between engines (-a +b):\n%s", diff)
	}
	if da.Unscanned != 1 || db.Unscanned != 1 {
		t.Errorf("Unscanned = %d and %d, want the unreadable project", da.Unscanned, db.Unscanned)
	}
	if store.saves != 1 {
		t.Errorf("%d saves, want 1 (the scan; the diagnoses changed nothing)", store.saves)
	}
}

// TestIndexAfterApply: an approval does not rescan, and the index follows
// the engine's own writes: an in-place repair's grants, and a copy and its
// assignment, so the other projects no longer share with the copied one.
func TestIndexAfterApply(t *testing.T) {
	t.Parallel()
	for _, mode := range []diagnosis.Mode{diagnosis.ModeInPlace, diagnosis.ModeCopy} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			sim := newSim(t, jirasim.ScenarioShared)
			e := engineWith(t, sim, warm(t, sim)...) // the first scan is not the point
			plan := mustPlan(t, e, "SHRA", mode)
			sim.ResetRequests()
			res, err := e.Apply(t.Context(), plan)
			if err != nil || !res.Verified {
				t.Fatalf("Apply: %v", err)
			}
			if n := searches(sim); n != 0 {
				t.Errorf("applying scanned the site (%d searches), want no scan", n)
			}
			idx, err := e.SiteIndex(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			id, _ := sim.ProjectSchemeID("SHRA")
			if p := idx.Projects["SHRA"]; p.SchemeID != id {
				t.Errorf("index has SHRA on scheme %d, Jira on %d", p.SchemeID, id)
			}
			var want, got []string
			for _, g := range sim.SchemeGrants(id) {
				want = append(want, g.HolderType+" "+g.HolderParameter+" "+g.Permission)
			}
			for _, g := range idx.Schemes[id].Grants {
				got = append(got, g.Holder.Type+" "+g.Holder.Parameter+" "+g.Permission)
			}
			slices.Sort(want)
			slices.Sort(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("index grants of scheme %d (-Jira +index):\n%s", id, diff)
			}
			d, err := e.Diagnose(t.Context(), "SHRB")
			if err != nil {
				t.Fatal(err)
			}
			wantShared := []string{"SHRA", "SHRC"}
			if mode == diagnosis.ModeCopy {
				wantShared = []string{"SHRC"}
			}
			if diff := cmp.Diff(wantShared, d.Snapshot.SharedWith); diff != "" {
				t.Errorf("SHRB shares (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUncheckedNeverFailsScan: a project whose scheme read fails, for
// want of permission or for a server error, is listed unchecked with the
// reason and status; the scan and the diagnosis go on.
func TestUncheckedNeverFailsScan(t *testing.T) {
	t.Parallel()
	sim := newFleet(t, jirasim.Fleet{Projects: 20, Schemes: 2})
	broken := jirasim.FleetKey(3)
	sim.FailNext(http.MethodGet, "/rest/api/3/project/"+broken+"/permissionscheme", 100, http.StatusInternalServerError, nil)
	e := engineWith(t, sim)
	d, err := e.Diagnose(t.Context(), jirasim.FleetKey(0))
	if err != nil {
		t.Fatal(err)
	}
	if d.Unscanned != 2 {
		t.Errorf("Unscanned = %d, want 2 (the unreadable project and the failing one)", d.Unscanned)
	}
	idx, err := e.SiteIndex(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for k, p := range idx.Projects {
		if p.Unchecked != "" {
			got[k] = p.UncheckedStatus
		}
	}
	want := map[string]int{jirasim.FleetKey(17): http.StatusForbidden, broken: http.StatusInternalServerError}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unchecked projects and statuses (-want +got):\n%s", diff)
	}
	if r := idx.Projects[jirasim.FleetKey(17)].Unchecked; r == "" || r != "Jira refused to show its permission scheme: the account needs Administer Projects on it (or Administer Jira)" {
		t.Errorf("reason = %q", r)
	}
}
