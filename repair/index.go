package repair

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/jsmbot/jsmbot/diagnosis"
	"github.com/jsmbot/jsmbot/jira"
)

// DefaultIndexMaxAge is how old a site index may be for [Engine.Diagnose]
// to take the projects sharing a scheme from it, unless [WithIndexMaxAge]
// says otherwise. A diagnosis always reads its own project live; the age
// only bounds how long a change to another project's scheme, made outside
// jsmbot, can go unseen.
const DefaultIndexMaxAge = 10 * time.Minute

// Index is the site index: every project of the site with the permission
// scheme it uses, and every permission scheme with its grants. No Jira
// endpoint maps a scheme to its projects (reference §2.4), so it is built
// by one paced scan of every project ([Engine.RefreshIndex]); it answers
// which projects share a scheme, and the fleet audit. It marshals to JSON,
// for an [IndexStore] to keep.
//
// An Index is never modified once an engine has handed it out or saved
// it: the engine updates the index after its own writes by saving a
// changed copy.
type Index struct {
	// BuiltAt is when the scan that built it finished. Updates after the
	// engine's own writes keep it.
	BuiltAt time.Time `json:"builtAt"`
	// Projects maps each project key to what the scan found.
	Projects map[string]IndexProject `json:"projects"`
	// Schemes maps each scheme id to the scheme, with its grants.
	Schemes map[int64]IndexScheme `json:"schemes"`
}

