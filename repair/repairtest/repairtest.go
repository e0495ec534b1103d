// Package repairtest starts engines in tests without the cold scan their
// first diagnosis would make: the tests of bot and repair use it wherever
// a test is not about scanning. Scanning has its own tests in repair.
//
// Helpers that more than one package's tests need to set up an engine go
// here; it is imported by tests only, never by the release binary.
package repairtest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jsmbot/jsmbot/jira"
	"github.com/jsmbot/jsmbot/jira/jirasim"
	"github.com/jsmbot/jsmbot/repair"
)

// KeptIndex is an engine's site index kept in memory, as the engine's
// default store keeps it, but able to start with one: pass it to
// [repair.WithIndexStore]. The zero value holds none.
type KeptIndex struct {
	mu  sync.Mutex
	idx *repair.Index
}

// NewKeptIndex returns a KeptIndex holding idx.
func NewKeptIndex(idx *repair.Index) *KeptIndex { return &KeptIndex{idx: idx} }

// LoadIndex returns the index held.
func (k *KeptIndex) LoadIndex(context.Context) (*repair.Index, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.idx, nil
}

// SaveIndex holds idx.
func (k *KeptIndex) SaveIndex(_ context.Context, idx *repair.Index) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.idx = idx
	return nil
}

// seedIndexes holds, per seed, the site index a scan of a site seeded
// with it finds. Seeding is deterministic (the same ids every time), so
// one scan per seed and test binary stands for the first scan of every
// engine on such a site.
var seedIndexes sync.Map // fmt.Sprint(seed) → func() (*repair.Index, error)

// WarmIndex returns the index a scan of sim would build now, stamped with
// the real time, when sim still holds exactly what seed made (the same
// projects on the same schemes with the same grants); nil when the test
// changed the site, and then the engine's first diagnosis must scan. Give
// it only to engines on the real clock.
func WarmIndex(tb testing.TB, sim *jirasim.Server, seed []jirasim.Scenario) *repair.Index {
	tb.Helper()
	scan, _ := seedIndexes.LoadOrStore(fmt.Sprint(seed), sync.OnceValues(func() (*repair.Index, error) {
		fresh := jirasim.New(jirasim.WithSeed(seed...))
		defer fresh.Close()
		c, err := jira.NewClient(fresh.URL, jirasim.DefaultEmail, jirasim.DefaultToken, jira.WithHTTPClient(fresh.Client()))
		if err != nil {
			return nil, err
		}
		return repair.New(c).SiteIndex(context.Background())
	}))
	idx, err := scan.(func() (*repair.Index, error))()
	if err != nil {
		tb.Fatalf("scan a site seeded with %v: %v", seed, err)
	}
	if !matches(sim, idx) {
		return nil
	}
	stamped := *idx // an engine never modifies an index it is handed
	stamped.BuiltAt = time.Now()
	return &stamped
}

// matches reports whether idx lists sim's projects on their schemes and
// sim's schemes with their grants.
func matches(sim *jirasim.Server, idx *repair.Index) bool {
	keys := sim.ProjectKeys()
	if len(keys) != len(idx.Projects) {
		return false
	}
	for _, k := range keys {
		p, ok := idx.Projects[k]
		if !ok {
			return false
		}
		if id, ok := sim.ProjectSchemeID(k); p.HasScheme() && (!ok || id != p.SchemeID) {
			return false
		}
	}
	ids := sim.SchemeIDs()
	if len(ids) != len(idx.Schemes) {
		return false
	}
	for _, id := range ids {
		s, ok := idx.Schemes[id]
		grants := sim.SchemeGrants(id)
		if !ok || len(s.Grants) != len(grants) {
			return false
		}
		for i, g := range grants {
			if s.Grants[i].ID != g.ID {
				return false
			}
		}
	}
	return true
}