// IndexProject is one project of an [Index].
type IndexProject struct {
	Key         string `json:"key"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	TypeKey     string `json:"projectTypeKey"`
	TeamManaged bool   `json:"teamManaged"`
	// SchemeID is the project's permission scheme; meaningful only when
	// HasScheme says so (the Default Permission Scheme's id is 0).
	SchemeID int64 `json:"schemeId"`
	// Unchecked says, in words, why the project's scheme could not be
	// read; empty when it was read, and for team-managed projects.
	Unchecked string `json:"unchecked,omitempty"`
	// UncheckedStatus is Jira's status code for that read, 0 when Jira
	// gave none.
	UncheckedStatus int `json:"uncheckedStatus,omitempty"`
}

// HasScheme reports whether the index knows the project's scheme: it is
// company-managed and its scheme was read.
func (p IndexProject) HasScheme() bool { return !p.TeamManaged && p.Unchecked == "" }

// IndexScheme is one permission scheme of an [Index].
type IndexScheme struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Grants are the scheme's grants as Jira sent them.
	Grants []jira.Grant `json:"grants"`
}

// IndexStore is where an engine keeps its site index, so that it outlives
// one diagnosis and, in a store shared by replicas, one process. The
// default ([New] without [WithIndexStore]) keeps it in memory.
type IndexStore interface {
	// LoadIndex returns the stored index, or nil and no error when none
	// is stored. The engine does not modify what it returns.
	LoadIndex(ctx context.Context) (*Index, error)
	// SaveIndex stores idx in place of any stored one. idx is not
	// modified afterwards.
	SaveIndex(ctx context.Context, idx *Index) error
}

// WithIndexStore keeps the site index in s instead of in memory.
func WithIndexStore(s IndexStore) Option { return func(e *Engine) { e.store = s } }

// WithIndexMaxAge sets how old the site index may be for a diagnosis to
// use it (default [DefaultIndexMaxAge]); an older or missing index is
// rebuilt first, by one scan that concurrent callers share. Zero makes
// every diagnosis scan.
func WithIndexMaxAge(d time.Duration) Option { return func(e *Engine) { e.maxAge = d } }

// WithClock makes the engine read the time from now (default time.Now):
// when an index was built and whether it is still fresh.
func WithClock(now func() time.Time) Option { return func(e *Engine) { e.now = now } }

// memoryIndexStore is the default [IndexStore].
type memoryIndexStore struct {
	mu  sync.Mutex
	idx *Index
}

func (m *memoryIndexStore) LoadIndex(context.Context) (*Index, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.idx, nil
}

func (m *memoryIndexStore) SaveIndex(_ context.Context, idx *Index) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.idx = idx
	return nil
}

// shareIndex is an [Index] with the lookups a diagnosis needs, built once.
type shareIndex struct {
	idx       *Index
	byScheme  map[int64][]string // scheme id → keys of its projects, sorted
	unscanned []string           // projects whose scheme could not be read, sorted
}

func newShareIndex(idx *Index) *shareIndex {
	x := &shareIndex{idx: idx, byScheme: map[int64][]string{}}
	for _, k := range slices.Sorted(maps.Keys(idx.Projects)) {
		p := idx.Projects[k]
		switch {
		case p.HasScheme():
			x.byScheme[p.SchemeID] = append(x.byScheme[p.SchemeID], k)
		case !p.TeamManaged:
			x.unscanned = append(x.unscanned, k)
		}
	}
	return x
}

// using returns the projects other than key that use scheme id, sorted
// and never nil, and how many projects other than key could not be
// checked.
func (x *shareIndex) using(id int64, key string) ([]string, int) {
	shared := slices.DeleteFunc(slices.Clone(x.byScheme[id]), func(k string) bool { return k == key })
	if shared == nil {
		shared = []string{}
	}
	unscanned := len(x.unscanned)
	if _, found := slices.BinarySearch(x.unscanned, key); found {
		unscanned--
	}
	return shared, unscanned
}

// SiteIndex returns the site index, scanning first when the one kept is
// missing or older than the engine's maximum age; concurrent callers share
// one scan. The result must not be modified.
func (e *Engine) SiteIndex(ctx context.Context) (*Index, error) {
	if x := e.freshIndexOrNil(ctx, e.maxAge); x != nil {
		return x.idx, nil
	}
	x, err := e.join(ctx, nil)
	if err != nil {
		return nil, err
	}
	return x.idx, nil
}

// RefreshIndex scans the site now and keeps the new index, whatever the
// age of the one kept; a scan already under way is joined instead of
// starting another. It is for a front end's background refresh. The
// result must not be modified.
func (e *Engine) RefreshIndex(ctx context.Context) (*Index, error) {
	x, err := e.join(ctx, nil)
	if err != nil {
		return nil, err
	}
	return x.idx, nil
}

// kept returns the index the engine keeps, without calling Jira: the
// store's, or when the store fails the last one this engine knew. nil when
// there is none.
func (e *Engine) kept(ctx context.Context) *shareIndex {
	e.mu.Lock()
	x := e.share
	e.mu.Unlock()
	stored, err := e.store.LoadIndex(ctx)
	if err != nil {
		e.log.Warn("repair: load the site index", "err", err)
		return x
	}
	if stored == nil || (x != nil && x.idx == stored) {
		return x
	}
	if x != nil && x.idx.BuiltAt.After(stored.BuiltAt) {
		return x // the store lags behind this engine's own scan
	}
	x = newShareIndex(stored)
	e.mu.Lock()
	e.share = x
	e.mu.Unlock()
	return x
}

// freshIndexOrNil returns the kept index when it is younger than maxAge
// and was built after the last forgetShares, and nil otherwise.
func (e *Engine) freshIndexOrNil(ctx context.Context, maxAge time.Duration) *shareIndex {
	x := e.kept(ctx)
	if x == nil {
		return nil
	}
	e.mu.Lock()
	notBefore := e.notBefore
	e.mu.Unlock()
	if x.idx.BuiltAt.Before(notBefore) || e.now().Sub(x.idx.BuiltAt) >= maxAge {
		return nil
	}
	return x
}

// forgetShares makes the kept index stale, so that the next diagnosis
// scans again. Undo and settle call it after changes they do not describe
// to the index.
func (e *Engine) forgetShares() {
	e.mu.Lock()
	e.notBefore = e.now()
	e.mu.Unlock()
}

// keep makes idx the engine's index: saved to the store (a failure is
// logged: the index still serves this engine) and kept in memory.
func (e *Engine) keep(ctx context.Context, idx *Index) *shareIndex {
	if err := e.store.SaveIndex(ctx, idx); err != nil {
		e.log.Warn("repair: save the site index", "err", err)
	}
	x := newShareIndex(idx)
	e.mu.Lock()
	e.share = x
	e.mu.Unlock()
	return x
}

// update changes the kept index with change, on a copy, and keeps the
// copy; with no index kept it does nothing. change reports whether it
// changed anything. Updates by one engine are serialized.
func (e *Engine) update(ctx context.Context, change func(*Index) bool) *shareIndex {
	e.updates.Lock()
	defer e.updates.Unlock()
	x := e.kept(ctx)
	if x == nil {
		return nil
	}
	next := &Index{BuiltAt: x.idx.BuiltAt, Projects: maps.Clone(x.idx.Projects), Schemes: maps.Clone(x.idx.Schemes)}
	if !change(next) {
		return x
	}
	return e.keep(ctx, next)
}

// noteSnapshot brings the kept index in line with what a diagnosis just
// read of its project: the scheme the project uses and that scheme's
// grants. It returns the index to diagnose with.
func (e *Engine) noteSnapshot(ctx context.Context, x *shareIndex, snap *diagnosis.Snapshot, scheme *jira.PermissionScheme) *shareIndex {
	p, known := x.idx.Projects[snap.Project.Key]
	s, schemeKnown := x.idx.Schemes[scheme.ID]
	if known && p.HasScheme() && p.SchemeID == scheme.ID && schemeKnown && sameGrants(s.Grants, scheme.Permissions) {
		return x
	}
	if y := e.update(ctx, func(idx *Index) bool {
		idx.Projects[snap.Project.Key] = IndexProject{
			Key: snap.Project.Key, ID: snap.Project.ID, Name: snap.Project.Name, TypeKey: snap.Project.TypeKey,
			SchemeID: scheme.ID,
		}
		old := idx.Schemes[scheme.ID]
		idx.Schemes[scheme.ID] = IndexScheme{ID: scheme.ID, Name: scheme.Name, Description: cmp.Or(scheme.Description, old.Description), Grants: slices.Clone(scheme.Permissions)}
		return true
	}); y != nil {
		return y
	}
	return x
}

// noteApplied updates the kept index after an apply: the grants added to
// and removed from a scheme, a copy created, the project's new scheme, a
// copy deleted. Only changes Jira holds (Done) count. The copy's grants
// are the plan's prediction, without ids, until the verifying diagnosis
// reads them.
func (e *Engine) noteApplied(ctx context.Context, plan diagnosis.Plan, res *Result) {
	if res == nil {
		return
	}
	e.update(ctx, func(idx *Index) bool {
		changed := false
		for _, c := range res.Changes {
			if !c.Done {
				continue
			}
			changed = true
			switch c.Step {
			case StepAddGrant:
				s, ok := idx.Schemes[c.SchemeID]
				if !ok {
					continue // the next scan or diagnosis reads it
				}
				g := fromGrant(c.Grant)
				g.ID = c.Grant.ID
				s.Grants = append(slices.DeleteFunc(slices.Clone(s.Grants), func(h jira.Grant) bool { return sameGrant(h, c.Grant) }), g)
				idx.Schemes[c.SchemeID] = s
			case StepRemoveGrant:
				s, ok := idx.Schemes[c.SchemeID]
				if !ok {
					continue
				}
				s.Grants = slices.DeleteFunc(slices.Clone(s.Grants), func(h jira.Grant) bool {
					return (c.Grant.ID != 0 && h.ID == c.Grant.ID) || sameGrant(h, c.Grant)
				})
				idx.Schemes[c.SchemeID] = s
			case StepCreateScheme:
				orig := idx.Schemes[plan.SchemeID]
				grants := []jira.Grant{}
				for _, g := range diagnosis.ApplyTo(toScheme(&jira.PermissionScheme{Permissions: orig.Grants}).Grants, plan) {
					grants = append(grants, fromGrant(g))
				}
				idx.Schemes[c.SchemeID] = IndexScheme{ID: c.SchemeID, Name: c.SchemeName, Grants: grants}
			case StepAssignScheme:
				p := idx.Projects[plan.ProjectKey]
				p.Key, p.SchemeID, p.Unchecked, p.UncheckedStatus = plan.ProjectKey, c.SchemeID, "", 0
				idx.Projects[plan.ProjectKey] = p
			case StepDeleteScheme:
				delete(idx.Schemes, c.SchemeID)
			}
		}
		return changed
	})
}

// sameGrants reports whether two grant lists hold the same grants, ids
// included, in any order.
func sameGrants(a, b []jira.Grant) bool {
	if len(a) != len(b) {
		return false
	}
	// Holder.Value is left out: Jira echoes the parameter there.
	type key struct {
		id                     int64
		typ, param, permission string
	}
	count := make(map[key]int, len(a))
	for _, g := range a {
		count[key{g.ID, g.Holder.Type, g.Holder.Parameter, g.Permission}]++
	}
	for _, g := range b {
		k := key{g.ID, g.Holder.Type, g.Holder.Parameter, g.Permission}
		if count[k]--; count[k] < 0 {
			return false
		}
	}
	return true
}

// uncheckedReason says, in words fit for a user, why a project's scheme
// could not be read, and Jira's status code. Jira's own text is left out:
// no user sees it.
func uncheckedReason(err error) (string, int) {
	var ae *jira.APIError
	if !errors.As(err, &ae) {
		return "Jira did not answer the read of its permission scheme", 0
	}
	switch ae.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return "Jira refused to show its permission scheme: the account needs Administer Projects on it (or Administer Jira)", ae.StatusCode
	case http.StatusNotFound:
		return "Jira did not show its permission scheme (missing, or hidden from the account)", ae.StatusCode
	case http.StatusTooManyRequests:
		return "Jira kept refusing the read of its permission scheme for its rate limits", ae.StatusCode
	}
	return "Jira could not answer the read of its permission scheme", ae.StatusCode
}
